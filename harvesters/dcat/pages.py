"""The pages of a partner's catalog: the start URL, then hydra paging, one page at a time.

CKAN catalogs (ckanext-dcat) and most others page with Hydra: the page graph holds a
``hydra:PagedCollection`` (or a ``hydra:PartialCollectionView``) whose ``hydra:next`` (or the
deprecated ``hydra:nextPage``, which ckanext-dcat still writes, as a literal) names the next
page. A page that links back to an earlier one made ckanext-dcat loop until memory ran out
(ckan/ckanext-dcat#260); here every URL is remembered and a repeat ends the walk with a
``PagingError``. A walk also ends at ``max_pages`` or after ``max_duration`` seconds, each
page is bounded by ``FetchLimits``, and a next link may only lead to the start URL's host (or
an allowed host), over https when the walk began on https.

Only one page graph exists at a time: ``iter_pages`` is a generator, and the consumer drops a
page before asking for the next.

Conditional requests: ``validators`` maps a page URL to the ETag / Last-Modified of the
previous run *and the next link the page had then* — a page answered with 304 is not parsed,
so without it the walk could not go on. ``collect`` (``harvest.py``) keeps that state.
"""
from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from harvesters import rdf
from harvesters.fetch import (
    DEFAULT_LIMITS,
    FetchError,
    FetchLimits,
    Response,
    URLRefused,
    check_url,
    fetch,
    guarded_session,
    normalise_host,
    redact,
)

HYDRA_NAMESPACES = ("http://www.w3.org/ns/hydra/core#", "https://www.w3.org/ns/hydra/core#",
                    "http://purl.org/hydra/core#")  # the last: Hydra drafts before 2014
COLLECTION_TYPES = ("PagedCollection", "PartialCollectionView", "Collection")
DEFAULT_MAX_PAGES = 10_000  # 1 million datasets at 100 a page
DEFAULT_MAX_DURATION = 6 * 3600.0


class PageError(Exception):
    """A page that could not be fetched or read; the walk ends there, incomplete.

    ``looks_like_error_page``: the server answered 200 with something that is no catalog
    (HTML, an empty body) — typical of a broken backend or a login page, never a sign that
    datasets were withdrawn.
    """

    def __init__(self, url: str, number: int, reason: str, status: int | None = None,
                 looks_like_error_page: bool = False) -> None:
        self.url, self.number, self.reason = redact(url), number, reason
        self.status, self.looks_like_error_page = status, looks_like_error_page
        super().__init__(f"page {number} ({self.url}): {reason}")


class PagingError(PageError):
    """The paging itself is wrong: a cycle, too many pages, too long, a refused next link."""


@dataclass(frozen=True)
class PageValidators:
    """What the previous run learned about a page: its validators and where it led."""

    etag: str | None = None
    last_modified: str | None = None
    next_url: str | None = None


@dataclass(frozen=True)
class CatalogPage:
    """One page of the catalog. ``graph`` is None when the page answered 304 (unchanged).

    ``url``: the URL the page came from (after redirects); ``requested_url``: the URL asked
    for (the key of ``validators``); ``total_items``: ``hydra:totalItems`` when declared.
    """

    url: str
    number: int
    graph: Graph | None
    etag: str | None
    last_modified: str | None
    total_items: int | None = None
    next_url: str | None = None
    requested_url: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def not_modified(self) -> bool:
        return self.graph is None


def iter_pages(start_url: str, limits: FetchLimits = DEFAULT_LIMITS,
               validators: Mapping[str, PageValidators] | None = None, *,
               max_pages: int = DEFAULT_MAX_PAGES, max_duration: float = DEFAULT_MAX_DURATION,
               session: requests.Session | None = None) -> Iterator[CatalogPage]:
    """Yields the catalog's pages in order; raises ``PageError`` where the walk must stop.

    Pages already yielded stay valid when a later one fails: the caller records the error and
    knows the walk was incomplete.
    """
    validators = validators or {}
    began = time.monotonic()
    own = session is None
    session = session or guarded_session(limits)
    origin = urlsplit(start_url)
    seen: dict[str, int] = {}
    url: str | None = start_url
    number = 0
    try:
        while url is not None:
            number += 1
            if number > max_pages:
                raise PagingError(url, number, f"more than {max_pages} pages (max_pages); "
                                               "stopped")
            if number > 1:
                _check_next(url, number, origin.scheme, origin.hostname or "", limits)
            _remember(seen, url, number)
            remaining = max_duration - (time.monotonic() - began)
            if remaining <= 0:
                raise PagingError(url, number, f"the walk took longer than {max_duration:g} s "
                                               "(max_duration); stopped")
            known = validators.get(url)
            try:
                response = fetch(url, replace(limits, deadline=min(limits.deadline, remaining)),
                                 etag=known.etag if known else None,
                                 last_modified=known.last_modified if known else None,
                                 session=session)
            except FetchError as error:
                raise PageError(url, number, error.reason, error.status) from None
            if response.url != url:
                _remember(seen, response.url, number)
            if response.not_modified:
                next_url = known.next_url if known else None
                page = CatalogPage(url=response.url, number=number, graph=None,
                                   etag=response.etag, last_modified=response.last_modified,
                                   next_url=next_url, requested_url=url)
            else:
                page = _read_page(url, number, response)
                next_url = page.next_url
            yield page
            del page, response  # the next page is fetched with no reference to this one
            url = next_url
    finally:
        if own:
            session.close()


def _remember(seen: dict[str, int], url: str, number: int) -> None:
    key = normalise_url(url)
    earlier = seen.get(key)
    if earlier is not None and earlier != number:
        raise PagingError(url, number, f"paging cycle: page {number - 1} links back to page "
                                       f"{earlier} ({redact(url)}); stopped")
    seen[key] = number


def normalise_url(url: str) -> str:
    """A URL as paging compares it: scheme and host in lower case, no default port, no
    fragment; path and query unchanged (their order may matter to the server)."""
    parts = urlsplit(url.strip())
    host = normalise_host(parts.hostname or "")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and not (parts.scheme, port) in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", parts.query, ""))


def _read_page(url: str, number: int, response: Response) -> CatalogPage:
    content = response.content
    if not content.strip():
        raise PageError(url, number, "the response is empty (0 bytes of RDF)",
                        looks_like_error_page=True)
    try:
        graph = rdf.parse(content, content_type=response.content_type, base=response.url)
    except rdf.NotRDFError as error:
        raise PageError(url, number, str(error), looks_like_error_page=True) from None
    except rdf.RDFSyntaxError as error:
        raise PageError(url, number, str(error)) from None
    next_urls, total_items = paging(graph, response.url)
    if len(next_urls) > 1:
        raise PagingError(url, number, "the page names several next pages: "
                                       + ", ".join(redact(u) for u in next_urls))
    return CatalogPage(url=response.url, number=number, graph=graph, etag=response.etag,
                       last_modified=response.last_modified, total_items=total_items,
                       next_url=next_urls[0] if next_urls else None, requested_url=url)


def paging(graph: Graph, page_url: str) -> tuple[list[str], int | None]:
    """The distinct next-page URLs (absolute) and ``hydra:totalItems`` a page declares.

    Read from nodes typed as a Hydra collection or view (in any of the Hydra namespaces),
    both ends of ``hydra:view``, and the page's own URL; ``hydra:next`` and the deprecated
    ``hydra:nextPage``, as IRIs or (as ckanext-dcat writes them) literals.
    """
    nodes: dict[Node, None] = {}
    for namespace in HYDRA_NAMESPACES:
        for kind in COLLECTION_TYPES:
            for node in graph.subjects(RDF.type, URIRef(namespace + kind)):
                nodes.setdefault(node)
        for collection, view in graph.subject_objects(URIRef(namespace + "view")):
            nodes.setdefault(collection)
            nodes.setdefault(view)
    nodes.setdefault(URIRef(page_url))
    next_urls: dict[str, None] = {}
    total = None
    for node in nodes:
        for namespace in HYDRA_NAMESPACES:
            for name in ("next", "nextPage"):
                for value in graph.objects(node, URIRef(namespace + name)):
                    if isinstance(value, (URIRef, Literal)) and str(value).strip():
                        next_urls.setdefault(urljoin(page_url, str(value).strip()))
            for value in graph.objects(node, URIRef(namespace + "totalItems")):
                if total is None and isinstance(value, Literal):
                    try:
                        total = int(str(value).strip())
                    except ValueError:
                        pass
    return list(next_urls), total


def _check_next(next_url: str, number: int, scheme: str, origin: str,
                limits: FetchLimits) -> None:
    """A next link must stay with the partner: same host (or allowed), no https → http."""
    if scheme == "https" and urlsplit(next_url).scheme == "http":
        raise PagingError(next_url, number, f"the link from page {number - 1} refused (from "
                                            "https down to http)")
    try:
        check_url(next_url, limits, origin=origin, resolve_host=False)
    except URLRefused as error:
        raise PagingError(next_url, number, f"the link from page {number - 1} refused "
                                            f"({error})") from None
