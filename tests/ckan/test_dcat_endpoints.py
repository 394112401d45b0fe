"""The published DCAT-AP.de catalog over HTTP: /catalog.{ttl,rdf,jsonld,xml} with hydra paging
and modified_since, per-dataset RDF, content negotiation, contributorIDs and the publisher.

The data is the portal's own: the partner registry (config/partners.yaml) and the demo
datasets (config/demo/datasets.yaml), plus one dataset of Nürnberg, a partner with its own
contributorID. Every response is parsed with rdflib and checked on its triples.
"""
from __future__ import annotations

import datetime
from pathlib import Path

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories, helpers
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, RDF, Namespace

from ckanext.twin.dcat.namespaces import DCAT, DCATDE, DCT
from ckanext.twin.logic import demo_data
from ckanext.twin.logic.partners import sync_partners
from ckanext.twin.partners import load_partners

REPO = Path(__file__).resolve().parents[2]
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
CONTRIBUTORS = "http://dcat-ap.de/def/contributors/"
MUNICH = URIRef(CONTRIBUTORS + "landeshauptstadtMuenchen")
NUREMBERG = URIRef(CONTRIBUTORS + "stadtNuernberg")
SITE = "http://test.ckan.net"
# endpoint extension → (rdflib parser, Content-Type)
FORMATS = {"ttl": ("turtle", "text/turtle"), "rdf": ("xml", "application/rdf+xml"),
           "xml": ("xml", "application/rdf+xml"), "jsonld": ("json-ld", "application/ld+json")}

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "twin_search twin_dcat scheming_datasets dcat"),
    pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", "2"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


@pytest.fixture
def portal() -> list[str]:
    """Partners, the three demo datasets and a Nürnberg dataset: four public datasets."""
    list(sync_partners(load_partners(REPO / "config" / "partners.yaml")))
    names = [name for name, _ in demo_data.ensure(
        demo_data.load(REPO / "config" / "demo" / "datasets.yaml"))]
    site_user = helpers.call_action("get_site_user")["name"]
    helpers.call_action(
        "package_create", context={"user": site_user}, name="haushalt-nuernberg",
        owner_org="nuernberg", title="Haushaltsplan Nürnberg", notes="Haushaltsplan der Stadt.",
        license_id="http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        resources=[{"url": "https://online-service2.nuernberg.de/haushalt.csv",
                    "format": "CSV"}])
    return [*names, "haushalt-nuernberg"]


def get_graph(app, url: str, fmt: str = "ttl", **kwargs) -> Graph:
    response = app.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    parser, content_type = FORMATS[fmt]
    assert response.headers["Content-Type"] == content_type
    return Graph().parse(data=response.get_data(as_text=True), format=parser)


def catalog(graph: Graph) -> URIRef:
    (node,) = graph.subjects(RDF.type, DCAT.Catalog)
    return node


def titles(graph: Graph) -> set[str]:
    return {str(graph.value(d, DCT.title)) for d in graph.subjects(RDF.type, DCAT.Dataset)}


def paging(graph: Graph) -> dict[str, str]:
    """The hydra view of a page: property name → value (links as text)."""
    (view,) = graph.subjects(RDF.type, HYDRA.PagedCollection)
    return {str(p).rsplit("#", 1)[1]: str(o) for p, o in graph.predicate_objects(view)
            if p != RDF.type}


def dataset_id(name: str) -> str:
    return helpers.call_action("package_show", id=name)["id"]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_catalog_in_every_format_with_its_publisher(app, portal, fmt):
    graph = get_graph(app, f"/catalog.{fmt}", fmt)
    node = catalog(graph)
    assert node == URIRef(SITE)
    assert len(set(graph.objects(node, DCAT.dataset))) == 2  # datasets_per_page
    publisher = graph.value(node, DCT.publisher)
    assert publisher is not None
    assert graph.value(publisher, FOAF.name) == Literal("Landeshauptstadt München")
    assert (publisher, RDF.type, FOAF.Agent) in graph


def test_hydra_paging_walks_every_dataset_once(app, portal):
    first = get_graph(app, "/catalog.ttl")
    view = paging(first)
    assert view["totalItems"] == "4" and view["itemsPerPage"] == "2"
    assert view["next"] == f"{SITE}/catalog.ttl?page=2"
    assert view["last"] == f"{SITE}/catalog.ttl?page=2"
    assert "previous" not in view

    second = get_graph(app, "/catalog.ttl", query_string={"page": 2})
    view = paging(second)
    assert view["previous"] == f"{SITE}/catalog.ttl?page=1"
    assert "next" not in view

    walked = titles(first) | titles(second)
    assert len(walked) == 4 and not titles(first) & titles(second)
    assert "Haushaltsplan Nürnberg" in walked


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_page_beyond_the_last_is_404(app, portal, fmt):
    app.get(f"/catalog.{fmt}", query_string={"page": 3}, status=404)
    app.get(f"/catalog.{fmt}", query_string={"page": 2}, status=200)


def test_the_last_page_follows_the_search_filters(app, portal):
    """With ``q`` narrowing the catalog to two datasets there is no page 2."""
    graph = get_graph(app, "/catalog.ttl", query_string={"q": "Verkehr"})
    assert paging(graph)["totalItems"] == "2"
    app.get("/catalog.ttl", query_string={"q": "Verkehr", "page": 2}, status=404)


def test_an_empty_catalog_has_page_1_only(app):
    graph = get_graph(app, "/catalog.ttl")
    assert not set(graph.objects(catalog(graph), DCAT.dataset))
    app.get("/catalog.ttl", query_string={"page": 2}, status=404)


def test_the_action_raises_not_found_past_the_end(app, portal):
    with app.flask_app.test_request_context():
        assert helpers.call_action("dcat_catalog_show", page=2, format="ttl")
        with pytest.raises(tk.ObjectNotFound, match=r"page 3 is beyond the last page \(2\)"):
            helpers.call_action("dcat_catalog_show", page=3, format="ttl")


def test_profiles_can_be_chosen_per_request(app, portal):
    """``?profiles=`` as in ckanext-dcat: the stock DCAT-AP 3 profile adds no contributorID."""
    graph = get_graph(app, "/catalog.ttl", query_string={"profiles": "euro_dcat_ap_3"})
    assert set(graph.subjects(RDF.type, DCAT.Dataset))
    assert not set(graph.objects(None, DCATDE.contributorID))
    response = app.get("/catalog.ttl", query_string={"profiles": "nope"}, status=409)
    assert "Unknown RDF profiles: nope" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["0", "-1", "zwei"])
def test_a_malformed_page_is_refused(app, portal, page):
    response = app.get("/catalog.ttl", query_string={"page": page}, status=409)
    assert "Page param must be a positive integer" in response.get_data(as_text=True)


def test_modified_since_lists_only_later_changes(app, portal):
    since = datetime.datetime.now(datetime.UTC).replace(tzinfo=None).isoformat()
    helpers.call_action("package_patch", id="haushalt-nuernberg", notes="Neu: Nachtragshaushalt.")
    graph = get_graph(app, "/catalog.ttl", query_string={"modified_since": since})
    assert titles(graph) == {"Haushaltsplan Nürnberg"}
    assert paging(graph)["totalItems"] == "1"
    later = (datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
             + datetime.timedelta(hours=1)).isoformat()
    graph = get_graph(app, "/catalog.ttl", query_string={"modified_since": later})
    assert not titles(graph)


def test_modified_since_must_be_a_date(app, portal):
    response = app.get("/catalog.ttl", query_string={"modified_since": "gestern"}, status=409)
    assert "ISO-8601" in response.get_data(as_text=True)


def test_paging_links_keep_modified_since(app, portal):
    graph = get_graph(app, "/catalog.ttl", query_string={"modified_since": "2000-01-01"})
    assert paging(graph)["next"] == f"{SITE}/catalog.ttl?modified_since=2000-01-01&page=2"


def test_every_dataset_carries_munichs_contributor_id_after_its_partners(app, portal):
    """GovData K13: the portal appends its own contributorID; the partner's stays."""
    contributors = {}
    for page in (1, 2):
        graph = get_graph(app, "/catalog.ttl", query_string={"page": page})
        for dataset in graph.subjects(RDF.type, DCAT.Dataset):
            contributors[str(graph.value(dataset, DCT.title))] = \
                set(graph.objects(dataset, DCATDE.contributorID))
    assert len(contributors) == 4
    assert all(MUNICH in ids for ids in contributors.values()), contributors
    assert contributors["Haushaltsplan Nürnberg"] == {NUREMBERG, MUNICH}
    assert contributors["Verkehrsnetz Garching b.München"] == {MUNICH}  # no ID of its own


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_dataset_rdf_in_every_format(app, portal, fmt):
    graph = get_graph(app, f"/dataset/haushalt-nuernberg.{fmt}", fmt)
    (dataset,) = graph.subjects(RDF.type, DCAT.Dataset)
    assert dataset == URIRef(f"{SITE}/dataset/{dataset_id('haushalt-nuernberg')}")
    assert graph.value(dataset, DCT.title) == Literal("Haushaltsplan Nürnberg")
    assert set(graph.objects(dataset, DCATDE.contributorID)) == {NUREMBERG, MUNICH}
    assert graph.value(dataset, DCATDE.politicalGeocodingURI) == \
        URIRef("http://dcat-ap.de/def/politicalGeocoding/regionalKey/095640000000")
    (distribution,) = graph.objects(dataset, DCAT.distribution)
    assert graph.value(distribution, DCT.license) == \
        URIRef("http://dcat-ap.de/def/licenses/dl-by-de/2.0")


def test_dataset_rdf_of_an_unknown_or_private_dataset_is_404(app, portal):
    app.get("/dataset/gibt-es-nicht.ttl", status=404)
    sysadmin = factories.Sysadmin()
    helpers.call_action("package_patch", context={"user": sysadmin["name"]},
                        id="haushalt-nuernberg", private=True)
    app.get("/dataset/haushalt-nuernberg.ttl", status=403)
    graph = get_graph(app, "/catalog.ttl", query_string={"page": 1})
    assert paging(graph)["totalItems"] == "3"


class TestContentNegotiation:
    """``Accept`` on the HTML addresses, with ``ckanext.dcat.enable_content_negotiation``.

    ckanext-dcat reads the option once, when its blueprint module is imported (the first
    time the ``dcat`` plugin loads in a process), so a test cannot switch its routes on.
    ``twin_dcat`` adds the same routes when the app is built (``dcat/catalog.py``); these
    tests exercise those, with ckanext-dcat's own negotiation code behind them.
    """

    pytestmark = pytest.mark.ckan_config("ckanext.dcat.enable_content_negotiation", "true")

    @pytest.mark.parametrize("accept, fmt", [
        ("text/turtle", "ttl"), ("application/ld+json", "jsonld"),
        ("application/rdf+xml", "rdf"),
        ("text/csv; q=1.0, text/turtle; q=0.6, application/ld+json; q=0.3", "ttl"),
    ])
    def test_dataset_page_answers_rdf(self, app, portal, accept, fmt):
        graph = get_graph(app, "/dataset/haushalt-nuernberg", fmt, headers={"Accept": accept})
        (dataset,) = graph.subjects(RDF.type, DCAT.Dataset)
        assert graph.value(dataset, DCT.title) == Literal("Haushaltsplan Nürnberg")
        assert MUNICH in set(graph.objects(dataset, DCATDE.contributorID))

    @pytest.mark.parametrize("headers", [{}, {"Accept": "text/html"}, {"Accept": "image/gif"}])
    def test_dataset_page_stays_html_otherwise(self, app, portal, headers):
        response = app.get("/dataset/haushalt-nuernberg", headers=headers)
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "Haushaltsplan Nürnberg" in response.get_data(as_text=True)

    def test_other_dataset_pages_are_untouched(self, app, portal):
        sysadmin = factories.Sysadmin()
        token = factories.APIToken(user=sysadmin["name"])["token"]
        response = app.get("/dataset/new", headers={"Authorization": token,
                                                    "Accept": "text/turtle"})
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        app.get("/dataset/gibt-es-nicht", headers={"Accept": "text/turtle"}, status=404)

    def test_home_page_answers_the_catalog_with_paging(self, app, portal):
        graph = get_graph(app, "/", headers={"Accept": "text/turtle"})
        assert catalog(graph) == URIRef(SITE)
        assert paging(graph)["next"] == f"{SITE}/?page=2"
        app.get("/", headers={"Accept": "text/turtle"}, query_string={"page": 3}, status=404)
        response = app.get("/")
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def test_without_the_option_accept_is_ignored(app, portal):
    response = app.get("/dataset/haushalt-nuernberg", headers={"Accept": "text/turtle"})
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
