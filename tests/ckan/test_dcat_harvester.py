"""The ``twin_dcat`` harvester end to end: catalogs served on 127.0.0.1, harvested into CKAN
with ckanext-harvest's own stages, read back through the action API."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from support.catalogs import Options, catalog_pages, identifier
from support.servers import Server

from ckanext.twin.logic.partners import sync_partners
from ckanext.twin.partners import load_partners

PLUGINS = ("twin_search twin twin_dcat scheming_datasets dcat harvest twin_harvest "
           "twin_dcat_harvester")
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "fixtures" / "dcat-ap-de" / "examples"

pytestmark = [pytest.mark.ckan_config("ckan.plugins", PLUGINS),
              pytest.mark.ckan_config("ckanext.twin.partners_file",
                                      str(ROOT / "config" / "partners.yaml")),
              pytest.mark.usefixtures("with_plugins", "harvest_db", "clean_index")]


@pytest.fixture
def partners(with_plugins: None, harvest_db: None, clean_index: None) -> None:
    """The partner organizations, created from the registry as `make run` does."""
    list(sync_partners(load_partners(ROOT / "config" / "partners.yaml")))


def serve_catalog(server: Server, total: int, page_size: int = 10,
                  options: Options | None = None, prefix: str = "/catalog") -> str:
    """Serves a generated catalog (Turtle pages with ETags); the first page's URL."""
    def url(number: int) -> str:
        return server.url(f"{prefix}?page={number}")
    for number, body in enumerate(catalog_pages(total, page_size, url, options), 1):
        server.conditional(f"{prefix}?page={number}", body, etag=f'"{hash(body)}"')
    return url(1)


def make_source(url: str, partner: str = "muenchen", name: str = "muenchen-dcat",
                **config: Any) -> dict[str, Any]:
    sysadmin = factories.Sysadmin()
    return call_action("harvest_source_create", {"user": sysadmin["name"]},
                       name=name, title=name, url=url, source_type="twin_dcat",
                       owner_org=partner,
                       config=json.dumps({"partner": partner,
                                          "allowed_hosts": ["127.0.0.1"], **config}))


def harvest(source: dict[str, Any]) -> dict[str, Any]:
    from ckanext.twin.harvest import runner
    lines: list[str] = []
    site = call_action("get_site_user")["name"]
    return runner.run(source["id"], {"user": site, "ignore_auth": True}, lines.append)


def datasets_of(source: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The source's published datasets by their dct:identifier."""
    found = call_action("package_search", fq=f'harvest_source_id:"{source["id"]}"',
                        rows=1000, include_private=True)["results"]
    return {d["identifier"]: d for d in found}


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
