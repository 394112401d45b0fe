"""Deciding, per platform, whether a dataset's facts let it flow there, and why.

ODRL defines no evaluation semantics and engines disagree, so the portal fixes its own
(docs/policies.md): deny by default; a permission admits when its constraints hold (as
``match`` combines them) and the embargo has passed; a matching prohibition denies unless
the policy's ``conflict`` is ``perm``. A decision carries the rules that decided, the facts
they looked at and, for a denial, what each permission failed on, so it can be explained
and recorded.

Re-evaluating a municipality touches tens of thousands of datasets, so each rule is compiled
once into predicates over :class:`Facts`, and a decision is a few set operations.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ckanext.twin.policy.facts import Facts
from ckanext.twin.policy.model import Constraint, Policy, Rule
from ckanext.twin.policy.platforms import Platforms
from ckanext.twin.policy.terms import TERM_ORDER

REASONS = ("permitted", "permitted-conflict", "no-policy", "no-permission", "prohibited",
           "embargo")
MATCH_FAILED = "match"  # the unmet "term" of a match: one rule where several terms held

Check = Callable[[Facts], bool]
# The Facts.values() key each term's decision value is read from.
_FACT_OF_TERM = {"access_rights": "access_rights", "license": "licenses", "theme": "themes",
                 "area": "areas", "embargo": "embargo", "personal_data": "personal_data",
                 "classification": "classification"}


@dataclass(frozen=True)
class Decision:
    """Whether a dataset may flow into one platform, and why."""

    platform: str
    admitted: bool
    reason: str
    rules: tuple[str, ...]
    values: Mapping[str, Any]
    unmet: tuple[tuple[str, str], ...]


def _check(constraint: Constraint) -> Check:
    """The constraint as a predicate. Sets are built once here, not per dataset."""
    values = constraint.values
    term, operator = constraint.term, constraint.operator
    if term == "access_rights":
        allowed = frozenset(values)  # type: ignore[arg-type]
        return lambda facts: facts.access_rights in allowed
    if term == "classification":
        allowed = frozenset(values)  # type: ignore[arg-type]
        return lambda facts: facts.classification in allowed
    if term == "personal_data":
        return lambda facts: facts.personal_data is values
    if term == "license":
        listed = frozenset(values)  # type: ignore[arg-type]
        if operator == "isAnyOf":
            return lambda facts: facts.licenses <= listed
        return lambda facts: facts.licenses.isdisjoint(listed)
    if term == "theme":
        listed = frozenset(values)  # type: ignore[arg-type]
        if operator == "isAnyOf":
            return lambda facts: not facts.themes.isdisjoint(listed)
        return lambda facts: bool(facts.themes) and facts.themes.isdisjoint(listed)
    if term == "area":
        prefixes = tuple(values)  # type: ignore[arg-type]
        return lambda facts: bool(facts.areas) and all(key.startswith(prefixes)
                                                       for key in facts.areas)
    raise ValueError(f"no evaluation for {term} {operator}")  # the vocabulary grew alone


@dataclass(frozen=True)
class _Compiled:
    """A rule ready to evaluate: predicates in term order; a permission's embargo delay."""

    id: str
    match: str
    checks: tuple[tuple[str, Check], ...]
    delay: int | None  # None for prohibitions (the embargo only holds permissions back)
    terms: tuple[str, ...]

    def failed_term(self, facts: Facts) -> str | None:
        """None when the constraints hold as ``match`` combines them, else the term to blame."""
        if self.match == "all":
            for term, check in self.checks:
                if not check(facts):
                    return term
            return None
        held = [term for term, check in self.checks if check(facts)]
        if self.match == "any":
            return None if held else self.checks[0][0]
        if len(held) == 1:
            return None
        return MATCH_FAILED if held else self.checks[0][0]

    def free_on(self, embargo: date | None) -> date | None:
        """The first day this permission lets an embargoed dataset through (None: no embargo,
        date.max: never)."""
        if embargo is None:
            return None
        try:
            return embargo + timedelta(days=self.delay or 0)
        except OverflowError:
            return date.max


def _compile(rule: Rule) -> _Compiled:
    delay = None
    if rule.effect == "permit":
        delay = next((int(c.values) for c in rule.constraints if c.term == "embargo"), 0)
    checks = tuple((c.term, _check(c)) for c in rule.constraints if c.term != "embargo")
    return _Compiled(rule.id, rule.match, checks, delay,
                     tuple(c.term for c in rule.constraints))


class Evaluator:
    """One municipality's policy compiled for deciding many datasets.

    Without a policy (or for facts of another municipality) everything is denied.
    """

    def __init__(self, policy: Policy | None, platforms: Platforms) -> None:
        self.policy = policy
        self.platforms = platforms
        self.conflict = policy.conflict if policy is not None else "prohibit"
        rules = policy.rules if policy is not None else ()
        self._by_platform = {
            platform: (tuple(_compile(r) for r in rules
                             if r.platform == platform and r.effect == "permit"),
                       tuple(_compile(r) for r in rules
                             if r.platform == platform and r.effect == "prohibit"))
            for platform in platforms}

    def _applies(self, facts: Facts) -> bool:
        return self.policy is not None and facts.municipality == self.policy.municipality

    def decide(self, facts: Facts, today: date) -> tuple[Decision, ...]:
        """One decision per platform, in the registry's order."""
        if not self._applies(facts):
            return tuple(Decision(platform, False, "no-policy", (), {}, ())
                         for platform in self._by_platform)
        values = facts.values()
        return tuple(self._decide(platform, permits, prohibits, facts, values, today)
                     for platform, (permits, prohibits) in self._by_platform.items())

    def _decide(self, platform: str, permits: tuple[_Compiled, ...],
                prohibits: tuple[_Compiled, ...], facts: Facts, values: dict[str, Any],
                today: date) -> Decision:
        admitting: list[_Compiled] = []
        unmet: list[tuple[str, str]] = []
        for rule in permits:
            term = rule.failed_term(facts)
            if term is None:
                free_on = rule.free_on(facts.embargo)
                if free_on is not None and today < free_on:
                    term = "embargo"
            if term is None:
                admitting.append(rule)
            else:
                unmet.append((rule.id, term))
        forbidding = [rule for rule in prohibits if rule.failed_term(facts) is None]
        if admitting and (not forbidding or self.conflict == "perm"):
            deciding = admitting + forbidding
            reason = "permitted-conflict" if forbidding else "permitted"
            looked_at = {term for rule in deciding for term in rule.terms}
            if facts.embargo is not None:
                looked_at.add("embargo")
            return Decision(platform, True, reason, tuple(rule.id for rule in deciding),
                            _values(looked_at, values), ())
        if forbidding:
            looked_at = {term for rule in forbidding for term in rule.terms}
            return Decision(platform, False, "prohibited", tuple(r.id for r in forbidding),
                            _values(looked_at, values), tuple(unmet))
        reason = "embargo" if any(term == "embargo" for _, term in unmet) else "no-permission"
        return Decision(platform, False, reason, (),
                        _values({term for _, term in unmet}, values), tuple(unmet))

    def recheck_on(self, facts: Facts, today: date) -> date | None:
        """The first day after ``today`` on which an embargo ends that holds back a
        permission otherwise met (where a prohibition does not win anyway), else None."""
        if not self._applies(facts) or facts.embargo is None:
            return None
        days = []
        for permits, prohibits in self._by_platform.values():
            if self.conflict == "prohibit" and any(rule.failed_term(facts) is None
                                                    for rule in prohibits):
                continue
            for rule in permits:
                free_on = rule.free_on(facts.embargo)
                if free_on is not None and today < free_on < date.max \
                        and rule.failed_term(facts) is None:
                    days.append(free_on)
        return min(days, default=None)


def _values(terms: set[str], values: dict[str, Any]) -> dict[str, Any]:
    return {term: values[_FACT_OF_TERM[term]]
            for term in sorted(terms & _FACT_OF_TERM.keys(), key=TERM_ORDER.__getitem__)}


def decide(policy: Policy | None, platforms: Platforms, facts: Facts,
           today: date) -> tuple[Decision, ...]:
    """One dataset's decisions (compiles the policy each call: use :class:`Evaluator` for
    many)."""
    return Evaluator(policy, platforms).decide(facts, today)
