#!/usr/bin/env python3
"""Render config/ckan.ini and config/test.ini from their templates (stdlib only).

Every ``${NAME}`` in a template takes its value from the environment, else from
config/secrets.env (NAME=value lines; git-ignored; created with a random TWIN_SECRET_KEY
the first time one is needed), else from DEFAULTS below; comment lines are left as they
are. An unknown placeholder or a
malformed secrets.env line stops with one line naming the file and line, and leaves the
rendered file as it was. ``--get NAME`` prints one resolved value, for the shell scripts.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"
SECRETS = CONFIG / "secrets.env"
TARGETS = {"ckan": CONFIG / "ckan.ini", "test": CONFIG / "test.ini"}

DEFAULTS = {
    "TWIN_SITE_ID": "default",
    "TWIN_PORT": "5000",
    # The site URL follows the port unless set: a moved port keeps working links.
    "TWIN_SITE_URL": "http://127.0.0.1:${TWIN_PORT}",
    "TWIN_DB_URL": "postgresql://twin:twin@127.0.0.1:5432/twin_dev",
    "TWIN_TEST_DB_URL": "postgresql://twin:twin@127.0.0.1:5432/twin_test",
    "TWIN_REDIS_URL": "redis://127.0.0.1:6379/0",
    "TWIN_TEST_REDIS_URL": "redis://127.0.0.1:6379/1",
    "TWIN_SEARCH_BACKEND": "postgres",
    "TWIN_SOLR_URL": "http://127.0.0.1:8983/solr/ckan",
    # twin_policy first: CKAN asks only the first IPermissionLabels plugin.
    "TWIN_PLUGINS": "twin_policy activity twin_access twin_search twin twin_dcat "
                    "scheming_datasets dcat harvest twin_harvest twin_dcat_harvester "
                    "twin_csw_harvester",
    # The demo partner catalogs that `make run` harvests (python -m ckanext.twin.demo_catalogs).
    "TWIN_DEMO_CATALOG_PORT": "5099",
    # The demo CSW (pycsw, scripts/pycsw_server.py) with the partners' ISO records.
    "TWIN_DEMO_CSW_PORT": "5098",
    # "false" leaves out the demo datasets and the demo harvest (production, docker/).
    "TWIN_DEMO": "true",
    "TWIN_STORAGE_PATH": str(ROOT / "var" / "storage"),
}
GENERATED = {"TWIN_SECRET_KEY": lambda: secrets.token_urlsafe(32)}

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
SECRET_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)")


class ConfigError(Exception):
    """One line for the operator, naming the file and line at fault."""


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def read_secrets() -> dict[str, str]:
    if not SECRETS.exists():
        return {}
    values = {}
    for number, line in enumerate(SECRETS.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = SECRET_LINE.fullmatch(line)
        if not match:
            raise ConfigError(f"{relative(SECRETS)}:{number}: malformed line, expected NAME=value")
        name, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def append_secret(name: str, value: str) -> None:
    """Keep a generated secret, so every later rendering gets the same one."""
    SECRETS.parent.mkdir(parents=True, exist_ok=True)
    existing = SECRETS.read_text(encoding="utf-8") if SECRETS.exists() else ""
    separator = "" if not existing or existing.endswith("\n") else "\n"
    fd = os.open(SECRETS, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(f"{separator}{name}={value}\n")


class Values:
    """Resolves names: environment, then secrets.env, then defaults (which may refer on)."""

    def __init__(self) -> None:
        self.secrets = read_secrets()

    def get(self, name: str, where: str) -> str | None:
        if name in os.environ:
            return os.environ[name]
        if name in self.secrets:
            return self.secrets[name]
        if name in DEFAULTS:
            return self.substitute(DEFAULTS[name], where)
        if name in GENERATED:
            self.secrets[name] = GENERATED[name]()
            append_secret(name, self.secrets[name])
            return self.secrets[name]
        return None

    def substitute(self, text: str, where: str) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            value = self.get(name, where) if NAME.fullmatch(name) else None
            if value is None:
                raise ConfigError(f"{where}: unknown placeholder ${{{name}}}")
            return value

        return PLACEHOLDER.sub(replace, text)


def render(template: Path, target: Path, values: Values) -> None:
    lines = template.read_text(encoding="utf-8").splitlines(keepends=True)
    # Comment lines are copied as they are: they may well mention "${NAME}" in prose.
    text = "".join(line if line.lstrip().startswith(("#", ";"))
                   else values.substitute(line, f"{relative(template)}:{number}")
                   for number, line in enumerate(lines, 1))
    # A temporary file renamed into place: a failed run never leaves half an ini behind.
    # mkstemp makes it 0600, which suits a file holding the secret key.
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--only", choices=sorted(TARGETS), help="render only this ini")
    group.add_argument("--get", metavar="NAME", help="print the value NAME resolves to")
    args = parser.parse_args()
    try:
        values = Values()
        if args.get:
            value = values.get(args.get, "--get")
            if value is None:
                raise ConfigError(f"--get: unknown name {args.get}")
            print(value)
            return 0
        storage = Path(values.get("TWIN_STORAGE_PATH", "TWIN_STORAGE_PATH"))
        storage.mkdir(parents=True, exist_ok=True)
        for name in [args.only] if args.only else sorted(TARGETS):
            target = TARGETS[name]
            template = target.with_name(target.name + ".template")
            print(f"render_config: {relative(target)} from {relative(template)}")
            render(template, target, values)
    except (ConfigError, OSError) as error:
        print(f"render_config: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
