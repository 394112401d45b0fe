"""Policy versions and decisions in PostgreSQL.

Every applied policy is kept as a numbered version per municipality, and every decision per
(dataset, platform, policy version, metadata hash) with its outcome, the rules that decided
it and the values they looked at: the answer to "why is this dataset (not) on platform Y?"
outlives the next change. Exactly one decision per (dataset, platform) is ``current``;
labels, visibility and the pages read that one.

The tables are created on first use in the caller's transaction (like the search table,
they come back after ``ckan db clean`` and the test fixtures that drop every table), so a
decision is written in the same commit as the dataset it is about.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ckanext.twin import tables

VERSIONS = "twin_policy_version"
DECISIONS = "twin_policy_decision"
NO_POLICY = 0  # the version recorded for decisions taken without any policy (all denied)

_DDL = (
    f"""
    CREATE TABLE IF NOT EXISTS {VERSIONS} (
      municipality text NOT NULL,
      version integer NOT NULL,
      digest text NOT NULL,
      document jsonb NOT NULL,
      text text NOT NULL,
      source text NOT NULL,
      applied_by text,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (municipality, version)
    )
    """,
    f"""
    CREATE TABLE IF NOT EXISTS {DECISIONS} (
      package_id text NOT NULL,
      platform text NOT NULL,
      municipality text,
      policy_version integer NOT NULL,
      metadata_hash text NOT NULL,
      admitted boolean NOT NULL,
      reason text NOT NULL,
      rules text[] NOT NULL,
      "values" jsonb NOT NULL,
      unmet jsonb NOT NULL,
      notes text[] NOT NULL,
      recheck_on date,
      current boolean NOT NULL,
      decided_at timestamptz NOT NULL,
      PRIMARY KEY (package_id, platform, policy_version, metadata_hash)
    )
    """,
    f"""CREATE UNIQUE INDEX IF NOT EXISTS {DECISIONS}_current_idx
        ON {DECISIONS} (package_id, platform) WHERE current""",
    f"""CREATE INDEX IF NOT EXISTS {DECISIONS}_recheck_idx
        ON {DECISIONS} (recheck_on) WHERE current AND recheck_on IS NOT NULL""",
    f"""CREATE INDEX IF NOT EXISTS {DECISIONS}_municipality_idx
        ON {DECISIONS} (municipality, platform) WHERE current""",
)


def ensure(conn: Any) -> None:
    """Create the tables if they are missing (cheap when they exist)."""
    tables.ensure(conn, (VERSIONS, DECISIONS), _DDL)


@dataclass(frozen=True)
class StoredPolicy:
    """One applied version of a municipality's policy."""

    municipality: str
    version: int
    digest: str
    document: dict[str, Any]
    text: str
    source: str
    applied_by: str | None
    applied_at: datetime


def latest_versions(conn: Any) -> dict[str, StoredPolicy]:
    """The policy in force for each municipality that has one."""
    ensure(conn)
    rows = conn.execute(sa.text(f"""
        SELECT DISTINCT ON (municipality) municipality, version, digest, document, text,
               source, applied_by, applied_at
          FROM {VERSIONS} ORDER BY municipality, version DESC""")).mappings()
    return {row["municipality"]: StoredPolicy(**row) for row in rows}


def versions_of(conn: Any, municipality: str) -> list[StoredPolicy]:
    """Every version of one municipality's policy, newest first."""
    ensure(conn)
    rows = conn.execute(sa.text(f"""
        SELECT municipality, version, digest, document, text, source, applied_by, applied_at
          FROM {VERSIONS} WHERE municipality = :m ORDER BY version DESC"""),
                        {"m": municipality}).mappings()
    return [StoredPolicy(**row) for row in rows]


def add_version(conn: Any, municipality: str, digest: str, document: dict[str, Any],
                text: str, source: str, applied_by: str | None) -> int:
    """Store the next version number of the municipality's policy and return it."""
    ensure(conn)
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:m))"),
                 {"m": f"{VERSIONS}:{municipality}"})
    return conn.execute(sa.text(f"""
        INSERT INTO {VERSIONS} (municipality, version, digest, document, text, source,
                                applied_by)
        SELECT :m, coalesce(max(version), 0) + 1, :digest, CAST(:document AS jsonb), :text,
               :source, :by
          FROM {VERSIONS} WHERE municipality = :m
        RETURNING version"""), {"m": municipality, "digest": digest,
                                "document": json.dumps(document), "text": text,
                                "source": source, "by": applied_by}).scalar_one()


@dataclass(frozen=True)
class DecisionRow:
    """A decision as stored: what was decided, under which policy, on which inputs."""

    package_id: str
    platform: str
    municipality: str | None
    policy_version: int
    metadata_hash: str
    admitted: bool
    reason: str
    rules: Sequence[str]
    values: dict[str, Any]
    unmet: Sequence[Sequence[str]]
    notes: Sequence[str]
    recheck_on: date | None
    decided_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"package_id": self.package_id, "platform": self.platform,
                "municipality": self.municipality, "policy_version": self.policy_version,
                "metadata_hash": self.metadata_hash, "admitted": self.admitted,
                "reason": self.reason, "rules": list(self.rules), "values": self.values,
                "unmet": [list(pair) for pair in self.unmet], "notes": list(self.notes),
                "recheck_on": self.recheck_on.isoformat() if self.recheck_on else None,
                "decided_at": self.decided_at.isoformat()}


_COLUMNS = ("package_id text, platform text, municipality text, policy_version integer, "
            'metadata_hash text, admitted boolean, reason text, rules text[], "values" jsonb, '
            "unmet jsonb, notes text[], recheck_on date, decided_at timestamptz")


def write_decisions(conn: Any, rows: Iterable[DecisionRow]) -> None:
    """Make ``rows`` the current decisions of their (dataset, platform) pairs.

    One statement for any number of rows: re-evaluating 10,000 datasets must not cost
    50,000 round trips. A decision taken again on the same inputs updates its row.
    """
    payload = [row.as_json() for row in rows]
    if not payload:
        return
    ensure(conn)
    incoming = (f"SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({_COLUMNS})")
    params = {"rows": json.dumps(payload)}
    # Two statements: the unique "one current decision" index must see the old one retired
    # before the new one arrives (the parts of one statement run in no fixed order).
    conn.execute(sa.text(f"""
        UPDATE {DECISIONS} d SET current = false FROM ({incoming}) i
         WHERE d.package_id = i.package_id AND d.platform = i.platform AND d.current
           AND (d.policy_version, d.metadata_hash) <> (i.policy_version, i.metadata_hash)"""),
                 params)
    conn.execute(sa.text(f"""
        INSERT INTO {DECISIONS} (package_id, platform, municipality, policy_version,
                                 metadata_hash, admitted, reason, rules, "values", unmet,
                                 notes, recheck_on, current, decided_at)
        SELECT package_id, platform, municipality, policy_version, metadata_hash, admitted,
               reason, rules, "values", unmet, notes, recheck_on, true, decided_at
          FROM ({incoming}) i
        ON CONFLICT (package_id, platform, policy_version, metadata_hash) DO UPDATE
           SET admitted = EXCLUDED.admitted, reason = EXCLUDED.reason,
               rules = EXCLUDED.rules, "values" = EXCLUDED."values",
               unmet = EXCLUDED.unmet, notes = EXCLUDED.notes,
               recheck_on = EXCLUDED.recheck_on, current = true,
               decided_at = EXCLUDED.decided_at"""), params)


def _row(mapping: Any) -> DecisionRow:
    return DecisionRow(**{key: mapping[key] for key in DecisionRow.__dataclass_fields__})


def current_decisions(conn: Any, package_id: str) -> list[DecisionRow]:
    """The decisions in force for one dataset."""
    ensure(conn)
    rows = conn.execute(sa.text(f"""
        SELECT * FROM {DECISIONS} WHERE package_id = :id AND current ORDER BY platform"""),
                        {"id": package_id}).mappings()
    return [_row(row) for row in rows]


def admitted_platforms(conn: Any, package_id: str) -> list[str]:
    """The platforms the dataset is currently admitted to (its permission labels)."""
    ensure(conn)
    return list(conn.execute(sa.text(f"""
        SELECT platform FROM {DECISIONS} WHERE package_id = :id AND current AND admitted
         ORDER BY platform"""), {"id": package_id}).scalars())


def list_decisions(conn: Any, *, package_id: str | None = None,
                   municipality: str | None = None, platform: str | None = None,
                   admitted: bool | None = None, history: bool = False, limit: int = 100,
                   offset: int = 0) -> tuple[int, list[DecisionRow]]:
    """Decisions filtered by what is given (current ones unless ``history``), with the count."""
    ensure(conn)
    where = [] if history else ["current"]
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    for column, value in (("package_id", package_id), ("municipality", municipality),
                          ("platform", platform), ("admitted", admitted)):
        if value is not None:
            where.append(f"{column} = :{column}")
            params[column] = value
    clause = " AND ".join(where) or "true"
    count = conn.execute(sa.text(f"SELECT count(*) FROM {DECISIONS} WHERE {clause}"),
                         params).scalar_one()
    rows = conn.execute(sa.text(f"""
        SELECT * FROM {DECISIONS} WHERE {clause}
         ORDER BY decided_at DESC, package_id, platform LIMIT :limit OFFSET :offset"""),
                        params).mappings()
    return count, [_row(row) for row in rows]


def flow_counts(conn: Any) -> dict[tuple[str | None, str], tuple[int, int]]:
    """(municipality, platform) -> (admitted, denied) over the current decisions."""
    ensure(conn)
    rows = conn.execute(sa.text(f"""
        SELECT d.municipality, d.platform, count(*) FILTER (WHERE d.admitted),
               count(*) FILTER (WHERE NOT d.admitted)
          FROM {DECISIONS} d JOIN package p ON p.id = d.package_id AND p.state = 'active'
         WHERE d.current GROUP BY d.municipality, d.platform"""))
    return {(m, p): (a, d) for m, p, a, d in rows}


def due_for_recheck(conn: Any, today: date) -> list[str]:
    """Datasets with a decision that depends on an embargo which has passed by ``today``."""
    ensure(conn)
    return list(conn.execute(sa.text(f"""
        SELECT DISTINCT package_id FROM {DECISIONS}
         WHERE current AND recheck_on IS NOT NULL AND recheck_on <= :today"""),
                             {"today": today}).scalars())


def forget(conn: Any, package_ids: Sequence[str]) -> None:
    """Drop the decisions of purged datasets."""
    ensure(conn)
    conn.execute(sa.text(f"DELETE FROM {DECISIONS} WHERE package_id = ANY(:ids)"),
                 {"ids": list(package_ids)})
