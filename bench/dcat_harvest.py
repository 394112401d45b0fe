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
import hashlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench._harvest import PARTNER, configure_source, create_source, in_fresh_process, \
    job_cells, memory_row, parse_arguments, peak_rss_mib, published, row, run_job, start_ckan, \
    stop_ckan, verdict
from bench.dcat_catalog import line
from tests.support.catalogs import catalog_pages
from tests.support.servers import Server, serve

PLUGINS = ("twin_search twin twin_dcat scheming_datasets dcat harvest twin_harvest "
           "twin_dcat_harvester dcat_rdf_harvester")
OURS, ANCHOR = "twin_dcat", "dcat_rdf"  # source types
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
    """One harvester on one catalog, in a fresh process of its own."""
    return in_fresh_process(harvest_in_fresh_process, harvester, size, url, args.ini,
                            args.keep, args.profile)


# -- one harvester in its own process ------------------------------------------------------------

def harvest_in_fresh_process(harvester: str, size: int, url: str, ini: Path, keep: bool,
                             profile: bool) -> dict[str, Any]:
    """First harvest and re-harvest(s) of one catalog; runs in a spawned process."""
    database = f"twin_bench_harvest_{harvester}_{size}"
    app = start_ckan(ini, database, PLUGINS, {"ckanext.dcat.rdf.profiles": "dcatap_de"})
    with app._wsgi_app.test_request_context():
        source_id, organization_id = create_source(
            harvester, url, SOURCE_CONFIGS[harvester], PARTNER if harvester == OURS else None)
        started = peak_rss_mib()
        label = f"{harvester} {size}"
        jobs = {FIRST: run_job(source_id, f"{label} {FIRST}", profile)}
        count = published(organization_id)
        jobs[AGAIN] = run_job(source_id, f"{label} {AGAIN}")
        if harvester == OURS:
            configure_source(source_id, {**SOURCE_CONFIGS[OURS], "conditional_requests": False})
            jobs[UNCONDITIONAL] = run_job(source_id, f"{label} {UNCONDITIONAL}")
    figures = {"jobs": jobs, "published": count, "rss_started": started,
               "rss_peak": peak_rss_mib()}
    stop_ckan(database, keep)
    return figures


# -- the table -----------------------------------------------------------------------------------

def report_size(size: int, pages: int, ours: dict[str, Any], anchor: dict[str, Any]) -> None:
    """Our jobs next to the anchor's; the anchor never asks conditionally, so both our
    re-harvests are held against its one re-harvest."""
    print()
    row(f"{size:,} datasets, {pages} pages", OURS, f"{ANCHOR} (anchor)", "anchor / ours")
    for name in (FIRST, AGAIN, UNCONDITIONAL):
        theirs = anchor["jobs"][FIRST if name == FIRST else AGAIN]
        mine = job_cells(ours["jobs"][name], size)
        cells = job_cells(theirs, size) if name != UNCONDITIONAL else ("(as above)", "", "")
        row(name, mine[0], cells[0], verdict(theirs["seconds"], ours["jobs"][name]["seconds"],
                                             TARGETS[name]))
        row("  gather / import", mine[1], cells[1])
        row("  added/updated/unchanged/errored", mine[2], cells[2])
    row("datasets published by the first", str(ours["published"]), str(anchor["published"]))
    row("peak RSS (RSS at start)", memory_row(ours), memory_row(anchor))


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
    def page_size_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--page-size", type=int, default=100)

    args = parse_arguments(argv, "bench.dcat_harvest", __doc__, sizes="1000,5000",
                           unit="datasets", databases="twin_bench_harvest_",
                           more=page_size_option)
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
