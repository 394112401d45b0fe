"""A municipality's access policy as the portal holds it, independent of how it was written.

YAML, JSON and ODRL JSON-LD all become these objects, with canonical values (URIs, level
codes, days), so that the same policy written two ways has the same digest: a decision
records the digest it was taken under, and a re-applied but unchanged policy must not
count as a new version.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ckanext.twin.policy.terms import TERMS, write_delay

T = TypeVar("T")
RULE_ID = re.compile(r"[a-z0-9-]{1,60}")
EFFECTS = ("permit", "prohibit")
MATCHES = ("all", "any", "one")  # ODRL's and, or, xone
CONFLICTS = ("prohibit", "perm")


class PolicyError(Exception):
    """A policy that cannot be used; ``problems`` holds one ``WHERE: message`` line each.

    WHERE is ``FILE:LINE`` for YAML and JSON text, ``SOURCE: json.path`` for ODRL documents.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Problem(Exception):
    """One problem of a policy, as its ``WHERE: message`` line."""


class Failed(Exception):
    """The part being read has problems, already gathered: the part around it is unusable."""


class Gatherer:
    """Gathers every problem of a policy being read: one mistake must not hide the next.

    Readers raise :class:`Problem` for a problem and :class:`Failed` for a part whose
    problems are already gathered; ``attempt`` turns both into None for the caller.
    """

    problems: list[str]

    def attempt(self, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except Problem as problem:
            self.problems.append(str(problem))
        except Failed:
            pass
        return None


def digest_of(value: Any) -> str:
    """sha256 hex of the canonical JSON of ``value`` (sorted keys, no blanks, UTF-8)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Constraint:
    """One term with one operator.

    ``values``: canonical URIs (access_rights, license, theme), prefixes (area), level codes
    (classification), a bool (personal_data), the delay in days (embargo).
    ``line`` is where it was written (0 when read from an ODRL document).
    """

    term: str
    operator: str
    values: tuple[str, ...] | bool | int
    line: int

    def written(self) -> Any:
        """The value as a policy file writes it (lists, ``P<n>D``, booleans)."""
        kind = TERMS[self.term].kind
        if kind == "days":
            return write_delay(int(self.values))
        if kind == "flag":
            return bool(self.values)
        return list(self.values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Rule:
    """A permission or prohibition for one platform; constraints in the vocabulary's order."""

    id: str
    platform: str
    effect: str
    action: str
    match: str
    constraints: tuple[Constraint, ...]
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "platform": self.platform, "effect": self.effect,
                "action": self.action, "match": self.match,
                "when": {c.term: {c.operator: c.written()} for c in self.constraints}}


@dataclass(frozen=True)
class Policy:
    """A municipality's policy; ``source`` names where it came from, ``text`` is as written."""

    municipality: str
    conflict: str
    rules: tuple[Rule, ...]
    source: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, shaped like the YAML file, with canonical values and every default."""
        return {"municipality": self.municipality, "conflict": self.conflict,
                "rules": [rule.to_dict() for rule in self.rules]}

    @property
    def digest(self) -> str:
        """Of the content only: not comments, layout, spelling of values or order of rules.

        Rules are evaluated as sets (which permissions, which prohibitions match), so their
        order means nothing, and ODRL keeps permissions and prohibitions in separate lists.
        """
        content = self.to_dict()
        content["rules"].sort(key=lambda rule: rule["id"])
        return digest_of(content)
