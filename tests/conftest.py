"""Fixtures shared by the whole suite (CKAN's pytest plugin provides the rest)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from support import pycsw
from support.servers import Server, serve


@pytest.fixture
def reset_db(reset_db: Callable[[], None]) -> Callable[[], None]:
    """CKAN's reset, which empties only the tables CKAN knows, plus the portal's own tables
    (policy versions and decisions, signing keys, tokens); the search index has
    ``clean_index``."""
    def reset() -> None:
        import sqlalchemy as sa
        from ckan import model

        reset_db()
        names = model.Session.execute(sa.text(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename LIKE 'twin\\_%' AND tablename <> 'twin_search_document'")).scalars().all()
        if names:
            model.Session.execute(sa.text(f"TRUNCATE {', '.join(names)}"))
        model.Session.commit()

    return reset


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


@pytest.fixture(scope="session")
def pycsw_fixtures() -> Iterator[pycsw.Catalog]:
    """pycsw 2.6.2 serving the ISO records of tests/fixtures/iso19139 (all but those in
    ``support.pycsw.NOT_LOADED``) for the whole session; ``.url`` is the CSW endpoint."""
    with pycsw.pycsw_catalog(pycsw.FIXTURE_FOLDERS, pycsw.CACHE / "fixtures.sqlite") as catalog:
        yield catalog


@pytest.fixture
def pycsw_catalog() -> Iterator[Callable[..., pycsw.Catalog]]:
    """Starts pycsw servers for one test: ``pycsw_catalog(records, database=None)`` with ISO
    XML files or folders gives a running ``Catalog`` (``.url``); all stop after the test."""
    with ExitStack() as stack:
        def start(records: Iterable[Path], database: Path | None = None) -> pycsw.Catalog:
            return stack.enter_context(pycsw.pycsw_catalog(records, database))
        yield start
