"""SHACL validation against GovData's v30_de_spec: official examples, broken data, bad syntax.

Needs no CKAN instance; it lives with the extension's tests because the module does. The
official examples are copies in tests/fixtures (see tests/fixtures/SOURCES.md).
"""
from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
from ckanext.dcat.processors import RDFParser
from rdflib import Graph

from ckanext.twin.dcat import validation
from ckanext.twin.dcat.validation import (KNOWN_SHAPE_DEFECTS, RDFSyntaxError, validate,
                                          validate_file)
from harvesters.vocabularies import DEFAULT_DIRECTORY, Vocabularies

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dcat-ap-de" / "examples"
SPEC_V3 = FIXTURES / "spec-v3.0"
TESTCASES_V3 = FIXTURES / "shacl-testcases" / "v3.0_shapes"
EXAMPLE_DATASET = "http://bienenland.example.org/rdf/dataset/12345678-9abc-4729-9044-f4d4ceaed491"

DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
EU = "http://publications.europa.eu/resource/authority/"
DATASET = "https://opendata.muenchen.de/dataset/verkehrszaehlung"
DISTRIBUTION = DATASET + "/csv"
WKT = '"POLYGON((11.36 48.06,11.36 48.25,11.72 48.25,11.72 48.06,11.36 48.06))"^^geo:wktLiteral'
# The extent as the portal writes it (see docs/dcat-ap-de.md, "locn-geometry-literal").
EXTENT = f'dcat:bbox {WKT} ; dcat:centroid "POINT(11.54 48.15)"^^geo:wktLiteral'

# A dataset as the portal publishes it: conforms, without a single warning.
MUNICH = f"""
@prefix dcat:    <http://www.w3.org/ns/dcat#> .
@prefix dcatap:  <http://data.europa.eu/r5r/> .
@prefix dcatde:  <http://dcat-ap.de/def/dcatde/> .
@prefix dct:     <http://purl.org/dc/terms/> .
@prefix foaf:    <http://xmlns.com/foaf/0.1/> .
@prefix geo:     <http://www.opengis.net/ont/geosparql#> .
@prefix locn:    <http://www.w3.org/ns/locn#> .
@prefix vcard:   <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@base <https://opendata.muenchen.de/> .

<catalog> a dcat:Catalog ;
    dct:title "Datenportal München"@de ;
    dct:description "Offene Daten der Landeshauptstadt München."@de ;
    dct:publisher <organization/muenchen> ;
    dcat:dataset <dataset/verkehrszaehlung> .

<dataset/verkehrszaehlung> a dcat:Dataset ;
    dct:title "Verkehrszählung"@de ;
    dct:description "Zählstellen des motorisierten Verkehrs."@de ;
    dct:publisher <organization/muenchen> ;
    dct:identifier "verkehrszaehlung" ;
    dct:modified "2026-11-02T10:00:00"^^xsd:dateTime ;
    dcat:keyword "Verkehr"@de ;
    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/TRAN> ;
    dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
    dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/DAILY> ;
    dct:language <http://publications.europa.eu/resource/authority/language/DEU> ;
    dcatap:availability <{EU}planned-availability/STABLE> ;
    dcatde:contributorID <http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen> ;
    dcatde:politicalGeocodingLevelURI
        <http://dcat-ap.de/def/politicalGeocoding/Level/municipality> ;
    dct:spatial [ a dct:Location ; {EXTENT} ] ;
    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2020-01-01"^^xsd:date ] ;
    dcat:contactPoint [ a vcard:Organization ; vcard:fn "Mobilitätsreferat" ;
        vcard:hasEmail <mailto:opendata@muenchen.de> ] ;
    dcat:distribution <dataset/verkehrszaehlung/csv> .

<dataset/verkehrszaehlung/csv> a dcat:Distribution ;
    dct:title "Zählstellen (CSV)"@de ;
    dcat:accessURL <https://opendata.muenchen.de/dataset/verkehrszaehlung/zaehlstellen.csv> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
    dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
    dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> ;
    dcatde:licenseAttributionByText "Landeshauptstadt München, Mobilitätsreferat" ;
    dcat:byteSize "1024"^^xsd:nonNegativeInteger .

<organization/muenchen> a foaf:Organization ;
    foaf:name "Landeshauptstadt München" ;
    dct:type <http://purl.org/adms/publishertype/LocalAuthority> .
"""


def munich(old: str = "", new: str = "") -> str:
    assert old in MUNICH
    return MUNICH.replace(old, new, 1)


def findings(results) -> set[tuple[str, str | None, str | None]]:
    return {(r.focus, r.path, r.value) for r in results}


# -- the official examples -------------------------------------------------------------------

def test_govdata_test_cases_conform() -> None:
    quicktest = validate_file(TESTCASES_V3 / "quicktest.ttl")
    assert quicktest.conforms and not quicktest.known_defects
    # GovData imports the SPDX ontology, which types the algorithm; it is not shipped here.
    assert [w.message for w in quicktest.warnings] == [
        "spdx:Checksum: spdx:algorithm SOLL folgendes Vokabular benutzen: "
        "https://www.dcat-ap.de/def/dcatde/3.0/spec/#kv-hash-algorithms"]

    deprecated = validate_file(TESTCASES_V3 / "deprecated.ttl")
    assert deprecated.conforms
    assert sum(w.message.startswith("Deprecated: ") for w in deprecated.warnings) == 10


def test_dataset_example_keeps_only_the_deprecated_adms_status() -> None:
    report = validate_file(SPEC_V3 / "Dataset-und-Distribution.ttl")
    assert findings(report.violations) == {
        (f"{EXAMPLE_DATASET}/distribution-{n}", "http://www.w3.org/ns/adms#status",
         "http://purl.org/adms/status/Completed") for n in (1, 2)}
    assert [r.known_defect for r in report.known_defects] == ["locn-geometry-literal"]

    fixed = (SPEC_V3 / "Dataset-und-Distribution.ttl").read_text(encoding="utf-8").replace(
        "http://purl.org/adms/status/Completed", EU + "distribution-status/COMPLETED")
    assert validate_file(fixed, format="turtle").conforms


def test_dataset_series_example() -> None:
    report = validate_file(SPEC_V3 / "DatasetSeries.ttl")
    # Its three member datasets are minimal: no publisher (the message is corrected).
    assert {(r.path, r.message, r.known_defect) for r in report.violations} == {
        (DCT + "publisher", "DE: dcat:Dataset: MUSS einen dcterms:publisher haben.",
         "dataset-publisher-message")}
    assert len(report.violations) == 3
    assert sorted(r.known_defect for r in report.known_defects) == [
        "locn-geometry-literal", "series-in-catalog"]


def test_data_service_example_is_not_turtle() -> None:
    """Line 12 lacks the '.' after the skos prefix; the parser notices on line 13."""
    with pytest.raises(RDFSyntaxError, match=r"^Turtle, line 13: expected '\.'"):
        validate_file(SPEC_V3 / "DataService.ttl")
    fixed = (SPEC_V3 / "DataService.ttl").read_text(encoding="utf-8").replace(
        "core#>          #", "core#> .          #", 1)
    report = validate_file(fixed, format="turtle")
    assert {r.message for r in report.violations} == {
        "DE: dcat:Distribution: MUSS eine dcterms:license haben.",
        "DE: dcat:Dataset: MUSS einen dcterms:publisher haben.",
        "DE: prov:Attribution: prov:agent MUSS eine IRI sein."}


@pytest.mark.parametrize("name", ["RDF-TURTLE/dcat_ap_de-RefImp_TTL_SIMPLE.ttl",
                                  "RDF-XML/dcat_ap_de-RefImp_RDF_SIMPLE.rdf",
                                  "RDF-JSONLD/dcat_ap_de-RefImp_JSONLD_SIMPLE.jsonld"])
def test_v2_examples_fail_on_what_3_0_tightened(name: str) -> None:
    report = validate_file(FIXTURES / "spec-v2.0" / name)
    assert {r.message for r in report.violations} == {
        "DE: vcard:Kind: vcard:hasEmail MUSS eine IRI sein.",  # 2.0 allowed a literal
        "DE: dcat:Dataset: MUSS einen dcterms:publisher haben."}  # 3.0 made it mandatory


def test_the_vocabularies_are_what_lets_the_vocabulary_checks_pass(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_DIRECTORY / "publisher-type.ttl", tmp_path)
    report = validate_file(MUNICH, format="turtle", vocabularies=Vocabularies(tmp_path))
    assert {r.path for r in report.violations} == {
        DCAT + "theme", DCT + "accessRights", DCT + "accrualPeriodicity", DCT + "language",
        DCT + "format"}
    assert validate_file(MUNICH, format="turtle").conforms


def test_the_vocabularies_themselves_conform() -> None:
    """They are added to every data graph, so their concepts and schemes must pass too."""
    report = validate(Vocabularies().graph())
    assert report.conforms and not report.warnings


# -- our own data, correct and broken -------------------------------------------------------

def test_the_portal_dataset_conforms_without_warnings() -> None:
    report = validate_file(MUNICH, format="turtle")
    assert report.conforms
    assert not report.warnings and not report.known_defects


def test_the_data_graph_is_left_unchanged() -> None:
    graph = Graph().parse(data=MUNICH, format="turtle")
    before = len(graph)
    validate(graph)
    assert len(graph) == before


@pytest.mark.parametrize("old, new, expected", [
    ('dct:title "Verkehrszählung"@de ;', "",
     {(DATASET, DCT + "title", None)}),
    (EU + "data-theme/TRAN", EU + "data-theme/TRAFFIC",
     {(DATASET, DCAT + "theme", EU + "data-theme/TRAFFIC")}),
    (f"<{EU}access-right/PUBLIC>", '"public"',
     {(DATASET, DCT + "accessRights", "public")}),
    (f"<{EU}language/DEU>", '"de"',
     {(DATASET, DCT + "language", "de")}),
    (f"<{EU}file-type/CSV>", '"CSV"',
     {(DISTRIBUTION, DCT + "format", "CSV")}),
    ("dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> ;", "",
     {(DISTRIBUTION, DCT + "license", None)}),
    ("<https://www.iana.org/assignments/media-types/text/csv>", '"text/csv"',
     {(DISTRIBUTION, DCAT + "mediaType", "text/csv")}),
    (EXTENT, f'{EXTENT} ; dcat:bbox "POLYGON((11 48,11 49,12 49,12 48,11 48))"^^geo:wktLiteral',
     {(None, DCAT + "bbox", None)}),  # at most one bounding box
])
def test_broken_data_names_resource_property_and_value(old, new, expected) -> None:
    report = validate_file(munich(old, new), format="turtle")
    assert not report.conforms
    found = {(None if focus.startswith("_:") else focus, path, value)
             for focus, path, value in findings(report.violations)}
    assert found == expected
    assert all(r.message and r.shape and r.severity == "Violation" for r in report.violations)


def test_vocabulary_checks_report_the_user_not_the_concept() -> None:
    report = validate_file(munich(EU + "data-theme/TRAN", EU + "data-theme/TRAFFIC"),
                           format="turtle")
    [result] = report.violations
    assert result.message.startswith("dcat:Dataset: dcat:theme MUSS folgendes Vokabular benutzen")
    assert result.shape == "http://dcat-ap.de/def/dcatde/3.0/shacl/datensatz-kategorie_Violation_List"


def test_should_rules_are_warnings() -> None:
    report = validate_file(munich("http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen",
                                  "http://dcat-ap.de/def/contributors/gemeindeEching"),
                           format="turtle")
    assert report.conforms
    assert [(w.severity, w.path) for w in report.warnings] == [
        ("Warning", "http://dcat-ap.de/def/dcatde/contributorID")]


# -- known defects of the official shapes ---------------------------------------------------

@pytest.mark.parametrize("spatial, defects, read_by_ckanext_dcat", [
    (EXTENT, [], True),  # what the portal writes
    (f"locn:geometry {WKT}", ["locn-geometry-literal"], True),  # what partners' CKAN write
    (f"locn:geometry [ a locn:Geometry ; geo:asWKT {WKT} ]", [], False),
    (f"locn:geometry [ geo:asWKT {WKT} ]", [], False),
    ("locn:geometry <https://opendata.muenchen.de/geometry/1>", [], False),
])
def test_spatial_encodings(spatial: str, defects: list[str], read_by_ckanext_dcat: bool) -> None:
    """Which encodings the shapes accept, and which ckanext-dcat (GovData's harvester) reads.

    A geometry node conforms but ckanext-dcat 2.4's parser fails on it (it reads ``.datatype``
    of the value); this pins that reason for writing bbox and centroid instead.
    """
    document = munich(EXTENT, spatial)
    report = validate_file(document, format="turtle")
    assert report.conforms
    assert [r.known_defect for r in report.known_defects] == defects
    parser = RDFParser(profiles=["euro_dcat_ap_3"])
    parser.parse(document, _format="turtle")
    if read_by_ckanext_dcat:
        [dataset] = parser.datasets()
        assert {e["key"] for e in dataset["extras"]} & {"spatial", "spatial_bbox"}
    else:
        with pytest.raises(AttributeError, match="datatype"):
            list(parser.datasets())


def test_a_dataset_without_publisher_gets_the_corrected_message() -> None:
    report = validate_file(munich("dct:publisher <organization/muenchen> ;\n    dct:identifier",
                                  "dct:identifier"), format="turtle")
    [result] = report.violations
    assert (result.focus, result.path) == (DATASET, DCT + "publisher")
    assert result.message == "DE: dcat:Dataset: MUSS einen dcterms:publisher haben."
    assert result.known_defect == "dataset-publisher-message"


def test_a_series_typed_as_dataset_too_conforms_in_the_catalog() -> None:
    series = """
    <series/verkehr> a dcat:DatasetSeries, dcat:Dataset ;
        dct:title "Verkehrszählungen"@de ; dct:description "Alle Jahre."@de ;
        dct:publisher <organization/muenchen> .
    <catalog> dcat:dataset <series/verkehr> .
    """
    assert validate_file(MUNICH + series, format="turtle").conforms
    only_series = validate_file(MUNICH + series.replace(", dcat:Dataset", ""), format="turtle")
    assert only_series.conforms
    assert [r.known_defect for r in only_series.known_defects] == ["series-in-catalog"]
    service = validate_file(
        MUNICH + series.replace("dcat:DatasetSeries, dcat:Dataset", "dcat:DataService"),
        format="turtle")
    assert DCAT + "dataset" in {r.path for r in service.violations}  # a service is no dataset
    assert not service.known_defects


def test_availability_checks_of_the_german_shapes_never_fire() -> None:
    """GovData's files use dcatap: <http://data.europa.eu/r5r#>, DCAT-AP uses .../r5r/.

    So an availability outside the vocabulary passes; the portal checks it itself.
    """
    report = validate_file(
        munich(EU + "planned-availability/STABLE", EU + "planned-availability/EVER"),
        format="turtle")
    assert report.conforms


def test_report_as_dict_for_the_api() -> None:
    report = validate_file(munich(EXTENT, f"locn:geometry {WKT}"), format="turtle")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["conforms"] is True
    assert data["known_defects"][0]["known_defect"] == "locn-geometry-literal"
    assert set(data["known_defect_reasons"]) == {"locn-geometry-literal"}
    assert set(data["known_defects"][0]) == {"severity", "focus", "path", "value", "message",
                                             "shape", "constraint", "known_defect"}


def test_every_known_defect_names_shapes_that_exist() -> None:
    subjects = {str(s) for s in validation.shapes_graph().subjects()}
    for defect in KNOWN_SHAPE_DEFECTS:
        assert defect.shapes <= subjects and defect.reason


# -- syntax errors --------------------------------------------------------------------------

BROKEN = {
    "turtle": ('@prefix ex: <http://example.org/> .\n\nex:a ex:b ex:c .\n'
               'ex:d ex:e "unterminated .\nex:f ex:g ex:h .\n', r"^Turtle, line 4: "),
    "xml": ('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            '  <rdf:Description rdf:about="http://example.org/a">\n    <foo>\n'
            '  </rdf:Description>\n</rdf:RDF>\n', r"^RDF/XML, line 5: mismatched tag"),
    "json-ld": ('{\n  "@context": {"ex": "http://example.org/"},\n  "@id": "ex:a",\n'
                '  "ex:b": "c",\n  oops\n}\n', r"^JSON-LD, line 5: Expecting property name"),
    "nt": ('<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n'
           '<http://example.org/a> <http://example.org/b> "x" .\n'
           '<http://example.org/a> <http://example.org/b> broken .\n', r"^N-Triples, line 3: "),
}
EXTENSION = {"turtle": ".ttl", "xml": ".rdf", "json-ld": ".jsonld", "nt": ".nt"}


@pytest.mark.parametrize("rdf_format", sorted(BROKEN))
def test_syntax_errors_name_format_and_line(rdf_format: str, tmp_path: Path) -> None:
    text, message = BROKEN[rdf_format]
    with pytest.raises(RDFSyntaxError, match=message) as error:
        validate_file(text, format=rdf_format)
    assert error.value.line is not None
    path = tmp_path / f"broken{EXTENSION[rdf_format]}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RDFSyntaxError, match=message):  # format from the file name
        validate_file(path)


def test_the_format_is_recognised_from_the_content() -> None:
    jsonld = (FIXTURES / "spec-v2.0" / "RDF-JSONLD" / "dcat_ap_de-RefImp_JSONLD_SIMPLE.jsonld")
    rdfxml = (FIXTURES / "spec-v2.0" / "RDF-XML" / "dcat_ap_de-RefImp_RDF_SIMPLE.rdf")
    def summary(report):  # blank-node ids differ from parse to parse
        return sorted((r.path, r.message) for r in report.violations + report.warnings)

    for path in (jsonld, rdfxml):
        text = path.read_text(encoding="utf-8")
        assert summary(validate_file(text)) == summary(validate_file(path))


def test_unknown_format_and_remote_json_ld_context_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown RDF format 'trig'"):
        validate_file(MUNICH, format="trig")
    with pytest.raises(RDFSyntaxError, match="^JSON-LD: remote @context not loaded"):
        validate_file('{"@context": "https://schema.org/", "@id": "http://example.org/a"}')


# -- offline ------------------------------------------------------------------------------

def test_validation_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shapes, mirrors and vocabularies are read afresh with sockets refused, then used."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    for cached in (validation.shapes_graph, validation.class_hierarchy):
        cached.cache_clear()

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for path in (SPEC_V3 / "Dataset-und-Distribution.ttl", TESTCASES_V3 / "quicktest.ttl",
                 FIXTURES / "spec-v2.0" / "RDF-JSONLD" / "dcat_ap_de-RefImp_JSONLD_ADVANCED.jsonld",
                 FIXTURES / "spec-v2.0" / "RDF-XML" / "dcat_ap_de-RefImp_RDF_ADVANCED.rdf"):
        validate_file(path, vocabularies=Vocabularies())
    assert validate_file(MUNICH, format="turtle", vocabularies=Vocabularies()).conforms
