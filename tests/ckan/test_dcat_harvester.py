"""The ``twin_dcat`` harvester end to end: catalogs served on 127.0.0.1, harvested into CKAN
with ckanext-harvest's own stages, read back through the action API."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from support.catalogs import Options, catalog_pages, identifier
from support.harvesting import datasets_of, harvest, make_source
from support.servers import Server

from ckanext.twin.partners import load_partners

PLUGINS = ("twin_search twin twin_dcat scheming_datasets dcat harvest twin_harvest "
           "twin_dcat_harvester")
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "fixtures" / "dcat-ap-de" / "examples"

pytestmark = [pytest.mark.ckan_config("ckan.plugins", PLUGINS),
              pytest.mark.ckan_config("ckanext.twin.partners_file",
                                      str(ROOT / "config" / "partners.yaml")),
              pytest.mark.usefixtures("with_plugins", "harvest_db", "clean_index")]


def serve_catalog(server: Server, total: int, page_size: int = 10,
                  options: Options | None = None, prefix: str = "/catalog") -> str:
    """Serves a generated catalog (Turtle pages with ETags); the first page's URL."""
    def url(number: int) -> str:
        return server.url(f"{prefix}?page={number}")
    for number, body in enumerate(catalog_pages(total, page_size, url, options), 1):
        server.conditional(f"{prefix}?page={number}", body, etag=f'"{hash(body)}"')
    return url(1)


@pytest.mark.usefixtures("partners")
def test_first_harvest_adds_every_dataset_under_the_partner(http_server: Server) -> None:
    source = make_source(serve_catalog(http_server, 25))

    report = harvest(source)

    assert (report["added"], report["updated"], report["unchanged"], report["errored"]) == \
        (25, 0, 0, 0)
    assert report["status"] == "Finished" and report["complete"] and report["pages"] == 3
    published = datasets_of(source)
    assert set(published) == {identifier(i) for i in range(25)}
    dataset = published[identifier(3)]
    assert dataset["organization"]["name"] == "muenchen"
    assert dataset["contributor_id"] == \
        ["http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen"]
    assert dataset["license_id"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert dataset["resources"][0]["url"].endswith(f"{identifier(3)}.csv")


def package(name_or_id: str) -> dict[str, Any]:
    return call_action("package_show", id=name_or_id)


def job_objects(job_id: str) -> int:
    from ckanext.harvest.model import HarvestObject
    from ckan import model
    return model.Session.query(HarvestObject).filter_by(harvest_job_id=job_id).count()


# -- incremental: unchanged, changed, withdrawn -------------------------------------------


@pytest.mark.usefixtures("partners")
def test_unchanged_catalog_writes_nothing(http_server: Server) -> None:
    source = make_source(serve_catalog(http_server, 12), conditional_requests=False)
    harvest(source)
    before = {k: d["metadata_modified"] for k, d in datasets_of(source).items()}

    report = harvest(source)

    assert (report["added"], report["updated"], report["unchanged"]) == (0, 0, 12)
    assert job_objects(report["job_id"]) == 0  # nothing queued, fetched or imported
    after = {k: d["metadata_modified"] for k, d in datasets_of(source).items()}
    assert after == before


@pytest.mark.usefixtures("partners")
def test_conditional_requests_replay_unchanged_pages(http_server: Server) -> None:
    source = make_source(serve_catalog(http_server, 12, page_size=5))
    harvest(source)
    report = harvest(source)

    assert report["unchanged"] == 12 and report["added"] == report["updated"] == 0
    second_run = http_server.requests[-3:]
    assert all(r.header("If-None-Match") for r in second_run)  # every page asked conditionally


@pytest.mark.usefixtures("partners")
def test_changed_dataset_updated_withdrawn_dataset_deleted(http_server: Server) -> None:
    source = make_source(serve_catalog(http_server, 10), conditional_requests=False)
    harvest(source)
    first = datasets_of(source)
    # Second version of the catalog: dataset 2 retitled, dataset 9 gone (10 % < 20 %).
    serve_catalog(http_server, 9, options=Options(titles={2: "Neuer Titel"}))

    report = harvest(source)

    assert (report["added"], report["updated"], report["unchanged"], report["withdrawn"],
            report["held"]) == (0, 1, 8, 1, 0)
    changed = package(first[identifier(2)]["id"])
    assert changed["title"] == "Neuer Titel"
    assert changed["name"] == first[identifier(2)]["name"]  # stable name
    assert package(first[identifier(9)]["id"])["state"] == "deleted"
    assert identifier(9) not in datasets_of(source)


@pytest.mark.usefixtures("partners")
def test_withdrawn_dataset_that_returns_is_revived_under_its_name(http_server: Server) -> None:
    source = make_source(serve_catalog(http_server, 10), conditional_requests=False)
    harvest(source)
    original = datasets_of(source)[identifier(9)]
    serve_catalog(http_server, 9)
    harvest(source)
    serve_catalog(http_server, 10)

    report = harvest(source)

    assert report["updated"] == 1
    revived = package(original["id"])
    assert revived["state"] == "active" and revived["name"] == original["name"]


# -- safeguards: held withdrawals ------------------------------------------------------------


def _held(report: dict[str, Any], source: dict[str, Any], reason: str) -> None:
    assert report["withdrawn"] == 0 and report["needs_steward"]
    assert reason in report["hold_reason"]
    assert any("withdrawals held for a steward" in e for e in report["errors"])
    assert len(datasets_of(source)) == 10  # everything still published


@pytest.mark.usefixtures("partners")
def test_large_withdrawal_is_held_until_a_steward_releases_it(http_server: Server) -> None:
    source = make_source(serve_catalog(http_server, 10), conditional_requests=False)
    harvest(source)
    serve_catalog(http_server, 7)  # 3 of 10 gone: 30 % > 20 %

    report = harvest(source)

    _held(report, source, "more than the allowed 20%")
    assert report["held"] == 3
    released = call_action("twin_harvest_withdrawals_release", source_id=source["name"])
    assert released["withdrawn"] == 3
    assert set(datasets_of(source)) == {identifier(i) for i in range(7)}
    again = call_action("twin_harvest_job_report", source_id=source["id"])
    assert not again["needs_steward"] and again["released_at"]


@pytest.mark.usefixtures("partners")
def test_configured_share_lets_a_larger_withdrawal_through(http_server: Server) -> None:
    source = make_source(serve_catalog(http_server, 10), conditional_requests=False,
                         max_withdrawal_share=0.5)
    harvest(source)
    serve_catalog(http_server, 7)

    report = harvest(source)

    assert report["withdrawn"] == 3 and report["held"] == 0


@pytest.mark.usefixtures("partners")
def test_empty_answer_holds_withdrawals(http_server: Server) -> None:
    url = serve_catalog(http_server, 10, page_size=100)
    source = make_source(url, conditional_requests=False)
    harvest(source)
    http_server.content("/catalog?page=1", catalog_pages(0, 100, lambda n: url)[0])

    _held(harvest(source), source, "no datasets at all")


@pytest.mark.usefixtures("partners")
def test_error_page_holds_withdrawals(http_server: Server) -> None:
    url = serve_catalog(http_server, 10, page_size=100)
    source = make_source(url, conditional_requests=False)
    harvest(source)
    http_server.content("/catalog?page=1", b"<html><body>Wartungsarbeiten</body></html>",
                        "text/html")

    report = harvest(source)

    _held(report, source, "could not be read completely")
    assert not report["complete"]


@pytest.mark.usefixtures("partners")
def test_server_error_mid_run_keeps_earlier_pages_and_holds_the_rest(
        http_server: Server) -> None:
    source = make_source(serve_catalog(http_server, 10, page_size=5),
                         conditional_requests=False)
    harvest(source)
    serve_catalog(http_server, 10, page_size=5, options=Options(titles={0: "Geändert"}))
    http_server.status("/catalog?page=2", 500)

    report = harvest(source)

    assert report["updated"] == 1  # page 1 was read
    _held(report, source, "could not be read completely")
    assert any("500" in e for e in report["errors"])


@pytest.mark.usefixtures("partners")
def test_paging_cycle_ends_the_walk_and_holds_withdrawals(http_server: Server) -> None:
    def url(number: int) -> str:
        return http_server.url(f"/cycle?page={number}")
    for number, body in enumerate(catalog_pages(9, 3, url, links={3: 2}), 1):
        http_server.content(f"/cycle?page={number}", body)
    source = make_source(url(1))

    report = harvest(source)

    assert report["added"] == 9 and not report["complete"]
    assert any("cycle" in e for e in report["errors"])
    assert len(http_server.requests) == 3  # every page once


# -- identity and the partner registry -------------------------------------------------------


@pytest.mark.usefixtures("partners")
def test_registry_decides_the_municipality_and_payload_claims_are_warnings(
        http_server: Server) -> None:
    # A catalog that says it is Munich's, configured as Garching's source.
    source = make_source(serve_catalog(http_server, 3), partner="garching",
                         name="garching-dcat")

    report = harvest(source)

    assert report["added"] == 3
    dataset = datasets_of(source)[identifier(1)]
    assert dataset["organization"]["name"] == "garching"
    assert dataset["contributor_id"] == []
    garching = load_partners(ROOT / "config" / "partners.yaml")[2]
    assert garching.id == "garching"
    assert dataset["political_geocoding_uri"] == \
        [f"http://dcat-ap.de/def/politicalGeocoding/regionalKey/{garching.regional_key}"]
    claims = [w for w in report["warnings"] if identifier(1) in w]
    assert any("landeshauptstadtMuenchen" in w and "contributorID" in w for w in claims)
    assert any("politicalGeocodingURI" in w for w in claims)


@pytest.mark.usefixtures("partners")
def test_same_identifiers_in_two_sources_never_touch_each_other(http_server: Server) -> None:
    munich = make_source(serve_catalog(http_server, 5), name="muenchen-dcat")
    other = make_source(serve_catalog(http_server, 5, prefix="/copy",
                                      options=Options(titles={0: "Kopie"})),
                        partner="ismaning", name="ismaning-dcat")
    harvest(munich)
    before = datasets_of(munich)

    harvest(other)
    serve_catalog(http_server, 0, prefix="/copy")

    assert datasets_of(munich) == before  # nothing of Munich's changed
    copies = datasets_of(other)
    assert copies[identifier(0)]["id"] != before[identifier(0)]["id"]
    assert copies[identifier(0)]["name"] != before[identifier(0)]["name"]


@pytest.mark.usefixtures("partners")
def test_duplicates_within_a_source_newest_modified_wins(http_server: Server) -> None:
    from datetime import UTC, datetime
    options = Options(identifiers={4: identifier(1)},  # dataset 4 claims dataset 1's id
                      modified={4: datetime(2030, 1, 1, tzinfo=UTC)},
                      titles={4: "Neuere Fassung"})
    source = make_source(serve_catalog(http_server, 6, page_size=3, options=options))

    report = harvest(source)

    published = datasets_of(source)
    assert len(published) == 5 and published[identifier(1)]["title"] == "Neuere Fassung"
    assert any("duplicate identifier" in w and identifier(1) in w
               for w in report["warnings"])


# -- bad records, vocabularies, policy seam --------------------------------------------------

BROKEN = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://example.org/catalog> a dcat:Catalog ;
    dcat:dataset <https://example.org/d/ok>, <https://example.org/d/untitled> .
<https://example.org/d/ok> a dcat:Dataset ; dct:identifier "ok" ;
    dct:title "Luftqualität"@de ; dct:description "Messwerte"@de ;
    dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2_0> ;
    dcat:distribution <https://example.org/d/ok/csv> .
<https://example.org/d/ok/csv> a dcat:Distribution ;
    dcat:accessURL <https://example.org/ok.csv> ; dct:format "Tabellenkalkulation" .
<https://example.org/d/untitled> a dcat:Dataset ; dct:identifier "untitled" ;
    dct:description "Kein Titel"@de .
""".encode()


@pytest.mark.usefixtures("partners")
def test_a_bad_record_is_reported_with_its_identifier_and_the_run_goes_on(
        http_server: Server) -> None:
    source = make_source(http_server.content("/broken.ttl", BROKEN))

    report = harvest(source)

    assert (report["added"], report["errored"]) == (1, 1)
    assert any(e.startswith("record untitled:") and "title" in e.lower()
               for e in report["errors"])
    dataset = datasets_of(source)["ok"]
    # A superseded licence URI is upgraded; an unknown format is kept, with a warning.
    assert dataset["license_id"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert dataset["resources"][0]["format"] == "Tabellenkalkulation"
    assert any(w.startswith("record ok:") and "Tabellenkalkulation" in w
               for w in report["warnings"])


@pytest.mark.usefixtures("partners")
def test_every_written_dataset_carries_what_the_source_declares(http_server: Server) -> None:
    """DCAT-AP.de cannot say whether a dataset holds personal data or how it is classified;
    the partner declares it for the source, and every dataset it writes carries it for the
    access policies (without it the policies read personal and secret)."""
    declared = make_source(serve_catalog(http_server, 3), personal_data=False,
                           classification="internal")
    harvest(declared)
    assert {(d["personal_data"], d["classification"])
            for d in datasets_of(declared).values()} == {("false", "internal")}

    silent = make_source(serve_catalog(http_server, 2, prefix="/other"), partner="ismaning",
                         name="ismaning-dcat")
    harvest(silent)
    assert all(not d.get("personal_data") and not d.get("classification")
               for d in datasets_of(silent).values())


# -- formats, real catalogs, validation --------------------------------------------------------


@pytest.mark.usefixtures("partners")
@pytest.mark.parametrize("fmt", ["xml", "json-ld", "nt"])
def test_other_rdf_formats(http_server: Server, fmt: str) -> None:
    from support.catalogs import MEDIA_TYPES
    def url(number: int) -> str:
        return http_server.url(f"/{fmt}?page={number}")
    for number, body in enumerate(catalog_pages(6, 3, url, fmt=fmt), 1):
        # No useful content type: the format is sniffed.
        http_server.content(f"/{fmt}?page={number}", body,
                            "application/octet-stream" if fmt == "nt" else MEDIA_TYPES[fmt])
    source = make_source(url(1))

    assert harvest(source)["added"] == 6


@pytest.mark.usefixtures("partners")
@pytest.mark.parametrize("name, refused", [
    ("rostock-catalog-original-input.rdf", set()),
    ("bremen-catalog-original-input.rdf", set()),
    # Two records without dct:description, which DCAT-AP.de makes mandatory.
    ("brandenburg-catalog-original-input.rdf", {"kommunalverzeichnis", "behoerdenverzeichnis"}),
    ("destatis-catalog-original-input.rdf", set()),
])
def test_real_catalog_pages(http_server: Server, name: str, refused: set[str]) -> None:
    source = make_source(http_server.file(f"/{name}", name))

    report = harvest(source)

    assert report["added"] > 0 and report["errored"] == len(refused), report["errors"][:3]
    assert report["added"] == len(datasets_of(source))
    for key in refused:
        assert any(key in e and "Notes: Missing value" in e for e in report["errors"])


@pytest.mark.usefixtures("partners")
@pytest.mark.parametrize("path", ["spec-v3.0/Dataset-und-Distribution.ttl",
                                  "spec-v3.0/DatasetSeries.ttl"])
def test_official_examples(http_server: Server, path: str) -> None:
    body = (EXAMPLES / path).read_bytes()
    source = make_source(http_server.content("/example.ttl", body))

    report = harvest(source)

    assert report["added"] >= 1 and report["errored"] == 0, report["errors"][:3]


@pytest.mark.usefixtures("partners")
def test_harvested_datasets_validate_as_dcat_ap_de(http_server: Server) -> None:
    from ckanext.twin.dcat import reports
    source = make_source(serve_catalog(http_server, 2))
    harvest(source)

    for dataset in datasets_of(source).values():
        report = reports.dataset_report(package(dataset["id"]))
        assert report.violations == [], [v.message for v in report.violations]


# -- configuration and reach -----------------------------------------------------------------


@pytest.mark.usefixtures("partners")
@pytest.mark.parametrize("config, message", [
    ("", "must name the partner"),
    ('{"partner": "atlantis"}', "'partner' must be one of"),
    ('{"partner": "garching", "max_pages": 0}', "'max_pages' must be at least 1"),
    ('{"partner": "garching", "allowed_hosts": "127.0.0.1"}', "'allowed_hosts' must be a list"),
    ('{"partner": "garching", "speed": 3}', "unknown key 'speed'"),
    ("{partner: garching}", "not valid JSON"),
    ('{"partner": "garching", "personal_data": "no"}', "'personal_data' must be true or false"),
    ('{"partner": "garching", "classification": "offen"}',
     "'classification' must be one of public, internal, confidential, secret"),
])
def test_source_configuration_errors_say_what_is_wrong(config: str, message: str) -> None:
    import ckan.plugins.toolkit as tk
    sysadmin = factories.Sysadmin()
    with pytest.raises(tk.ValidationError) as error:
        call_action("harvest_source_create", {"user": sysadmin["name"]}, name="bad",
                    url="http://127.0.0.1:1/catalog.ttl", source_type="twin_dcat",
                    owner_org="garching", config=config)
    assert message in " ".join(error.value.error_dict["config"])
    assert call_action("harvest_source_list") == []  # nothing half-created


@pytest.mark.usefixtures("partners")
@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/",
                                    "http://127.0.0.1:9/x", "file:///etc/passwd"])
def test_redirects_to_internal_addresses_are_refused(http_server: Server, target: str) -> None:
    url = http_server.redirect("/moved", target)
    source = make_source(url)  # 127.0.0.1 itself is allowed: only the first hop

    report = harvest(source)

    assert report["added"] == 0 and report["errors"]
    assert not [r for r in http_server.requests if r.path != "/moved"]


@pytest.mark.usefixtures("partners")
def test_loopback_source_needs_to_be_allowed(http_server: Server) -> None:
    url = serve_catalog(http_server, 2)
    sysadmin = factories.Sysadmin()
    source = call_action("harvest_source_create", {"user": sysadmin["name"]},
                         name="unallowed", url=url, source_type="twin_dcat",
                         owner_org="muenchen", config='{"partner": "muenchen"}')

    report = harvest(source)

    assert report["added"] == 0 and http_server.requests == []
    assert any("127.0.0.1" in e for e in report["errors"])


@pytest.mark.usefixtures("partners")
def test_missing_licence_takes_the_source_default_with_a_warning(http_server: Server) -> None:
    body = BROKEN.replace(b"    dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2_0> ;\n", b"")
    source = make_source(http_server.content("/nolicence.ttl", body),
                         default_license="dl-zero-de/2.0")

    report = harvest(source)

    assert datasets_of(source)["ok"]["license_id"] == \
        "http://dcat-ap.de/def/licenses/dl-zero-de/2.0"
    assert any("record ok: no licence URI" in w for w in report["warnings"])


# -- the queue, the stock CLI, stewards --------------------------------------------------------


@pytest.mark.usefixtures("partners")
def test_gather_fetch_and_import_on_the_redis_queue_consumers(http_server: Server) -> None:
    from ckanext.harvest import queue
    source = make_source(serve_catalog(http_server, 4))
    sysadmin = factories.Sysadmin()
    queue.purge_queues()
    job = call_action("harvest_job_create", {"user": sysadmin["name"]},
                      source_id=source["id"], run=True)  # onto the gather queue

    gather = queue.get_gather_consumer()
    for method, header, body in gather.consume(queue=queue.get_gather_queue_name()):
        queue.gather_callback(gather, method, header, body)
        break
    fetch = queue.get_fetch_consumer()
    waiting = fetch.redis.llen(fetch.routing_key)  # messages the gather sent
    assert waiting >= 1
    for method, header, body in fetch.consume(queue=queue.get_fetch_queue_name()):
        queue.fetch_callback(fetch, method, header, body)
        waiting -= 1
        if not waiting:
            break
    call_action("harvest_jobs_run", source_id=source["id"])

    report = call_action("twin_harvest_job_report", id=job["id"])
    assert report["status"] == "Finished" and report["added"] == 4


@pytest.fixture
def operator_ini(make_ini: Any) -> Path:
    """The test ini with this module's plugins, for ``ckan`` run in a subprocess."""
    return make_ini({"ckan.plugins": PLUGINS,
                     "ckanext.twin.partners_file": str(ROOT / "config" / "partners.yaml")})


@pytest.mark.usefixtures("partners")
def test_stock_run_test_command(http_server: Server, operator_ini: Path, run: Any) -> None:
    source = make_source(serve_catalog(http_server, 3))

    result = run("ckan", "-c", str(operator_ini), "harvester", "run-test", source["name"])

    assert result.returncode == 0, result.stderr[-2000:]
    assert len(datasets_of(source)) == 3


@pytest.mark.usefixtures("partners")
def test_only_the_sources_stewards_release_held_withdrawals(http_server: Server) -> None:
    import ckan.plugins.toolkit as tk
    source = make_source(serve_catalog(http_server, 10), conditional_requests=False)
    harvest(source)
    serve_catalog(http_server, 0)
    harvest(source)
    stranger = factories.User()

    with pytest.raises(tk.NotAuthorized):
        call_action("twin_harvest_withdrawals_release",
                    {"user": stranger["name"], "ignore_auth": False}, source_id=source["id"])
    assert len(datasets_of(source)) == 10
    with pytest.raises(tk.ValidationError, match="holds no withdrawals"):
        other = make_source(serve_catalog(http_server, 1, prefix="/x"), name="other")
        harvest(other)
        call_action("twin_harvest_withdrawals_release", source_id=other["id"])


@pytest.mark.usefixtures("partners")
def test_cli_run_shows_progress_and_the_report(http_server: Server, operator_ini: Path,
                                               run: Any) -> None:
    source = make_source(serve_catalog(http_server, 5))

    result = run("ckan", "-c", str(operator_ini), "twin", "harvest", "run", "--all")

    assert result.returncode == 0, result.stderr[-2000:]
    assert "records/s" in result.stdout and "imported 5/5 records" in result.stdout
    assert f"{source['name']}: job" in result.stdout
    assert "added 5, updated 0, unchanged 0, withdrawn 0, held 0, errored 0" in result.stdout
    again = run("ckan", "-c", str(operator_ini), "twin", "harvest", "report", source["name"])
    assert "unchanged 0" in again.stdout and again.returncode == 0


# -- the stewards' panel on the source's admin page ---------------------------------------------


@pytest.mark.usefixtures("partners")
def test_admin_page_shows_the_report_and_releases_held_withdrawals(
        http_server: Server, app: Any) -> None:
    source = make_source(serve_catalog(http_server, 10), conditional_requests=False)
    harvest(source)
    serve_catalog(http_server, 0)
    harvest(source)
    steward = factories.Sysadmin()
    token = factories.APIToken(user=steward["name"])["token"]
    headers = {"Authorization": token}

    page = app.get(f"/harvest/admin/{source['name']}", headers=headers).get_data(as_text=True)

    assert "Letzter Harvest-Lauf" in page and 'data-count="held">10<' in page
    assert "Rücknahmen freigeben" in page and "no datasets at all" in page
    anonymous = app.get(f"/harvest/{source['name']}").get_data(as_text=True)
    assert "Letzter Harvest-Lauf" not in anonymous

    app.post(f"/harvest/admin/{source['name']}/withdrawals/release", headers=headers)

    assert datasets_of(source) == {}


XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY a "aaaaaaaaaa"> <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"> <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dct="http://purl.org/dc/terms/" xmlns:dcat="http://www.w3.org/ns/dcat#">
  <dcat:Dataset rdf:about="https://example.org/d/1"><dct:title>&d;</dct:title></dcat:Dataset>
</rdf:RDF>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dct="http://purl.org/dc/terms/" xmlns:dcat="http://www.w3.org/ns/dcat#">
  <dcat:Dataset rdf:about="https://example.org/d/1"><dct:title>&xxe;</dct:title></dcat:Dataset>
</rdf:RDF>"""


@pytest.mark.usefixtures("partners")
@pytest.mark.parametrize("body", [XML_BOMB, XXE], ids=["xml-bomb", "external-entity"])
def test_hostile_xml_is_refused_with_a_reason(http_server: Server, body: bytes) -> None:
    source = make_source(http_server.content("/hostile.rdf", body, "application/rdf+xml"))

    report = harvest(source)

    assert report["added"] == 0 and not report["complete"]
    assert any("DOCTYPE" in e for e in report["errors"])


@pytest.mark.usefixtures("partners")
def test_oversized_page_is_cut_off_at_the_limit(http_server: Server) -> None:
    url = http_server.endless("/huge.ttl", total=200 * 1024 * 1024, declared=None)
    source = make_source(url, max_page_mb=1)

    report = harvest(source)

    assert report["added"] == 0 and any("MiB" in e or "bytes" in e for e in report["errors"])
    assert http_server.hits("/huge.ttl")[0].sent < 20 * 1024 * 1024


@pytest.mark.usefixtures("partners")
def test_names_spell_umlauts_as_the_portal_does(http_server: Server) -> None:
    source = make_source(serve_catalog(http_server, 1, options=Options(
        titles={0: "Luftqualität in Nürnberg"})))

    harvest(source)

    assert datasets_of(source)[identifier(0)]["name"] == "luftqualitaet-in-nuernberg"


@pytest.mark.usefixtures("partners")
def test_duplicates_across_written_batches(http_server: Server) -> None:
    from datetime import UTC, datetime, timedelta

    from support.catalogs import EPOCH
    newer = Options(identifiers={4: identifier(1)}, modified={4: datetime(2030, 1, 1, tzinfo=UTC)},
                    titles={4: "Neuere Fassung"})
    source = make_source(serve_catalog(http_server, 6, options=newer),
                         conditional_requests=False, import_batch_size=2)

    first = harvest(source)

    assert first["added"] == 5 and job_objects(first["job_id"]) == 5
    assert datasets_of(source)[identifier(1)]["title"] == "Neuere Fassung"
    # Next run: an older, different copy of dataset 5 comes first; the unchanged original
    # after it wins, so the copy's queued object is dropped and nothing is written.
    older = Options(identifiers={0: identifier(5), 4: identifier(1)},
                    modified={0: EPOCH - timedelta(days=1), 4: datetime(2030, 1, 1, tzinfo=UTC)},
                    titles={0: "Alte Kopie", 4: "Neuere Fassung"})
    serve_catalog(http_server, 6, options=older)

    second = harvest(source)

    assert (second["added"], second["updated"], second["withdrawn"]) == (0, 0, 1)  # dataset 0
    assert datasets_of(source)[identifier(5)]["title"] != "Alte Kopie"
