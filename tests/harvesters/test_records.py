"""Splitting a catalog page into one record per dataset."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.catalogs import PORTAL, PUBLISHER, Options, catalog_pages, identifier
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import DCAT, RDF

from harvesters import rdf
from harvesters.dcat.records import Agent, parse_datetime, split_records

ROOT = Path(__file__).resolve().parents[2]
HARVEST = ROOT / "tests" / "fixtures" / "harvest"
PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def page(name: str) -> Graph:
    return rdf.parse((HARVEST / name).read_bytes(), content_type="application/rdf+xml")


def turtle(text: str) -> Graph:
    return rdf.parse((PREFIXES + text).encode(), "turtle")


@pytest.mark.parametrize("name, count", [
    ("rostock-catalog-original-input.rdf", 100), ("bremen-catalog-original-input.rdf", 153),
    ("brandenburg-catalog-original-input.rdf", 112), ("destatis-catalog-original-input.rdf", 135),
])
def test_real_pages_split_into_one_record_per_dataset(name, count):
    graph = page(name)
    records = list(split_records(graph))
    assert len(records) == count
    assert len({r.key for r in records}) == count
    for record in records:
        datasets = set(record.graph.subjects(RDF.type, DCAT.Dataset))
        assert len(datasets) == 1  # its own dataset, never another
        assert not set(record.graph.subjects(RDF.type, DCAT.Catalog))
        assert record.ntriples.count("\n") == len(record.graph)
        assert not record.warnings


def test_a_record_holds_its_distributions_agents_and_blank_nodes():
    records = {r.key: r for r in split_records(page("rostock-catalog-original-input.rdf"))}
    record = records["def01e2f-270d-450d-a329-557e635c37d5"]
    subject = URIRef(record.subject)
    distributions = set(record.graph.objects(subject, DCAT.distribution))
    assert distributions and all((d, RDF.type, DCAT.Distribution) in record.graph
                                 and (d, DCAT.accessURL, None) in record.graph
                                 for d in distributions)
    publisher = record.graph.value(subject, URIRef("http://purl.org/dc/terms/publisher"))
    assert (publisher, URIRef("http://xmlns.com/foaf/0.1/name"), None) in record.graph
    contact = record.graph.value(subject, DCAT.contactPoint)
    assert isinstance(contact, BNode) and len(list(record.graph.predicate_objects(contact))) > 1
    assert record.claimed_publisher == Agent(
        "https://www.opendata-hro.de/organization/b952e781-ab4c-456a-8e7a-2845f7efaf83",
        "Hanse- und Universitätsstadt Rostock")
    assert record.claimed_contributors == ("https://www.dcat-ap.de/def/contributors/openDataHRO",)
    assert record.title == "Kinderbetreuungseinrichtungen"
    assert record.modified == datetime(2021, 1, 28, 5, 25, 54, 181493, tzinfo=UTC)


def test_ontologies_shipped_in_a_page_stay_out_of_records():
    """Brandenburg's page carries the DCAT ontology and SKOS concepts next to its datasets."""
    graph = page("brandenburg-catalog-original-input.rdf")
    records = list(split_records(graph))
    vocabulary = {URIRef("http://www.w3.org/2002/07/owl#Class"),
                  URIRef("http://www.w3.org/2004/02/skos/core#Concept")}
    for record in records:
        assert not vocabulary & set(record.graph.objects(None, RDF.type))
    assert sum(len(r.graph) for r in records) < len(graph) / 1.5


def test_claims_in_older_dcatde_namespaces():
    bremen = next(split_records(page("bremen-catalog-original-input.rdf")))
    assert bremen.claimed_contributors == (
        "http://dcat-ap.de/def/contributors/transparenzportalBremen",)
    assert bremen.claimed_publisher == Agent("https://www.bremen.de", "Freie und Hansestadt Bremen")
    destatis = next(split_records(page("destatis-catalog-original-input.rdf")))
    assert destatis.claimed_contributors == ("http://dcat-ap.de/def/contributors/destatis",)


def test_key_is_the_identifier_else_the_subject():
    graph = turtle("""
<http://e/a> a dcat:Dataset ; dct:identifier " id-a " ; dct:title "A" .
<http://e/b> a dcat:Dataset ; dct:title "B" .
<http://e/c> a dcat:Dataset ; dct:identifier "c2", "c1" .
""")
    records = {r.subject: r for r in split_records(graph)}
    assert records["http://e/a"].key == records["http://e/a"].identifier == "id-a"
    assert records["http://e/b"].key == "http://e/b" and not records["http://e/b"].warnings
    assert records["http://e/c"].key == "c1"
    assert "several dct:identifier values (c1, c2)" in records["http://e/c"].warnings[0]


def test_a_blank_node_dataset_without_identifier_is_keyed_on_its_content():
    text = '[] a dcat:Dataset ; dct:title "Ohne URI"@de ; dcat:keyword "x", "y" .'
    first = next(split_records(turtle(text)))
    second = next(split_records(turtle(text)))
    assert first.key == second.key == f"sha256:{first.content_hash}"
    assert first.subject == second.subject and first.subject.startswith("_:b")
    assert "blank-node dataset without dct:identifier" in first.warnings[0]
    with_id = next(split_records(turtle('[] a dcat:Dataset ; dct:identifier "x-1" .')))
    assert with_id.key == "x-1" and not with_id.warnings


def test_dataset_series_are_records_and_members_do_not_swallow_them():
    graph = turtle("""
<http://e/series> a dcat:DatasetSeries ; dct:title "Reihe" ; dct:publisher <http://e/org> .
<http://e/y2023> a dcat:Dataset ; dct:title "2023" ; dcat:inSeries <http://e/series> .
<http://e/org> a foaf:Organization ; foaf:name "Amt" .
""")
    records = {r.subject: r for r in split_records(graph)}
    assert records["http://e/series"].kind == "DatasetSeries"
    member = records["http://e/y2023"]
    assert member.kind == "Dataset"
    assert (URIRef("http://e/series"), None, None) not in member.graph


@pytest.mark.parametrize("lexical, expected", [
    ("2024-05-01T10:00:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
    ("2024-05-01+02:00", datetime(2024, 4, 30, 22, tzinfo=UTC)),
    ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
    ("2024-05", datetime(2024, 5, 1, tzinfo=UTC)),
    ("2021-01-28 GMT 01:51:03.34919300", None), ("gestern", None),
])
def test_modified_dates(lexical, expected):
    assert parse_datetime(lexical) == expected


def test_an_unreadable_modified_is_a_warning():
    record = next(split_records(turtle(
        '<http://e/d> a dcat:Dataset ; dct:modified "letzte Woche" .')))
    assert record.modified is None
    assert "dct:modified 'letzte Woche' is not a date or time" in record.warnings[0]


# -- hashes -----------------------------------------------------------------------------------

def generated(options: Options | None = None, fmt: str = "turtle") -> dict[str, str]:
    pages = catalog_pages(30, 30, lambda n: f"http://127.0.0.1:1/catalog?page={n}", options, fmt)
    graph = rdf.parse(pages[0], {"turtle": "turtle", "xml": "xml", "json-ld": "json-ld"}[fmt])
    return {r.key: r.content_hash for r in split_records(graph)}


def test_hashes_do_not_depend_on_syntax_order_or_blank_node_labels():
    hashes = generated()
    assert len(hashes) == 30
    assert generated(fmt="xml") == hashes
    assert generated(fmt="json-ld") == hashes


def test_a_changed_dataset_changes_only_its_own_hash():
    before = generated()
    after = generated(Options(titles={7: "Neuer Titel"}))
    assert {k for k in before if before[k] != after[k]} == {identifier(7)}


def test_a_changed_shared_publisher_changes_every_record_that_names_it():
    before = generated()
    page_text = catalog_pages(30, 30, lambda n: "http://127.0.0.1:1/c")[0].replace(
        b'foaf:name "Landeshauptstadt M', b'foaf:name "Stadt M')
    after = {r.key: r.content_hash for r in split_records(rdf.parse(page_text, "turtle"))}
    assert all(before[k] != after[k] for k in before)
    assert PUBLISHER.startswith(PORTAL)


def test_hashes_are_stable_across_processes():
    """Blank-node labels are random per process and Python's hash seed too: neither counts."""
    script = ("import json, sys; sys.path.insert(0, sys.argv[1]);"
              "from harvesters import rdf; from harvesters.dcat.records import split_records;"
              "g = rdf.parse(open(sys.argv[2], 'rb').read(), 'xml');"
              "print(json.dumps({r.key: r.content_hash for r in split_records(g)}))")
    results = []
    for seed in ("1", "2"):
        output = subprocess.run(
            [sys.executable, "-c", script, str(ROOT),
             str(HARVEST / "rostock-catalog-original-input.rdf")],
            env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True,
            check=True).stdout
        results.append(json.loads(output))
    assert results[0] == results[1] and len(results[0]) == 100
    here = {r.key: r.content_hash
            for r in split_records(page("rostock-catalog-original-input.rdf"))}
    assert here == results[0]
