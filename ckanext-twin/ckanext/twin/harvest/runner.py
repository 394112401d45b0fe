"""A harvest job run in this process, start to end, with progress for the operator.

The queue consumers do the same work in production; this runs the very same stages
(``ckanext.harvest.queue.gather_stage`` and ``fetch_and_import_stages``) one after another,
so ``ckan twin harvest run`` is what a newcomer or a steward uses to see a source work.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob, HarvestObject

from ckanext.twin.harvest import report, store


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    elapsed: float

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def remaining_seconds(self) -> float | None:
        return (self.total - self.done) / self.rate if self.rate else None

    def line(self) -> str:
        left = self.remaining_seconds
        eta = f", about {_duration(left)} left" if left is not None and self.done < self.total \
            else ""
        return (f"imported {self.done}/{self.total} records ({self.rate:.1f} records/s"
                f"{eta})")


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def _finished(job_id: str) -> int:
    """Records through the import stage (not those the gather already refused)."""
    return model.Session.query(HarvestObject.id).filter(
        HarvestObject.harvest_job_id == job_id, HarvestObject.import_started.isnot(None),
        HarvestObject.state.in_(("COMPLETE", "ERROR"))).count()


def run(source_id: str, context: dict[str, Any], say: Callable[[str], None],
        every: float = 1.0) -> dict[str, Any]:
    """Gather, then fetch and import every object, then close the job; its report."""
    source = tk.get_action("harvest_source_show")(dict(context), {"id": source_id})
    harvester = queue.get_harvester(source["source_type"])
    if harvester is None:
        raise tk.ValidationError({"source_type": [
            f"no harvester plugin for source type {source['source_type']!r} is enabled"]})
    job_dict = tk.get_action("harvest_job_create")(dict(context), {
        "source_id": source["id"], "run": False})
    job = HarvestJob.get(job_dict["id"])
    job.status = "Running"
    job.save()
    say(f"gathering {source['url']} ({source['source_type']}) …")
    started = time.monotonic()
    ids = queue.gather_stage(harvester, job)
    ids = ids if isinstance(ids, list) else []
    run_row = store.get_run(job.id)
    total = run_row.queued if run_row else len(ids)  # objects may carry batches of records
    say(f"gathered in {time.monotonic() - started:.1f} s: {total} records to import or "
        "withdraw")
    started = last = time.monotonic()
    for number, object_id in enumerate(ids, 1):
        queue.fetch_and_import_stages(harvester, HarvestObject.get(object_id))
        now = time.monotonic()
        if now - last >= every or number == len(ids):
            say(Progress(_finished(job.id), total, now - started).line())
            last = now
    tk.get_action("harvest_jobs_run")(dict(context), {"source_id": source["id"]})
    return {"source": source["name"], "status": HarvestJob.get(job.id).status,
            **report.job_report(job.id)}
