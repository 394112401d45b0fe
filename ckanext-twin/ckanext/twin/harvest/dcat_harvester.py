"""``twin_dcat``: ckanext-harvest's stages over the harvesting core in ``harvesters.dcat``.

gather walks the catalog once (``harvesters.dcat.harvest.collect``), page by page, with
conditional requests: a page that answers 304 holds what the previous run saw. Everything
after the walk — fingerprints, batches, withdrawals, import — is ``base.PartnerHarvester``'s.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins as p
from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import HarvestJob

from harvesters.dcat.harvest import CatalogResult, CatalogState, collect

from ckanext.twin.harvest import store
from ckanext.twin.harvest.base import PartnerHarvester, had_import_errors
from ckanext.twin.harvest.source_config import SourceConfig


class TwinDCATHarvester(PartnerHarvester, p.SingletonPlugin):
    """Harvests a partner's DCAT-AP.de catalog (RDF/XML, Turtle, JSON-LD, N-Triples)."""

    p.implements(IHarvester)

    protocol = "dcat"
    mapping_version = "1"

    def info(self) -> dict[str, str]:
        return {
            "name": "twin_dcat",
            "title": "DCAT-AP.de (Partnerkatalog)",
            "description": "Katalog eines Partners im Format DCAT-AP.de (RDF), mit "
                           "Seitenweise-Abruf, bedingten Anfragen und zurückgehaltenen "
                           "Rücknahmen. Konfiguration: {\"partner\": \"<id>\"}.",
        }

    def walk(self, source: Any, config: SourceConfig) -> CatalogResult:
        return collect(source.url, config.limits(), self._previous_state(source.id, config),
                       max_pages=config.max_pages, max_duration=config.max_duration_s)

    def after_walk(self, walk: CatalogResult, job: HarvestJob,  # type: ignore[override]
                   previous: dict[str, store.Harvested]) -> tuple[list[str], set[str]]:
        """Records on 304 pages are unchanged, unless the source never imported them."""
        lost = walk.unchanged_keys - set(previous)
        errors = [f"{len(lost)} records on pages that answered 304 were never imported; "
                  "the next run asks without conditional requests"] if lost else []
        return errors, {key for key in walk.unchanged_keys if key in previous}

    def catalog_state(self, walk: CatalogResult) -> str:  # type: ignore[override]
        return walk.state.to_json()

    def _previous_state(self, source_id: str, config: SourceConfig) -> CatalogState | None:
        """The previous run's page validators, if that run can be trusted to stand.

        A 304 page is taken to hold what the previous run saw; that is only true when the
        previous run read everything and imported every record it queued.
        """
        if not config.conditional_requests:
            return None
        last = store.latest_run(source_id)
        if last is None or not last.complete or had_import_errors(last.job_id):
            return None
        return CatalogState.from_json(last.catalog_state)
