"""DCAT-AP.de validation reports for the CLI, the action API and the dataset page.

A dataset is checked as the catalog publishes it: serialized with the ``dcatap_de`` profile,
one graph per dataset, so every finding belongs to exactly that dataset. "The whole catalog"
is what ``/catalog.ttl`` lists — the same search, page by page — so an operator validates
exactly what harvesters get. Documents from elsewhere (a partner's file or catalog URL) go
through ``validation.validate_file``; URLs through the harvesters' guarded fetcher.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ckanext.dcat import logic as dcat_logic
from ckanext.dcat.processors import RDFSerializer
from rdflib import Graph

from harvesters.fetch import FetchError as HarvestFetchError
from harvesters.fetch import FetchLimits, fetch
from harvesters.rdf import format_for_path
from harvesters.rdf import parse as parse_rdf

from ckanext.twin.dcat.validation import Report, validate, validate_file

PROFILE = "dcatap_de"
FETCH_TIMEOUT = 30  # seconds, for connecting and between bytes
FETCH_MAX_BYTES = 50 * 1024 * 1024  # ckanext-dcat's RDF harvester default (max_file_size)


class FetchError(Exception):
    """A URL that could not be read: wrong scheme, HTTP error, timeout or too large."""


def dataset_graph(dataset: dict[str, Any]) -> Graph:
    """The dataset (a ``package_show`` dict) as the catalog publishes it."""
    serializer = RDFSerializer(profiles=[PROFILE])
    serializer.graph_from_dataset(dataset)
    return serializer.g


def dataset_report(dataset: dict[str, Any]) -> Report:
    return validate(dataset_graph(dataset))


def catalog_reports(context: dict[str, Any]) -> Iterator[tuple[str, Report]]:
    """``(name, report)`` for each dataset of the published catalog, in its order.

    ``context`` decides what is visible. A site-user context sees what the anonymous
    endpoint lists: ``package_search`` leaves out private datasets and drafts unless asked,
    and ckanext-dcat's search leaves out harvest sources.
    """
    page = 1
    while True:
        datasets = dcat_logic._search_ckan_datasets(dict(context), {"page": page})["results"]
        if not datasets:
            return
        for dataset in datasets:
            yield dataset["name"], dataset_report(dataset)
        page += 1


def source_report(source: str, allowed_hosts: Iterable[str] = ()) -> Report:
    """Validates a local file or an ``http(s)`` URL; raises ``FetchError`` or
    ``RDFSyntaxError`` (with format and line) when it cannot be read.

    URLs are fetched by the harvesters' guarded fetcher: size and time limits, and no
    loopback, private or link-local address unless its host is in ``allowed_hosts``."""
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        limits = FetchLimits(max_bytes=FETCH_MAX_BYTES, timeout=FETCH_TIMEOUT,
                             allowed_hosts=frozenset(allowed_hosts))
        try:
            response = fetch(source, limits)
        except HarvestFetchError as error:
            raise FetchError(str(error)) from error
        document = parse_rdf(response.content, content_type=response.content_type,
                             format=format_for_path(urlsplit(response.url).path))
        return validate(document)
    if len(scheme) > 1:  # a one-letter scheme is a Windows drive
        raise FetchError(f"{source}: only http and https URLs are fetched")
    return validate_file(Path(source))
