"""The controlled vocabularies of DCAT-AP.de 3.0, offline, and the way harvested values reach them.

The official shapes accept a theme, licence, format, language, … only when its URI is a
``skos:Concept`` ``skos:inScheme`` of the one scheme DCAT-AP.de names, and the portal must not
fetch those schemes at run time. So the project ships them as SKOS Turtle in
``config/vocabularies/`` (one file per vocabulary, its stem the short name used here) and this
registry answers from them: membership, labels (German first), choices for ckanext-scheming,
the normalisation of what partner catalogs actually write ("csv", "text/csv", "de",
superseded licence URIs; mapped in ``alignments.yaml``), and the triples the SHACL validation
adds to a data graph.

Everything is read once, on first use, and kept; the module imports nothing of CKAN.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DC, RDF, SKOS, Namespace

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / "config" / "vocabularies"
ALIGNMENTS_FILE = "alignments.yaml"
CC = Namespace("http://creativecommons.org/ns#")
IANA_MEDIA_TYPES = "http://www.iana.org/assignments/media-types/"
# The Publications Office's placeholder code in every EU table: accepted, never offered.
PLACEHOLDER_NOTATION = "OP_DATPRO"
LABEL_FALLBACK = ("en", "de")


@dataclass(frozen=True)
class Concept:
    """A concept of one vocabulary: its URI, code and preferred label per language."""

    uri: str
    notation: str | None
    labels: Mapping[str, str]

    def label(self, lang: str = "de") -> str:
        """The label in ``lang``, else English, else German, else any, else the URI's tail."""
        return pick_label(self.labels, lang, self.uri)


@dataclass(frozen=True)
class Scheme:
    """A vocabulary: its short name and the ``skos:ConceptScheme`` URIs its file declares.

    ``political-geocoding`` has two (regional keys and state keys); the others one.
    """

    name: str
    uris: tuple[str, ...]
    labels: Mapping[str, str]

    @property
    def uri(self) -> str:
        return self.uris[0]


@dataclass
class _Vocabulary:
    scheme: Scheme
    graph: Graph
    concepts: dict[str, Concept]
    keys: dict[str, str]  # normalised raw value -> concept URI


def pick_label(labels: Mapping[str, str], lang: str, uri: str) -> str:
    """The label in ``lang``, else English, else German, else any, else the URI's tail."""
    for language in (lang, *LABEL_FALLBACK):
        if language in labels:
            return labels[language]
    return next(iter(labels.values()), uri_tail(uri))


def uri_tail(uri: str) -> str:
    """The last path segment or fragment of ``uri`` (the fallback label)."""
    return re.split(r"[/#]", uri.rstrip("/#"))[-1]


def match_key(value: str) -> str:
    """The form in which raw values and vocabulary terms are compared.

    Case, surrounding blanks, blanks around ``;``/``=``, https vs. http and a trailing slash
    do not distinguish values in harvested metadata, so they do not here.
    """
    key = re.sub(r"\s*([;=])\s*", r"\1", value.strip()).casefold()
    if key.startswith("https://"):
        key = "http://" + key[len("https://"):]
    return key.rstrip("/") if "://" in key else key


def _candidates(raw: str) -> Iterator[str]:
    """The keys tried for a raw value: itself, without IANA prefix, without media-type options."""
    key = match_key(raw)
    yield key
    if key.startswith(IANA_MEDIA_TYPES):
        key = key[len(IANA_MEDIA_TYPES):]
        yield key
    if ";" in key:
        yield key.split(";", 1)[0]


def _sort_key(text: str) -> str:
    """Alphabetical order as German readers expect it: umlauts with their base letters."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _labels(graph: Graph, subject: URIRef) -> dict[str, str]:
    """The ``skos:prefLabel`` of ``subject`` per language ("" for an untagged one)."""
    return {(label.language or ""): str(label) for label in graph.objects(subject, SKOS.prefLabel)
            if isinstance(label, Literal)}


class Vocabularies:
    """The registry of vocabularies in one directory (default: ``config/vocabularies``).

    Scheme arguments are short names (``file-type``) or scheme URIs; an unknown one raises
    ``KeyError`` naming the known ones.
    """

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else DEFAULT_DIRECTORY
        self._lock = threading.Lock()
        self._vocabularies: dict[str, _Vocabulary] | None = None
        self._scheme_uris: dict[str, str] = {}
        self._concepts: dict[str, Concept] = {}
        self._owners: dict[str, str] = {}  # concept URI -> vocabulary name
        self._attribution: frozenset[str] = frozenset()
        self._graph: Graph | None = None

    # -- loading ---------------------------------------------------------------------------

    def _loaded(self) -> dict[str, _Vocabulary]:
        if self._vocabularies is None:
            with self._lock:
                if self._vocabularies is None:
                    self._load()
        assert self._vocabularies is not None
        return self._vocabularies

    def _load(self) -> None:
        files = sorted(self.directory.glob("*.ttl"))
        if not files:
            raise FileNotFoundError(f"no vocabularies (*.ttl) in {self.directory}")
        vocabularies = {path.stem: self._read(path) for path in files}
        alignments_path = self.directory / ALIGNMENTS_FILE
        alignments = (yaml.safe_load(alignments_path.read_text(encoding="utf-8")) or {}
                      if alignments_path.exists() else {})
        for name, vocabulary in vocabularies.items():
            vocabulary.keys = _match_keys(vocabulary, alignments.pop(name, None) or {},
                                          f"{alignments_path}: {name}")
        if alignments:
            raise ValueError(f"{alignments_path}: no vocabulary for section(s) "
                             f"{', '.join(sorted(alignments))}; known: {', '.join(vocabularies)}")
        self._scheme_uris = {match_key(uri): name for name, vocabulary in vocabularies.items()
                             for uri in vocabulary.scheme.uris}
        self._concepts = {uri: concept for vocabulary in vocabularies.values()
                          for uri, concept in vocabulary.concepts.items()}
        self._owners = {uri: name for name, vocabulary in vocabularies.items()
                        for uri in vocabulary.concepts}
        self._attribution = frozenset(
            str(subject) for vocabulary in vocabularies.values()
            for subject in vocabulary.graph.subjects(CC.requires, CC.Attribution))
        self._vocabularies = vocabularies

    @staticmethod
    def _read(path: Path) -> _Vocabulary:
        graph = Graph()
        try:
            graph.parse(path, format="turtle")
        except Exception as error:  # rdflib raises several types; the file name is what helps
            raise ValueError(f"{path}: not valid Turtle: {error}") from error
        scheme_uris = sorted(str(s) for s in graph.subjects(RDF.type, SKOS.ConceptScheme))
        if not scheme_uris:
            raise ValueError(f"{path}: declares no skos:ConceptScheme")
        concepts = {}
        for scheme_uri in scheme_uris:
            for subject in graph.subjects(SKOS.inScheme, URIRef(scheme_uri)):
                notation = (graph.value(subject, SKOS.notation)
                            or graph.value(subject, DC.identifier))
                concepts[str(subject)] = Concept(str(subject), notation and str(notation),
                                                 _labels(graph, subject))
        labels = _labels(graph, URIRef(scheme_uris[0]))
        return _Vocabulary(Scheme(path.stem, tuple(scheme_uris), labels), graph, concepts, {})

    # -- queries ---------------------------------------------------------------------------

    def names(self) -> list[str]:
        """The short names of all vocabularies."""
        return sorted(self._loaded())

    def scheme(self, name_or_uri: str) -> Scheme:
        """The vocabulary with this short name or scheme URI."""
        return self._vocabulary(name_or_uri).scheme

    def _vocabulary(self, name_or_uri: str) -> _Vocabulary:
        vocabularies = self._loaded()
        name = name_or_uri if name_or_uri in vocabularies else self._scheme_uris.get(
            match_key(str(name_or_uri)))
        if name is None:
            raise KeyError(f"unknown vocabulary {name_or_uri!r}; "
                           f"known: {', '.join(sorted(vocabularies))}")
        return vocabularies[name]

    def concepts(self, scheme: str) -> list[Concept]:
        """The concepts of a vocabulary in the alphabetical order of their German labels."""
        return sorted(self._vocabulary(scheme).concepts.values(),
                      key=lambda concept: (_sort_key(concept.label("de")), concept.uri))

    def concept(self, uri: str) -> Concept | None:
        """The concept with exactly this URI, in whichever vocabulary."""
        self._loaded()
        return self._concepts.get(str(uri))

    def label(self, uri: str, lang: str = "de") -> str:
        """A concept's or scheme's label in ``lang`` (then English, German); else the URI's tail."""
        concept = self.concept(uri)
        if concept is not None:
            return concept.label(lang)
        name = self._scheme_uris.get(match_key(str(uri)))
        labels = self._loaded()[name].scheme.labels if name is not None else {}
        return pick_label(labels, lang, str(uri))

    def contains(self, scheme: str, uri: str) -> bool:
        """Whether ``uri`` is, exactly as written, a concept of the vocabulary (as SHACL sees it).

        Use ``normalise`` first for values from outside.
        """
        return str(uri) in self._vocabulary(scheme).concepts

    def choices(self, scheme: str, lang: str = "de") -> list[dict[str, str]]:
        """``[{"value": uri, "label": …}]`` for a ckanext-scheming select, ordered by label.

        The EU placeholder "provisional data" (OP_DATPRO) is a value catalogs may carry but
        nobody should pick, so it is left out.
        """
        concepts = [c for c in self._vocabulary(scheme).concepts.values()
                    if c.notation != PLACEHOLDER_NOTATION]
        concepts.sort(key=lambda c: (_sort_key(c.label(lang)), c.uri))
        return [{"value": c.uri, "label": c.label(lang)} for c in concepts]

    def normalise(self, scheme: str, raw: Any) -> str | None:
        """The concept URI a harvested value means, or None.

        Tried in this order: the concept URIs, ``alignments.yaml``, the notations, the
        preferred and the alternative labels (a label two concepts share decides nothing).
        Comparison as in ``match_key``.
        """
        if raw is None or not str(raw).strip():
            return None
        keys = self._vocabulary(scheme).keys
        for candidate in _candidates(str(raw)):
            if candidate in keys:
                return keys[candidate]
        return None

    def requires_attribution(self, licence: str) -> bool:
        """Whether the licence asks for the source to be named (GovData K35).

        Then the distribution needs ``dcatde:licenseAttributionByText``. Superseded licence
        URIs are accepted; a value that is no licence of the list raises ``KeyError``.
        """
        uri = self.normalise("licenses", licence)
        if uri is None:
            raise KeyError(f"{licence!r} is not a licence of {self.scheme('licenses').uri}")
        return uri in self._attribution

    def graph(self) -> Graph:
        """All vocabulary triples in one graph (built once; treat it as read-only)."""
        if self._graph is None:
            graph = Graph()
            for vocabulary in self._loaded().values():
                graph += vocabulary.graph
            self._graph = graph
        return self._graph

    def describe(self, uris: Iterable[Any]) -> Graph:
        """The vocabulary triples about the given concepts and their schemes.

        This is what SHACL needs to check ``skos:inScheme`` of the values a data graph uses,
        at a fraction of the size of ``graph()``.
        """
        vocabularies = self._loaded()
        description = Graph()
        used: set[str] = set()
        for uri in {str(u) for u in uris} & self._owners.keys():
            name = self._owners[uri]
            vocabularies[name].graph.cbd(URIRef(uri), target_graph=description)
            used.add(name)
        for name in used:
            for scheme_uri in vocabularies[name].scheme.uris:
                vocabularies[name].graph.cbd(URIRef(scheme_uri), target_graph=description)
        return description


def _match_keys(vocabulary: _Vocabulary, aliases: Mapping[str, Iterable[str]],
                where: str) -> dict[str, str]:
    """The lookup table of ``normalise``: every known spelling -> concept URI.

    Earlier sources win over later ones; within the labels, a spelling that means two concepts
    is dropped. Aliases must name a concept by its notation and must not contradict each other
    or a concept URI, or the file is refused.
    """
    concepts = vocabulary.concepts.values()
    by_notation = {c.notation: c.uri for c in concepts if c.notation}
    keys = {match_key(c.uri): c.uri for c in concepts}
    for notation, values in aliases.items():
        if notation not in by_notation:
            raise ValueError(f"{where}: {notation!r} is not a notation of {vocabulary.scheme.uri}")
        for value in values:
            key, target = match_key(str(value)), by_notation[notation]
            if keys.setdefault(key, target) != target:
                raise ValueError(f"{where}: {value!r} would mean both {keys[key]} and {target}")
    graph = vocabulary.graph
    for layer in (
        [(c.notation, c.uri) for c in concepts if c.notation],
        [(label, c.uri) for c in concepts for label in c.labels.values()],
        [(str(label), c.uri) for c in concepts
         for label in graph.objects(URIRef(c.uri), SKOS.altLabel)],
    ):
        found: dict[str, set[str]] = defaultdict(set)
        for text, uri in layer:
            found[match_key(text)].add(uri)
        for key, uris in found.items():
            if len(uris) == 1 and key not in keys:
                keys[key] = next(iter(uris))
    return keys


@cache
def default_vocabularies() -> Vocabularies:
    """The process-wide registry of ``config/vocabularies`` (loaded on first use)."""
    return Vocabularies()
