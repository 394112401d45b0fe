"""``twin_csw``: ckanext-harvest's stages over a partner's OGC CSW catalog (ISO 19139).

gather walks the catalog with ``GetRecords`` in full pages (``harvesters.csw``), reads and
couples the ISO records and maps each dataset, with the services that operate on it, to
DCAT-AP.de (``harvesters.iso``). Everything after the walk — fingerprints (so an unchanged
record is not written again), batches, withdrawals held by the safeguards, the import
through the ``dcatap_de`` profile and the action API — is ``base.PartnerHarvester``'s, as
for the DCAT harvester. Records that cannot be mapped become errored objects naming the
record and the reason; they never stop the run and never withdraw a dataset.
"""
from __future__ import annotations

import datetime
from typing import Any

import ckan.plugins as p
from ckan import model
from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestObjectError

from harvesters.csw.harvest import CswResult, collect

from ckanext.twin.harvest import store
from ckanext.twin.harvest.base import PartnerHarvester
from ckanext.twin.harvest.source_config import SourceConfig


class TwinCSWHarvester(PartnerHarvester, p.SingletonPlugin):
    """Harvests a partner's CSW 2.0.2 catalog of ISO 19139 records (GeoNetwork, pycsw, …)."""

    p.implements(IHarvester)

    protocol = "csw"
    mapping_version = "1"

    def info(self) -> dict[str, str]:
        return {
            "name": "twin_csw",
            "title": "OGC CSW / ISO 19139 (Geodatenkatalog)",
            "description": "Geodatenkatalog eines Partners über OGC CSW 2.0.2 (ISO 19139, "
                           "GDI-DE-Konventionen), abgebildet auf DCAT-AP.de; Dienste werden "
                           "ihren Datensätzen zugeordnet. Konfiguration: "
                           "{\"partner\": \"<id>\"}.",
        }

    def walk(self, source: Any, config: SourceConfig) -> CswResult:
        return collect(source.url, config.limits(), page_size=config.page_size,
                       constraint=config.constraint, max_pages=config.max_pages,
                       max_duration=config.max_duration_s)

    def after_walk(self, walk: CswResult, job: HarvestJob,  # type: ignore[override]
                   previous: dict[str, store.Harvested]) -> tuple[list[str], set[str]]:
        """Refused records become errored objects; their datasets (if any) stay as they were."""
        now = datetime.datetime.utcnow()
        for refusal in walk.refused:
            harvest_object = HarvestObject(guid=refusal.key, job=job, state="ERROR",
                                           report_status="errored", import_finished=now)
            model.Session.add(harvest_object)
            model.Session.add(HarvestObjectError(object=harvest_object, stage="Gather",
                                                 message=refusal.message))
        model.Session.flush()
        return [], set()
