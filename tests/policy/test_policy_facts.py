"""Reading a dataset's facts fail-closed: every attack of the notes on the metadata side."""
from __future__ import annotations

import json
from datetime import date

import pytest

from ckanext.twin.policy.evaluate import Evaluator
from ckanext.twin.policy.facts import Facts, facts_of

AR = "http://publications.europa.eu/resource/authority/access-right/"
LIC = "http://dcat-ap.de/def/licenses/"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"
RK = "http://dcat-ap.de/def/politicalGeocoding/regionalKey/"
GARCHING_KEY = "091840119119"

OPEN = {
    "access_rights": AR + "PUBLIC",
    "license_id": LIC + "dl-by-de/2.0",
    "theme": json.dumps([THEME + "TRAN"]),
    "political_geocoding_uri": json.dumps([RK + GARCHING_KEY]),
    "personal_data": "false",
    "classification": "public",
    "resources": [{"license": ""}, {}],
}


def test_a_clean_dataset_reads_without_notes() -> None:
    facts = facts_of(OPEN, "garching")
    assert facts == Facts("garching", AR + "PUBLIC", frozenset({LIC + "dl-by-de/2.0"}),
                          frozenset({THEME + "TRAN"}), frozenset({GARCHING_KEY}), None, False,
                          "public", ())
    assert facts.values() == {
        "municipality": "garching", "access_rights": AR + "PUBLIC",
        "licenses": [LIC + "dl-by-de/2.0"], "themes": [THEME + "TRAN"],
        "areas": [GARCHING_KEY], "embargo": None, "personal_data": False,
        "classification": "public"}


@pytest.mark.parametrize("raw, expected, notes", [
    (None, "NON_PUBLIC", ["access_rights missing: read as NON_PUBLIC"]),
    ("", "NON_PUBLIC", ["access_rights missing: read as NON_PUBLIC"]),
    ([], "NON_PUBLIC", ["access_rights missing: read as NON_PUBLIC"]),
    ("öffentlich", "NON_PUBLIC",  # a literal instead of the URI
     [f"access_rights 'öffentlich' is not an EU access-right URI ({AR}PUBLIC|RESTRICTED|"
      "NON_PUBLIC): read as NON_PUBLIC"]),
    ("PUBLIC", "NON_PUBLIC",
     [f"access_rights 'PUBLIC' is not an EU access-right URI ({AR}PUBLIC|RESTRICTED|"
      "NON_PUBLIC): read as NON_PUBLIC"]),
    (AR + "public", "NON_PUBLIC",
     [f"access_rights '{AR}public' is not an EU access-right URI ({AR}PUBLIC|RESTRICTED|"
      "NON_PUBLIC): read as NON_PUBLIC"]),
    ("https://publications.europa.eu/resource/authority/access-right/PUBLIC", "NON_PUBLIC",
     ["access_rights 'https://publications.europa.eu/resource/authority/access-right/PUBLIC' "
      f"is not an EU access-right URI ({AR}PUBLIC|RESTRICTED|NON_PUBLIC): read as "
      "NON_PUBLIC"]),
    (AR + "SENSITIVE", "NON_PUBLIC",
     [f"access_rights '{AR}SENSITIVE' is not an EU access-right URI ({AR}PUBLIC|RESTRICTED|"
      "NON_PUBLIC): read as NON_PUBLIC"]),
    ([AR + "PUBLIC", AR + "RESTRICTED"], "RESTRICTED",
     ["access_rights has 2 values: the most restrictive, RESTRICTED, counts"]),
    (json.dumps([AR + "RESTRICTED", AR + "PUBLIC"]), "RESTRICTED",
     ["access_rights has 2 values: the most restrictive, RESTRICTED, counts"]),
    ([AR + "PUBLIC", "public"], "NON_PUBLIC",
     [f"access_rights 'public' is not an EU access-right URI ({AR}PUBLIC|RESTRICTED|"
      "NON_PUBLIC): read as NON_PUBLIC",
      "access_rights has 2 values: the most restrictive, NON_PUBLIC, counts"]),
    (AR + "RESTRICTED", "RESTRICTED", []),
])
def test_access_rights_fail_closed(raw, expected, notes) -> None:
    facts = facts_of({**OPEN, "access_rights": raw}, "garching")
    assert facts.access_rights == AR + expected
    assert list(facts.notes) == notes


@pytest.mark.parametrize("dataset, licences, notes", [
    ({"license_id": None}, ["other-closed"], ["license_id missing: read as other-closed"]),
    ({"license_id": "notspecified"}, ["other-closed"],
     ["license_id 'notspecified' is not in the DCAT-AP.de licence list: read as other-closed"]),
    ({"license_id": LIC + "cc-by-nc-nd/3_0"}, ["other-closed"],  # deprecated, no successor
     [f"license_id '{LIC}cc-by-nc-nd/3_0' is not in the DCAT-AP.de licence list: read as "
      "other-closed"]),
    ({"license_id": LIC + "cc-by/4_0"}, ["cc-by/4.0"], []),  # deprecated, with successor
    ({"license_id": "dl-by-de/2.0"}, ["dl-by-de/2.0"], []),
    ({"resources": [{"license": LIC + "other-commercial"}, {"license": None}]},
     ["dl-by-de/2.0", "other-commercial"], []),
    ({"resources": [{"license": "proprietary"}]}, ["dl-by-de/2.0", "other-closed"],
     ["resources[0].license 'proprietary' is not in the DCAT-AP.de licence list: read as "
      "other-closed"]),
])
def test_licences_fail_closed(dataset, licences, notes) -> None:
    facts = facts_of({**OPEN, **dataset}, "garching")
    assert facts.licenses == frozenset(LIC + licence for licence in licences)
    assert list(facts.notes) == notes


def test_unknown_themes_are_left_out() -> None:
    facts = facts_of({**OPEN, "theme": json.dumps(["TRAN", THEME + "SPACE", "Umwelt"])},
                     "garching")
    assert facts.themes == frozenset({THEME + "TRAN", THEME + "ENVI"})
    assert list(facts.notes) == [f"theme '{THEME}SPACE' is not an EU data theme: left out"]
    assert facts_of({**OPEN, "theme": "[not json"}, "garching").themes == frozenset()


@pytest.mark.parametrize("dataset, areas, notes", [
    ({"political_geocoding_uri": [RK + GARCHING_KEY, RK + "091620000000"]},
     [GARCHING_KEY, "091620000000"], []),
    ({"political_geocoding_uri": ["http://dcat-ap.de/def/politicalGeocoding/stateKey/09"]},
     ["090000000000"], []),
    ({"political_geocoding_uri": None,
      "spatial_coverage": [{"uri": RK + GARCHING_KEY}, {"uri": "http://sws.geonames.org/1"},
                           {"text": "Garching"}]}, [GARCHING_KEY], []),
    ({"political_geocoding_uri": json.dumps([RK + GARCHING_KEY, RK + "09184"])}, [],
     [f"political_geocoding_uri '{RK}09184' is no regional key URI: the area is read as "
      "unknown"]),
    ({"political_geocoding_uri": None}, [], []),
])
def test_areas(dataset, areas, notes) -> None:
    facts = facts_of({**OPEN, **dataset}, "garching")
    assert facts.areas == frozenset(areas)
    assert list(facts.notes) == notes


@pytest.mark.parametrize("raw, expected, notes", [
    (False, False, []), ("false", False, []), (True, True, []), ("true", True, []),
    (None, True, ["personal_data missing: assumed to be personal data"]),
    ("False", True, ["personal_data 'False' is neither true nor false: assumed to be "
                     "personal data"]),
    ("nein", True, ["personal_data 'nein' is neither true nor false: assumed to be "
                    "personal data"]),
])
def test_personal_data_is_assumed(raw, expected, notes) -> None:
    facts = facts_of({**OPEN, "personal_data": raw}, "garching")
    assert facts.personal_data is expected
    assert list(facts.notes) == notes


@pytest.mark.parametrize("raw, expected, notes", [
    ("internal", "internal", []),
    (None, "secret", ["classification missing: read as secret"]),
    ("offen", "secret", ["classification 'offen' is not one of public, internal, "
                         "confidential, secret: read as secret"]),
])
def test_classification_is_the_most_protected_when_unknown(raw, expected, notes) -> None:
    facts = facts_of({**OPEN, "classification": raw}, "garching")
    assert (facts.classification, list(facts.notes)) == (expected, notes)


@pytest.mark.parametrize("raw, expected, notes", [
    (None, None, []), ("", None, []),
    ("2030-05-01", date(2030, 5, 1), []),
    ("2030-05-01T00:00:00+02:00", date(2030, 5, 1), []),
    (date(2030, 5, 1), date(2030, 5, 1), []),
    ("01.05.2030", date.max, ["embargo_until '01.05.2030' is not an ISO date: embargoed for "
                              "ever"]),
])
def test_embargo_dates(raw, expected, notes) -> None:
    facts = facts_of({**OPEN, "embargo_until": raw}, "garching")
    assert (facts.embargo, list(facts.notes)) == (expected, notes)


def test_the_municipality_is_the_owner_never_the_payload(policy_of, platforms) -> None:
    claiming_munich = {
        **OPEN, "contributor_id": ["http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen"],
        "publisher": [{"name": "Landeshauptstadt München", "uri": "https://stadt.muenchen.de"}],
        "municipality": "muenchen", "owner_org": "muenchen"}
    facts = facts_of(claiming_munich, "garching")
    assert facts.municipality == "garching"
    admit_all = "  - platform: opendata\n    effect: permit\n    when: {}\n"
    munich = Evaluator(policy_of(admit_all, municipality="muenchen"), platforms)
    garching = Evaluator(policy_of(admit_all), platforms)
    today = date(2025, 6, 1)
    assert [d.reason for d in munich.decide(facts, today)] == ["no-policy"] * 5
    assert garching.decide(facts, today)[0].admitted


def test_the_digest_follows_the_values_not_the_spelling() -> None:
    as_lists = {**OPEN, "theme": [THEME + "TRAN"], "political_geocoding_uri": [RK + GARCHING_KEY]}
    assert facts_of(as_lists, "garching").digest == facts_of(OPEN, "garching").digest
    literal = facts_of({**OPEN, "access_rights": "öffentlich"}, "garching")
    missing = facts_of({**OPEN, "access_rights": None}, "garching")
    assert literal.notes != missing.notes and literal.digest == missing.digest
    assert facts_of(OPEN, "eching").digest != facts_of(OPEN, "garching").digest
    assert facts_of({**OPEN, "classification": "internal"}, "garching").digest != \
        facts_of(OPEN, "garching").digest
