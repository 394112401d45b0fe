"""Canonical N-Triples of a small graph, and its content hash.

A harvested record is compared with the previous harvest by its content hash, so the hash must
not change when nothing but the serialisation changed: the order of triples, the labels a parser
gave blank nodes (random in rdflib), the prefixes. Blank nodes get labels computed from what
they are connected to, triples are written one per line and sorted.

``rdflib.compare.to_canonical_graph`` does the same, but its search for a canonical labelling
is exponential when blank nodes look alike: a dataset with 40 identical blank-node distributions
takes it 7 s, 50 take 18 s, and a partner (or an attacker) controls how many there are. Here the
labels come from colour refinement (each blank node's colour is hashed from its own colour and
its neighbours', until the partition is stable); when blank nodes remain alike, one class of them
is told apart by their position in it and refinement goes on. For the blank-node trees the
records are made of (concise bounded descriptions) alike nodes are interchangeable, so the
result is canonical and the cost is polynomial. Symmetric blank-node *cycles*, which no DCAT
catalog needs, can make two serialisations of one graph hash differently: the worst outcome is
that a record is seen as changed when it is not.

The N-Triples are written here, not by rdflib, so that the hash does not change with rdflib's
serialiser; IRIs that rdflib would refuse to serialise (spaces, braces) are escaped as ``\\u``.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

_Triple = tuple[Node, Node, Node]
_IRI_ESCAPES = str.maketrans({c: f"\\u{ord(c):04X}" for c in '<>"{}|^`\\'}
                             | {chr(i): f"\\u{i:04X}" for i in range(0x21)})
_LITERAL_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_Edges = dict[BNode, list[tuple[str, "BNode | None", str]]]


def canonical_ntriples(triples: Iterable[_Triple]) -> str:
    """The triples as N-Triples with canonical blank-node labels, sorted, one per line."""
    triples = list(triples)
    labels = blank_node_labels(triples)
    lines = {f"{_term(s, labels)} {_term(p, labels)} {_term(o, labels)} ."
             for s, p, o in triples}
    return "".join(line + "\n" for line in sorted(lines))


def canonical_graph(triples: Iterable[_Triple]) -> tuple[Graph, str, dict[BNode, str]]:
    """A graph with canonical blank-node labels, its canonical N-Triples, and the labels
    (original blank node -> canonical label)."""
    triples = list(triples)
    labels = blank_node_labels(triples)
    graph = Graph()
    for s, p, o in triples:
        graph.add((_relabel(s, labels), _relabel(p, labels), _relabel(o, labels)))
    lines = {f"{_term(s, labels)} {_term(p, labels)} {_term(o, labels)} ."
             for s, p, o in triples}
    return graph, "".join(line + "\n" for line in sorted(lines)), labels


def content_hash(ntriples: str) -> str:
    """SHA-256 (hex) of canonical N-Triples."""
    return hashlib.sha256(ntriples.encode("utf-8", "surrogatepass")).hexdigest()


def blank_node_labels(triples: list[_Triple]) -> dict[BNode, str]:
    """A label for every blank node, derived from the graph's structure, not from its labels."""
    nodes = {t for triple in triples for t in triple if isinstance(t, BNode)}
    if not nodes:
        return {}
    # Per blank node: (direction and predicate, the blank neighbour or None, the neighbour's
    # N-Triples form when it is not blank).
    edges: _Edges = defaultdict(list)
    for s, p, o in triples:
        predicate = _term(p, {}) if not isinstance(p, BNode) else "_"
        if isinstance(s, BNode):
            edges[s].append(("o " + predicate, *_neighbour(o)))
        if isinstance(o, BNode):
            edges[o].append(("i " + predicate, *_neighbour(s)))
    colours = _refine({node: "" for node in nodes}, edges)
    while True:
        classes: dict[str, list[BNode]] = defaultdict(list)
        for node, colour in colours.items():
            classes[colour].append(node)
        ties = sorted(colour for colour, members in classes.items() if len(members) > 1)
        if not ties:
            break
        # Alike nodes of one class: tell them apart by position, then refine again. Which
        # node gets which position does not matter when they are interchangeable.
        for position, node in enumerate(sorted(classes[ties[0]], key=str)):
            colours[node] = _hash(f"{ties[0]}#{position}")
        colours = _refine(colours, edges)
    short = {node: "b" + colour[:24] for node, colour in colours.items()}
    if len(set(short.values())) < len(short):  # never seen; full length is collision-free
        short = {node: "b" + colour for node, colour in colours.items()}
    return short


def _neighbour(term: Node) -> tuple[BNode | None, str]:
    return (term, "") if isinstance(term, BNode) else (None, _term(term, {}))


def _refine(colours: dict[BNode, str], edges: _Edges) -> dict[BNode, str]:
    """Colour refinement until the number of colours stops growing (the partition is stable)."""
    count = len(set(colours.values()))
    while True:
        refined = {}
        for node, colour in colours.items():
            signature = sorted(
                f"{edge} {'_:' + colours[blank] if blank is not None else text}"
                for edge, blank, text in edges.get(node, ()))
            refined[node] = _hash(colour + "\n" + "\n".join(signature))
        new_count = len(set(refined.values()))
        if new_count == count:
            return refined
        colours, count = refined, new_count


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _relabel(term: Node, labels: dict[BNode, str]) -> Node:
    return BNode(labels[term]) if isinstance(term, BNode) else term


def _term(term: Node, labels: dict[BNode, str]) -> str:
    """One term in N-Triples syntax (RDF 1.1: ``xsd:string`` literals written plain)."""
    if isinstance(term, BNode):
        return "_:" + labels.get(term, str(term))
    if isinstance(term, URIRef):
        return "<" + str(term).translate(_IRI_ESCAPES) + ">"
    if isinstance(term, Literal):
        text = '"' + str(term).translate(_LITERAL_ESCAPES) + '"'
        if term.language:
            return f"{text}@{term.language.lower()}"
        if term.datatype is not None and term.datatype != XSD.string:
            return f"{text}^^{_term(term.datatype, labels)}"
        return text
    return "<" + str(term) + ">"  # graph terms of other kinds (N3 formulae): by their id
