"""Harvesting a generated DCAT-AP.de catalog: ``twin_dcat`` against ckanext-dcat's ``dcat_rdf``.

Run: ``.venv/bin/python -m bench.dcat_harvest [--ini config/ckan.ini] [--sizes 1000,5000]
[--page-size 100] [--keep] [--profile]`` (``python -m bench`` runs it with defaults).

For each size, this process serves the catalog of ``tests/support/catalogs.py`` (Turtle pages
of 100 datasets with ckanext-dcat's Hydra paging links and an ETag each, answering 304 to
``If-None-Match``) on 127.0.0.1. Each harvester then runs in a fresh process (so its peak RSS
is its own) on a fresh database ``twin_bench_harvest_<source type>_<size>`` (created as the
postgres superuser, owned by the ini's role, dropped afterwards unless ``--keep``), with the
same plugins, the same ``dcatap_de`` profile and the same scheming schema, so both parse and
validate the same data for the same portal. Our datasets go to the partner ``muenchen``, the
anchor's to a fresh organization ``bench-anchor``.

In that process: the first harvest, then a re-harvest of the unchanged catalog and, for
``twin_dcat``, one more with ``"conditional_requests": false`` (what a re-harvest costs when
the server sends no validators). Every job runs through ``ckanext.twin.harvest.runner.run``,
i.e. ckanext-harvest's own ``gather_stage``, ``fetch_and_import_stages`` per object and
``harvest_jobs_run``, for both harvesters alike. Targets (issue 4): first harvest at least 2×
faster, re-harvest at least 10× faster, peak RSS flat from the smallest to the largest size.
``--profile`` runs each first harvest under cProfile and prints the 30 most expensive calls
by cumulative time (its figures then include the profiler's overhead).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import cProfile
import hashlib
import json
import multiprocessing
import os
import pstats
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.dcat_catalog import REPO, line, timed
from tests.support.catalogs import catalog_pages
from tests.support.servers import Server, serve

PLUGINS = ("twin_search twin twin_dcat scheming_datasets dcat harvest twin_harvest "
           "twin_dcat_harvester dcat_rdf_harvester")
OURS, ANCHOR = "twin_dcat", "dcat_rdf"  # source types
PARTNER = "muenchen"  # the generated catalog is Munich's
ANCHOR_ORG = "bench-anchor"
SOURCE_CONFIGS = {OURS: {"partner": PARTNER, "allowed_hosts": ["127.0.0.1"]},
                  ANCHOR: {"rdf_format": "turtle"}}
FIRST, AGAIN, UNCONDITIONAL = "first harvest", "re-harvest, unchanged catalog", \
    "re-harvest, no conditional requests"
TARGETS = {FIRST: 2.0, AGAIN: 10.0, UNCONDITIONAL: 10.0}  # anchor time / our time, at least
FLAT = 0.10  # "flat": peak RSS at the largest size at most 10 % above the smallest


# -- the catalog (this process) ------------------------------------------------------------------

def serve_catalog(server: Server, size: int, page_size: int) -> str:
    """The generated catalog of ``size`` datasets at /catalog-<size>?page=N; page 1's URL."""
    def url(number: int) -> str:
        return server.url(f"/catalog-{size}?page={number}")
    for number, body in enumerate(catalog_pages(size, page_size, url), 1):
        server.conditional(f"/catalog-{size}?page={number}", body,
                           etag=f'"{hashlib.sha256(body).hexdigest()[:16]}"')
    return url(1)


def measure(harvester: str, size: int, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """One harvester on one catalog, in a fresh process of its own (spawned, not forked)."""
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        return pool.submit(harvest_in_fresh_process, harvester, size, url, args.ini,
                           args.keep, args.profile).result()


# -- one harvester in its own process ------------------------------------------------------------

def superuser_sql(sql: str) -> None:
    """Runs ``sql`` with psql as the postgres superuser (the ini's role may not create
    databases)."""
    try:
        subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-v",
                        "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql], check=True, cwd="/",
                       env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"})
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"bench: psql as postgres failed ({error}); as the postgres superuser run: "
                 f"psql -d postgres -c \"{sql}\"")


def fresh_database(url: str, name: str) -> str:
    """``url`` pointing at a new, empty database ``name`` owned by the URL's role."""
    from sqlalchemy.engine import make_url
    target = make_url(url)
    superuser_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    superuser_sql(f"CREATE DATABASE {name} OWNER {target.username} ENCODING 'UTF8' "
                  "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0")
    return target.set(database=name).render_as_string(hide_password=False)


def start_ckan(ini: Path, database: str) -> Any:
    """CKAN from ``ini`` on a fresh ``database`` with the bench's plugins; tables created."""
    from ckan import model
    from ckan.cli import load_config
    from ckan.cli.db import _run_migrations
    from ckan.config.middleware import make_app
    config = load_config(str(ini))
    config.update({"sqlalchemy.url": fresh_database(config["sqlalchemy.url"], database),
                   "ckan.plugins": PLUGINS, "ckanext.dcat.rdf.profiles": "dcatap_de"})
    app = make_app(config)
    model.repo.init_db()
    _run_migrations("harvest")
    return app


def site_context() -> dict[str, Any]:
    import ckan.plugins.toolkit as tk
    return {"user": tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"],
            "ignore_auth": True}


def create_source(harvester: str, url: str) -> tuple[str, str]:
    """The partner organizations (as ``make run`` creates them), the harvester's
    organization and its harvest source: (source id, organization id)."""
    import ckan.plugins.toolkit as tk

    from ckanext.twin.logic.partners import sync_partners
    from ckanext.twin.partners import load_partners

    list(sync_partners(load_partners(REPO / "config" / "partners.yaml")))
    context = site_context()
    owner = PARTNER if harvester == OURS else tk.get_action("organization_create")(
        dict(context), {"name": ANCHOR_ORG, "title": "Benchmark anchor"})["name"]
    source = tk.get_action("harvest_source_create")(dict(context), {
        "name": f"bench-{harvester.replace('_', '-')}", "title": f"Benchmark {harvester}",
        "url": url, "source_type": harvester, "owner_org": owner,
        "config": json.dumps(SOURCE_CONFIGS[harvester])})
    return source["id"], tk.get_action("organization_show")(dict(context), {"id": owner})["id"]


def run_job(source_id: str, label: str, profile: bool = False) -> dict[str, Any]:
    """One harvest job: wall-clock seconds, the gather/import split (from the job's own
    timestamps) and its report (added, updated, unchanged, errored …)."""
    from ckanext.harvest.model import HarvestJob

    from ckanext.twin.harvest import runner

    def say(text: str) -> None:
        print(f"    {label}: {text}", flush=True)

    def job() -> dict[str, Any]:
        return runner.run(source_id, site_context(), say, every=30.0)

    profiler = cProfile.Profile() if profile else None
    seconds, report = timed(lambda: profiler.runcall(job) if profiler else job())
    if profiler:
        print(f"    {label}: cProfile, 30 most expensive calls by cumulative time", flush=True)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
    record = HarvestJob.get(report["job_id"])
    return {**report, "seconds": seconds,
            "gather": (record.gather_finished - record.gather_started).total_seconds(),
            "import": (record.finished - record.gather_finished).total_seconds()}


def published(organization_id: str) -> int:
    from ckan import model
    return model.Session.query(model.Package).filter_by(
        owner_org=organization_id, type="dataset", state="active").count()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def harvest_in_fresh_process(harvester: str, size: int, url: str, ini: Path, keep: bool,
                             profile: bool) -> dict[str, Any]:
    """First harvest and re-harvest(s) of one catalog; runs in a spawned process."""
    import ckan.plugins.toolkit as tk
    from ckan import model

    database = f"twin_bench_harvest_{harvester}_{size}"
    app = start_ckan(ini, database)
    with app._wsgi_app.test_request_context():
        source_id, organization_id = create_source(harvester, url)
        started = peak_rss_mib()
        label = f"{harvester} {size}"
        jobs = {FIRST: run_job(source_id, f"{label} {FIRST}", profile)}
        count = published(organization_id)
        jobs[AGAIN] = run_job(source_id, f"{label} {AGAIN}")
        if harvester == OURS:
            tk.get_action("harvest_source_patch")(site_context(), {
                "id": source_id,
                "config": json.dumps({**SOURCE_CONFIGS[OURS], "conditional_requests": False})})
            jobs[UNCONDITIONAL] = run_job(source_id, f"{label} {UNCONDITIONAL}")
    figures = {"jobs": jobs, "published": count, "rss_started": started,
               "rss_peak": peak_rss_mib()}
    model.Session.remove()
    model.meta.engine.dispose()
    if not keep:
        superuser_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    return figures


# -- the table -----------------------------------------------------------------------------------

def row(label: str, ours: str, anchor: str, ratio: str = "") -> None:
    print(f"{label:<40} {ours:<24} {anchor:<24} {ratio}".rstrip(), flush=True)


def job_cells(job: dict[str, Any], size: int) -> tuple[str, str, str]:
    """A job's time and rate, its gather / import split and its counts."""
    counts = "/".join(str(job[k]) for k in ("added", "updated", "unchanged", "errored"))
    return (f"{job['seconds']:.1f} s, {size / job['seconds']:.0f}/s",
            f"{job['gather']:.1f} s / {job['import']:.1f} s", counts)


def verdict(name: str, anchor_seconds: float, our_seconds: float) -> str:
    ratio = anchor_seconds / our_seconds
    met = "met" if ratio >= TARGETS[name] else "NOT met"
    return f"{ratio:.1f}× (target ≥ {TARGETS[name]:.0f}×: {met})"


def report_size(size: int, pages: int, ours: dict[str, Any], anchor: dict[str, Any]) -> None:
    """Our jobs next to the anchor's; the anchor never asks conditionally, so both our
    re-harvests are held against its one re-harvest."""
    print()
    row(f"{size:,} datasets, {pages} pages", OURS, f"{ANCHOR} (anchor)", "anchor / ours")
    for name in (FIRST, AGAIN, UNCONDITIONAL):
        theirs = anchor["jobs"][FIRST if name == FIRST else AGAIN]
        mine = job_cells(ours["jobs"][name], size)
        cells = job_cells(theirs, size) if name != UNCONDITIONAL else ("(as above)", "", "")
        row(name, mine[0], cells[0], verdict(name, theirs["seconds"],
                                              ours["jobs"][name]["seconds"]))
        row("  gather / import", mine[1], cells[1])
        row("  added/updated/unchanged/errored", mine[2], cells[2])
    row("datasets published by the first", str(ours["published"]), str(anchor["published"]))
    row("peak RSS (RSS at start)", *(f"{f['rss_peak']:.0f} MiB ({f['rss_started']:.0f})"
                                                  for f in (ours, anchor)))


def report_memory(results: dict[tuple[str, int], dict[str, Any]], sizes: list[int]) -> None:
    """Peak RSS growth from the smallest to the largest catalog, per harvester."""
    small, large = sizes[0], sizes[-1]
    print()
    for harvester in (OURS, ANCHOR):
        low, high = (results[harvester, n]["rss_peak"] for n in (small, large))
        growth = (high - low) / low
        met = "met" if growth <= FLAT else "NOT met"
        target = f"(target flat, ≤ {FLAT:.0%}: {met})" if harvester == OURS else ""
        line(f"peak RSS {harvester}, {large:,} vs {small:,} datasets",
             f"{low:.0f} → {high:.0f} MiB, {high - low:+.0f} MiB ({growth:+.1%}) {target}".rstrip())


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dcat_harvest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ini", type=Path, default=REPO / "config" / "ckan.ini")
    parser.add_argument("--sizes", default="1000,5000",
                        help="catalog sizes in datasets, comma-separated (default 1000,5000)")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--keep", action="store_true",
                        help="keep the databases twin_bench_harvest_* afterwards")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile each first harvest, print the top 30 (cumulative)")
    args = parser.parse_args(argv)
    if not args.ini.exists():
        sys.exit(f"bench: {args.ini} not found (render it: python3 scripts/render_config.py "
                 "--only ckan)")
    sizes = sorted(int(n) for n in args.sizes.split(","))
    line("load average at the start (1 min)", f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    results: dict[tuple[str, int], dict[str, Any]] = {}
    with serve() as server:
        for size in sizes:
            url = serve_catalog(server, size, args.page_size)
            for harvester in (OURS, ANCHOR):
                print(f"  {harvester}, {size:,} datasets …", flush=True)
                results[harvester, size] = measure(harvester, size, url, args)
    for size in sizes:
        report_size(size, -(-size // args.page_size), results[OURS, size],
                    results[ANCHOR, size])
    if len(sizes) > 1:
        report_memory(results, sizes)
    line("load average at the end (1 min)", f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
