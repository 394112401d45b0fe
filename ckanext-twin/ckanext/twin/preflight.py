"""Are PostgreSQL and Redis there? One clear line before CKAN starts, instead of a traceback.

CKAN connects to its database while it loads its configuration, before any ``ckan``
command runs: with PostgreSQL down, ``ckan ...`` (``ckan twin check`` included) dies with a
long SQLAlchemy traceback. So this check is also a module that needs no CKAN environment:

    python -m ckanext.twin.preflight config/ckan.ini

reads ``sqlalchemy.url`` and ``ckan.redis.url`` from the ini (or from ``CKAN_SQLALCHEMY_URL``
/ ``CKAN_REDIS_URL``, which CKAN prefers too), and exits 1 with one line on stderr when a
service is missing, or prints the versions it found.
"""
from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg2
import redis

DB_TIMEOUT = 3
REDIS_TIMEOUT = 2
SETTINGS = {"sqlalchemy.url": "CKAN_SQLALCHEMY_URL", "ckan.redis.url": "CKAN_REDIS_URL"}


class PreflightError(Exception):
    """A service the portal needs is missing; the message is the one line to show."""


def mask(url: str) -> str:
    """The URL with its password (in the user part or a ``password=`` query) as ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = urlencode([(key, "***" if key == "password" else value)
                       for key, value in parse_qsl(parts.query, keep_blank_values=True)],
                      safe="*")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def check_postgres(url: str) -> tuple[str, str | None]:
    """PostgreSQL's version and PostGIS's in that database (``None`` if not installed)."""
    # SQLAlchemy URLs may name a driver (postgresql+psycopg2://); libpq does not know it.
    scheme, sep, rest = url.partition("://")
    dsn = scheme.split("+", 1)[0] + sep + rest
    try:
        connection = psycopg2.connect(dsn, connect_timeout=DB_TIMEOUT)
    except psycopg2.Error as error:
        raise PreflightError(_postgres_problem(url, str(error))) from error
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0].split()[0]
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            postgis = cursor.fetchone()
    finally:
        connection.close()
    return version, postgis[0] if postgis else None


def _postgres_problem(url: str, message: str) -> str:
    """libpq's multi-line message reduced to its one useful clause."""
    password = urlsplit(url).password
    if password:  # libpq quotes the malformed part of a URL back, which may be the password
        message = message.replace(f'"{password}"', '"***"')
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    first = lines[0] if lines else "unknown error"
    reason = first.rpartition(" failed: ")[2] if " failed: " in first else first
    if reason.startswith("FATAL:"):
        # The server answered and refused: wrong database, user or password.
        return f"PostgreSQL at {mask(url)}: {reason.removeprefix('FATAL:').strip()}"
    if reason.startswith("invalid"):
        return f"PostgreSQL URL {mask(url)} is not valid: {reason.removeprefix('invalid dsn: ')}"
    if reason.startswith("timeout expired"):
        reason = f"no answer within {DB_TIMEOUT} s"
    return f"PostgreSQL not reachable at {mask(url)}: {reason[:1].lower()}{reason[1:]}"


def check_redis(url: str) -> str:
    """Redis's version."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT,
                                      socket_timeout=REDIS_TIMEOUT)
        with client:
            return client.info("server")["redis_version"]
    except redis.TimeoutError as error:
        raise PreflightError(f"Redis not reachable at {mask(url)}: "
                             f"no answer within {REDIS_TIMEOUT} s") from error
    except redis.ConnectionError as error:
        reason = str(error).rstrip(".").rpartition(". ")[2] or str(error)
        raise PreflightError(f"Redis not reachable at {mask(url)}: "
                             f"{reason[:1].lower()}{reason[1:]}") from error
    except (redis.RedisError, ValueError) as error:
        raise PreflightError(f"Redis at {mask(url)}: {error}") from error


def check(database_url: str, redis_url: str) -> str:
    """The success line; raises :class:`PreflightError` for the first missing service."""
    postgres, postgis = check_postgres(database_url)
    redis_version = check_redis(redis_url)
    return (f"ok: PostgreSQL {postgres}, PostGIS {postgis or 'missing'}, "
            f"Redis {redis_version}")


def read_settings(ini: str) -> dict[str, str]:
    """``sqlalchemy.url`` and ``ckan.redis.url`` as CKAN will see them."""
    parser = configparser.ConfigParser(
        defaults={"here": os.path.dirname(os.path.abspath(ini)),
                  "__file__": os.path.abspath(ini)})
    try:
        if not parser.read(ini, encoding="utf-8"):
            raise PreflightError(f"{ini}: no such file (render it from its .template first)")
    except configparser.Error as error:
        # Only where and what: the messages quote lines, which may hold passwords.
        line = getattr(error, "lineno", None) or next(
            (number for number, _ in getattr(error, "errors", [])), None)
        where = f":{line}" if line else ""
        raise PreflightError(f"{ini}{where}: not a valid ini file "
                             f"({type(error).__name__})") from error
    settings = {}
    for option, variable in SETTINGS.items():
        try:
            value = os.environ.get(variable) or parser.get("app:main", option, fallback="") or ""
        except configparser.InterpolationError as error:
            # Its message would quote the value, password included.
            raise PreflightError(f"{ini}: {option}: write % as %% in an ini file") from error
        if not value.strip():
            raise PreflightError(f"{ini}: {option} is not set")
        settings[option] = value.strip()
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print("usage: python -m ckanext.twin.preflight CKAN_INI", file=sys.stderr)
        return 2
    try:
        settings = read_settings(args[0])
        print(check(settings["sqlalchemy.url"], settings["ckan.redis.url"]))
    except PreflightError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
