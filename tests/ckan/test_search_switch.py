"""The backend is chosen by configuration, and Solr stays available for scale-out."""
from __future__ import annotations

import pysolr
import pytest
from ckan.lib.search import common

from ckanext.twin.search.connection import PostgresSearchConnection


@pytest.mark.ckan_config("ckanext.twin.search_backend", "solr")
def test_solr_mode_gives_stock_ckan_connection():
    assert isinstance(common.make_connection(), pysolr.Solr)


@pytest.mark.ckan_config("ckanext.twin.search_backend", "postgres")
def test_postgres_mode_gives_the_table_backed_connection():
    assert isinstance(common.make_connection(), PostgresSearchConnection)
