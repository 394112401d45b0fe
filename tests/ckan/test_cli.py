"""``ckan twin ...`` and the preflight, run in a subprocess as an operator runs them.

A subprocess goes through CKAN's own start-up (config loading, the Redis probe, plugin
loading), which is where an operator meets a missing service first.
"""
from __future__ import annotations

import re
import stat
from pathlib import Path
from urllib.parse import urlsplit

import ckan.model as model
import pytest
from ckan.tests import helpers

from ckanext.twin.preflight import mask

REPO = Path(__file__).resolve().parents[2]
CLOSED_DB = "postgresql://twin:secret@127.0.0.1:5999/twin_dev"
CLOSED_REDIS = "redis://127.0.0.1:6999/0"
OK = re.compile(r"ok: PostgreSQL [\d.]+, PostGIS ([\d.]+|missing), Redis [\d.]+\n")


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


class TestPreflight:
    """``python -m ckanext.twin.preflight INI``: what ``make run`` calls before CKAN starts."""

    def preflight(self, run, ini: Path):
        return run("python", "-m", "ckanext.twin.preflight", str(ini))

    def test_reports_versions(self, make_ini, run):
        result = self.preflight(run, make_ini())
        assert result.returncode == 0, result.stderr
        assert OK.fullmatch(result.stdout)

    def test_closed_database_port_is_one_line(self, make_ini, run):
        result = self.preflight(run, make_ini({"sqlalchemy.url": CLOSED_DB}))
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == ("PostgreSQL not reachable at "
                                 "postgresql://twin:***@127.0.0.1:5999/twin_dev: "
                                 "connection refused\n")

    def test_missing_database_is_named(self, make_ini, run, ckan_config):
        url = urlsplit(ckan_config["sqlalchemy.url"])._replace(path="/twin_no_such_db").geturl()
        result = self.preflight(run, make_ini({"sqlalchemy.url": url}))
        assert result.returncode == 1
        assert result.stderr == (f"PostgreSQL at {mask(url)}: "
                                 'database "twin_no_such_db" does not exist\n')

    def test_closed_redis_port_is_one_line(self, make_ini, run):
        result = self.preflight(run, make_ini({"ckan.redis.url": CLOSED_REDIS}))
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == "Redis not reachable at redis://127.0.0.1:6999/0: " \
                                "connection refused\n"

    def test_missing_ini_is_one_line(self, run, tmp_path):
        result = self.preflight(run, tmp_path / "ckan.ini")
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1 and "ckan.ini: no such file" in result.stderr


def test_mask_hides_passwords_only():
    assert mask("postgresql://twin:s3cr%40t@db:5432/x?sslmode=require&password=p") == \
        "postgresql://twin:***@db:5432/x?sslmode=require&password=***"
    assert mask("redis://:pw@127.0.0.1:6379/2") == "redis://:***@127.0.0.1:6379/2"
    assert mask("redis://127.0.0.1:6379/2") == "redis://127.0.0.1:6379/2"


class TestTwinCheck:
    """``ckan twin check``: the same check once CKAN has started."""

    def test_reports_versions(self, make_ini, run):
        result = run("ckan", "-c", str(make_ini()), "twin", "check")
        assert result.returncode == 0, result.stderr
        assert OK.fullmatch(result.stdout)

    def test_closed_redis_port_ends_with_one_line(self, make_ini, run):
        # CKAN logs its own Redis traceback at start-up and carries on; ours is the verdict.
        result = run("ckan", "-c", str(make_ini({"ckan.redis.url": CLOSED_REDIS})),
                     "twin", "check")
        assert result.returncode == 1
        assert last_line(result.stderr) == \
            "Redis not reachable at redis://127.0.0.1:6999/0: connection refused"

    def test_ckan_dies_before_the_command_when_the_database_is_down(self, make_ini, run):
        # Why `make run` calls `python -m ckanext.twin.preflight` rather than this command.
        result = run("ckan", "-c", str(make_ini({"sqlalchemy.url": CLOSED_DB})),
                     "twin", "check")
        assert result.returncode == 1
        assert "OperationalError" in result.stderr
        assert "PostgreSQL not reachable" not in result.stderr


@pytest.mark.usefixtures("clean_db")
class TestPartnersSync:
    def test_syncs_the_registry_and_then_changes_nothing(self, make_ini, run):
        # Default file config/partners.yaml: not next to the temporary ini, so found in the cwd.
        ini = str(make_ini())
        first = run("ckan", "-c", ini, "twin", "partners", "sync", cwd=REPO)
        assert first.returncode == 0, first.stderr
        assert first.stdout.splitlines()[:2] == ["muenchen: created", "eching: created"]
        assert len(first.stdout.splitlines()) == 11

        second = run("ckan", "-c", ini, "twin", "partners", "sync", cwd=REPO)
        assert second.returncode == 0, second.stderr
        assert set(second.stdout.splitlines()) == {
            line.replace("created", "unchanged") for line in first.stdout.splitlines()}

    def test_bad_file_creates_nothing(self, make_ini, run, tmp_path):
        registry = (REPO / "config" / "partners.yaml").read_text(encoding="utf-8")
        # Only the last partner is wrong: the ten before it must not be created either.
        bad = tmp_path / "partners.yaml"
        bad.write_text(registry.replace('ags: "09761000"', 'ags: "0976100"'), encoding="utf-8")
        line = bad.read_text(encoding="utf-8").splitlines().index('    ags: "0976100"') + 1

        result = run("ckan", "-c", str(make_ini()), "twin", "partners", "sync",
                     "--file", str(bad))
        assert (result.returncode, result.stdout) == (1, "")
        assert last_line(result.stderr) == \
            f'{bad}:{line}: partner "augsburg": ags must be 8 digits, got "0976100"'
        assert "Traceback" not in result.stderr
        assert helpers.call_action("organization_list") == []


@pytest.mark.usefixtures("clean_db")
def test_demo_admin_is_created_once(make_ini, run, tmp_path):
    credentials = tmp_path / "demo-credentials.txt"
    ini = str(make_ini({"ckanext.twin.demo_credentials_file": str(credentials)}))

    first = run("ckan", "-c", ini, "twin", "demo-admin")
    assert first.returncode == 0, first.stderr
    password = re.fullmatch(r"created sysadmin 'admin' with password (\S+) \(kept in (.+)\)\n",
                            first.stdout)
    assert password and password[2] == str(credentials)
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert f"login: admin\npassword: {password[1]}\n" in credentials.read_text()
    model.Session.remove()
    admin = model.User.by_name("admin")
    assert admin.sysadmin and admin.email == "admin@example.invalid"
    assert admin.validate_password(password[1])

    second = run("ckan", "-c", ini, "twin", "demo-admin")
    assert second.returncode == 0, second.stderr
    assert second.stdout == f"sysadmin 'admin' exists; its login is kept in {credentials}\n"
    assert password[1] not in second.stdout + second.stderr
    assert f"password: {password[1]}\n" in credentials.read_text()
