"""Reading ISO 19139 records: identifiers, kinds, dates, the three text encodings, refusals.

Pure Python, on the fixture records of tests/fixtures/iso19139 and records written inline.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from harvesters.iso import RecordRefused, read_document, read_record
from harvesters.xml import XMLRefused, parse_xml
from iso_records import FIXTURES, ReadFixture, anchor, build, text

GMD_SCHEMA = "outputSchema http://www.isotc211.org/2005/gmd"


def test_gdi_de_dataset(iso_file: ReadFixture) -> None:
    record = iso_file("de-gdi-de-geodatenkatalog/142d56bb-108b-4e6a-96a6-8239b80af77e.xml")
    assert record.identifier == "142d56bb-108b-4e6a-96a6-8239b80af77e"
    assert record.kind == "dataset" and not record.is_service
    assert record.root == "gmd:MD_Metadata"
    assert record.date_stamp == datetime(2026, 3, 23, tzinfo=UTC)
    assert record.stamp == date(2026, 3, 23)
    assert record.title.text == "INSPIRE Geographical Names GN250"
    registry = "https://registry.gdi-de.org/id/de.bund.bkg.csw/DEBKG00M00000187"
    assert record.resource_ids == {record.identifier, registry}
    assert record.operates_on == ()
    assert record.warnings == ()
    assert ("opendata", None) in {(k.text.text, k.text.href) for k in record.keywords}


def test_service_record_names_what_it_operates_on(iso_file: ReadFixture) -> None:
    record = iso_file("de-gdi-de-geodatenkatalog/256a7a13-2bc7-462c-8353-4d09f6c3f8a8.xml")
    assert record.kind == "service" and record.is_service
    assert record.operates_on == (
        "142d56bb-108b-4e6a-96a6-8239b80af77e",
        "https://registry.gdi-de.org/id/de.bund.bkg.csw/DEBKG00M00000187")
    assert record.service_type == "download"
    # the identification's @uuid is what other records' operatesOn@uuidref may name
    assert "https://registry.gdi-de.org/id/de.bund.bkg.csw/256a7a13-2bc7-462c-8353-4d09f6c3f8a8" \
        in record.resource_ids


@pytest.mark.parametrize("name, level", [
    ("de-ingrid/geokatalogWSV_191fc9e5-eaa9-4dda-b45d-5c9534246012_full.xml", "series"),
    ("de-ingrid/550e8400-e29b-41d4-a716-446655441234_full.xml", "nonGeographicDataset"),
    ("de-ingrid/10453eff-59fa-42e9-a3e1-6e3cd99e2a05_full.xml", None),
    # THREDDS (ncISO): a dataset and the service serving it in one gmi:MI_Metadata record
    ("pycsw-apiso/pacioos-NS06agg.xml", "dataset"),
])
def test_everything_but_a_service_is_a_dataset(iso_file: ReadFixture,
                                               name: str, level: str | None) -> None:
    record = iso_file(name)
    assert (record.kind, record.hierarchy_level) == ("dataset", level)


@pytest.mark.parametrize("name", [
    "pycsw-apiso/pacioos-NS06agg.xml", "pycsw-apiso/iso_19115-2_Sentinel-2-scene.xml",
    "intl-owslib/iso_mi.xml"])
def test_gmi_mi_metadata_is_read_like_gmd(iso_file: ReadFixture, name: str) -> None:
    record = iso_file(name)
    assert record.root == "gmi:MI_Metadata"
    assert record.title.text and record.abstract.text and record.bboxes


def test_pt_free_text_main_language_and_english(iso_file: ReadFixture) -> None:
    record = iso_file("de-mrmap/dwd_RBSN_FF_dataset.xml")
    assert (record.title.text, record.title.language) == (
        "Windgeschwindigkeit an RBSN Stationen", "de")
    assert record.title.translations == (("en", "Wind speed at RBSN stations"),)


@pytest.mark.parametrize("language, locales, expected", [
    # German record, English translation, locale ids as INSPIRE TG writes them
    ("ger", ("#locale-eng",), ("Baumkataster", "de", (("en", "Tree register"),))),
    # English record with a German translation: German is kept too
    ("eng", ("#DE",), ("Baumkataster", "en", (("de", "Tree register"),))),
    # PT_Locale ids resolve through the record's gmd:locale
    ("ger", ("#L1",), ("Baumkataster", "de", (("en", "Tree register"),))),
    # other languages are not kept
    ("ger", ("#FR",), ("Baumkataster", "de", ())),
])
def test_pt_free_text_locales(language: str, locales: tuple[str, ...],
                              expected: tuple[object, ...]) -> None:
    groups = "".join(f'<gmd:textGroup><gmd:LocalisedCharacterString locale="{locale}">'
                     f"Tree register</gmd:LocalisedCharacterString></gmd:textGroup>"
                     for locale in locales)
    metadata = ('<gmd:locale><gmd:PT_Locale id="L1"><gmd:languageCode><gmd:LanguageCode '
                'codeList="x" codeListValue="eng"/></gmd:languageCode></gmd:PT_Locale>'
                "</gmd:locale>")
    record = read_document(build(language=language, metadata=metadata,
                                 title=text("Baumkataster") + f"<gmd:PT_FreeText>{groups}"
                                 "</gmd:PT_FreeText>"))
    assert (record.title.text, record.title.language, record.title.translations) == expected


def test_pt_free_text_without_character_string() -> None:
    record = read_document(build(language="eng", title=(
        '<gmd:PT_FreeText><gmd:textGroup><gmd:LocalisedCharacterString locale="#DE">Bäume'
        '</gmd:LocalisedCharacterString></gmd:textGroup><gmd:textGroup>'
        '<gmd:LocalisedCharacterString locale="#EN">Trees</gmd:LocalisedCharacterString>'
        "</gmd:textGroup></gmd:PT_FreeText>")))
    assert (record.title.text, record.title.translations) == ("Trees", (("de", "Bäume"),))


def test_anchor_text_and_href(iso_file: ReadFixture) -> None:
    record = iso_file("intl-owslib/iso_keywords_anchor.xml")
    anchors = {k.text.text: k.text.href for k in record.keywords if k.text.href}
    assert anchors["Air temperature"] == \
        "http://vocab.nerc.ac.uk/collection/A05/current/EV_AIRTEMP/"
    access = iso_file("de-gdi-de-geodatenkatalog/f1950cd0-de59-413c-93fd-b669af06c863.xml")
    assert ("Es gelten keine Zugriffsbeschränkungen", "http://inspire.ec.europa.eu/"
            "metadata-codelist/LimitationsOnPublicAccess/noLimitations") in {
        (c.text.text, c.text.href) for c in access.constraints}


@pytest.mark.parametrize("stamp, expected", [
    ("<gco:DateTime>2024-05-02T10:30:00+02:00</gco:DateTime>",
     datetime(2024, 5, 2, 8, 30, tzinfo=UTC)),
    ("<gco:DateTime>2024-05-02T10:30:00</gco:DateTime>", datetime(2024, 5, 2, 10, 30, tzinfo=UTC)),
    ("<gco:Date>2024-05-02</gco:Date>", datetime(2024, 5, 2, tzinfo=UTC)),
    ("<gco:Date>2024</gco:Date>", datetime(2024, 1, 1, tzinfo=UTC)),  # gco:Date allows gYear
])
def test_date_stamp_forms(stamp: str, expected: datetime) -> None:
    record = read_document(build(date_stamp=stamp))
    assert record.date_stamp == expected and record.warnings == ()


@pytest.mark.parametrize("stamp, warning", [
    (None, "no gmd:dateStamp"),
    ("<gco:Date>gestern</gco:Date>", "gmd:dateStamp 'gestern' (line 2) is not a date"),
    ("<gco:DateTime>2024-13-45T99:00:00</gco:DateTime>", "is not a date or date-time"),
])
def test_missing_or_unparseable_date_stamp_is_a_warning_not_a_refusal(stamp: str | None,
                                                                     warning: str) -> None:
    record = read_document(build(date_stamp=stamp))
    assert record.identifier == "urn:test:baumkataster"
    assert record.date_stamp is None
    assert any(warning in w for w in record.warnings), record.warnings


def test_iso_8859_1_records(iso_file: ReadFixture) -> None:
    record = iso_file("intl-owslib/9250AA67-F3AC-6C12-0CB9-0662231AA181_iso.xml")
    assert record.identifier == "3f342f64-9348-11df-ba6a-0014c2c00eab"
    assert record.title.text == "ALLSPECIES"
    latin1 = read_document(build(title=text("Straßenbäume in Großhadern"), encoding="ISO-8859-1"))
    assert latin1.title.text == "Straßenbäume in Großhadern"


@pytest.mark.parametrize("name, identifier", [
    ("idswithpaths__file_id_as_url.xml", "https://ioos.noaa.gov/stations/BRJASL"),
    ("idswithpaths__file_id_starting_with_forward_slash.xml", "/i/started/with/a/slash"),
    ("idswithpaths__file_id_with_colon.xml", "urn:hi:im:a:urn:or:url"),
    ("idswithpaths__file_id_with_directory_changes.xml",
     "../../../I'm Trying to go back a few directories/../.."),
    ("idswithpaths__file_id_with_driveletter_and_backslashes.xml",
     "C:\\\\hi\\\\I'm\\\\a\\\\windows\\\\folder"),
    ("idswithpaths__file_id_with_foward_slashes.xml", "hello/i/am/a/path"),
])
def test_identifiers_are_kept_exactly(iso_file: ReadFixture, name: str, identifier: str) -> None:
    assert iso_file(f"pycsw-edge/{name}").identifier == identifier


@pytest.mark.parametrize("name, identifier", [
    ("pycsw-edge/iso19115-3__auscope-3d-model.xml", "5ebc3cb7-a3b5-4760-a8ff-851d5d5beb32"),
    ("pycsw-edge/iso19115-3__metawal.wallonie.be-srv.xml",
     "1714cd1e-6685-4dea-a6f4-b51612a15ed0"),
])
def test_iso_19115_3_is_refused_with_the_remedy(name: str, identifier: str) -> None:
    with pytest.raises(RecordRefused) as refused:
        read_document((FIXTURES / name).read_bytes(), name)
    message = str(refused.value)
    assert message.startswith(f"record {identifier} (line 2): ")
    assert "ISO 19115-3 (mdb:MD_Metadata) is not supported" in message
    assert GMD_SCHEMA in message
    assert refused.value.identifier == identifier


def test_malformed_xml_is_refused_with_its_line() -> None:
    name = "ckanext-spatial/gemini2.1__error_bad_xml.xml"
    with pytest.raises(XMLRefused, match=r"not well-formed XML: line 16, column 1: Premature "
                                         r"end of data in tag MD_Metadata"):
        read_document((FIXTURES / name).read_bytes(), name)


def test_xml_bomb_is_refused_without_expanding_it() -> None:
    bomb = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
            + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;")
                                                         * 10) for i in range(1, 10))
            + b']>\n<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd">&lol9;'
            b"</gmd:MD_Metadata>")
    # libxml2's amplification limit or the DOCTYPE refusal, whichever comes first
    with pytest.raises(XMLRefused, match=r"^bomb: (not well-formed XML: .*entity amplification"
                                         r"|a <!DOCTYPE> declaration is not accepted)"):
        read_document(bomb, "bomb")


def test_external_entity_is_refused_without_reading_it() -> None:
    document = (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY secret SYSTEM '
                b'"file:///etc/passwd">]>\n<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/'
                b'2005/gmd"><gmd:fileIdentifier>&secret;</gmd:fileIdentifier></gmd:MD_Metadata>')
    with pytest.raises(XMLRefused, match=r"entity: a <!DOCTYPE> declaration is not accepted"):
        read_document(document, "entity")


@pytest.mark.parametrize("document, message", [
    (build(identifier=None), "record (line 2): no gmd:fileIdentifier"),
    (build(identifier="  "), "record (line 2): no gmd:fileIdentifier"),
    (build(title=None), "record urn:test:baumkataster (line 2): no title "
                        "(gmd:identificationInfo/*/gmd:citation/gmd:CI_Citation/gmd:title)"),
    (build(title=text("  ")), "record urn:test:baumkataster (line 2): no title"),
    (build(abstract=None), "record urn:test:baumkataster (line 2): no abstract"),
    (build(root="gmd:MD_DataIdentification"),
     "not an ISO 19139 record: the element is {http://www.isotc211.org/2005/gmd}"
     "MD_DataIdentification, expected gmd:MD_Metadata or gmi:MI_Metadata"),
])
def test_unusable_records_are_refused_naming_record_and_element(document: bytes,
                                                                message: str) -> None:
    with pytest.raises(RecordRefused) as refused:
        read_document(document)
    assert message in str(refused.value)


def test_record_without_abstract_fixture_is_refused(iso_file: ReadFixture) -> None:
    with pytest.raises(RecordRefused, match="record 09a7c1d4c97ccdd7e34306deb91320ab95d51bb8 "
                                            r"\(line 2\): no abstract"):
        iso_file("pycsw-edge/auscope-iso19139-geoprovinces.xml")


def test_anchor_title_and_identifier_code_with_code_space() -> None:
    record = read_document(build(
        title=anchor("Baumkataster", "https://example.org/baum"),
        citation=("<gmd:identifier><gmd:RS_Identifier><gmd:code>" + text("BAUM-1")
                  + "</gmd:code><gmd:codeSpace>" + text("https://registry.example.org/")
                  + "</gmd:codeSpace></gmd:RS_Identifier></gmd:identifier>")))
    assert record.title.text == "Baumkataster" and record.title.href == "https://example.org/baum"
    assert record.identifier_codes == ("https://registry.example.org/BAUM-1", "BAUM-1")
    assert "https://registry.example.org/BAUM-1" in record.resource_ids


def test_records_inside_a_csw_answer_are_read_where_they_stand() -> None:
    name = "csw-responses/gdi-de_geodatenkatalog_GetRecords_full_5records.xml"
    answer = parse_xml((FIXTURES / name).read_bytes(), name)
    records = [read_record(element) for element in answer.iter(
        "{http://www.isotc211.org/2005/gmd}MD_Metadata")]
    assert len(records) == 5
    assert [r.kind for r in records].count("service") == 3
    assert all(r.line and r.line > 1 for r in records)
