"""Coupling service records to the dataset records they serve (srv:operatesOn, GDI-DE).

The GDI-DE set (GN250 dataset + its WMS and WFS; Hessen's hydro dataset + WMS), InGrid's
"Dienst auf Daten" pairs, Destatis' download service coupled through the dataset's own
online resources, and inline records for GetRecordById references.
"""
from __future__ import annotations

import pytest

from harvesters.iso import couple, read_document
from iso_records import ReadFixture, build, online, text

GDI = "de-gdi-de-geodatenkatalog/"
GN250 = GDI + "142d56bb-108b-4e6a-96a6-8239b80af77e.xml"
GN250_WFS = GDI + "256a7a13-2bc7-462c-8353-4d09f6c3f8a8.xml"
GN250_WMS = GDI + "cd7b8516-bbe3-4836-9ed8-b49b6d279932.xml"
HYDRO = GDI + "f1950cd0-de59-413c-93fd-b669af06c863.xml"
HYDRO_WMS = GDI + "def3f393-48c8-730a-328f-947231f493f4.xml"
INGRID = "de-ingrid/"


def test_gn250_dataset_gets_its_wms_and_wfs(iso_file: ReadFixture) -> None:
    dataset, wfs, wms = iso_file(GN250), iso_file(GN250_WFS), iso_file(GN250_WMS)
    coupling = couple([wfs, dataset, wms])
    assert coupling.published == (dataset,)
    assert coupling.services_of(dataset) == (wfs, wms)
    assert coupling.coupled_to == {wfs.identifier: (dataset.identifier,),
                                   wms.identifier: (dataset.identifier,)}
    assert coupling.services_of(wfs) == ()
    assert coupling.warnings == ()


def test_uuidref_naming_the_resource_identifier(iso_file: ReadFixture) -> None:
    """Hessen's WMS names the dataset by its MD_DataIdentification@uuid (a registry URI)."""
    dataset, wms = iso_file(HYDRO), iso_file(HYDRO_WMS)
    coupling = couple([dataset, wms])
    assert coupling.published == (dataset,) and coupling.services_of(dataset) == (wms,)


def test_whole_gdi_de_catalog(iso_file: ReadFixture) -> None:
    records = [iso_file(n) for n in (GN250, GN250_WFS, GN250_WMS, HYDRO, HYDRO_WMS)]
    coupling = couple(records)
    assert [r.identifier for r in coupling.published] == [records[0].identifier,
                                                          records[3].identifier]


def test_ingrid_two_sided_and_one_sided(iso_file: ReadFixture) -> None:
    data = iso_file(INGRID + "CF902C59-D50B-42F6-ADE4-F3CEC39A3259_full.xml")
    two_sided = iso_file(INGRID + "CFA384AB-028F-476B-AC95-EB75CCEFB296_full.xml")
    one_sided = iso_file(INGRID + "77793F43-707A-4346-9A24-9F4E22213F54_full.xml")
    other = iso_file(INGRID + "486d9622-c29d-44e5-b878-44389740011_full.xml")
    coupling = couple([data, two_sided, one_sided, other])
    assert coupling.published == (data, other)
    # "zweiseitig": operatesOn@uuidref is the dataset's fileIdentifier
    assert two_sided in coupling.services_of(data)
    # "einseitig": only an xlink:href naming the dataset's citation identifier
    assert one_sided in coupling.services_of(data)
    assert coupling.services_of(other) == (one_sided,)


def test_service_coupled_through_the_datasets_online_resources(iso_file: ReadFixture) -> None:
    """Destatis' ATOM download service names a dataset the catalog lacks ("DE-0"); the
    dataset of the same table lists the service's feed among its own online resources."""
    folder = "de-gdk-destatis-vogtland/"
    dataset = iso_file(folder + "30303032-3235-4031-372d-303030320000.xml")
    service = iso_file(folder + "30303032-3235-4031-372d-303030320002.xml")
    coupling = couple([dataset, service])
    assert coupling.services_of(dataset) == (service,)
    assert coupling.warnings == (
        f"record {service.identifier}: none of its srv:operatesOn (0, "
        "https://registry.gdi-de.org/id/de.bund.destatis/DE-0) is in this catalog; coupled "
        f"through the dataset's online resources to {dataset.identifier}",)


def test_service_coupled_to_nothing_is_a_dataset_of_its_own(iso_file: ReadFixture) -> None:
    hamburg = iso_file("de-mrmap/hamburg_inspire_verkehrsnetze_wms_service.xml")
    bavaria = iso_file("de-mrmap/bayern_lfu_rohstoffgewinnungsstellen_wms_service.xml")
    coupling = couple([hamburg, bavaria])
    assert coupling.published == (hamburg, bavaria)
    assert coupling.coupled_to == {}
    assert coupling.warnings == (
        f"record {hamburg.identifier}: none of its srv:operatesOn (19A39B3A-2D9E-4805-A5E6-"
        "56A5CA3EC8CB, https://registry.gdi-de.org/id/de.hh/72796D51-86BC-4343-AE77-"
        "85ECAFFACF15) is in this catalog; the service is published as a dataset of its own",)


@pytest.mark.parametrize("operates_on", [
    # a GetRecordById URL whose id= is the fileIdentifier (percent-encoded), no uuidref
    '<srv:operatesOn xlink:href="https://csw.example.org/csw?service=CSW&amp;'
    'request=GetRecordById&amp;version=2.0.2&amp;id=urn%3Atest%3Abaum%2F1"/>',
    # the fileIdentifier in another case, as some catalogs write UUIDs
    '<srv:operatesOn uuidref="URN:TEST:BAUM/1"/>',
    # srv:coupledResource (GeoNetwork) instead of operatesOn
    "<srv:coupledResource><srv:SV_CoupledResource><srv:identifier>"
    + text("urn:test:baum/1") + "</srv:identifier></srv:SV_CoupledResource>"
    "</srv:coupledResource>",
])
def test_references_a_service_may_use(operates_on: str) -> None:
    dataset = read_document(build(identifier="urn:test:baum/1"))
    service = read_document(build(identifier="urn:test:wms", level="service", service=True,
                                  identification=operates_on))
    coupling = couple([dataset, service])
    assert coupling.services_of(dataset) == (service,)
    assert coupling.published == (dataset,)


def test_a_service_without_any_link_to_the_catalog_stays_a_dataset_without_warning() -> None:
    dataset = read_document(build(identifier="urn:test:baum/1", links=online(
        "https://example.org/baum.csv", function="download")))
    service = read_document(build(identifier="urn:test:wms", level="service", service=True,
                                  links=online("https://example.org/wms?", "OGC:WMS")))
    coupling = couple([dataset, service])
    assert coupling.published == (dataset, service)
    assert coupling.warnings == ()


def test_records_coupling_does_not_reorder_or_drop_datasets(iso_file: ReadFixture) -> None:
    names = ["pycsw-apiso/test.xml", GN250_WMS, "intl-owslib/iso_mi.xml", GN250]
    records = [iso_file(n) for n in names]
    coupling = couple(records)
    assert coupling.published == (records[0], records[2], records[3])
