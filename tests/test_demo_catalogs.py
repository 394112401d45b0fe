"""The demo catalog server (``python -m ckanext.twin.demo_catalogs``) and the shipped catalogs.

The server has to behave like a partner's catalog server, so the harvester meets content
types, validators and 304 answers as it would in production; and it must not hand out
anything outside its folder. The shipped catalogs must parse and page as served.
"""
from __future__ import annotations

import http.client
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from harvesters import rdf
from harvesters.dcat.pages import PageValidators, iter_pages
from harvesters.dcat.records import split_records
from harvesters.fetch import DEFAULT_LIMITS
from support.servers import running

from ckanext.twin.demo_catalogs import CatalogServer, main

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "config" / "sources" / "catalogs"
LIMITS = replace(DEFAULT_LIMITS, allowed_hosts=frozenset({"127.0.0.1"}))


def serve(directory: Path) -> Iterator[CatalogServer]:
    server = CatalogServer(0, directory)
    with running(server):
        yield server


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A catalogs folder with one file per served extension, and a secret next to it."""
    served = tmp_path / "catalogs"
    (served / "gemeinde").mkdir(parents=True)
    (served / "gemeinde" / "seite-1.ttl").write_text(
        "<{{BASE}}/gemeinde/seite-1.ttl> <http://www.w3.org/ns/hydra/core#next> "
        "<{{BASE}}/gemeinde/seite-2.ttl> .\n", encoding="utf-8")
    (served / "katalog.rdf").write_text("<rdf:RDF/>", encoding="utf-8")
    (served / "katalog.jsonld").write_text("{}", encoding="utf-8")
    (served / "katalog.nt").write_text("", encoding="utf-8")
    (tmp_path / "geheim.ini").write_text("SECRET_KEY = geheim", encoding="utf-8")
    return served


@pytest.fixture
def server(folder: Path) -> Iterator[CatalogServer]:
    yield from serve(folder)


def get(server: CatalogServer, path: str,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """A request with ``path`` sent as it is (no client-side normalisation of ``..``)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path, content_type", [
    ("/gemeinde/seite-1.ttl", "text/turtle; charset=utf-8"),
    ("/katalog.rdf", "application/rdf+xml"),
    ("/katalog.jsonld", "application/ld+json"),
    ("/katalog.nt", "application/n-triples"),
])
def test_content_type_follows_the_extension(server: CatalogServer, path: str,
                                            content_type: str) -> None:
    status, headers, _ = get(server, path)
    assert (status, headers["Content-Type"]) == (200, content_type)


def test_base_placeholder_becomes_the_servers_url(server: CatalogServer) -> None:
    _, _, body = get(server, "/gemeinde/seite-1.ttl")
    assert body.decode() == (f"<{server.base_url}/gemeinde/seite-1.ttl> "
                             "<http://www.w3.org/ns/hydra/core#next> "
                             f"<{server.base_url}/gemeinde/seite-2.ttl> .\n")


def test_conditional_requests_answer_304(server: CatalogServer) -> None:
    status, headers, body = get(server, "/katalog.rdf")
    assert status == 200 and headers["ETag"] and headers["Last-Modified"]

    status, _, empty = get(server, "/katalog.rdf", {"If-None-Match": headers["ETag"]})
    assert (status, empty) == (304, b"")
    assert get(server, "/katalog.rdf", {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    # If-None-Match decides when present, even with a matching date (RFC 9110).
    status, _, again = get(server, "/katalog.rdf", {
        "If-None-Match": '"anders"', "If-Modified-Since": headers["Last-Modified"]})
    assert (status, again) == (200, body)


def test_changed_file_is_served_again(server: CatalogServer, folder: Path) -> None:
    _, headers, _ = get(server, "/katalog.jsonld")
    (folder / "katalog.jsonld").write_text('{"@graph": []}', encoding="utf-8")
    status, _, body = get(server, "/katalog.jsonld", {
        "If-None-Match": headers["ETag"], "If-Modified-Since": formatdate(0, usegmt=True)})
    assert (status, body) == (200, b'{"@graph": []}')


@pytest.mark.parametrize("path", ["/fehlt.ttl", "/gemeinde", "/gemeinde/"])
def test_missing_files_and_folders_are_404(server: CatalogServer, path: str) -> None:
    assert get(server, path)[0] == 404


@pytest.mark.parametrize("path", ["/../geheim.ini", "/%2e%2e/geheim.ini",
                                  "/gemeinde/../../geheim.ini", "//etc/passwd", "/%00.ttl"])
def test_nothing_outside_the_folder_is_served(server: CatalogServer, path: str) -> None:
    status, _, body = get(server, path)
    assert status == 404 and b"geheim" not in body and b"root:" not in body


def test_index_lists_the_catalogs(server: CatalogServer) -> None:
    status, headers, body = get(server, "/")
    assert (status, headers["Content-Type"]) == (200, "text/plain; charset=utf-8")
    assert body.decode().splitlines() == [f"{server.base_url}/{name}" for name in (
        "gemeinde/seite-1.ttl", "katalog.jsonld", "katalog.nt", "katalog.rdf")]


# -- the shipped catalogs, as the harvester reads them -------------------------------------------

@pytest.fixture(scope="module")
def shipped() -> Iterator[CatalogServer]:
    yield from serve(CATALOGS)


@pytest.mark.parametrize("path, datasets", [
    ("garching/catalog.ttl", 4),
    ("ismaning/catalog.ttl", 5),
    ("unterschleissheim/catalog.rdf", 4),
    ("nuernberg/catalog.ttl", 4),
    ("augsburg/catalog.jsonld", 4),
])
def test_shipped_catalogs_page_and_split_into_datasets(shipped: CatalogServer, path: str,
                                                       datasets: int) -> None:
    pages = list(iter_pages(f"{shipped.base_url}/{path}", LIMITS))
    records = [record for page in pages for record in split_records(page.graph)]
    assert len(records) == datasets
    assert len({record.key for record in records}) == datasets
    if path.startswith("ismaning/"):
        assert [urlsplit(page.url).path for page in pages] == \
            ["/ismaning/catalog.ttl", "/ismaning/catalog-2.ttl"]


def test_second_walk_of_a_shipped_catalog_is_not_modified(shipped: CatalogServer) -> None:
    start = f"{shipped.base_url}/ismaning/catalog.ttl"
    first = list(iter_pages(start, LIMITS))
    validators = {page.requested_url: PageValidators(page.etag, page.last_modified,
                                                     page.next_url) for page in first}
    again = list(iter_pages(start, LIMITS, validators))
    assert [page.not_modified for page in again] == [True, True]


@pytest.mark.parametrize("path", sorted(p.relative_to(CATALOGS).as_posix()
                                         for p in CATALOGS.rglob("*.*")))
def test_every_shipped_file_is_rdf_once_served(shipped: CatalogServer, path: str) -> None:
    status, headers, body = get(shipped, f"/{path}")
    assert status == 200 and b"{{BASE}}" not in body
    assert len(rdf.parse(body, content_type=headers["Content-Type"])) > 0


# -- the command ------------------------------------------------------------------------------

def test_command_starts_without_ckan() -> None:
    code = ("import sys, ckanext.twin.demo_catalogs; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'ckan'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout == "[]\n", result.stderr


def test_command_refuses_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--port", "0", "--directory", str(tmp_path / "fehlt")]) == 1
    assert capsys.readouterr().err == \
        f"demo_catalogs: error: {tmp_path / 'fehlt'} is not a directory\n"


def test_command_names_a_taken_port(server: CatalogServer, folder: Path,
                                    capsys: pytest.CaptureFixture) -> None:
    port = server.server_address[1]
    assert main(["--port", str(port), "--directory", str(folder)]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"demo_catalogs: error: cannot listen on 127.0.0.1:{port}: ")
    assert len(error.splitlines()) == 1
