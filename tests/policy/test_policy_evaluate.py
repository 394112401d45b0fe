"""The evaluation semantics, table-driven: facts x rules -> outcome, reason, rules, unmet."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from ckanext.twin.policy.evaluate import Decision, Evaluator, decide
from ckanext.twin.policy.facts import Facts

AR = "http://publications.europa.eu/resource/authority/access-right/"
LIC = "http://dcat-ap.de/def/licenses/"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"
GARCHING_KEY = "091840119119"
AUGSBURG_KEY = "097610000000"
TODAY = date(2025, 6, 1)

BASE = Facts("garching", AR + "PUBLIC", frozenset({LIC + "dl-by-de/2.0"}),
             frozenset({THEME + "TRAN"}), frozenset({GARCHING_KEY}), None, False, "public", ())


def rule(rule_id: str, when: str, effect: str = "permit", platform: str = "opendata",
         match: str = "all") -> str:
    return (f"  - id: {rule_id}\n    platform: {platform}\n    effect: {effect}\n"
            f"    match: {match}\n    when: {{{when}}}\n")


OPEN = rule("open", "access_rights: {isAnyOf: [PUBLIC]}, "
                    "license: {isAnyOf: [dl-by-de/2.0, dl-zero-de/2.0]}, "
                    "personal_data: {eq: false}")
NOT_CLOSED = rule("not-closed", "license: {isNoneOf: [other-closed]}")
THEMED = rule("themed", "theme: {isAnyOf: [TRAN, ENVI]}")
NOT_GOVE = rule("not-gove", "theme: {isNoneOf: [GOVE]}")
LOCAL = rule("local", 'area: {isPartOf: ["09184", "09162"]}')
VERBAND = rule("verband", 'area: {isPartOf: ["091840119"]}')
UP_TO_INTERNAL = rule("internal", "classification: {isAnyOf: [public, internal]}")
ALWAYS = rule("always", "")
LATER = rule("later", "embargo: {gteq: P30D}")
NO_GOVE = rule("no-gove", "theme: {isAnyOf: [GOVE]}", effect="prohibit")
NEVER = rule("never", "", effect="prohibit")
ANY = rule("any", 'theme: {isAnyOf: [ENVI]}, area: {isPartOf: ["09184"]}', match="any")
ONE = rule("one", 'theme: {isAnyOf: [TRAN]}, area: {isPartOf: ["09184"]}', match="one")
GOVE, TRAN = frozenset({THEME + "GOVE"}), frozenset({THEME + "TRAN"})

PERMITTED = (True, "permitted")
NO_PERMISSION = (False, "no-permission")


@pytest.mark.parametrize("rules, conflict, changes, outcome, deciding, unmet", [
    # a permission and its constraints (match: all, first unmet term in vocabulary order)
    (OPEN, "prohibit", {}, PERMITTED, ("open",), ()),
    (OPEN, "prohibit", {"access_rights": AR + "RESTRICTED"}, NO_PERMISSION, (),
     (("open", "access_rights"),)),
    (OPEN, "prohibit", {"access_rights": AR + "NON_PUBLIC", "personal_data": True},
     NO_PERMISSION, (), (("open", "access_rights"),)),
    (OPEN, "prohibit", {"personal_data": True}, NO_PERMISSION, (), (("open", "personal_data"),)),
    # licence isAnyOf: every licence listed; isNoneOf: none listed
    (OPEN, "prohibit", {"licenses": frozenset({LIC + "dl-by-de/2.0", LIC + "dl-zero-de/2.0"})},
     PERMITTED, ("open",), ()),
    (OPEN, "prohibit", {"licenses": frozenset({LIC + "dl-by-de/2.0", LIC + "other-closed"})},
     NO_PERMISSION, (), (("open", "license"),)),
    (NOT_CLOSED, "prohibit", {}, PERMITTED, ("not-closed",), ()),
    (NOT_CLOSED, "prohibit", {"licenses": frozenset({LIC + "cc-zero", LIC + "other-closed"})},
     NO_PERMISSION, (), (("not-closed", "license"),)),
    # themes: a dataset without themes meets neither operator
    (THEMED, "prohibit", {"themes": GOVE | TRAN}, PERMITTED, ("themed",), ()),
    (THEMED, "prohibit", {"themes": GOVE}, NO_PERMISSION, (), (("themed", "theme"),)),
    (THEMED, "prohibit", {"themes": frozenset()}, NO_PERMISSION, (), (("themed", "theme"),)),
    (NOT_GOVE, "prohibit", {}, PERMITTED, ("not-gove",), ()),
    (NOT_GOVE, "prohibit", {"themes": GOVE | TRAN}, NO_PERMISSION, (),
     (("not-gove", "theme"),)),
    (NOT_GOVE, "prohibit", {"themes": frozenset()}, NO_PERMISSION, (),
     (("not-gove", "theme"),)),
    # area isPartOf: every key under one of the prefixes; no area never
    (LOCAL, "prohibit", {"areas": frozenset({GARCHING_KEY, "091620000000"})}, PERMITTED,
     ("local",), ()),
    (LOCAL, "prohibit", {"areas": frozenset({GARCHING_KEY, AUGSBURG_KEY})}, NO_PERMISSION, (),
     (("local", "area"),)),
    (LOCAL, "prohibit", {"areas": frozenset()}, NO_PERMISSION, (), (("local", "area"),)),
    (VERBAND, "prohibit", {}, PERMITTED, ("verband",), ()),
    (VERBAND, "prohibit", {"areas": frozenset({"091840130130"})}, NO_PERMISSION, (),
     (("verband", "area"),)),
    (UP_TO_INTERNAL, "prohibit", {"classification": "internal"}, PERMITTED, ("internal",), ()),
    (UP_TO_INTERNAL, "prohibit", {"classification": "secret"}, NO_PERMISSION, (),
     (("internal", "classification"),)),
    # the embargo holds every permission back until its day (+ the rule's delay)
    (ALWAYS, "prohibit", {}, PERMITTED, ("always",), ()),
    (ALWAYS, "prohibit", {"embargo": date(2025, 6, 2)}, (False, "embargo"), (),
     (("always", "embargo"),)),
    (ALWAYS, "prohibit", {"embargo": TODAY}, PERMITTED, ("always",), ()),
    (ALWAYS, "prohibit", {"embargo": date.max}, (False, "embargo"), (),
     (("always", "embargo"),)),
    (LATER, "prohibit", {"embargo": date(2025, 5, 3)}, (False, "embargo"), (),
     (("later", "embargo"),)),
    (LATER, "prohibit", {"embargo": date(2025, 5, 2)}, PERMITTED, ("later",), ()),
    (LATER + OPEN, "prohibit", {"embargo": date(2025, 5, 3), "personal_data": True},
     (False, "embargo"), (), (("later", "embargo"), ("open", "personal_data"))),
    (OPEN, "prohibit", {"embargo": date(2025, 6, 2), "personal_data": True}, NO_PERMISSION,
     (), (("open", "personal_data"),)),
    # no permission for the platform at all
    (rule("twin", "", platform="digital-twin"), "prohibit", {}, NO_PERMISSION, (), ()),
    # prohibitions and the conflict strategy
    (NO_GOVE, "prohibit", {"themes": GOVE}, (False, "prohibited"), ("no-gove",), ()),
    (ALWAYS + NO_GOVE, "prohibit", {"themes": GOVE}, (False, "prohibited"), ("no-gove",), ()),
    (ALWAYS + NO_GOVE, "perm", {"themes": GOVE}, (True, "permitted-conflict"),
     ("always", "no-gove"), ()),
    (ALWAYS + NO_GOVE, "prohibit", {}, PERMITTED, ("always",), ()),
    (OPEN + NO_GOVE, "perm", {"themes": GOVE, "personal_data": True}, (False, "prohibited"),
     ("no-gove",), (("open", "personal_data"),)),
    (ALWAYS + NEVER, "prohibit", {}, (False, "prohibited"), ("never",), ()),
    # match: any (or) and one (xone)
    (ANY, "prohibit", {"themes": frozenset()}, PERMITTED, ("any",), ()),
    (ANY, "prohibit", {"areas": frozenset({AUGSBURG_KEY})}, NO_PERMISSION, (),
     (("any", "theme"),)),
    (ONE, "prohibit", {}, NO_PERMISSION, (), (("one", "match"),)),
    (ONE, "prohibit", {"themes": GOVE}, PERMITTED, ("one",), ()),
    (ONE, "prohibit", {"themes": GOVE, "areas": frozenset({AUGSBURG_KEY})}, NO_PERMISSION, (),
     (("one", "theme"),)),
    # several permissions: all that match decide
    (OPEN + ALWAYS, "prohibit", {}, PERMITTED, ("open", "always"), ()),
    (OPEN + ALWAYS, "prohibit", {"personal_data": True}, PERMITTED, ("always",), ()),
])
def test_decisions(policy_of, platforms, rules, conflict, changes, outcome, deciding,
                   unmet) -> None:
    evaluator = Evaluator(policy_of(rules, conflict), platforms)
    decision = evaluator.decide(replace(BASE, **changes), TODAY)[0]
    assert decision.platform == "opendata"
    assert (decision.admitted, decision.reason) == outcome
    assert decision.rules == deciding
    assert decision.unmet == unmet


def test_one_decision_per_platform_in_registry_order(policy_of, platforms) -> None:
    policy = policy_of(OPEN + rule("tempus", "theme: {isAnyOf: [TRAN]}", platform="tempus"))
    decisions = Evaluator(policy, platforms).decide(BASE, TODAY)
    assert [(d.platform, d.admitted, d.reason) for d in decisions] == [
        ("opendata", True, "permitted"), ("digital-twin", False, "no-permission"),
        ("geoportal", False, "no-permission"), ("tempus", True, "permitted"),
        ("partner-space", False, "no-permission")]
    assert decide(policy, platforms, BASE, TODAY) == decisions


def test_without_a_policy_everything_is_denied(platforms) -> None:
    assert Evaluator(None, platforms).decide(BASE, TODAY) == tuple(
        Decision(platform, False, "no-policy", (), {}, ()) for platform in platforms)
    assert Evaluator(None, platforms).recheck_on(replace(BASE, embargo=date(2025, 7, 1)),
                                                 TODAY) is None


def test_a_policy_decides_nothing_for_another_municipality(policy_of, platforms) -> None:
    evaluator = Evaluator(policy_of(ALWAYS), platforms)
    for municipality in ("eching", None):
        decisions = evaluator.decide(replace(BASE, municipality=municipality), TODAY)
        assert {(d.admitted, d.reason) for d in decisions} == {(False, "no-policy")}


def test_values_are_the_facts_the_deciding_rules_looked_at(policy_of, platforms) -> None:
    evaluator = Evaluator(policy_of(OPEN + NO_GOVE, "perm"), platforms)
    admitted = evaluator.decide(replace(BASE, embargo=date(2025, 1, 1)), TODAY)[0]
    assert admitted.values == {"access_rights": AR + "PUBLIC", "license": [LIC + "dl-by-de/2.0"],
                               "embargo": "2025-01-01", "personal_data": False}
    conflict = evaluator.decide(replace(BASE, themes=GOVE), TODAY)[0]
    assert list(conflict.values) == ["access_rights", "license", "theme", "personal_data"]
    assert conflict.values["theme"] == [THEME + "GOVE"]
    denied = evaluator.decide(replace(BASE, personal_data=True, themes=frozenset()), TODAY)[0]
    assert denied.values == {"personal_data": True}
    assert json.loads(json.dumps(conflict.values)) == conflict.values


@pytest.mark.parametrize("rules, conflict, changes, expected", [
    (ALWAYS, "prohibit", {"embargo": date(2025, 7, 1)}, date(2025, 7, 1)),
    (LATER, "prohibit", {"embargo": date(2025, 7, 1)}, date(2025, 7, 31)),
    (LATER, "prohibit", {"embargo": date(2025, 5, 15)}, date(2025, 6, 14)),
    (LATER + rule("soon", "", platform="tempus"), "prohibit", {"embargo": date(2025, 7, 1)},
     date(2025, 7, 1)),
    (OPEN, "prohibit", {"embargo": date(2025, 7, 1), "personal_data": True}, None),
    (ALWAYS + NO_GOVE, "prohibit", {"embargo": date(2025, 7, 1), "themes": GOVE}, None),
    (ALWAYS + NO_GOVE, "perm", {"embargo": date(2025, 7, 1), "themes": GOVE}, date(2025, 7, 1)),
    (ALWAYS, "prohibit", {"embargo": date(2025, 5, 1)}, None),
    (ALWAYS, "prohibit", {"embargo": None}, None),
    (ALWAYS, "prohibit", {"embargo": date.max}, None),
    (rule("late", "embargo: {gteq: P3650D}"), "prohibit", {"embargo": date(9999, 12, 1)},
     None),
])
def test_recheck_on_is_the_day_an_embargo_could_change_a_decision(
        policy_of, platforms, rules, conflict, changes, expected) -> None:
    evaluator = Evaluator(policy_of(rules, conflict), platforms)
    facts = replace(BASE, **changes)
    assert evaluator.recheck_on(facts, TODAY) == expected
    if expected is not None:
        day_before = date.fromordinal(expected.toordinal() - 1)
        assert evaluator.decide(facts, day_before) != evaluator.decide(facts, expected)
