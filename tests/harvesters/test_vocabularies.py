"""The offline vocabularies: what they contain, how they label, how harvested values reach them.

Pure: reads ``config/vocabularies`` (and ``config/partners.yaml`` to check the partners are in
the political geocoding), no CKAN.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS

from harvesters.vocabularies import DEFAULT_DIRECTORY, Vocabularies, default_vocabularies

ROOT = Path(__file__).resolve().parents[2]
EU = "http://publications.europa.eu/resource/authority/"
LICENCES = "http://dcat-ap.de/def/licenses/"
GEOCODING = "http://dcat-ap.de/def/politicalGeocoding/"


@pytest.fixture(scope="module")
def vocabularies() -> Vocabularies:
    return default_vocabularies()


def test_every_short_name_has_its_vocabulary(vocabularies: Vocabularies) -> None:
    assert vocabularies.names() == sorted([
        "data-theme", "access-right", "frequency", "file-type", "language",
        "planned-availability", "distribution-status", "dataset-type", "licenses",
        "contributors", "political-geocoding-level", "political-geocoding", "publisher-type"])


@pytest.mark.parametrize("name, scheme_uri", [
    ("data-theme", EU + "data-theme"),
    ("access-right", EU + "access-right"),
    ("frequency", EU + "frequency"),
    ("file-type", EU + "file-type"),
    ("language", EU + "language"),
    ("planned-availability", EU + "planned-availability"),
    ("distribution-status", EU + "distribution-status"),
    ("dataset-type", EU + "dataset-type"),
    ("licenses", "http://dcat-ap.de/def/licenses"),
    ("contributors", "http://dcat-ap.de/def/contributors"),
    ("political-geocoding-level", GEOCODING + "Level"),
    ("political-geocoding", GEOCODING + "regionalKey"),
    ("political-geocoding", GEOCODING + "stateKey"),
    ("publisher-type", "http://purl.org/adms/publishertype/1.0"),
])
def test_schemes_are_those_the_shapes_check(vocabularies, name, scheme_uri) -> None:
    """The skos:inScheme values of dcat-ap-de-controlledvocabularies.ttl, exactly."""
    assert scheme_uri in vocabularies.scheme(name).uris
    assert vocabularies.scheme(scheme_uri).name == name
    assert vocabularies.scheme("https://" + scheme_uri[len("http://"):] + "/").name == name


@pytest.mark.parametrize("name, codes", [
    ("data-theme", "AGRI ECON EDUC ENER ENVI GOVE HEAL INTR JUST REGI SOCI TECH TRAN OP_DATPRO"),
    ("access-right", "PUBLIC RESTRICTED NON_PUBLIC"),
    ("frequency", "DAILY WEEKLY MONTHLY QUARTERLY ANNUAL IRREG CONT UPDATE_CONT NEVER UNKNOWN "
                  "OTHER HOURLY 15MIN AS_NEEDED NOT_PLANNED"),
    ("file-type", "CSV JSON GEOJSON XML PDF XLS XLSX ODS ZIP HTML TXT RDF_XML RDF_TURTLE JSON_LD "
                  "RDF_N_TRIPLES SHP GML KML KMZ GPKG WMS_SRVC WFS_SRVC WMTS_SRVC WCS_SRVC TIFF "
                  "GEOTIFF JPEG PNG DOCX ODT GTFS"),
    ("language", "DEU ENG FRA ITA SPA POL TUR NLD CES HUN RUS ARA MUL"),
    ("planned-availability", "AVAILABLE EXPERIMENTAL STABLE TEMPORARY"),
    ("distribution-status", "COMPLETED DEPRECATED DEVELOP WITHDRAWN"),
    ("dataset-type", "HVD GEOSPATIAL STATISTICAL TEST_DATA"),
])
def test_eu_tables_have_the_codes_a_municipal_portal_needs(vocabularies, name, codes) -> None:
    scheme = vocabularies.scheme(name).uri
    missing = [code for code in codes.split()
               if not vocabularies.contains(name, f"{scheme}/{code}")]
    assert not missing


@pytest.mark.parametrize("name, uri", [
    ("file-type", EU + "file-type/N_TRIPLES"),  # the table's code is RDF_N_TRIPLES
    ("file-type", EU + "file-type/JPG"),  # JPEG
    ("file-type", EU + "file-type/csv"),  # codes are upper case; use normalise()
    ("data-theme", "https://publications.europa.eu/resource/authority/data-theme/TRAN"),
    ("licenses", LICENCES + "cc-by-de/3_0"),  # DCAT-AP.de 1.0 URI, superseded
    ("language", EU + "data-theme/TRAN"),  # another scheme's concept
])
def test_contains_is_exact_membership(vocabularies, name, uri) -> None:
    assert not vocabularies.contains(name, uri)


def test_dcat_ap_de_lists_as_published(vocabularies) -> None:
    assert len(vocabularies.concepts("licenses")) == 34
    assert len(vocabularies.concepts("contributors")) == 69
    assert vocabularies.contains("contributors", "http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen")
    levels = [c.uri.rsplit("/", 1)[1] for c in vocabularies.concepts("political-geocoding-level")]
    assert levels == ["federal", "european", "international", "municipality",
                      "administrativeDistrict", "state"]  # Bundes-, Europäische, …, Landesebene


def test_every_partner_and_bavaria_are_in_the_political_geocoding(vocabularies) -> None:
    registry = (ROOT / "config" / "partners.yaml").read_text(encoding="utf-8")
    partners = yaml.safe_load(registry)["partners"]
    for partner in partners:
        uri = f"{GEOCODING}regionalKey/{partner['regional_key']}"
        assert vocabularies.contains("political-geocoding", uri)
        assert vocabularies.label(uri) == partner["title"]
        assert vocabularies.label(uri, "en") == partner["title_en"]
        assert vocabularies.contains("political-geocoding-level",
                                     f"{GEOCODING}Level/{partner['political_geocoding_level']}")
        if "contributor_id" in partner:
            assert vocabularies.contains("contributors", partner["contributor_id"])
    assert vocabularies.label(GEOCODING + "stateKey/09") == "Bayern"


@pytest.mark.parametrize("uri, lang, label", [
    (EU + "data-theme/TRAN", "de", "Verkehr"),
    (EU + "data-theme/TRAN", "en", "Transport"),
    (EU + "frequency/DAILY", "de", "täglich"),
    (EU + "language/DEU", "en", "German"),
    (EU + "file-type/WMS_SRVC", "de", "WMS"),
    (LICENCES + "dl-by-de/2.0", "de", "Datenlizenz Deutschland Namensnennung 2.0"),
    (LICENCES + "dl-by-de/2.0", "en", "Data licence Germany – attribution – version 2.0"),
    ("http://dcat-ap.de/def/contributors/stadtNuernberg", "en", "Stadt Nürnberg"),  # German only
    (EU + "data-theme/TRAN", "fr", "Transport"),  # no French: English
    (EU + "data-theme", "de", "Datenthema"),  # a scheme
    ("http://example.org/unknown/thing", "de", "thing"),  # not in any vocabulary: URI tail
])
def test_labels_fall_back_from_the_language_to_english_german_and_the_uri(vocabularies, uri, lang,
                                                                           label) -> None:
    assert vocabularies.label(uri, lang) == label


def test_concepts_come_in_german_alphabetical_order(vocabularies) -> None:
    labels = [concept.label("de") for concept in vocabularies.concepts("language")]
    assert labels.index("Dänisch") < labels.index("Deutsch") < labels.index("Englisch")
    assert labels.index("Obersorbisch") < labels.index("Persisch")
    assert vocabularies.concepts("data-theme")[0].label() == "Bevölkerung und Gesellschaft"


def test_choices_for_scheming_leave_the_placeholder_out(vocabularies) -> None:
    choices = vocabularies.choices("data-theme", "en")
    assert choices[0] == {"value": EU + "data-theme/AGRI",
                          "label": "Agriculture, fisheries, forestry and food"}
    assert len(choices) == 13  # OP_DATPRO ("provisional data") is not offered
    assert all(set(choice) == {"value", "label"} for choice in vocabularies.choices("licenses"))


@pytest.mark.parametrize("name, raw, expected", [
    # formats: codes, labels, media types, IANA IRIs, parameters, CSW protocols
    ("file-type", "csv", "CSV"),
    ("file-type", " CSV ", "CSV"),
    ("file-type", "text/csv", "CSV"),
    ("file-type", "text/csv; charset=utf-8", "CSV"),
    ("file-type", "https://www.iana.org/assignments/media-types/text/csv", "CSV"),
    ("file-type", "application/json", "JSON"),
    ("file-type", "application/geo+json", "GEOJSON"),
    ("file-type", "GeoJSON", "GEOJSON"),
    ("file-type", "WMS", "WMS_SRVC"),
    ("file-type", "OGC:WFS", "WFS_SRVC"),
    ("file-type", "Esri Shape", "SHP"),
    ("file-type", "shapefile", "SHP"),
    ("file-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
    ("file-type", "xlsx", "XLSX"),
    ("file-type", "jpg", "JPEG"),
    ("file-type", "text/turtle", "RDF_TURTLE"),
    ("file-type", "JSON-LD", "JSON_LD"),
    ("file-type", "http://publications.europa.eu/resource/authority/file-type/PDF", "PDF"),
    ("file-type", "https://publications.europa.eu/resource/authority/file-type/pdf/", "PDF"),
    ("file-type", "Kartenviewer", None),
    # languages: ISO 639-1, 639-2/B and /T, BCP 47 tags, names
    ("language", "de", "DEU"),
    ("language", "deu", "DEU"),
    ("language", "ger", "DEU"),
    ("language", "de-DE", "DEU"),
    ("language", "Deutsch", "DEU"),
    ("language", "English", "ENG"),
    ("language", "fre", "FRA"),
    ("language", "xx", None),
    # frequencies: labels, DCMI, ISO 19115, ISO 8601
    ("frequency", "täglich", "DAILY"),
    ("frequency", "http://purl.org/cld/freq/monthly", "MONTHLY"),
    ("frequency", "asNeeded", "AS_NEEDED"),
    ("frequency", "R/P1Y", "ANNUAL"),
    ("data-theme", "econ", "ECON"),
    ("data-theme", "transport_verkehr", "TRAN"),
    ("data-theme", "Umwelt", "ENVI"),
    ("planned-availability", "http://dcat-ap.de/def/plannedAvailability/stable", "STABLE"),
    ("distribution-status", "http://purl.org/adms/status/Completed", "COMPLETED"),
    ("access-right", "öffentlich", "PUBLIC"),
])
def test_normalise_eu_tables(vocabularies, name, raw, expected) -> None:
    scheme = vocabularies.scheme(name).uri
    assert vocabularies.normalise(name, raw) == (expected and f"{scheme}/{expected}")


@pytest.mark.parametrize("raw, expected", [
    (LICENCES + "dl-by-de/2.0", "dl-by-de/2.0"),
    ("https://dcat-ap.de/def/licenses/dl-by-de/2.0/", "dl-by-de/2.0"),
    # DCAT-AP.de 1.0 URIs (GovData's upgrade mapping)
    (LICENCES + "cc-by-de/3_0", "cc-by-de/3.0"),
    (LICENCES + "cc-by/4_0", "cc-by/4.0"),
    (LICENCES + "official-work", "officialWork"),
    (LICENCES + "cc-nc/3_0", "cc-by-nc-de/3.0"),
    (LICENCES + "od-bl", "odbl"),
    (LICENCES + "cc-nc", None),  # withdrawn without successor
    # codes of the old OGD schema (CKAN license_id), dcat-ap.de codes, EU table, deed URLs
    ("dl-de-by-2.0", "dl-by-de/2.0"),
    ("cc-by-4.0", "cc-by/4.0"),
    ("CC-BY-4.0", "cc-by/4.0"),
    ("dl-zero-de/2.0", "dl-zero-de/2.0"),
    ("odc-odbl", "odbl"),
    (EU + "licence/CC_BY_4_0", "cc-by/4.0"),
    (EU + "licence/DLDE_BY_2_0", "dl-by-de/2.0"),
    (EU + "licence/CC0", "cc-zero"),
    ("https://www.govdata.de/dl-de/by-2-0", "dl-by-de/2.0"),
    ("https://creativecommons.org/licenses/by/4.0/", "cc-by/4.0"),
    ("Datenlizenz Deutschland – Zero – Version 2.0", "dl-zero-de/2.0"),
    ("some-licence", None),
])
def test_normalise_licences(vocabularies, raw, expected) -> None:
    assert vocabularies.normalise("licenses", raw) == (expected and LICENCES + expected)


@pytest.mark.parametrize("name, raw", [("file-type", None), ("file-type", ""), ("language", "  ")])
def test_normalise_nothing_is_nothing(vocabularies, name, raw) -> None:
    assert vocabularies.normalise(name, raw) is None


@pytest.mark.parametrize("licence, required", [
    (LICENCES + "dl-by-de/2.0", True),
    (LICENCES + "cc-by/4.0", True),
    (LICENCES + "cc-by-de/3_0", True),  # superseded URI, normalised first
    (LICENCES + "odbl", True),
    (LICENCES + "dl-zero-de/2.0", False),
    (LICENCES + "cc-zero", False),
    (LICENCES + "officialWork", False),
    (LICENCES + "other-closed", True),  # terms unknown: ask for the text
])
def test_requires_attribution(vocabularies, licence, required) -> None:
    assert vocabularies.requires_attribution(licence) is required


def test_requires_attribution_of_no_licence_is_an_error(vocabularies) -> None:
    with pytest.raises(KeyError, match="not a licence"):
        vocabularies.requires_attribution("http://example.org/my-licence")


def test_unknown_scheme_names_the_known_ones(vocabularies) -> None:
    for call in (lambda: vocabularies.scheme("themes"), lambda: vocabularies.concepts("themes"),
                 lambda: vocabularies.normalise("themes", "x"),
                 lambda: vocabularies.contains("themes", "x")):
        with pytest.raises(KeyError, match="unknown vocabulary 'themes'; known: access-right, "
                                           "contributors, data-theme"):
            call()


def test_every_concept_is_skos_with_german_label(vocabularies) -> None:
    graph = vocabularies.graph()
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) == sum(len(vocabularies.concepts(name)) for name in vocabularies.names())
    for concept in concepts:
        assert graph.value(concept, SKOS.inScheme) is not None, concept
        languages = {label.language for label in graph.objects(concept, SKOS.prefLabel)}
        assert "de" in languages, concept
        english = "en" in languages
        assert english or str(concept).startswith("http://dcat-ap.de/def/contributors/"), concept
    assert (URIRef(EU + "file-type/CSV"), SKOS.notation, Literal("CSV")) in graph


def test_describe_gives_the_concepts_and_their_schemes(vocabularies) -> None:
    described = vocabularies.describe([URIRef(EU + "data-theme/TRAN"), URIRef("http://example.org/x")])
    assert (URIRef(EU + "data-theme/TRAN"), SKOS.inScheme, URIRef(EU + "data-theme")) in described
    assert (URIRef(EU + "data-theme"), RDF.type, SKOS.ConceptScheme) in described
    assert set(described.subjects()) == {URIRef(EU + "data-theme/TRAN"), URIRef(EU + "data-theme")}


def test_the_directory_can_be_chosen_and_is_read_lazily(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_DIRECTORY / "access-right.ttl", tmp_path)
    vocabularies = Vocabularies(tmp_path)
    (tmp_path / "access-right.ttl").rename(tmp_path / "access-right.ttl.bak")
    with pytest.raises(FileNotFoundError, match="no vocabularies"):
        vocabularies.names()
    (tmp_path / "access-right.ttl.bak").rename(tmp_path / "access-right.ttl")
    assert Vocabularies(tmp_path).names() == ["access-right"]


@pytest.mark.parametrize("alignments, error", [
    ({"access-right": {"OPEN": ["offen"]}}, "'OPEN' is not a notation of"),
    ({"access-right": {"PUBLIC": ["frei"], "RESTRICTED": ["FREI"]}}, "'FREI' would mean both"),
    ({"access-right": {"PUBLIC": [EU + "access-right/RESTRICTED"]}}, "would mean both"),
    ({"access-rights": {"PUBLIC": ["frei"]}}, "no vocabulary for section"),
])
def test_alignments_that_contradict_the_vocabulary_are_refused(tmp_path, alignments, error) -> None:
    shutil.copy(DEFAULT_DIRECTORY / "access-right.ttl", tmp_path)
    (tmp_path / "alignments.yaml").write_text(yaml.safe_dump(alignments), encoding="utf-8")
    with pytest.raises(ValueError, match=error):
        Vocabularies(tmp_path).names()


def test_a_broken_vocabulary_file_is_named(tmp_path) -> None:
    broken = '@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n<a> skos:prefLabel "x" \n'
    (tmp_path / "data-theme.ttl").write_text(broken, encoding="utf-8")
    with pytest.raises(ValueError, match="data-theme.ttl: not valid Turtle"):
        Vocabularies(tmp_path).names()
