"""What the policies read of a dataset, straight from CKAN's tables.

The same query serves one dataset (after it is written) and ten thousand (after a policy
change), so a decision never depends on which path took it. The result is shaped like the
parts of ``package_show`` that ``facts.facts_of`` reads; a ``package_show`` per dataset
would make re-evaluating a municipality cost minutes instead of seconds.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

# Extras holding lists or objects, stored by ckanext-scheming as JSON text.
_JSON_START = ("[", "{")


@dataclass(frozen=True)
class DatasetRow:
    """A dataset as the policies see it, with what its permission labels depend on."""

    id: str
    name: str
    state: str
    private: bool
    owner_org: str | None
    creator_user_id: str | None
    municipality: str | None  # the owning organization's name: the partner id
    dataset: dict[str, Any]  # facts_of's input


def _decoded(value: str) -> Any:
    if value and value[0] in _JSON_START:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def dataset_rows(conn: Any, *, ids: Sequence[str] | None = None,
                 municipalities: Sequence[str] | None = None) -> Iterator[DatasetRow]:
    """Active datasets (all, or those with these ids / of these municipalities)."""
    where, params = ["p.state = 'active'", "p.type = 'dataset'"], {}
    if ids is not None:
        where.append("p.id = ANY(:ids)")
        params["ids"] = list(ids)
    if municipalities is not None:
        where.append("g.name = ANY(:municipalities)")
        params["municipalities"] = list(municipalities)
    rows = conn.execute(sa.text(f"""
        SELECT p.id, p.name, p.state, p.private, p.owner_org, p.creator_user_id,
               p.license_id, g.name AS municipality,
               coalesce(p.extras, '{{}}') AS extras,
               (SELECT coalesce(jsonb_agg(r.extras), '[]') FROM resource r
                 WHERE r.package_id = p.id AND r.state = 'active') AS resources
          FROM package p LEFT JOIN "group" g ON g.id = p.owner_org AND g.is_organization
         WHERE {' AND '.join(where)}"""), params).mappings()
    for row in rows:
        dataset = {key: _decoded(value) if isinstance(value, str) else value
                   for key, value in row["extras"].items()}
        dataset["license_id"] = row["license_id"]
        dataset["resources"] = [json.loads(extras) if extras else {}
                                for extras in row["resources"]]
        yield DatasetRow(id=row["id"], name=row["name"], state=row["state"],
                         private=bool(row["private"]), owner_org=row["owner_org"],
                         creator_user_id=row["creator_user_id"],
                         municipality=row["municipality"], dataset=dataset)
