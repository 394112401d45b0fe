"""A scripted CSW 2.0.2 GetRecords endpoint on 127.0.0.1, for tests of misbehaving servers.

``FakeCsw`` answers GetRecords POSTs from a list of records the way a CSW 2.0.2 server does
(numberOfRecordsMatched, numberOfRecordsReturned, nextRecord); a ``script`` may answer a call
differently (short pages, a 500 mid-run, hostile XML). The real peer is pycsw (``pycsw.py``).
"""
from __future__ import annotations

import http.server
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from lxml import etree

from harvesters.csw.protocol import NAMESPACES

from support.servers import QuietServer, running

CSW = NAMESPACES["csw"]
GMD = "http://www.isotc211.org/2005/gmd"
GCO = "http://www.isotc211.org/2005/gco"
ROOTS = {"gmi": "http://www.isotc211.org/2005/gmi",
         "mdb": "http://standards.iso.org/iso/19115/-3/mdb/2.0"}


def record(identifier: str, root: str = "gmd:MD_Metadata") -> bytes:
    """A minimal ISO record with ``root`` (gmd, gmi or mdb) and a fileIdentifier."""
    prefix = root.split(":")[0]
    declarations = f'xmlns:gmd="{GMD}" xmlns:gco="{GCO}"'
    if prefix != "gmd":
        declarations += f' xmlns:{prefix}="{ROOTS[prefix]}"'
    return (f"<{root} {declarations}><gmd:fileIdentifier><gco:CharacterString>{identifier}"
            f"</gco:CharacterString></gmd:fileIdentifier></{root}>").encode()


def search_response(records: Iterable[bytes], matched: int, next_record: int | None,
                    returned: int | None = None) -> bytes:
    records = list(records)
    attributes = f'numberOfRecordsMatched="{matched}" numberOfRecordsReturned="' \
                 f'{len(records) if returned is None else returned}"'
    if next_record is not None:
        attributes += f' nextRecord="{next_record}"'
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<csw:GetRecordsResponse xmlns:csw="{CSW}">'
            f'<csw:SearchStatus timestamp="2024-05-01T10:00:00Z"/>\n'
            f'<csw:SearchResults {attributes} recordSchema="{GMD}" elementSet="full">\n'
            ).encode() + b"\n".join(records) + b"</csw:SearchResults></csw:GetRecordsResponse>"


@dataclass
class Call:
    """One GetRecords POST as the fake server received it."""

    number: int
    start: int
    max_records: int
    body: bytes
    headers: dict[str, str]

    @property
    def request(self) -> etree._Element:
        return etree.fromstring(self.body)


Answer = tuple[int, bytes | Iterable[bytes], str]  # status, body (or pieces), content type


@dataclass
class FakeCsw:
    """A CSW 2.0.2 GetRecords endpoint over ``records``; ``script`` may answer a call
    differently (return None for the regular answer)."""

    records: list[bytes]
    port: int = 0
    script: Callable[[Call, FakeCsw], Answer | None] | None = None
    calls: list[Call] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/csw"

    def regular(self, call: Call, *, matched: int | None = None, page_size: int | None = None,
                next_record: int | None | str = "count") -> Answer:
        """The honest answer, optionally with a different matched count, a server-side page
        size (short pages) or a scripted nextRecord."""
        size = min(call.max_records, page_size or call.max_records)
        page = self.records[call.start - 1:call.start - 1 + size]
        total = len(self.records) if matched is None else matched
        end = call.start + len(page)
        if next_record == "count":
            next_record = end if end <= len(self.records) else 0
        return 200, search_response(page, total, next_record), "application/xml"  # type: ignore


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _CswServer

    def do_POST(self) -> None:
        fake = self.server.fake
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        root = etree.fromstring(body)
        call = Call(len(fake.calls) + 1, int(root.get("startPosition", "1")),
                    int(root.get("maxRecords", "10")), body, dict(self.headers.items()))
        fake.calls.append(call)
        status, payload, content_type = (fake.script and fake.script(call, fake)) \
            or fake.regular(call)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if isinstance(payload, bytes):
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        try:
            for piece in payload:
                self.wfile.write(piece)
                self.wfile.flush()
        except OSError:
            pass  # the client hung up, as it should

    def log_message(self, format: str, *args: object) -> None:
        pass


class _CswServer(QuietServer):
    fake: FakeCsw


@contextmanager
def fake_csw(records: list[bytes],
             script: Callable[[Call, FakeCsw], Answer | None] | None = None) -> Iterator[FakeCsw]:
    """A ``FakeCsw`` over ``records`` on a free loopback port, for the block."""
    server = _CswServer(("127.0.0.1", 0), _Handler)
    server.fake = FakeCsw(records, port=server.server_address[1], script=script)
    with running(server):
        yield server.fake
