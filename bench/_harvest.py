"""What the harvesting benchmarks share: one harvester, one fresh process, one fresh database.

Each harvester of a benchmark runs in a process of its own (spawned, so its peak RSS and its
imports are its own) on a database created for it as the postgres superuser and owned by
the ini's role, with the plugins the benchmark names. Jobs run through
``ckanext.twin.harvest.runner.run``: ckanext-harvest's own ``gather_stage``,
``fetch_and_import_stages`` per object and ``harvest_jobs_run``, in-process, the same for
every harvester. The module also prints the comparison tables.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import cProfile
import datetime
import json
import multiprocessing
import os
import pstats
import resource
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.dcat_catalog import REPO, timed

PARTNER = "muenchen"  # the generated catalogs are Munich's
ANCHOR_ORG = "bench-anchor"
COUNTS = ("added", "updated", "unchanged", "errored")


def in_fresh_process(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in a spawned (not forked) process of its own; its result."""
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        return pool.submit(function, *args).result()


# -- the database and CKAN -----------------------------------------------------------------------

def superuser_sql(sql: str, database: str = "postgres") -> None:
    """Runs ``sql`` in ``database`` with psql as the postgres superuser (the ini's role may
    not create databases or extensions)."""
    try:
        subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-v",
                        "ON_ERROR_STOP=1", "-d", database, "-c", sql], check=True, cwd="/",
                       env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"})
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(f"bench: psql as postgres failed ({error}); as the postgres superuser run: "
                 f"psql -d postgres -c \"{sql}\"")


def fresh_database(url: str, name: str) -> str:
    """``url`` pointing at a new, empty database ``name`` owned by the URL's role, with
    PostGIS (in schema ``postgis``) and unaccent, as scripts/database.sh sets up the
    portal's databases."""
    from sqlalchemy.engine import make_url
    target = make_url(url)
    drop_database(name)
    superuser_sql(f"CREATE DATABASE {name} OWNER {target.username} ENCODING 'UTF8' "
                  "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0")
    superuser_sql(f"CREATE SCHEMA postgis AUTHORIZATION {target.username}; "
                  "CREATE EXTENSION postgis SCHEMA postgis; CREATE EXTENSION unaccent", name)
    return target.set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    superuser_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def start_ckan(ini: Path, database: str, plugins: str, options: dict[str, str]) -> Any:
    """CKAN from ``ini`` on a fresh ``database`` with ``plugins`` and ``options``; tables
    created.

    The migrations (CKAN's alembic environment) re-bind the model to an engine without a
    connection pool; a server never runs them in its own process, so the app's pooled
    engine is bound again afterwards. Otherwise every transaction opens a new PostgreSQL
    connection (about 5 ms, several per dataset).
    """
    from ckan import model
    from ckan.cli import load_config
    from ckan.cli.db import _run_migrations
    from ckan.config.middleware import make_app
    config = load_config(str(ini))
    config.update({"sqlalchemy.url": fresh_database(config["sqlalchemy.url"], database),
                   "ckan.plugins": plugins, **options})
    app = make_app(config)
    pooled = model.meta.engine
    model.repo.init_db()
    _run_migrations("harvest")
    model.meta.engine.dispose()
    model.init_model(pooled)
    return app


def stop_ckan(database: str, keep: bool) -> None:
    """Closes this process's connections and drops ``database`` unless ``keep``."""
    from ckan import model
    model.Session.remove()
    model.meta.engine.dispose()
    if not keep:
        drop_database(database)


def site_context() -> dict[str, Any]:
    import ckan.plugins.toolkit as tk
    return {"user": tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"],
            "ignore_auth": True}


def create_source(source_type: str, url: str, config: dict[str, Any],
                  partner: str | None) -> tuple[str, str]:
    """The partner organizations (as ``make run`` creates them) and a harvest source owned
    by ``partner``, or by a fresh organization ``bench-anchor`` when None: (source id,
    organization id)."""
    import ckan.plugins.toolkit as tk

    from ckanext.twin.logic.partners import sync_partners
    from ckanext.twin.partners import load_partners

    list(sync_partners(load_partners(REPO / "config" / "partners.yaml")))
    context = site_context()
    owner = partner or tk.get_action("organization_create")(
        dict(context), {"name": ANCHOR_ORG, "title": "Benchmark anchor"})["name"]
    source = tk.get_action("harvest_source_create")(dict(context), {
        "name": f"bench-{source_type.replace('_', '-')}", "title": f"Benchmark {source_type}",
        "url": url, "source_type": source_type, "owner_org": owner,
        "config": json.dumps(config)})
    return source["id"], tk.get_action("organization_show")(dict(context), {"id": owner})["id"]


def configure_source(source_id: str, config: dict[str, Any]) -> None:
    import ckan.plugins.toolkit as tk
    tk.get_action("harvest_source_patch")(site_context(), {
        "id": source_id, "config": json.dumps(config)})


# -- jobs and figures ----------------------------------------------------------------------------

def run_job(source_id: str, label: str, profile: bool = False) -> dict[str, Any]:
    """One harvest job: wall-clock seconds, the gather/import split (gather from the job's
    own timestamps; import from the end of gather to the end of the job, which does not
    depend on which job the objects end up in) and its report (added, updated, unchanged,
    errored …)."""
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
    ended = datetime.datetime.utcnow()  # the job's timestamps are naive UTC
    record = HarvestJob.get(report["job_id"])
    return {**report, "seconds": seconds,
            "gather": (record.gather_finished - record.gather_started).total_seconds(),
            "import": (ended - record.gather_finished).total_seconds()}


def published(organization_id: str) -> int:
    from ckan import model
    return model.Session.query(model.Package).filter_by(
        owner_org=organization_id, type="dataset", state="active").count()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- the tables ----------------------------------------------------------------------------------

def row(label: str, ours: str, anchor: str, ratio: str = "") -> None:
    print(f"{label:<40} {ours:<24} {anchor:<24} {ratio}".rstrip(), flush=True)


def job_cells(job: dict[str, Any], size: int) -> tuple[str, str, str]:
    """A job's time and rate, its gather / import split and its counts."""
    return (f"{job['seconds']:.1f} s, {size / job['seconds']:.0f}/s",
            f"{job['gather']:.1f} s / {job['import']:.1f} s",
            "/".join(str(job[k]) for k in COUNTS))


def verdict(anchor_seconds: float, our_seconds: float, target: float | None = None) -> str:
    """The ratio anchor / ours, and whether it reaches ``target`` (if there is one)."""
    ratio = anchor_seconds / our_seconds
    if target is None:
        return f"{ratio:.1f}×"
    met = "met" if ratio >= target else "NOT met"
    return f"{ratio:.1f}× (target ≥ {target:.0f}×: {met})"


def memory_row(figures: dict[str, Any]) -> str:
    return f"{figures['rss_peak']:.0f} MiB ({figures['rss_started']:.0f})"


def parse_arguments(argv: Sequence[str], program: str, description: str | None, *,
                    sizes: str, unit: str, databases: str,
                    more: Callable[[argparse.ArgumentParser], None]) -> argparse.Namespace:
    """The options every harvest benchmark takes (``--ini --sizes --keep --profile``), plus
    its own (``more``); exits with a hint when the ini is missing."""
    parser = argparse.ArgumentParser(prog=f"python -m {program}", description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ini", type=Path, default=REPO / "config" / "ckan.ini")
    parser.add_argument("--sizes", default=sizes,
                        help=f"catalog sizes in {unit}, comma-separated (default {sizes})")
    more(parser)
    parser.add_argument("--keep", action="store_true",
                        help=f"keep the databases {databases}* afterwards")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile each first harvest, print the top 30 (cumulative)")
    args = parser.parse_args(argv)
    if not args.ini.exists():
        sys.exit(f"bench: {args.ini} not found (render it: python3 scripts/render_config.py "
                 "--only ckan)")
    return args
