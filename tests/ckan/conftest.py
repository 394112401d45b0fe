"""Fixtures of the CKAN tests: the partner organizations, and ``ckan`` run in a subprocess
as an operator would."""
from __future__ import annotations

import configparser
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_ini(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., Path]:
    """Writes a copy of the test ini with some ``[app:main]`` options replaced.

    Its log goes to stderr, as with config/ckan.ini, so stdout holds only a command's output.
    """
    source = Path(request.config.getoption("--ckan-ini")).resolve()
    made = 0

    def make(options: dict[str, str] | None = None) -> Path:
        nonlocal made
        parser = configparser.RawConfigParser()
        parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep SECRET_KEY
        parser.read(source, encoding="utf-8")
        for key, value in (options or {}).items():
            parser.set("app:main", key, value)
        if parser.has_section("handler_console"):
            parser.set("handler_console", "args", "(sys.stderr,)")
        made += 1
        target = tmp_path / f"ckan-{made}.ini"
        with target.open("w", encoding="utf-8") as stream:
            parser.write(stream)
        return target

    return make


@pytest.fixture
def run() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs a command of the virtualenv, without CKAN_* overrides from the caller's shell."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CKAN_")}

    def run(*command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / command[0]), *command[1:]], capture_output=True,
                              text=True, timeout=120, env=env, cwd=cwd)

    return run


@pytest.fixture
def partners(with_plugins: None, harvest_db: None, clean_index: None) -> None:
    """The partner organizations, created from the registry as `make run` does."""
    from ckanext.twin.logic.partners import sync_partners
    from ckanext.twin.partners import load_partners
    list(sync_partners(load_partners(ROOT / "config" / "partners.yaml")))
