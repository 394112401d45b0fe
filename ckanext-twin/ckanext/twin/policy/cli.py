"""``ckan twin policy ...``: check, apply, export and re-evaluate the access policies."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import NoReturn

import click
import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.twin.logic.partners import registry as partner_registry
from ckanext.twin.paths import configured_file
from ckanext.twin.policy import changes, registry
from ckanext.twin.policy.enforcement import Outcome
from ckanext.twin.policy.platforms import PlatformFileError
from ckanext.twin.policy.reader import PolicyError, load_policies

SHOWN = 5  # dataset names listed per platform and direction


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    raise SystemExit(1)


def _directory(path: Path | None) -> Path:
    return path.resolve() if path else configured_file(registry.POLICIES_OPTION)


def _load(path: Path | None) -> dict:
    try:
        return load_policies(_directory(path), partner_registry(), registry.platforms())
    except PolicyError as error:
        _fail("\n".join(error.problems))
    except PlatformFileError as error:
        _fail(str(error))


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f", … ({len(names) - SHOWN} more)" if len(names) > SHOWN else "")


def _report(outcome: Outcome) -> None:
    for platform, flow in outcome.flows.items():
        line = (f"  {platform}: {len(flow.admitted)} admitted, {len(flow.withdrawn)} "
                f"withdrawn, {flow.still_admitted} still admitted, {flow.still_denied} "
                "still denied")
        click.echo(line)
        if flow.admitted:
            click.echo(f"    + {_names(sorted(flow.admitted))}")
        if flow.withdrawn:
            click.echo(f"    - {_names(sorted(flow.withdrawn))}")


def _site_user() -> str:
    return tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


@click.group()
def policy() -> None:
    """Per-municipality access policies: what flows to which platform."""


_DIR = click.option("--dir", "path", type=click.Path(file_okay=False, path_type=Path),
                    help="Policy folder (default: ckanext.twin.policies_dir, config/policies).")


@policy.command("check")
@_DIR
def check(path: Path | None) -> None:
    """Validate every policy file; nothing is applied."""
    policies = _load(path)
    for municipality in sorted(policies):
        click.echo(f"{municipality}: ok ({len(policies[municipality].rules)} rules)")
    missing = sorted(set(partner_registry()) - set(policies))
    if missing:
        click.echo(f"without a policy (nothing of theirs flows anywhere): {', '.join(missing)}")


@policy.command("apply")
@_DIR
@click.option("--dry-run", is_flag=True, help="Only report what would be admitted and withdrawn.")
def apply(path: Path | None, dry_run: bool) -> None:
    """Store changed policies as new versions and re-evaluate their municipalities' datasets,
    all in one transaction."""
    policies = _load(path)
    applied = changes.apply_policies(model.Session, policies, _site_user(), date.today(),
                                     dry_run=dry_run)
    if dry_run:
        model.Session.rollback()
    else:
        model.repo.commit()
    prefix = "would apply" if dry_run else "applied"
    for municipality, version in sorted(applied.versions.items()):
        click.echo(f"{municipality}: {prefix} version {version}")
    if applied.unchanged:
        click.echo(f"unchanged: {', '.join(applied.unchanged)}")
    if applied.versions:
        click.echo(f"{applied.outcome.datasets} datasets re-evaluated:")
        _report(applied.outcome)


@policy.command("export")
@click.argument("municipality")
@click.option("--version", type=int, help="An earlier version (default: the one in force).")
def export(municipality: str, version: int | None) -> None:
    """Print MUNICIPALITY's policy as ODRL 2.2 JSON-LD."""
    context = {"user": _site_user(), "ignore_auth": True}
    try:
        document = tk.get_action("twin_policy_export")(
            context, {"municipality": municipality, "version": version})
    except tk.ObjectNotFound as error:
        _fail(str(error.message or error))
    except tk.ValidationError as error:
        _fail(f"{municipality}: {error.error_summary}")
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


@policy.command("reevaluate")
@click.option("--all", "everything", is_flag=True,
              help="Every dataset, not only those whose embargo has passed.")
@click.option("--dry-run", is_flag=True, help="Only report what would move.")
@click.option("--on", "day", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Decide as on this day (default: today).")
def reevaluate(everything: bool, dry_run: bool, day: object) -> None:
    """Decide again where an embargo has passed (or everything); for a daily scheduler."""
    today = day.date() if day else date.today()  # type: ignore[attr-defined]
    outcome = changes.reevaluate(model.Session, today, everything=everything, dry_run=dry_run)
    if dry_run:
        model.Session.rollback()
    else:
        model.repo.commit()
    click.echo(f"{outcome.datasets} datasets re-evaluated"
               + (" (dry run)" if dry_run else "") + (":" if outcome.datasets else ""))
    if outcome.datasets:
        _report(outcome)
