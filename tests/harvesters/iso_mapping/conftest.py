"""Fixtures of the ISO 19139 mapping tests: the fixture records of tests/fixtures/iso19139."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from harvesters.iso import IsoRecord, read_document
from iso_records import FIXTURES


@pytest.fixture(scope="session")
def iso_file() -> Callable[[str], IsoRecord]:
    """Reads a record of tests/fixtures/iso19139 (``"de-ingrid/24265_full.xml"``)."""
    def read(name: str) -> IsoRecord:
        return read_document((FIXTURES / name).read_bytes(), name)
    return read
