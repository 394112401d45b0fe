"""What one harvest run hands to the next, next to ckanext-harvest's own tables.

ckanext-harvest keeps one *current* harvest object per dataset (its ``guid`` is our record
key, its ``package_id`` the dataset); we add the record's fingerprint as an object extra, so
the next gather can tell an unchanged record without touching the dataset. What belongs to a
run rather than to a dataset — the catalog's paging validators (for conditional requests),
how many records were unchanged, which withdrawals are held and why — is one row of
``twin_harvest_run`` per job.

The DDL is idempotent and applied on first use by each process, like the search table's
(``ckan db clean`` and the test fixtures drop every table they can see).
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from ckan import model

TABLE = "twin_harvest_run"
FINGERPRINT = "twin_fingerprint"  # harvest object extra: the record's fingerprint
WARNINGS = "twin_warnings"  # harvest object extra: JSON list of readable warnings
STATUS = "status"  # harvest object extra, as ckanext-dcat names it: "delete" for withdrawals

_DDL = (
    f"""
    CREATE TABLE IF NOT EXISTS {TABLE} (
      job_id text PRIMARY KEY,
      source_id text NOT NULL,
      created timestamptz NOT NULL DEFAULT now(),
      complete boolean NOT NULL,
      pages integer NOT NULL DEFAULT 0,
      catalog_state text,
      unchanged integer NOT NULL DEFAULT 0,
      queued integer NOT NULL DEFAULT 0,
      duplicates integer NOT NULL DEFAULT 0,
      held_keys jsonb NOT NULL DEFAULT '[]',
      hold_reason text,
      released_at timestamptz,
      released_by text,
      warnings jsonb NOT NULL DEFAULT '[]',
      errors jsonb NOT NULL DEFAULT '[]'
    )
    """,
    f"CREATE INDEX IF NOT EXISTS {TABLE}_source_idx ON {TABLE} (source_id, created)",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS queued integer NOT NULL DEFAULT 0",
)
_ready: set[str] = set()
_lock = threading.Lock()


def ensure_schema() -> None:
    """Create the table unless this process already saw it (cheap after the first call)."""
    engine = model.meta.engine
    key = str(engine.url)
    if key in _ready and sa.inspect(engine).has_table(TABLE):
        return
    with _lock, engine.begin() as connection:
        for statement in _DDL:
            connection.execute(sa.text(statement))
    _ready.add(key)


@dataclass(frozen=True)
class Harvested:
    """A record key's current harvest object: the dataset it made and its fingerprint."""

    object_id: str
    package_id: str | None
    fingerprint: str | None


@dataclass
class Run:
    """One job's row: the walk's verdict and what it leaves to the next run or a steward."""

    job_id: str
    source_id: str
    complete: bool
    pages: int = 0
    catalog_state: str | None = None
    unchanged: int = 0
    queued: int = 0  # records to import plus datasets to withdraw
    duplicates: int = 0
    held_keys: list[str] = field(default_factory=list)
    hold_reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    created: datetime | None = None
    released_at: datetime | None = None
    released_by: str | None = None


def current_objects(source_id: str) -> dict[str, Harvested]:
    """Every record key of the source with its current object (one query, no ORM objects)."""
    rows = model.Session.execute(sa.text("""
        SELECT o.guid, o.id, o.package_id, e.value
        FROM harvest_object o
        LEFT JOIN harvest_object_extra e ON e.harvest_object_id = o.id AND e.key = :key
        WHERE o.harvest_source_id = :source AND o.current"""),
        {"key": FINGERPRINT, "source": source_id})
    return {guid: Harvested(object_id, package_id, fingerprint)
            for guid, object_id, package_id, fingerprint in rows}


@dataclass(frozen=True)
class Known:
    """What the source already has for a record key: its dataset (current or withdrawn)."""

    package_id: str | None
    has_current: bool


def known_keys(source_id: str, keys: list[str]) -> dict[str, Known]:
    """For each of ``keys`` the source has an object for: the dataset it last made (current
    or withdrawn since) and whether an object is current. One query for a whole batch."""
    rows = model.Session.execute(sa.text("""
        SELECT DISTINCT ON (guid) guid, package_id,
               bool_or(current) OVER (PARTITION BY guid) AS has_current
        FROM harvest_object
        WHERE harvest_source_id = :source AND guid = ANY(:keys)
        ORDER BY guid, (package_id IS NOT NULL) DESC, current DESC,
                 import_finished DESC NULLS LAST, gathered DESC"""),
        {"source": source_id, "keys": keys})
    return {guid: Known(package_id, has_current) for guid, package_id, has_current in rows}


def save_run(run: Run) -> None:
    ensure_schema()
    model.Session.execute(sa.text(f"""
        INSERT INTO {TABLE} (job_id, source_id, complete, pages, catalog_state, unchanged,
                             queued, duplicates, held_keys, hold_reason, warnings, errors)
        VALUES (:job_id, :source_id, :complete, :pages, :catalog_state, :unchanged,
                :queued, :duplicates, :held_keys, :hold_reason, :warnings, :errors)
        ON CONFLICT (job_id) DO UPDATE SET complete = excluded.complete,
          pages = excluded.pages, catalog_state = excluded.catalog_state,
          unchanged = excluded.unchanged, queued = excluded.queued,
          duplicates = excluded.duplicates,
          held_keys = excluded.held_keys, hold_reason = excluded.hold_reason,
          warnings = excluded.warnings, errors = excluded.errors"""),
        {"job_id": run.job_id, "source_id": run.source_id, "complete": run.complete,
         "pages": run.pages, "catalog_state": run.catalog_state, "unchanged": run.unchanged,
         "queued": run.queued,
         "duplicates": run.duplicates, "held_keys": json.dumps(run.held_keys),
         "hold_reason": run.hold_reason, "warnings": json.dumps(run.warnings),
         "errors": json.dumps(run.errors)})


def _run(row: Any) -> Run:
    return Run(job_id=row.job_id, source_id=row.source_id, complete=row.complete,
               pages=row.pages, catalog_state=row.catalog_state, unchanged=row.unchanged,
               queued=row.queued,
               duplicates=row.duplicates, held_keys=list(row.held_keys),
               hold_reason=row.hold_reason, warnings=list(row.warnings),
               errors=list(row.errors), created=row.created, released_at=row.released_at,
               released_by=row.released_by)


def get_run(job_id: str) -> Run | None:
    ensure_schema()
    row = model.Session.execute(sa.text(f"SELECT * FROM {TABLE} WHERE job_id = :id"),
                                {"id": job_id}).first()
    return _run(row) if row else None


def latest_run(source_id: str, *, complete: bool | None = None) -> Run | None:
    """The source's newest run (optionally only complete ones: their state is trustworthy)."""
    ensure_schema()
    condition = "" if complete is None else " AND complete = :complete"
    row = model.Session.execute(sa.text(
        f"SELECT * FROM {TABLE} WHERE source_id = :source{condition} "
        "ORDER BY created DESC LIMIT 1"), {"source": source_id, "complete": complete}).first()
    return _run(row) if row else None


def mark_released(job_id: str, user: str) -> None:
    model.Session.execute(sa.text(
        f"UPDATE {TABLE} SET released_at = now(), released_by = :user WHERE job_id = :id"),
        {"id": job_id, "user": user})
