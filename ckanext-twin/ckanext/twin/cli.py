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
from ckanext.twin.logic import demo_data as demo
from ckanext.twin.logic.demo_admin import NAME as DEMO_ADMIN, ensure_demo_admin
from ckanext.twin.logic.partners import PartnerSyncError, sync_partners
from ckanext.twin.partners import PartnerFileError, load_partners


@click.group(short_help="ckanext-twin portal commands")
def twin() -> None:
    """Operate the Munich federated catalog portal."""


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    raise SystemExit(1)


def _project_dir() -> Path:
    """The parent of the ini file's directory: the repository for ``config/ckan.ini``."""
    return Path(tk.config["__file__"]).resolve().parent.parent


def _shown(path: Path) -> Path:
    """``path`` relative to the working directory when it lies below it (shorter messages)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _configured_file(option: str) -> Path:
    """A path from the config: relative ones against the project dir, else the cwd."""
    path = Path(tk.config[option])
    if path.is_absolute():
        return path
    candidates = [_project_dir() / path, Path.cwd() / path]
    return next((candidate for candidate in candidates if candidate.exists()), candidates[0])


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
    source = _shown(path.resolve() if path else _configured_file("ckanext.twin.partners_file"))
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
    credentials = _shown(option if option.is_absolute() else _project_dir() / option)
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
    source = path or _project_dir() / "config" / "demo" / "datasets.yaml"
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
