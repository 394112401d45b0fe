"""Decisions and rules in one sentence, German or English, for stewards and partners.

"Why is my dataset (not) on the Digital Twin?" must be answerable without reading the
policy file: the sentence names the rules that decided and the values that made them
decide, with the codes users know (PUBLIC, dl-by-de/2.0, TRAN) rather than URIs.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ckanext.twin.policy.evaluate import MATCH_FAILED, Decision
from ckanext.twin.policy.model import Constraint, Rule
from ckanext.twin.policy.platforms import Platforms
from ckanext.twin.policy.terms import TERMS, joined, show_flag

_NEVER = date.max.isoformat()
_TEXT = {
    "de": {
        "permitted": "Zugelassen für {platform} nach {rules}{values}.",
        "permitted-conflict": "Zugelassen für {platform} nach {rules}: Erlaubnis und Verbot "
                              "treffen zu, und die Richtlinie gibt der Erlaubnis Vorrang "
                              "(conflict: perm){values}.",
        "prohibited": "Nicht zugelassen für {platform}: verboten nach {rules}{values}.",
        "no-permission": "Nicht zugelassen für {platform}: keine Regel erlaubt es{unmet}.",
        "nothing-permitted": "Nicht zugelassen für {platform}: die Richtlinie erlaubt für "
                             "diese Plattform nichts.",
        "embargo": "Nicht zugelassen für {platform}: die Sperrfrist ist noch nicht "
                   "vorbei{unmet}.",
        "no-policy": "Nicht zugelassen für {platform}: für die Kommune gilt keine "
                     "Zugriffsrichtlinie.",
        "rule": "Regel {ids}", "rules": "den Regeln {ids}", "none": "keine",
        "never": "unbefristet", "match": "mehr als eine Bedingung erfüllt (match: one)",
        "permit": "Regel {id} erlaubt {platform} ({action}){when}.",
        "prohibit": "Regel {id} verbietet {platform}{when}.",
        "all": ", wenn alles gilt: ", "any": ", wenn mindestens eines gilt: ",
        "one": ", wenn genau eines gilt: ", "if": ", wenn ", "always": " immer",
        "and": " und ", "besides": "; außerdem ", "until": "bis {date}",
    },
    "en": {
        "permitted": "Admitted to {platform} under {rules}{values}.",
        "permitted-conflict": "Admitted to {platform} under {rules}: a permission and a "
                              "prohibition both apply, and the policy lets the permission "
                              "win (conflict: perm){values}.",
        "prohibited": "Not admitted to {platform}: prohibited by {rules}{values}.",
        "no-permission": "Not admitted to {platform}: no rule permits it{unmet}.",
        "nothing-permitted": "Not admitted to {platform}: the policy permits nothing for "
                             "this platform.",
        "embargo": "Not admitted to {platform}: the embargo has not ended yet{unmet}.",
        "no-policy": "Not admitted to {platform}: the municipality has no access policy.",
        "rule": "rule {ids}", "rules": "rules {ids}", "none": "none",
        "never": "indefinite", "match": "more than one condition holds (match: one)",
        "permit": "Rule {id} permits {platform} ({action}){when}.",
        "prohibit": "Rule {id} prohibits {platform}{when}.",
        "all": " when all hold: ", "any": " when at least one holds: ",
        "one": " when exactly one holds: ", "if": " when ", "always": " always",
        "and": " and ", "besides": "; in addition, ", "until": "until {date}",
    },
}


def _text(lang: str) -> Mapping[str, str]:
    return _TEXT["de" if lang == "de" else "en"]


def fact_shown(term: str, value: Any, lang: str) -> str:
    """A decision's value of ``term`` as users read it (codes, labels, dates)."""
    text = _text(lang)
    if term == "personal_data":
        return show_flag(bool(value), lang)
    if term == "embargo":
        if value is None or value == _NEVER:
            return text["none" if value is None else "never"]
        return text["until"].format(date=value)
    values = value if isinstance(value, list) else [value]
    if not values:
        return text["none"]
    return ", ".join(TERMS[term].show(str(v), lang) for v in values)


def _values(values: Mapping[str, Any], lang: str) -> str:
    shown = [f"{TERMS[term].label_in(lang)} {fact_shown(term, value, lang)}"
             for term, value in values.items() if term in TERMS]
    return f" ({', '.join(shown)})" if shown else ""


def _rules(ids: tuple[str, ...], lang: str) -> str:
    return _text(lang)["rule" if len(ids) == 1 else "rules"].format(ids=", ".join(ids))


def _unmet(decision: Decision, lang: str) -> str:
    text, parts = _text(lang), []
    for rule_id, term in decision.unmet:
        if term == MATCH_FAILED or term not in TERMS:
            failed = text["match"]
        else:
            failed = (f"{TERMS[term].label_in(lang)} "
                      f"{fact_shown(term, decision.values.get(term), lang)}")
        parts.append(f"{_rules((rule_id,), lang)}: {failed}")
    return f" ({'; '.join(parts)})" if parts else ""


def explain(decision: Decision, platforms: Platforms, lang: str = "de") -> str:
    """One sentence: admitted or not, by which rules, on which values."""
    text = _text(lang)
    platform = platforms.get(decision.platform)
    title = platform.title_in(lang) if platform is not None else decision.platform
    key = decision.reason
    if key == "no-permission" and not decision.unmet:
        key = "nothing-permitted"
    return text[key].format(platform=title, rules=_rules(decision.rules, lang),
                            values=_values(decision.values, lang),
                            unmet=_unmet(decision, lang))


def describe_rule(rule: Rule, lang: str = "de") -> str:
    """A rule in one sentence, for the pages that show a municipality's policy."""
    text = _text(lang)
    parts = [_phrase(c, lang) for c in rule.constraints if c.term != "embargo"]
    embargo = [_phrase(c, lang) for c in rule.constraints if c.term == "embargo"]
    if len(parts) > 1:
        when = text[rule.match] + "; ".join(parts) + "".join(text["besides"] + e
                                                            for e in embargo)
    elif parts or embargo:
        when = text["if"] + text["and"].join(parts + embargo)
    else:
        when = text["always"]
    return text[rule.effect].format(id=rule.id, platform=rule.platform, action=rule.action,
                                    when=when)


def _phrase(constraint: Constraint, lang: str) -> str:
    term = TERMS[constraint.term]
    if term.kind == "flag":
        shown = show_flag(bool(constraint.values), lang)
    elif term.kind == "days":
        shown = str(constraint.values)
    else:
        shown = joined([term.show(v, lang) for v in constraint.values],  # type: ignore
                       lang)
    return term.phrases[constraint.operator][0 if lang == "de" else 1].format(values=shown)
