"""The demo partner catalogs (config/sources/catalogs), served on 127.0.0.1 for harvesting.

``make run`` harvests these files so a newcomer sees a federated catalog without any
partner's server. They are served the way a partner's catalog is: with a Content-Type by
extension, an ETag and Last-Modified, and 304 answers to conditional requests, so the
harvester's unchanged-page path is exercised too. ``{{BASE}}`` in a file becomes this
server's URL, so a catalog can link its next page (hydra) wherever the server runs.

    python -m ckanext.twin.demo_catalogs --port 5099 --directory config/sources/catalogs

Imports nothing of CKAN: it starts in a fraction of a second, before ``ckan`` commands.
"""
from __future__ import annotations

import argparse
import hashlib
import http.server
import sys
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

PLACEHOLDER = b"{{BASE}}"
CONTENT_TYPES = {
    ".ttl": "text/turtle; charset=utf-8",
    ".rdf": "application/rdf+xml",
    ".jsonld": "application/ld+json",
    ".nt": "application/n-triples",
}


class CatalogServer(http.server.ThreadingHTTPServer):
    """Serves the files below ``directory``, and nothing outside it."""

    daemon_threads = True

    def __init__(self, port: int, directory: Path) -> None:
        super().__init__(("127.0.0.1", port), CatalogHandler)
        self.directory = directory.resolve()
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"


class CatalogHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # as a partner's server answers
    server: CatalogServer

    def do_GET(self) -> None:
        self.answer(with_body=True)

    def do_HEAD(self) -> None:
        self.answer(with_body=False)

    def answer(self, with_body: bool) -> None:
        found = self.resource(unquote(urlsplit(self.path).path))
        if found is None:
            self.send_error(404, "no such catalog file")
            return
        body, content_type, mtime = found
        # The body after substitution: the same file served on another port is another page.
        etag = f'"{hashlib.sha256(body).hexdigest()[:20]}"'
        status = 304 if self.not_modified(etag, mtime) else 200
        self.send_response(status)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", formatdate(mtime, usegmt=True))
        if status == 200:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:  # the client asked for it; say so, as RFC 9112 wants
            self.send_header("Connection", "close")
        self.end_headers()
        if with_body and status == 200:
            self.wfile.write(body)

    def resource(self, path: str) -> tuple[bytes, str, int] | None:
        """Body, Content-Type and modification time of ``path``; None if there is none.

        ``/`` lists the catalogs' URLs: where a newcomer starts, and what portal.sh waits for.
        """
        root = self.server.directory
        if path == "/":
            files = sorted(p for p in root.rglob("*") if p.suffix in CONTENT_TYPES)
            listing = "".join(f"{self.server.base_url}/{p.relative_to(root).as_posix()}\n"
                              for p in files)
            mtime = max((int(p.stat().st_mtime) for p in files), default=0)
            return listing.encode(), "text/plain; charset=utf-8", mtime
        try:
            target = (root / path.lstrip("/")).resolve()
        except (OSError, ValueError):  # e.g. an encoded NUL byte
            return None
        if not target.is_relative_to(root) or not target.is_file():
            return None
        body = target.read_bytes().replace(PLACEHOLDER, self.server.base_url.encode())
        return (body, CONTENT_TYPES.get(target.suffix, "application/octet-stream"),
                int(target.stat().st_mtime))

    def not_modified(self, etag: str, mtime: int) -> bool:
        """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
            return "*" in tags or etag in tags
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            return mtime <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):  # an unreadable date is ignored, as the RFC says
            return False

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Every harvest asks for every page; only what went wrong is worth a line.
        if isinstance(code, int) and code >= 400:
            super().log_request(code, size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0: any)")
    parser.add_argument("--directory", type=Path, required=True,
                        help="the catalogs, e.g. config/sources/catalogs")
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        print(f"demo_catalogs: error: {args.directory} is not a directory", file=sys.stderr)
        return 1
    try:
        server = CatalogServer(args.port, args.directory)
    except OSError as error:
        print(f"demo_catalogs: error: cannot listen on 127.0.0.1:{args.port}: "
              f"{error.strerror}", file=sys.stderr)
        return 1
    print(f"demo_catalogs: serving {args.directory} on {server.base_url}", flush=True)
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
