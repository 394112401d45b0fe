"""Real HTTP servers on 127.0.0.1 for the harvesting core, and a guard that keeps tests local.

``http_server`` is a threaded ``http.server`` with scripted routes: files, redirects, status
codes, slow and endless bodies, gzip bombs, ETag/Last-Modified. It records each request and
the bytes each response managed to send, so tests can assert how much a client read.

``network_guard`` (autouse) makes any connection to an address other than 127.0.0.1/::1 and any
DNS lookup of a name other than ``localhost`` fail — and records it, failing the test: a
refused URL must be refused before anything leaves the process. ``fake_dns`` lets a test give
names addresses (looked up through the same guard).
"""
from __future__ import annotations

import gzip
import http.server
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "harvest"
LOOPBACK = {"127.0.0.1", "::1"}

Handler = Callable[["Request"], None]


@dataclass
class Request:
    """One request as the server saw it, with the means to answer it."""

    path: str
    headers: dict[str, str]
    handler: http.server.BaseHTTPRequestHandler
    sent: int = 0  # body bytes written

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def respond(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
                length: bool = True) -> None:
        self.start(status, headers, len(body) if length else None)
        self.write(body)

    def start(self, status: int, headers: dict[str, str] | None = None,
              length: int | None = None) -> None:
        handler = self.handler
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if length is not None:
            handler.send_header("Content-Length", str(length))
        if length is None or (self.header("Connection") or "").lower() == "close":
            handler.close_connection = True
            handler.send_header("Connection", "close")
        handler.end_headers()

    def write(self, data: bytes) -> bool:
        """Writes body bytes; False once the client has gone."""
        try:
            self.handler.wfile.write(data)
            self.handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return False
        self.sent += len(data)
        return True


@dataclass
class Server:
    """A scripted HTTP server on 127.0.0.1; ``url(path)`` gives the address of a route."""

    port: int = 0
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    # -- ready-made answers --------------------------------------------------------------------

    def content(self, path: str, body: bytes, content_type: str = "text/turtle",
                headers: dict[str, str] | None = None, status: int = 200) -> str:
        return self.route(path, lambda r: r.respond(status, body, {
            "Content-Type": content_type, **(headers or {})}))

    def file(self, path: str, name: str, content_type: str = "application/rdf+xml") -> str:
        return self.content(path, (FIXTURES / name).read_bytes(), content_type)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.route(path, lambda r: r.respond(status, b"", {"Location": location}))

    def status(self, path: str, status: int, body: bytes = b"error") -> str:
        return self.route(path, lambda r: r.respond(status, body, {"Content-Type": "text/plain"}))

    def conditional(self, path: str, body: bytes, etag: str | None = '"v1"',
                    last_modified: str | None = None, content_type: str = "text/turtle") -> str:
        """Answers 304 when the request's validators match, else the body with them."""
        def answer(r: Request) -> None:
            headers = {"Content-Type": content_type}
            if etag:
                headers["ETag"] = etag
            if last_modified:
                headers["Last-Modified"] = last_modified
            if (etag and r.header("If-None-Match") == etag) or (
                    last_modified and not etag
                    and r.header("If-Modified-Since") == last_modified):
                r.respond(304, b"", {k: v for k, v in headers.items() if k != "Content-Type"})
            else:
                r.respond(200, body, headers)
        return self.route(path, answer)

    def endless(self, path: str, total: int, declared: int | None = None,
                content_type: str = "text/turtle", chunk: int = 64 * 1024) -> str:
        """``total`` bytes generated on the fly (a Turtle comment), ``declared`` as
        Content-Length (None: no Content-Length, the connection's end ends the body)."""
        block = (b"# " + b"x" * (chunk - 3) + b"\n")[:chunk]

        def answer(r: Request) -> None:
            r.start(200, {"Content-Type": content_type}, declared)
            left = total  # more than declared when Content-Length lies
            while left > 0:
                if not r.write(block[:min(chunk, left)]):
                    return
                left -= min(chunk, left)
        return self.route(path, answer)

    def slow(self, path: str, piece: bytes = b"#", delay: float = 0.2,
             pieces: int = 10_000) -> str:
        """A body trickling ``piece`` every ``delay`` seconds."""
        def answer(r: Request) -> None:
            r.start(200, {"Content-Type": "text/turtle"}, None)
            for _ in range(pieces):
                if not r.write(piece):
                    return
                time.sleep(delay)
        return self.route(path, answer)

    def compressed(self, path: str, body: bytes, encoding: str = "gzip",
                   content_type: str = "text/turtle") -> str:
        data = {"gzip": lambda b: gzip.compress(b), "deflate": zlib.compress,
                "raw-deflate": lambda b: _raw_deflate(b)}.get(encoding, lambda b: b)(body)
        name = "deflate" if encoding == "raw-deflate" else encoding
        return self.content(path, data, content_type, {"Content-Encoding": name})


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def do_GET(self) -> None:
        scripted = self.server.scripted
        request = Request(self.path, dict(self.headers.items()), self)
        scripted.requests.append(request)
        handler = scripted.routes.get(self.path) or scripted.routes.get(self.path.split("?")[0])
        if handler is None:
            request.respond(404, b"not found", {"Content-Type": "text/plain"})
            return
        handler(request)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    scripted: Server

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early are what many tests are about


@pytest.fixture
def http_server() -> Iterator[Server]:
    server = _HTTPServer(("127.0.0.1", 0), _Handler)
    scripted = Server(port=server.server_address[1])
    server.scripted = scripted
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield scripted
    finally:
        server.shutdown()
        server.server_close()


# -- keeping every test on the loopback interface ---------------------------------------------

@dataclass
class NetworkGuard:
    dns: dict[str, list[str | list[str]]] = field(default_factory=dict)  # fake_dns entries
    lookups: list[str] = field(default_factory=list)  # names resolved (fake, localhost)
    violations: list[str] = field(default_factory=list)
    connects: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    guard = NetworkGuard()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in guard.dns:
            guard.lookups.append(name)
            answers = guard.dns[name]
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
            results = []
            for address in [answer] if isinstance(answer, str) else answer:
                if ":" in address:
                    results.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "",
                                    (address, port, 0, 0)))
                else:
                    results.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
            return results
        if name != "localhost" and not _numeric(name):
            guard.violations.append(f"DNS lookup of {name}")
            raise socket.gaierror(socket.EAI_NONAME, f"tests resolve no names ({name})")
        if name == "localhost":
            guard.lookups.append(name)
        return real_getaddrinfo(host, port, *args, **kwargs)

    def connect(self, address):  # type: ignore[no-untyped-def]
        host = address[0] if isinstance(address, tuple) else str(address)
        guard.connects.append(host)
        if host not in LOOPBACK:
            guard.violations.append(f"connection to {host}")
            raise ConnectionRefusedError(f"tests connect to loopback only, not {host}")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield guard
    assert not guard.violations, "traffic left the loopback interface: " + "; ".join(
        guard.violations)


def _numeric(name: str) -> bool:
    """IP literals, including the forms inet_aton accepts (2130706433, 0x7f.1): no DNS."""
    try:
        socket.inet_pton(socket.AF_INET6, name.split("%")[0])
        return True
    except OSError:
        pass
    try:
        socket.inet_aton(name)
        return True
    except OSError:
        return False


@pytest.fixture
def fake_dns(network_guard: NetworkGuard) -> dict[str, list[str | list[str]]]:
    """Name -> answers, one per lookup (the last one stays); an answer is an address or a
    list of addresses."""
    return network_guard.dns
