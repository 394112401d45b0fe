"""Tokens read exactly what the policies admit for their platform or partner: through the
action API (``package_search``, ``package_show``) and the DCAT catalog (``/catalog.ttl``).

Garching's policy admits its air-quality dataset to the Digital Twin and the partners'
shared space, its traffic dataset to TEMPUS, its budget to the open-data portal; the
datasets are written and the policy applied through the action API, the labels come from
the real ``twin_policy`` plugin.
"""
from __future__ import annotations

from typing import Any

import pytest
from ckan.tests.helpers import call_action
from rdflib import Graph
from rdflib.namespace import RDF

from ckanext.twin.access import cli
from ckanext.twin.dcat.namespaces import DCAT, DCT
from ckanext.twin.logic.partners import sync_partners
from ckanext.twin.partners import load_partners
from test_access_tokens import (EXPIRED, ROOT, _signed, claims_of,
                                invoke, issue, rotate)

PLUGINS = "twin_policy twin_access activity twin_search twin twin_dcat scheming_datasets dcat"
PUBLIC = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
RESTRICTED = "http://publications.europa.eu/resource/authority/access-right/RESTRICTED"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"

pytestmark = [pytest.mark.ckan_config("ckan.plugins", PLUGINS),
              pytest.mark.ckan_config("ckanext.twin.partners_file",
                                      str(ROOT / "config" / "partners.yaml")),
              pytest.mark.ckan_config("ckanext.twin.platforms_file",
                                      str(ROOT / "config" / "platforms.yaml")),
              pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", "100"),
              pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "activity_db")]

POLICY = """
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
      theme: {isAnyOf: [ENVI]}
  - id: partner
    platform: partner-space
    effect: permit
    when:
      theme: {isAnyOf: [ENVI]}
  - id: testfeld
    platform: tempus
    effect: permit
    when:
      theme: {isAnyOf: [TRAN]}
"""


def site() -> dict[str, Any]:
    return {"user": call_action("get_site_user")["name"], "ignore_auth": True}


def dataset(name: str, theme: str, access_rights: str = RESTRICTED) -> None:
    call_action("package_create", site(), name=name, owner_org="garching",
                title=name.replace("-", " ").title(), notes="Daten aus Garching.",
                license_id="http://dcat-ap.de/def/licenses/dl-by-de/2.0",
                access_rights=access_rights, personal_data="false", classification="public",
                theme=[THEME + theme],
                resources=[{"url": f"https://www.garching.de/{name}.csv", "format": "CSV",
                            "name": "Daten"}])


@pytest.fixture
def garching() -> None:
    """The partners' organizations; Garching's policy and three datasets, each admitted to
    other platforms; a signing key."""
    list(sync_partners(load_partners(ROOT / "config" / "partners.yaml")))
    call_action("twin_policy_update", site(), municipality="garching", policy=POLICY)
    dataset("luft-garching", "ENVI")
    dataset("verkehr-garching", "TRAN")
    dataset("haushalt-garching", "ECON", access_rights=PUBLIC)
    rotate()


def search(app: Any, token: str | None, status: int = 200) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return app.get("/api/3/action/package_search", query_string={"rows": 100},
                   headers=headers, status=status).json


def names(app: Any, token: str | None) -> list[str]:
    return sorted(d["name"] for d in search(app, token)["result"]["results"])


def catalog_titles(app: Any, token: str) -> set[str]:
    response = app.get("/catalog.ttl", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    return {str(graph.value(d, DCT.title)) for d in graph.subjects(RDF.type, DCAT.Dataset)}


def shows(app: Any, token: str, name: str) -> int:
    return app.get("/api/3/action/package_show", query_string={"id": name},
                   headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_platform_token_never_reads_another_platforms_datasets(app, garching):
    twin = issue("--platform", "digital-twin")
    tempus = issue("--platform", "tempus")

    assert names(app, twin) == ["luft-garching"]
    assert names(app, tempus) == ["verkehr-garching"]
    assert names(app, None) == ["haushalt-garching"]  # anonymous: the open data only
    assert (shows(app, twin, "luft-garching"), shows(app, twin, "verkehr-garching"),
            shows(app, twin, "haushalt-garching")) == (200, 403, 403)
    assert (shows(app, tempus, "verkehr-garching"), shows(app, tempus, "luft-garching")) \
        == (200, 403)


def test_the_catalog_holds_exactly_what_the_token_may_read(app, garching):
    assert catalog_titles(app, issue("--platform", "digital-twin")) == {"Luft Garching"}
    assert catalog_titles(app, issue("--platform", "tempus")) == {"Verkehr Garching"}
    assert catalog_titles(app, issue("--platform", "opendata")) == {"Haushalt Garching"}


def test_a_partner_token_reads_the_shared_space_and_its_own_organization(app, garching):
    eching = issue("--partner", "eching")
    garching_token = issue("--partner", "garching")

    assert names(app, eching) == ["luft-garching"]  # admitted to the shared space
    # Garching's account is a member of its organization: also its non-public datasets
    # (public ones carry only CKAN's "public" label, which no token account has).
    assert names(app, garching_token) == ["luft-garching", "verkehr-garching"]


def test_a_revoked_or_expired_token_reads_nothing(app, garching):
    revoked = issue("--platform", "digital-twin")
    assert names(app, revoked) == ["luft-garching"]
    invoke(cli.token, "revoke", claims_of(revoked)["jti"])
    expired = _signed(**EXPIRED)(claims_of(issue("--platform", "digital-twin"))["jti"])

    for token in (revoked, expired):
        answer = search(app, token, status=401)
        assert answer["success"] is False and "result" not in answer
        app.get("/catalog.ttl", headers={"Authorization": f"Bearer {token}"}, status=401)
        assert shows(app, token, "luft-garching") == 401
