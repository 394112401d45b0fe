"""The result set of a partner's CSW, page by page, without skipping or repeating records.

A walk asks for pages of ``page_size`` records sorted by identifier, from ``startPosition``
1. The next page starts where the records this page actually returned end — not at the
page size (a server may return short pages before the end: ckanext-spatial then skipped
records and withdrew their datasets), and not at ``nextRecord``, which is only a
cross-check. The walk ends when the server says so (``nextRecord`` 0) or when the next
start passes ``numberOfRecordsMatched``.

Everything else ends it as incomplete, with a ``CswError`` naming the page, its
``startPosition`` and the URL (without credentials): an HTTP error, a timeout, a body over
the byte limit, malformed or refused XML (``harvesters.xml``: no DTD, no entities), an
``ows:ExceptionReport``; and ``CswPagingError`` when the paging itself is wrong: a
``nextRecord`` that points back (a cycle), a page that repeats an earlier one (a server
ignoring ``startPosition``), a ``numberOfRecordsMatched`` that changes during the walk (the
catalog changed under it, so positions moved), an empty page or ``nextRecord`` 0 before all
matched records came, more than ``max_pages`` pages or ``max_duration`` seconds.

Only one page is held at a time: ``iter_pages`` is a generator, and its records are copies
that do not keep the answer's document alive. ``walk`` wraps it for callers that want a
verdict (complete or not, matched and seen) instead of an exception.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import requests
from lxml import etree

from harvesters.csw.protocol import (
    CONTENT_TYPE,
    AnswerError,
    SearchResults,
    get_records,
    read_answer,
)
from harvesters.fetch import (
    DEFAULT_LIMITS,
    XML_ACCEPT,
    FetchError,
    FetchLimits,
    guarded_session,
    post,
    redact,
)
from harvesters.xml import XMLRefused, parse_xml

DEFAULT_PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 10_000  # 1 million records at 100 a page
DEFAULT_MAX_DURATION = 6 * 3600.0


class CswError(Exception):
    """A page that could not be fetched or read; the walk ends there, incomplete.

    ``looks_like_error_page``: the server answered 200 with something that is no CSW answer
    (HTML, an empty body): a broken backend or a login page, never a sign of withdrawals.
    """

    def __init__(self, url: str, number: int, start: int, reason: str,
                 status: int | None = None, looks_like_error_page: bool = False) -> None:
        self.url, self.number, self.start, self.reason = redact(url), number, start, reason
        self.status, self.looks_like_error_page = status, looks_like_error_page
        super().__init__(f"page {number} (startPosition {start}, {self.url}): {reason}")


class CswPagingError(CswError):
    """The paging itself is wrong: a cycle, a changing result set, a limit reached."""


@dataclass(frozen=True)
class CswPage:
    """One GetRecords answer. ``start``: its startPosition; ``returned``: the records it
    actually holds (``records``); ``matched``: numberOfRecordsMatched; ``next_record``:
    nextRecord as the server declared it (None when it declared none)."""

    number: int
    start: int
    returned: int
    matched: int
    next_record: int | None
    records: list[etree._Element]
    warnings: tuple[str, ...] = ()

    @property
    def last(self) -> bool:
        """Whether the walk ends after this page."""
        return self.next_record == 0 or self.start + self.returned > self.matched


def iter_pages(url: str, limits: FetchLimits = DEFAULT_LIMITS, *,
               page_size: int = DEFAULT_PAGE_SIZE, cql: str | None = None,
               max_pages: int = DEFAULT_MAX_PAGES, max_duration: float = DEFAULT_MAX_DURATION,
               session: requests.Session | None = None) -> Iterator[CswPage]:
    """Yields the pages of the CSW at ``url`` in order; raises ``CswError`` where the walk
    must stop. Pages already yielded stay valid when a later one fails."""
    if page_size < 1:
        raise ValueError(f"page_size must be positive, not {page_size}")
    began = time.monotonic()
    own = session is None
    session = session or guarded_session(limits)
    start, number, matched = 1, 0, None
    seen_pages: dict[bytes, int] = {}
    try:
        while True:
            number += 1
            if number > max_pages:
                raise CswPagingError(url, number, start, f"more than {max_pages} pages "
                                                         "(max_pages); stopped")
            remaining = max_duration - (time.monotonic() - began)
            if remaining <= 0:
                raise CswPagingError(url, number, start, f"the walk took longer than "
                                                         f"{max_duration:g} s (max_duration); "
                                                         "stopped")
            answer = _answer(url, number, start, page_size, cql, session,
                             replace(limits, deadline=min(limits.deadline, remaining)))
            if matched is not None and answer.matched != matched:
                raise CswPagingError(url, number, start, f"numberOfRecordsMatched changed "
                                     f"from {matched} to {answer.matched} during the walk: "
                                     "the catalog changed, positions moved, records could be "
                                     "skipped or repeated; harvest again")
            matched = answer.matched
            _check_repeat(url, number, start, answer, seen_pages)
            page, stop = _page(url, number, start, page_size, answer)
            del answer
            yield page
            if stop is not None:
                raise stop
            if page.last:
                return
            start += page.returned
            del page  # the next page is fetched with no reference to this one
    finally:
        if own:
            session.close()


def _answer(url: str, number: int, start: int, page_size: int, cql: str | None,
            session: requests.Session, limits: FetchLimits) -> SearchResults:
    what = f"CSW answer, page {number}"
    try:
        response = post(url, get_records(start, page_size, cql), CONTENT_TYPE, limits, session,
                        accept=XML_ACCEPT)
    except FetchError as error:
        raise CswError(url, number, start, error.reason, error.status) from None
    if not response.content.strip():
        raise CswError(url, number, start, "the response is empty (0 bytes of XML)",
                       looks_like_error_page=True)
    try:
        return read_answer(parse_xml(response.content, what))
    except AnswerError as error:
        raise CswError(url, number, start, error.reason,
                       looks_like_error_page=error.looks_like_error_page) from None
    except XMLRefused as error:
        raise CswError(url, number, start, str(error)) from None


def _check_repeat(url: str, number: int, start: int, answer: SearchResults,
                  seen_pages: dict[bytes, int]) -> None:
    """A page with the same records as an earlier one: the server ignores startPosition."""
    if not answer.records:
        return
    digest = hashlib.sha256()
    for record in answer.records:
        digest.update(hashlib.sha256(etree.tostring(record)).digest())
    key = digest.digest()
    if key in seen_pages:
        raise CswPagingError(url, number, start, f"the page repeats page {seen_pages[key]} "
                                                 "record for record: the server ignores "
                                                 "startPosition; stopped")
    seen_pages[key] = number


def _page(url: str, number: int, start: int, page_size: int,
          answer: SearchResults) -> tuple[CswPage, CswPagingError | None]:
    """The page, with warnings for what the walk can live with, and the error that ends the
    walk after it when its paging leads nowhere (its records are still good)."""
    returned, matched, next_record = len(answer.records), answer.matched, answer.next_record
    warnings: list[str] = []
    where = f"page {number} (startPosition {start}, {redact(url)})"
    if answer.declared_returned is not None and answer.declared_returned != returned:
        warnings.append(f"{where}: numberOfRecordsReturned is {answer.declared_returned}, the "
                        f"page holds {returned} records; counting those")
    if returned > page_size:
        warnings.append(f"{where}: {returned} records although {page_size} were asked for")
    end = start + returned  # where the next page starts
    stop = None
    if returned == 0 and start <= matched:
        stop = f"no records although {matched} match and only {start - 1} came; stopped"
    elif next_record == 0 and end <= matched:
        stop = (f"the server ended the results (nextRecord 0) after {end - 1} of {matched} "
                "matching records")
    elif next_record not in (None, 0, end):
        if end > matched:
            warnings.append(f"{where}: nextRecord is {next_record}, but all {matched} matching "
                            "records came; the walk ends here")
        elif next_record <= start:
            stop = (f"nextRecord {next_record} points back to this page or an earlier one: a "
                    "paging cycle; stopped")
        else:
            warnings.append(f"{where}: nextRecord is {next_record}, but {returned} records "
                            f"came; continuing at {end}")
    if end - 1 > matched:
        warnings.append(f"{where}: records up to position {end - 1}, but only {matched} "
                        "match")
    page = CswPage(number=number, start=start, returned=returned, matched=matched,
                   next_record=next_record, records=answer.records, warnings=tuple(warnings))
    return page, CswPagingError(url, number, start, stop) if stop else None


# -- a walk with a verdict ----------------------------------------------------------------------

@dataclass
class Walk:
    """A walk over one CSW. Iterate it (once) for the pages; read the verdict after.

    ``complete``: every page was fetched and read and the server's results ended normally;
    ``errors`` says why not. ``matched``: numberOfRecordsMatched; ``seen``: records yielded.
    Until the iteration has ended, ``complete`` is False.
    """

    url: str
    limits: FetchLimits = DEFAULT_LIMITS
    page_size: int = DEFAULT_PAGE_SIZE
    cql: str | None = None
    max_pages: int = DEFAULT_MAX_PAGES
    max_duration: float = DEFAULT_MAX_DURATION
    session: requests.Session | None = None

    finished: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    looks_like_error_page: bool = False
    pages: int = 0
    matched: int | None = None
    seen: int = 0
    _started: bool = False

    @property
    def complete(self) -> bool:
        return self.finished and not self.errors

    def __iter__(self) -> Iterator[CswPage]:
        if self._started:
            raise RuntimeError("a Walk can be iterated only once")
        self._started = True
        try:
            for page in iter_pages(self.url, self.limits, page_size=self.page_size,
                                   cql=self.cql, max_pages=self.max_pages,
                                   max_duration=self.max_duration, session=self.session):
                self.pages += 1
                self.matched = page.matched
                self.seen += page.returned
                self.warnings.extend(page.warnings)
                yield page
                del page
        except CswError as error:
            self.errors.append(str(error))
            self.looks_like_error_page = error.looks_like_error_page
        self.finished = True
