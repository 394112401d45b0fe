"""DCAT-AP.de validation where stewards and operators meet it: the action
``twin_dataset_validation_show``, the panel on the dataset page and ``ckan twin validate``.

Valid data is the portal's own (partner registry and demo datasets, which the DCAT-AP.de
schema accepted). Invalid data is made the way it reaches a real catalog past the schema:
created through the action API with the scheming plugin not loaded, so a dataset without a
description and a distribution with the plain format "CSV" and no licence get stored.
"""
from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from ckan.tests import factories, helpers
from click.testing import CliRunner

from ckanext.twin import cli
from ckanext.twin.dcat import reports
from ckanext.twin.logic import demo_data
from ckanext.twin.logic.partners import sync_partners
from ckanext.twin.partners import load_partners

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "tests" / "fixtures" / "dcat-ap-de" / "examples" / "spec-v3.0"
DEMO = ["luftqualitaet-messstationen-muenchen", "radverkehrszaehlstellen-muenchen",
        "verkehrsnetz-garching"]
NO_DESCRIPTION = "dcat:Dataset: dcterms:description MUSS MINDESTEN einmal vorkommen."
NO_LICENCE = "DE: dcat:Distribution: MUSS eine dcterms:license haben."
WITH_SCHEMA = "twin_search twin_dcat scheming_datasets dcat"
WITHOUT_SCHEMA = "twin_search twin_dcat dcat"
ACTION = "/api/3/action/twin_dataset_validation_show"

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
with_schema = pytest.mark.ckan_config("ckan.plugins", WITH_SCHEMA)
without_schema = pytest.mark.ckan_config("ckan.plugins", WITHOUT_SCHEMA)


@pytest.fixture
def portal() -> None:
    """Partners and the three demo datasets, created as ``make run`` creates them."""
    list(sync_partners(load_partners(REPO / "config" / "partners.yaml")))
    list(demo_data.ensure(demo_data.load(REPO / "config" / "demo" / "datasets.yaml")))


@pytest.fixture
def broken() -> dict:
    """A Garching dataset that skipped the schema: no description, "CSV", no licence."""
    list(sync_partners(load_partners(REPO / "config" / "partners.yaml")))
    site_user = helpers.call_action("get_site_user")["name"]
    return helpers.call_action(
        "package_create", context={"user": site_user}, name="radwege-garching",
        title="Radwege Garching", owner_org="garching",
        resources=[{"url": "https://geoportal.garching.de/radwege.csv", "format": "CSV"}])


@pytest.fixture
def steward() -> dict:
    """An editor of Garching, with an API token for page and API requests."""
    user = factories.User()
    helpers.call_action("organization_member_create", id="garching", username=user["name"],
                        role="editor")
    return {**user, "token": factories.APIToken(user=user["name"])["token"]}


def as_user(user: dict | None) -> dict:
    return {"headers": {"Authorization": user["token"]}} if user else {}


def messages(report: dict) -> list[str]:
    return sorted(v["message"] for v in report["violations"])


# -- the action ------------------------------------------------------------------------------

@with_schema
def test_the_demo_datasets_have_no_violations(portal):
    for name in DEMO:
        report = helpers.call_action("twin_dataset_validation_show", id=name)
        assert report["conforms"] and report["violations"] == [], (name, report)


@without_schema
def test_a_dataset_past_the_schema_reports_its_violations(broken):
    report = helpers.call_action("twin_dataset_validation_show", id=broken["name"])
    assert not report["conforms"]
    dataset_uri = f"http://test.ckan.net/dataset/{broken['id']}"
    distribution_uri = f"{dataset_uri}/resource/{broken['resources'][0]['id']}"
    found = {(v["focus"], v["path"], v["message"]) for v in report["violations"]}
    assert (dataset_uri, "http://purl.org/dc/terms/description", NO_DESCRIPTION) in found
    assert (distribution_uri, "http://purl.org/dc/terms/license", NO_LICENCE) in found
    formats = [v for v in report["violations"] if v["path"] == "http://purl.org/dc/terms/format"]
    assert formats and all(v["value"] == "CSV" for v in formats)


@without_schema
def test_stewards_and_sysadmins_may_see_the_report(app, broken, steward):
    response = app.get(ACTION, query_string={"id": broken["name"]}, **as_user(steward))
    assert response.status_code == 200
    assert NO_DESCRIPTION in messages(response.json["result"])
    sysadmin = factories.Sysadmin()
    assert helpers.call_action("twin_dataset_validation_show", context={"user": sysadmin["name"]},
                               id=broken["id"])["violations"]


@without_schema
def test_others_may_not(app, broken):
    app.get(ACTION, query_string={"id": broken["name"]}, status=403)
    reader = factories.User()
    helpers.call_action("organization_member_create", id="garching", username=reader["name"],
                        role="member")
    for user in (factories.User(), reader):
        token = factories.APIToken(user=user["name"])["token"]
        app.get(ACTION, query_string={"id": broken["name"]},
                headers={"Authorization": token}, status=403)


@with_schema
def test_unknown_or_missing_id(app, portal):
    app.get(ACTION, query_string={"id": "gibt-es-nicht"}, status=404)
    response = app.get(ACTION, status=409)
    assert "id" in response.json["error"]


# -- the panel on the dataset page -----------------------------------------------------------

PANEL = "DCAT-AP.de-Validierung"


@with_schema
def test_a_steward_sees_no_violations_on_a_valid_dataset(app, portal, steward):
    page = app.get("/dataset/verkehrsnetz-garching", **as_user(steward)).get_data(as_text=True)
    assert f"{PANEL}: 0 Verstöße" in page
    assert 'aria-labelledby="twin-dcat-validation-heading"' in page
    assert "twin-dcat-violations" not in page


@without_schema
def test_a_steward_sees_each_violation(app, broken, steward):
    report = helpers.call_action("twin_dataset_validation_show", id=broken["name"])
    count = len(report["violations"])
    page = app.get(f"/dataset/{broken['name']}", **as_user(steward)).get_data(as_text=True)
    assert f"{PANEL}: {count} Verstöße" in page
    panel = page[page.index(PANEL):]
    assert panel.count("<li>") >= count
    for message in messages(report):
        assert message in panel


@without_schema
def test_anonymous_users_and_readers_do_not_see_the_panel(app, broken):
    assert PANEL not in app.get(f"/dataset/{broken['name']}").get_data(as_text=True)
    outsider = factories.User()
    token = factories.APIToken(user=outsider["name"])["token"]
    page = app.get(f"/dataset/{broken['name']}", headers={"Authorization": token})
    assert page.status_code == 200 and PANEL not in page.get_data(as_text=True)


# -- ckan twin validate ------------------------------------------------------------------------

def invoke(*args: str):
    """``ckan twin validate ...`` in this process (plugins and database of the test)."""
    return CliRunner().invoke(cli.twin, ["validate", *args], catch_exceptions=False)


@with_schema
@pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", "2")
def test_the_whole_catalog_validates(portal):
    """Three datasets on two catalog pages: every one is checked once."""
    result = invoke()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert sorted(lines[:-1]) == [f"{name}: 0 violations" for name in sorted(DEMO)]
    assert lines[-1] == "3 datasets checked, 0 with violations, 0 violations"


@without_schema
def test_a_violation_fails_the_catalog_run(broken):
    result = invoke()
    assert result.exit_code == 1
    lines = result.output.splitlines()
    count = len(helpers.call_action("twin_dataset_validation_show", id=broken["name"])["violations"])
    assert lines[0] == f"radwege-garching: {count} violations"
    dataset_uri = f"http://test.ckan.net/dataset/{broken['id']}"
    assert f"  {dataset_uri} http://purl.org/dc/terms/description: {NO_DESCRIPTION}" in lines
    assert lines[-1] == f"1 dataset checked, 1 with violations, {count} violations"


@with_schema
def test_one_dataset(portal):
    result = invoke("--dataset", "verkehrsnetz-garching")
    assert (result.exit_code, result.output) == (
        0, ("verkehrsnetz-garching: 0 violations\n"
            "1 dataset checked, 0 with violations, 0 violations\n"))
    result = invoke("--dataset", "gibt-es-nicht")
    assert result.exit_code == 1 and "no dataset 'gibt-es-nicht'" in result.output


@with_schema
def test_private_datasets_are_not_part_of_the_catalog_run(portal):
    helpers.call_action("package_patch", id="verkehrsnetz-garching", private=True)
    result = invoke()
    assert "verkehrsnetz-garching" not in result.output
    assert result.output.splitlines()[-1].startswith("2 datasets checked")


@with_schema
def test_a_file(tmp_path):
    """The official 3.0 example keeps real violations (see /work/shared/notes)."""
    example = EXAMPLES / "Dataset-und-Distribution.ttl"
    result = invoke("--file", str(example))
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(f"{example}: ")
    assert result.output.splitlines()[-1].startswith("1 document checked, 1 with violations")


@with_schema
def test_an_unparsable_file_names_format_and_line(tmp_path):
    broken_file = tmp_path / "kaputt.ttl"
    broken_file.write_text("@prefix dct: <http://purl.org/dc/terms/> .\n\n<a> dct:title \"x\n",
                           encoding="utf-8")
    result = invoke("--file", str(broken_file))
    assert result.exit_code == 1
    assert result.output.startswith("Turtle, line 3")
    assert invoke("--file", str(tmp_path / "fehlt.ttl")).exit_code == 1


@with_schema
@pytest.mark.parametrize("url", ["ftp://127.0.0.1/catalog.ttl", "file:///etc/passwd"])
def test_only_http_urls_are_fetched(url):
    result = invoke("--file", url)
    assert (result.exit_code, result.output) == (
        1, f"{url}: only http and https URLs are fetched\n")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the access log would mix into the output
        pass


@pytest.fixture
def server(tmp_path) -> Iterator[str]:
    """A loopback HTTP server for ``tmp_path``; yields its base URL."""
    def handler(*args):
        return QuietHandler(*args, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
        httpd.shutdown()


@with_schema
def test_a_url(portal, server, tmp_path):
    """A partner's catalog page, here the portal's own dataset as it publishes it."""
    dataset = helpers.call_action("package_show", id="verkehrsnetz-garching")
    (tmp_path / "dataset.rdf").write_text(
        reports.dataset_graph(dataset).serialize(format="xml"), encoding="utf-8")
    refused = invoke("--file", f"{server}/dataset.rdf")
    assert refused.exit_code == 1 and "loopback" in refused.output
    result = invoke("--file", f"{server}/dataset.rdf", "--allow-host", "127.0.0.1")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"{server}/dataset.rdf: 0 violations"
    result = invoke("--file", f"{server}/fehlt.ttl", "--allow-host", "127.0.0.1")
    assert result.exit_code == 1 and "404" in result.output


@with_schema
def test_a_url_larger_than_the_limit_is_refused(server, tmp_path, monkeypatch):
    (tmp_path / "gross.ttl").write_bytes(b"# " + b"x" * 2000 + b"\n")
    monkeypatch.setattr(reports, "FETCH_MAX_BYTES", 1000)
    result = invoke("--file", f"{server}/gross.ttl", "--allow-host", "127.0.0.1")
    assert result.exit_code == 1
    assert result.output.startswith(f"{server}/gross.ttl: response exceeds the")


@with_schema
def test_the_ckan_command_line(portal, make_ini, run):
    """The same command as an operator runs it, through CKAN's start-up."""
    ini = make_ini({"ckan.plugins": "twin_search twin twin_dcat scheming_datasets dcat"})
    result = run("ckan", "-c", str(ini), "twin", "validate", "--dataset", DEMO[0])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"{DEMO[0]}: 0 violations"
    result = run("ckan", "-c", str(ini), "twin", "validate", "--dataset", "gibt-es-nicht")
    assert result.returncode == 1
