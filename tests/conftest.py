"""Fixtures shared by the whole suite (CKAN's pytest plugin provides the rest)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.servers import Server, serve


@pytest.fixture
def harvest_db(reset_db, migrate_db_for):
    """A clean database with ckanext-harvest's tables, which CKAN's reset drops."""
    reset_db()
    migrate_db_for("harvest")


@pytest.fixture
def activity_db(reset_db, migrate_db_for):
    """A clean database with the activity plugin's columns and tables."""
    reset_db()
    migrate_db_for("activity")


@pytest.fixture
def http_server() -> Iterator[Server]:
    """A scripted HTTP server on 127.0.0.1 (see tests/support/servers.py)."""
    with serve() as server:
        yield server
