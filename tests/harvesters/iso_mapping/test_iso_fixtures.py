"""Acceptance: every ISO record of tests/fixtures/iso19139 becomes valid DCAT-AP.de, or is
coupled into a dataset that does, or is refused with a clear message.

Each fixture folder is read as one catalog (its services couple to its datasets). A dataset
graph is validated against GovData's DCAT-AP.de 3.0 shapes (``ckanext.twin.dcat.validation``,
CKAN-free) after what the portal adds when it imports a harvested record: the partner as
publisher in place of the payload's claim and the partner's contributorID
(``harvest/identity.apply_partner``), and the source's default licence on distributions when
the record names none (``harvest/importer``). ``docs/csw.md`` lists each record's outcome;
the last test keeps that table true.
"""
from __future__ import annotations

import re
from functools import cache
from urllib.parse import quote

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import FOAF, RDF

from ckanext.twin.dcat.validation import validate
from ckanext.twin.partners import Partner, load_partners
from harvesters.dcat.records import DCAT
from harvesters.iso import Coupling, IsoRecord, Mapped, RecordRefused, couple, read_document, \
    to_graph
from harvesters.iso.dcat import DCATDE
from harvesters.iso.links import Kind, classify, endpoint_key, service_hint
from harvesters.xml import XMLRefused
from iso_records import FIXTURES

ROOT = FIXTURES.parents[2]
CATALOG = "https://csw.example.org/csw?service=CSW&request=GetRecordById&id="
DEFAULT_LICENCE = URIRef("http://dcat-ap.de/def/licenses/other-closed")
RECORDS = sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("*/*.xml")
                 if p.parent.name != "csw-responses")  # csw-responses: copies of records
FOLDERS = sorted({name.split("/")[0] for name in RECORDS})
REFUSED = {  # file -> what the refusal must say
    "ckanext-spatial/gemini2.1__error_bad_xml.xml": "not well-formed XML: line 16, column 1",
    "pycsw-edge/iso19115-3__auscope-3d-model.xml": "ISO 19115-3 (mdb:MD_Metadata) is not "
                                                   "supported; ask the catalog for ISO 19139",
    "pycsw-edge/iso19115-3__metawal.wallonie.be-srv.xml": "ISO 19115-3 (mdb:MD_Metadata) is "
                                                          "not supported",
    "pycsw-edge/auscope-iso19139-geoprovinces.xml": "no abstract (gmd:identificationInfo/*/"
                                                    "gmd:abstract); DCAT-AP.de requires",
}


def address(record: IsoRecord) -> str:
    """The record's GetRecordById URL, as the CSW harvester makes it. (Some folders hold two
    records with one fileIdentifier, of which a walk keeps one; an extra parameter keeps
    them apart here, where they are validated together.)"""
    return CATALOG + quote(record.identifier, safe="") + f"&fixture={id(record)}"


def _shown(node: object) -> str:
    """A node as the validation report names it."""
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def read(name: str) -> IsoRecord:
    return read_document((FIXTURES / name).read_bytes(), name)


@cache
def catalog(folder: str) -> tuple[dict[str, IsoRecord], Coupling]:
    """The readable records of a fixture folder, and their coupling."""
    records = {}
    for name in RECORDS:
        if name.startswith(folder + "/"):
            try:
                records[name] = read(name)
            except (RecordRefused, XMLRefused):
                pass
    return records, couple(list(records.values()))


@cache
def partner() -> Partner:
    """The partner the fixture catalogs are harvested for."""
    return next(p for p in load_partners(ROOT / "config" / "partners.yaml") if p.id == "muenchen")


def as_published(mapped: Mapped) -> Graph:
    """The graph with what the portal adds on import (module docstring)."""
    graph = Graph()
    graph += mapped.graph
    graph.remove((mapped.subject, DCT.publisher, None))
    publisher = BNode()
    graph.add((mapped.subject, DCT.publisher, publisher))
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, Literal(partner().title)))
    graph.add((mapped.subject, DCATDE.contributorID, URIRef(partner().contributor_id or "")))
    for distribution in graph.objects(mapped.subject, DCAT.distribution):
        if (distribution, DCT.license, None) not in graph:
            graph.add((distribution, DCT.license, DEFAULT_LICENCE))
    return graph


def outcome(name: str) -> str:
    """"dataset", "coupled" or "refused", as docs/csw.md says."""
    if name in REFUSED:
        return "refused"
    records, coupling = catalog(name.split("/")[0])
    return "coupled" if records[name].identifier in coupling.coupled_to \
        and records[name].is_service else "dataset"


@pytest.mark.parametrize("folder", FOLDERS)
def test_records_are_valid_dcat_ap_de_or_coupled_or_refused(folder: str) -> None:
    """Per fixture folder: refusals say why, coupled services serve datasets of the folder,
    and the datasets, validated together, have no violation."""
    names = [name for name in RECORDS if name.startswith(folder + "/")]
    records, coupling = catalog(folder)
    together, owner = Graph(), {}
    for name in names:
        if name in REFUSED:
            with pytest.raises((RecordRefused, XMLRefused)) as refused:
                read(name)
            assert REFUSED[name] in str(refused.value)
            continue
        record = records[name]
        if outcome(name) == "coupled":
            datasets = [r for r in coupling.published
                        if r.identifier in coupling.coupled_to[record.identifier]]
            assert datasets and all(record in coupling.services_of(d) for d in datasets)
            continue
        graph = as_published(to_graph(record, coupling.services_of(record), address(record)))
        owner.update({_shown(node): name for node in graph.all_nodes()})
        together += graph
    report = validate(together)
    assert report.conforms, "\n".join(f"{owner.get(v.focus, v.focus)}: {v.path} {v.value}: "
                                      f"{v.message}" for v in report.violations)


def test_every_coupled_service_is_an_access_service_of_its_dataset() -> None:
    """Each endpoint of a coupled service is a dcat:DataService of each dataset it serves
    (services sharing an endpoint share one)."""
    for folder in FOLDERS:
        _, coupling = catalog(folder)
        for dataset in coupling.published:
            mapped = to_graph(dataset, coupling.services_of(dataset),
                              address(dataset))
            published = {endpoint_key(str(url))
                         for url in mapped.graph.objects(None, DCAT.endpointURL)}
            for service in coupling.services_of(dataset):
                hint = service_hint(service)
                endpoints = {endpoint_key(access.endpoint) for access in (
                    classify(link, hint) for link in service.links)
                    if access and access.kind is Kind.SERVICE and access.endpoint}
                assert endpoints and endpoints <= published, (dataset.identifier,
                                                              service.identifier)


def test_docs_table_lists_every_record_with_its_outcome() -> None:
    table = (ROOT / "docs" / "csw.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([^`]+\.xml)` \| (dataset|coupled|refused)\b", table,
                           re.MULTILINE))
    assert rows == {name: outcome(name) for name in RECORDS}
