"""The dataset page shows the dataset's extent on a map, with the box as text.

The page is rendered by headless Chromium from the CKAN app served on 127.0.0.1, with the
base map's tiles pointing at a closed port and every other host unresolvable: the extent
must be drawn without any tile server.
"""
from __future__ import annotations

import json
import re
import shutil
import socketserver
import subprocess
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from ckan.tests import factories, helpers

from support.servers import running

CLOSED_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # the discard port: nothing listens
LICENCE = "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
MUENCHEN = {"type": "Polygon", "coordinates": [[[11.36, 48.06], [11.72, 48.06], [11.72, 48.25],
                                               [11.36, 48.25], [11.36, 48.06]]]}

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "twin_search twin_dcat scheming_datasets dcat"),
    pytest.mark.ckan_config("ckanext.twin.map.tiles_url", CLOSED_TILES),
    pytest.mark.ckan_config("ckanext.twin.map.attribution", "Testkacheln"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def site(app, ckan_config, monkeypatch) -> Iterator[str]:
    """The CKAN app of this test on a free port of 127.0.0.1, which is also its site URL
    (the page's scripts load their translations from there before they start)."""
    server = make_server("127.0.0.1", 0, app.app, server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setitem(ckan_config, "ckan.site_url", url)
    with running(server):
        yield url


def rendered(url: str) -> str:
    """The page's DOM after its scripts ran, as headless Chromium sees it, offline."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is installed by scripts/debian-packages.sh"
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         "--virtual-time-budget=10000", "--dump-dom", url],
        capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def dataset(name: str, **fields) -> dict:
    org = factories.Organization()
    return helpers.call_action(
        "package_create", context={"user": factories.Sysadmin()["name"]}, name=name,
        title=name.capitalize(), notes="Stadtgebiet", license_id=LICENCE, owner_org=org["id"],
        **fields)


def test_the_extent_is_drawn_without_a_tile_server(site):
    dataset("stadtgebiet", spatial_coverage=[{"bbox": json.dumps(MUENCHEN)}])
    dom = rendered(f"{site}/dataset/stadtgebiet")

    container = re.search(r'<div id="dataset-map-container"[^>]*>', dom)
    assert container and "leaflet-container" in container.group(0)
    assert 'aria-describedby="twin-extent-text"' in container.group(0)
    extent = re.search(r'<path class="leaflet-interactive"[^>]* d="M([^"]+)"', dom)
    assert extent, "the extent layer is drawn as an SVG path"
    assert len(re.findall(r"[ML]", "M" + extent.group(1))) >= 4  # a box, not a dot
    assert "Testkacheln" in dom  # the configured attribution
    tiles = [re.search(r'src="([^"]+)"', img).group(1)
             for img in re.findall(r"<img[^>]*>", dom) if "leaflet-tile" in img]
    assert tiles and all(t.startswith("http://127.0.0.1:9/") for t in tiles)
    assert ("Bounding box (WGS 84, degrees): west 11.3600, south 48.0600, east 11.7200, "
            "north 48.2500") in " ".join(dom.split())


def test_german_labels_and_no_map_without_extent(app):
    dataset("stadtgebiet", spatial_coverage=[{"bbox": json.dumps(MUENCHEN)}])
    dataset("ohne-raumbezug")
    german = app.get("/de/dataset/stadtgebiet").get_data(as_text=True)
    assert "Räumliche Ausdehnung" in german
    assert "West 11,3600, Süd 48,0600" in german and "Nord 48,2500" in german
    assert 'data-module="dataset-map"' in german
    page = app.get("/dataset/ohne-raumbezug").get_data(as_text=True)
    assert "dataset-map" not in page and "twin-extent-text" not in page
