"""The ``twin_csw`` harvester end to end: a real pycsw 2.6.2 on 127.0.0.1 with the ISO 19139
fixtures, harvested into CKAN with ckanext-harvest's own stages, read back through the action
API and validated as DCAT-AP.de."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from ckan.tests.helpers import call_action

from support import pycsw
from support.harvesting import datasets_of, harvest, make_source

PLUGINS = ("twin_search twin twin_dcat scheming_datasets dcat harvest twin_harvest "
           "twin_csw_harvester")
ROOT = Path(__file__).resolve().parents[2]
ISO = ROOT / "tests" / "fixtures" / "iso19139"
GN250, GN250_WMS, GN250_WFS = ("142d56bb-108b-4e6a-96a6-8239b80af77e",
                               "cd7b8516-bbe3-4836-9ed8-b49b6d279932",
                               "256a7a13-2bc7-462c-8353-4d09f6c3f8a8")
HE_HYDRO, HE_HYDRO_WMS = ("f1950cd0-de59-413c-93fd-b669af06c863",
                          "def3f393-48c8-730a-328f-947231f493f4")

pytestmark = [pytest.mark.ckan_config("ckan.plugins", PLUGINS),
              pytest.mark.ckan_config("ckanext.twin.partners_file",
                                      str(ROOT / "config" / "partners.yaml")),
              pytest.mark.usefixtures("with_plugins", "harvest_db", "clean_index", "partners")]


def csw_source(url: str, **config: Any) -> dict[str, Any]:
    return make_source(url, name="muenchen-csw", source_type="twin_csw", **config)


def records(tmp_path: Path, *files: str) -> Path:
    """A folder with copies of the fixture ``files`` (relative to the ISO fixtures)."""
    folder = tmp_path / "records"
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        shutil.copy(ISO / name, folder / Path(name).name)
    return folder


# -- every fixture record: a valid DCAT-AP.de dataset, coupled into one, or refused ----------

def test_every_record_becomes_a_valid_dataset_or_is_refused_with_its_reason(
        pycsw_fixtures: pycsw.Catalog) -> None:
    from ckanext.twin.dcat import reports

    source = csw_source(pycsw_fixtures.url)
    progress: list[str] = []
    report = harvest(source, progress)

    assert report["status"] == "Finished" and report["complete"], report["errors"]
    published = datasets_of(source)
    assert report["added"] == len(published) > 50
    assert progress[-1].startswith(f"imported {len(published)}/{len(published)} records")
    violations = {key: [v.message for v in reports.dataset_report(
        call_action("package_show", id=dataset["id"])).violations]
        for key, dataset in published.items()}
    assert {key: found for key, found in violations.items() if found} == {}
    # pycsw serves one record the mapping refuses (docs/csw.md): named, with the reason.
    assert report["errored"] == 1
    assert report["errors"] == [
        "record 09a7c1d4c97ccdd7e34306deb91320ab95d51bb8 (line 2220): no abstract "
        "(gmd:identificationInfo/*/gmd:abstract); DCAT-AP.de requires dct:description"]
    # Coupled services are access routes of their dataset, not datasets of their own.
    assert not {GN250_WMS, GN250_WFS, HE_HYDRO_WMS} & set(published)


def test_german_gdi_de_records_keep_licence_keywords_and_their_services(
        pycsw_fixtures: pycsw.Catalog) -> None:
    source = csw_source(pycsw_fixtures.url)
    harvest(source)
    published = datasets_of(source)

    hydro = call_action("package_show", id=published[HE_HYDRO]["id"])
    assert hydro["license_id"] == "http://dcat-ap.de/def/licenses/dl-zero-de/2.0"
    assert hydro["organization"]["name"] == "muenchen"
    services = [service for resource in hydro["resources"]
                for service in resource.get("access_services") or []]
    assert any("wms" in url.lower() for service in services
               for url in service.get("endpoint_url") or []), services

    gn250 = call_action("package_show", id=published[GN250]["id"])
    kinds = {resource.get("format") for resource in gn250["resources"]}
    assert {"http://publications.europa.eu/resource/authority/file-type/WMS_SRVC",
            "http://publications.europa.eu/resource/authority/file-type/WFS_SRVC"} <= kinds, kinds
    assert gn250["license_id"] == "http://dcat-ap.de/def/licenses/geonutz/20130319"
    assert gn250["theme"], "the INSPIRE theme becomes an EU data theme"
    tags = {tag["name"] for tag in gn250["tags"]}
    assert {"hospital", "mountain", "watercourse"} <= tags, tags  # GEMET gmx:Anchor keywords
    assert gn250["spatial_coverage"][0]["bbox"]


def test_a_harvested_extent_is_found_by_spatial_search(pycsw_fixtures: pycsw.Catalog) -> None:
    source = csw_source(pycsw_fixtures.url)
    harvest(source)

    # Hessen (HE Hydro) but not Greece (the pycsw sample records).
    found = call_action("package_search", rows=100,
                        extras={"ext_bbox": "8.5,50.0,9.0,50.5"})["results"]
    identifiers = {dataset.get("identifier") for dataset in found}
    assert HE_HYDRO in identifiers
    assert not any(i.startswith("T_") for i in identifiers if i)


# -- incremental runs and withdrawals -------------------------------------------------------------

FIVE = ("de-gdi-de-geodatenkatalog/142d56bb-108b-4e6a-96a6-8239b80af77e.xml",
        "de-gdi-de-geodatenkatalog/f1950cd0-de59-413c-93fd-b669af06c863.xml",
        "de-mrmap/dwd_RBSN_FF_dataset.xml", "de-mrmap/dwd_RBSN_VPGB_dataset.xml",
        "intl-owslib/csw_geobretagne_mdmetadata.xml")


def test_an_unchanged_catalog_writes_nothing(pycsw_catalog: Any, tmp_path: Path) -> None:
    catalog = pycsw_catalog([records(tmp_path, *FIVE)])
    source = csw_source(catalog.url)
    first = harvest(source)
    before = {k: d["metadata_modified"] for k, d in datasets_of(source).items()}

    again = harvest(source)

    assert (first["added"], first["errored"]) == (5, 0), first["errors"]
    assert (again["added"], again["updated"], again["unchanged"], again["errored"]) == \
        (0, 0, 5, 0)
    assert {k: d["metadata_modified"] for k, d in datasets_of(source).items()} == before


def test_a_newer_record_updates_its_dataset(pycsw_catalog: Any, tmp_path: Path) -> None:
    old = pycsw_catalog([records(tmp_path / "old", "ckanext-spatial/gemini2.1__service1.xml")])
    source = csw_source(old.url)
    harvest(source)
    newer = pycsw_catalog([records(tmp_path / "new",
                                   "ckanext-spatial/gemini2.1__service1_newer.xml")])
    call_action("harvest_source_patch", id=source["id"], url=newer.url)

    report = harvest(source)

    assert (report["added"], report["updated"], report["errored"]) == (0, 1, 0)


def test_a_record_gone_from_a_complete_walk_is_withdrawn_but_a_large_share_is_held(
        pycsw_catalog: Any, tmp_path: Path) -> None:
    source = csw_source(pycsw_catalog([records(tmp_path / "all", *FIVE)]).url,
                        max_withdrawal_share=0.3)
    harvest(source)

    one_gone = pycsw_catalog([records(tmp_path / "four", *FIVE[:4])])
    call_action("harvest_source_patch", id=source["id"], url=one_gone.url)
    report = harvest(source)
    assert (report["withdrawn"], report["held"]) == (1, 0)
    assert len(datasets_of(source)) == 4

    two_left = pycsw_catalog([records(tmp_path / "two", *FIVE[:2])])
    call_action("harvest_source_patch", id=source["id"], url=two_left.url)
    report = harvest(source)
    assert (report["withdrawn"], report["held"], report["needs_steward"]) == (0, 2, True)
    assert len(datasets_of(source)) == 4


def test_a_bad_source_configuration_is_refused_naming_the_key() -> None:
    import ckan.plugins.toolkit as tk

    with pytest.raises(tk.ValidationError, match="page_size"):
        csw_source("http://127.0.0.1:9/csw", page_size=0)
    with pytest.raises(tk.ValidationError, match="conditional_requests"):
        csw_source("http://127.0.0.1:9/csw", conditional_requests=False)


# -- misbehaving servers ------------------------------------------------------------------------

def embedded(name: str) -> bytes:
    """A fixture record without its XML declaration, to sit inside a GetRecords answer."""
    text = (ISO / name).read_bytes()
    return text.split(b"?>", 1)[1] if text.lstrip().startswith(b"<?xml") else text


def test_short_pages_still_bring_every_record_once() -> None:
    from support.csw import fake_csw

    def short(call: Any, fake: Any) -> Any:
        return fake.regular(call, page_size=2)  # the server caps pages at 2 records

    with fake_csw([embedded(name) for name in FIVE], short) as server:
        report = harvest(csw_source(server.url))

    assert (report["added"], report["errored"], report["complete"]) == (5, 0, True)
    assert [call.start for call in server.calls] == [1, 3, 5]


def test_a_server_failing_mid_run_withdraws_nothing_and_says_where() -> None:
    from support.csw import fake_csw

    with fake_csw([embedded(name) for name in FIVE]) as server:
        source = csw_source(server.url, page_size=2)
        harvest(source)

    def failing(call: Any, fake: Any) -> Any:
        return (500, b"Internal Server Error", "text/plain") if call.start > 1 else None

    with fake_csw([embedded(name) for name in FIVE], failing) as server:
        call_action("harvest_source_patch", id=source["id"], url=server.url)
        report = harvest(source)

    assert (report["withdrawn"], report["held"], report["complete"]) == (0, 3, False)
    assert any("page 2 (startPosition 3" in error and "500" in error
               for error in report["errors"]), report["errors"]
    assert len(datasets_of(source)) == 5


def test_malformed_xml_in_an_answer_is_an_error_naming_page_and_line() -> None:
    from support.csw import fake_csw

    def broken(call: Any, fake: Any) -> Any:
        return 200, b"<?xml version='1.0'?>\n<csw:GetRecordsResponse>\n<oops", "application/xml"

    with fake_csw([embedded(name) for name in FIVE], broken) as server:
        report = harvest(csw_source(server.url))

    assert (report["added"], report["complete"]) == (0, False)
    assert any("page 1" in error and "line" in error for error in report["errors"])


def test_the_extensions_templates_are_searched_once() -> None:
    """Two spellings of one directory (twin_dcat's, twin_harvest's) would render every
    {% ckan_extends %} of ours twice: two maps, two validation panels on a dataset page."""
    import os

    from ckan.plugins.toolkit import config

    ours = [path for path in config["plugin_template_paths"] if "ckanext-twin" in path]
    assert len({os.path.realpath(path) for path in ours}) == len(ours) == 1, ours
