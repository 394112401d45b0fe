"""scripts/render_config.py: bad templates and secrets stop with one line, nothing written."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the script and the templates, so the real config/ stays untouched."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / "config").mkdir()
    shutil.copy(REPO / "scripts" / "render_config.py", tmp_path / "scripts")
    for template in ("ckan.ini.template", "test.ini.template"):
        shutil.copy(REPO / "config" / template, tmp_path / "config")
    return tmp_path


def render(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(project / "scripts" / "render_config.py"), *args],
                          capture_output=True, text=True, cwd=project, env={"PATH": "/usr/bin"})


def test_renders_both_files_and_keeps_the_secret(project: Path):
    assert render(project).returncode == 0
    first = (project / "config" / "ckan.ini").read_text()
    assert "sqlalchemy.url = postgresql://twin:twin@127.0.0.1:5432/twin_dev" in first
    assert "${" not in "\n".join(l for l in first.splitlines() if not l.startswith("#"))
    assert render(project).returncode == 0
    assert (project / "config" / "ckan.ini").read_text() == first


def test_unknown_placeholder_names_file_and_line(project: Path):
    assert render(project, "--only", "ckan").returncode == 0
    before = (project / "config" / "ckan.ini").read_text()
    template = project / "config" / "ckan.ini.template"
    lines = template.read_text().splitlines()
    lines.insert(9, "broken = ${TWIN_NO_SUCH_SETTING}")
    template.write_text("\n".join(lines) + "\n")
    result = render(project, "--only", "ckan")
    assert result.returncode == 1
    assert "ckan.ini.template:10" in result.stderr
    assert "TWIN_NO_SUCH_SETTING" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (project / "config" / "ckan.ini").read_text() == before


def test_malformed_secrets_line_is_named(project: Path):
    (project / "config" / "secrets.env").write_text("TWIN_SECRET_KEY=abc\nthis is not a setting\n")
    result = render(project, "--only", "ckan")
    assert result.returncode == 1
    assert "secrets.env:2" in result.stderr
    assert not (project / "config" / "ckan.ini").exists()
