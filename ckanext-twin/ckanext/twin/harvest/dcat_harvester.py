"""``twin_dcat``: ckanext-harvest's stages over the harvesting core in ``harvesters.dcat``.

- gather walks the catalog once (``harvesters.dcat.harvest.collect``), page by page, and
  creates a harvest object only for records whose fingerprint differs from the current
  object's: an unchanged dataset is not fetched, imported or written at all. Records that
  are gone become withdrawal objects, unless ``harvesters.safeguards`` holds them for a
  steward (incomplete walk, empty catalog, error page, too large a share);
- fetch has nothing to do: the record travelled in the object;
- import maps the record through the ``dcatap_de`` profile, lets the partner registry decide
  owner, contributorID and publisher, passes the policy seam and writes through the action
  API. It only ever touches datasets this source made (keyed by source and record key).
"""
from __future__ import annotations

import hashlib
import json
import logging
import uuid
from typing import Any

import ckan.plugins as p
import sqlalchemy as sa
import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject, \
    HarvestObjectExtra

from harvesters.dcat.harvest import CatalogState, collect
from harvesters.dcat.records import Record
from harvesters.fetch import redact

from ckanext.twin import policy
from ckanext.twin.harvest import identity, mapping, store
from ckanext.twin.harvest.source_config import SourceConfig, SourceConfigError, parse
from ckanext.twin.logic.partners import registry
from ckanext.twin.partners import Partner, PartnerFileError

log = logging.getLogger(__name__)

# Bump when the mapping changes what a record becomes: every record is then imported again.
MAPPING_VERSION = "1"
_FLUSH_EVERY = 200
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
        queued = _Queue(harvest_job)
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
            unchanged=len(unchanged), duplicates=result.duplicates,
            held_keys=sorted(plan.held), hold_reason=plan.reason,
            warnings=result.warnings[:_MAX_STORED_WARNINGS], errors=errors))
        model.Session.commit()
        log.info("twin_dcat gather %s: %d pages, %d to import, %d unchanged, %d to withdraw, "
                 "%d held", redact(source.url), result.pages, len(ids), len(unchanged),
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
        key = harvest_object.guid
        if _extra(harvest_object, store.STATUS) == "delete":
            return self._withdraw(harvest_object)
        try:
            config, partner, partners = self._source(harvest_object.source)
        except (SourceConfigError, PartnerFileError) as error:
            return self._fail(harvest_object, f"source configuration: {error}")
        try:
            dataset = mapping.to_dataset(harvest_object.content or "")
        except mapping.RecordError as error:
            return self._fail(harvest_object, str(error))
        warnings = identity.apply_partner(dataset, partner, partners.values())
        if not dataset.get("license_id"):
            dataset["license_id"] = config.default_license
            warnings.append(f"no licence URI on the dataset or its distributions; recorded "
                            f"as {config.default_license} (source setting default_license)")
        dataset = policy.admit(dataset, partner)
        context: dict[str, Any] = {"user": self._get_user_name(), "ignore_auth": True,
                                   "return_id_only": True, "twin_vocabulary_warnings": []}
        package_id = store.last_package_id(harvest_object.harvest_source_id, key)
        existing = model.Package.get(package_id) if package_id else None
        package_id = existing.id if existing is not None else str(uuid.uuid4())
        # The object is linked first: indexing reads the dataset's source from it.
        self._make_current(harvest_object, package_id)
        model.Session.execute(sa.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED"))
        model.Session.flush()
        try:
            if existing is not None:
                self._prepare_update(dataset, existing)
                tk.get_action("package_update")(context, dataset)
            else:
                dataset["id"] = package_id
                dataset["name"] = identity.dataset_name(dataset.get("title"),
                                                        harvest_object.harvest_source_id, key)
                tk.get_action("package_create")(context, dataset)
        except tk.ValidationError as error:
            model.Session.rollback()
            return self._fail(harvest_object, _validation_message(error))
        warnings += context["twin_vocabulary_warnings"]
        if warnings:
            harvest_object.extras.append(HarvestObjectExtra(
                key=store.WARNINGS, value=json.dumps(list(dict.fromkeys(warnings)))))
        harvest_object.add()
        model.Session.commit()
        return True

    def _prepare_update(self, dataset: dict[str, Any], existing: model.Package) -> None:
        """Keep the dataset's id and name, its resources' ids (matched by URI), revive it."""
        dataset["id"], dataset["name"], dataset["state"] = existing.id, existing.name, "active"
        by_uri = {}
        for resource in existing.resources:
            uri = resource.extras.get("uri")
            if uri:
                by_uri[uri] = resource.id
        for resource in dataset.get("resources", []):
            if resource.get("uri") in by_uri:
                resource["id"] = by_uri[resource["uri"]]

    def _make_current(self, harvest_object: HarvestObject, package_id: str) -> None:
        model.Session.query(HarvestObject).filter(
            HarvestObject.harvest_source_id == harvest_object.harvest_source_id,
            HarvestObject.guid == harvest_object.guid,
            HarvestObject.id != harvest_object.id,
            HarvestObject.current.is_(True)).update({"current": False},
                                                    synchronize_session=False)
        harvest_object.package_id = package_id
        harvest_object.current = True

    def _withdraw(self, harvest_object: HarvestObject) -> bool:
        """Withdraw (delete) a dataset this source made and no longer lists."""
        context = {"user": self._get_user_name(), "ignore_auth": True}
        try:
            tk.get_action("package_delete")(context, {"id": harvest_object.package_id})
        except tk.ObjectNotFound:
            log.info("dataset %s of record %s is gone already", harvest_object.package_id,
                     harvest_object.guid)
        model.Session.query(HarvestObject).filter(
            HarvestObject.harvest_source_id == harvest_object.harvest_source_id,
            HarvestObject.guid == harvest_object.guid).update({"current": False},
                                                              synchronize_session=False)
        harvest_object.current = False
        harvest_object.add()
        model.Session.commit()
        return True

    def _fail(self, harvest_object: HarvestObject, message: str) -> bool:
        self._save_object_error(f"record {harvest_object.guid}: {message}", harvest_object,
                                "Import")
        return False


class _Queue:
    """The harvest objects a gather creates, written in batches and then let go of.

    Only object ids stay in memory, so a gather's memory does not grow with the catalog's
    size. A key put again (a newer duplicate) replaces the record of the object queued before.
    """

    def __init__(self, job: HarvestJob) -> None:
        self.job = job
        self._ids: dict[str, str] = {}  # record key -> object id, once written
        self._batch: dict[str, HarvestObject] = {}

    def put(self, record: Record, mark: str) -> None:
        obj = self._batch.get(record.key)
        if obj is None and record.key in self._ids:
            obj = model.Session.get(HarvestObject, self._ids[record.key])
        if obj is None:
            obj = HarvestObject(guid=record.key, job=self.job)
            model.Session.add(obj)
        obj.content = record.ntriples
        obj.extras = [HarvestObjectExtra(key=store.FINGERPRINT, value=mark)]
        self._batch[record.key] = obj
        if len(self._batch) >= _FLUSH_EVERY:
            self._write()

    def drop(self, key: str) -> None:
        obj = self._batch.pop(key, None)
        if obj is not None:
            model.Session.expunge(obj)
        if key in self._ids:  # its extras go with it (delete-orphan)
            model.Session.delete(model.Session.get(HarvestObject, self._ids.pop(key)))

    def ids(self) -> list[str]:
        self._write()
        return list(self._ids.values())

    def _write(self) -> None:
        model.Session.flush()
        for key, obj in self._batch.items():
            self._ids[key] = obj.id
            model.Session.expunge(obj)  # and its extras (cascade)
        self._batch.clear()


def _validation_message(error: tk.ValidationError) -> str:
    summary = error.error_summary or {}
    details = "; ".join(f"{field}: {text}" for field, text in summary.items())
    return f"CKAN refused the dataset: {details or error.error_dict}"


def _extra(harvest_object: HarvestObject, key: str) -> str | None:
    return next((e.value for e in harvest_object.extras if e.key == key), None)


def _had_import_errors(job_id: str) -> bool:
    return model.Session.query(HarvestObject.id).filter(
        HarvestObject.harvest_job_id == job_id, HarvestObject.state == "ERROR").first() \
        is not None
