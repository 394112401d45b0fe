"""The demo harvest sources (config/sources/demo.yaml): named errors, idempotent set-up, and
the shipped demo catalogs harvested into datasets that validate as DCAT-AP.de."""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from pathlib import Path

import pytest
from ckan.tests.helpers import call_action

from ckanext.twin.logic import demo_sources
from ckanext.twin.partners import load_partners

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "sources" / "demo.yaml"
PARTNERS = ROOT / "config" / "partners.yaml"
PARTNER_IDS = {partner.id for partner in load_partners(PARTNERS)}
COUNTS = (4, 5, 4, 4, 4)  # datasets in each catalog of demo.yaml, in its order
PLUGINS = ("twin_search twin twin_dcat scheming_datasets dcat harvest twin_harvest "
           "twin_dcat_harvester twin_csw_harvester")
CSW = "http://127.0.0.1:5098/csw"

SOURCE = """\
sources:
  - name: garching-demo
    title: Garching
    partner: garching
    path: garching/catalog.ttl
"""


def load(tmp_path: Path, content: str) -> list[demo_sources.DemoSource]:
    """Loads ``content`` as a demo.yaml next to a catalogs folder with Garching's catalog."""
    (tmp_path / "catalogs" / "garching").mkdir(parents=True)
    (tmp_path / "catalogs" / "garching" / "catalog.ttl").write_text("", encoding="utf-8")
    (tmp_path / "fremd.ttl").write_text("", encoding="utf-8")
    path = tmp_path / "demo.yaml"
    path.write_text(content, encoding="utf-8")
    return demo_sources.load(path, PARTNER_IDS)


def test_shipped_file_names_a_catalog_for_each_source() -> None:
    sources = demo_sources.load(DEMO, PARTNER_IDS)
    assert {(source.partner, source.type) for source in sources} == {
        ("garching", "twin_dcat"), ("ismaning", "twin_dcat"), ("unterschleissheim", "twin_dcat"),
        ("nuernberg", "twin_dcat"), ("augsburg", "twin_dcat"), ("hallbergmoos", "twin_csw")}


def test_a_csw_source_names_a_folder_of_records(tmp_path: Path) -> None:
    (tmp_path / "csw" / "garching").mkdir(parents=True)
    content = SOURCE.replace("garching/catalog.ttl", "csw/garching") + "    type: twin_csw\n"

    assert load(tmp_path, content)[0].type == "twin_csw"


def test_a_source_is_read_with_its_notes(tmp_path: Path) -> None:
    assert load(tmp_path, SOURCE + "    notes: Luftqualität\n") == [demo_sources.DemoSource(
        name="garching-demo", title="Garching", partner="garching", path="garching/catalog.ttl",
        notes="Luftqualität")]


@pytest.mark.parametrize("content, message", [
    ("", "demo.yaml:1: the file is empty"),
    ("sources: [\n  - name: a\n", "demo.yaml:2: malformed YAML: expected the node content"),
    ("quellen: []\n", "demo.yaml:1: the file: unknown key 'quellen'"),
    ("sources: []\n", "demo.yaml:1: expected 'sources:' with a non-empty list"),
    (SOURCE + "    partner_id: garching\n", "demo.yaml:6: source #1: unknown key 'partner_id'"),
    (SOURCE.replace("    title: Garching\n", ""), "demo.yaml:2: source #1: missing title"),
    (SOURCE.replace("name: garching-demo", "name: Garching Demo"),
     "demo.yaml:2: source #1: name must be 2-100 lowercase letters"),
    (SOURCE.replace("partner: garching", "partner: atlantis"),
     "demo.yaml:4: source #1: unknown partner 'atlantis' (known: augsburg, eching,"),
    (SOURCE.replace("garching/catalog.ttl", "garching/fehlt.ttl"),
     "demo.yaml:5: source #1: no catalog 'garching/fehlt.ttl' in"),
    (SOURCE.replace("garching/catalog.ttl", "../fremd.ttl"),
     "demo.yaml:5: source #1: no catalog '../fremd.ttl' in"),
    (SOURCE.replace("title: Garching", "title: 2024"), "demo.yaml:3: source #1: title must be "
                                                       'text, quote it: "2024"'),
    (SOURCE + SOURCE.replace("sources:\n", ""),
     "demo.yaml:6: source name 'garching-demo' appears twice"),
    (SOURCE + "    type: twin_ckan\n",
     "demo.yaml:6: source #1: type must be one of twin_dcat, twin_csw, got 'twin_ckan'"),
    (SOURCE.replace("garching/catalog.ttl", "csw/fehlt") + "    type: twin_csw\n",
     "demo.yaml:5: source #1: no folder of ISO 19139 records 'csw/fehlt' in"),
])
def test_problems_name_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(demo_sources.DemoSourcesError) as error:
        load(tmp_path, content)
    assert str(error.value).startswith(f"{tmp_path}/{message}"), str(error.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(demo_sources.DemoSourcesError, match=r"fehlt\.yaml: cannot read"):
        demo_sources.load(tmp_path / "fehlt.yaml", PARTNER_IDS)


# -- in CKAN ------------------------------------------------------------------------------------

@pytest.fixture
def catalogs_url() -> Iterator[str]:
    """The shipped demo catalogs, served as `make run` serves them (any free port)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ckanext.twin.demo_catalogs", "--port", "0",
         "--directory", str(ROOT / "config" / "sources" / "catalogs")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().split()[-1]  # "demo_catalogs: serving DIR on URL"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.twin.partners_file", str(PARTNERS))
@pytest.mark.usefixtures("with_plugins", "harvest_db", "clean_index", "partners")
class TestInCkan:
    """Sources created through the action API, harvested with ckanext-harvest's stages."""

    def test_sources_are_created_once_then_unchanged(self) -> None:
        sources = demo_sources.load(DEMO, PARTNER_IDS)
        base = "http://127.0.0.1:5099"

        assert list(demo_sources.ensure(sources, base, CSW)) == \
            [(s.name, "created") for s in sources]
        assert list(demo_sources.ensure(sources, base, CSW)) == \
            [(s.name, "unchanged") for s in sources]

        source = call_action("harvest_source_show", id="ismaning-demokatalog")
        assert (source["url"], source["source_type"], source["organization"]["name"]) == \
            (f"{base}/ismaning/catalog.ttl", "twin_dcat", "ismaning")
        assert json.loads(source["config"]) == {"partner": "ismaning",
                                                "allowed_hosts": ["127.0.0.1"],
                                                "personal_data": False,
                                                "classification": "public"}

    def test_a_moved_server_updates_url_and_allowed_host(self) -> None:
        sources = demo_sources.load(DEMO, PARTNER_IDS)[:1]
        list(demo_sources.ensure(sources, "http://127.0.0.1:5099", CSW))

        assert list(demo_sources.ensure(sources, "http://localhost:6000/", CSW)) == \
            [(sources[0].name, "updated")]
        source = call_action("harvest_source_show", id=sources[0].name)
        assert source["url"] == "http://localhost:6000/garching/catalog.ttl"
        assert json.loads(source["config"])["allowed_hosts"] == ["localhost"]

    def test_a_deleted_source_is_revived(self) -> None:
        sources = demo_sources.load(DEMO, PARTNER_IDS)[:1]
        list(demo_sources.ensure(sources, "http://127.0.0.1:5099", CSW))
        call_action("harvest_source_delete", id=sources[0].name)

        assert list(demo_sources.ensure(sources, "http://127.0.0.1:5099", CSW)) == \
            [(sources[0].name, "updated")]
        assert call_action("harvest_source_show", id=sources[0].name)["state"] == "active"

    def test_a_base_url_that_is_no_url_is_refused(self) -> None:
        with pytest.raises(demo_sources.DemoSourcesError, match="must be an http"):
            list(demo_sources.ensure(demo_sources.load(DEMO, PARTNER_IDS), "127.0.0.1:5099",
                                     CSW))

    def test_demo_catalogs_harvest_into_valid_datasets_and_then_stay_unchanged(
            self, catalogs_url: str) -> None:
        from ckanext.twin.dcat import reports
        from ckanext.twin.harvest import runner

        sources = [s for s in demo_sources.load(DEMO, PARTNER_IDS) if s.type == "twin_dcat"]
        list(demo_sources.ensure(sources, catalogs_url, CSW))
        context = {"user": call_action("get_site_user")["name"], "ignore_auth": True}

        first = [runner.run(s.name, dict(context), lambda line: None) for s in sources]
        assert [(r["source"], r["added"], r["errored"], r["errors"], r["warnings"])
                for r in first] == [(s.name, n, 0, [], []) for s, n in zip(sources, COUNTS)]
        assert [r["pages"] for r in first] == [1, 2, 1, 1, 1]

        datasets = call_action("package_search", rows=100)["results"]
        assert len(datasets) == sum(COUNTS)
        for dataset in datasets:
            report = reports.dataset_report(call_action("package_show", id=dataset["id"]))
            assert report.violations == [], (dataset["name"],
                                             [v.message for v in report.violations])

        again = [runner.run(s.name, dict(context), lambda line: None) for s in sources]
        assert [(r["added"], r["updated"], r["unchanged"], r["errored"]) for r in again] == \
            [(0, 0, n, 0) for n in COUNTS]

    def test_nuernbergs_dcat_ap_de_2_0_is_carried_forward(self, catalogs_url: str) -> None:
        from ckanext.twin.harvest import runner

        source = next(s for s in demo_sources.load(DEMO, PARTNER_IDS) if s.partner == "nuernberg")
        list(demo_sources.ensure([source], catalogs_url, CSW))
        runner.run(source.name, {"user": call_action("get_site_user")["name"],
                                 "ignore_auth": True}, lambda line: None)

        found = call_action("package_search", fq="organization:nuernberg", rows=10)["results"]
        dataset = next(d for d in found
                       if d["identifier"] == "nuernberg-luftqualitaet-messstationen")
        assert dataset["license_id"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"  # was 2_0
        assert dataset["availability"] == \
            "http://publications.europa.eu/resource/authority/planned-availability/STABLE"
        assert dataset["version"] == "2.3"  # owl:versionInfo
        assert dataset["custodian"][0]["name"] == "Stadt Nürnberg, Umweltamt"  # dcatde:maintainer
        assert dataset["frequency"] == \
            "http://publications.europa.eu/resource/authority/frequency/DAILY"  # DCMI daily
        assert dataset["temporal_coverage"] == [{"start": "2010-01-01"}]  # schema:startDate
        assert dataset["legal_basis"].startswith("Neununddreißigste Verordnung")
        resource = dataset["resources"][0]
        assert (resource["license"], resource["status"], resource["mimetype"]) == (
            "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
            "http://publications.europa.eu/resource/authority/distribution-status/COMPLETED",
            "text/csv")

    def test_the_demo_csw_brings_geodata_with_services_and_extents(
            self, pycsw_catalog: Any) -> None:
        from ckanext.twin.dcat import reports
        from ckanext.twin.harvest import runner

        csw = pycsw_catalog([ROOT / "config" / "sources" / "csw"])
        sources = [s for s in demo_sources.load(DEMO, PARTNER_IDS) if s.type == "twin_csw"]
        list(demo_sources.ensure(sources, "http://127.0.0.1:5099", csw.url))
        context = {"user": call_action("get_site_user")["name"], "ignore_auth": True}

        report = runner.run(sources[0].name, context, lambda line: None)

        assert (report["added"], report["errored"], report["errors"]) == (4, 0, [])
        found = call_action("package_search", fq="organization:hallbergmoos", rows=10,
                            extras={"ext_bbox": "11.70,48.30,11.78,48.35"})["results"]
        assert len(found) == 4
        for dataset in found:
            dataset = call_action("package_show", id=dataset["id"])
            assert reports.dataset_report(dataset).violations == [], dataset["name"]
            assert dataset["spatial_coverage"][0]["bbox"]
            formats = {r.get("format", "").rsplit("/", 1)[-1] for r in dataset["resources"]}
            assert formats & {"WMS_SRVC", "WFS_SRVC"}, (dataset["name"], formats)
