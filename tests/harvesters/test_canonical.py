"""Canonical N-Triples: independent of triple order and blank-node labels, polynomial."""
from __future__ import annotations

import random

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, RDF, XSD

from harvesters.canonical import canonical_graph, canonical_ntriples, content_hash

EX = "http://example.org/"


def relabelled(triples: list, seed: int) -> list:
    """The same graph with fresh blank nodes, in another order."""
    mapping: dict = {}

    def fresh(term):  # type: ignore[no-untyped-def]
        return mapping.setdefault(term, BNode()) if isinstance(term, BNode) else term
    shuffled = [(fresh(s), fresh(p), fresh(o)) for s, p, o in triples]
    random.Random(seed).shuffle(shuffled)
    return shuffled


def sample() -> list:
    d, contact, period, dist = URIRef(EX + "d"), BNode(), BNode(), BNode()
    return [(d, RDF.type, DCAT.Dataset), (d, DCAT.contactPoint, contact),
            (contact, URIRef(EX + "fn"), Literal("Amt", lang="de")),
            (d, URIRef(EX + "temporal"), period),
            (period, DCAT.startDate, Literal("2020-01-01", datatype=XSD.date)),
            (d, DCAT.distribution, dist), (dist, DCAT.accessURL, URIRef(EX + "a.csv")),
            (dist, URIRef(EX + "checksum"), BNode())]


def test_order_and_labels_do_not_matter():
    expected = canonical_ntriples(sample())
    for seed in range(20):
        assert canonical_ntriples(relabelled(sample(), seed)) == expected


def test_the_output_is_the_same_graph():
    graph, ntriples, labels = canonical_graph(sample())
    assert isomorphic(graph, Graph().parse(data=ntriples, format="nt"))
    original = Graph()
    for triple in sample():
        original.add(triple)
    assert isomorphic(graph, original)
    assert len(labels) == 4 and all(label.startswith("b") for label in labels.values())


def test_alike_blank_nodes_stay_distinct_and_cheap():
    """2,000 identical blank-node distributions: rdflib's to_canonical_graph needs 18 s for
    50 of them; here all are kept apart and the call is immediate."""
    d = URIRef(EX + "d")
    triples = []
    for _ in range(2000):
        dist, checksum = BNode(), BNode()
        triples += [(d, DCAT.distribution, dist), (dist, RDF.type, DCAT.Distribution),
                    (dist, URIRef(EX + "checksum"), checksum),
                    (checksum, URIRef(EX + "value"), Literal("abc"))]
    ntriples = canonical_ntriples(triples)
    assert len(ntriples.splitlines()) == 8000
    assert canonical_ntriples(relabelled(triples, 1)) == ntriples


def test_blank_node_cycles_terminate():
    nodes = [BNode() for _ in range(300)]
    triples = [(nodes[i], URIRef(EX + "next"), nodes[(i + 1) % 300]) for i in range(300)]
    assert len(canonical_ntriples(triples).splitlines()) == 300


def test_literals_and_iris_are_written_as_n_triples():
    d = URIRef(EX + "d")
    triples = [(d, URIRef(EX + "p"), Literal('Zeile 1\nZeile "2" \\ ende', lang="DE")),
               (d, URIRef(EX + "q"), Literal("x", datatype=XSD.string)),
               (d, URIRef(EX + "r"), Literal("5", datatype=XSD.integer)),
               (d, URIRef(EX + "s"), URIRef("http://example.org/a b{c}"))]
    lines = canonical_ntriples(triples).splitlines()
    assert f'<{EX}d> <{EX}p> "Zeile 1\\nZeile \\"2\\" \\\\ ende"@de .' in lines
    assert f'<{EX}d> <{EX}q> "x" .' in lines  # xsd:string is the plain literal (RDF 1.1)
    assert f'<{EX}d> <{EX}r> "5"^^<http://www.w3.org/2001/XMLSchema#integer> .' in lines
    assert f"<{EX}d> <{EX}s> <http://example.org/a\\u0020b\\u007Bc\\u007D> ." in lines
    reparsed = Graph().parse(data="\n".join(lines), format="nt")
    assert (d, URIRef(EX + "s"), URIRef("http://example.org/a b{c}")) in reparsed


def test_content_hash_is_sha256_of_the_text():
    assert content_hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
