"""Recognising what an online resource is: OGC service, OGC API, ATOM feed, file, web page."""
from __future__ import annotations

import pytest

from harvesters.iso.links import BY_NAME, Kind, classify, endpoint_key, web_url
from harvesters.iso.record import Link


def link(url: str, protocol: str = "", function: str | None = None, name: str = "",
         operation: str | None = None) -> Link:
    return Link(url, protocol, name, "", function, operation)


@pytest.mark.parametrize("given, kind, standard", [
    (link("https://example.org/geoserver/ows?", "OGC:WMS-1.3.0-http-get-capabilities"),
     Kind.SERVICE, "WMS"),
    (link("https://example.org/ows?SERVICE=WFS&REQUEST=GetCapabilities", function="download"),
     Kind.SERVICE, "WFS"),
    (link("https://sg.geodatenzentrum.de/wms_gn250_inspire?"), Kind.SERVICE, "WMS"),
    (link("https://www.geoportal.hessen.de/mapbender/php/wms.php?layer_id=61286"),
     Kind.SERVICE, "WMS"),
    (link("https://example.org/wmts/1.0.0/WMTSCapabilities.xml"), Kind.SERVICE, "WMTS"),
    (link("https://example.org/sg", "OGC Web Feature Service", "information"),
     Kind.SERVICE, "WFS"),
    (link("https://api.example.org/features/collections/baeume", "OGC:API"),
     Kind.SERVICE, "OGC API"),
    (link("https://api.example.org/features/collections"), Kind.SERVICE, "OGC API"),
    (link("https://example.org/dls/baum.atom"), Kind.SERVICE, "ATOM"),
    (link("https://example.org/feeds/sf_1.xml", "WWW:DOWNLOAD-1.0-http--download", "download",
          "Downloaddienst (ATOM-Feed)"), Kind.SERVICE, "ATOM"),
    (link("https://example.org/daten/baum.csv", "WWW:DOWNLOAD-1.0-http--download", "download"),
     Kind.DOWNLOAD, None),
    (link("https://example.org/daten/baum.zip"), Kind.DOWNLOAD, None),
    (link("https://example.org/share/s/eLwhvNrp", function="download"), Kind.DOWNLOAD, None),
    (link("https://example.org/about.html", function="information"), Kind.PAGE, None),
    (link("https://example.org/bodemverkenner", "WWW:LINK-1.0-http--related"), Kind.PAGE, None),
    # a page about a WFS is a page, though its address names one
    (link("https://gdz.bkg.bund.de/index.php/inspire-wfs-gn250.html", function="information"),
     Kind.PAGE, None),
    (link("https://geodatenonline.bayern.de/seiten/wfs_alkis", function="information"),
     Kind.PAGE, None),
    (link("https://www.ypaat.gr"), Kind.DOWNLOAD, None),
])
def test_classify(given: Link, kind: Kind, standard: str | None) -> None:
    access = classify(given)
    assert access is not None
    assert (access.kind, access.standard.name if access.standard else None) == (kind, standard)


@pytest.mark.parametrize("url", [
    "s3://eodata/Sentinel-2/x.jp2", "/ascc_geoportal/geokatdaten/tk/", "http://...",
    "ftp://example.org/x.zip", "https://user:secret@example.org/x", "http://intranet/x",
    "https://example.org:99999/x", "mailto:info@example.org", ""])
def test_unusable_urls(url: str) -> None:
    assert web_url(url) is None
    assert classify(link(url)) is None


def test_blanks_and_braces_are_percent_encoded() -> None:
    assert web_url(" https://example.org/a b{1}.csv ") == "https://example.org/a%20b%7B1%7D.csv"


def test_endpoint_and_capabilities() -> None:
    access = classify(link("https://maps.example.org/ows?service=wfs&version=2.0.0&request="
                           "GetFeature&typeNames=RBSN_FF&outputFormat=csv&map=/x.map"))
    assert access is not None
    assert access.endpoint == "https://maps.example.org/ows?map=%2Fx.map"
    assert access.capabilities == ("https://maps.example.org/ows?map=%2Fx.map&SERVICE=WFS"
                                   "&REQUEST=GetCapabilities")
    given = "https://example.org/wms?REQUEST=GetCapabilities&SERVICE=WMS"
    assert classify(link(given)).capabilities == given  # type: ignore[union-attr]
    atom = classify(link("https://example.org/dls/baum.atom"))
    assert atom is not None and atom.capabilities is None


def test_a_service_records_own_endpoints_follow_its_service_type() -> None:
    plain = link("https://geoservices.example.org/v1/alkis.cgi?", operation="GetCapabilities")
    assert classify(plain).kind is Kind.DOWNLOAD  # type: ignore[union-attr]
    access = classify(plain, BY_NAME["WFS"])
    assert access is not None and access.standard is BY_NAME["WFS"]
    page = link("https://example.org/info", function="information")
    assert classify(page, BY_NAME["WFS"]).kind is Kind.PAGE  # type: ignore[union-attr]


def test_one_service_under_several_spellings_has_one_key() -> None:
    keys = {endpoint_key(classify(link(url)).endpoint)  # type: ignore[arg-type,union-attr]
            for url in ("https://Example.org/wms?", "http://example.org/wms",
                        "https://example.org/wms?REQUEST=GetCapabilities&SERVICE=WMS",
                        "https://example.org/wms/?version=1.3.0&request=GetMap&layers=a")}
    assert len(keys) == 1
