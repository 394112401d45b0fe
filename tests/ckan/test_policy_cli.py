"""``ckan twin policy check|apply|export|reevaluate`` as an operator runs them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from ckan.tests import helpers

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "config" / "policies"
PARTNERS = sorted(path.stem for path in POLICIES.glob("*.yaml"))

pytestmark = pytest.mark.usefixtures("clean_db")


def twin(run, make_ini, *args: str):
    ini = make_ini({"ckan.plugins": "twin_policy twin_search twin"})
    return run("ckan", "-c", str(ini), "twin", "policy", *args, cwd=REPO)


def stored_versions() -> list[tuple[str, int]]:
    import sqlalchemy as sa
    from ckan import model
    from ckanext.twin.policy import store

    store.ensure(model.Session)
    rows = model.Session.execute(sa.text(
        f"SELECT municipality, version FROM {store.VERSIONS} ORDER BY 1, 2")).all()
    model.Session.commit()
    return [tuple(row) for row in rows]


def test_check_accepts_every_shipped_policy(run, make_ini) -> None:
    result = twin(run, make_ini, "check")
    assert result.returncode == 0, result.stderr
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == PARTNERS


def test_check_names_file_and_line_and_apply_applies_nothing(run, make_ini, tmp_path) -> None:
    for path in POLICIES.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    bad = tmp_path / "garching.yaml"
    lines = bad.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if "platform:" in line)
    lines[number] = lines[number].replace("platform:", "plattform:")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")

    checked = twin(run, make_ini, "check", "--dir", str(tmp_path))
    applied = twin(run, make_ini, "apply", "--dir", str(tmp_path))

    for result in (checked, applied):
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert f"{bad}:{number + 1}: " in result.stderr and "plattform" in result.stderr
    assert stored_versions() == []


def test_apply_stores_versions_once_and_reports_per_platform(run, make_ini) -> None:
    dry = twin(run, make_ini, "apply", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "garching: would apply version 1" in dry.stdout
    assert stored_versions() == []

    first = twin(run, make_ini, "apply")
    assert first.returncode == 0, first.stderr
    assert "garching: applied version 1" in first.stdout
    assert "  opendata: 0 admitted, 0 withdrawn" in first.stdout
    assert stored_versions() == [(partner, 1) for partner in PARTNERS]

    again = twin(run, make_ini, "apply")
    assert again.returncode == 0 and "unchanged: " + ", ".join(PARTNERS) in again.stdout
    assert stored_versions() == [(partner, 1) for partner in PARTNERS]


def test_export_prints_odrl_json_ld(run, make_ini) -> None:
    assert twin(run, make_ini, "apply").returncode == 0
    result = twin(run, make_ini, "export", "garching")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["@type"] == "Set" and document["uid"].endswith("/policy/garching/1")
    assert "http://www.w3.org/ns/odrl.jsonld" in json.dumps(document["@context"])

    missing = twin(run, make_ini, "export", "nirgendwo")
    assert missing.returncode == 1 and "nirgendwo" in missing.stderr


def test_reevaluate_without_due_embargoes_moves_nothing(run, make_ini) -> None:
    result = twin(run, make_ini, "reevaluate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 datasets re-evaluated"
    assert helpers.call_action("package_list") == []
