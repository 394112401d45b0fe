"""The benchmark's generated ISO catalog (tests/support/iso_catalog.py): unique records, the
same every time, and services still coupled to datasets of their own variant (variants share
their online resources' URLs, so a service may couple to the same dataset of other variants
through its endpoint too)."""
from __future__ import annotations

from harvesters.iso import RecordRefused, couple, read_document

from support.iso_catalog import iso_catalog, suffix


def test_identifiers_are_unique_and_the_catalog_is_the_same_every_time() -> None:
    first = list(iso_catalog(150))
    again = list(iso_catalog(150))

    assert len({record.identifier for record in first}) == 150
    assert [r.xml for r in first] == [r.xml for r in again]


def test_services_stay_coupled_within_their_variant() -> None:
    records = []
    for record in iso_catalog(150):
        try:
            records.append(read_document(record.xml, record.identifier))
        except RecordRefused:
            continue  # the fixture without abstract, in every variant
    coupling = couple(records)

    assert coupling.coupled_to, "some services couple"
    for service, datasets in coupling.coupled_to.items():
        variant = service[service.rindex("-v"):]
        assert variant.startswith(suffix(0)[:2])
        assert any(dataset.endswith(variant) for dataset in datasets), (service, datasets)
