"""Parsing one document: formats, hardening against XML and JSON-LD attacks, errors with lines."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from harvesters import rdf
from harvesters.rdf import JSONLD, NTRIPLES, RDFXML, TURTLE, NotRDFError, RDFSyntaxError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HARVEST = FIXTURES / "harvest"
RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
DCT_NS = 'xmlns:dct="http://purl.org/dc/terms/"'
TITLE = (URIRef("http://example.org/d"), DCTERMS.title)


def xml(body: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}'
            f'<rdf:RDF {RDF_NS} {DCT_NS}>\n{body}\n</rdf:RDF>\n').encode()


# -- formats ----------------------------------------------------------------------------------

@pytest.mark.parametrize("content_type, start, expected", [
    ("text/turtle", "@prefix", TURTLE), ("text/turtle; charset=utf-8", "<a> <b> <c> .", TURTLE),
    ("application/rdf+xml", "<?xml", RDFXML), ("application/ld+json", "{", JSONLD),
    ("application/n-triples", "<a>", NTRIPLES), ("text/n3", "@prefix", rdf.N3),
    (None, "<?xml version='1.0'?><rdf:RDF", RDFXML), ("application/xml", "<rdf:RDF ", RDFXML),
    ("text/plain", "@prefix dct: <x> .", TURTLE), ("application/octet-stream", "[{", JSONLD),
    ("application/json", '{"@id": "x"}', JSONLD), (None, "<http://a> <http://b> 1 .", TURTLE),
    (None, "\ufeff  PREFIX dct: <x>", TURTLE), ("text/html", "<?xml?><rdf:RDF>", RDFXML),
])
def test_detect_format(content_type, start, expected):
    assert rdf.detect_format(start.encode(), content_type) is expected


@pytest.mark.parametrize("content_type, body", [
    ("text/html", b"<!DOCTYPE html><html><body>Wartungsarbeiten</body></html>"),
    ("text/turtle", b"\n  <html>\n<head><title>502 Bad Gateway</title></head></html>"),
    (None, b"<?xml version='1.0'?>\n<!-- login -->\n<html lang='de'><body/></html>"),
    ("text/html; charset=utf-8", b"Service unavailable"),
    ("image/png", b"\x89PNG\r\n"),
])
def test_html_and_other_non_rdf_are_not_rdf(content_type, body):
    with pytest.raises(NotRDFError):
        rdf.parse(body, content_type=content_type)


def test_explicit_formats_and_unknown_names():
    assert rdf.resolve_format("application/rdf+xml; charset=utf-8") is RDFXML
    assert rdf.resolve_format("rdf/xml") is RDFXML and rdf.resolve_format("ttl") is TURTLE
    assert rdf.format_for_path("x/catalog.jsonld") is JSONLD
    with pytest.raises(ValueError, match="unknown RDF format 'trig'"):
        rdf.resolve_format("trig")


@pytest.mark.parametrize("name, triples", [
    ("rostock-catalog-original-input.rdf", 17714), ("bremen-catalog-original-input.rdf", 6747),
    ("brandenburg-catalog-original-input.rdf", 7090),
    ("destatis-catalog-original-input.rdf", 3323),
])
def test_real_catalog_pages_parse_as_rdflib_parses_them(name, triples):
    """The hardened RDF/XML path gives what rdflib's own parser gives (blank nodes aside)."""
    data = (HARVEST / name).read_bytes()
    ours = rdf.parse(data, content_type="application/rdf+xml", base="https://example.org/p")
    theirs = Graph().parse(data=data, format="xml", publicID="https://example.org/p")
    assert len(ours) == len(theirs) == triples

    def ground(graph: Graph) -> set:
        return {t for t in graph if not any(type(x).__name__ == "BNode" for x in t)}
    assert ground(ours) == ground(theirs)


def test_every_syntax_gives_the_same_graph():
    turtle = (FIXTURES / "dcat-ap-de/examples/spec-v2.0/RDF-TURTLE/"
              "dcat_ap_de-RefImp_TTL_SIMPLE.ttl").read_bytes()
    graph = rdf.parse(turtle, content_type="text/turtle")
    for fmt, media in (("xml", "application/rdf+xml"), ("json-ld", "application/ld+json"),
                       ("nt", "application/n-triples")):
        again = rdf.parse(graph.serialize(format=fmt, encoding="utf-8"), content_type=media)
        assert len(again) == len(graph)


def test_relative_iris_resolve_against_the_base():
    graph = rdf.parse(b'<d> <http://purl.org/dc/terms/title> "x" .', "turtle",
                      base="https://partner.example/catalog/")
    assert (URIRef("https://partner.example/catalog/d"), DCTERMS.title, Literal("x")) in graph
    graph = rdf.parse(xml('<rdf:Description rdf:about="d"><dct:title>x</dct:title>'
                          '</rdf:Description>'), base="https://partner.example/catalog/")
    assert (URIRef("https://partner.example/catalog/d"), DCTERMS.title, Literal("x")) in graph


def test_charsets():
    text = '<http://example.org/d> <http://purl.org/dc/terms/title> "Straße in München" .\n'
    graph = rdf.parse(text.encode("iso-8859-1"), content_type="text/turtle; charset=ISO-8859-1")
    assert graph.value(*TITLE) == Literal("Straße in München")
    with pytest.raises(RDFSyntaxError, match="Turtle, line 1: not valid utf-8"):
        rdf.parse(text.encode("iso-8859-1"), content_type="text/turtle")
    latin = xml('<rdf:Description rdf:about="http://example.org/d"><dct:title>Straße'
                '</dct:title></rdf:Description>').decode().replace("UTF-8", "ISO-8859-1")
    assert rdf.parse(latin.encode("iso-8859-1")).value(*TITLE) == Literal("Straße")
    assert rdf.parse(latin).value(*TITLE) == Literal("Straße")  # str: already decoded


# -- XML attacks ------------------------------------------------------------------------------

def test_an_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    for system in ("file:///etc/passwd", secret.as_uri()):
        document = xml('<rdf:Description rdf:about="http://example.org/d">'
                       '<dct:title>&xxe;</dct:title></rdf:Description>',
                       f'<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "{system}"> ]>\n')
        with pytest.raises(RDFSyntaxError) as caught:
            rdf.parse(document)
        assert caught.value.format_name == "RDF/XML" and caught.value.line == 2
        assert "DOCTYPE declarations are refused" in str(caught.value)
        assert "TOP-SECRET" not in str(caught.value)


def test_rdflib_alone_would_swallow_the_external_entity_silently(tmp_path):
    """Why the DOCTYPE is refused: rdflib neither fails nor reads the file, it just drops the
    text — a harvested title would silently become empty."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    document = xml('<rdf:Description rdf:about="http://example.org/d">'
                   '<dct:title>&xxe;</dct:title></rdf:Description>',
                   f'<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "{secret.as_uri()}"> ]>\n')
    assert Graph().parse(data=document, format="xml").value(*TITLE) == Literal("")


def test_an_entity_expansion_bomb_is_refused_before_expanding():
    entities = ['<!ENTITY a0 "xxxxxxxxxx">'] + [
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)]
    document = xml('<rdf:Description rdf:about="http://example.org/d">'
                   '<dct:title>&a9;</dct:title></rdf:Description>',
                   f'<!DOCTYPE rdf:RDF [{"".join(entities)}]>\n')  # 10^10 characters
    with pytest.raises(RDFSyntaxError, match=r"RDF/XML, line 2: DOCTYPE declarations are refused"):
        rdf.parse(document)


def test_a_doctype_in_utf16_is_refused_too():
    document = xml("", '<!DOCTYPE rdf:RDF [ <!ENTITY x "y"> ]>\n').decode() \
        .replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    with pytest.raises(RDFSyntaxError, match="DOCTYPE declarations are refused"):
        rdf.parse(document, content_type="application/rdf+xml")


def test_many_text_pieces_in_one_literal_stay_linear():
    """rdflib appends every text piece to the literal; 400,000 lines and entity references
    would take it minutes. The reader joins them first."""
    body = "Zeile &amp; mehr\n" * 400_000
    graph = rdf.parse(xml('<rdf:Description rdf:about="http://example.org/d">'
                          f'<dct:title>{body}</dct:title></rdf:Description>'))
    assert str(graph.value(*TITLE)) == body.replace("&amp;", "&")


def test_parse_type_literal_is_kept():
    graph = rdf.parse(xml('<rdf:Description rdf:about="http://example.org/d"><dct:title '
                          'rdf:parseType="Literal"><b>fett</b> &amp; mehr</dct:title>'
                          '</rdf:Description>'))
    assert "<b" in str(graph.value(*TITLE)) and "&amp; mehr" in str(graph.value(*TITLE))


# -- JSON-LD ----------------------------------------------------------------------------------

@pytest.mark.parametrize("document", [
    {"@context": "https://schema.org/", "@id": "http://example.org/d"},
    {"@context": ["https://w3id.org/dcat-ap/context.jsonld", {"dct": "http://purl.org/dc/terms/"}],
     "@id": "http://example.org/d"},
    {"@context": {"@import": "https://evil.example/ctx.jsonld"}, "@id": "http://example.org/d"},
    {"@context": {"title": {"@id": "http://purl.org/dc/terms/title",
                            "@context": "https://evil.example/scoped"}},
     "@id": "http://example.org/d", "title": "x"},
    {"@graph": [{"@context": "relative-context.jsonld", "@id": "http://example.org/d"}]},
])
def test_a_remote_json_ld_context_is_refused(document, network_guard):
    with pytest.raises(RDFSyntaxError, match="JSON-LD: remote @context not loaded"):
        rdf.parse(json.dumps(document).encode(), content_type="application/ld+json",
                  base="https://partner.example/catalog.jsonld")
    assert network_guard.connects == [] and network_guard.lookups == []


def test_an_inline_json_ld_context_is_parsed():
    document = {"@context": {"dct": "http://purl.org/dc/terms/"},
                "@id": "http://example.org/d", "dct:title": {"@value": "Titel", "@language": "de"}}
    graph = rdf.parse(json.dumps(document).encode(), content_type="application/ld+json")
    assert graph.value(*TITLE) == Literal("Titel", lang="de")


def test_the_official_json_ld_examples_parse():
    folder = FIXTURES / "dcat-ap-de/examples/spec-v2.0/RDF-JSONLD"
    for path in folder.glob("*.jsonld"):
        assert len(rdf.parse(path.read_bytes(), content_type="application/ld+json")) > 10


def test_deeply_nested_json_is_an_error_not_a_crash():
    with pytest.raises(RDFSyntaxError, match="JSON-LD"):
        rdf.parse(("[" * 100_000 + "]" * 100_000).encode(), "json-ld")


# -- Turtle / N-Triples pathologies -----------------------------------------------------------

def test_a_literal_that_would_take_rdflib_minutes_is_refused():
    document = ('@prefix dct: <http://purl.org/dc/terms/> .\n\n'
                '<http://example.org/d> dct:title """' + "a\n" * 1_000_000 + '""" .\n')
    with pytest.raises(RDFSyntaxError) as caught:
        rdf.parse(document.encode(), content_type="text/turtle")
    assert caught.value.line == 3
    assert "1,000,000 escapes and line breaks is refused" in caught.value.reason
    escapes = '<http://example.org/d> <http://purl.org/dc/terms/title> "' + '\\"' * 1_000_000 \
        + '" .\n'
    with pytest.raises(RDFSyntaxError, match="N-Triples, line 1: a literal of"):
        rdf.parse(escapes.encode(), content_type="application/n-triples")


def test_long_ordinary_literals_are_not_refused():
    text = "Beschreibung mit Zeilen\\n und \\\"Zitaten\\\". " * 2000
    document = f'<http://example.org/d> <http://purl.org/dc/terms/description> "{text}" .\n' * 50
    assert len(rdf.parse(document.encode(), content_type="text/turtle")) == 1


# -- errors with their line -------------------------------------------------------------------

@pytest.mark.parametrize("fmt, document, message", [
    ("text/turtle", (b'@prefix dct: <http://purl.org/dc/terms/> .\n\n<http://e/d> dct:title '
                     b'"open .\n'), "Turtle, line 3: newline found in string literal"),
    ("text/turtle", (b"@prefix dct: <http://purl.org/dc/terms/> .\n<http://e/d> dct:title\n"
                     b"  <http://e/x> ;\n  dct:creator .\n"), "Turtle, line 4: "),
    ("application/n-triples", (b'<http://e/a> <http://e/b> "x" .\n<http://e/a> <http://e/b> '
                               b'"y" .\n<http://e/a> <http://e/b> bad .\n'), "N-Triples, line 3: "),
    ("application/rdf+xml", xml("<rdf:Description rdf:about='http://e/d'><dct:title>"
                                "</rdf:Description>"), "RDF/XML, line 3: mismatched tag"),
    ("application/ld+json", b'{\n  "@id": "http://e/d",\n  "x": [1, 2,]\n}',
     "JSON-LD, line 3: "),
])
def test_syntax_errors_name_format_and_line(fmt, document, message):
    with pytest.raises(RDFSyntaxError) as caught:
        rdf.parse(document, content_type=fmt)
    assert str(caught.value).startswith(message)
    assert caught.value.line is not None


def test_the_error_type_matches_validation_s():
    error = RDFSyntaxError("Turtle", "bad", 12, 3)
    assert (error.format_name, error.reason, error.line, error.column) == ("Turtle", "bad", 12, 3)
    assert str(error) == "Turtle, line 12: bad"
    assert isinstance(error, ValueError)
