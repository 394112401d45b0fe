"""One RDF document in, one rdflib Graph out: format detection and hardened parsing.

Partners' catalogs arrive as RDF/XML, Turtle, JSON-LD or N-Triples, often with a wrong or
generic content type, and they are untrusted input. rdflib parses all of them, but as shipped
(7.6) it:

- expands internal XML entities in RDF/XML and resolves none of the external ones silently
  (``&xxe;`` becomes an empty literal, no error), and its literal handling is quadratic in the
  number of text pieces: a 542-byte "billion laughs" document keeps it busy for 21 s, one
  more level for more than half an hour;
- fetches a remote JSON-LD ``@context`` from the network while parsing;
- is quadratic on literals with many escapes or line breaks in Turtle and N-Triples (3 MB of
  escapes in one literal: 38-160 s), and gives N-Triples errors without a line number.

So here: RDF/XML with a ``<!DOCTYPE`` (the only place entities can be declared) is refused
before any element is read, and RDF/XML goes through rdflib's own RDF/XML handler behind a SAX
reader that hands it each text node in one piece (linear again); JSON-LD with a remote
``@context`` (a string, in a list, an ``@import``, at any depth) is refused before rdflib sees
it; Turtle/N-Triples literals whose parsing cost would explode are refused with their line.
Every failure is an ``RDFSyntaxError`` naming the format and, where known, the line:
``Turtle, line 12: …``. Nothing here touches the network.

This is the one implementation of RDF parsing for the project: ``ckanext.twin.dcat.validation``
delegates its ``parse`` and format sniffing here.
"""
from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from xml.sax import SAXParseException, expatreader, handler, xmlreader

from rdflib import Graph
from rdflib.plugins.parsers.ntriples import NTGraphSink, W3CNTriplesParser
from rdflib.plugins.parsers.rdfxml import RDFXMLHandler


@dataclass(frozen=True)
class RDFFormat:
    """An RDF syntax: the rdflib parser plugin and the name used in messages."""

    parser: str
    name: str


TURTLE = RDFFormat("turtle", "Turtle")
RDFXML = RDFFormat("xml", "RDF/XML")
JSONLD = RDFFormat("json-ld", "JSON-LD")
NTRIPLES = RDFFormat("nt", "N-Triples")
N3 = RDFFormat("n3", "N3")

FORMATS: dict[str, RDFFormat] = {  # accepted spellings: names, rdflib names, media types
    "turtle": TURTLE, "ttl": TURTLE, "text/turtle": TURTLE, "application/x-turtle": TURTLE,
    "xml": RDFXML, "rdf": RDFXML, "rdfxml": RDFXML, "rdf/xml": RDFXML, "pretty-xml": RDFXML,
    "application/rdf+xml": RDFXML,
    "json-ld": JSONLD, "jsonld": JSONLD, "application/ld+json": JSONLD,
    "nt": NTRIPLES, "nt11": NTRIPLES, "ntriples": NTRIPLES, "n-triples": NTRIPLES,
    "application/n-triples": NTRIPLES,
    "n3": N3, "text/n3": N3, "text/rdf+n3": N3,
}
EXTENSIONS: dict[str, RDFFormat] = {".ttl": TURTLE, ".rdf": RDFXML, ".xml": RDFXML,
                                    ".owl": RDFXML, ".jsonld": JSONLD, ".json": JSONLD,
                                    ".nt": NTRIPLES, ".n3": N3}
# Media types that say nothing about the RDF syntax: the content decides.
GENERIC_TYPES = frozenset({"", "text/plain", "application/octet-stream", "application/xml",
                           "text/xml", "application/json", "binary/octet-stream",
                           "application/x-download", "application/download"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

# Turtle/N-Triples literal cost: rdflib needs time proportional to (pieces x length) for one
# literal, pieces being its escapes and line breaks; about 3e-11 s per unit was measured, so
# this bound keeps any literal under about a second. Ordinary texts are far below it (a
# 100 KB description with 2,000 lines: 2e8).
MAX_LITERAL_COST = 3 * 10**10


class RDFSyntaxError(ValueError):
    """A document that does not parse, with its format and, where known, line and column."""

    def __init__(self, format_name: str, reason: str, line: int | None = None,
                 column: int | None = None) -> None:
        self.format_name, self.reason, self.line, self.column = format_name, reason, line, column
        where = f", line {line}" if line is not None else ""
        super().__init__(f"{format_name}{where}: {reason}")


class NotRDFError(RDFSyntaxError):
    """A document that is not RDF at all, most often an HTML error or login page."""


# -- formats ----------------------------------------------------------------------------------

def media_type(content_type: str | None) -> str:
    """``"text/turtle"`` from ``"text/turtle; charset=utf-8"``; empty when missing."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type, lower case, or None."""
    for parameter in (content_type or "").split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'").lower()
    return None


def resolve_format(name: str) -> RDFFormat:
    """The format for a name (``turtle``), rdflib name (``xml``) or media type; else ValueError."""
    key = name.strip().lower()
    if key not in FORMATS:
        key = media_type(key)
    if key not in FORMATS:
        raise ValueError(f"unknown RDF format {name!r}; known: {', '.join(sorted(FORMATS))}")
    return FORMATS[key]


def format_for_path(path: str | PurePath) -> RDFFormat | None:
    """The format a file name's extension implies, or None."""
    return EXTENSIONS.get(PurePath(path).suffix.lower())


def detect_format(data: bytes | str, content_type: str | None = None,
                  format: str | RDFFormat | None = None) -> RDFFormat:
    """The syntax of ``data``: an explicit ``format`` wins, then a specific RDF content type,
    then the content itself. HTML (by type or content) raises ``NotRDFError``."""
    if isinstance(format, RDFFormat):
        return format
    if format:
        return resolve_format(format)
    kind = media_type(content_type)
    head = _head(data)
    if _looks_like_html(head):
        raise NotRDFError("HTML", "the document is an HTML page, not RDF (an error or login "
                                  "page?)", 1)
    if kind in FORMATS:
        return FORMATS[kind]
    if kind in HTML_TYPES:
        sniffed = sniff(head)
        if sniffed is None:
            raise NotRDFError("HTML", f"the document is {kind}, not RDF", 1)
        return sniffed
    if kind and kind not in GENERIC_TYPES and not kind.endswith(("+xml", "+json")) \
            and sniff(head) is None:
        raise NotRDFError(kind, "not an RDF media type, and the content is not RDF", 1)
    return sniff(head) or TURTLE


def sniff(head: str) -> RDFFormat | None:
    """The format the start of a document suggests; None when it looks like no RDF syntax."""
    start = head.lstrip("\ufeff \t\r\n")
    if not start:
        return None
    if start.startswith(("<?xml", "<!--", "<!DOCTYPE", "<!doctype")) \
            or re.match(r"<[A-Za-z_][\w.\-]*(:[A-Za-z_][\w.\-]*)?[\s>/]", start):
        return RDFXML
    if start[0] in "{[":
        return JSONLD
    if re.match(r"(@prefix|@base|PREFIX|BASE)\b", start, re.IGNORECASE) or start[0] in "<_#":
        return TURTLE
    if re.match(r"[A-Za-z][\w\-]*:", start):  # a prefixed name, Turtle without prefixes?
        return TURTLE
    return None


def _head(data: bytes | str, size: int = 2048) -> str:
    if isinstance(data, str):
        return data[:size]
    chunk = data[:size]
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                          (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if chunk.startswith(bom):
            return chunk[len(bom):].decode(encoding, errors="replace")
    if chunk[:2] in (b"<\x00", b"\x00<"):
        return chunk.decode("utf-16-le" if chunk[0] == 0x3C else "utf-16-be", errors="replace")
    return chunk.decode("utf-8", errors="replace")


def _looks_like_html(head: str) -> bool:
    start = re.sub(r"^(\ufeff|\s|<\?xml[^>]*\?>|<!--.*?-->)*", "", head, flags=re.DOTALL)
    return bool(re.match(r"<(!doctype\s+html|html|head|body)[\s>]", start, re.IGNORECASE))


# -- parsing ----------------------------------------------------------------------------------

def parse(data: bytes | str, format: str | RDFFormat | None = None, *,
          content_type: str | None = None, base: str | None = None,
          graph: Graph | None = None) -> Graph:
    """Parses one document into ``graph`` (a new Graph by default) and returns it.

    ``format``: a name, rdflib name or media type (see ``FORMATS``); otherwise the content
    type, then the content decide (``detect_format``). ``base``: the document's URL, against
    which relative IRIs resolve. ``bytes`` are decoded as the format prescribes (the XML
    declaration for RDF/XML, the ``charset`` of ``content_type`` or UTF-8 for the others);
    ``str`` is taken as already decoded.
    Raises ``RDFSyntaxError`` (``NotRDFError`` for HTML and other non-RDF content).
    """
    fmt = detect_format(data, content_type, format)
    graph = Graph() if graph is None else graph
    if fmt is RDFXML:
        _parse_rdfxml(data, graph, base)
        return graph
    text = _decode(data, content_type, fmt)
    if fmt is JSONLD:
        _check_json_ld(text)
    elif fmt in (TURTLE, NTRIPLES, N3):
        _check_literal_cost(text, fmt)
    try:
        graph.parse(data=text, format=fmt.parser, publicID=base)
    except Exception as error:  # each rdflib parser raises its own types
        raise _syntax_error(error, text, fmt) from error
    return graph


def _decode(data: bytes | str, content_type: str | None, fmt: RDFFormat) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    encoding = charset(content_type) or "utf-8"
    if encoding in ("utf8", "utf-8", "us-ascii", "ascii"):
        encoding = "utf-8-sig"  # a byte-order mark is tolerated
    try:
        return data.decode(encoding)
    except LookupError:
        raise RDFSyntaxError(fmt.name, f"unknown character set {encoding!r}") from None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise RDFSyntaxError(fmt.name, f"not valid {encoding} at byte {error.start}",
                             line) from None


# -- RDF/XML ------------------------------------------------------------------------------------

class _DoctypeRefused(Exception):
    pass


class _RefuseDoctype(handler.LexicalHandler):
    """Stops the parse at a document type declaration, before any entity is declared."""

    def startDTD(self, name: str, public_id: str | None, system_id: str | None) -> None:
        raise _DoctypeRefused(name)


class _WholeText(handler.ContentHandler):
    """Passes SAX events on, each run of character data joined into one ``characters`` call.

    rdflib's handler appends every piece to the literal built so far (``data += piece``),
    which is quadratic when expat splits a text at each line break or entity reference.
    """

    def __init__(self, inner: handler.ContentHandler) -> None:
        super().__init__()
        self.inner = inner
        self._text: io.StringIO | None = None

    def _flush(self) -> None:
        if self._text is not None:
            text, self._text = self._text.getvalue(), None
            self.inner.characters(text)

    def characters(self, content: str) -> None:
        if self._text is None:
            self._text = io.StringIO()
        self._text.write(content)

    def setDocumentLocator(self, locator: Any) -> None:
        self.inner.setDocumentLocator(locator)

    def startDocument(self) -> None:
        self.inner.startDocument()

    def endDocument(self) -> None:
        self._flush()
        self.inner.endDocument()

    def startPrefixMapping(self, prefix: str | None, uri: str) -> None:
        self._flush()
        self.inner.startPrefixMapping(prefix, uri)

    def endPrefixMapping(self, prefix: str | None) -> None:
        self._flush()
        self.inner.endPrefixMapping(prefix)

    def startElementNS(self, name: Any, qname: Any, attrs: Any) -> None:
        self._flush()
        self.inner.startElementNS(name, qname, attrs)

    def endElementNS(self, name: Any, qname: Any) -> None:
        self._flush()
        self.inner.endElementNS(name, qname)

    def ignorableWhitespace(self, whitespace: str) -> None:
        self._flush()
        self.inner.ignorableWhitespace(whitespace)

    def processingInstruction(self, target: str, data: str) -> None:
        self._flush()
        self.inner.processingInstruction(target, data)

    def skippedEntity(self, name: str) -> None:
        self._flush()
        self.inner.skippedEntity(name)


def _parse_rdfxml(data: bytes | str, graph: Graph, base: str | None) -> None:
    """rdflib's RDF/XML handler behind an expat reader without DTDs and with whole texts."""
    reader = expatreader.create_parser()
    reader.setFeature(handler.feature_namespaces, True)
    reader.setFeature(handler.feature_external_ges, False)
    reader.setFeature(handler.feature_external_pes, False)
    reader.setProperty(handler.property_lexical_handler, _RefuseDoctype())
    reader.setContentHandler(_WholeText(RDFXMLHandler(graph)))
    reader.setErrorHandler(handler.ErrorHandler())
    source = xmlreader.InputSource(base or "")
    if base:
        source.setPublicId(base)
    if isinstance(data, str):
        data = _utf8_xml(data)
    source.setByteStream(io.BytesIO(data))
    try:
        reader.parse(source)
    except _DoctypeRefused:
        raise RDFSyntaxError(RDFXML.name, "DOCTYPE declarations are refused (they declare "
                             "entities: external entities and entity-expansion bombs)",
                             reader.getLineNumber(), _column(reader)) from None
    except SAXParseException as error:
        raise RDFSyntaxError(RDFXML.name, error.getMessage(), error.getLineNumber(),
                             (error.getColumnNumber() or 0) + 1) from None
    except Exception as error:  # rdflib's handler: ParserError, and TypeError on odd input
        reason = re.sub(r"^.*?:\d+:\d+: ", "", str(error), count=1, flags=re.DOTALL) \
            or type(error).__name__
        raise RDFSyntaxError(RDFXML.name, reason, reader.getLineNumber(),
                             _column(reader)) from error


def _column(reader: Any) -> int | None:
    column = reader.getColumnNumber()
    return None if column is None else column + 1


def _utf8_xml(text: str) -> bytes:
    """A decoded XML document as UTF-8 bytes, its encoding declaration made to say so."""
    text = text.lstrip("\ufeff")
    declaration = re.match(r"<\?xml[^>]*\?>", text)
    if declaration:
        fixed = re.sub(r"""encoding\s*=\s*(["'])[^"']*\1""", 'encoding="UTF-8"',
                       declaration.group())
        text = fixed + text[declaration.end():]
    return text.encode("utf-8")


# -- JSON-LD ----------------------------------------------------------------------------------

def _check_json_ld(text: str) -> None:
    """JSON syntax with line numbers; no remote ``@context`` (rdflib would fetch it)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise RDFSyntaxError(JSONLD.name, error.msg, error.lineno, error.colno) from None
    except RecursionError:
        raise RDFSyntaxError(JSONLD.name, "nested too deeply") from None
    remote = sorted(set(remote_contexts(document)))
    if remote:
        raise RDFSyntaxError(JSONLD.name, "remote @context not loaded (parsing never uses "
                             f"the network; inline it): {', '.join(remote)}")


def remote_contexts(document: Any) -> Iterator[str]:
    """Every context a JSON-LD processor would load from elsewhere: strings in ``@context``
    (alone or in a list, at any depth, scoped contexts included) and ``@import`` values."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    for item in value if isinstance(value, list) else [value]:
                        if isinstance(item, str):
                            yield item
                        elif isinstance(item, dict) and isinstance(item.get("@import"), str):
                            yield item["@import"]
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


# -- Turtle, N-Triples, N3 --------------------------------------------------------------------

_TOKENS = re.compile(r'''
    (?P<long>"""(?:[^"\\]|\\.|"(?!""))*+"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*+\'\'\')
  | (?P<short>"(?:[^"\\\n\r]|\\.)*+"|'(?:[^'\\\n\r]|\\.)*+')
  | <(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>
  | \#[^\n\r]*+
''', re.VERBOSE | re.DOTALL)


def _check_literal_cost(text: str, fmt: RDFFormat) -> None:
    """Refuses literals rdflib's Turtle/N-Triples parsers would need minutes for.

    Cheap first: the whole document's pieces times its length bounds every literal's cost.
    Only when that bound is exceeded are the literals found (a regular expression that skips
    IRIs and comments) and measured one by one.
    """
    if (text.count("\\") + text.count("\n") + 1) * len(text) <= MAX_LITERAL_COST:
        return
    for match in _TOKENS.finditer(text):
        literal = match.group("long") or match.group("short")
        if not literal or len(literal) * len(literal) <= MAX_LITERAL_COST:
            continue
        pieces = literal.count("\\") + literal.count("\n") + 1
        if pieces * len(literal) > MAX_LITERAL_COST:
            line = text.count("\n", 0, match.start()) + 1
            raise RDFSyntaxError(fmt.name, f"a literal of {len(literal):,} characters with "
                                 f"{pieces - 1:,} escapes and line breaks is refused (rdflib "
                                 "would need minutes for it)", line)


# -- errors -----------------------------------------------------------------------------------

def _syntax_error(error: Exception, text: str, fmt: RDFFormat) -> RDFSyntaxError:
    if isinstance(error, RDFSyntaxError):
        return error
    if hasattr(error, "lines") and hasattr(error, "_why"):  # notation3.BadSyntax, 0-based
        return RDFSyntaxError(fmt.name, str(error._why), error.lines + 1)
    if fmt is NTRIPLES:
        return RDFSyntaxError(fmt.name, str(error), _ntriples_error_line(text))
    if isinstance(error, RecursionError):
        return RDFSyntaxError(fmt.name, "nested too deeply")
    return RDFSyntaxError(fmt.name, str(error) or type(error).__name__)


class _CountingNTriplesParser(W3CNTriplesParser):
    """rdflib's N-Triples parser, counting lines (its errors carry none)."""

    line_number = 0

    def readline(self) -> str | None:
        line = super().readline()
        if line is not None:
            self.line_number += 1
        return line


def _ntriples_error_line(text: str) -> int | None:
    """The line of the first N-Triples error, found by parsing again while counting."""
    parser = _CountingNTriplesParser(NTGraphSink(Graph()))
    try:
        parser.parse(io.StringIO(text))
    except Exception:  # noqa: BLE001 (whatever it raises, the line count is the answer)
        return parser.line_number or None
    return None
