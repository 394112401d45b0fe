"""The policy pages: the organization's "Richtlinie" tab for the partner's admins only, the
ODRL download, the operators' overview, and the stewards' panel on the dataset page, in
German (``/de/``) and English. Policies are applied and datasets written through the
action API, pages fetched from the CKAN app with API tokens."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.twin.partners import load_partners
from ckanext.twin.policy import views

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = "twin_policy twin_search twin twin_dcat scheming_datasets dcat harvest"
POLICY = (ROOT / "config" / "policies" / "garching.yaml").read_text(encoding="utf-8")
PUBLIC = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
NON_PUBLIC = "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC"
PLATFORMS = ("Open-Data-Portal München", "Digitaler Zwilling München", "Geoportal München",
             "TEMPUS Testfeld für vernetztes und automatisiertes Fahren",
             "Gemeinsamer Datenraum der Partner")

pytestmark = [pytest.mark.ckan_config("ckan.plugins", PLUGINS),
              pytest.mark.ckan_config("ckanext.twin.partners_file",
                                      str(ROOT / "config" / "partners.yaml")),
              pytest.mark.ckan_config("ckanext.twin.platforms_file",
                                      str(ROOT / "config" / "platforms.yaml")),
              pytest.mark.usefixtures("partners")]


def site() -> dict[str, Any]:
    return {"user": call_action("get_site_user")["name"], "ignore_auth": True}


def dataset(name: str, owner: str = "garching", **fields: Any) -> dict[str, Any]:
    values = {"title": name.replace("-", " ").title(), "notes": "Messwerte.",
              "license_id": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
              "access_rights": PUBLIC, "personal_data": "false", "classification": "public",
              "theme": ["http://publications.europa.eu/resource/authority/data-theme/ENVI"],
              **fields}
    return call_action("package_create", site(), name=name, owner_org=owner, **values)


def member(organization: str, role: str) -> str:
    user = factories.User()["name"]
    call_action("organization_member_create", site(), id=organization, username=user,
                role=role)
    return user


@pytest.fixture
def garching() -> dict[str, str]:
    """Garching with its shipped policy and two datasets (one open, one not), its admin, an
    editor, a reader, an outsider, Eching's admin and a sysadmin."""
    call_action("twin_policy_update", site(), municipality="garching", policy=POLICY)
    dataset("luftqualitaet-garching")
    dataset("personalakten-garching", access_rights=NON_PUBLIC, personal_data="true",
            classification="confidential")
    return {"admin": member("garching", "admin"), "editor": member("garching", "editor"),
            "reader": member("garching", "member"), "outsider": factories.User()["name"],
            "eching": member("eching", "admin"), "sysadmin": factories.Sysadmin()["name"]}


def get(app: Any, url: str, user: str | None, status: int = 200) -> Any:
    headers = {"Authorization": factories.APIToken(user=user)["token"]} if user else {}
    response = app.get(url, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response


def page(app: Any, url: str, user: str | None) -> BeautifulSoup:
    return BeautifulSoup(get(app, url, user).get_data(as_text=True), "html.parser")


def text_of(node: Any) -> str:
    return " ".join(node.get_text(" ").split())


def tabs(app: Any, url: str, user: str | None) -> list[str]:
    return [a["href"] for a in page(app, url, user).select("ul.nav-tabs a")]


def decisions_of(package: str) -> list[dict[str, Any]]:
    return call_action("twin_policy_decision_list", site(), id=package)["results"]


def assert_accessible(document: BeautifulSoup) -> None:
    """Headings in order without skipped levels, tables with a caption and scoped headers."""
    main = document.select_one('[role="main"]')
    levels = [int(h.name[1]) for h in main.find_all(["h1", "h2", "h3", "h4"])]
    assert levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels
    for table in main.find_all("table"):
        assert table.caption and text_of(table.caption)
        assert all(th.get("scope") in ("col", "row") for th in table.find_all("th"))


def test_the_admins_tab_shows_the_policy_in_german(app, garching) -> None:
    document = page(app, "/de/organization/garching/policy", garching["admin"])
    main = document.select_one('[role="main"]')
    content = text_of(main)
    assert "Zugriffsrichtlinie" in content
    facts = dict(zip([text_of(dt) for dt in main.select("dl.twin-policy-facts dt")],
                     [text_of(dd) for dd in main.select("dl.twin-policy-facts dd")]))
    assert facts["Version"] == "1"
    assert facts["Bei Konflikt"].startswith("geht ein Verbot der Erlaubnis vor")
    assert "conflict: prohibit" in facts["Bei Konflikt"]
    assert [text_of(h) for h in main.select("section.twin-policy-platform h3")] == \
        list(PLATFORMS)
    rules = text_of(main.select_one("#twin-policy-rules-opendata").parent)
    assert "Regel offene-daten erlaubt opendata (distribute), wenn alles gilt:" in rules
    link = main.select_one('a[type="application/ld+json"]')
    assert link["href"] == "/de/organization/garching/policy.jsonld"
    flows = {text_of(row.th): [text_of(td) for td in row.find_all("td")]
             for row in main.select("table.twin-policy-flows tbody tr")}
    assert flows["Open-Data-Portal München"] == ["1", "1"]
    assert flows["Gemeinsamer Datenraum der Partner"] == ["1", "1"]
    rows = main.select("table.twin-policy-decisions tbody tr")
    assert len(rows) == 10 and "(10)" in text_of(main.select_one("#twin-policy-decisions"))
    shown = {(text_of(row.th), text_of(row.find_all("td")[0]), text_of(row.find_all("td")[1]),
              text_of(row.find_all("td")[2])) for row in rows}
    for name in ("luftqualitaet-garching", "personalakten-garching"):
        package = call_action("package_show", site(), id=name)
        for decision in decisions_of(name):
            outcome = "✓ zugelassen" if decision["admitted"] else "✗ nicht zugelassen"
            title = PLATFORMS[["opendata", "digital-twin", "geoportal", "tempus",
                               "partner-space"].index(decision["platform"])]
            assert (package["title"], title, outcome, decision["explanation"]["de"]) in shown
    assert_accessible(document)


def test_the_tab_in_english_and_the_link_to_it(app, garching) -> None:
    main = page(app, "/organization/garching/policy", garching["admin"]).select_one(
        '[role="main"]')
    assert "Access policy" in text_of(main)
    assert "a prohibition overrides a permission" in text_of(main)
    assert "Rule offene-daten permits opendata (distribute) when all hold:" in text_of(main)
    explanations = {d["explanation"]["en"] for d in decisions_of("luftqualitaet-garching")}
    assert explanations <= {text_of(row.find_all("td")[2])
                            for row in main.select("table.twin-policy-decisions tbody tr")}
    assert "/organization/garching/policy" in tabs(app, "/organization/garching",
                                                  garching["admin"])
    assert "/organization/garching/policy" in tabs(app, "/organization/garching",
                                                  garching["sysadmin"])


def test_nobody_else_gets_the_tab_or_the_policy(app, garching) -> None:
    for user in (garching["editor"], garching["reader"], garching["outsider"],
                 garching["eching"], None):
        assert "/organization/garching/policy" not in tabs(app, "/organization/garching",
                                                          user), user
        get(app, "/organization/garching/policy", user, status=403)
        get(app, "/organization/garching/policy.jsonld", user, status=403)


def test_the_admin_of_one_partner_sees_no_other_partners_policy(app, garching) -> None:
    assert "/organization/eching/policy" in tabs(app, "/organization/eching", garching["eching"])
    assert "/organization/eching/policy" not in tabs(app, "/organization/eching",
                                                    garching["admin"])
    get(app, "/organization/eching/policy", garching["admin"], status=403)


def test_a_partner_without_a_policy_and_an_organization_that_is_no_partner(app,
                                                                           garching) -> None:
    content = text_of(page(app, "/de/organization/eching/policy", garching["eching"]))
    assert "Für diese Kommune ist keine Richtlinie angewendet" in content
    assert "Regeln je Plattform" not in content
    other = factories.Organization(name="kein-partner")
    admin = member(other["name"], "admin")
    assert "/organization/kein-partner/policy" not in tabs(app, "/organization/kein-partner",
                                                          admin)
    get(app, "/organization/kein-partner/policy", admin, status=404)
    get(app, "/organization/nirgendwo/policy", garching["sysadmin"], status=404)


def test_the_odrl_download_of_the_version_in_force_and_earlier_ones(app, garching) -> None:
    response = get(app, "/organization/garching/policy.jsonld", garching["admin"])
    assert response.mimetype == "application/ld+json"
    first = json.loads(response.get_data(as_text=True))
    assert first["uid"] == "http://test.ckan.net/policy/garching/1"
    assert first["conflict"] == "prohibit" and first["@type"] == "Set"
    call_action("twin_policy_update", site(), municipality="garching",
                policy=POLICY.replace("conflict: prohibit", "conflict: perm"))
    second = json.loads(get(app, "/organization/garching/policy.jsonld",
                            garching["admin"]).get_data(as_text=True))
    assert second["uid"].endswith("/garching/2") and second["conflict"] == "perm"
    assert json.loads(get(app, "/organization/garching/policy.jsonld?version=1",
                          garching["admin"]).get_data(as_text=True)) == first
    get(app, "/organization/garching/policy.jsonld?version=7", garching["admin"], status=404)
    main = page(app, "/organization/garching/policy", garching["admin"]).select_one(
        '[role="main"]')
    links = [a["href"] for a in main.select('a[type="application/ld+json"]')]
    assert links == ["/organization/garching/policy.jsonld",
                     "/organization/garching/policy.jsonld?version=1"]
    assert "a permission overrides a prohibition" in text_of(main)


def test_decisions_are_paged(app, garching, monkeypatch) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    seen = []
    for number in (1, 2, 3):
        main = page(app, f"/organization/garching/policy?page={number}",
                    garching["admin"]).select_one('[role="main"]')
        rows = main.select("table.twin-policy-decisions tbody tr")
        seen += [(row.th.a["href"], text_of(row.find_all("td")[0])) for row in rows]
        assert f"page {number} / 3" in text_of(main.select_one("table.twin-policy-decisions"))
        pager = {a["rel"][0]: a["href"] for a in main.select("nav a[rel]")}
        assert ("prev" in pager) == (number > 1) and ("next" in pager) == (number < 3)
    assert len(seen) == len(set(seen)) == 10
    for bad in ("0", "zwei", "-1"):
        get(app, f"/organization/garching/policy?page={bad}", garching["admin"], status=400)


def test_the_overview_shows_every_partners_flows_to_sysadmins_only(app, garching) -> None:
    dataset("radverkehr-eching", owner="eching")
    document = page(app, "/de/policy", garching["sysadmin"])
    main = document.select_one('[role="main"]')
    header = [text_of(th) for th in main.select("thead th")]
    assert header == ["Partner", *PLATFORMS]
    rows = {row.th.a["href"].split("/")[3]: row for row in main.select("tbody tr")}
    assert list(rows) == [p.id for p in load_partners(ROOT / "config" / "partners.yaml")]
    assert text_of(rows["garching"].th) == "Stadt Garching b.München"
    cells = [text_of(td) for td in rows["garching"].find_all("td")]
    assert cells[0] == "1 zugelassen, 1 nicht zugelassen"
    eching = [text_of(td) for td in rows["eching"].find_all("td")]
    assert eching == ["0 zugelassen, 1 nicht zugelassen"] * 5  # no policy: nothing flows
    assert [text_of(td) for td in rows["augsburg"].find_all("td")] == \
        ["keine Entscheidungen"] * 5
    assert_accessible(document)
    for user in (garching["admin"], garching["outsider"], None):
        get(app, "/policy", user, status=403)


def test_the_dataset_panel_shows_stewards_each_platforms_decision(app, garching) -> None:
    decisions = decisions_of("luftqualitaet-garching")
    for user in (garching["admin"], garching["editor"]):
        document = page(app, "/de/dataset/luftqualitaet-garching", user)
        panel = document.select_one("section.twin-policy-decisions")
        assert text_of(panel.h2) == "Freigabe für Münchens Plattformen"
        entries = panel.select("li[id]")
        assert [text_of(entry.strong).split(":")[0] for entry in entries] == list(PLATFORMS)
        for decision in decisions:
            entry = panel.select_one(
                f"#decision-{decision['platform']}-1-{decision['metadata_hash'][:16]}")
            assert decision["explanation"]["de"] in text_of(entry)
            assert ("✓ zugelassen" if decision["admitted"] else "✗ nicht zugelassen") \
                in text_of(entry.strong)
            assert "Richtlinie Version 1, entschieden" in text_of(entry)
    english = page(app, "/dataset/luftqualitaet-garching", garching["admin"])
    panel = text_of(english.select_one("section.twin-policy-decisions"))
    assert "Release to Munich's platforms" in panel
    assert all(d["explanation"]["en"] in panel for d in decisions)


def test_the_dataset_panel_is_for_stewards_only(app, garching) -> None:
    for user in (garching["reader"], garching["outsider"], garching["eching"], None):
        document = page(app, "/dataset/luftqualitaet-garching", user)
        assert document.select_one("section.twin-policy-decisions") is None, user
        assert "decision-opendata" not in str(document), user
