"""DCAT-AP.de validation reports for the CLI, the action API and the dataset page.

A dataset is checked as the catalog publishes it: serialized with the ``dcatap_de`` profile,
one graph per dataset, so every finding belongs to exactly that dataset. "The whole catalog"
is what ``/catalog.ttl`` lists — the same search, page by page — so an operator validates
exactly what harvesters get. Documents from elsewhere (a partner's file or catalog URL) go
through ``validation.validate_file``; URLs are fetched here with a timeout and a size limit.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from ckanext.dcat import logic as dcat_logic
from ckanext.dcat.processors import RDFSerializer
from rdflib import Graph

from ckanext.twin.dcat.validation import EXTENSIONS, FORMATS, Report, validate, validate_file

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


def source_report(source: str) -> Report:
    """Validates a local file or an ``http(s)`` URL; raises ``FetchError`` or
    ``validation.RDFSyntaxError`` (with format and line) when it cannot be read."""
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        content, media_type = fetch(source)
        suffix = Path(urlsplit(source).path).suffix.lower()
        return validate_file(content, format=_known_format(media_type) or EXTENSIONS.get(suffix))
    if len(scheme) > 1:  # a one-letter scheme is a Windows drive
        raise FetchError(f"{source}: only http and https URLs are fetched")
    return validate_file(Path(source))


def _known_format(media_type: str | None) -> str | None:
    """The media type when it names an RDF format (servers often send text/plain)."""
    return media_type if media_type in FORMATS else None


def fetch(url: str) -> tuple[bytes, str | None]:
    """The body and media type of ``url``, refusing more than ``FETCH_MAX_BYTES``."""
    try:
        with requests.get(url, stream=True, timeout=FETCH_TIMEOUT,
                          headers={"Accept": "text/turtle, application/rdf+xml;q=0.9, "
                                             "application/ld+json;q=0.8"}) as response:
            response.raise_for_status()  # redirects: requests follows http(s) only
            if int(response.headers.get("Content-Length") or 0) > FETCH_MAX_BYTES:
                raise FetchError(f"{url}: larger than {FETCH_MAX_BYTES} bytes")
            body = bytearray()
            for chunk in response.iter_content(chunk_size=65536):
                body += chunk
                if len(body) > FETCH_MAX_BYTES:
                    raise FetchError(f"{url}: larger than {FETCH_MAX_BYTES} bytes")
            media_type = (response.headers.get("Content-Type") or "").split(";")[0].strip()
            return bytes(body), media_type.lower() or None
    except requests.RequestException as error:
        raise FetchError(f"{url}: {error}") from error
