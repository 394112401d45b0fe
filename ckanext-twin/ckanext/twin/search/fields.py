"""How each Solr field of CKAN's schema is stored and matched in PostgreSQL.

Mirrors ``ckan/config/solr/schema.xml``: string fields match exactly, text fields are
stemmed, dates compare as instants, and ``text`` is the catch-all of the copyFields. The
weighted ``tsv`` column ranks title > tags/keywords > description > everything else.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from dateutil import parser as date_parser

# Fields with a column of their own (exact match, cheap B-tree lookups and sorts): the ones
# CKAN filters every search on, so no search has to open the ``fields`` document of each row.
COLUMNS = {"index_id", "id", "name", "site_id", "entity_type", "state", "capacity",
           "dataset_type"}
ARRAY_COLUMNS = {"permission_labels"}  # multi-valued, text[] with a GIN index

# tsvector weights: A title, B tags and keywords, C description, D everything else.
WEIGHT_OF_FIELD = {"title": "a", "notes": "c"}
WEIGHT_B_FIELDS = ("tags", "keywords")
WEIGHT_B_PREFIXES = ("vocab_",)
WEIGHT_D_FIELDS = ("name", "text", "license", "groups", "organization", "res_name",
                   "res_description", "maintainer", "author", "url", "ckan_url",
                   "download_url", "res_url")
WEIGHT_D_PREFIXES = ("extras_", "res_extras_")

# Text fields (stemmed) other than title/notes/text; matched on their own folded text.
TEXT_FIELDS = {"res_name", "res_description", "author", "author_email", "maintainer",
               "maintainer_email", "urls", "depends_on", "dependency_of", "derives_from",
               "has_derivation", "links_to", "linked_from", "child_of", "parent_of"}
TEXT_PREFIXES = ("extras_", "res_extras_")

# Prefix ("n-gram") fields used by autocomplete: substring match on their source.
SUBSTRING_FIELDS = {"name_ngram": "name", "title_ngram": "title"}

# copyField url sources of ``urls``.
URL_SOURCES = ("url", "ckan_url", "download_url", "res_url")

DATE_COLUMNS = {"metadata_created", "metadata_modified"}
NOT_INDEXED = {"data_dict", "validated_data_dict"}

FIELD_NAME = re.compile(r"^[A-Za-z_][\w.\-]*$")


def is_text(field: str) -> bool:
    return field in TEXT_FIELDS or field.startswith(TEXT_PREFIXES)


def is_date(field: str) -> bool:
    return field in DATE_COLUMNS or field == "indexed_ts" or field.endswith("_date")


def tsv_weight(field: str) -> str | None:
    """The tsvector weight a field's text is indexed with, or None if not in ``text``."""
    if field in WEIGHT_OF_FIELD:
        return WEIGHT_OF_FIELD[field]
    if field in WEIGHT_B_FIELDS or field.startswith(WEIGHT_B_PREFIXES):
        return "b"
    if field in WEIGHT_D_FIELDS or field.startswith(WEIGHT_D_PREFIXES):
        return "d"
    return None


def _utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = date_parser.isoparse(str(value).strip())
        except (ValueError, OverflowError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def normalise_date(value: Any) -> str | None:
    """A fixed-width UTC timestamp, so that dates compare correctly as text."""
    moment = _utc(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else None


def solr_date(value: Any) -> Any:
    """A date as Solr returns it (UTC, milliseconds, 'Z'); other values unchanged."""
    moment = _utc(value) if isinstance(value, (str, datetime)) else None
    if moment is None:
        return value
    millis = moment.microsecond // 1000
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{millis:03d}" if millis else "") + "Z"


def as_strings(value: Any) -> list[str]:
    """Solr's view of a stored value: a list of strings (booleans lower-case)."""
    values = value if isinstance(value, (list, tuple, set)) else [value]
    out = []
    for item in values:
        if item is None or item == "":
            continue
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (dict, list)):
            continue
        else:
            out.append(str(item))
    return out
