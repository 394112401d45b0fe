"""Access policies enforced in CKAN: decided on every write, on every policy change and when
an embargo passes; a dataset not admitted to the public portal is private, and a withdrawn
one disappears at once from search, show, resources, downloads, the DCAT feeds and activity
streams. Policies are applied through the action API, datasets written through it."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from rdflib import Graph

from ckanext.twin.logic.partners import sync_partners
from ckanext.twin.partners import load_partners
from ckanext.twin.policy import changes

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = "twin_policy activity twin_search twin twin_dcat scheming_datasets dcat"
PUBLIC = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
NON_PUBLIC = "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"

pytestmark = [pytest.mark.ckan_config("ckan.plugins", PLUGINS),
              pytest.mark.ckan_config("ckanext.twin.partners_file",
                                      str(ROOT / "config" / "partners.yaml")),
              pytest.mark.ckan_config("ckanext.twin.platforms_file",
                                      str(ROOT / "config" / "platforms.yaml")),
              pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "activity_db",
                                      "organizations")]

OPEN_DATA = """
municipality: garching
conflict: prohibit
rules:
  - id: offen
    platform: opendata
    effect: permit
    when:
      access_rights: {isAnyOf: [PUBLIC]}
      personal_data: {eq: false}
  - id: zwilling
    platform: digital-twin
    effect: permit
    when:
      theme: {isAnyOf: [ENVI, TRAN]}
"""
NOTHING_PUBLIC = OPEN_DATA.replace("isAnyOf: [PUBLIC]", "isAnyOf: [RESTRICTED]")


@pytest.fixture
def organizations() -> None:
    """The partner organizations, as `make run` creates them (without ckanext-harvest)."""
    list(sync_partners(load_partners(ROOT / "config" / "partners.yaml")))


def site() -> dict[str, Any]:
    return {"user": call_action("get_site_user")["name"], "ignore_auth": True}


def apply(text: str, municipality: str = "garching", **extra: Any) -> dict[str, Any]:
    return call_action("twin_policy_update", site(), municipality=municipality, policy=text,
                       **extra)


def dataset(name: str = "luft-garching", owner: str = "garching", **fields: Any) -> dict:
    values = {"title": "Luftqualität Garching", "notes": "Messwerte.",
              "license_id": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
              "access_rights": PUBLIC, "personal_data": "false", "classification": "public",
              "theme": [THEME + "ENVI"],
              "resources": [{"url": "https://www.garching.de/luft.csv", "format": "CSV",
                             "name": "Messwerte"}], **fields}
    return call_action("package_create", site(), name=name, owner_org=owner, **values)


def anonymous_search(**params: Any) -> list[str]:
    found = call_action("package_search", {"user": "", "ignore_auth": False}, rows=100,
                        **params)
    return [d["name"] for d in found["results"]]


def anonymous_show(name: str) -> bool:
    try:
        call_action("package_show", {"user": "", "ignore_auth": False}, id=name)
        return True
    except tk.NotAuthorized:
        return False


def decisions(name: str) -> dict[str, dict[str, Any]]:
    found = call_action("twin_policy_decision_list", site(), id=name)["results"]
    return {d["platform"]: d for d in found}


def test_without_a_policy_nothing_flows_and_the_dataset_stays_private() -> None:
    created = dataset()

    assert created["private"] is True
    assert not anonymous_show("luft-garching")
    assert "luft-garching" not in anonymous_search()
    found = decisions("luft-garching")
    assert set(found) == {"opendata", "digital-twin", "geoportal", "tempus", "partner-space"}
    assert {d["reason"] for d in found.values()} == {"no-policy"}
    assert not any(d["admitted"] for d in found.values())


def test_admitted_dataset_is_public_and_labelled_per_platform() -> None:
    apply(OPEN_DATA)
    created = dataset()

    assert created["private"] is False
    assert anonymous_show("luft-garching")
    assert anonymous_search() == ["luft-garching"]
    found = decisions("luft-garching")
    assert found["opendata"]["admitted"] and found["opendata"]["rules"] == ["offen"]
    assert found["digital-twin"]["admitted"]
    assert not found["tempus"]["admitted"] and found["tempus"]["reason"] == "no-permission"
    indexed = call_action("package_search", site(), include_private=True,
                          fq='permission_labels:"platform:digital-twin"')["results"]
    assert [d["name"] for d in indexed] == ["luft-garching"]
    assert "offen" in found["opendata"]["explanation"]["de"]
    assert "offen" in found["opendata"]["explanation"]["en"]


def test_update_that_loses_admission_withdraws_everywhere_at_once(app) -> None:
    apply(OPEN_DATA)
    created = dataset()
    resource_id = created["resources"][0]["id"]
    assert app.get(f"/dataset/{created['name']}").status_code == 200

    call_action("package_patch", site(), id=created["id"], access_rights=NON_PUBLIC)

    shown = call_action("package_show", site(), id=created["id"])
    assert shown["private"] is True
    assert not anonymous_show(created["name"])
    assert created["name"] not in anonymous_search()
    with pytest.raises(tk.NotAuthorized):
        call_action("resource_show", {"user": "", "ignore_auth": False}, id=resource_id)
    assert app.get(f"/dataset/{created['name']}").status_code == 404
    assert app.get(f"/dataset/{created['name']}/resource/{resource_id}/download").status_code \
        in (403, 404)
    catalog = Graph().parse(data=app.get("/catalog.ttl").get_data(as_text=True), format="turtle")
    assert not any(created["name"] in str(s) for s in catalog.subjects())
    assert app.get(f"/dataset/{created['name']}.ttl").status_code in (403, 404)
    # Activity streams: the entries written while it was public are relabelled too.
    activities = call_action("organization_activity_list", {"user": "", "ignore_auth": False},
                             id="garching")
    assert not any(a["object_id"] == created["id"] for a in activities)
    with pytest.raises(tk.NotAuthorized):
        call_action("package_activity_list", {"user": "", "ignore_auth": False},
                    id=created["id"])
    # still admitted where the policy allows it: the Digital Twin reads ENVI datasets
    assert decisions(created["name"])["digital-twin"]["admitted"]
    assert not decisions(created["name"])["opendata"]["admitted"]


def test_policy_change_moves_datasets_and_reports_it() -> None:
    apply(OPEN_DATA)
    dataset("luft-garching")
    dataset("verkehr-garching", theme=[THEME + "TRAN"])
    assert sorted(anonymous_search()) == ["luft-garching", "verkehr-garching"]

    report = apply(NOTHING_PUBLIC)

    assert report["versions"] == {"garching": 2}
    assert report["platforms"]["opendata"]["withdrawn"] == ["luft-garching", "verkehr-garching"]
    assert report["platforms"]["digital-twin"]["still_admitted"] == 2
    assert anonymous_search() == []
    assert not anonymous_show("luft-garching")
    assert call_action("package_show", site(), id="verkehr-garching")["private"] is True
    history = call_action("twin_policy_decision_list", site(), id="luft-garching",
                          platform="opendata", history=True)["results"]
    assert [(d["policy_version"], d["admitted"]) for d in history] == [(2, False), (1, True)]

    back = apply(OPEN_DATA)
    assert back["platforms"]["opendata"]["admitted"] == ["luft-garching", "verkehr-garching"]
    assert sorted(anonymous_search()) == ["luft-garching", "verkehr-garching"]


def test_dry_run_reports_and_changes_nothing() -> None:
    apply(OPEN_DATA)
    dataset()

    report = apply(NOTHING_PUBLIC, dry_run=True)

    assert report["dry_run"] and report["platforms"]["opendata"]["withdrawn"] == ["luft-garching"]
    assert anonymous_search() == ["luft-garching"]
    assert call_action("twin_policy_show", site(), municipality="garching")["version"] == 1


def test_unchanged_policy_stores_no_new_version() -> None:
    apply(OPEN_DATA)
    report = apply(OPEN_DATA + "\n# nur ein Kommentar\n")
    assert report["versions"] == {} and report["unchanged"] == ["garching"]


def test_embargo_holds_until_its_day_and_reevaluate_releases_it() -> None:
    apply(OPEN_DATA)
    tomorrow = date.today() + timedelta(days=1)
    dataset(embargo_until=tomorrow.isoformat())
    found = decisions("luft-garching")
    assert not found["opendata"]["admitted"] and found["opendata"]["reason"] == "embargo"
    assert found["opendata"]["recheck_on"] == tomorrow.isoformat()

    assert changes.reevaluate(model.Session, date.today()).datasets == 0
    outcome = changes.reevaluate(model.Session, tomorrow)
    model.repo.commit()

    assert outcome.flows["opendata"].admitted == ["luft-garching"]
    assert anonymous_search() == ["luft-garching"]


def test_municipality_is_the_owner_never_the_payload() -> None:
    """A Garching dataset that claims Munich's contributorID is judged by Garching's policy."""
    apply(OPEN_DATA)
    apply(OPEN_DATA.replace("garching", "muenchen").replace("isAnyOf: [PUBLIC]",
                                                             "isAnyOf: [RESTRICTED]"),
          municipality="muenchen")
    dataset(contributor_id=["http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen"])
    assert decisions("luft-garching")["opendata"]["admitted"]
    assert decisions("luft-garching")["opendata"]["municipality"] == "garching"


def test_org_admins_change_their_own_policy_and_never_another() -> None:
    admin = factories.User()
    call_action("organization_member_create", site(), id="garching", username=admin["name"],
                role="admin")
    context = {"user": admin["name"], "ignore_auth": False}

    call_action("twin_policy_update", dict(context), municipality="garching", policy=OPEN_DATA)
    shown = call_action("twin_policy_show", dict(context), municipality="garching")
    assert shown["version"] == 1 and shown["applied_by"] == admin["name"]

    with pytest.raises(tk.NotAuthorized):
        call_action("twin_policy_update", dict(context), municipality="eching",
                    policy=OPEN_DATA.replace("garching", "eching"))
    with pytest.raises(tk.NotAuthorized):
        call_action("twin_policy_show", dict(context), municipality="eching")
    editor = factories.User()
    call_action("organization_member_create", site(), id="garching", username=editor["name"],
                role="editor")
    with pytest.raises(tk.NotAuthorized):
        call_action("twin_policy_update", {"user": editor["name"], "ignore_auth": False},
                    municipality="garching", policy=OPEN_DATA)


def test_invalid_policy_is_refused_with_its_line_and_nothing_changes() -> None:
    apply(OPEN_DATA)
    bad = OPEN_DATA.replace("theme: {isAnyOf: [ENVI, TRAN]}", "theme: {isAnyOf: [ENVI, WEATHER]}")

    with pytest.raises(tk.ValidationError) as refused:
        apply(bad)

    problems = refused.value.error_dict["policy"]
    assert any(p.startswith("policy:") and "WEATHER" in p for p in problems), problems
    assert call_action("twin_policy_show", site(), municipality="garching")["version"] == 1


def test_policy_for_another_municipality_is_refused() -> None:
    with pytest.raises(tk.ValidationError) as refused:
        apply(OPEN_DATA, municipality="eching")
    assert any("garching" in p for p in refused.value.error_dict["policy"])


def test_odrl_export_round_trips_through_the_action_api() -> None:
    apply(OPEN_DATA)
    exported = call_action("twin_policy_export", site(), municipality="garching")
    assert exported["conflict"] == "prohibit"
    assert exported["uid"].endswith("/policy/garching/1")

    report = apply(exported)
    assert report["unchanged"] == ["garching"]


def test_stored_policy_that_no_longer_holds_denies_and_exports_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A policy stored before one of its platforms left the registry decides nothing (fail
    closed), and its export names why instead of failing."""
    apply(OPEN_DATA)
    registry_text = (ROOT / "config" / "platforms.yaml").read_text(encoding="utf-8")
    start = registry_text.index("  - id: digital-twin")
    smaller = tmp_path / "platforms.yaml"
    smaller.write_text(registry_text[:start] + registry_text[registry_text.index(
        "  - id: geoportal"):], encoding="utf-8")
    monkeypatch.setitem(tk.config, "ckanext.twin.platforms_file", str(smaller))

    dataset()

    found = decisions("luft-garching")
    assert "digital-twin" not in found
    assert {d["reason"] for d in found.values()} == {"no-policy"}
    assert call_action("package_show", site(), id="luft-garching")["private"] is True
    with pytest.raises(tk.ValidationError) as refused:
        call_action("twin_policy_export", site(), municipality="garching")
    assert any("digital-twin" in problem for problem in refused.value.error_dict["policy"])
