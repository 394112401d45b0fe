"""The policy benchmark's data (bench/policy.py): the same every time, varied in everything
the policies look at, made of values the DCAT-AP.de schema accepts, and a policy change
that really withdraws datasets from the open-data portal and moves others."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.policy import ADMIT, DAY, WITHDRAW, bench_datasets, bench_policies
from ckanext.twin.partners import Partner, load_partners
from ckanext.twin.policy.evaluate import Evaluator
from ckanext.twin.policy.facts import facts_of
from ckanext.twin.policy.platforms import Platforms
from ckanext.twin.policy.reader import load_policies
from harvesters.vocabularies import default_vocabularies

ROOT = Path(__file__).resolve().parents[2]
COUNT = 1100  # 100 per partner


@pytest.fixture(scope="module")
def partners() -> list[Partner]:
    return load_partners(ROOT / "config" / "partners.yaml")


@pytest.fixture(scope="module")
def datasets(partners: list[Partner]) -> list[dict]:
    return bench_datasets(COUNT, partners)


def admitted(datasets: list[dict], evaluators: dict[str, Evaluator]) -> dict[str, set[str]]:
    """platform -> names of the datasets admitted there."""
    found: dict[str, set[str]] = {}
    for dataset in datasets:
        facts = facts_of(dataset, dataset["owner_org"])
        for decision in evaluators[dataset["owner_org"]].decide(facts, DAY):
            if decision.admitted:
                found.setdefault(decision.platform, set()).add(dataset["name"])
    return found


def test_the_same_datasets_every_time_with_unique_names_for_every_partner(
        datasets: list[dict], partners: list[Partner]) -> None:
    assert bench_datasets(COUNT, partners) == datasets
    assert len({d["name"] for d in datasets}) == COUNT
    assert Counter(d["owner_org"] for d in datasets) == {p.id: 100 for p in partners}


def test_every_policy_input_varies_including_what_is_read_fail_closed(
        datasets: list[dict]) -> None:
    def seen(field: str) -> set:
        return {d.get(field) for d in datasets}

    assert {None, *(f"http://publications.europa.eu/resource/authority/access-right/{level}"
                    for level in ("PUBLIC", "RESTRICTED", "NON_PUBLIC"))} == seen("access_rights")
    assert seen("personal_data") == {"true", "false", None}
    assert seen("classification") == {"public", "internal", "confidential", "secret", None}
    embargoes = seen("embargo_until")
    assert None in embargoes
    assert any(e and e < DAY.isoformat() for e in embargoes)
    assert any(e and e > DAY.isoformat() for e in embargoes)
    assert len(seen("license_id")) >= 6
    assert any("license" in r for d in datasets for r in d["resources"])
    assert {len(d["theme"]) for d in datasets} == {0, 1, 2}
    assert {len(d["political_geocoding_uri"]) for d in datasets} == {1, 2}


def test_every_value_is_a_concept_of_the_schemas_vocabularies(datasets: list[dict]) -> None:
    vocabularies = default_vocabularies()
    uris = {uri for d in datasets for uri in (
        d["license_id"], d.get("access_rights"), d["political_geocoding_level_uri"],
        *d["theme"], *d["political_geocoding_uri"],
        *(r.get(key) for r in d["resources"] for key in ("format", "license")))}

    unknown = sorted(uri for uri in uris - {None} if vocabularies.concept(uri) is None)
    assert not unknown


def test_the_portals_policies_admit_and_deny_on_every_platform(
        datasets: list[dict], partners: list[Partner], platforms: Platforms) -> None:
    policies = load_policies(ROOT / "config" / "policies", [p.id for p in partners], platforms)
    evaluators = {p.id: Evaluator(policies.get(p.id), platforms) for p in partners}
    reasons = Counter(decision.reason for d in datasets for decision in
                      evaluators[d["owner_org"]].decide(facts_of(d, d["owner_org"]), DAY))
    found = admitted(datasets, evaluators)

    for platform in platforms:
        assert 0 < len(found.get(platform, ())) < COUNT, platform
    assert {"permitted", "no-permission", "prohibited", "embargo"} <= set(reasons)


def test_the_change_withdraws_most_from_the_portal_and_moves_others(
        datasets: list[dict], partners: list[Partner], platforms: Platforms) -> None:
    ids = [p.id for p in partners]
    before = admitted(datasets, {m: Evaluator(policy, platforms) for m, policy
                                 in bench_policies(ADMIT, ids, platforms).items()})
    after = admitted(datasets, {m: Evaluator(policy, platforms) for m, policy
                                in bench_policies(WITHDRAW, ids, platforms).items()})

    assert len(before["opendata"]) > COUNT / 2
    assert after["opendata"] < before["opendata"]
    assert len(after["opendata"]) < len(before["opendata"]) / 4
    assert before["digital-twin"] - after["digital-twin"]
    assert after["geoportal"] and after["tempus"]
    assert not before.get("geoportal") and not before.get("tempus")
