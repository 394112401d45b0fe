"""End to end: a partner catalog harvested with policies in force. Each dataset appears only
on the platforms its municipality's policy admits; a policy change moves it; each platform's
and partner's account reads exactly what was admitted for it."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ckan.tests.helpers import call_action

from support.catalogs import catalog_pages, identifier
from support.harvesting import datasets_of, harvest, make_source
from support.servers import Server

from ckanext.twin.access.accounts import Principal, account_for

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ("twin_policy activity twin_search twin twin_dcat scheming_datasets dcat harvest "
           "twin_harvest twin_dcat_harvester")
# The generated catalog cycles through these themes (support/catalogs.py).
THEMES = ("GOVE", "TRAN", "ENVI", "EDUC", "SOCI", "ECON", "HEAL", "REGI")

pytestmark = [pytest.mark.ckan_config("ckan.plugins", PLUGINS),
              pytest.mark.ckan_config("ckanext.twin.partners_file",
                                      str(ROOT / "config" / "partners.yaml")),
              pytest.mark.usefixtures("with_plugins", "harvest_db", "activity_db",
                                      "clean_index", "partners")]

POLICY = """
municipality: muenchen
conflict: prohibit
rules:
  - id: verkehr-offen
    platform: opendata
    effect: permit
    when:
      theme: {isAnyOf: [TRAN]}
      personal_data: {eq: false}
  - id: zwilling
    platform: digital-twin
    effect: permit
    when:
      theme: {isAnyOf: [TRAN, ENVI]}
      classification: {isAnyOf: [public, internal]}
  - id: partner
    platform: partner-space
    effect: permit
    when:
      theme: {isAnyOf: [ECON]}
"""


def site() -> dict[str, Any]:
    return {"user": call_action("get_site_user")["name"], "ignore_auth": True}


def names_with_theme(datasets: dict[str, dict[str, Any]], *themes: str) -> set[str]:
    return {d["name"] for d in datasets.values()
            if any(t.rsplit("/", 1)[-1] in themes for t in d.get("theme") or [])}


def search_as(user: str | None) -> set[str]:
    found = call_action("package_search", {"user": user or "", "ignore_auth": False},
                        rows=100)["results"]
    return {d["name"] for d in found}


def serve(server: Server, total: int) -> str:
    def url(number: int) -> str:
        return server.url(f"/catalog?page={number}")
    for number, body in enumerate(catalog_pages(total, 50, url), 1):
        server.conditional(f"/catalog?page={number}", body, etag=f'"{hash(body)}"')
    return url(1)


def test_harvested_datasets_flow_only_where_the_policy_admits(http_server: Server) -> None:
    call_action("twin_policy_update", site(), municipality="muenchen", policy=POLICY)
    source = make_source(serve(http_server, 16), personal_data=False, classification="public")

    report = harvest(source)
    assert report["added"] == 16 and report["errored"] == 0

    datasets = datasets_of(source)
    traffic, air, economy = (names_with_theme(datasets, theme) for theme in ("TRAN", "ENVI",
                                                                              "ECON"))
    assert len(traffic) == len(air) == len(economy) == 2
    assert {d["name"] for d in datasets.values() if not d["private"]} == traffic
    assert search_as(None) == traffic
    twin = account_for(Principal("platform", "digital-twin"))
    tempus = account_for(Principal("platform", "tempus"))
    garching = account_for(Principal("partner", "garching"))
    assert search_as(twin.name) == traffic | air
    assert search_as(tempus.name) == set()
    assert search_as(garching.name) == economy
    # Public does not mean readable by every platform: the Digital Twin's account reads
    # nothing it was not admitted, the public datasets of other themes included.
    assert not (search_as(twin.name) & (set(datasets) - traffic - air))

    moved = call_action("twin_policy_update", site(), municipality="muenchen",
                        policy=POLICY.replace("isAnyOf: [TRAN]}", "isAnyOf: [TRAN, ENVI]}"))
    assert set(moved["platforms"]["opendata"]["admitted"]) == air
    assert search_as(None) == traffic | air

    unchanged = harvest(source)
    assert unchanged["unchanged"] == 16
    assert search_as(None) == traffic | air
    assert search_as(twin.name) == traffic | air


def test_harvest_without_declarations_reads_datasets_as_personal(http_server: Server) -> None:
    """A source that declares nothing: personal data assumed, so no rule asking for
    ``personal_data eq false`` admits anything."""
    call_action("twin_policy_update", site(), municipality="muenchen", policy=POLICY)
    source = make_source(serve(http_server, 8))

    harvest(source)

    assert search_as(None) == set()
    first = call_action("twin_policy_decision_list", site(),
                        id=datasets_of(source)[identifier(1)]["id"], platform="opendata")
    decision = first["results"][0]
    assert not decision["admitted"] and decision["unmet"] == [["verkehr-offen", "personal_data"]]
    assert any("personal" in note for note in decision["notes"])
