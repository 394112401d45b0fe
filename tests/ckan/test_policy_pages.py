"""The policy pages: the organization's "Richtlinie" tab for its admins only, the ODRL
download, the operators' overview, and the stewards' panel on the dataset page."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.twin.logic.partners import sync_partners
from ckanext.twin.partners import load_partners

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = "twin_policy twin_search twin twin_dcat scheming_datasets dcat"
POLICY = (ROOT / "config" / "policies" / "garching.yaml").read_text(encoding="utf-8")

pytestmark = [pytest.mark.ckan_config("ckan.plugins", PLUGINS),
              pytest.mark.ckan_config("ckanext.twin.partners_file",
                                      str(ROOT / "config" / "partners.yaml")),
              pytest.mark.ckan_config("ckanext.twin.platforms_file",
                                      str(ROOT / "config" / "platforms.yaml")),
              pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")]


@pytest.fixture
def garching() -> dict[str, str]:
    """Garching with its shipped policy, one dataset, an admin and an outsider."""
    list(sync_partners(load_partners(ROOT / "config" / "partners.yaml")))
    site = {"user": call_action("get_site_user")["name"], "ignore_auth": True}
    call_action("twin_policy_update", dict(site), municipality="garching", policy=POLICY)
    call_action("package_create", dict(site), name="luft-garching", owner_org="garching",
                title="Luftqualität Garching", notes="Messwerte.",
                license_id="http://dcat-ap.de/def/licenses/dl-by-de/2.0",
                access_rights="http://publications.europa.eu/resource/authority/access-right/PUBLIC",
                personal_data="false", classification="public",
                theme=["http://publications.europa.eu/resource/authority/data-theme/ENVI"])
    admin, outsider = factories.User(), factories.User()
    call_action("organization_member_create", dict(site), id="garching",
                username=admin["name"], role="admin")
    return {"admin": admin["name"], "outsider": outsider["name"],
            "sysadmin": factories.Sysadmin()["name"]}


def get(app, url: str, user: str | None, status: int = 200) -> str:
    headers = {"Authorization": factories.APIToken(user=user)["token"]} if user else {}
    response = app.get(url, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def test_admins_see_their_policy_tab_with_rules_flows_and_reasons(app, garching) -> None:
    page = get(app, "/organization/garching/policy", garching["admin"])
    assert "Zugriffsrichtlinie" in page and "Version 1" in page
    assert "Open-Data-Portal München" in page and "luft-garching" not in page.split("<h2")[0]
    assert "zugelassen" in page
    about = get(app, "/organization/garching", garching["admin"])
    assert "/organization/garching/policy" in about


def test_others_get_no_tab_and_no_policy(app, garching) -> None:
    get(app, "/organization/garching/policy", garching["outsider"], status=403)
    get(app, "/organization/garching/policy", None, status=403)
    assert "/organization/garching/policy" not in get(app, "/organization/garching", None)
    get(app, "/organization/eching/policy", garching["admin"], status=403)


def test_odrl_download(app, garching) -> None:
    document = json.loads(get(app, "/organization/garching/policy.jsonld", garching["admin"]))
    assert document["uid"].endswith("/policy/garching/1") and document["conflict"]
    get(app, "/organization/garching/policy.jsonld", garching["outsider"], status=403)


def test_overview_for_sysadmins_only(app, garching) -> None:
    page = get(app, "/policy", garching["sysadmin"])
    assert "garching" in page and "zugelassen" in page
    get(app, "/policy", garching["admin"], status=403)


def test_dataset_panel_for_stewards_only(app, garching) -> None:
    page = get(app, "/dataset/luft-garching", garching["admin"])
    assert "Freigabe für Münchens Plattformen" in page
    assert "Digitaler Zwilling" in page
    public = get(app, "/dataset/luft-garching", None, status=200)
    assert "Freigabe für Münchens Plattformen" not in public


def test_dataset_rdf_carries_the_decisions_as_prov_for_stewards_only(app, garching) -> None:
    from rdflib import Graph
    from rdflib.namespace import RDF

    from ckanext.twin.dcat.namespaces import PROV

    def activities(user: str | None) -> set:
        graph = Graph().parse(data=get(app, "/dataset/luft-garching.ttl", user), format="turtle")
        return set(graph.subjects(RDF.type, PROV.Activity))

    assert activities(None) == set()
    steward = activities(garching["admin"])
    assert len(steward) == 5
    graph = Graph().parse(data=get(app, "/dataset/luft-garching.ttl", garching["admin"]),
                          format="turtle")
    used = {str(o) for a in steward for o in graph.objects(a, PROV.used)}
    assert "http://test.ckan.net/policy/garching/1" in used
