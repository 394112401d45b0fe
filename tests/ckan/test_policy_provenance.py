"""The access-policy decisions as PROV-O in a dataset's RDF: for its stewards only, in the
dataset's own RDF only (not the catalog harvesters read), and invisible to the parser, so
what a steward's RDF says about the dataset itself is what everyone's says."""
from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.dcat.processors import RDFParser
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF, RDFS

from ckanext.twin.dcat.namespaces import DCAT, PROV
from ckanext.twin.policy import provenance
from ckanext.twin.policy.provenance import TWIN

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = "twin_policy twin_search twin twin_dcat scheming_datasets dcat harvest"
POLICY = (ROOT / "config" / "policies" / "garching.yaml").read_text(encoding="utf-8")
SITE = "http://test.ckan.net"
PLATFORM_URLS = {"opendata": "https://opendata.muenchen.de",
                 "digital-twin": "https://digitaler-zwilling.muenchen.de",
                 "geoportal": "https://geoportal.muenchen.de",
                 "tempus": "https://tempus.muenchen.de",
                 "partner-space": "https://datenraum.muenchen.de"}
FORMATS = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}

pytestmark = [pytest.mark.ckan_config("ckan.plugins", PLUGINS),
              pytest.mark.ckan_config("ckanext.twin.partners_file",
                                      str(ROOT / "config" / "partners.yaml")),
              pytest.mark.ckan_config("ckanext.twin.platforms_file",
                                      str(ROOT / "config" / "platforms.yaml")),
              pytest.mark.usefixtures("partners")]


def site() -> dict[str, Any]:
    return {"user": call_action("get_site_user")["name"], "ignore_auth": True}


def dataset(name: str, owner: str) -> dict[str, Any]:
    return call_action(
        "package_create", site(), name=name, owner_org=owner, title="Luftqualität",
        notes="Messwerte.", license_id="http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        access_rights="http://publications.europa.eu/resource/authority/access-right/PUBLIC",
        personal_data="false", classification="public",
        theme=["http://publications.europa.eu/resource/authority/data-theme/ENVI"],
        resources=[{"url": "https://www.garching.de/luft.csv", "format": "CSV",
                    "name": "Messwerte"}])


def member(organization: str, role: str) -> str:
    user = factories.User()["name"]
    call_action("organization_member_create", site(), id=organization, username=user,
                role=role)
    return user


@pytest.fixture
def garching() -> dict[str, str]:
    """Garching with its shipped policy and one open dataset; Eching without a policy."""
    call_action("twin_policy_update", site(), municipality="garching", policy=POLICY)
    dataset("luft-garching", "garching")
    dataset("luft-eching", "eching")
    return {"admin": member("garching", "admin"), "editor": member("garching", "editor"),
            "reader": member("garching", "member"), "outsider": factories.User()["name"],
            "eching": member("eching", "editor"), "sysadmin": factories.Sysadmin()["name"]}


def headers(user: str | None) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user)["token"]} if user else {}


def rdf(app: Any, url: str, user: str | None, fmt: str = "ttl") -> Graph:
    response = app.get(url, headers=headers(user))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return Graph().parse(data=response.get_data(as_text=True), format=FORMATS[fmt])


def activities(graph: Graph) -> set[Any]:
    return set(graph.subjects(RDF.type, PROV.Activity))


def provenance_triples(graph: Graph) -> Graph:
    """Every triple about a PROV activity, entity or agent of the graph."""
    subjects = {s for kind in (PROV.Activity, PROV.Entity, PROV.SoftwareAgent)
                for s in graph.subjects(RDF.type, kind)}
    found = Graph()
    for triple in graph:
        if triple[0] in subjects:
            found.add(triple)
    return found


def test_a_steward_reads_each_decision_as_an_evaluation_that_used_the_policy(app,
                                                                             garching) -> None:
    graph = rdf(app, "/dataset/luft-garching.ttl", garching["editor"])
    (dataset_ref,) = graph.subjects(RDF.type, DCAT.Dataset)
    policy = URIRef(call_action("twin_policy_export", site(),
                                municipality="garching")["uid"])
    assert policy == URIRef(f"{SITE}/policy/garching/1")
    assert (policy, RDF.type, PROV.Entity) in graph
    assert (policy, PROV.wasAttributedTo, URIRef(f"{SITE}/organization/garching")) in graph
    portal = URIRef(f"{SITE}/#portal")
    assert (portal, RDF.type, PROV.SoftwareAgent) in graph
    decisions = call_action("twin_policy_decision_list", site(), id="luft-garching")["results"]
    assert len(decisions) == len(activities(graph)) == 5
    for decision in decisions:
        entity = URIRef(f"{dataset_ref}#decision-{decision['platform']}-1-"
                        f"{decision['metadata_hash'][:16]}")
        activity = graph.value(entity, PROV.wasGeneratedBy)
        assert (activity, RDF.type, PROV.Activity) in graph
        assert set(graph.objects(activity, PROV.used)) == {dataset_ref, policy}
        assert graph.value(activity, PROV.wasAssociatedWith) == portal
        assert graph.value(activity, PROV.endedAtTime).toPython() == \
            datetime.datetime.fromisoformat(decision["decided_at"])
        assert set(graph.objects(entity, PROV.wasDerivedFrom)) == {dataset_ref, policy}
        assert graph.value(entity, TWIN.platform) == URIRef(PLATFORM_URLS[decision["platform"]])
        assert graph.value(entity, TWIN.admitted).toPython() is decision["admitted"]
        assert graph.value(entity, TWIN.reason) == Literal(decision["reason"])
        assert set(graph.objects(entity, DCTERMS.description)) == {
            Literal(decision["explanation"]["de"], lang="de"),
            Literal(decision["explanation"]["en"], lang="en")}
        labels = {label.language: str(label) for label in graph.objects(entity, RDFS.label)}
        assert labels["de"].startswith("Zugelassen für" if decision["admitted"]
                                       else "Nicht zugelassen für")
        assert labels["en"].startswith("Admitted to" if decision["admitted"]
                                       else "Not admitted to")
    assert "@prefix prov: <http://www.w3.org/ns/prov#>" in app.get(
        "/dataset/luft-garching.ttl", headers=headers(garching["admin"])).get_data(as_text=True)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_carries_it_for_stewards_and_none_for_anyone_else(app, garching,
                                                                       fmt) -> None:
    url = f"/dataset/luft-garching.{fmt}"
    assert len(activities(rdf(app, url, garching["admin"], fmt))) == 5
    assert len(activities(rdf(app, url, garching["sysadmin"], fmt))) == 5
    for user in (None, garching["reader"], garching["outsider"], garching["eching"]):
        graph = rdf(app, url, user, fmt)
        assert not activities(graph) and not set(graph.subjects(TWIN.admitted, None)), user


def test_the_action_carries_it_and_the_catalog_never(app, garching) -> None:
    response = app.post("/api/action/dcat_dataset_show",
                        json={"id": "luft-garching", "format": "ttl"},
                        headers=headers(garching["admin"]))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    graph = Graph().parse(data=json.loads(response.get_data(as_text=True))["result"],
                          format="turtle")
    assert len(activities(graph)) == 5
    catalog = rdf(app, "/catalog.ttl", garching["sysadmin"])
    assert set(catalog.subjects(RDF.type, DCAT.Dataset))
    assert not activities(catalog) and not set(catalog.subjects(TWIN.admitted, None))


@pytest.mark.ckan_config("ckanext.dcat.enable_content_negotiation", "true")
def test_content_negotiation_on_the_dataset_page_carries_it(app, garching) -> None:
    response = app.get("/dataset/luft-garching",
                       headers={"Accept": "text/turtle", **headers(garching["admin"])})
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    assert len(activities(graph)) == 5


def test_without_a_policy_the_evaluation_used_only_the_dataset(app, garching) -> None:
    graph = rdf(app, "/dataset/luft-eching.ttl", garching["eching"])
    (dataset_ref,) = graph.subjects(RDF.type, DCAT.Dataset)
    assert len(activities(graph)) == 5
    for activity in activities(graph):
        assert set(graph.objects(activity, PROV.used)) == {dataset_ref}
    assert {str(o) for o in graph.objects(None, TWIN.reason)} == {"no-policy"}
    assert not set(graph.subjects(PROV.wasAttributedTo, None))


def test_the_parser_reads_the_stewards_rdf_as_everyone_elses(app, garching) -> None:
    steward = app.get("/dataset/luft-garching.ttl",
                      headers=headers(garching["admin"])).get_data(as_text=True)
    public = app.get("/dataset/luft-garching.ttl").get_data(as_text=True)

    def parsed(data: str) -> list[dict[str, Any]]:
        parser = RDFParser(profiles=["dcatap_de"])
        parser.parse(data, _format="turtle")
        return list(parser.datasets())

    assert parsed(steward) == parsed(public) and len(parsed(public)) == 1
    steward_graph = Graph().parse(data=steward, format="turtle")
    added = provenance_triples(steward_graph)
    assert len(added) > 5 * 10
    assert isomorphic(steward_graph - added, Graph().parse(data=public, format="turtle"))


def test_no_request_no_provenance(garching) -> None:
    """Harvesting, the CLI and background jobs serialize outside any request."""
    package = call_action("package_show", site(), id="luft-garching")
    assert provenance.decisions_for_reader(package["id"]) == []
