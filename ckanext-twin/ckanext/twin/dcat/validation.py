"""SHACL validation against GovData's DCAT-AP.de 3.0 profile ``v30_de_spec``, offline.

GovData's validator composes ``v30_de_spec`` from six files (``PROFILE``); the same files, copied
unchanged into ``config/shapes/v3.0``, are used here, parsed once per process. GovData's
validator also loads what ``dcat-ap-de-imports.ttl`` imports and validates the data together
with it: the EU and dcat-ap.de vocabularies, without which no ``skos:inScheme`` check passes,
and FOAF, vCard and ORG, whose class hierarchy lets a ``vcard:Organization`` count as the
``vcard:Kind`` and a ``foaf:Organization`` as the ``foaf:Agent`` the shapes ask for. Here the
same knowledge comes from local copies, never from the network: the triples about every
concept the data uses (``config/vocabularies``) and the ``rdfs:subClassOf`` triples of
GovData's FOAF/vCard/ORG mirrors (``config/shapes/mirror``). The imports file contributes only
its ``owl:imports`` triples, which pyshacl ignores (``do_owl_imports=False``).

Two things are reported differently from raw pyshacl, both documented in
``docs/dcat-ap-de.md``:

- A vocabulary check (``sh:path skos:inScheme`` nested in a property shape) is reported on the
  resource that uses the concept, with that property as path, not on the concept itself.
- Results of official shapes that are themselves wrong (``KNOWN_SHAPE_DEFECTS``) are not
  silently dropped: each is either moved to ``Report.known_defects`` with the reason, or kept
  with its message corrected.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS, Namespace
from rdflib.term import Node

from harvesters.rdf import (EXTENSIONS, FORMATS, RDFSyntaxError, format_for_path,  # noqa: F401
                            resolve_format)
from harvesters.rdf import parse as parse_rdf
from harvesters.vocabularies import Vocabularies, default_vocabularies

SHAPES_DIRECTORY = Path(__file__).resolve().parents[4] / "config" / "shapes" / "v3.0"
MIRROR_DIRECTORY = SHAPES_DIRECTORY.parent / "mirror"
MIRRORS = ("foaf_0_1.rdf", "vcard.ttl", "org.ttl")  # GovData's copies of FOAF, vCard, ORG
PROFILE = (  # v30_de_spec in GovData's validator/resources/config.properties, in its order
    "dcat-ap-SHACL.ttl",
    "dcat-ap-de-imports.ttl",
    "dcat-ap-SHACL-DE.ttl",
    "dcat-ap-de-deprecated.ttl",
    "dcat-ap-spec-german-additions.ttl",
    "dcat-ap-de-controlledvocabularies.ttl",
)
DCAT = Namespace("http://www.w3.org/ns/dcat#")  # rdflib's DCAT is DCAT 2, without DatasetSeries
SEMIC = "https://semiceu.github.io/DCAT-AP/releases/3.0.0/shacl/dcat-ap-SHACL.ttl#"
DCATDE_SHACL = "http://dcat-ap.de/def/dcatde/3.0/shacl/"
SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


@dataclass(frozen=True)
class Result:
    """One finding: which resource, which property, which value, what is wrong, which shape."""

    severity: str  # Violation, Warning or Info
    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str
    constraint: str  # the SHACL constraint component, e.g. MinCountConstraintComponent
    known_defect: str | None = None  # name in KNOWN_SHAPE_DEFECTS, when one applies


@dataclass
class Report:
    """``conforms`` means: no violation (warnings and known defects do not count)."""

    violations: list[Result] = field(default_factory=list)
    warnings: list[Result] = field(default_factory=list)  # sh:Warning and sh:Info
    known_defects: list[Result] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data for the action API, with the reason of each defect met."""
        met = {r.known_defect for r in self.violations + self.warnings + self.known_defects}
        return {"conforms": self.conforms,
                "violations": [asdict(r) for r in self.violations],
                "warnings": [asdict(r) for r in self.warnings],
                "known_defects": [asdict(r) for r in self.known_defects],
                "known_defect_reasons": {d.name: d.reason for d in KNOWN_SHAPE_DEFECTS
                                         if d.name in met}}


@dataclass(frozen=True)
class KnownDefect:
    """An official shape that is wrong, the results it explains and what is done with them.

    ``message`` set: the result keeps its severity and gets the corrected message.
    ``message`` None: the result moves to ``Report.known_defects``, whatever its severity.
    ``applies`` decides from the value node pyshacl reported and the validated graph.
    """

    name: str
    shapes: frozenset[str]
    reason: str
    applies: Callable[[Node | None, Graph], bool] = lambda value, graph: True
    message: str | None = None


def _typed(*names: str) -> Callable[[Node | None, Graph], bool]:
    """Whether the value has one of the DCAT classes ``names``."""
    return lambda value, graph: any((value, RDF.type, DCAT[name]) in graph for name in names)


NO_DCAT_ONTOLOGY = ("DCAT 3 declares {sub} subclasses of {sup}, but v30_de_spec imports no DCAT "
                    "ontology, so sh:class {sup} rejects them (GovData's own quicktest.ttl types "
                    "its dataset dcat:Resource for this reason). {portal}")

KNOWN_SHAPE_DEFECTS: tuple[KnownDefect, ...] = (
    KnownDefect(
        name="locn-geometry-literal",
        shapes=frozenset({SEMIC + "dct:LocationShape/d0b958cd33e8ef1bc031edaf2859b44db128a644"}),
        applies=lambda value, graph: isinstance(value, Literal),
        reason=("DCAT-AP 3.0.0 gives locn:geometry the range locn:Geometry (SEMICeu/DCAT-AP#247) "
                "and its shape demands a blank node or IRI, while GeoDCAT-AP, the Core Location "
                "vocabulary, the DCAT-AP.de 3.0 example and ckanext-dcat write the geometry as a "
                "WKT, GML or GeoJSON literal (GovDataOfficial/DCAT-AP.de-SHACL-Validation#27). "
                "A node would pass but ckanext-dcat's parser fails on it, so the portal writes "
                "dcat:bbox and dcat:centroid literals instead; partners' literals are accepted."),
    ),
    KnownDefect(
        name="series-in-catalog",
        shapes=frozenset({SEMIC + "dcat:CatalogShape/7b94c69361e00163d16d78016cd994668c7fccda"}),
        applies=_typed("DatasetSeries"),
        reason=NO_DCAT_ONTOLOGY.format(
            sub="dcat:DatasetSeries", sup="dcat:Dataset",
            portal="Series listed with dcat:dataset fail; the portal types its series "
                   "dcat:DatasetSeries and dcat:Dataset."),
    ),
    KnownDefect(
        name="record-topic-resource",
        shapes=frozenset({
            SEMIC + "dcat:CatalogRecordShape/c65d45ed7195ead5f643ec8c8afd29c6dd9662bf"}),
        applies=_typed("Dataset", "DatasetSeries", "DataService", "Catalog"),
        reason=NO_DCAT_ONTOLOGY.format(
            sub="dcat:Dataset, dcat:DatasetSeries, dcat:DataService and dcat:Catalog",
            sup="dcat:Resource",
            portal="A catalog record's foaf:primaryTopic fails; the portal types the topic "
                   "dcat:Resource as well."),
    ),
    KnownDefect(
        name="dataset-publisher-message",
        shapes=frozenset({DCATDE_SHACL + "DE_Dataset_dcterms_publisher_v_Min"}),
        reason=("The shape checks dcat:Dataset, but its message names dcat:DataService "
                "(copied from DE_DataService_dcterms_publisher_v_Min); the check is right."),
        message="DE: dcat:Dataset: MUSS einen dcterms:publisher haben.",
    ),
)


# -- shapes -------------------------------------------------------------------------------------

@cache
def shapes_graph() -> Graph:
    """The v30_de_spec shapes, parsed once per process."""
    graph = Graph()
    for name in PROFILE:
        graph.parse(SHAPES_DIRECTORY / name, format="turtle")
    return graph


@lru_cache(maxsize=1)
def _shape_context(graph: Graph) -> dict[Node, tuple[str, URIRef | None, frozenset[URIRef]]]:
    """For every shape of ``graph``: the IRI to report, the enclosing path and its target classes.

    Blank-node shapes (GovData's vocabulary and deprecation checks) are reported by the IRI of
    the shape that holds them. A vocabulary check nested under ``sh:path dcat:theme`` gets
    ``dcat:theme`` and the classes its node shape targets, to find the resource that uses the
    concept. Keyed by the shapes graph, whose blank nodes pyshacl reports.
    """
    parents = {child: parent for parent, child in graph.subject_objects(SH.property)}
    context = {}
    for shape in set(graph.subjects(SH.path, None)) | set(graph.subjects(RDF.type, SH.NodeShape)):
        named, outer_path, classes = shape, None, frozenset()
        parent = parents.get(shape)
        if parent is not None and (parent, SH.path, None) in graph:
            outer_path = graph.value(parent, SH.path)
            holder = parents.get(parent)
            if holder is not None:
                classes = frozenset(graph.objects(holder, SH.targetClass))
        while isinstance(named, BNode) and named in parents:
            named = parents[named]
        context[shape] = (str(named), outer_path, classes)
    return context


@cache
def class_hierarchy() -> Graph:
    """``rdfs:subClassOf`` between the named classes of FOAF, vCard and ORG (for ``sh:class``)."""
    hierarchy = Graph()
    for name in MIRRORS:
        ontology = Graph().parse(MIRROR_DIRECTORY / name)
        for sub, sup in ontology.subject_objects(RDFS.subClassOf):
            if isinstance(sub, URIRef) and isinstance(sup, URIRef):
                hierarchy.add((sub, RDFS.subClassOf, sup))
    return hierarchy


# -- validation -----------------------------------------------------------------------------

def validate(data_graph: Graph, vocabularies: Vocabularies | None = None) -> Report:
    """Validates ``data_graph`` (left unchanged) against v30_de_spec; no network access."""
    vocabularies = vocabularies or default_vocabularies()
    graph = Graph()
    graph += data_graph
    graph += vocabularies.describe(o for o in data_graph.objects() if isinstance(o, URIRef))
    graph += class_hierarchy()
    _, results, _ = pyshacl.validate(
        graph, shacl_graph=shapes_graph(), inference="none", advanced=False,
        do_owl_imports=False, allow_warnings=True, allow_infos=True, inplace=True)
    report = Report()
    seen: set[Result] = set()
    for result, value in _results(results, graph):
        result = _apply_defects(result, value, graph)
        if result in seen:
            continue
        seen.add(result)
        if result.known_defect and _defect(result.known_defect).message is None:
            report.known_defects.append(result)
        elif result.severity == "Violation":
            report.violations.append(result)
        else:
            report.warnings.append(result)
    for found in (report.violations, report.warnings, report.known_defects):
        found.sort(key=lambda r: (r.focus, r.path or "", r.value or "", r.shape))
    return report


def _results(results: Graph, graph: Graph) -> Iterator[tuple[Result, Node | None]]:
    """The results of pyshacl's report graph, each with its value node."""
    context = _shape_context(shapes_graph())
    expanded: set[tuple[Node, Node]] = set()
    for node in results.subjects(RDF.type, SH.ValidationResult):
        source = results.value(node, SH.sourceShape)
        shape, outer_path, classes = context.get(source, (str(source), None, frozenset()))
        focus = results.value(node, SH.focusNode)
        path = results.value(node, SH.resultPath)
        value = results.value(node, SH.value)
        component = str(results.value(node, SH.sourceConstraintComponent))
        common = {"severity": SEVERITIES.get(results.value(node, SH.resultSeverity), "Violation"),
                  "message": _message(results, node), "shape": shape,
                  "constraint": component.rsplit("#", 1)[-1]}
        if outer_path is not None and path == SKOS.inScheme:
            # A vocabulary check: pyshacl reports the concept (once per user); report each
            # resource that uses it, and how.
            if (source, focus) in expanded:
                continue
            expanded.add((source, focus))
            users = [s for s in graph.subjects(outer_path, focus)
                     if not classes or any((s, RDF.type, c) in graph for c in classes)]
            for user in users or [focus]:
                yield Result(focus=_name(user), path=str(outer_path), value=_name(focus),
                             **common), focus
            continue
        yield Result(focus=_name(focus), path=None if path is None else str(path),
                     value=None if value is None else _name(value), **common), value


def _name(node: Node) -> str:
    """How a node appears in a report: IRIs and literals as text, blank nodes as ``_:id``."""
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _message(results: Graph, node: Node) -> str:
    """The German message when the shape has one, else the English (or untagged) one."""
    messages = [m for m in results.objects(node, SH.resultMessage) if isinstance(m, Literal)]
    for language in ("de", "en", None):
        for message in messages:
            if message.language == language:
                return str(message)
    return str(messages[0]) if messages else ""


def _defect(name: str) -> KnownDefect:
    return next(defect for defect in KNOWN_SHAPE_DEFECTS if defect.name == name)


def _apply_defects(result: Result, value: Node | None, graph: Graph) -> Result:
    for defect in KNOWN_SHAPE_DEFECTS:
        if result.shape in defect.shapes and defect.applies(value, graph):
            if defect.message is None:
                return replace(result, known_defect=defect.name)
            return replace(result, known_defect=defect.name, message=defect.message)
    return result


# -- parsing (harvesters.rdf: one hardened parser for validation and harvesting) -----------

def validate_file(path_or_text: Path | str | bytes, format: str | None = None,
                  vocabularies: Vocabularies | None = None) -> Report:
    """Parses an RDF document and validates it.

    ``path_or_text``: a ``Path`` or file name, or the document itself (see ``_read``).
    ``format``: RDF/XML, Turtle, JSON-LD or N-Triples (``xml``, ``turtle``, ``json-ld``,
    ``nt``, their media types, …); by default from the file extension, else from the content.
    Unparsable input raises ``RDFSyntaxError`` naming the format and, where the parser knows
    it, the line (``Turtle, line 12: …``).
    """
    data, name = _read(path_or_text)
    chosen = resolve_format(format) if format else format_for_path(name) if name else None
    return validate(parse_rdf(data, chosen), vocabularies)


def _read(path_or_text: Path | str | bytes) -> tuple[bytes | str, str]:
    """The document and, when it came from a file, the file's name.

    A ``str`` is a file name when it is one line that does not start like RDF (``<``, ``{``,
    ``[``, ``@``); otherwise it is the document. Files are read as bytes, so that an XML
    encoding declaration is honoured.
    """
    if isinstance(path_or_text, bytes):
        return path_or_text, ""
    if isinstance(path_or_text, str) and ("\n" in path_or_text
                                          or path_or_text.lstrip()[:1] in ("<", "{", "[", "@")):
        return path_or_text, ""
    path = Path(path_or_text)
    return path.read_bytes(), path.name
