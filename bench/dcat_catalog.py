"""The published DCAT-AP.de catalog at 10,000 datasets: serialization, paging, validation.

Run: ``.venv/bin/python -m bench.dcat_catalog [--ini config/ckan.ini] [--datasets 10000]``
(or ``.venv/bin/python bench/dcat_catalog.py …``; ``python -m bench`` runs it with defaults).
It loads CKAN from the ini, with three changes: the database is ``twin_bench`` (created on
first use as the postgres superuser, owned by the ini's role; never the dev or test
database), the plugins are the catalog's (``BENCH_PLUGINS``) and a catalog page has 100
datasets (ckanext-dcat's default, set explicitly). Into it go the partner
registry and N generated DCAT-AP.de datasets, all through the action API (``package_create``
with the schema's validation and search indexing, as a steward's form does), named
``bench-00001`` …; a second run reuses them. ``--drop`` drops the database afterwards.

(a) one 100-dataset catalog page serialized to Turtle with ``dcatap_de`` and with
    ckanext-dcat's ``euro_dcat_ap_3`` on the same dataset dicts, interleaved repetitions;
(b) ``/catalog.ttl`` walked page by page through the test client until its 404;
(c) ``validate()`` on page 1 of (b) in a fresh process: time and peak RSS.
"""
from __future__ import annotations

import argparse
import copy
import itertools
import multiprocessing
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATABASE = "twin_bench"
BENCH_PLUGINS = "twin_search twin twin_dcat scheming_datasets dcat"
PAGE_SIZE = 100
PROFILES = ("dcatap_de", "euro_dcat_ap_3")  # ours, ckanext-dcat's stock DCAT-AP 3
DATASET_SUBJECT = re.compile(r"^<([^>]+)> a dcat:Dataset\b", re.MULTILINE)

THEMES = ("ENVI", "TRAN", "GOVE", "ECON", "SOCI", "HEAL", "EDUC", "REGI", "ENER", "TECH")
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "ANNUAL", "HOURLY")
FORMATS = ("CSV", "JSON", "GEOJSON", "XLSX", "PDF", "WMS_SRVC")
LICENCES = ("dl-by-de/2.0", "dl-zero-de/2.0")
SUBJECTS = ("Luftqualität", "Verkehrszählung", "Haushaltsplan", "Baustellen", "Parkplätze",
            "Radwege", "Schulen", "Wahlergebnisse", "Bevölkerung", "Lärmkarte")
EU = "http://publications.europa.eu/resource/authority/"


def generated_dataset(number: int, partner: str, title: str) -> dict[str, Any]:
    """Dataset ``number`` of the bench: every DCAT-AP.de field the demo datasets use."""
    subject = SUBJECTS[number % len(SUBJECTS)]
    formats = FORMATS[number % len(FORMATS)], FORMATS[(number + 1) % len(FORMATS)]
    return {
        "name": f"bench-{number:05d}",
        "owner_org": partner,
        "title": f"{subject} {title} ({number})",
        "notes": f"{subject} in {title}: generierter Datensatz Nr. {number} des Benchmarks.",
        "tag_string": f"{subject},Benchmark,Jahr {2000 + number % 25}",
        "theme": [EU + "data-theme/" + THEMES[number % len(THEMES)]],
        "license_id": "http://dcat-ap.de/def/licenses/" + LICENCES[number % len(LICENCES)],
        "access_rights": EU + "access-right/PUBLIC",
        "frequency": EU + "frequency/" + FREQUENCIES[number % len(FREQUENCIES)],
        "language": [EU + "language/DEU"],
        "contact": [{"name": f"Open-Data-Team {title}", "email": "opendata@example.org"}],
        "temporal_coverage": [{"start": f"{2000 + number % 25}-01-01",
                               "end": f"{2000 + number % 25}-12-31"}],
        "resources": [{"name": f"{subject} ({fmt})", "format": EU + "file-type/" + fmt,
                       "url": f"https://daten.example.org/{partner}/{number}/{fmt.lower()}"}
                      for fmt in formats],
    }


# -- environment -------------------------------------------------------------------------------

def bench_url(url: str) -> str:
    """The ini's database URL with the database name replaced by ``twin_bench``."""
    from sqlalchemy.engine import make_url
    return make_url(url).set(database=DATABASE).render_as_string(hide_password=False)


def provision(url: str) -> None:
    """Creates ``twin_bench`` owned by the URL's role, as the postgres superuser, once."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url
    target = make_url(url)
    with sa.create_engine(target.set(database="postgres")).connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                              {"name": DATABASE}).scalar()
    if exists:
        return
    sql = (f"CREATE DATABASE {DATABASE} OWNER {target.username} ENCODING 'UTF8' "
           "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0")
    try:
        subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-v",
                        "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql], check=True, cwd="/")
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"bench: cannot create database {DATABASE} ({error}); as the postgres "
                 f"superuser run: psql -d postgres -c \"{sql}\"")


def drop(url: str) -> None:
    from sqlalchemy.engine import make_url
    subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-d", "postgres",
                    "-c", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"], check=True, cwd="/")
    print(f"dropped database {DATABASE} ({make_url(url).host})")


def load_app(ini: Path) -> Any:
    """CKAN from ``ini``, on ``twin_bench`` with the catalog's plugins; tables created."""
    from ckan import model
    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    config = load_config(str(ini))
    config["sqlalchemy.url"] = bench_url(config["sqlalchemy.url"])
    provision(config["sqlalchemy.url"])
    config["ckan.plugins"] = BENCH_PLUGINS
    config["ckanext.dcat.datasets_per_page"] = str(PAGE_SIZE)
    app = make_app(config)
    model.repo.init_db()
    return app


def seed(count: int) -> None:
    """Partners and datasets ``bench-00001`` … ``bench-<count>``; existing ones are kept."""
    import ckan.plugins.toolkit as tk

    from ckanext.twin.logic.partners import sync_partners
    from ckanext.twin.partners import load_partners

    partners = load_partners(REPO / "config" / "partners.yaml")
    list(sync_partners(partners))
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    existing = set(tk.get_action("package_list")({"user": site_user}, {}))
    missing = [n for n in range(1, count + 1) if f"bench-{n:05d}" not in existing]
    owners = itertools.cycle(partners)
    start = time.perf_counter()
    for done, number in enumerate(missing, start=1):
        partner = next(owners)
        tk.get_action("package_create")({"user": site_user, "ignore_auth": True},
                                        generated_dataset(number, partner.id, partner.title))
        if done % 500 == 0 or done == len(missing):
            elapsed = time.perf_counter() - start
            print(f"  created {done}/{len(missing)} datasets, {done / elapsed:.1f}/s", flush=True)
    line("datasets in the catalog", f"{count} ({len(missing)} created now)")


# -- measurements --------------------------------------------------------------------------------

def line(label: str, value: str) -> None:
    print(f"{label:<52} {value}", flush=True)


def timed(function: Callable[[], Any],
          clock: Callable[[], float] = time.perf_counter) -> tuple[float, Any]:
    start = clock()
    value = function()
    return clock() - start, value


def serialization(repetitions: int) -> None:
    """(a): the same 100 dataset dicts through both profiles, alternating which goes first,
    after one untimed run of each (the first run loads the scheming schema and vocabularies).
    CPU time of this process: other load on the machine does not tilt the ratio."""
    from ckanext.dcat import logic as dcat_logic
    from ckanext.dcat.processors import RDFSerializer

    datasets = dcat_logic._search_ckan_datasets({}, {"page": 1})["results"]
    seconds: dict[str, list[float]] = {profile: [] for profile in PROFILES}
    triples: dict[str, int] = {}
    for repetition in range(-1, repetitions):
        order = PROFILES if repetition % 2 == 0 else PROFILES[::-1]
        for profile in order:
            dicts = copy.deepcopy(datasets)
            serializer = RDFSerializer(profiles=[profile])
            took, _ = timed(partial(serializer.serialize_catalog, {}, dicts, _format="turtle"),
                            clock=time.process_time)
            if repetition >= 0:
                seconds[profile].append(took)
            triples[profile] = len(serializer.g)
    for profile in PROFILES:
        median = statistics.median(seconds[profile])
        line(f"(a) {len(datasets)}-dataset page to Turtle, {profile}",
             f"CPU median {median:.3f} s, min {min(seconds[profile]):.3f} s ({repetitions} runs), "
             f"{triples[profile]} triples, {median / triples[profile] * 1e6:.0f} µs/triple")
    ours, stock = (statistics.median(seconds[p]) for p in PROFILES)
    line("(a) ratio dcatap_de / euro_dcat_ap_3 (median)",
         f"{ours / stock:.2f} time, {triples[PROFILES[0]] / triples[PROFILES[1]]:.2f} triples")


def walk(app: Any) -> str:
    """(b): every page of /catalog.ttl until the 404; returns page 1 for (c)."""
    from ckanext.dcat import logic as dcat_logic

    client = app.test_client()
    pages: list[str] = []
    start = time.perf_counter()
    while True:
        response = client.get("/catalog.ttl", query_string={"page": len(pages) + 1})
        if response.status_code == 404:
            break
        assert response.status_code == 200, response.status_code
        pages.append(response.get_data(as_text=True))
    took = time.perf_counter() - start
    datasets = set(itertools.chain.from_iterable(DATASET_SUBJECT.findall(p) for p in pages))
    line("(b) /catalog.ttl walked", f"{len(pages)} pages, {len(datasets)} distinct datasets")
    line("(b) total (incl. the closing 404)", f"{took:.1f} s, {len(pages) / took:.2f} pages/s, "
                                              f"{len(datasets) / took:.0f} datasets/s")
    with app.test_request_context():
        searches = [timed(lambda: dcat_logic._search_ckan_datasets({}, {"page": 1}))[0]
                    for _ in range(5)]
    line("(b) of which the catalog search, per page", f"{statistics.median(searches):.3f} s "
         "(package_search, 100 rows by metadata_modified)")
    return pages[0]


def validate_page(turtle: str, results: Any) -> None:
    """In a fresh process (so peak RSS is validation's own): parse, validate twice."""
    from rdflib import Graph

    from ckanext.twin.dcat import validation
    took_parse, graph = timed(lambda: Graph().parse(data=turtle, format="turtle"))
    took_first, report = timed(lambda: validation.validate(graph))
    took_second, _ = timed(lambda: validation.validate(graph))
    results.put({"triples": len(graph), "parse": took_parse, "first": took_first,
                 "second": took_second, "report": report.to_dict(),
                 "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def shacl(turtle: str) -> None:
    """(c): SHACL on page 1; the first call includes parsing shapes and vocabularies."""
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    child = spawn.Process(target=validate_page, args=(turtle, results))
    child.start()
    figures = results.get()
    child.join()
    report = figures["report"]
    line("(c) page 1 as a graph", f"{figures['triples']} triples, parsed in "
                                  f"{figures['parse']:.2f} s")
    line("(c) validate(), first call (loads shapes, vocabularies)", f"{figures['first']:.2f} s")
    line("(c) validate(), second call", f"{figures['second']:.2f} s (target < 5 s)")
    line("(c) peak RSS of the validating process", f"{figures['rss']:.0f} MiB")
    line("(c) violations / warnings / known defects",
         f"{len(report['violations'])} / {len(report['warnings'])} / "
         f"{len(report['known_defects'])}")
    for message in sorted({v["message"] for v in report["violations"]}):
        print(f"      violation: {message}")


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dcat_catalog", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ini", type=Path, default=REPO / "config" / "ckan.ini")
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--drop", action="store_true", help=f"drop {DATABASE} afterwards")
    args = parser.parse_args(argv)
    if not args.ini.exists():
        sys.exit(f"bench: {args.ini} not found (render it: python3 scripts/render_config.py "
                 "--only ckan)")
    app = load_app(args.ini)
    flask_app = app._wsgi_app  # the Flask app behind CKAN's middleware
    with flask_app.test_request_context():
        took, _ = timed(lambda: seed(args.datasets))
        line("seeding (action API)", f"{took:.1f} s")
        serialization(args.repetitions)
    page = walk(flask_app)
    shacl(page)
    if args.drop:
        from ckan import model
        from ckan.common import config
        model.Session.remove()
        model.meta.engine.dispose()
        drop(config["sqlalchemy.url"])


if __name__ == "__main__":
    main(sys.argv[1:])
