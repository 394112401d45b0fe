"""Decisions taken and enforced: evaluation, visibility, labels in the index and activities.

One path for every trigger (a dataset written, a policy applied, an embargo passed): read
the datasets (``datasets``), decide with the policy in force for their municipality, store
the decisions, and make everything that reads them agree in the same transaction:

- ``package.private``: a dataset not admitted to the public portal is private (CKAN's own
  second layer: anonymous readers and other organizations never see private datasets);
- the search index's labels (the PostgreSQL index is updated in place, in the same
  transaction; with Solr the datasets are re-indexed just before the commit);
- the labels of the dataset's activities, which CKAN stores when an activity is created
  and would otherwise keep showing a withdrawn dataset in activity streams.

A dataset being written by ``package_create``/``package_update`` is re-indexed by CKAN's
own commit, so only its old activities are relabelled here.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from ckan import model

from ckanext.twin.policy import registry, store
from ckanext.twin.policy.datasets import DatasetRow
from ckanext.twin.policy.facts import facts_of
from ckanext.twin.policy.labels import labels_for


@dataclass
class Flow:
    """What a run changed on one platform: names newly admitted / withdrawn, and counts of
    those that stayed as they were."""

    admitted: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    still_admitted: int = 0
    still_denied: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"admitted": sorted(self.admitted), "withdrawn": sorted(self.withdrawn),
                "still_admitted": self.still_admitted, "still_denied": self.still_denied}


@dataclass
class Outcome:
    """The result of evaluating a set of datasets."""

    datasets: int = 0
    flows: dict[str, Flow] = field(default_factory=dict)
    decisions: list[store.DecisionRow] = field(default_factory=list)
    relabelled: list[str] = field(default_factory=list)  # ids whose labels changed

    def as_dict(self) -> dict[str, Any]:
        return {"datasets": self.datasets, "relabelled": len(self.relabelled),
                "platforms": {p: flow.as_dict() for p, flow in self.flows.items()}}


def decide(rows: Iterable[DatasetRow], in_force: dict[str, registry.InForce],
           today: date) -> list[store.DecisionRow]:
    """The decisions for ``rows`` under the policies ``in_force`` (pure: nothing stored)."""
    fallback = registry.no_policy()
    now = datetime.now(timezone.utc)
    decisions = []
    for row in rows:
        policy = in_force.get(row.municipality or "", fallback)
        facts = facts_of(row.dataset, row.municipality)
        recheck = policy.evaluator.recheck_on(facts, today)
        notes, digest = list(facts.notes), facts.digest
        for decision in policy.evaluator.decide(facts, today):
            decisions.append(store.DecisionRow(
                package_id=row.id, platform=decision.platform, municipality=row.municipality,
                policy_version=policy.version, metadata_hash=digest,
                admitted=decision.admitted, reason=decision.reason, rules=decision.rules,
                values=dict(decision.values), unmet=decision.unmet, notes=notes,
                recheck_on=recheck, decided_at=now))
    return decisions


def enforce(conn: Any, rows: Sequence[DatasetRow], today: date, *,
            in_force: dict[str, registry.InForce] | None = None, dry_run: bool = False,
            written: Any = None) -> Outcome:
    """Decide ``rows`` and (unless ``dry_run``) enforce the decisions in ``conn``'s
    transaction. ``in_force``: the policies to decide with (default: the stored ones).
    ``written``: the Package being saved by a create/update, whose visibility is set on the
    object itself (its flush would otherwise undo an SQL update)."""
    platforms = registry.platforms()
    decisions = decide(rows, registry.in_force(conn) if in_force is None else in_force, today)
    before = _admitted_now(conn, [row.id for row in rows])
    after: dict[str, set[str]] = defaultdict(set)
    for decision in decisions:
        if decision.admitted:
            after[decision.package_id].add(decision.platform)

    outcome = Outcome(datasets=len(rows), decisions=decisions,
                      flows={platform: Flow() for platform in platforms})
    names = {row.id: row.name for row in rows}
    for decision in decisions:
        flow = outcome.flows[decision.platform]
        was = decision.platform in before.get(decision.package_id, set())
        if decision.admitted and not was:
            flow.admitted.append(names[decision.package_id])
        elif was and not decision.admitted:
            flow.withdrawn.append(names[decision.package_id])
        elif decision.admitted:
            flow.still_admitted += 1
        else:
            flow.still_denied += 1

    public = platforms.public.id
    relabel: dict[str, dict[str, Any]] = {}
    for row in rows:
        private = public not in after[row.id]
        old = labels_for(row, before.get(row.id, set()))
        shown = SimpleNamespace(id=row.id, state=row.state, private=private,
                                owner_org=row.owner_org, creator_user_id=row.creator_user_id)
        new = labels_for(shown, after[row.id])
        if sorted(old) != sorted(new) or private != row.private:
            relabel[row.id] = {"id": row.id, "private": private, "labels": new}
    outcome.relabelled = sorted(relabel)
    if dry_run:
        return outcome

    store.write_decisions(conn, decisions)
    if written is not None and written.id in relabel:
        written.private = relabel[written.id]["private"]
    changed = [item for key, item in relabel.items()
               if written is None or key != written.id]
    _set_visibility(conn, changed)
    _relabel_activities(conn, list(relabel.values()))
    _relabel_index(conn, changed)
    return outcome


def _admitted_now(conn: Any, ids: list[str]) -> dict[str, set[str]]:
    store.ensure(conn)
    found: dict[str, set[str]] = defaultdict(set)
    rows = conn.execute(sa.text(f"""
        SELECT package_id, platform FROM {store.DECISIONS}
         WHERE package_id = ANY(:ids) AND current AND admitted"""), {"ids": ids})
    for package_id, platform in rows:
        found[package_id].add(platform)
    return found


def _payload(items: list[dict[str, Any]]) -> dict[str, str]:
    return {"rows": json.dumps(items)}


def _set_visibility(conn: Any, items: list[dict[str, Any]]) -> None:
    if not items:
        return
    conn.execute(sa.text("""
        UPDATE package p SET private = i.private
          FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS i(id text, private boolean)
         WHERE p.id = i.id AND p.private IS DISTINCT FROM i.private"""), _payload(items))
    # CKAN's session keeps objects after commits: drop what it holds of these packages.
    changed = {item["id"] for item in items}
    for held in list(getattr(conn, "identity_map", {}).values()):
        if isinstance(held, model.Package) and held.id in changed:
            conn.expire(held, ["private"])


def _relabel_activities(conn: Any, items: list[dict[str, Any]]) -> None:
    if not items or not conn.execute(sa.text("""
            SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('activity')
               AND attname = 'permission_labels' AND NOT attisdropped""")).scalar():
        return  # no activity plugin (or its labels column)
    conn.execute(sa.text("""
        UPDATE activity a SET permission_labels = i.labels
          FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS i(id text, labels text[])
         WHERE a.object_id = i.id"""), _payload(items))


def _relabel_index(conn: Any, items: list[dict[str, Any]]) -> None:
    if not items:
        return
    from ckanext.twin.search import relabel  # the search plugin's table, in this transaction

    relabel.relabel(conn, items)
