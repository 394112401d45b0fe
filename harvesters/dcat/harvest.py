"""One harvest walk over a partner's DCAT-AP.de catalog: records out, and an honest verdict.

``collect`` combines ``pages.iter_pages`` and ``records.split_records``. Its result is iterated
once, yielding records page by page (only one page graph is ever held; of the records seen,
only key, subject, modified and hash are kept, for the duplicate check and the next run).
When the iteration ends, the result says what the walk was worth:

- ``complete``: every page was fetched and read and the paging ended normally. Anything else —
  an HTTP 500 on page 3, a syntax error, a paging cycle, a limit — leaves it False, with the
  reason in ``errors``;
- ``looks_like_error_page``: a 200 answer that is no catalog (HTML, empty), or a page without
  datasets after pages that had some: the signature of a broken backend;
- ``unchanged``: every page answered 304: the previous harvest stands;
- ``withdrawals(previous_keys)``: which missing datasets may be withdrawn, decided by
  ``harvesters.safeguards``: none unless the walk is complete and found datasets (an empty or
  partial walk never says "everything was withdrawn"), and not more than a share at once.

Duplicates within the source (the same key twice) are resolved as GovData's rule K40 says: the
newest ``dct:modified`` wins, the first seen on a tie; every loser is a warning naming both
subjects. Because records stream, a winner can come after its loser was already yielded: the
rule for the adapter is simply that **a key yielded again replaces what was yielded before**.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime

import requests

from harvesters.dcat.pages import (
    DEFAULT_MAX_DURATION,
    DEFAULT_MAX_PAGES,
    CatalogPage,
    PageError,
    PageValidators,
    iter_pages,
)
from harvesters.dcat.records import Record, split_records
from harvesters.fetch import DEFAULT_LIMITS, FetchLimits, redact
from harvesters.safeguards import DEFAULT_MAX_SHARE, WithdrawalPlan, plan_withdrawals


@dataclass(frozen=True)
class Seen:
    """What a walk keeps of a record: enough for duplicates and for replaying a 304 page."""

    key: str
    subject: str
    modified: datetime | None
    content_hash: str


@dataclass(frozen=True)
class PageState:
    """A page as the previous run saw it: URL asked for, validators, next link, records."""

    url: str
    etag: str | None
    last_modified: str | None
    next_url: str | None
    records: tuple[Seen, ...]


@dataclass(frozen=True)
class CatalogState:
    """What one run hands to the next for conditional requests (JSON-serialisable).

    Only pages that came with an ETag or Last-Modified are kept: only they can answer 304.
    """

    pages: tuple[PageState, ...] = ()

    def validators(self) -> dict[str, PageValidators]:
        return {p.url: PageValidators(p.etag, p.last_modified, p.next_url) for p in self.pages}

    def page(self, url: str) -> PageState | None:
        return next((p for p in self.pages if p.url == url), None)

    def to_json(self) -> str:
        def seen(s: Seen) -> dict[str, str | None]:
            data = asdict(s)
            data["modified"] = s.modified.isoformat() if s.modified else None
            return data
        return json.dumps({"pages": [{**asdict(p), "records": [seen(s) for s in p.records]}
                                     for p in self.pages]}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> CatalogState:
        """The state ``to_json`` wrote; an empty state for None or ``""``."""
        if not text:
            return cls()
        data = json.loads(text)
        return cls(tuple(
            PageState(url=p["url"], etag=p.get("etag"), last_modified=p.get("last_modified"),
                      next_url=p.get("next_url"),
                      records=tuple(Seen(key=s["key"], subject=s["subject"],
                                         modified=datetime.fromisoformat(s["modified"])
                                         if s.get("modified") else None,
                                         content_hash=s["content_hash"])
                                    for s in p.get("records", ())))
            for p in data.get("pages", ())))


@dataclass
class CatalogResult:
    """A walk over one catalog. Iterate it (once) for the records; read the verdict after.

    Until the iteration has ended, ``complete`` is False.
    """

    start_url: str
    limits: FetchLimits
    previous: CatalogState
    max_pages: int
    max_duration: float
    session: requests.Session | None = None

    finished: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    looks_like_error_page: bool = False
    pages: int = 0
    pages_not_modified: int = 0
    total_items: int | None = None  # hydra:totalItems of the first page
    records: dict[str, Seen] = field(default_factory=dict)  # the winner of every key
    unchanged_keys: set[str] = field(default_factory=set)  # on 304 pages: not yielded
    duplicates: int = 0
    state: CatalogState = field(default_factory=CatalogState)
    _started: bool = False

    @property
    def complete(self) -> bool:
        return self.finished and not self.errors

    @property
    def unchanged(self) -> bool:
        return self.complete and self.pages > 0 and self.pages_not_modified == self.pages

    @property
    def empty(self) -> bool:
        return self.finished and not self.records

    def withdrawals(self, previous_keys: Iterable[str],
                    max_share: float = DEFAULT_MAX_SHARE) -> WithdrawalPlan:
        """Which of the previous harvest's keys this walk lets go, and which are held.

        The decision is ``safeguards.plan_withdrawals``'s: nothing is withdrawn unless the walk
        is ``complete`` (no error, no error page), found datasets, and would not withdraw more
        than ``max_share``. Before the iteration has ended, everything missing is held.
        """
        return plan_withdrawals(set(previous_keys), set(self.records), self.complete,
                                max_share)

    def __iter__(self) -> Iterator[Record]:
        if self._started:
            raise RuntimeError("a CatalogResult can be iterated only once")
        self._started = True
        states: list[PageState] = []
        pages_with_records = 0
        try:
            for page in iter_pages(self.start_url, self.limits, self.previous.validators(),
                                   max_pages=self.max_pages, max_duration=self.max_duration,
                                   session=self.session):
                self.pages += 1
                self.warnings.extend(page.warnings)
                if page.number == 1:
                    self.total_items = page.total_items
                if page.not_modified:
                    states.append(self._replay(page))
                    continue
                assert page.graph is not None
                seen_on_page: list[Seen] = []
                for record in split_records(page.graph):
                    self.warnings.extend(record.warnings)
                    seen = Seen(record.key, record.subject, record.modified,
                                record.content_hash)
                    seen_on_page.append(seen)
                    if self._admit(seen):
                        yield record
                    del record
                if seen_on_page:
                    pages_with_records += 1
                elif pages_with_records or page.next_url:
                    self.looks_like_error_page = True
                    self.errors.append(f"page {page.number} ({redact(page.url)}) lists no "
                                       "datasets although the catalog has (more) pages: "
                                       "an error page?")
                if page.etag or page.last_modified:
                    states.append(PageState(page.requested_url, page.etag, page.last_modified,
                                            page.next_url, tuple(seen_on_page)))
                del page
        except PageError as error:
            self.errors.append(str(error))
            self.looks_like_error_page = self.looks_like_error_page \
                or error.looks_like_error_page
        self.state = CatalogState(tuple(states))
        self.finished = True
        self._check_totals()

    def _replay(self, page: CatalogPage) -> PageState:
        """A 304 page: its records are those of the previous run, still valid, not yielded."""
        self.pages_not_modified += 1
        known = self.previous.page(page.requested_url)
        if known is None:  # cannot happen with validators from self.previous; never guess
            self.errors.append(f"page {page.number} ({redact(page.url)}) answered 304 but the "
                               "previous run's state does not know it")
        records = known.records if known else ()
        for seen in records:
            if self._admit(seen, replayed=True):
                self.unchanged_keys.add(seen.key)
        return PageState(page.requested_url, page.etag, page.last_modified, page.next_url,
                         records)

    def _admit(self, seen: Seen, replayed: bool = False) -> bool:
        """Whether ``seen`` is (for now) the winner of its key; duplicates become warnings."""
        prior = self.records.get(seen.key)
        if prior is None:
            self.records[seen.key] = seen
            return True
        self.duplicates += 1
        if _newer(seen.modified, prior.modified):
            self.warnings.append(
                f"duplicate identifier {seen.key!r}: {seen.subject} (modified "
                f"{_when(seen.modified)}) replaces {prior.subject} (modified "
                f"{_when(prior.modified)})")
            self.records[seen.key] = seen
            self.unchanged_keys.discard(seen.key)
            if replayed:  # the newer one is on an unchanged page: it cannot be yielded again
                self.errors.append(
                    f"duplicate identifier {seen.key!r}: the newer version ({seen.subject}) is "
                    "on a page that answered 304; harvest again without conditional requests")
            return True
        self.warnings.append(
            f"duplicate identifier {seen.key!r}: {seen.subject} (modified "
            f"{_when(seen.modified)}) ignored, {prior.subject} (modified "
            f"{_when(prior.modified)}) is kept")
        return False

    def _check_totals(self) -> None:
        if self.complete and self.total_items is not None:
            found = len(self.records) + self.duplicates
            if found != self.total_items:
                self.warnings.append(f"the catalog declares {self.total_items} items "
                                     f"(hydra:totalItems), the walk found {found}")
        if self.complete and not self.records:
            self.warnings.append("the catalog lists no datasets")


def _newer(candidate: datetime | None, current: datetime | None) -> bool:
    return candidate is not None and (current is None or candidate > current)


def _when(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "unknown"


def collect(start_url: str, limits: FetchLimits = DEFAULT_LIMITS,
            previous: CatalogState | None = None, *, max_pages: int = DEFAULT_MAX_PAGES,
            max_duration: float = DEFAULT_MAX_DURATION,
            session: requests.Session | None = None) -> CatalogResult:
    """A walk over the catalog at ``start_url``; nothing is fetched until it is iterated.

    ``previous``: the ``state`` of the previous run's result (conditional requests).
    Usage::

        result = collect(url, FetchLimits(allowed_hosts=...), previous=state)
        for record in result:          # a key seen again replaces the earlier record
            ...
        plan = result.withdrawals(previous_keys)   # plan.withdraw, plan.held, plan.reason
        state = result.state           # store for the next run (state.to_json())
    """
    return CatalogResult(start_url=start_url, limits=limits, previous=previous or CatalogState(),
                         max_pages=max_pages, max_duration=max_duration, session=session)
