"""The shipped policies (config/policies) and what they decide for typical datasets.

Also keeps the policy core free of CKAN: it must load in processes without it (benchmarks,
the CLI's checks) and be tested like this, without a database.
"""
from __future__ import annotations

import ast
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from ckanext.twin.policy.evaluate import Evaluator
from ckanext.twin.policy.facts import facts_of
from ckanext.twin.policy.reader import load_policies

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "config" / "policies"
PACKAGE = ROOT / "ckanext-twin" / "ckanext" / "twin" / "policy"
CORE = ("platforms", "terms", "model", "reader", "odrl", "facts", "evaluate", "explain")
ALLOWED_IMPORTS = ("ckanext.twin.partners", "ckanext.twin.policy.")

AR = "http://publications.europa.eu/resource/authority/access-right/"
LIC = "http://dcat-ap.de/def/licenses/"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"
RK = "http://dcat-ap.de/def/politicalGeocoding/regionalKey/"
TODAY = date(2025, 6, 1)


@pytest.fixture(scope="module")
def policies(platforms, partner_ids):
    return load_policies(POLICIES, partner_ids, platforms)


def test_every_partner_has_a_policy_and_nothing_else_does(policies, partner_ids) -> None:
    assert sorted(policies) == sorted(partner_ids)
    assert len(policies) == 11
    assert sorted(path.name for path in POLICIES.iterdir() if path.suffix != ".yaml") == \
        ["README.md"]


def test_the_policies_differ_as_the_municipalities_want(policies) -> None:
    def platforms_of(municipality: str, effect: str) -> set[str]:
        return {r.platform for r in policies[municipality].rules if r.effect == effect}

    assert {m for m, p in policies.items() if p.conflict == "perm"} == {"ismaning"}
    assert "digital-twin" in platforms_of("eching", "prohibit")
    assert "digital-twin" not in platforms_of("eching", "permit")
    tempus = [r for r in policies["garching"].rules if r.platform == "tempus"]
    assert [(c.term, c.values) for r in tempus for c in r.constraints
            if c.term == "embargo"] == [("embargo", 30)]
    gove = [r for r in policies["hallbergmoos"].rules if r.effect == "prohibit"]
    assert [(r.platform, [(c.term, c.values) for c in r.constraints]) for r in gove] == [
        ("opendata", [("theme", (THEME + "GOVE",))])]
    for municipality in ("nuernberg", "augsburg"):
        assert platforms_of(municipality, "permit") == {"opendata", "partner-space"}
    assert len({p.digest for p in policies.values()}) == 11


def dataset(regional_key: str, **fields) -> dict:
    return {"access_rights": AR + "PUBLIC", "license_id": LIC + "dl-by-de/2.0",
            "theme": [THEME + "TRAN"], "political_geocoding_uri": [RK + regional_key],
            "personal_data": False, "classification": "public", "resources": [{}], **fields}


def admitted(policies, platforms, municipality: str, regional_key: str, **fields) -> list[str]:
    evaluator = Evaluator(policies[municipality], platforms)
    facts = facts_of(dataset(regional_key, **fields), municipality)
    return [d.platform for d in evaluator.decide(facts, TODAY) if d.admitted]


ALL = ["opendata", "digital-twin", "geoportal", "tempus", "partner-space"]


@pytest.mark.parametrize("municipality, key, fields, expected", [
    ("muenchen", "091620000000", {}, ALL),
    ("muenchen", "091620000000", {"access_rights": AR + "RESTRICTED"},
     ["digital-twin", "geoportal", "tempus", "partner-space"]),
    ("muenchen", "091620000000", {"personal_data": None}, []),
    ("muenchen", "091620000000", {"classification": "internal", "theme": [THEME + "HEAL"]},
     ["digital-twin", "partner-space"]),
    ("muenchen", "091620000000", {"embargo_until": "2025-06-02"}, []),
    ("eching", "091780120120", {}, ["opendata", "geoportal", "tempus", "partner-space"]),
    ("garching", "091840119119", {"embargo_until": "2025-05-15"},
     ["opendata", "digital-twin", "geoportal", "partner-space"]),
    ("garching", "091840119119", {"embargo_until": "2025-05-01"}, ALL),
    ("hallbergmoos", "091780130130", {"theme": [THEME + "GOVE"]},
     ["digital-twin", "partner-space"]),
    ("ismaning", "091840130130", {"access_rights": AR + "RESTRICTED", "theme": [THEME + "ENVI"]},
     ["digital-twin", "geoportal", "tempus", "partner-space"]),
    ("ismaning", "091840130130", {"access_rights": AR + "RESTRICTED"},
     ["digital-twin", "tempus", "partner-space"]),
    ("neufahrn", "091780145145", {}, ALL),
    ("neufahrn", "091780145145", {"personal_data": True}, []),
    ("oberschleissheim", "091840135135", {"license_id": LIC + "odbl"},
     ["opendata", "digital-twin", "partner-space"]),
    ("unterschleissheim", "091840149149", {"classification": "internal"},
     ["geoportal", "tempus", "partner-space"]),
    ("haimhausen", "091740121121", {"theme": [THEME + "AGRI"]},
     ["opendata", "digital-twin", "geoportal", "partner-space"]),
    ("nuernberg", "095640000000", {}, ["opendata", "partner-space"]),
    ("augsburg", "097610000000", {"access_rights": AR + "RESTRICTED"}, ["partner-space"]),
])
def test_what_the_shipped_policies_admit(policies, platforms, municipality, key, fields,
                                         expected) -> None:
    assert admitted(policies, platforms, municipality, key, **fields) == expected


def test_the_neufahrn_geoportal_takes_theme_or_area(policies, platforms) -> None:
    evaluator = Evaluator(policies["neufahrn"], platforms)
    facts = facts_of(dataset("091780145145", theme=[THEME + "GOVE"]), "neufahrn")
    geoportal = evaluator.decide(facts, TODAY)[2]
    assert (geoportal.admitted, geoportal.rules) == (True, ("geoportal-thema-oder-gebiet",))
    elsewhere = replace(facts, areas=frozenset({"091780120120"}))
    assert evaluator.decide(elsewhere, TODAY)[2].unmet == (
        ("geoportal-thema-oder-gebiet", "theme"),)


@pytest.mark.parametrize("module", CORE)
def test_the_policy_core_does_not_import_ckan(module: str) -> None:
    path = PACKAGE / f"{module}.py"
    offences = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
        offences += [f"{path.name}:{node.lineno} imports {name}" for name in names
                     if name.split(".")[0] in ("ckan", "ckanext")
                     and not name.startswith(ALLOWED_IMPORTS)]
    assert not offences
