"""The three ways decisions change: a dataset is written, a policy is applied, time passes.

Each runs in the caller's transaction and returns what moved, so ``apply --dry-run``, the
action API and the CLI report the same thing, and a failure leaves nothing half-applied.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ckanext.twin.policy import registry, store
from ckanext.twin.policy.datasets import dataset_rows
from ckanext.twin.policy.enforcement import Outcome, enforce
from ckanext.twin.policy.evaluate import Evaluator
from ckanext.twin.policy.model import Policy


@dataclass
class Applied:
    """What applying policies did: the new version per municipality (unchanged policies
    get none) and the re-evaluation of their datasets."""

    versions: dict[str, int] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    outcome: Outcome = field(default_factory=Outcome)

    def as_dict(self) -> dict[str, Any]:
        return {"versions": self.versions, "unchanged": sorted(self.unchanged),
                **self.outcome.as_dict()}


def apply_policies(conn: Any, policies: Mapping[str, Policy], user: str | None, today: date,
                   *, dry_run: bool = False) -> Applied:
    """Store the policies that differ from the ones in force and re-evaluate the datasets
    of their municipalities. With ``dry_run`` nothing is stored: the report says what
    would move."""
    stored = store.latest_versions(conn)
    in_force = registry.in_force(conn)
    applied = Applied()
    for municipality, policy in sorted(policies.items()):
        current = stored.get(municipality)
        if current is not None and current.digest == policy.digest:
            applied.unchanged.append(municipality)
            continue
        if dry_run:
            version = (current.version if current else 0) + 1
        else:
            version = store.add_version(conn, municipality, policy.digest, policy.to_dict(),
                                        policy.text, policy.source, user)
        applied.versions[municipality] = version
        in_force[municipality] = registry.InForce(version,
                                                  Evaluator(policy, registry.platforms()))
    if applied.versions:
        rows = list(dataset_rows(conn, municipalities=list(applied.versions)))
        applied.outcome = enforce(conn, rows, today, in_force=in_force, dry_run=dry_run)
    return applied


def reevaluate(conn: Any, today: date, *, everything: bool = False,
               dry_run: bool = False) -> Outcome:
    """Decide again where time may have changed the answer (an embargo has passed), or
    for every dataset; meant for a daily scheduler."""
    ids = None if everything else store.due_for_recheck(conn, today)
    if ids == []:
        return Outcome()
    rows = list(dataset_rows(conn, ids=ids))
    return enforce(conn, rows, today, dry_run=dry_run)


def dataset_written(conn: Any, package: Any, today: date) -> Outcome:
    """Decide a dataset that ``package_create``/``package_update`` is saving."""
    rows = list(dataset_rows(conn, ids=[package.id]))
    if not rows:  # a draft or a deletion: nothing flows anywhere, CKAN's labels suffice
        return Outcome()
    return enforce(conn, rows, today, written=package)
