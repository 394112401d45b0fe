"""``ckan twin ...``: the operators' command line."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import click
import ckan.plugins.toolkit as tk

from ckanext.twin import preflight
from ckanext.twin.dcat import reports
from ckanext.twin.dcat.validation import Report
from ckanext.twin.logic import demo_data as demo, demo_sources
from ckanext.twin.logic.demo_admin import NAME as DEMO_ADMIN, ensure_demo_admin
from ckanext.twin.logic.partners import PartnerSyncError, sync_partners
from ckanext.twin.partners import PartnerFileError, load_partners
from ckanext.twin.paths import configured_file, project_dir
from ckanext.twin.access.cli import keys, token
from ckanext.twin.policy.cli import policy


@click.group(short_help="ckanext-twin portal commands")
def twin() -> None:
    """Operate the Munich federated catalog portal."""


for group in (policy, token, keys):
    twin.add_command(group)


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    raise SystemExit(1)


def _shown(path: Path) -> Path:
    """``path`` relative to the working directory when it lies below it (shorter messages)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


@twin.group()
def partners() -> None:
    """The partner registry (config/partners.yaml) and its organizations."""


@partners.command("sync")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path),
              help="Partner file (default: ckanext.twin.partners_file, config/partners.yaml).")
def sync(path: Path | None) -> None:
    """Create or update one organization per partner; prints what happened to each.

    The whole file is checked first: if anything in it is wrong, the one-line error names
    file and line, the exit status is 1 and no organization is touched.
    """
    source = _shown(path.resolve() if path else configured_file("ckanext.twin.partners_file"))
    try:
        registry = load_partners(source)
    except PartnerFileError as error:
        _fail(str(error))
    try:
        for partner_id, outcome in sync_partners(registry):
            click.echo(f"{partner_id}: {outcome}")
    except PartnerSyncError as error:
        _fail(str(error))


@twin.command()
def check() -> None:
    """Check that PostgreSQL and Redis answer; one line either way.

    CKAN itself connects to the database before this command runs, so with PostgreSQL
    down use ``python -m ckanext.twin.preflight CKAN_INI``, which needs no CKAN.
    """
    try:
        click.echo(preflight.check(tk.config["sqlalchemy.url"], tk.config["ckan.redis.url"]))
    except preflight.PreflightError as error:
        _fail(str(error))


@twin.command("demo-admin")
def demo_admin() -> None:
    """Create the demo sysadmin 'admin' with a random password, once.

    The password is printed only when the account is created, and kept in the file named
    by ckanext.twin.demo_credentials_file (config/demo-credentials.txt).
    """
    option = Path(tk.config["ckanext.twin.demo_credentials_file"])
    credentials = _shown(option if option.is_absolute() else project_dir() / option)
    password = ensure_demo_admin(credentials)
    if password:
        click.echo(f"created sysadmin {DEMO_ADMIN!r} with password {password} "
                   f"(kept in {credentials})")
    elif credentials.exists():
        click.echo(f"sysadmin {DEMO_ADMIN!r} exists; its login is kept in {credentials}")
    else:
        click.echo(f"sysadmin {DEMO_ADMIN!r} exists, but {credentials} is missing: "
                   f"set a new password with `ckan user setpass {DEMO_ADMIN}`")


@twin.command("demo-data")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path),
              help="Demo datasets (default: config/demo/datasets.yaml of the project).")
def demo_data(path: Path | None) -> None:
    """Create or update the demo datasets through the action API."""
    source = path or project_dir() / "config" / "demo" / "datasets.yaml"
    try:
        for name, outcome in demo.ensure(demo.load(source)):
            click.echo(f"{name}: {outcome}")
    except demo.DemoDataError as error:
        _fail(str(error))


@twin.command("validate")
@click.option("--dataset", "name", help="Only this dataset (name or id).")
@click.option("--file", "source", metavar="PATH_OR_URL",
              help="An RDF file or http(s) URL (Turtle, RDF/XML, JSON-LD, N-Triples) instead.")
@click.option("--allow-host", "allowed_hosts", multiple=True, metavar="HOST",
              help="Let --file URLs reach this host although it is loopback or private.")
def validate(name: str | None, source: str | None, allowed_hosts: tuple[str, ...]) -> None:
    """Validate against DCAT-AP.de 3.0 (GovData's v30_de_spec shapes, offline).

    Without options: every dataset of the published catalog, as /catalog.ttl serializes it.
    One line per dataset with its violations, then a summary; exit status 1 if any.
    """
    if name and source:
        _fail("--dataset and --file exclude each other")
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    context = {"user": site_user, "ignore_auth": True}
    checked: Iterable[tuple[str, Report]]
    if source:
        try:
            checked = [(source, reports.source_report(source, allowed_hosts))]
        except (reports.FetchError, OSError, ValueError) as error:
            _fail(str(error))  # ValueError: RDFSyntaxError (format, line), unknown format
    elif name:
        try:
            dataset = tk.get_action("package_show")(dict(context), {"id": name})
        except tk.ObjectNotFound:
            _fail(f"no dataset {name!r}")
        checked = [(dataset["name"], reports.dataset_report(dataset))]
    else:
        checked = reports.catalog_reports(context)
    total = failing = violations = 0
    for label, report in checked:
        click.echo(_report_lines(label, report))
        total += 1
        failing += bool(report.violations)
        violations += len(report.violations)
    what = "document" if source else "dataset"
    click.echo(f"{total} {what}{'s' * (total != 1)} checked, {failing} with violations, "
               f"{violations} violation{'s' * (violations != 1)}")
    if violations:
        raise SystemExit(1)


def _report_lines(label: str, report: Report) -> str:
    """``label: N violations`` and one indented line per violation: focus, path, message."""
    count = len(report.violations)
    lines = [f"{label}: {count} violation{'s' * (count != 1)}"]
    lines += [f"  {v.focus} {v.path or '-'}: {v.message}" for v in report.violations]
    return "\n".join(lines)


@twin.group()
def harvest() -> None:
    """Harvest sources: run jobs with progress, read their reports, release held withdrawals."""


def _site_context() -> dict[str, object]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    return {"user": site_user, "ignore_auth": True}


def _report_summary(report: dict) -> str:
    counts = ", ".join(f"{key} {report[key]}" for key in
                       ("added", "updated", "unchanged", "withdrawn", "held", "errored"))
    lines = [f"{report.get('source') or report['source_id']}: job {report['job_id']} "
             f"{report['status']}: {counts}"]
    if report["needs_steward"]:
        lines.append(f"  withdrawals held for a steward: {report['hold_reason']}")
    lines += [f"  error: {message}" for message in report["errors"]]
    lines += [f"  warning: {message}" for message in report["warnings"][:20]]
    if len(report["warnings"]) > 20:
        lines.append(f"  … and {len(report['warnings']) - 20} more warnings "
                     "(action twin_harvest_job_report)")
    return "\n".join(lines)


@harvest.command("run")
@click.argument("sources", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every active harvest source.")
def harvest_run(sources: tuple[str, ...], everything: bool) -> None:
    """Harvest SOURCES (names or ids) now, in this process, showing progress."""
    from ckanext.twin.harvest import runner

    context = _site_context()
    if everything:
        sources = tuple(s["id"] for s in tk.get_action("harvest_source_list")(
            dict(context), {"only_active": True}))
    if not sources:
        _fail("name at least one harvest source, or use --all")
    failed = False
    for source in sources:
        try:
            result = runner.run(source, context, click.echo)
        except tk.ObjectNotFound:
            _fail(f"no harvest source {source!r}")
        except tk.ValidationError as error:
            _fail(f"{source}: {error.error_summary}")
        click.echo(_report_summary(result))
        failed = failed or bool(result["errored"] or result["errors"])
    if failed:
        raise SystemExit(1)


@harvest.command("report")
@click.argument("source")
def harvest_report(source: str) -> None:
    """The newest job of SOURCE: added, updated, unchanged, withdrawn, held, errored."""
    try:
        result = tk.get_action("twin_harvest_job_report")(_site_context(), {"source_id": source})
    except tk.ObjectNotFound as error:
        _fail(f"{source}: {error.message or 'not found'}")
    click.echo(_report_summary(result))


@harvest.command("release")
@click.argument("source")
def harvest_release(source: str) -> None:
    """Withdraw the datasets whose withdrawal SOURCE's newest job held for a steward."""
    try:
        result = tk.get_action("twin_harvest_withdrawals_release")(_site_context(),
                                                                   {"source_id": source})
    except tk.ObjectNotFound:
        _fail(f"no harvest source {source!r}")
    except tk.ValidationError as error:
        _fail(f"{source}: {'; '.join(error.error_dict.get('source_id', []))}")
    click.echo(f"{source}: {result['withdrawn']} datasets withdrawn (job {result['job_id']})")


@harvest.command("demo-sources")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path),
              help="Demo sources (default: config/sources/demo.yaml of the project).")
@click.option("--base-url", metavar="URL",
              help="Where the demo catalogs are served (default: ckanext.twin.demo_catalog_url).")
@click.option("--csw-url", metavar="URL",
              help="Where the demo CSW answers (default: ckanext.twin.demo_csw_url).")
def harvest_demo_sources(path: Path | None, base_url: str | None, csw_url: str | None) -> None:
    """Create or update the demo harvest sources of the partners' demo catalogs.

    The catalogs themselves are served by ``python -m ckanext.twin.demo_catalogs``; this only
    registers the sources, ``ckan twin harvest run --all`` harvests them.
    """
    source = _shown(path.resolve() if path else project_dir() / "config" / "sources" / "demo.yaml")
    try:
        partner_ids = {p.id for p in load_partners(configured_file("ckanext.twin.partners_file"))}
        sources = demo_sources.load(source, partner_ids)
        for name, outcome in demo_sources.ensure(
                sources, base_url or tk.config["ckanext.twin.demo_catalog_url"],
                csw_url or tk.config["ckanext.twin.demo_csw_url"]):
            click.echo(f"{name}: {outcome}")
    except (demo_sources.DemoSourcesError, PartnerFileError) as error:
        _fail(str(error))
