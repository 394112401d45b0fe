"""A whole harvest walk: records page by page, duplicates, an honest verdict, conditional runs."""
from __future__ import annotations

import gc
import weakref
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

import pytest
from support.catalogs import EPOCH, MEDIA_TYPES, Options, catalog_pages, identifier

from harvesters.dcat import pages as pages_module
from harvesters.dcat.harvest import CatalogState, collect
from harvesters.fetch import FetchLimits

LOCAL = FetchLimits(allowed_hosts=frozenset({"127.0.0.1"}))
HARVEST = Path(__file__).resolve().parents[1] / "fixtures" / "harvest"


def serve(server, total: int, page_size: int, options: Options | None = None,
          fmt: str = "turtle", etags: bool = False, links: dict[int, int] | None = None,
          ) -> list[str]:
    documents = catalog_pages(total, page_size, lambda n: server.url(f"/catalog?page={n}"),
                              options, fmt, links)
    urls = []
    for number, document in enumerate(documents, start=1):
        path = f"/catalog?page={number}"
        if etags:
            etag = f'"{sha256(document).hexdigest()[:16]}"'
            urls.append(server.conditional(path, document, etag=etag,
                                           content_type=MEDIA_TYPES[fmt]))
        else:
            urls.append(server.content(path, document, MEDIA_TYPES[fmt]))
    return urls


def test_a_complete_walk(http_server):
    urls = serve(http_server, 250, 100)
    result = collect(urls[0], LOCAL)
    assert not result.complete  # nothing walked yet
    records = list(result)
    assert [r.key for r in records] == [identifier(i) for i in range(250)]
    assert result.complete and not result.errors and not result.looks_like_error_page
    assert result.pages == 3 and result.total_items == 250 and not result.warnings
    assert set(result.records) == {identifier(i) for i in range(250)}
    assert result.withdrawals({identifier(i) for i in range(252)}).withdraw == {
        identifier(250), identifier(251)}
    with pytest.raises(RuntimeError, match="only once"):
        list(result)


def test_http_500_in_the_middle_makes_the_walk_incomplete(http_server):
    urls = serve(http_server, 50, 10)
    http_server.status("/catalog?page=3", 500)
    result = collect(urls[0], LOCAL)
    records = list(result)
    assert len(records) == 20  # pages 1 and 2 are still delivered
    assert not result.complete
    assert result.errors == [f"page 3 ({urls[2]}): HTTP 500"]
    plan = result.withdrawals({identifier(i) for i in range(50)})
    assert plan.withdraw == set() and len(plan.held) == 30
    assert "could not be read completely" in plan.reason


def test_a_syntax_error_on_page_3(http_server):
    urls = serve(http_server, 50, 10)
    http_server.content("/catalog?page=3", b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
                                           b"<http://e/d> a dcat:Dataset ;\n  dcat:x .\n")
    result = collect(urls[0], LOCAL)
    assert len(list(result)) == 20
    assert not result.complete
    assert result.errors[0].startswith(f"page 3 ({urls[2]}): Turtle, line 3: ")


def test_a_paging_cycle_ends_the_walk_incomplete(http_server):
    urls = serve(http_server, 50, 10, links={5: 2})
    result = collect(urls[0], LOCAL)
    assert len(list(result)) == 50
    assert not result.complete and "paging cycle: page 5 links back to page 2" in result.errors[0]


@pytest.mark.parametrize("body, content_type", [
    (b"", "text/turtle"), (b"   \n", "application/rdf+xml"),
    (b"<!DOCTYPE html><html><head><title>Fehler</title></head></html>", "text/html"),
    (b"<html><body>Bitte anmelden</body></html>", "application/rdf+xml"),
])
def test_an_error_page_is_never_an_empty_catalog(http_server, body, content_type):
    url = http_server.content("/catalog", body, content_type)
    result = collect(url, LOCAL)
    assert list(result) == []
    assert not result.complete and result.looks_like_error_page
    plan = result.withdrawals({"a", "b"})
    assert plan.withdraw == set() and plan.held == {"a", "b"}


def test_an_error_page_after_good_pages(http_server):
    urls = serve(http_server, 30, 10)
    http_server.content("/catalog?page=2", b"<!DOCTYPE html><html>503</html>", "text/html")
    result = collect(urls[0], LOCAL)
    assert len(list(result)) == 10
    assert not result.complete and result.looks_like_error_page


def test_a_page_without_datasets_after_pages_with_some_looks_like_an_error(http_server):
    urls = serve(http_server, 30, 10)
    empty = catalog_pages(0, 10, lambda n: http_server.url(f"/catalog?page={n}"))[0]
    http_server.content("/catalog?page=3", empty)
    result = collect(urls[0], LOCAL)
    assert len(list(result)) == 20
    assert not result.complete and result.looks_like_error_page
    assert "page 3" in result.errors[0] and "lists no datasets" in result.errors[0]


def test_a_valid_empty_catalog_is_complete_but_withdraws_nothing(http_server):
    empty = catalog_pages(0, 10, lambda n: http_server.url("/catalog"))[0]
    url = http_server.content("/catalog", empty)
    result = collect(url, LOCAL)
    assert list(result) == []
    assert result.complete and result.empty and not result.looks_like_error_page
    assert "the catalog lists no datasets" in result.warnings
    plan = result.withdrawals({"a", "b"})
    assert plan.withdraw == set() and plan.held == {"a", "b"}
    assert "no datasets" in plan.reason


def test_duplicates_are_resolved_by_the_newest_modified(http_server):
    """Dataset 3 (page 1) and dataset 15 (page 2) share an identifier; so do 5 and 17."""
    newer, older = datetime(2025, 6, 1, tzinfo=UTC), datetime(2020, 1, 1,
                                                                        tzinfo=UTC)
    options = Options(identifiers={15: identifier(3), 17: identifier(5)},
                      modified={3: older, 15: newer, 5: newer, 17: older})
    urls = serve(http_server, 20, 10, options)
    result = collect(urls[0], LOCAL)
    yielded = [(r.key, r.subject) for r in result]
    assert result.complete and result.duplicates == 2
    keys = [key for key, _ in yielded]
    assert keys.count(identifier(3)) == 2 and keys.count(identifier(5)) == 1
    # the last record yielded for a key is the winner
    winners = {key: subject for key, subject in yielded}
    assert winners[identifier(3)].endswith(identifier(15))
    assert winners[identifier(5)].endswith(identifier(5))
    assert result.records[identifier(3)].modified == newer
    assert result.records[identifier(5)].subject.endswith(identifier(5))
    replaced, ignored = result.warnings
    assert replaced.startswith(f"duplicate identifier '{identifier(3)}': ")
    assert f"/dataset/{identifier(15)} (modified 2025-06-01T00:00:00+00:00) replaces " in replaced
    assert f"/dataset/{identifier(3)} (modified 2020-01-01T00:00:00+00:00)" in replaced
    assert f"/dataset/{identifier(17)} (modified 2020-01-01T00:00:00+00:00) ignored, " in ignored
    assert f"/dataset/{identifier(5)} (modified 2025-06-01T00:00:00+00:00) is kept" in ignored


def test_a_tie_keeps_the_first(http_server):
    options = Options(identifiers={12: identifier(2)}, modified={12: EPOCH, 2: EPOCH})
    urls = serve(http_server, 20, 10, options)
    result = collect(urls[0], LOCAL)
    assert [r.key for r in result].count(identifier(2)) == 1
    assert result.records[identifier(2)].subject.endswith(identifier(2))


def test_only_one_page_graph_is_alive_at_a_time(http_server, monkeypatch):
    urls = serve(http_server, 200, 10)
    graphs: list[weakref.ref] = []
    parse = pages_module.rdf.parse

    def tracked(*args, **kwargs):  # type: ignore[no-untyped-def]
        graph = parse(*args, **kwargs)
        graphs.append(weakref.ref(graph))
        return graph
    monkeypatch.setattr(pages_module.rdf, "parse", tracked)
    alive = []
    for record in collect(urls[0], LOCAL):
        if record.key.endswith("5"):  # once a page
            gc.collect()
            alive.append(sum(ref() is not None for ref in graphs))
    assert len(graphs) == 20 and max(alive) == 1


def test_hashes_are_the_same_on_every_run_and_a_change_touches_one(http_server):
    urls = serve(http_server, 30, 10)
    first = {r.key: r.content_hash for r in collect(urls[0], LOCAL)}
    second = {r.key: r.content_hash for r in collect(urls[0], LOCAL)}
    assert first == second
    serve(http_server, 30, 10, Options(titles={21: "Geänderter Titel"}))
    third = {r.key: r.content_hash for r in collect(urls[0], LOCAL)}
    assert {k for k in first if first[k] != third[k]} == {identifier(21)}


def test_an_unchanged_catalog_answers_304_everywhere(http_server):
    urls = serve(http_server, 30, 10, etags=True)
    first = collect(urls[0], LOCAL)
    assert len(list(first)) == 30 and first.complete and not first.unchanged
    state = CatalogState.from_json(first.state.to_json())
    assert state == first.state and len(state.pages) == 3
    second = collect(urls[0], LOCAL, previous=state)
    assert list(second) == []
    assert second.complete and second.unchanged and second.pages_not_modified == 3
    assert set(second.records) == set(first.records) == second.unchanged_keys
    assert second.withdrawals(first.records).withdraw == set()
    assert [r.header("If-None-Match") for r in http_server.hits("/catalog?page=1")] == \
        [None, first.state.pages[0].etag]


def test_a_changed_page_is_read_while_the_others_answer_304(http_server):
    urls = serve(http_server, 30, 10, etags=True)
    first = collect(urls[0], LOCAL)
    list(first)
    serve(http_server, 30, 10, Options(titles={12: "Neu"}), etags=True)
    second = collect(urls[0], LOCAL, previous=first.state)
    changed = list(second)
    assert [r.key for r in changed] == [identifier(i) for i in range(10, 20)]
    assert second.complete and not second.unchanged and second.pages_not_modified == 2
    assert second.unchanged_keys == {identifier(i) for i in (*range(10), *range(20, 30))}
    assert set(second.records) == {identifier(i) for i in range(30)}
    assert second.withdrawals(first.records).withdraw == set()


def test_state_keeps_only_pages_with_validators(http_server):
    urls = serve(http_server, 30, 10)
    result = collect(urls[0], LOCAL)
    list(result)
    assert result.state == CatalogState() and CatalogState.from_json(None) == CatalogState()


def test_real_single_page_catalogs(http_server):
    for name, count in (("bremen", 153), ("brandenburg", 112), ("destatis", 135)):
        url = http_server.file(f"/{name}.rdf", f"{name}-catalog-original-input.rdf")
        result = collect(url, LOCAL)
        assert len(list(result)) == count and result.complete, result.errors


def test_rostock_page_1_then_a_refused_next_page(http_server):
    url = http_server.file("/catalog.rdf", "rostock-catalog-original-input.rdf")
    result = collect(url, LOCAL)
    assert len(list(result)) == 100
    assert not result.complete and result.total_items == 217
    assert "page 2 (https://www.opendata-hro.de/catalog.rdf?page=2): the link from page 1 " \
           "refused (another host than 127.0.0.1" in result.errors[0]
