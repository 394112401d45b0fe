"""Which service records of a catalog are access routes to which of its dataset records.

GDI-DE couples a view or download service to the data it serves (``srv:operatesOn``):
DCAT-AP.de publishes such a service not as a dataset of its own but as a distribution of each
dataset it serves, with a ``dcat:DataService``. A service names its data by the dataset's
fileIdentifier or resource identifier (``@uuidref``, often the ``MD_DataIdentification@uuid``
or a registry URI) or by a GetRecordById URL whose ``id=`` is the fileIdentifier
(``@xlink:href``). When a service names nothing the catalog holds, a dataset that lists the
service's own address among its online resources is coupled to it ("Daten auf Dienst",
the dataset-side coupling of InGrid). A service coupled to nothing is published as a dataset
of its own, its endpoints being its distributions.

Identifiers are compared as ``harvesters.vocabularies.match_key`` compares values: without
case, http vs. https or a trailing slash.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from harvesters.iso.links import Kind, classify, endpoint_key, service_hint
from harvesters.iso.record import IsoRecord
from harvesters.vocabularies import match_key


@dataclass(frozen=True)
class Coupling:
    """The result of ``couple``.

    ``published``: the records that become datasets, in catalog order (datasets, and the
    services coupled to none). ``services``: fileIdentifier of a dataset -> the services
    coupled to it. ``coupled_to``: fileIdentifier of a coupled service -> the datasets it
    serves. ``warnings`` name their record.
    """

    published: tuple[IsoRecord, ...]
    services: Mapping[str, tuple[IsoRecord, ...]] = field(default_factory=dict)
    coupled_to: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def services_of(self, record: IsoRecord) -> tuple[IsoRecord, ...]:
        """The services coupled to ``record`` (none for a service published on its own)."""
        return self.services.get(record.identifier, ()) if not record.is_service else ()


def references(record: IsoRecord) -> list[str]:
    """What a service's operatesOn names, as keys: each value, and the ``id`` of a
    GetRecordById URL."""
    keys = []
    for value in record.operates_on:
        keys.append(match_key(value))
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.query:
            keys += [match_key(v) for k, v in parse_qsl(parts.query) if k.lower() == "id" and v]
    return keys


def couple(records: Sequence[IsoRecord]) -> Coupling:
    """Couples the services of ``records`` (one catalog) to its datasets."""
    datasets = [r for r in records if not r.is_service]
    by_key: dict[str, list[IsoRecord]] = {}
    for dataset in datasets:
        for key in {match_key(i) for i in dataset.resource_ids}:
            by_key.setdefault(key, []).append(dataset)
    by_endpoint: dict[str, list[IsoRecord]] = {}
    for dataset in datasets:
        for key in _service_endpoints(dataset):
            by_endpoint.setdefault(key, []).append(dataset)

    services: dict[str, list[IsoRecord]] = {}
    coupled_to: dict[str, tuple[str, ...]] = {}
    warnings: list[str] = []
    for service in (r for r in records if r.is_service):
        targets = _unique(d for key in references(service) for d in by_key.get(key, ()))
        through_links = not targets
        if through_links:
            targets = _unique(d for key in _service_endpoints(service)
                              for d in by_endpoint.get(key, ()))
        if targets:
            for dataset in targets:
                services.setdefault(dataset.identifier, []).append(service)
            coupled_to[service.identifier] = tuple(d.identifier for d in targets)
            if through_links and service.operates_on:
                warnings.append(f"record {service.identifier}: none of its srv:operatesOn "
                                f"({', '.join(service.operates_on)}) is in this catalog; "
                                "coupled through the dataset's online resources to "
                                f"{', '.join(d.identifier for d in targets)}")
        elif service.operates_on:
            warnings.append(f"record {service.identifier}: none of its srv:operatesOn "
                            f"({', '.join(service.operates_on)}) is in this catalog; the "
                            "service is published as a dataset of its own")
    published = tuple(r for r in records if r.identifier not in coupled_to or not r.is_service)
    return Coupling(published, {k: tuple(v) for k, v in services.items()}, coupled_to,
                    tuple(warnings))


def _service_endpoints(record: IsoRecord) -> set[str]:
    """The endpoint keys of the record's links that are OGC/ATOM services."""
    hint = service_hint(record) if record.is_service else None
    keys = set()
    for link in record.links:
        access = classify(link, hint)
        if access is not None and access.kind is Kind.SERVICE and access.endpoint:
            keys.add(endpoint_key(access.endpoint))
    return keys


def _unique(datasets: Iterable[IsoRecord]) -> list[IsoRecord]:
    """Each record once, in order (records compare by identity)."""
    return list(dict.fromkeys(datasets))
