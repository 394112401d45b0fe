"""A harvested record's N-Triples → a CKAN dataset dict, through the ``dcatap_de`` profile.

The profile is the one the catalog serializes with, so what is harvested is read exactly as
what is published is written: 2.0 properties are carried forward, superseded licence URIs
and unambiguous spellings are normalised by the schema's validators.
"""
from __future__ import annotations

from functools import cache
from typing import Any

from ckanext.dcat.processors import RDFParser
from rdflib import Graph
from rdflib.namespace import RDF

from harvesters.dcat.records import DCAT, RECORD_TYPES

PROFILES = ["dcatap_de"]


class RecordError(ValueError):
    """The record cannot be read as a dataset; the message says why."""


@cache
def _parser() -> RDFParser:
    # Loading the profiles (entry points, scheming schema) costs more than parsing a record.
    return RDFParser(profiles=PROFILES)


def to_dataset(ntriples: str) -> dict[str, Any]:
    """The dataset dict of the one dataset (or series) in ``ntriples``."""
    graph = Graph()
    try:
        graph.parse(data=ntriples, format="nt")
    except Exception as error:  # rdflib raises several unrelated types
        raise RecordError(f"the stored record is not N-Triples: {error}") from error
    subjects = {s for kind in RECORD_TYPES for s in graph.subjects(RDF.type, kind)}
    if len(subjects) != 1:
        raise RecordError(f"the record holds {len(subjects)} datasets, expected one")
    subject = subjects.pop()
    # ckanext-dcat reads only dcat:Dataset subjects; a series is one too (DCAT 3).
    graph.add((subject, RDF.type, DCAT.Dataset))
    parser = _parser()
    parser.g = graph
    return next(parser.datasets())
