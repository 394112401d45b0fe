"""Turns the document CKAN sends to its index into the row the PostgreSQL backend stores."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ckanext.twin.search import fields as F
from ckanext.twin.search.spatial import InvalidExtent, document_extent
from ckanext.twin.search.text import fold_document

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexRow:
    index_id: str
    id: str
    name: str | None
    site_id: str | None
    entity_type: str | None
    state: str | None
    capacity: str | None
    dataset_type: str | None
    permission_labels: list[str]
    title: str | None
    metadata_created: str | None
    metadata_modified: str | None
    doc: dict[str, Any]  # the stored document, returned by searches
    fields: dict[str, list[str]]  # field -> strings, for exact matches, ranges and facets
    texts: dict[str, str]  # text field -> folded text, for field-scoped stemmed matches
    weighted: tuple[str, str, str, str]  # folded text for tsvector weights A, B, C, D
    extent: str | None  # WKB (hex) of the dataset's extent in lon/lat, or None


def extent_wkb(doc: dict[str, Any]) -> str | None:
    """The document's extent for the ``extent`` column; a broken geometry is logged and
    left out, so that it never stops the dataset from being indexed."""
    try:
        extent = document_extent(doc)
    except InvalidExtent as error:
        log.warning("Dataset %s (%s) indexed without extent: %s", doc.get("name"),
                    doc.get("id"), error)
        return None
    return None if extent is None else extent.wkb_hex


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def build_row(doc: dict[str, Any]) -> IndexRow:
    stored = {key: F.solr_date(value) if F.is_date(key) else _jsonable(value)
              for key, value in doc.items() if value is not None}
    field_values: dict[str, list[str]] = {}
    weighted: dict[str, list[str]] = {"a": [], "b": [], "c": [], "d": []}
    texts: dict[str, str] = {}

    for key, value in stored.items():
        if key in F.NOT_INDEXED:
            continue
        values = F.as_strings(value)
        if not values:
            continue
        if F.is_date(key):
            values = [v for v in map(F.normalise_date, values) if v]
        field_values[key] = values
        weight = F.tsv_weight(key)
        if weight:
            weighted[weight].extend(F.as_strings(value))
        if F.is_text(key):
            texts[key] = fold_document(" ".join(values))

    urls = [u for source in F.URL_SOURCES for u in field_values.get(source, [])]
    if urls:
        field_values["urls"] = urls
        texts["urls"] = fold_document(" ".join(urls))

    def first(key: str) -> str | None:
        values = field_values.get(key)
        return values[0] if values else None

    return IndexRow(
        index_id=str(doc["index_id"]),
        id=str(doc["id"]),
        name=first("name"),
        site_id=first("site_id"),
        entity_type=first("entity_type"),
        state=first("state"),
        capacity=first("capacity"),
        dataset_type=first("dataset_type"),
        permission_labels=field_values.get("permission_labels", []),
        title=doc.get("title_string") or doc.get("title"),
        metadata_created=first("metadata_created"),
        metadata_modified=first("metadata_modified"),
        doc=stored,
        fields=field_values,
        texts=texts,
        weighted=tuple(fold_document(" ".join(weighted[w])) for w in "abcd"),
        extent=extent_wkb(doc),
    )
