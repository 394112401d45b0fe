"""What every partner harvester shares, whatever protocol its catalog speaks.

A harvester walks its catalog (``walk``) into ``harvesters.dcat.records.Record`` s — key,
canonical N-Triples of the DCAT-AP.de dataset, content hash — plus a verdict on the walk.
From there everything is common, so the DCAT and the CSW harvester behave alike:

- gather compares each record's fingerprint with the current object's and queues only the
  changed ones, in batches (``batches``); unchanged records are not written at all;
- withdrawals are planned by ``harvesters.safeguards`` (held on incomplete, empty or too
  large an answer) and every run leaves its row for the job report (``store``);
- import maps the N-Triples through the ``dcatap_de`` profile, lets the partner registry
  decide owner, contributorID and publisher, adds what the source declares for the access
  policies and writes through the action API (``importer``), touching only datasets this
  source made; ``twin_policy`` decides each write like any other.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar, Protocol

from ckan import model
from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject, \
    HarvestObjectExtra

from harvesters.dcat.records import Record
from harvesters.fetch import redact
from harvesters.safeguards import WithdrawalPlan

from ckanext.twin.harvest import batches, store
from ckanext.twin.harvest.importer import RecordImporter, RecordRefused, refuse
from ckanext.twin.harvest.source_config import SourceConfig, SourceConfigError, parse
from ckanext.twin.logic.partners import registry
from ckanext.twin.partners import Partner, PartnerFileError

log = logging.getLogger(__name__)

_MAX_STORED_WARNINGS = 500


class Walk(Protocol):
    """One walk over a catalog: iterate it once for the records, then read the verdict."""

    errors: list[str]
    warnings: list[str]
    pages: int
    duplicates: int

    @property
    def complete(self) -> bool: ...

    def __iter__(self) -> Iterator[Record]: ...

    def withdrawals(self, previous_keys: Iterable[str], max_share: float) -> WithdrawalPlan: ...


class PartnerHarvester(HarvesterBase):
    """The stages of a partner harvester; subclasses provide ``protocol`` and ``walk``."""

    protocol: ClassVar[str]  # which source configuration keys apply (source_config)
    mapping_version: ClassVar[str]  # bump when the mapping changes what a record becomes

    # -- what a subclass provides -----------------------------------------------------------

    def walk(self, source: Any, config: SourceConfig) -> Walk:
        raise NotImplementedError

    def after_walk(self, walk: Walk, job: HarvestJob,
                   previous: dict[str, store.Harvested]) -> tuple[list[str], set[str]]:
        """Protocol-specific verdicts: (more gather errors, keys the walk saw but did not
        yield and that are still unchanged)."""
        return [], set()

    def catalog_state(self, walk: Walk) -> str | None:
        """What the next run needs of this walk (stored with the run)."""
        return None

    # -- configuration ------------------------------------------------------------------

    def validate_config(self, config: str | None) -> str:
        try:
            parse(config, registry(), self.protocol)
        except PartnerFileError as error:
            raise ValueError(f"the partner registry cannot be read: {error}") from error
        return config or ""

    def _source(self, source: Any) -> tuple[SourceConfig, Partner, dict[str, Partner]]:
        partners = registry()
        config = parse(source.config, partners, self.protocol)
        return config, partners[config.partner], partners

    def fingerprint(self, record: Record, config_fingerprint: str) -> str:
        """Changes when the record, the registry's decisions for it or the mapping change."""
        text = f"{self.mapping_version}\n{config_fingerprint}\n{record.content_hash}"
        return hashlib.sha256(text.encode()).hexdigest()

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
        walk = self.walk(source, config)
        base = config.fingerprint(partner)
        queued = batches.BatchWriter(harvest_job, config.import_batch_size)
        unchanged: set[str] = set()
        for record in walk:
            mark = self.fingerprint(record, base)
            known = previous.get(record.key)
            if known is not None and known.fingerprint == mark:
                unchanged.add(record.key)
                queued.drop(record.key)  # an older duplicate queued before
                continue
            unchanged.discard(record.key)
            queued.put(record, mark)
        errors, still = self.after_walk(walk, harvest_job, previous)
        unchanged |= still
        ids = queued.ids()
        to_import = len(queued)

        plan = walk.withdrawals(previous, config.max_withdrawal_share)
        for key in sorted(plan.withdraw):
            withdrawal = HarvestObject(guid=key, job=harvest_job,
                                       package_id=previous[key].package_id,
                                       extras=[HarvestObjectExtra(key=store.STATUS,
                                                                  value="delete")])
            model.Session.add(withdrawal)
            model.Session.flush()
            ids.append(withdrawal.id)

        errors = list(walk.errors) + errors
        for message in errors:
            model.Session.add(HarvestGatherError(message=message, job=harvest_job))
        if plan.held:
            model.Session.add(HarvestGatherError(job=harvest_job, message=(
                f"{len(plan.held)} withdrawals held for a steward: {plan.reason}. The datasets "
                "stay published until a steward releases the withdrawals (ckan twin harvest "
                f"release {source.id}, or the action twin_harvest_withdrawals_release).")))
        store.save_run(store.Run(
            job_id=harvest_job.id, source_id=source.id, complete=walk.complete and not errors,
            pages=walk.pages, catalog_state=self.catalog_state(walk),
            unchanged=len(unchanged), queued=to_import + len(plan.withdraw),
            duplicates=walk.duplicates,
            held_keys=sorted(plan.held), hold_reason=plan.reason,
            warnings=walk.warnings[:_MAX_STORED_WARNINGS], errors=errors))
        model.Session.commit()
        log.info("%s gather %s: %d pages, %d to import, %d unchanged, %d to withdraw, "
                 "%d held", self.info()["name"], redact(source.url), walk.pages, to_import,
                 len(unchanged), len(plan.withdraw), len(plan.held))
        return ids

    # -- fetch --------------------------------------------------------------------------

    def fetch_stage(self, harvest_object: HarvestObject) -> bool:
        return True  # the records came with the object

    # -- import -------------------------------------------------------------------------

    def import_stage(self, harvest_object: HarvestObject) -> bool | str:
        """Import the leader's batch: the other records first, each into an object of its
        own, then the leader's record into the leader (the stock stages finish it)."""
        importer = self._importer(harvest_object)
        if isinstance(importer, str):
            return self._fail(harvest_object, importer)
        if _extra(harvest_object, store.STATUS) == "delete":
            importer.withdraw(harvest_object)
            return True
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


def had_import_errors(job_id: str) -> bool:
    return model.Session.query(HarvestObject.id).filter(
        HarvestObject.harvest_job_id == job_id, HarvestObject.state == "ERROR").first() \
        is not None
