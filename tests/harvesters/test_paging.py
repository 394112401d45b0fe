"""Walking the pages of a catalog: Hydra links, cycles, limits, next links out of bounds."""
from __future__ import annotations

from pathlib import Path

import pytest
from support.catalogs import MEDIA_TYPES, Options, catalog_pages
from rdflib import Graph

from harvesters.dcat.pages import (
    PageError,
    PageValidators,
    PagingError,
    iter_pages,
    normalise_url,
    paging,
)
from harvesters.fetch import FetchLimits

LOCAL = FetchLimits(allowed_hosts=frozenset({"127.0.0.1"}))
HARVEST = Path(__file__).resolve().parents[1] / "fixtures" / "harvest"


def serve(server, total: int, page_size: int, fmt: str = "turtle",
          options: Options | None = None, links: dict[int, int] | None = None,
          path: str = "/catalog") -> list[str]:
    """Serves a generated catalog; returns the page URLs."""
    def page_path(number: int) -> str:
        return path if number == 1 else f"{path}?page={number}"
    documents = catalog_pages(total, page_size, lambda n: server.url(page_path(n)), options,
                              fmt, links)
    return [server.content(page_path(number), document, MEDIA_TYPES[fmt])
            for number, document in enumerate(documents, start=1)]


@pytest.mark.parametrize("hydra", ["ckanext-dcat", "view"])
@pytest.mark.parametrize("fmt", ["turtle", "xml", "json-ld"])
def test_all_pages_are_walked_in_order(http_server, hydra, fmt):
    urls = serve(http_server, 250, 100, fmt, Options(hydra=hydra))
    pages = list(iter_pages(urls[0], LOCAL))
    assert [p.number for p in pages] == [1, 2, 3]
    assert [p.url for p in pages] == urls
    assert [p.next_url for p in pages] == [urls[1], urls[2], None]
    assert pages[0].total_items == 250
    assert all(p.graph is not None and not p.not_modified for p in pages)


def test_a_single_page_catalog_without_paging(http_server):
    url = http_server.file("/bremen.rdf", "bremen-catalog-original-input.rdf")
    pages = list(iter_pages(url, LOCAL))
    assert len(pages) == 1 and pages[0].next_url is None and pages[0].total_items is None


def test_a_last_page_linking_back_to_page_2_stops_with_a_cycle(http_server):
    """ckanext-dcat loops on this until memory runs out (ckanext-dcat#260)."""
    urls = serve(http_server, 50, 10, links={5: 2})
    walked = []
    with pytest.raises(PagingError) as caught:
        for page in iter_pages(urls[0], LOCAL):
            walked.append(page.number)
    assert walked == [1, 2, 3, 4, 5]
    assert caught.value.reason == (f"paging cycle: page 5 links back to page 2 ({urls[1]}); "
                                   "stopped")
    assert len(http_server.hits("/catalog?page=2")) == 1


def test_a_page_linking_to_itself_is_a_cycle(http_server):
    urls = serve(http_server, 30, 10, links={2: 2})
    with pytest.raises(PagingError, match="page 2 links back to page 2"):
        list(iter_pages(urls[0], LOCAL))


def test_a_cycle_through_a_redirect_is_caught(http_server):
    urls = serve(http_server, 30, 10)
    http_server.redirect("/catalog?page=3", urls[0])
    with pytest.raises(PagingError, match="paging cycle"):
        list(iter_pages(urls[0], LOCAL))


def test_equal_urls_are_recognised():
    assert normalise_url("HTTP://Example.ORG:80/catalog?page=2#x") == \
        normalise_url("http://example.org/catalog?page=2")
    assert normalise_url("https://example.org:8443") == "https://example.org:8443/"
    assert normalise_url("http://a/c?page=2&q=") != normalise_url("http://a/c?q=&page=2")


def test_max_pages(http_server):
    urls = serve(http_server, 100, 10)
    with pytest.raises(PagingError, match=r"more than 4 pages \(max_pages\); stopped"):
        list(iter_pages(urls[0], LOCAL, max_pages=4))


def test_max_duration(http_server):
    urls = serve(http_server, 30, 10)
    pages = iter_pages(urls[0], LOCAL, max_duration=0.000_001)
    with pytest.raises(PagingError, match=r"longer than 1e-06 s \(max_duration\)"):
        list(pages)


def test_a_next_link_to_another_host_is_refused(http_server, network_guard):
    """The real Rostock page links to www.opendata-hro.de: served from here, page 2 is
    another host and is neither resolved nor fetched."""
    url = http_server.file("/catalog.rdf", "rostock-catalog-original-input.rdf")
    walked = []
    with pytest.raises(PagingError) as caught:
        for page in iter_pages(url, LOCAL):
            walked.append((page.number, page.total_items))
    assert walked == [(1, 217)]
    assert caught.value.number == 2
    assert caught.value.url == "https://www.opendata-hro.de/catalog.rdf?page=2"
    assert "the link from page 1 refused (another host than 127.0.0.1" in caught.value.reason
    assert "www.opendata-hro.de" not in network_guard.lookups


def test_the_rostock_page_with_its_links_pointing_here(http_server):
    data = (HARVEST / "rostock-catalog-original-input.rdf").read_bytes()
    local = data.replace(b"https://www.opendata-hro.de/catalog.rdf", http_server.url("/catalog.rdf")
                         .encode())
    url = http_server.content("/catalog.rdf", local, "application/rdf+xml")
    http_server.status("/catalog.rdf?page=2", 500)
    with pytest.raises(PageError) as caught:
        list(iter_pages(url, LOCAL))
    assert caught.value.number == 2 and caught.value.status == 500
    assert str(caught.value) == f"page 2 ({url}?page=2): HTTP 500"


def test_a_next_link_may_lead_to_an_allowed_host(http_server):
    urls = serve(http_server, 30, 10)
    limits = FetchLimits(allowed_hosts=frozenset({"localhost", "127.0.0.1"}))
    start = urls[0].replace("127.0.0.1", "localhost")
    assert [p.url for p in iter_pages(start, limits)] == [start] + urls[1:]


def test_an_https_start_never_continues_over_http():
    from harvesters.dcat.pages import _check_next
    with pytest.raises(PagingError, match="from https down to http"):
        _check_next("http://a.example/c?page=2", 2, "https", "a.example", FetchLimits())


def test_several_different_next_links_are_an_error(http_server):
    document = b"""@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<http://127.0.0.1/c> a hydra:PartialCollectionView ; hydra:next </c?page=2>, </c?page=3> .
"""
    url = http_server.content("/c", document)
    with pytest.raises(PagingError, match="several next pages"):
        list(iter_pages(url, LOCAL))


def test_paging_reads_every_hydra_spelling():
    for namespace in ("http://www.w3.org/ns/hydra/core#", "https://www.w3.org/ns/hydra/core#",
                      "http://purl.org/hydra/core#"):
        graph = Graph().parse(data=f"""@prefix hydra: <{namespace}> .
<http://a/c?page=1> a hydra:PagedCollection ; hydra:nextPage "http://a/c?page=2" ;
    hydra:totalItems "217" .""", format="turtle")
        assert paging(graph, "http://a/c?page=1") == (["http://a/c?page=2"], 217)
    graph = Graph().parse(data="""@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<http://a/catalog> hydra:view [ hydra:next "?page=3" ] .""", format="turtle")
    assert paging(graph, "http://a/c?page=2") == (["http://a/c?page=3"], None)


def test_html_and_empty_pages_look_like_error_pages(http_server):
    urls = serve(http_server, 30, 10)
    http_server.content("/catalog?page=2", b"<!DOCTYPE html><html><body>Anmeldung</body></html>",
                        "text/html")
    with pytest.raises(PageError) as caught:
        list(iter_pages(urls[0], LOCAL))
    assert caught.value.looks_like_error_page and "HTML page" in caught.value.reason
    http_server.content("/catalog?page=2", b"", "text/turtle")
    with pytest.raises(PageError) as caught:
        list(iter_pages(urls[0], LOCAL))
    assert caught.value.looks_like_error_page and "empty" in caught.value.reason


def test_a_syntax_error_names_page_format_and_line(http_server):
    urls = serve(http_server, 30, 10)
    http_server.content("/catalog?page=3", b"@prefix dct: <http://purl.org/dc/terms/> .\n"
                                           b"<http://e/d> dct:title \"offen .\n")
    with pytest.raises(PageError) as caught:
        list(iter_pages(urls[0], LOCAL))
    assert str(caught.value) == (f"page 3 ({urls[2]}): Turtle, line 2: newline found in "
                                 "string literal")
    assert not caught.value.looks_like_error_page


def test_unchanged_pages_answer_304_and_the_walk_goes_on(http_server):
    pages = catalog_pages(30, 10, lambda n: http_server.url(f"/c?page={n}"))
    for number, document in enumerate(pages, start=1):
        http_server.conditional(f"/c?page={number}", document, etag=f'"p{number}"')
    first = list(iter_pages(http_server.url("/c?page=1"), LOCAL))
    validators = {p.requested_url: PageValidators(p.etag, p.last_modified, p.next_url)
                  for p in first}
    second = list(iter_pages(http_server.url("/c?page=1"), LOCAL, validators))
    assert [p.not_modified for p in second] == [True, True, True]
    assert [p.next_url for p in second] == [p.next_url for p in first]
    assert all(p.graph is None for p in second)
