"""Decisions and rules in one German or English sentence."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from ckanext.twin.policy.evaluate import Decision, Evaluator
from ckanext.twin.policy.explain import describe_rule, explain
from ckanext.twin.policy.facts import Facts

AR = "http://publications.europa.eu/resource/authority/access-right/"
LIC = "http://dcat-ap.de/def/licenses/"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"
TODAY = date(2025, 6, 1)
FACTS = Facts("garching", AR + "PUBLIC", frozenset({LIC + "dl-by-de/2.0"}),
              frozenset({THEME + "TRAN"}), frozenset({"091840119119"}), None, False, "public",
              ())

RULES = """\
  - id: zwilling-verkehr
    platform: digital-twin
    effect: permit
    when:
      access_rights: {isAnyOf: [PUBLIC, RESTRICTED]}
      theme: {isAnyOf: [TRAN]}
  - id: zwilling-intern
    platform: digital-twin
    effect: permit
    when:
      classification: {isAnyOf: [internal]}
      embargo: {gteq: P10D}
  - id: kein-gove
    platform: digital-twin
    effect: prohibit
    when:
      theme: {isAnyOf: [GOVE]}
  - id: xone
    platform: tempus
    effect: permit
    match: one
    when:
      theme: {isAnyOf: [TRAN]}
      area: {isPartOf: ["09184"]}
"""


@pytest.fixture
def twin(policy_of, platforms):
    def decide(conflict: str = "prohibit", platform: int = 1, **changes) -> Decision:
        evaluator = Evaluator(policy_of(RULES, conflict), platforms)
        return evaluator.decide(replace(FACTS, **changes), TODAY)[platform]
    return decide


@pytest.mark.parametrize("conflict, platform, changes, german, english", [
    ("prohibit", 1, {},
     "Zugelassen für Digitaler Zwilling München nach Regel zwilling-verkehr (Zugriffsrechte "
     "PUBLIC, Thema TRAN).",
     "Admitted to Munich Digital Twin under rule zwilling-verkehr (access rights PUBLIC, "
     "theme TRAN)."),
    ("prohibit", 1, {"classification": "internal", "embargo": date(2025, 1, 1)},
     "Zugelassen für Digitaler Zwilling München nach den Regeln zwilling-verkehr, "
     "zwilling-intern (Zugriffsrechte PUBLIC, Thema TRAN, Sperrfrist bis 2025-01-01, "
     "Schutzstufe intern).",
     "Admitted to Munich Digital Twin under rules zwilling-verkehr, zwilling-intern (access "
     "rights PUBLIC, theme TRAN, embargo until 2025-01-01, classification internal)."),
    ("perm", 1, {"themes": frozenset({THEME + "TRAN", THEME + "GOVE"})},
     "Zugelassen für Digitaler Zwilling München nach den Regeln zwilling-verkehr, kein-gove: "
     "Erlaubnis und Verbot treffen zu, und die Richtlinie gibt der Erlaubnis Vorrang "
     "(conflict: perm) (Zugriffsrechte PUBLIC, Thema GOVE, TRAN).",
     "Admitted to Munich Digital Twin under rules zwilling-verkehr, kein-gove: a permission "
     "and a prohibition both apply, and the policy lets the permission win (conflict: perm) "
     "(access rights PUBLIC, theme GOVE, TRAN)."),
    ("prohibit", 1, {"themes": frozenset({THEME + "TRAN", THEME + "GOVE"})},
     "Nicht zugelassen für Digitaler Zwilling München: verboten nach Regel kein-gove "
     "(Thema GOVE, TRAN).",
     "Not admitted to Munich Digital Twin: prohibited by rule kein-gove (theme GOVE, TRAN)."),
    ("prohibit", 1, {"access_rights": AR + "NON_PUBLIC", "themes": frozenset()},
     "Nicht zugelassen für Digitaler Zwilling München: keine Regel erlaubt es (Regel "
     "zwilling-verkehr: Zugriffsrechte NON_PUBLIC; Regel zwilling-intern: Schutzstufe offen).",
     "Not admitted to Munich Digital Twin: no rule permits it (rule zwilling-verkehr: access "
     "rights NON_PUBLIC; rule zwilling-intern: classification public)."),
    ("prohibit", 1, {"themes": frozenset(), "classification": "internal",
                     "embargo": date(2025, 5, 30)},
     "Nicht zugelassen für Digitaler Zwilling München: die Sperrfrist ist noch nicht vorbei "
     "(Regel zwilling-verkehr: Thema keine; Regel zwilling-intern: Sperrfrist bis 2025-05-30).",
     "Not admitted to Munich Digital Twin: the embargo has not ended yet (rule "
     "zwilling-verkehr: theme none; rule zwilling-intern: embargo until 2025-05-30)."),
    ("prohibit", 1, {"embargo": date.max, "access_rights": AR + "RESTRICTED"},
     "Nicht zugelassen für Digitaler Zwilling München: die Sperrfrist ist noch nicht vorbei "
     "(Regel zwilling-verkehr: Sperrfrist unbefristet; Regel zwilling-intern: Schutzstufe "
     "offen).",
     "Not admitted to Munich Digital Twin: the embargo has not ended yet (rule "
     "zwilling-verkehr: embargo indefinite; rule zwilling-intern: classification public)."),
    ("prohibit", 3, {},
     "Nicht zugelassen für TEMPUS Testfeld für vernetztes und automatisiertes Fahren: keine "
     "Regel erlaubt es (Regel xone: mehr als eine Bedingung erfüllt (match: one)).",
     "Not admitted to TEMPUS test field for connected and automated driving: no rule permits "
     "it (rule xone: more than one condition holds (match: one))."),
    ("prohibit", 0, {},
     "Nicht zugelassen für Open-Data-Portal München: die Richtlinie erlaubt für diese "
     "Plattform nichts.",
     "Not admitted to Munich Open Data Portal: the policy permits nothing for this platform."),
])
def test_decisions_in_one_sentence(twin, platforms, conflict, platform, changes, german,
                                   english) -> None:
    decision = twin(conflict, platform, **changes)
    assert explain(decision, platforms) == german
    assert explain(decision, platforms, "en") == english


def test_no_policy(platforms) -> None:
    decision = Evaluator(None, platforms).decide(FACTS, TODAY)[4]
    assert explain(decision, platforms) == (
        "Nicht zugelassen für Gemeinsamer Datenraum der Partner: für die Kommune gilt keine "
        "Zugriffsrichtlinie.")
    assert explain(decision, platforms, "en") == (
        "Not admitted to Partners' shared data space: the municipality has no access policy.")


def test_a_platform_no_longer_in_the_registry_is_named_by_its_id(platforms) -> None:
    decision = Decision("archive", False, "no-policy", (), {}, ())
    assert explain(decision, platforms, "en") == (
        "Not admitted to archive: the municipality has no access policy.")


@pytest.mark.parametrize("index, german, english", [
    (0, "Regel zwilling-verkehr erlaubt digital-twin (use), wenn alles gilt: Zugriffsrechte "
        "PUBLIC oder RESTRICTED; Thema TRAN.",
     "Rule zwilling-verkehr permits digital-twin (use) when all hold: access rights PUBLIC or "
     "RESTRICTED; theme TRAN."),
    (1, "Regel zwilling-intern erlaubt digital-twin (use), wenn Schutzstufe intern und "
        "Sperrfrist seit mindestens 10 Tagen vorbei.",
     "Rule zwilling-intern permits digital-twin (use) when classification internal and "
     "embargo over for at least 10 days."),
    (2, "Regel kein-gove verbietet digital-twin, wenn Thema GOVE.",
     "Rule kein-gove prohibits digital-twin when theme GOVE."),
    (3, "Regel xone erlaubt tempus (use), wenn genau eines gilt: Thema TRAN; Gebiet liegt "
        "ganz in 09184.",
     "Rule xone permits tempus (use) when exactly one holds: theme TRAN; area lies wholly "
     "within 09184."),
])
def test_rules_in_one_sentence(policy_of, index, german, english) -> None:
    rule = policy_of(RULES).rules[index]
    assert describe_rule(rule) == german
    assert describe_rule(rule, "en") == english


def test_rules_without_conditions_and_with_none_of(policy_of) -> None:
    policy = policy_of("  - platform: opendata\n    effect: permit\n    when: {}\n"
                       "  - platform: tempus\n    effect: permit\n    match: any\n"
                       "    when:\n      theme: {isNoneOf: [GOVE, HEAL]}\n"
                       "      license: {isNoneOf: [other-closed]}\n"
                       "      personal_data: {eq: false}\n"
                       "      embargo: {gteq: P5D}\n")
    assert describe_rule(policy.rules[0]) == "Regel rule-1 erlaubt opendata (distribute) immer."
    assert describe_rule(policy.rules[0], "en") == \
        "Rule rule-1 permits opendata (distribute) always."
    assert describe_rule(policy.rules[1], "en") == (
        "Rule rule-2 permits tempus (use) when at least one holds: no licence is other-closed; "
        "themes given, none of them GOVE or HEAL; personal data no; in addition, embargo over "
        "for at least 5 days.")
