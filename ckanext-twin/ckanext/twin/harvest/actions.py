"""Harvest actions of the portal (IActions of ``twin_harvest``); auth in ``auth.py``."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckanext.harvest.model import HarvestJob

from ckanext.twin.harvest import report, store, withdrawals


@tk.side_effect_free
def twin_harvest_job_report(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """What one harvest job did: added, updated, unchanged, withdrawn, held, errored.

    :param id: the job's id; or ``source_id`` for the source's newest job
    :returns: the six counts, ``pending`` (objects not yet imported), ``complete`` (the walk
        read the whole catalog), ``needs_steward`` with ``hold_reason`` and ``held_keys``,
        ``errors`` (each naming the record) and ``warnings``
    """
    job_id = data_dict.get("id")
    if not job_id:
        source_id = tk.get_or_bust(data_dict, "source_id")
        source = tk.get_action("harvest_source_show")(dict(context), {"id": source_id})
        run = store.latest_run(source["id"])
        if run is None:
            raise tk.ObjectNotFound("this source has no harvest job with a report yet")
        job_id = run.job_id
    job = HarvestJob.get(job_id)
    if job is None:
        raise tk.ObjectNotFound(f"harvest job {job_id} not found")
    tk.check_access("twin_harvest_job_report", context, {"id": job.id,
                                                         "source_id": job.source_id})
    return {"source_id": job.source_id, "status": job.status, **report.job_report(job.id)}


def twin_harvest_withdrawals_release(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Release the withdrawals the source's newest job held back for a steward.

    :param source_id: the harvest source's id or name
    :returns: ``job_id``, ``withdrawn`` (how many datasets) and ``keys`` (their records)
    """
    source_id = tk.get_or_bust(data_dict, "source_id")
    source = tk.get_action("harvest_source_show")(dict(context), {"id": source_id})
    tk.check_access("twin_harvest_withdrawals_release", context, {"source_id": source["id"]})
    return withdrawals.release(source["id"], context)


def get_actions() -> dict[str, Any]:
    return {"twin_harvest_job_report": twin_harvest_job_report,
            "twin_harvest_withdrawals_release": twin_harvest_withdrawals_release}
