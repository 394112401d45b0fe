"""Changed records travel to the import stage in batches, each carried by one harvest object.

ckanext-harvest spends, per harvest object, a queue message, five commits and a few queries
before and after the import (about 20 ms on this project's machines): as much as writing the
dataset itself. A batch pays it once: the gather stage writes one *leader* object per batch
of records, keyed like its first record and carrying the others; the import stage gives
every other record its own object as it imports it (``import_stage`` in
``dcat_harvester``). Every dataset still has exactly one current object of its own, so
ckanext-harvest's listings, statistics and ``harvest_source_clear`` see what they always see.

The gather holds one unwritten batch at a time and, of written ones, only which leader holds
which key: its memory does not grow with the catalog.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from ckan import model
from ckanext.harvest.model import HarvestJob, HarvestObject

from harvesters.dcat.records import Record


@dataclass(frozen=True)
class Entry:
    """A record in a batch; ``ntriples`` None: dropped after it was queued (a duplicate's
    newer version turned out unchanged)."""

    key: str
    fingerprint: str
    ntriples: str | None


def dumps(entries: list[Entry]) -> str:
    return json.dumps([[e.key, e.fingerprint, e.ntriples] for e in entries], ensure_ascii=False)


def loads(content: str | None) -> list[Entry]:
    """The entries of a leader object's content; a single record's N-Triples is a batch of
    one (an object written before batches, or re-imported by hand)."""
    if content and content.lstrip().startswith("["):
        return [Entry(key, mark, triples) for key, mark, triples in json.loads(content)]
    return [Entry("", "", content)]


class BatchWriter:
    """Collects the gather's changed records into leader objects of ``size`` records."""

    def __init__(self, job: HarvestJob, size: int) -> None:
        self.job, self.size = job, size
        self._open: dict[str, Entry] = {}  # the batch being filled, by key
        self._leaders: dict[str, str] = {}  # key -> id of the leader object holding it
        self._ids: list[str] = []

    def put(self, record: Record, mark: str) -> None:
        """Queue the record; a key put again replaces the record queued before."""
        entry = Entry(record.key, mark, record.ntriples)
        if record.key in self._leaders:
            self._rewrite(record.key, entry)
            return
        self._open[record.key] = entry
        if len(self._open) >= self.size:
            self._write()

    def drop(self, key: str) -> None:
        """Unqueue the key's record, if queued."""
        if self._open.pop(key, None) is None and key in self._leaders:
            self._rewrite(key, Entry(key, "", None))

    def ids(self) -> list[str]:
        """The leader objects' ids, once the last batch is written."""
        if self._open:
            self._write()
        return self._ids

    def __len__(self) -> int:
        return len(self._leaders) + len(self._open)

    def _write(self) -> None:
        entries = list(self._open.values())
        leader = HarvestObject(guid=entries[0].key, job=self.job, content=dumps(entries))
        model.Session.add(leader)
        model.Session.flush()
        self._ids.append(leader.id)
        self._leaders.update((entry.key, leader.id) for entry in entries)
        model.Session.expunge(leader)  # the gather keeps only ids
        self._open.clear()

    def _rewrite(self, key: str, replacement: Entry) -> None:
        leader = model.Session.get(HarvestObject, self._leaders[key])
        entries = [replacement if e.key == key else e for e in loads(leader.content)]
        leader.content = dumps(entries)
        model.Session.flush()
        model.Session.expunge(leader)
