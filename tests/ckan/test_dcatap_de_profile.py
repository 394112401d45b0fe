"""The dcatap_de profile on real DCAT-AP.de: official 3.0 and 2.0 examples, ckanext-dcatde's
test resources. Parsing and serializing mirror each other on every example."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from ckanext.dcat.processors import RDFParser, RDFSerializer
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from ckanext.twin.dcat.namespaces import DCAT, DCATAP, DCATDE, GEODCATAP, OWL

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "dcat-ap-de" / "examples"
FORMATS = {".ttl": "turtle", ".rdf": "xml", ".jsonld": "json-ld"}
VALID_EXAMPLES = sorted(p for p in EXAMPLES.rglob("*") if p.suffix in FORMATS
                        and p.name != "DataService.ttl")  # not valid Turtle as published
MUNICH = "http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen"

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "twin_dcat scheming_datasets dcat"),
    pytest.mark.usefixtures("with_plugins"),
]


def parse(data: bytes | str, fmt: str) -> list[dict]:
    parser = RDFParser(profiles=["dcatap_de"])
    parser.parse(data, _format=fmt)
    return list(parser.datasets())


def serialize(dataset: dict) -> Graph:
    serializer = RDFSerializer(profiles=["dcatap_de"])
    serializer.graph_from_dataset(copy.deepcopy(dataset))
    return serializer.g


def with_ids(dataset: dict) -> dict:
    """What CKAN stores: resources have ids (their URIs, when the source gave none)."""
    dataset = copy.deepcopy(dataset)
    dataset.setdefault("name", "example")
    for position, resource in enumerate(dataset.get("resources", [])):
        resource.setdefault("id", f"resource-{position}")
    return dataset


@pytest.mark.parametrize("path", VALID_EXAMPLES, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_example_parses_and_round_trips(path: Path):
    datasets = parse(path.read_bytes(), FORMATS[path.suffix])
    assert datasets, "no dataset parsed"
    for dataset in datasets:
        assert dataset["title"]
        first = serialize(with_ids(dataset))
        again = parse(first.serialize(format="turtle"), "turtle")
        assert len(again) == 1
        second = serialize(with_ids(again[0]))
        assert isomorphic(first, second), _difference(first, second)


def _difference(first: Graph, second: Graph) -> str:
    from rdflib.compare import graph_diff, to_isomorphic
    _, only_first, only_second = graph_diff(to_isomorphic(first), to_isomorphic(second))
    return (f"only in first:\n{only_first.serialize(format='nt')}\n"
            f"only in second:\n{only_second.serialize(format='nt')}")


def test_dcat_ap_de_fields_of_the_3_0_example():
    dataset = parse((EXAMPLES / "spec-v3.0" / "Dataset-und-Distribution.ttl").read_bytes(),
                    "turtle")[0]
    assert dataset["contributor_id"] == ["http://dcat-ap.de/def/contributors/bienenland"]
    assert dataset["political_geocoding_level_uri"] == \
        "http://dcat-ap.de/def/politicalGeocoding/Level/state"
    assert dataset["political_geocoding_uri"] == \
        ["http://dcat-ap.de/def/politicalGeocoding/stateKey/17"]
    assert dataset["geocoding_description"].startswith("Hier steht eine zusätzliche")
    attributions = [r.get("license_attribution_by_text") for r in dataset["resources"]]
    assert "Finanzministerium Musterland" in attributions


def test_deprecated_2_0_properties_are_carried_forward():
    """dcatde:maintainer → geodcatap:custodian, dcatde:plannedAvailability → dcatap:availability."""
    path = EXAMPLES / "spec-v2.0" / "RDF-TURTLE" / "dcat_ap_de-RefImp_TTL_ADVANCED.ttl"
    source = Graph().parse(path, format="turtle")
    old_predicates = {p for p in source.predicates()
                      if p in (DCATDE.maintainer, DCATDE.plannedAvailability, OWL.versionInfo)}
    assert old_predicates, "the example should use deprecated properties"
    dataset = parse(path.read_bytes(), "turtle")[0]
    graph = serialize(with_ids(dataset))
    assert not {p for p in graph.predicates()} & old_predicates
    if DCATDE.maintainer in old_predicates:
        assert dataset.get("custodian")
        assert (None, GEODCATAP.custodian, None) in graph
    if DCATDE.plannedAvailability in old_predicates:
        values = {str(o) for o in graph.objects(None, DCATAP.availability)}
        assert values and all(v.startswith(
            "http://publications.europa.eu/resource/authority/planned-availability/")
            for v in values)
    if OWL.versionInfo in old_predicates:
        assert (None, DCAT.version, None) in graph


def test_portal_appends_its_contributor_id_and_keeps_the_partners():
    dataset = parse((EXAMPLES / "spec-v3.0" / "Dataset-und-Distribution.ttl").read_bytes(),
                    "turtle")[0]
    graph = serialize(with_ids(dataset))
    contributors = {str(o) for o in graph.objects(None, DCATDE.contributorID)}
    assert contributors == {"http://dcat-ap.de/def/contributors/bienenland", MUNICH}


def test_every_distribution_carries_a_licence_and_iana_media_type():
    dataset = {"name": "luft", "title": "Luftqualität", "notes": "Messwerte",
               "license_id": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
               "resources": [{"id": "r1", "url": "http://127.0.0.1/luft.csv",
                              "mimetype": "text/csv"}]}
    graph = serialize(dataset)
    distribution = next(graph.subjects(None, DCAT.Distribution))
    assert URIRef("http://dcat-ap.de/def/licenses/dl-by-de/2.0") in \
        set(graph.objects(distribution, URIRef("http://purl.org/dc/terms/license")))
    assert set(graph.objects(distribution, DCAT.mediaType)) == \
        {URIRef("http://www.iana.org/assignments/media-types/text/csv")}
    assert parse(graph.serialize(format="turtle"), "turtle")[0]["resources"][0]["mimetype"] \
        == "text/csv"


@pytest.mark.parametrize("fmt, text, line", [
    ("turtle", "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\n<a> a dcat:Dataset ;\n  dcat:x \"y\n", 3),
    ("xml", "<?xml version='1.0'?>\n<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\n<rdf:Description>\n</rdf:RDF>\n", 4),
])
def test_malformed_rdf_names_format_and_line(fmt, text, line):
    from ckanext.dcat.exceptions import RDFParserException
    with pytest.raises(RDFParserException) as error:
        parse(text, fmt)
    assert str(line) in str(error.value)


def test_the_published_data_service_example_is_reported_with_its_line():
    """The official DataService.ttl lacks a '.' after a @prefix on line 12."""
    from ckanext.dcat.exceptions import RDFParserException
    with pytest.raises(RDFParserException) as error:
        parse((EXAMPLES / "spec-v3.0" / "DataService.ttl").read_bytes(), "turtle")
    assert "line" in str(error.value).lower()


def test_json_ld_examples_need_no_network(monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("network access while parsing")

    monkeypatch.setattr(socket, "create_connection", refuse)
    path = EXAMPLES / "spec-v2.0" / "RDF-JSONLD" / "dcat_ap_de-RefImp_JSONLD_SIMPLE.jsonld"
    assert parse(path.read_bytes(), "json-ld")


def test_geometries_are_written_as_the_shapes_accept_them():
    """No locn:geometry literal (refused by the shapes); a WKT bbox ckanext-dcat reads back."""
    from ckanext.twin.dcat.namespaces import GSP, LOCN
    from ckanext.twin.dcat.validation import validate

    polygon = ('{"type": "Polygon", "coordinates": [[[11.36, 48.06], [11.72, 48.06], '
               '[11.72, 48.25], [11.36, 48.25], [11.36, 48.06]]]}')
    dataset = {"id": "flaeche", "name": "flaeche", "title": "Stadtgebiet", "notes": "Fläche",
               "license_id": "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
               "publisher": [{"name": "Landeshauptstadt München"}],
               "spatial_coverage": [{"geom": polygon}], "resources": []}
    graph = serialize(dataset)
    assert (None, LOCN.geometry, None) not in graph
    bboxes = list(graph.objects(None, DCAT.bbox))
    assert len(bboxes) == 1 and bboxes[0].datatype == GSP.wktLiteral
    assert not [r for r in validate(graph).violations if "spatial" in str(r.path)
                or "geometry" in str(r.path) or "bbox" in str(r.path)]
    again = serialize(with_ids(parse(graph.serialize(format="turtle"), "turtle")[0]))
    assert isomorphic(graph, again)


@pytest.mark.ckan_config("ckan.locale_default", "de")
def test_the_catalog_node_conforms():
    from ckanext.twin.dcat.validation import validate

    serializer = RDFSerializer(profiles=["dcatap_de"])
    catalog_ref = serializer.graph_from_catalog({})
    report = validate(serializer.g)
    assert [r for r in report.violations if r.focus == str(catalog_ref)] == []
    assert (catalog_ref, URIRef("http://purl.org/dc/terms/language"),
            URIRef("http://publications.europa.eu/resource/authority/language/DEU")) \
        in serializer.g


def test_keywords_split_at_commas_but_not_at_decimal_commas():
    data = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    <https://example.org/d> a dcat:Dataset ; dct:title "Feinstaub"@de ;
        dcat:keyword "PM2,5"@de, "Verkehr, Radwege"@de, "Verkehr"@de ."""

    [dataset] = parse(data, "turtle")

    assert sorted(t["name"] for t in dataset["tags"]) == ["PM2.5", "Radwege", "Verkehr"]
