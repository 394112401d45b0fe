"""One record per dataset of a catalog page: its own graph, key, content hash and claims.

A catalog page is one graph holding many datasets, their distributions, agents and the
catalog itself. The harvest adapter imports datasets one by one, keyed and compared with the
previous harvest, so each dataset becomes a ``Record`` with:

- its graph: the dataset node's description, closed over everything that belongs to it —
  blank nodes (contact points, periods, locations, checksums …) and the described URI nodes
  it points to (distributions, publishers, contact points, data services) — but never another
  dataset, series, catalog or catalog record, nor vocabulary terms (classes, properties,
  SKOS concepts: some catalogs ship whole ontologies in their pages);
- its canonical N-Triples and their SHA-256, independent of triple order and blank-node
  labels, so an unchanged dataset is recognised and a changed one changes only its own hash;
- its key (``dct:identifier``, else the subject URI), ``dct:modified``, and what it *claims*
  about who published it — the adapter compares those claims with the partner registry.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, Namespace
from rdflib.term import Node

from harvesters.canonical import canonical_graph, content_hash

DCAT = Namespace("http://www.w3.org/ns/dcat#")  # rdflib's DCAT lacks DatasetSeries
HYDRA_NAMESPACES = ("http://www.w3.org/ns/hydra/core#", "https://www.w3.org/ns/hydra/core#",
                    "http://purl.org/hydra/core#")
RECORD_TYPES = (DCAT.Dataset, DCAT.DatasetSeries)
# Nodes a record never includes: other records, and vocabulary terms.
FOREIGN_TYPES = frozenset({
    DCAT.Dataset, DCAT.DatasetSeries, DCAT.Catalog, DCAT.CatalogRecord,
    SKOS.Concept, SKOS.ConceptScheme, RDFS.Class, OWL.Class, RDF.Property, OWL.ObjectProperty,
    OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.Ontology,
} | {URIRef(ns + name) for ns in HYDRA_NAMESPACES
     for name in ("Collection", "PagedCollection", "PartialCollectionView")})
# dcatde: 1.0, 1.0.1, 1.1 (with www. and https, as Rostock writes it) and 2.0/3.0 namespaces
DCATDE = re.compile(r"^https?://(www\.)?dcat-ap\.de/def/dcatde/[^#]*?/?$")


@dataclass(frozen=True)
class Agent:
    """An agent as the payload names it: its URI (None for a blank node) and ``foaf:name``."""

    uri: str | None
    name: str | None


@dataclass(frozen=True)
class Record:
    """One dataset (or dataset series) of a partner's catalog, ready for the adapter.

    ``key`` is what harvest objects are keyed on: ``identifier``, which is ``dct:identifier``
    when given, else the subject URI, else (a blank node without identifier) a key made from
    the content hash. ``modified`` is ``dct:modified`` in UTC (dates at midnight, times without
    zone taken as UTC). ``graph`` and ``ntriples`` hold the same triples with canonical
    blank-node labels. ``claimed_*`` are what the payload says, not what is true.
    """

    subject: str
    identifier: str
    key: str
    kind: str  # "Dataset" or "DatasetSeries"
    title: str | None
    modified: datetime | None
    graph: Graph
    ntriples: str
    content_hash: str
    claimed_publisher: Agent | None
    claimed_contributors: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def split_records(graph: Graph) -> Iterator[Record]:
    """The records of a page graph, in the order the page lists its datasets."""
    for subject in dataset_subjects(graph):
        yield make_record(graph, subject)


def dataset_subjects(graph: Graph) -> list[Node]:
    """Nodes typed ``dcat:Dataset`` or ``dcat:DatasetSeries``, each once, in page order."""
    subjects: dict[Node, None] = {}
    for kind in RECORD_TYPES:
        for subject in graph.subjects(RDF.type, kind):
            subjects.setdefault(subject)
    return list(subjects)


def describe(graph: Graph, root: Node) -> list[tuple[Node, Node, Node]]:
    """The triples that belong to ``root``'s record (see the module docstring)."""
    triples = []
    seen, stack = {root}, [root]
    while stack:
        node = stack.pop()
        for predicate, value in graph.predicate_objects(node):
            triples.append((node, predicate, value))
            if predicate == RDF.type or value in seen or isinstance(value, Literal):
                continue
            if isinstance(value, BNode):
                if not _is_record(graph, value):
                    seen.add(value)
                    stack.append(value)
            elif (value, None, None) in graph and not _is_foreign(graph, value):
                seen.add(value)
                stack.append(value)
    return triples


def _is_record(graph: Graph, node: Node) -> bool:
    return any((node, RDF.type, kind) in graph for kind in RECORD_TYPES)


def _is_foreign(graph: Graph, node: Node) -> bool:
    return any(kind in FOREIGN_TYPES for kind in graph.objects(node, RDF.type))


def make_record(graph: Graph, subject: Node) -> Record:
    """The record of ``subject`` in ``graph``."""
    warnings: list[str] = []
    record_graph, ntriples, labels = canonical_graph(describe(graph, subject))
    digest = content_hash(ntriples)
    # A blank node is named by its canonical label, which is stable across parses.
    shown = f"_:{labels[subject]}" if isinstance(subject, BNode) else str(subject)

    identifiers = sorted({str(v).strip() for v in graph.objects(subject, DCTERMS.identifier)
                          if isinstance(v, (Literal, URIRef)) and str(v).strip()})
    if len(identifiers) > 1:
        warnings.append(f"{shown}: several dct:identifier values ({', '.join(identifiers)}); "
                        f"keyed on {identifiers[0]!r}")
    if identifiers:
        identifier = identifiers[0]
    elif isinstance(subject, URIRef):
        identifier = str(subject)
    else:
        identifier = f"sha256:{digest}"
        warnings.append(f"{shown}: a blank-node dataset without dct:identifier, keyed on its "
                        "content hash: any change to it will look like a new dataset")

    return Record(
        subject=shown, identifier=identifier, key=identifier,
        kind="DatasetSeries" if (subject, RDF.type, DCAT.DatasetSeries) in graph else "Dataset",
        title=_text(graph, subject, DCTERMS.title),
        modified=_modified(graph, subject, shown, warnings),
        graph=record_graph, ntriples=ntriples, content_hash=digest,
        claimed_publisher=_publisher(graph, subject, shown, warnings),
        claimed_contributors=contributor_ids(graph, subject),
        warnings=tuple(warnings))


def _name(node: Node) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _text(graph: Graph, subject: Node, predicate: URIRef) -> str | None:
    """A literal value, German first, then untagged, then English, then any."""
    by_language: dict[str, list[str]] = {}
    for value in graph.objects(subject, predicate):
        if isinstance(value, Literal) and str(value).strip():
            language = (value.language or "").lower().split("-", 1)[0]
            by_language.setdefault(language, []).append(str(value).strip())
    for language in ("de", "", "en"):
        if language in by_language:
            return min(by_language[language])
    return min(min(texts) for texts in by_language.values()) if by_language else None


def parse_datetime(value: str) -> datetime | None:
    """An ``xsd:dateTime``, ``xsd:date`` or ``xsd:gYear(Month)`` lexical form as UTC; None if
    it is none of them."""
    text = value.strip()
    if re.fullmatch(r"\d{4}", text):
        text += "-01-01"
    elif re.fullmatch(r"\d{4}-\d{2}", text):
        text += "-01"
    zoned_date = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})", text)
    if zoned_date:  # "2021-01-05Z", "2021-01-05+01:00": midnight in that zone
        text = zoned_date.group(1) + "T00:00:00" + zoned_date.group(2)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _modified(graph: Graph, subject: Node, shown: str, warnings: list[str]) -> datetime | None:
    values = [v for v in graph.objects(subject, DCTERMS.modified) if isinstance(v, Literal)]
    parsed = []
    for value in values:
        lexical = str(value)
        moment = parse_datetime(lexical)
        if moment is None:
            warnings.append(f"{shown}: dct:modified {lexical!r} is not a date or time; ignored")
        else:
            parsed.append(moment)
    if len(parsed) > 1:
        warnings.append(f"{shown}: several dct:modified values; the latest counts")
    return max(parsed) if parsed else None


def _publisher(graph: Graph, subject: Node, shown: str, warnings: list[str]) -> Agent | None:
    publishers = sorted(graph.objects(subject, DCTERMS.publisher), key=_name)
    if not publishers:
        return None
    if len(publishers) > 1:
        warnings.append(f"{shown}: several dct:publisher values; the first is taken")
    node = publishers[0]
    if isinstance(node, Literal):
        return Agent(uri=None, name=str(node).strip() or None)
    return Agent(uri=str(node) if isinstance(node, URIRef) else None,
                 name=_text(graph, node, FOAF.name))


def contributor_ids(graph: Graph, subject: Node) -> tuple[str, ...]:
    """``dcatde:contributorID`` values in any DCAT-AP.de namespace version, sorted."""
    values = set()
    for predicate, value in graph.predicate_objects(subject):
        text = str(predicate)
        if text.endswith("contributorID") and DCATDE.match(text[:-len("contributorID")]) \
                and str(value).strip():
            values.add(str(value).strip())
    return tuple(sorted(values))
