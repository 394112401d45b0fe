"""The CSW client against a real pycsw 2.6.2 with the ISO fixtures (tests/support/pycsw.py).

What a partner's server does with our GetRecords requests: pages of any size yield every
loaded record exactly once, sorted by identifier; a CQL constraint narrows the result set;
ISO 19115-2 (gmi:MI_Metadata) records come back as themselves. One server per session.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from harvesters.csw.pages import CswError, Walk, iter_pages
from harvesters.fetch import FetchLimits
from support import pycsw

LOCAL = FetchLimits(allowed_hosts=frozenset({"127.0.0.1"}), timeout=30, deadline=60)
GMD = "http://www.isotc211.org/2005/gmd"
GMI = "http://www.isotc211.org/2005/gmi"


def file_identifier(element: etree._Element) -> str:
    return (element.findtext(f"{{{GMD}}}fileIdentifier/{{*}}CharacterString") or "").strip()


def loaded_fixtures() -> dict[str, etree._Element]:
    """fileIdentifier -> root of every fixture file pycsw loads (see pycsw.NOT_LOADED)."""
    roots = {}
    for folder in pycsw.FIXTURE_FOLDERS:
        for path in sorted(folder.rglob("*.xml")):
            if path.relative_to(pycsw.ISO_FIXTURES).as_posix() not in pycsw.NOT_LOADED:
                root = etree.parse(str(path)).getroot()
                roots[file_identifier(root)] = root
    return roots


def walk_identifiers(url: str, **options: object) -> tuple[Walk, list[str]]:
    walk = Walk(url, LOCAL, **options)  # type: ignore[arg-type]
    return walk, [file_identifier(record) for page in walk for record in page.records]


def test_pycsw_loads_every_fixture_except_the_listed_ones(pycsw_fixtures):
    refused = {path.relative_to(pycsw.ISO_FIXTURES).as_posix(): reason
               for path, reason in pycsw_fixtures.not_loaded.items()}
    assert set(refused) == set(pycsw.NOT_LOADED)
    for name, reason in refused.items():
        if "same fileIdentifier" in pycsw.NOT_LOADED[name]:
            assert "UNIQUE constraint failed: records.identifier" in reason, name
        if "ISO 19115-3" in pycsw.NOT_LOADED[name]:
            assert "Unsupported metadata format" in reason, name


@pytest.mark.parametrize("page_size", [100, 7])
def test_pages_yield_every_loaded_record_once_sorted_by_identifier(pycsw_fixtures, page_size):
    expected = loaded_fixtures()
    walk, seen = walk_identifiers(pycsw_fixtures.url, page_size=page_size)
    assert walk.complete, walk.errors
    assert not walk.warnings
    assert walk.matched == len(expected) == walk.seen
    assert seen == sorted(expected)  # each once, in identifier order
    assert walk.pages == -(-len(expected) // page_size)


def test_pages_start_where_the_previous_one_ended(pycsw_fixtures):
    pages = [(p.start, p.returned, p.next_record)
             for p in iter_pages(pycsw_fixtures.url, LOCAL, page_size=30)]
    matched = len(loaded_fixtures())
    assert pages == [(1, 30, 31), (31, 30, 61), (61, matched - 60, 0)]


def test_iso_19115_2_records_come_back_as_gmi(pycsw_fixtures):
    expected = {key for key, root in loaded_fixtures().items()
                if root.tag == f"{{{GMI}}}MI_Metadata"}
    assert len(expected) >= 5
    returned = {file_identifier(record)
                for page in iter_pages(pycsw_fixtures.url, LOCAL)
                for record in page.records if record.tag == f"{{{GMI}}}MI_Metadata"}
    assert returned == expected


def test_a_cql_constraint_narrows_the_result_set(pycsw_fixtures):
    walk, seen = walk_identifiers(pycsw_fixtures.url, cql="apiso:Subject like '%opendata%'")
    assert walk.complete
    assert seen == ["142d56bb-108b-4e6a-96a6-8239b80af77e"]  # the one with keyword opendata
    walk, seen = walk_identifiers(pycsw_fixtures.url, page_size=2,
                                  cql="apiso:Identifier like '30303032-%'")
    assert walk.complete and walk.pages == 5
    assert seen == sorted(k for k in loaded_fixtures() if k.startswith("30303032-"))


def test_what_pycsw_refuses_in_a_constraint_ends_the_walk_with_its_words(pycsw_fixtures):
    """pycsw 2.6.2 knows CQL operators in lower case only."""
    with pytest.raises(CswError) as raised:
        list(iter_pages(pycsw_fixtures.url, LOCAL, cql="apiso:Subject LIKE '%opendata%'"))
    assert raised.value.number == 1
    assert raised.value.reason.endswith("the server answered with an exception report: "
                                        "InvalidParameterValue (locator 'service'): Invalid "
                                        "Constraint: Invalid CQL request")


def test_a_catalog_of_given_records_and_its_restart(pycsw_catalog, tmp_path):
    """The server of tests/support loads what it is given and re-uses its database."""
    folder = tmp_path / "records"
    folder.mkdir()
    sources = sorted((pycsw.ISO_FIXTURES / "de-gdi-de-geodatenkatalog").glob("*.xml"))
    for path in sources:
        (folder / path.name).write_bytes(path.read_bytes())
    database = tmp_path / "catalog.sqlite"
    first = pycsw_catalog([folder], database)
    _, seen = walk_identifiers(first.url)
    assert seen == sorted(Path(p).stem for p in sources)
    again = pycsw_catalog([folder], database)
    assert "re-using" in again.log.read_text()
    _, seen_again = walk_identifiers(again.url, page_size=2)
    assert seen_again == seen


def test_the_demo_csw_of_make_run_serves_every_hallbergmoos_record(pycsw_catalog):
    """config/sources/csw as scripts/portal.sh serves it: all records load, the services are
    coupled to datasets of the same catalog, and five of six carry the opendata keyword."""
    demo = pycsw.ROOT / "config" / "sources" / "csw"
    catalog = pycsw_catalog([demo])
    assert catalog.not_loaded == {}
    records = [record for page in iter_pages(catalog.url, LOCAL) for record in page.records]
    assert len(records) == len(list(demo.rglob("*.xml"))) == 6
    identifiers = {file_identifier(r) for r in records}
    srv = "{http://www.isotc211.org/2005/srv}"
    coupled = {o.get("uuidref") for r in records for o in r.iter(f"{srv}operatesOn")}
    assert len(coupled) == 4 and coupled <= identifiers
    _, open_data = walk_identifiers(catalog.url, cql="apiso:Subject like '%opendata%'")
    assert len(open_data) == 5
