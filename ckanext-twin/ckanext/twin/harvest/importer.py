"""One harvested record into CKAN: mapped, decided by the registry, admitted, written.

Each record is written by the action API in its own transaction (``package_create`` /
``package_update`` commit, and roll the whole session back when they refuse a dataset), so
a refused record takes nothing else with it. The record's harvest object is linked to its
dataset *before* the write: indexing reads the dataset's source from it.
"""
from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckanext.harvest.model import HarvestObject, HarvestObjectError, HarvestObjectExtra

from ckanext.twin.harvest import identity, mapping, store
from ckanext.twin.harvest.source_config import SourceConfig
from ckanext.twin.partners import Partner


class RecordRefused(Exception):
    """The record did not become a dataset; the message says why (without the identifier)."""


@dataclass
class RecordImporter:
    """Imports the records of one source, as ``user``, under the registry's ``partner``."""

    source_id: str
    config: SourceConfig
    partner: Partner
    partners: dict[str, Partner]
    user: str

    def import_record(self, harvest_object: HarvestObject, ntriples: str, fingerprint: str,
                      known: store.Known | None, finish: bool = False) -> str:
        """Write the record; "added" or "updated", or :class:`RecordRefused`.

        ``known``: what the source has for the key (``store.known_keys``). ``finish``: also
        complete the object as the stock stages would, in the same commit. Commits on
        success; on refusal the session is rolled back (the object included).
        """
        try:
            dataset = mapping.to_dataset(ntriples)
        except mapping.RecordError as error:
            raise RecordRefused(str(error)) from error
        warnings = identity.apply_partner(dataset, self.partner, self.partners.values())
        if not dataset.get("license_id"):
            dataset["license_id"] = self.config.default_license
            warnings.append(f"no licence URI on the dataset or its distributions; recorded "
                            f"as {self.config.default_license} (source setting "
                            "default_license)")
        if self.config.personal_data is not None:
            dataset["personal_data"] = str(self.config.personal_data).lower()
        if self.config.classification is not None:
            dataset["classification"] = self.config.classification
        context: dict[str, Any] = {"user": self.user, "ignore_auth": True,
                                   "return_id_only": True, "twin_vocabulary_warnings": []}
        existing = model.Package.get(known.package_id) if known and known.package_id else None
        package_id = existing.id if existing is not None else str(uuid.uuid4())
        if known is not None and known.has_current:
            _not_current(self.source_id, harvest_object.guid, keep=harvest_object.id)
        harvest_object.package_id, harvest_object.current = package_id, True
        harvest_object.extras = [HarvestObjectExtra(key=store.FINGERPRINT, value=fingerprint)]
        status = "updated" if existing is not None else "added"
        if finish:  # written by the action's own commit
            harvest_object.state, harvest_object.report_status = "COMPLETE", status
            harvest_object.import_finished = datetime.datetime.utcnow()
        model.Session.execute(sa.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED"))
        model.Session.flush()
        try:
            if existing is not None:
                _prepare_update(dataset, existing)
                tk.get_action("package_update")(context, dataset)
            else:
                dataset["id"] = package_id
                dataset["name"] = identity.dataset_name(dataset.get("title"), self.source_id,
                                                        harvest_object.guid)
                tk.get_action("package_create")(context, dataset)
        except tk.ValidationError as error:
            model.Session.rollback()
            raise RecordRefused(_validation_message(error)) from error
        warnings += context["twin_vocabulary_warnings"]
        if warnings:
            harvest_object.extras.append(HarvestObjectExtra(
                key=store.WARNINGS, value=json.dumps(list(dict.fromkeys(warnings)))))
            model.Session.commit()
        return status

    def import_follower(self, leader: HarvestObject, key: str, ntriples: str,
                        fingerprint: str, known: store.Known | None) -> None:
        """A record of the leader's batch, into a harvest object of its own, finished as the
        stock stages finish one (state, report status, times)."""
        started = datetime.datetime.utcnow()
        harvest_object = HarvestObject(guid=key, job=leader.job, content=ntriples,
                                       state="IMPORT", fetch_started=started,
                                       fetch_finished=started, import_started=started)
        model.Session.add(harvest_object)
        try:
            self.import_record(harvest_object, ntriples, fingerprint, known, finish=True)
        except RecordRefused as refused:
            harvest_object = HarvestObject(guid=key, job=leader.job, content=ntriples,
                                           fetch_started=started, fetch_finished=started,
                                           import_started=started, state="ERROR",
                                           report_status="errored",
                                           import_finished=datetime.datetime.utcnow())
            model.Session.add(harvest_object)
            refuse(harvest_object, str(refused))
            model.Session.commit()

    def withdraw(self, harvest_object: HarvestObject) -> None:
        """Withdraw (delete) a dataset this source made and no longer lists."""
        try:
            tk.get_action("package_delete")({"user": self.user, "ignore_auth": True},
                                            {"id": harvest_object.package_id})
        except tk.ObjectNotFound:
            pass  # deleted by hand meanwhile: withdrawn all the same
        _not_current(self.source_id, harvest_object.guid)
        harvest_object.current = False
        model.Session.add(harvest_object)
        model.Session.commit()


def refuse(harvest_object: HarvestObject, message: str) -> None:
    """Store why the record was refused, named by its identifier (not committed)."""
    model.Session.add(HarvestObjectError(object=harvest_object, stage="Import",
                                         message=f"record {harvest_object.guid}: {message}"))


def _not_current(source_id: str, key: str, keep: str | None = None) -> None:
    query = model.Session.query(HarvestObject).filter(
        HarvestObject.harvest_source_id == source_id, HarvestObject.guid == key,
        HarvestObject.current.is_(True))
    if keep is not None:
        query = query.filter(HarvestObject.id != keep)
    query.update({"current": False}, synchronize_session=False)


def _prepare_update(dataset: dict[str, Any], existing: model.Package) -> None:
    """Keep the dataset's id and name, its resources' ids (matched by URI), revive it."""
    dataset["id"], dataset["name"], dataset["state"] = existing.id, existing.name, "active"
    by_uri = {r.extras.get("uri"): r.id for r in existing.resources if r.extras.get("uri")}
    for resource in dataset.get("resources", []):
        if resource.get("uri") in by_uri:
            resource["id"] = by_uri[resource["uri"]]


def _validation_message(error: tk.ValidationError) -> str:
    summary = error.error_summary or {}
    details = "; ".join(f"{field}: {text}" for field, text in summary.items())
    return f"CKAN refused the dataset: {details or error.error_dict}"
