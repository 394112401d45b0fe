"""ISO 19139 -> DCAT-AP.de: what each part of a record becomes in the dataset graph.

German GDI-DE records keep their licence (GDI-DE JSON: dl-zero-de/2.0, dl-by-de/2.0 with
"quelle", geoNutz), Anchor keywords, INSPIRE themes and dataset-service coupling.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest
import shapely
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import FOAF, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from harvesters.canonical import canonical_ntriples
from harvesters.dcat.records import DCAT
from harvesters.iso import IsoRecord, Mapped, RecordRefused, couple, read_document, to_graph
from harvesters.iso.dcat import ADMS, DCATDE, GEODCATAP, VCARD, tag_text
from harvesters.iso.themes import DATA_THEMES, default_themes
from iso_records import ReadFixture, anchor, build, legal, online, party, text

URL = "https://csw.example.org/csw?service=CSW&request=GetRecordById&id="
LICENCES = "http://dcat-ap.de/def/licenses/"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
GDI = "de-gdi-de-geodatenkatalog/"


def mapped(iso_file: ReadFixture, name: str, *services: str) -> Mapped:
    record = iso_file(name)
    return to_graph(record, [iso_file(s) for s in services], URL + record.identifier)


def values(graph: Graph, subject: Node, predicate: URIRef) -> set[str]:
    return {str(o) for o in graph.objects(subject, predicate)}


def distributions(result: Mapped) -> list[Node]:
    return list(result.graph.objects(result.subject, DCAT.distribution))


def services(result: Mapped) -> dict[str, Node]:
    """DataService title -> node."""
    g = result.graph
    return {str(g.value(s, DCT.title)): s for d in distributions(result)
            for s in g.objects(d, DCAT.accessService)}


def test_gn250_with_its_view_and_download_service(iso_file: ReadFixture) -> None:
    result = mapped(iso_file, GDI + "142d56bb-108b-4e6a-96a6-8239b80af77e.xml",
                    GDI + "cd7b8516-bbe3-4836-9ed8-b49b6d279932.xml",
                    GDI + "256a7a13-2bc7-462c-8353-4d09f6c3f8a8.xml")
    g, subject = result.graph, result.subject
    # the registry URI identifies the resource; the fileIdentifier is dct:identifier
    assert subject == URIRef("https://registry.gdi-de.org/id/de.bund.bkg.csw/DEBKG00M00000187")
    assert values(g, subject, DCT.identifier) == {"142d56bb-108b-4e6a-96a6-8239b80af77e"}
    assert values(g, subject, RDF.type) == {str(DCAT.Dataset)}
    found = services(result)
    assert set(found) == {"INSPIRE-WMS Geographical Names GN250",
                          "INSPIRE-WFS Geographical Names GN250"}
    wms = found["INSPIRE-WMS Geographical Names GN250"]
    assert values(g, wms, DCAT.endpointURL) == {"https://sg.geodatenzentrum.de/wms_gn250_inspire"}
    assert values(g, wms, DCAT.endpointDescription) == {
        "https://sg.geodatenzentrum.de/wms_gn250_inspire?SERVICE=WMS&REQUEST=GetCapabilities"}
    assert values(g, wms, DCT.conformsTo) == {"http://www.opengis.net/def/serviceType/ogc/wms"}
    assert values(g, wms, DCAT.servesDataset) == {str(subject)}
    assert values(g, wms, DCT.publisher)  # DCAT-AP.de: a data service has a publisher
    formats = {str(g.value(d, DCT["format"])) for d in distributions(result)}
    assert formats == {FILE_TYPES + "WMS_SRVC", FILE_TYPES + "WFS_SRVC"}
    # the GDI-DE licence JSON: geoNutz with its "quelle", on every distribution
    for distribution in distributions(result):
        assert values(g, distribution, DCT.license) == {LICENCES + "geonutz/20130319"}
        assert values(g, distribution, DCATDE.licenseAttributionByText) == {
            "© GeoBasis-DE / BKG (year of last data download)"}
    assert values(g, subject, DCAT.theme) == {DATA_THEMES + "GOVE"}  # Geographical names
    assert values(g, subject, DCT.accessRights) == {ACCESS + "PUBLIC"}
    assert {"Geographical names", "opendata", "watercourse"} <= values(g, subject, DCAT.keyword)
    assert "National" not in values(g, subject, DCAT.keyword)  # INSPIRE spatial scope


def test_hessen_hydro_dl_zero_and_period(iso_file: ReadFixture) -> None:
    result = mapped(iso_file, GDI + "f1950cd0-de59-413c-93fd-b669af06c863.xml",
                    GDI + "def3f393-48c8-730a-328f-947231f493f4.xml")
    g, subject = result.graph, result.subject
    assert {str(o) for d in distributions(result) for o in g.objects(d, DCT.license)} == {
        LICENCES + "dl-zero-de/2.0"}
    assert not list(g.objects(None, DCATDE.licenseAttributionByText))  # "quelle": ""
    # INSPIRE theme by name (Gewässernetz) and the open-data category keyword GOVE
    assert values(g, subject, DCAT.theme) == {DATA_THEMES + "ENVI", DATA_THEMES + "GOVE"}
    assert "GOVE" not in values(g, subject, DCAT.keyword)
    assert {"Gewässernetz", "Geobasisdaten", "AdV-INSPIRE-Produktspezifikation 2.0.1"} <= \
        values(g, subject, DCAT.keyword)
    period = g.value(subject, DCT.temporal)  # GML 3.2 TimePeriod
    assert g.value(period, DCAT.startDate) == Literal("2025-02-01T00:00:00+01:00",
                                                      datatype=XSD.dateTime)
    assert g.value(period, DCAT.endDate) == Literal("2025-08-01T00:00:00+02:00",
                                                    datatype=XSD.dateTime)
    assert g.value(subject, DCT.modified) == Literal("2026-08-11", datatype=XSD.date)
    assert values(g, subject, DCT.accrualPeriodicity) == {
        "http://publications.europa.eu/resource/authority/frequency/ANNUAL_2"}
    assert set(services(result)) == {
        "INSPIRE-WMS HE Hydro - Netzwerk ATKIS Basis-DLM - Hydrografisches Netzwerk",
        "INSPIRE-WFS HE Hydro - Netzwerk ATKIS Basis-DLM"}


def test_uncoupled_view_service_is_a_dataset_with_dl_by_de_and_attribution(
        iso_file: ReadFixture) -> None:
    result = mapped(iso_file, "de-mrmap/hamburg_inspire_verkehrsnetze_wms_service.xml")
    g, subject = result.graph, result.subject
    (distribution,) = distributions(result)
    assert values(g, distribution, DCT.license) == {LICENCES + "dl-by-de/2.0"}
    assert values(g, distribution, DCATDE.licenseAttributionByText) == {
        "Freie und Hansestadt Hamburg, Behörde für Wirtschaft und Verkehr"}
    assert values(g, distribution, DCT["format"]) == {FILE_TYPES + "WMS_SRVC"}
    (service,) = services(result).values()
    assert values(g, service, DCAT.endpointURL) == {
        "https://geodienste.hamburg.de/DE_HH_WMS_INSPIRE_A1_7_Verkehrsnetze"}
    assert values(g, subject, DCAT.theme) == {DATA_THEMES + "TRAN"}  # Verkehrsnetze
    publisher = g.value(subject, DCT.publisher)  # role publisher: the payload's claim
    assert str(g.value(publisher, FOAF.name)) == \
        "Landesbetrieb Geoinformation und Vermessung (LGV) Hamburg"


def test_destatis_csv_file_and_atom_feed(iso_file: ReadFixture) -> None:
    result = mapped(iso_file, "de-gdk-destatis-vogtland/30303032-3231-4035-312d-303032340000.xml")
    g = result.graph
    by_format = {str(g.value(d, DCT["format"])): d for d in distributions(result)}
    csv, atom = by_format[FILE_TYPES + "CSV"], by_format[FILE_TYPES + "ATOM"]
    url = "https://www-genesis.destatis.de/genesis/downloads/00/22151-0024_00.csv"
    assert values(g, csv, DCAT.downloadURL) == values(g, csv, DCAT.accessURL) == {url}
    assert not list(g.objects(csv, DCAT.accessService))
    (feed,) = g.objects(atom, DCAT.accessService)
    assert values(g, feed, DCT.conformsTo) == {"https://www.rfc-editor.org/rfc/rfc4287"}
    # "Nutzungsbedingungen: (c) Statistisches Bundesamt …; Datenlizenz by-2-0"
    assert values(g, csv, DCT.license) == {LICENCES + "dl-by-de/2.0"}
    # a contact form in gmd:electronicMailAddress is the contact's web address
    (contact,) = g.objects(result.subject, DCAT.contactPoint)
    assert values(g, contact, VCARD.hasURL) == {"https://www.destatis.de/kontakt"}
    assert values(g, contact, VCARD.hasTelephone) == {"tel:+49611752405"}
    assert not list(g.objects(contact, VCARD.hasEmail))


@pytest.mark.parametrize("name, licence", [
    ("intl-owslib/csw_iso_identifier.xml", "ccpdm/1.0"),  # Anchor to a CC deed (…/deed.nl)
    ("de-mrmap/dwd_RBSN_FF_dataset.xml", "geonutz/20130319"),  # the GeoNutzV named in a text
    # the licence PDF of the BKG as an Anchor (config/vocabularies/alignments.yaml)
    ("de-gdi-de-geodatenkatalog/cd7b8516-bbe3-4836-9ed8-b49b6d279932.xml", "geonutz/20130319"),
])
def test_licence_from_anchors_and_texts(iso_file: ReadFixture, name: str, licence: str) -> None:
    result = mapped(iso_file, name)
    assert values(result.graph, result.subject, DCT.license) == {LICENCES + licence}


@pytest.mark.parametrize("constraint, licence", [
    (text("Datenlizenz Deutschland – Namensnennung – Version 2.0"), "dl-by-de/2.0"),
    (text("Es gilt die dl-de/zero-2-0"), "dl-zero-de/2.0"),
    (text("Nutzung nach CC BY 4.0, Quellenangabe erforderlich"), "cc-by/4.0"),
    (anchor("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/legalcode.de"),
     "cc-by/4.0"),
    (text('{"id": "cc-by/4.0", "name": "Creative Commons Namensnennung – 4.0 International", '
          '"url": "http://creativecommons.org/licenses/by/4.0/", "quelle": "Stadt Garching"}'),
     "cc-by/4.0"),
])
def test_licence_texts(constraint: str, licence: str) -> None:
    record = read_document(build(identification=legal(constraint, access="license")))
    result = to_graph(record, (), URL + "1")
    assert values(result.graph, result.subject, DCT.license) == {LICENCES + licence}


def test_broken_licence_json_is_a_warning() -> None:
    record = read_document(build(identification=legal(text('{"id": "dl-by-de/2.0",'))))
    result = to_graph(record, (), URL + "1")
    assert any(w.startswith("otherConstraints (line 2) looks like GDI-DE licence JSON but is "
                            "not JSON") for w in result.warnings), result.warnings


def test_no_licence_is_a_warning(iso_file: ReadFixture) -> None:
    result = mapped(iso_file, "pycsw-apiso/test.xml")
    assert not list(result.graph.objects(None, DCT.license))
    assert "no licence recognised in the resource constraints; the source's default licence " \
           "applies" in result.warnings


def test_anchor_keywords_keep_their_text(iso_file: ReadFixture) -> None:
    result = mapped(iso_file, "intl-owslib/iso_keywords_anchor.xml")
    assert {"Air temperature", "Atmospheric pressure", "Salinity"} <= values(
        result.graph, result.subject, DCAT.keyword)


@pytest.mark.parametrize("name, themes", [
    ("intl-owslib/csw_iso_identifier.xml", {"ENVI"}),  # GEMET …/nl/inspire-theme/am
    ("intl-owslib/inspire-geoportal__suvim_wms_service_nobbox.xml", {"ENVI", "HEAL"}),  # URIs
    ("de-gdk-destatis-vogtland/30303032-3231-4035-312d-303032340000.xml", {"SOCI"}),  # pd, de
    ("ckanext-spatial/gemini2.1__service1.xml", {"GOVE"}),  # GEMINI's inspire-theme thesaurus
    ("intl-owslib/iso_keywords_anchor.xml", set()),
])
def test_inspire_themes_become_eu_data_themes(iso_file: ReadFixture,
                                              name: str, themes: set[str]) -> None:
    result = mapped(iso_file, name)
    assert values(result.graph, result.subject, DCAT.theme) == {DATA_THEMES + t for t in themes}


def test_theme_table_covers_the_34_inspire_themes() -> None:
    table = default_themes()
    assert len(table.data_themes) == 34 and len(table.names) == 68
    assert table.names["verteilung der bevölkerung-demografie"] == "pd"


@pytest.mark.parametrize("name, access", [
    ("intl-owslib/iso19139_srv_bayern_ldbv_alkis_wfs.xml", "RESTRICTED"),  # Art. 13(1)(e)
    ("de-gdi-de-geodatenkatalog/142d56bb-108b-4e6a-96a6-8239b80af77e.xml", "PUBLIC"),
    ("ckanext-spatial/gemini2.1__service1.xml", "PUBLIC"),  # "No restriction on public access"
    ("de-gdk-destatis-vogtland/2c4d65c8-b56c-445d-8374-d3492a7d959e.xml", "RESTRICTED"),
    ("pycsw-apiso/pacioos-NS06agg.xml", None),
])
def test_access_rights(iso_file: ReadFixture, name: str, access: str | None) -> None:
    result = mapped(iso_file, name)
    expected = {ACCESS + access} if access else set()
    assert values(result.graph, result.subject, DCT.accessRights) == expected


def test_disagreeing_access_constraints_record_the_most_restrictive() -> None:
    record = read_document(build(identification=(
        legal(anchor("Keine Beschränkungen", "http://inspire.ec.europa.eu/metadata-codelist/"
                     "LimitationsOnPublicAccess/noLimitations"))
        + legal(anchor("Art. 13 1 b", "http://inspire.ec.europa.eu/metadata-codelist/"
                       "LimitationsOnPublicAccess/INSPIRE_Directive_Article13_1b")))))
    result = to_graph(record, (), URL + "1")
    assert values(result.graph, result.subject, DCT.accessRights) == {ACCESS + "RESTRICTED"}
    assert any(w.startswith("the access constraints disagree (PUBLIC: LimitationsOnPublicAccess/"
                            "noLimitations; RESTRICTED: LimitationsOnPublicAccess/INSPIRE_"
                            "Directive_Article13_1b); the most restrictive, RESTRICTED, is "
                            "recorded") for w in result.warnings), result.warnings


def test_bbox_is_a_wkt_polygon_and_its_bounds(iso_file: ReadFixture) -> None:
    result = mapped(iso_file, GDI + "f1950cd0-de59-413c-93fd-b669af06c863.xml")
    g = result.graph
    location = g.value(result.subject, DCT.spatial)
    assert g.value(location, RDF.type) == DCT.Location
    bbox = g.value(location, DCAT.bbox)
    assert bbox.datatype == URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")
    assert shapely.from_wkt(str(bbox)).bounds == (7.789253, 49.389153, 10.248664, 51.651897)


@pytest.mark.parametrize("name", ["intl-owslib/9250AA67-F3AC-6C12-0CB9-0662231AA181_iso.xml",
                                  "intl-owslib/inspire-geoportal__suvim_wms_service_nobbox.xml"])
def test_records_without_bbox_have_no_spatial(iso_file: ReadFixture, name: str) -> None:
    result = mapped(iso_file, name)
    assert not list(result.graph.objects(result.subject, DCT.spatial))


def test_several_bboxes_become_their_envelope_and_a_point_a_centroid() -> None:
    def box(w: float, e: float, s: float, n: float) -> str:
        sides = zip(("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude",
                     "northBoundLatitude"), (w, e, s, n))
        return ("<gmd:extent><gmd:EX_Extent><gmd:geographicElement>"
                "<gmd:EX_GeographicBoundingBox>"
                + "".join(f"<gmd:{side}><gco:Decimal>{v}</gco:Decimal></gmd:{side}>"
                          for side, v in sides)
                + "</gmd:EX_GeographicBoundingBox></gmd:geographicElement></gmd:EX_Extent>"
                  "</gmd:extent>")
    two = to_graph(read_document(build(identification=box(11.4, 11.7, 48.0, 48.2)
                                       + box(11.5, 11.9, 48.1, 48.3))), (), URL + "1")
    bbox = two.graph.value(two.graph.value(two.subject, DCT.spatial), DCAT.bbox)
    assert shapely.from_wkt(str(bbox)).bounds == (11.4, 48.0, 11.9, 48.3)
    point = to_graph(read_document(build(identification=box(11.5, 11.5, 48.1, 48.1))), (),
                     URL + "1")
    location = point.graph.value(point.subject, DCT.spatial)
    assert str(point.graph.value(location, DCAT.centroid)) == "POINT(11.5 48.1)"


def test_gml_3_1_period_and_time_instant(iso_file: ReadFixture) -> None:
    result = mapped(iso_file, "ckanext-spatial/iso19139__dataset-invalid.xml")
    period = result.graph.value(result.subject, DCT.temporal)
    assert result.graph.value(period, DCAT.startDate) is not None
    instant = read_document(build(identification=(
        "<gmd:extent><gmd:EX_Extent><gmd:temporalElement><gmd:EX_TemporalExtent><gmd:extent>"
        '<gml:TimeInstant gml:id="t1"><gml:timePosition>2019</gml:timePosition>'
        "</gml:TimeInstant></gmd:extent></gmd:EX_TemporalExtent></gmd:temporalElement>"
        "</gmd:EX_Extent></gmd:extent>")))
    g = to_graph(instant, (), URL + "1").graph
    (node,) = g.objects(None, DCT.temporal)
    assert g.value(node, DCAT.startDate) == g.value(node, DCAT.endDate) == Literal(
        "2019", datatype=XSD.gYear)


def test_contact_point_and_agents(iso_file: ReadFixture) -> None:
    result = mapped(iso_file, GDI + "f1950cd0-de59-413c-93fd-b669af06c863.xml")
    g = result.graph
    (contact,) = g.objects(result.subject, DCAT.contactPoint)
    assert g.value(contact, RDF.type) == VCARD.Organization
    assert str(g.value(contact, VCARD.fn)) == \
        "Hessisches Landesamt für Bodenmanagement und Geoinformation"
    assert g.value(contact, VCARD.hasEmail) == URIRef(
        "mailto:vertrieb-geobasisdaten@hvbg.hessen.de")
    assert g.value(contact, VCARD.hasTelephone) == URIRef("tel:+496115355526")
    roles = read_document(build(identification=(
        party("Stadtvermessung", "publisher", "geo@example.org")
        + party("Baureferat", "originator") + party("Gartenbau", "custodian")
        + party("Ansprechstelle ohne Adresse", "pointOfContact"))))
    mapped_roles = to_graph(roles, (), URL + "1")
    g, subject = mapped_roles.graph, mapped_roles.subject
    name = {predicate: str(g.value(g.value(subject, predicate), FOAF.name))
            for predicate in (DCT.publisher, GEODCATAP.originator, GEODCATAP.custodian)}
    assert name == {DCT.publisher: "Stadtvermessung", GEODCATAP.originator: "Baureferat",
                    GEODCATAP.custodian: "Gartenbau"}
    assert not list(g.objects(subject, DCAT.contactPoint))  # no way to reach it
    assert any("'Ansprechstelle ohne Adresse' has no e-mail address" in w
               for w in mapped_roles.warnings)


def test_languages_and_frequency(iso_file: ReadFixture) -> None:
    gn250 = mapped(iso_file, GDI + "142d56bb-108b-4e6a-96a6-8239b80af77e.xml")
    languages = values(gn250.graph, gn250.subject, DCT.language)
    assert {uri.rsplit("/", 1)[1] for uri in languages} == {"DEU", "HSB", "DSB", "FRY", "DAN"}
    assert "resource language 'wen' is not in the EU language table; left out" in gn250.warnings
    dutch = mapped(iso_file, "intl-owslib/csw_iso_identifier.xml")
    assert "maintenance frequency '5annually' is not in the EU frequency table; left out" \
        in dutch.warnings


def test_texts_in_german_and_english(iso_file: ReadFixture) -> None:
    result = mapped(iso_file, "de-mrmap/dwd_RBSN_FF_dataset.xml")
    assert set(result.graph.objects(result.subject, DCT.title)) == {
        Literal("Windgeschwindigkeit an RBSN Stationen", lang="de"),
        Literal("Wind speed at RBSN stations", lang="en")}
    statement = result.graph.value(result.subject, DCT.provenance)
    assert result.graph.value(statement, RDF.type) == DCT.ProvenanceStatement
    assert len(set(result.graph.objects(statement, RDFS.label))) == 2


def test_identifiers(iso_file: ReadFixture) -> None:
    result = mapped(iso_file, "pycsw-apiso/T_ortho_RAS_1998_288395.xml")
    g = result.graph
    notations = {str(g.value(node, SKOS.notation))
                 for node in g.objects(result.subject, ADMS.identifier)}
    assert notations == {"4a5109d7-9ce5-4197-a423-b5fa8c426dee", "T_ortho_RAS_1998_288395.tif"}


@pytest.mark.parametrize("name", [
    "idswithpaths__file_id_as_url.xml", "idswithpaths__file_id_with_colon.xml",
    "idswithpaths__file_id_with_directory_changes.xml",
    "idswithpaths__file_id_with_driveletter_and_backslashes.xml"])
def test_odd_identifiers_stay_literals_and_the_record_address_is_the_subject(
        iso_file: ReadFixture, name: str) -> None:
    record = iso_file(f"pycsw-edge/{name}")
    address = "https://csw.example.org/csw?id=" + quote(record.identifier, safe="")
    result = to_graph(record, (), address)
    assert result.subject == URIRef(address)
    assert set(result.graph.objects(result.subject, DCT.identifier)) == {
        Literal(record.identifier)}


def test_record_address_must_be_an_iri(iso_file: ReadFixture) -> None:
    with pytest.raises(RecordRefused, match="its address 'not an address' is no IRI"):
        to_graph(iso_file("pycsw-apiso/test.xml"), (), "not an address")


def test_landing_page_when_nothing_else_leads_to_the_data(iso_file: ReadFixture) -> None:
    vogtland = mapped(iso_file, "de-mrmap/vogtlandkreis_bestandsplan_dataset.xml")
    assert not distributions(vogtland)
    assert values(vogtland.graph, vogtland.subject, DCAT.landingPage) == {
        "http://vogtlandkreis.de/landratsamt.php?parent=21"}  # its information page
    record = iso_file("intl-owslib/iso_mi.xml")
    bare = to_graph(record, (), URL + record.identifier)
    assert values(bare.graph, bare.subject, DCAT.landingPage) == {URL + record.identifier}


def test_unusable_links_are_left_out_with_a_warning(iso_file: ReadFixture) -> None:
    result = mapped(iso_file, "pycsw-apiso/iso_19115-2_Sentinel-2-scene.xml")
    assert not distributions(result)
    assert any(w.startswith("36 online resource(s) are not http(s) URLs with a host name")
               for w in result.warnings)


def test_pages_and_downloads() -> None:
    record = read_document(build(links=(
        online("https://example.org/baum.csv", "WWW:DOWNLOAD-1.0-http--download", "download",
               "Baumkataster CSV")
        + online("https://example.org/info", function="information"))))
    result = to_graph(record, (), URL + "1")
    (distribution,) = distributions(result)
    g = result.graph
    assert values(g, distribution, DCT.title) == {"Baumkataster CSV"}
    assert values(g, distribution, DCAT.downloadURL) == {"https://example.org/baum.csv"}
    assert values(g, result.subject, FOAF.page) == {"https://example.org/info"}
    assert not list(g.objects(result.subject, DCAT.landingPage))


def test_same_record_same_triples(iso_file: ReadFixture) -> None:
    """Blank nodes aside, a record maps to the same graph every time (the content hash)."""
    def once() -> str:
        return canonical_ntriples(mapped(iso_file, GDI + "142d56bb-108b-4e6a-96a6-8239b80af77e.xml",
                                         GDI + "cd7b8516-bbe3-4836-9ed8-b49b6d279932.xml").graph)
    assert once() == once()


@pytest.mark.parametrize("keyword, tag", [
    ("AdV-INSPIRE-Produktspezifikation (2.0.1)", "AdV-INSPIRE-Produktspezifikation 2.0.1"),
    ("EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE", "EARTH SCIENCE OCEANS OCEAN TEMPERATURE"),
    ("Gebiedsbeheer, gebieden", "Gebiedsbeheer, gebieden"),
    ("Straßenbäume", "Straßenbäume"), ("&", ""), ("x" * 120, "x" * 100)])
def test_keywords_become_tags_ckan_accepts(keyword: str, tag: str) -> None:
    assert tag_text(keyword) == tag


def test_coupling_and_mapping_together(iso_file: ReadFixture) -> None:
    records: list[IsoRecord] = [iso_file(GDI + name) for name in (
        "142d56bb-108b-4e6a-96a6-8239b80af77e.xml", "256a7a13-2bc7-462c-8353-4d09f6c3f8a8.xml",
        "cd7b8516-bbe3-4836-9ed8-b49b6d279932.xml")]
    coupling = couple(records)
    (dataset,) = coupling.published
    result = to_graph(dataset, coupling.services_of(dataset), URL + dataset.identifier)
    assert len(services(result)) == 2
