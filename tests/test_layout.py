"""The repository layout, and the rule that the harvesting core stays free of CKAN.

``harvesters`` must run (and be tested, and be benchmarked) without a CKAN instance, so no
module in it may import ``ckan`` or ``ckanext``. Checked on the syntax tree, without
importing anything; imports built from strings (importlib) are out of scope.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"ckan", "ckanext"}
DIRECTORIES = ["ckanext-twin/ckanext/twin", "harvesters", "config", "tests", "docker", "bench",
               "docs"]


def forbidden_imports(source: str, filename: str) -> list[tuple[int, str]]:
    """(line, module) of every import of ckan or ckanext, at any depth of the module."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        found += [(node.lineno, name) for name in modules if name.split(".")[0] in FORBIDDEN]
    return found


@pytest.mark.parametrize("directory", DIRECTORIES)
def test_layout_directory_exists(directory: str) -> None:
    assert (ROOT / directory).is_dir(), f"{directory}/ is missing"


def test_harvesters_do_not_import_ckan() -> None:
    modules = sorted((ROOT / "harvesters").rglob("*.py"))
    assert modules, "harvesters/ has no Python modules"
    offences = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                for path in modules
                for line, name in forbidden_imports(path.read_text(encoding="utf-8"), str(path))]
    assert not offences, "the harvesting core must not depend on CKAN: " + "; ".join(offences)


@pytest.mark.parametrize("source, expected", [
    ("import ckan", [(1, "ckan")]),
    ("import os, ckanext.harvest as h", [(1, "ckanext.harvest")]),
    ("from ckan.plugins import toolkit", [(1, "ckan.plugins")]),
    ("from ckanext import dcat", [(1, "ckanext")]),
    ("def f():\n    import ckan.model", [(2, "ckan.model")]),
    ("try:\n    pass\nexcept ImportError:\n    from ckan import model", [(4, "ckan")]),
    ("import ckanapi, ckantoolkit_like", []),
    ("from . import ckan", []),
    ("from .ckan import x", []),
    ("import importlib\nimportlib.import_module('ckan')", []),
])
def test_forbidden_imports_detects_every_import_form(source, expected) -> None:
    assert forbidden_imports(source, "<test>") == expected
