"""Switches CKAN's search between PostgreSQL and Solr by ``ckanext.twin.search_backend``.

CKAN and ckanext-harvest import ``make_connection`` by name into several modules, so it
is replaced in each of them. The replacement reads the option on every call: the choice
stays explicit in configuration, survives plugin unloading (the replacement is
process-wide, as class-level patches would be) and installing twice changes nothing.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any

from ckan.lib.search import common
from ckan.plugins.toolkit import config

from ckanext.twin.search.connection import from_ckan_model

POSTGRES = "postgres"
SOLR = "solr"
OPTION = "ckanext.twin.search_backend"

# Every module that holds its own reference to ``make_connection``.
_IMPORTERS = ("ckan.lib.search.common", "ckan.lib.search.index", "ckan.lib.search.query",
              "ckan.lib.search", "ckanext.harvest.logic.action.update")

_solr_make_connection = common.make_connection
_solr_schema_check: Any = None


def selected() -> str:
    return config.get(OPTION) or POSTGRES


def make_connection(decode_dates: bool = True) -> Any:
    if selected() == SOLR:
        return _solr_make_connection(decode_dates=decode_dates)
    return from_ckan_model(decode_dates)


def check_schema_version(schema_file: str | None = None) -> bool:
    """CKAN probes Solr's schema at start-up; PostgreSQL has no such schema.

    Checking a given schema file needs no Solr, so that is always left to CKAN."""
    if selected() == SOLR or schema_file is not None:
        return _solr_schema_check(schema_file)
    return True


def install() -> None:
    global _solr_schema_check
    search = importlib.import_module("ckan.lib.search")
    if search.check_solr_schema_version is not check_schema_version:
        _solr_schema_check = search.check_solr_schema_version
        search.check_solr_schema_version = check_schema_version
    # Modules imported later bind the replacement from ``common`` themselves; importing
    # them here would load models (ckanext-harvest's) that a portal may not use.
    for name in _IMPORTERS:
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "make_connection"):
            module.make_connection = make_connection
