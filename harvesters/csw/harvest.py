"""One harvest walk over a partner's CSW catalog: DCAT-AP.de records out, and a verdict.

``collect`` combines ``pages.iter_pages`` (the protocol), ``harvesters.iso`` (reading ISO
19139 records, coupling services to datasets, mapping to DCAT-AP.de) and
``harvesters.dcat.records.make_record`` (canonical N-Triples and content hash), so that the
adapter sees the same ``Record`` s as for a DCAT catalog.

Unlike a DCAT page, an ISO record is not complete on its own: a service record on page 9
may be an access route of a dataset on page 1 (``srv:operatesOn``). The walk therefore reads
every page first, keeping the read records (not the XML), and maps them when the last page is
in. Its verdict:

- ``complete``: every page was fetched and read and the paging ended where the catalog said
  it would. Anything else — an HTTP 500 on page 3, an exception report, a short catalog, a
  limit — leaves it False, with the reason in ``errors``, and then no withdrawal happens;
- ``refused``: records that were read but cannot become datasets (ISO 19115-3, no
  identifier, …), each with its reason. They are not withdrawn: the partner still lists them;
- duplicates (the same fileIdentifier twice): the newest ``dateStamp`` wins, the first seen
  on a tie; every loser is a warning.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from harvesters.csw.pages import DEFAULT_MAX_DURATION, DEFAULT_MAX_PAGES, DEFAULT_PAGE_SIZE, \
    Walk
from harvesters.dcat.records import Record, make_record
from harvesters.fetch import DEFAULT_LIMITS, FetchLimits
from harvesters.iso import IsoRecord, RecordRefused, couple, read_record, to_graph
from harvesters.safeguards import DEFAULT_MAX_SHARE, WithdrawalPlan, plan_withdrawals

GMD = "http://www.isotc211.org/2005/gmd"


@dataclass(frozen=True)
class Refusal:
    """A record the catalog lists that does not become a dataset, and why (``message``
    names the record, as ``harvesters.iso.RecordRefused`` does)."""

    key: str
    message: str


def record_url(csw_url: str, identifier: str) -> str:
    """The record's own address (GetRecordById, full ISO 19139): its landing page."""
    query = urlencode({"service": "CSW", "version": "2.0.2", "request": "GetRecordById",
                       "id": identifier, "outputSchema": GMD, "elementSetName": "full"})
    return f"{csw_url}{'&' if '?' in csw_url else '?'}{query}"


@dataclass
class CswResult:
    """A walk over one CSW catalog. Iterate it (once) for the records; read the verdict after.

    Until the iteration has ended, ``complete`` is False.
    """

    url: str
    limits: FetchLimits
    page_size: int
    constraint: str | None
    max_pages: int
    max_duration: float

    finished: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    pages: int = 0
    matched: int | None = None  # numberOfRecordsMatched
    keys: set[str] = field(default_factory=set)  # every key the catalog still lists
    duplicates: int = 0
    _started: bool = False

    @property
    def complete(self) -> bool:
        return self.finished and not self.errors

    def withdrawals(self, previous_keys: Iterable[str],
                    max_share: float = DEFAULT_MAX_SHARE) -> WithdrawalPlan:
        """As ``safeguards.plan_withdrawals`` decides; refused records count as listed."""
        return plan_withdrawals(set(previous_keys), self.keys, self.complete, max_share)

    def __iter__(self) -> Iterator[Record]:
        if self._started:
            raise RuntimeError("a CswResult can be iterated only once")
        self._started = True
        records = self._read_all()
        self.finished = True
        coupling = couple(list(records.values()))
        for warning in coupling.warnings:
            self.warnings.append(warning)
        for iso in coupling.published:
            try:
                mapped = to_graph(iso, coupling.services_of(iso),
                                  record_url(self.url, iso.identifier))
            except RecordRefused as error:
                self.refused.append(Refusal(iso.identifier, str(error)))
                continue
            record = make_record(mapped.graph, mapped.subject)
            self.warnings.extend(f"record {iso.identifier}: {w}" for w in mapped.warnings)
            yield record

    def _read_all(self) -> dict[str, IsoRecord]:
        records: dict[str, IsoRecord] = {}
        walk = Walk(self.url, self.limits, page_size=self.page_size, cql=self.constraint,
                    max_pages=self.max_pages, max_duration=self.max_duration)
        for page in walk:
            for position, element in enumerate(page.records, start=page.start):
                self._read(element, position, records)
        self.pages, self.matched = walk.pages, walk.matched
        self.errors += walk.errors
        self.warnings += walk.warnings
        if walk.complete and walk.matched is not None and walk.seen != walk.matched:
            self.errors.append(f"the catalog declares {walk.matched} records "
                               f"(numberOfRecordsMatched) but the walk received {walk.seen}")
        return records

    def _read(self, element: object, position: int, records: dict[str, IsoRecord]) -> None:
        try:
            iso = read_record(element)
        except RecordRefused as error:
            key = getattr(error, "identifier", None) or f"record at position {position}"
            self.keys.add(key)
            self.refused.append(Refusal(key, str(error)))
            return
        self.keys.add(iso.identifier)
        self.warnings.extend(f"record {iso.identifier}: {w}" for w in iso.warnings)
        prior = records.get(iso.identifier)
        if prior is None:
            records[iso.identifier] = iso
            return
        self.duplicates += 1
        if _newer(iso.date_stamp, prior.date_stamp):
            records[iso.identifier] = iso
            self.warnings.append(f"duplicate fileIdentifier {iso.identifier!r}: the record "
                                 f"dated {_when(iso.date_stamp)} replaces the one dated "
                                 f"{_when(prior.date_stamp)}")
        else:
            self.warnings.append(f"duplicate fileIdentifier {iso.identifier!r}: the record "
                                 f"dated {_when(iso.date_stamp)} is ignored, the one dated "
                                 f"{_when(prior.date_stamp)} is kept")


def _newer(candidate: datetime | None, current: datetime | None) -> bool:
    return candidate is not None and (current is None or candidate > current)


def _when(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "unknown"


def collect(url: str, limits: FetchLimits = DEFAULT_LIMITS, *,
            page_size: int = DEFAULT_PAGE_SIZE, constraint: str | None = None,
            max_pages: int = DEFAULT_MAX_PAGES,
            max_duration: float = DEFAULT_MAX_DURATION) -> CswResult:
    """A walk over the CSW catalog at ``url``; nothing is fetched until it is iterated."""
    return CswResult(url=url, limits=limits, page_size=page_size, constraint=constraint,
                     max_pages=max_pages, max_duration=max_duration)
