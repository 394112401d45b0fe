"""The CSW client against scripted CSW answers on 127.0.0.1: paging, faults, hostile XML.

``FakeCsw`` answers GetRecords POSTs from a list of records the way a CSW 2.0.2 server does
(numberOfRecordsMatched, numberOfRecordsReturned, nextRecord), and each test scripts what a
misbehaving server does instead. The real peer (pycsw) is in test_pycsw_peer.py.
"""
from __future__ import annotations

import http.server
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager

import pytest
from lxml import etree

from harvesters.csw.pages import CswError, CswPagingError, Walk, iter_pages
from harvesters.csw.protocol import NAMESPACES, get_records
from harvesters.fetch import FetchError, FetchLimits, post
from support.csw import GMD, Answer, Call, FakeCsw, fake_csw, record, search_response
from support.servers import QuietServer, running

LOCAL = FetchLimits(allowed_hosts=frozenset({"127.0.0.1"}), timeout=5, deadline=10)
CSW = NAMESPACES["csw"]


@pytest.fixture
def csw() -> Iterator[Callable[..., FakeCsw]]:
    """``csw(count, script=None, records=None)``: a fake CSW on a free loopback port with
    ``count`` records rec-0001, rec-0002, … (or ``records``)."""
    with ExitStack() as stack:
        def start(count: int = 25, script: Callable[[Call, FakeCsw], Answer | None] | None = None,
                  records: list[bytes] | None = None) -> FakeCsw:
            return stack.enter_context(fake_csw(
                records if records is not None
                else [record(f"rec-{i:04d}") for i in range(1, count + 1)], script))
        yield start


@contextmanager
def redirecting(status: int, location: str) -> Iterator[tuple[str, list[bytes]]]:
    """A server answering every POST with a redirect; yields its URL and the bodies it got."""
    bodies: list[bytes] = []

    class Redirect(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(status)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = QuietServer(("127.0.0.1", 0), Redirect)
    with running(server):
        yield f"http://127.0.0.1:{server.server_address[1]}/csw", bodies


def identifiers(pages: Iterable) -> list[str]:
    return [r.findtext(f"{{{GMD}}}fileIdentifier/{{http://www.isotc211.org/2005/gco}}"
                       "CharacterString") for page in pages for r in page.records]


def everything(count: int) -> list[str]:
    return [f"rec-{i:04d}" for i in range(1, count + 1)]


def walk_until_error(url: str, limits: FetchLimits = LOCAL, **options: object
                     ) -> tuple[list, CswError]:
    pages = []
    with pytest.raises(CswError) as raised:
        for page in iter_pages(url, limits, **options):  # type: ignore[arg-type]
            pages.append(page)
    return pages, raised.value


# -- the request ----------------------------------------------------------------------------------

def test_the_request_asks_for_full_iso_records_sorted_by_identifier_with_the_constraint(csw):
    fake = csw(3)
    cql = "apiso:Subject like '%opendata%'"
    list(iter_pages(fake.url, LOCAL, page_size=50, cql=cql))
    call = fake.calls[0]
    request = call.request
    assert call.headers["Content-Type"] == "application/xml"
    assert request.tag == f"{{{CSW}}}GetRecords"
    assert (request.get("service"), request.get("version")) == ("CSW", "2.0.2")
    assert request.get("resultType") == "results"
    assert request.get("outputSchema") == GMD
    assert (request.get("startPosition"), request.get("maxRecords")) == ("1", "50")
    query = request.find(f"{{{CSW}}}Query")
    assert query.get("typeNames") == "gmd:MD_Metadata"
    assert query.findtext(f"{{{CSW}}}ElementSetName") == "full"
    assert query.findtext(f"{{{CSW}}}Constraint/{{{CSW}}}CqlText") == cql
    assert query.find(f"{{{CSW}}}Constraint").get("version") == "1.1.0"
    ogc = "{http://www.opengis.net/ogc}"
    assert query.findtext(f"{ogc}SortBy/{ogc}SortProperty/{ogc}PropertyName") \
        == "apiso:Identifier"
    assert query.findtext(f"{ogc}SortBy/{ogc}SortProperty/{ogc}SortOrder") == "ASC"


def test_without_a_constraint_no_constraint_is_sent():
    request = etree.fromstring(get_records(1, 100, None))
    assert request.find(f"{{{CSW}}}Query/{{{CSW}}}Constraint") is None
    assert etree.fromstring(get_records(1, 100, "  ")).find(f".//{{{CSW}}}Constraint") is None


def test_positions_and_sizes_must_be_positive():
    with pytest.raises(ValueError):
        get_records(0, 10)
    with pytest.raises(ValueError):
        list(iter_pages("http://127.0.0.1:1/csw", LOCAL, page_size=0))


# -- paging ---------------------------------------------------------------------------------------

def test_pages_follow_each_other_from_position_1_and_yield_every_record_once(csw):
    fake = csw(25)
    pages = list(iter_pages(fake.url, LOCAL, page_size=10))
    assert [(p.number, p.start, p.returned, p.next_record) for p in pages] == [
        (1, 1, 10, 11), (2, 11, 10, 21), (3, 21, 5, 0)]
    assert [c.start for c in fake.calls] == [1, 11, 21]
    assert {c.max_records for c in fake.calls} == {10}
    assert identifiers(pages) == everything(25)
    assert all(p.matched == 25 and not p.warnings for p in pages)


def test_short_pages_before_the_end_are_not_the_end(csw):
    """The server returns at most 4 records although 10 were asked for."""
    fake = csw(11, lambda call, fake: fake.regular(call, page_size=4))
    walk = Walk(fake.url, LOCAL, page_size=10)
    pages = list(walk)
    assert [c.start for c in fake.calls] == [1, 5, 9]
    assert identifiers(pages) == everything(11)
    assert walk.complete and walk.matched == 11 and walk.seen == 11 and not walk.warnings


def test_next_record_is_a_cross_check_not_the_next_start(csw):
    """A short page whose nextRecord claims the full page size came: the walk goes on where
    the records end, warns, and neither skips nor repeats."""
    fake = csw(11, lambda call, fake: fake.regular(call, page_size=4,
                                                   next_record=call.start + 10))
    walk = Walk(fake.url, LOCAL, page_size=10)
    pages = list(walk)
    assert identifiers(pages) == everything(11)
    assert [c.start for c in fake.calls] == [1, 5, 9]
    assert walk.complete
    assert "nextRecord is 11, but 4 records came; continuing at 5" in walk.warnings[0]


def test_a_server_without_next_record_is_paged_by_the_count(csw):
    fake = csw(7, lambda call, fake: fake.regular(call, next_record=None))
    pages = list(iter_pages(fake.url, LOCAL, page_size=3))
    assert identifiers(pages) == everything(7)
    assert [c.start for c in fake.calls] == [1, 4, 7]


def test_next_record_past_the_end_ends_the_walk_quietly(csw):
    """Some servers answer nextRecord = matched + 1 on the last page instead of 0."""
    fake = csw(6, lambda call, fake: fake.regular(call, next_record=call.start + 3))
    walk = Walk(fake.url, LOCAL, page_size=3)
    assert identifiers(walk) == everything(6)
    assert walk.complete and not walk.warnings and len(fake.calls) == 2


def test_an_empty_catalog_is_one_complete_page(csw):
    fake = csw(0)
    walk = Walk(fake.url, LOCAL)
    pages = list(walk)
    assert [(p.returned, p.matched) for p in pages] == [(0, 0)]
    assert walk.complete and walk.seen == 0 and walk.matched == 0


def test_the_page_size_is_configurable(csw):
    fake = csw(5)
    list(iter_pages(fake.url, LOCAL, page_size=2))
    assert [(c.start, c.max_records) for c in fake.calls] == [(1, 2), (3, 2), (5, 2)]


def test_records_are_standalone_elements_of_any_metadata_standard(csw):
    """gmd, gmi and ISO 19115-3 (mdb) roots, and unknown ones: the mapping decides."""
    records = [record("a", "gmd:MD_Metadata"), record("b", "gmi:MI_Metadata"),
               record("c", "mdb:MD_Metadata"), b'<other xmlns="urn:x"><id>d</id></other>']
    fake = csw(records=records)
    page = next(iter_pages(fake.url, LOCAL))
    assert [etree.QName(r).localname for r in page.records] == [
        "MD_Metadata", "MI_Metadata", "MD_Metadata", "other"]
    assert etree.QName(page.records[2]).namespace \
        == "http://standards.iso.org/iso/19115/-3/mdb/2.0"
    for element in page.records:
        assert element.getparent() is None
        assert element.getroottree().getroot() is element  # its own document
        assert element.sourceline is not None and element.sourceline > 1
    assert page.records[1].findtext(f"{{{GMD}}}fileIdentifier/{{*}}CharacterString") == "b"


def test_numbers_returned_that_disagree_with_the_page_are_warned_about(csw):
    fake = csw(3, lambda call, fake: (200, search_response(fake.records, 3, 0, returned=5),
                                      "application/xml"))
    walk = Walk(fake.url, LOCAL)
    assert len(identifiers(walk)) == 3
    assert walk.complete
    assert "numberOfRecordsReturned is 5, the page holds 3 records" in walk.warnings[0]


# -- a walk that must stop, incomplete ------------------------------------------------------------

def test_a_server_failing_mid_run_ends_the_walk_incomplete_naming_the_page(csw):
    fake = csw(25, lambda call, fake: (500, b"Internal Server Error", "text/plain")
               if call.start == 21 else None)
    walk = Walk(fake.url, LOCAL, page_size=10)
    seen = identifiers(walk)
    assert seen == everything(20)  # the pages before the failure stay valid
    assert walk.finished and not walk.complete and walk.seen == 20
    assert walk.errors == [f"page 3 (startPosition 21, {fake.url}): HTTP 500"]


def test_an_exception_report_is_quoted(csw):
    report = (b'<?xml version="1.0"?><ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows"'
              b' version="1.2.0"><ows:Exception exceptionCode="InvalidParameterValue" '
              b'locator="constraint"><ows:ExceptionText>Invalid Constraint: Invalid CQL request'
              b'</ows:ExceptionText></ows:Exception></ows:ExceptionReport>')
    fake = csw(5, lambda call, fake: (200, report, "application/xml"))
    pages, error = walk_until_error(fake.url, cql="apiso:Subject LIKE '%x%'")
    assert pages == []
    assert str(error) == (f"page 1 (startPosition 1, {fake.url}): the server answered with an "
                          "exception report: InvalidParameterValue (locator 'constraint'): "
                          "Invalid Constraint: Invalid CQL request")
    assert not error.looks_like_error_page


def test_an_ows_1_1_exception_report_is_understood_too(csw):
    report = (b'<ExceptionReport xmlns="http://www.opengis.net/ows/1.1"><Exception '
              b'exceptionCode="NoApplicableCode"><ExceptionText>database down</ExceptionText>'
              b'</Exception></ExceptionReport>')
    fake = csw(5, lambda call, fake: (200, report, "application/xml"))
    _, error = walk_until_error(fake.url)
    assert error.reason.endswith("NoApplicableCode: database down")


def test_malformed_xml_names_page_line_and_column(csw):
    fake = csw(30, lambda call, fake: (200, fake.regular(call)[1][:-40], "application/xml")
               if call.start == 11 else None)
    pages, error = walk_until_error(fake.url, page_size=10)
    assert len(pages) == 1
    assert str(error).startswith(f"page 2 (startPosition 11, {fake.url}): CSW answer, page 2: "
                                 "not well-formed XML: line ")
    assert ", column " in error.reason


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"><csw:SearchResults
 numberOfRecordsMatched="1" numberOfRecordsReturned="1" nextRecord="0"><x>&lol9;</x>
</csw:SearchResults></csw:GetRecordsResponse>"""


def test_an_xml_bomb_is_refused_without_expanding_it(csw):
    fake = csw(1, lambda call, fake: (200, BOMB, "application/xml"))
    began = time.monotonic()
    _, error = walk_until_error(fake.url)
    assert time.monotonic() - began < 2
    # libxml2 stops the amplification while parsing; were it to finish, the DOCTYPE is refused
    assert ("entity amplification" in error.reason
            or "a <!DOCTYPE> declaration is not accepted" in error.reason)
    assert error.number == 1 and error.start == 1 and error.reason.startswith("CSW answer")


def test_an_external_entity_is_neither_loaded_nor_expanded(csw, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    external = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
                f'<csw:GetRecordsResponse xmlns:csw="{CSW}"><csw:SearchResults '
                f'numberOfRecordsMatched="1" numberOfRecordsReturned="1" nextRecord="0">'
                f'<gmd:MD_Metadata xmlns:gmd="{GMD}">&x;</gmd:MD_Metadata>'
                f'</csw:SearchResults></csw:GetRecordsResponse>').encode()
    fake = csw(1, lambda call, fake: (200, external, "application/xml"))
    _, error = walk_until_error(fake.url)
    assert "<!DOCTYPE>" in error.reason and "TOP-SECRET" not in str(error)


def test_an_external_dtd_is_not_fetched(csw):
    fake = csw(2)
    dtd = (f'<?xml version="1.0"?><!DOCTYPE csw:GetRecordsResponse SYSTEM "{fake.url}/evil.dtd">'
           f'<csw:GetRecordsResponse xmlns:csw="{CSW}"/>').encode()
    fake.script = lambda call, fake: (200, dtd, "application/xml")
    _, error = walk_until_error(fake.url)
    assert "<!DOCTYPE>" in error.reason
    assert len(fake.calls) == 1  # only the POST, no request for the DTD


def test_an_html_page_looks_like_an_error_page(csw):
    fake = csw(3, lambda call, fake: (200, b"<html><body>Wartungsarbeiten</body></html>",
                                      "text/html"))
    walk = Walk(fake.url, LOCAL)
    assert list(walk) == []
    assert walk.looks_like_error_page and not walk.complete
    assert "not a CSW GetRecords response: the document is <html>" in walk.errors[0]


def test_an_empty_body_looks_like_an_error_page(csw):
    fake = csw(3, lambda call, fake: (200, b"", "application/xml"))
    _, error = walk_until_error(fake.url)
    assert error.looks_like_error_page and "empty" in error.reason


def test_a_next_record_pointing_back_is_a_cycle(csw):
    fake = csw(30, lambda call, fake: fake.regular(call, next_record=1))
    pages, error = walk_until_error(fake.url, page_size=10)
    assert isinstance(error, CswPagingError)
    assert identifiers(pages) == everything(10) and error.number == 1  # its records are good
    assert "nextRecord 1 points back to this page or an earlier one" in error.reason


def test_a_server_ignoring_start_position_is_caught_on_the_second_page(csw):
    def first_page_always(call: Call, fake: FakeCsw) -> Answer:
        return 200, search_response(fake.records[:10], 30, call.start + 10), "application/xml"
    fake = csw(30, first_page_always)
    pages, error = walk_until_error(fake.url, page_size=10)
    assert len(pages) == 1
    assert isinstance(error, CswPagingError) and error.number == 2 and error.start == 11
    assert "repeats page 1 record for record" in error.reason


def test_a_matched_count_changing_mid_walk_stops_it(csw):
    fake = csw(30, lambda call, fake: fake.regular(call, matched=31) if call.start > 1 else None)
    pages, error = walk_until_error(fake.url, page_size=10)
    assert len(pages) == 1
    assert isinstance(error, CswPagingError)
    assert "numberOfRecordsMatched changed from 30 to 31 during the walk" in error.reason


def test_an_empty_page_before_the_end_stops_the_walk(csw):
    fake = csw(30, lambda call, fake: (200, search_response([], 30, call.start),
                                       "application/xml") if call.start == 11 else None)
    pages, error = walk_until_error(fake.url, page_size=10)
    assert [p.returned for p in pages] == [10, 0]
    assert error.reason == "no records although 30 match and only 10 came; stopped"


def test_next_record_0_before_all_matched_records_came_is_incomplete(csw):
    fake = csw(30, lambda call, fake: fake.regular(call, next_record=0))
    walk = Walk(fake.url, LOCAL, page_size=10)
    assert len(identifiers(walk)) == 10
    assert not walk.complete
    assert "ended the results (nextRecord 0) after 10 of 30 matching records" in walk.errors[0]


def test_the_byte_limit_applies_to_every_page(csw):
    fake = csw(5, lambda call, fake: (200, b"<x>" + b" " * 200_000 + b"</x>", "application/xml"))
    _, error = walk_until_error(fake.url, FetchLimits(
        max_bytes=100_000, allowed_hosts=frozenset({"127.0.0.1"})))
    assert "exceeds the 100000 bytes limit" in error.reason


def test_a_trickling_server_is_cut_off_at_the_deadline(csw):
    def trickle() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?>'
        for _ in range(100):
            time.sleep(0.1)
            yield b" "
    fake = csw(5, lambda call, fake: (200, trickle(), "application/xml"))
    began = time.monotonic()
    _, error = walk_until_error(fake.url, FetchLimits(
        timeout=5, deadline=0.5, allowed_hosts=frozenset({"127.0.0.1"})))
    assert time.monotonic() - began < 3
    assert "deadline" in error.reason


def test_max_pages_stops_the_walk(csw):
    fake = csw(30)
    pages, error = walk_until_error(fake.url, page_size=10, max_pages=2)
    assert len(pages) == 2 and isinstance(error, CswPagingError)
    assert error.reason == "more than 2 pages (max_pages); stopped"


def test_max_duration_stops_the_walk(csw):
    def slow(call: Call, fake: FakeCsw) -> None:
        time.sleep(0.3)
    fake = csw(30, slow)
    began = time.monotonic()
    pages, error = walk_until_error(fake.url, page_size=10, max_duration=0.5)
    assert time.monotonic() - began < 3
    assert len(pages) in (1, 2) and ("max_duration" in error.reason
                                     or "deadline" in error.reason)


def test_credentials_in_the_url_never_reach_the_error(csw):
    fake = csw(5, lambda call, fake: (503, b"busy", "text/plain"))
    url = fake.url.replace("http://", "http://harvester:s3cret@")
    _, error = walk_until_error(url)
    assert "s3cret" not in str(error) and error.status == 503
    assert error.url == fake.url


def test_a_loopback_catalog_is_refused_unless_allowed(csw):
    fake = csw(5)
    _, error = walk_until_error(fake.url, FetchLimits())
    assert "refused" in error.reason and "loopback" in error.reason
    assert fake.calls == []


def test_a_walk_is_iterated_once(csw):
    walk = Walk(csw(1).url, LOCAL)
    list(walk)
    with pytest.raises(RuntimeError):
        list(walk)


# -- POST in harvesters.fetch ---------------------------------------------------------------------

def test_post_sends_the_body_and_its_content_type(csw):
    fake = csw(2)
    response = post(fake.url, get_records(1, 5), "application/xml", LOCAL)
    assert response.status == 200 and b"GetRecordsResponse" in response.content
    assert fake.calls[0].body == get_records(1, 5)
    assert fake.calls[0].headers["Content-Type"] == "application/xml"


@pytest.mark.parametrize("status", [307, 308])
def test_post_follows_redirects_that_keep_the_method(csw, status):
    fake = csw(2)
    with redirecting(status, fake.url) as (url, bodies):
        response = post(url, get_records(1, 5), "application/xml", LOCAL)
    assert bodies == [get_records(1, 5)]
    assert fake.calls[0].body == get_records(1, 5)
    assert response.url == fake.url and b"rec-0001" in response.content


@pytest.mark.parametrize("status", [301, 302, 303])
def test_post_refuses_redirects_that_would_turn_it_into_a_get(status):
    with redirecting(status, "/new-csw") as (url, _):
        with pytest.raises(FetchError) as raised:
            post(url, b"<x/>", "application/xml", LOCAL)
    assert raised.value.status == status
    assert raised.value.reason == (f"HTTP {status} redirect to {url.removesuffix('/csw')}"
                                   "/new-csw: following it would turn the POST into a GET; use "
                                   "that URL instead")
