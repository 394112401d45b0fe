"""Withdrawals a run held back, released by a steward who has checked the source.

A held withdrawal leaves the datasets published and their objects current; releasing it
withdraws those of the held records that are still current, i.e. that no later run has
seen again. Only the source's newest run counts: a later run decides afresh.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.harvest.model import HarvestObject

from ckanext.twin.harvest import store


def release(source_id: str, context: dict[str, Any]) -> dict[str, Any]:
    """Withdraw the datasets held by the source's newest run; what was withdrawn."""
    run = store.latest_run(source_id)
    if run is None or not run.held_keys:
        raise tk.ValidationError({"source_id": [
            "the newest harvest job of this source holds no withdrawals"]})
    if run.released_at is not None:
        raise tk.ValidationError({"source_id": [
            f"the held withdrawals were released on {run.released_at:%Y-%m-%d %H:%M} "
            f"by {run.released_by}"]})
    current = store.current_objects(source_id)
    withdrawn = []
    for key in run.held_keys:
        harvested = current.get(key)
        if harvested is None or not harvested.package_id:
            continue
        try:
            tk.get_action("package_delete")(dict(context), {"id": harvested.package_id})
        except tk.ObjectNotFound:
            pass
        model.Session.query(HarvestObject).filter(
            HarvestObject.harvest_source_id == source_id,
            HarvestObject.guid == key).update({"current": False}, synchronize_session=False)
        withdrawn.append(key)
    store.mark_released(run.job_id, context.get("user") or "")
    model.Session.commit()
    return {"job_id": run.job_id, "withdrawn": len(withdrawn), "keys": withdrawn}
