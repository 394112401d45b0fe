"""A harvest job in the six numbers the stewards asked for, with the reasons behind them.

ckanext-harvest counts only what went through its objects (added, updated, errored,
deleted). Unchanged records never become objects here, and held withdrawals are a decision
of the gather stage, so both come from the run's row; the rest from the objects.
"""
from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckanext.harvest.model import HarvestGatherError, HarvestObject, HarvestObjectError, \
    HarvestObjectExtra

from ckanext.twin.harvest import store

_STATUS = {"added": "added", "updated": "updated", "deleted": "withdrawn",
           "errored": "errored"}
_MAX_LISTED = 200


def job_report(job_id: str) -> dict[str, Any]:
    """Counts, hold, errors (with record identifiers) and warnings of one job."""
    run = store.get_run(job_id)
    counts = {"added": 0, "updated": 0, "unchanged": run.unchanged if run else 0,
              "withdrawn": 0, "held": len(run.held_keys) if run else 0, "errored": 0}
    rows = model.Session.query(HarvestObject.report_status, sa.func.count()).filter(
        HarvestObject.harvest_job_id == job_id).group_by(HarvestObject.report_status)
    pending = 0
    for status, number in rows:
        if status in _STATUS:
            counts[_STATUS[status]] += number
        elif status is None:
            pending += number
    errors = [f"{message}" for (message,) in model.Session.query(HarvestGatherError.message)
              .filter(HarvestGatherError.harvest_job_id == job_id)]
    errors += [message for (message,) in model.Session.query(HarvestObjectError.message)
               .join(HarvestObject, HarvestObject.id == HarvestObjectError.harvest_object_id)
               .filter(HarvestObject.harvest_job_id == job_id).limit(_MAX_LISTED)]
    warnings = list(run.warnings) if run else []
    for guid, value in model.Session.query(HarvestObject.guid, HarvestObjectExtra.value).join(
            HarvestObjectExtra, HarvestObjectExtra.harvest_object_id == HarvestObject.id).filter(
            HarvestObject.harvest_job_id == job_id,
            HarvestObjectExtra.key == store.WARNINGS).limit(_MAX_LISTED):
        warnings += [f"record {guid}: {text}" for text in json.loads(value)]
    return {
        "job_id": job_id,
        **counts,
        "pending": pending,
        "complete": run.complete if run else None,
        "pages": run.pages if run else 0,
        "duplicates": run.duplicates if run else 0,
        "needs_steward": bool(run and run.held_keys and not run.released_at),
        "hold_reason": run.hold_reason if run else None,
        "held_keys": (run.held_keys if run else [])[:_MAX_LISTED],
        "released_at": run.released_at.isoformat() if run and run.released_at else None,
        "released_by": run.released_by if run else None,
        "errors": errors,
        "warnings": list(dict.fromkeys(warnings)),
    }
