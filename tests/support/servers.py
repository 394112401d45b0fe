"""A scripted HTTP server on 127.0.0.1 for harvesting tests and benchmarks.

A threaded ``http.server`` with scripted routes: files, redirects, status codes, slow and
endless bodies, gzip bombs, ETag/Last-Modified. It records each request and the bytes each
response managed to send, so tests can assert how much a client read.
"""
from __future__ import annotations

import gzip
import http.server
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

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


class QuietServer(http.server.ThreadingHTTPServer):
    """A loopback test server that neither waits for its handlers nor reports their errors."""

    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early are what many tests are about


class _HTTPServer(QuietServer):
    scripted: Server


@contextmanager
def running(server: http.server.HTTPServer) -> Iterator[None]:
    """``server`` answering in a background thread for the duration of the block."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve() -> Iterator[Server]:
    """A scripted server on a free port of 127.0.0.1 for the duration of the block."""
    server = _HTTPServer(("127.0.0.1", 0), _Handler)
    scripted = Server(port=server.server_address[1])
    server.scripted = scripted
    with running(server):
        yield scripted
