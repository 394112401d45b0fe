"""Fixtures shared by the whole suite (CKAN's pytest plugin provides the rest)."""
from __future__ import annotations

import pytest


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
