"""A pytest plugin for CKAN's own tests (``-p tests.ckan_upstream`` in
scripts/ckan-search-tests.sh).

CKAN's factories title datasets with random Faker sentences of English words, and
``test_query.py::TestPackageQuery::test_overall`` expects the word "peace" in none of them:
now and then one has it and the test fails, under Solr as much as here. Seeding Faker by
the test's id makes every run title the same datasets the same way.
"""
from __future__ import annotations

import pytest


def pytest_runtest_setup(item: pytest.Item) -> None:
    from ckan.tests.factories import fake

    fake.seed_instance(item.nodeid)
