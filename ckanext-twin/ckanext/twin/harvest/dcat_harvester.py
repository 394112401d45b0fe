"""``twin_dcat``: ckanext-harvest's stages over the harvesting core in ``harvesters.dcat``.

- gather walks the catalog once (``harvesters.dcat.harvest.collect``), page by page, and
  creates a harvest object only for records whose fingerprint differs from the current
  object's: an unchanged dataset is not fetched, imported or written at all. Records that
  are gone become withdrawal objects, unless ``harvesters.safeguards`` holds them for a
  steward (incomplete walk, empty catalog, error page, too large a share);
  Changed records travel in batches (``batches``): one leader object per batch;
- fetch has nothing to do: the records travelled in the object;
- import (``importer``) maps each record through the ``dcatap_de`` profile, lets the
  partner registry decide owner, contributorID and publisher, passes the policy seam and
  writes through the action API. It only ever touches datasets this source made (keyed by
  source and record key).
"""
from __future__ import annotations

import hashlib
import logging
from typing import Any

import ckan.plugins as p
from ckan import model
from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject, \
    HarvestObjectExtra

from harvesters.dcat.harvest import CatalogState, collect
from harvesters.dcat.records import Record
from harvesters.fetch import redact

from ckanext.twin.harvest import batches, store
from ckanext.twin.harvest.importer import RecordImporter, RecordRefused, refuse
from ckanext.twin.harvest.source_config import SourceConfig, SourceConfigError, parse
from ckanext.twin.logic.partners import registry
from ckanext.twin.partners import Partner, PartnerFileError

log = logging.getLogger(__name__)

# Bump when the mapping changes what a record becomes: every record is then imported again.
MAPPING_VERSION = "1"
_MAX_STORED_WARNINGS = 500


def fingerprint(record: Record, config_fingerprint: str) -> str:
    """Changes when the record, the registry's decisions for it or the mapping change."""
    text = f"{MAPPING_VERSION}\n{config_fingerprint}\n{record.content_hash}"
    return hashlib.sha256(text.encode()).hexdigest()


class TwinDCATHarvester(HarvesterBase, p.SingletonPlugin):
    """Harvests a partner's DCAT-AP.de catalog (RDF/XML, Turtle, JSON-LD, N-Triples)."""

    p.implements(IHarvester)

    def info(self) -> dict[str, str]:
        return {
            "name": "twin_dcat",
            "title": "DCAT-AP.de (Partnerkatalog)",
            "description": "Katalog eines Partners im Format DCAT-AP.de (RDF), mit "
                           "Seitenweise-Abruf, bedingten Anfragen und zurückgehaltenen "
                           "Rücknahmen. Konfiguration: {\"partner\": \"<id>\"}.",
        }

    # -- configuration ------------------------------------------------------------------

    def validate_config(self, config: str | None) -> str:
        try:
            parse(config, registry())
        except PartnerFileError as error:
            raise ValueError(f"the partner registry cannot be read: {error}") from error
        return config or ""

    def _source(self, source: Any) -> tuple[SourceConfig, Partner, dict[str, Partner]]:
        partners = registry()
        config = parse(source.config, partners)
        return config, partners[config.partner], partners

    # -- gather -------------------------------------------------------------------------

    def gather_stage(self, harvest_job: HarvestJob) -> list[str] | None:
        source = harvest_job.source
        try:
            config, partner, _ = self._source(source)
        except (SourceConfigError, PartnerFileError) as error:
            self._save_gather_error(f"source configuration: {error}", harvest_job)
            return None
        store.ensure_schema()
        previous = store.current_objects(source.id)
        result = collect(source.url, config.limits(), self._catalog_state(source.id, config),
                         max_pages=config.max_pages, max_duration=config.max_duration_s)
        base = config.fingerprint(partner)
        queued = batches.BatchWriter(harvest_job, config.import_batch_size)
        unchanged: set[str] = set()
        for record in result:
            mark = fingerprint(record, base)
            known = previous.get(record.key)
            if known is not None and known.fingerprint == mark:
                unchanged.add(record.key)
                queued.drop(record.key)  # an older duplicate queued before
                continue
            unchanged.discard(record.key)
            queued.put(record, mark)
        unchanged |= {key for key in result.unchanged_keys if key in previous}
        lost = result.unchanged_keys - set(previous)
        ids = queued.ids()
        to_import = len(queued)

        plan = result.withdrawals(previous, config.max_withdrawal_share)
        for key in sorted(plan.withdraw):
            withdrawal = HarvestObject(guid=key, job=harvest_job,
                                       package_id=previous[key].package_id,
                                       extras=[HarvestObjectExtra(key=store.STATUS,
                                                                  value="delete")])
            model.Session.add(withdrawal)
            model.Session.flush()
            ids.append(withdrawal.id)

        errors = list(result.errors)
        if lost:
            errors.append(f"{len(lost)} records on pages that answered 304 were never "
                          "imported; the next run asks without conditional requests")
        for message in errors:
            model.Session.add(HarvestGatherError(message=message, job=harvest_job))
        if plan.held:
            model.Session.add(HarvestGatherError(job=harvest_job, message=(
                f"{len(plan.held)} withdrawals held for a steward: {plan.reason}. The datasets "
                "stay published until a steward releases the withdrawals (ckan twin harvest "
                f"release {source.id}, or the action twin_harvest_withdrawals_release).")))
        store.save_run(store.Run(
            job_id=harvest_job.id, source_id=source.id, complete=result.complete and not lost,
            pages=result.pages, catalog_state=result.state.to_json(),
            unchanged=len(unchanged), queued=to_import + len(plan.withdraw),
            duplicates=result.duplicates,
            held_keys=sorted(plan.held), hold_reason=plan.reason,
            warnings=result.warnings[:_MAX_STORED_WARNINGS], errors=errors))
        model.Session.commit()
        log.info("twin_dcat gather %s: %d pages, %d to import, %d unchanged, %d to withdraw, "
                 "%d held", redact(source.url), result.pages, to_import, len(unchanged),
                 len(plan.withdraw), len(plan.held))
        return ids

    def _catalog_state(self, source_id: str, config: SourceConfig) -> CatalogState | None:
        """The previous run's page validators, if that run can be trusted to stand.

        A 304 page is taken to hold what the previous run saw; that is only true when the
        previous run read everything and imported every record it queued.
        """
        if not config.conditional_requests:
            return None
        last = store.latest_run(source_id)
        if last is None or not last.complete or _had_import_errors(last.job_id):
            return None
        return CatalogState.from_json(last.catalog_state)

    # -- fetch --------------------------------------------------------------------------

    def fetch_stage(self, harvest_object: HarvestObject) -> bool:
        return True  # the record came with the object

    # -- import -------------------------------------------------------------------------

    def import_stage(self, harvest_object: HarvestObject) -> bool | str:
        """Import the leader's batch: the other records first, each into an object of its
        own, then the leader's record into the leader (the stock stages finish it)."""
        if _extra(harvest_object, store.STATUS) == "delete":
            importer = self._importer(harvest_object)
            if isinstance(importer, str):
                return self._fail(harvest_object, importer)
            importer.withdraw(harvest_object)
            return True
        importer = self._importer(harvest_object)
        if isinstance(importer, str):
            return self._fail(harvest_object, importer)
        leader, *followers = batches.loads(harvest_object.content)
        known = store.known_keys(harvest_object.harvest_source_id,
                                 [harvest_object.guid] + [entry.key for entry in followers])
        for entry in followers:
            if entry.ntriples is not None:
                importer.import_follower(harvest_object, entry.key, entry.ntriples,
                                         entry.fingerprint, known.get(entry.key))
        harvest_object.content = leader.ntriples  # the leader keeps only its own record
        if leader.ntriples is None:
            return "unchanged"  # its newer duplicate was unchanged
        try:
            importer.import_record(harvest_object, leader.ntriples, leader.fingerprint,
                                   known.get(harvest_object.guid))
        except RecordRefused as refused:
            return self._fail(harvest_object, str(refused))
        return True

    def _importer(self, harvest_object: HarvestObject) -> RecordImporter | str:
        try:
            config, partner, partners = self._source(harvest_object.source)
        except (SourceConfigError, PartnerFileError) as error:
            return f"source configuration: {error}"
        return RecordImporter(harvest_object.harvest_source_id, config, partner, partners,
                              self._get_user_name())

    def _fail(self, harvest_object: HarvestObject, message: str) -> bool:
        refuse(harvest_object, message)
        model.Session.commit()
        return False


def _extra(harvest_object: HarvestObject, key: str) -> str | None:
    if harvest_object.content is not None:  # withdrawals carry no content: skip the query
        return None
    return next((e.value for e in harvest_object.extras if e.key == key), None)


def _had_import_errors(job_id: str) -> bool:
    return model.Session.query(HarvestObject.id).filter(
        HarvestObject.harvest_job_id == job_id, HarvestObject.state == "ERROR").first() \
        is not None
