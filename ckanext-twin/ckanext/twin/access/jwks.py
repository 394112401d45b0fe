"""The signing keys of partners' own identity providers, from the JWKS URL they registered.

A token's ``kid`` is chosen by whoever sends the token, so an unknown ``kid`` must not
mean a fetch: a burst of random kids would turn the portal into a flood against the
partner's identity provider (and tie up our workers). Each process keeps the keys of a
JWKS for ``ckanext.twin.jwt.jwks_cache_ttl`` seconds and fetches a JWKS at most once per
``ckanext.twin.jwt.jwks_cooldown`` seconds, whatever the reason (an unknown kid, stale
keys, a failed fetch). Stale keys that cannot be refreshed are not used: the IdP may have
withdrawn a key for a reason.

The fetch goes through ``harvesters.fetch`` (http/https only, no private addresses unless
allowed, size and time limits) and follows no redirects: a registered JWKS URL is exact.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import ckan.plugins.toolkit as tk
from ckan.exceptions import CkanConfigurationException

from ckanext.twin.access import Refusal
from ckanext.twin.access.keys import UnusableKey, VerificationKey, from_jwk
from ckanext.twin.access.store import Trust
from harvesters.fetch import FetchError, FetchLimits, fetch

log = logging.getLogger(__name__)

ACCEPT = "application/jwk-set+json, application/json;q=0.9"
monotonic = time.monotonic  # the clock of cache and cooldown (tests move it)


class JWKSError(Refusal):
    """No key for a partner token's kid; ``german`` and ``english`` say why."""


@dataclass(frozen=True)
class JWKSSettings:
    """The ``ckanext.twin.jwt.jwks_*`` options."""

    cooldown: float
    cache_ttl: float
    limits: FetchLimits

    @classmethod
    def from_config(cls) -> JWKSSettings:
        option = "ckanext.twin.jwt.jwks_{}".format
        values = {name: int(tk.config.get(option(name)))
                  for name in ("cooldown", "cache_ttl", "timeout", "max_bytes")}
        for name, ok, expected in (
                ("cooldown", values["cooldown"] >= 0, "must not be negative"),
                ("cache_ttl", values["cache_ttl"] >= values["cooldown"],
                 f"must be at least {option('cooldown')}"),
                ("timeout", values["timeout"] > 0, "must be positive"),
                ("max_bytes", values["max_bytes"] > 0, "must be positive")):
            if not ok:
                raise CkanConfigurationException(
                    f"{option(name)} {expected}, got {values[name]}")
        limits = FetchLimits(max_bytes=values["max_bytes"], timeout=values["timeout"],
                             deadline=values["timeout"], max_redirects=0,
                             allowed_hosts=frozenset(tk.aslist(
                                 tk.config.get(option("allowed_hosts")))))
        return cls(values["cooldown"], values["cache_ttl"], limits)


@dataclass
class _Entry:
    """One JWKS as this process knows it."""

    keys: dict[str, VerificationKey] = field(default_factory=dict)
    loaded: float | None = None  # when the keys were fetched (monotonic)
    attempted: float | None = None  # when a fetch was last tried, successful or not
    problem: str | None = None  # why the last fetch failed
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fresh(self, now: float, settings: JWKSSettings) -> bool:
        return self.loaded is not None and now - self.loaded < settings.cache_ttl


_entries: dict[tuple[str, str], _Entry] = {}
_entries_lock = threading.Lock()


def key_for(trust: Trust, kid: str) -> VerificationKey:
    """The key ``kid`` of the partner's JWKS; ``JWKSError`` if there is none (now)."""
    settings = JWKSSettings.from_config()
    with _entries_lock:
        entry = _entries.setdefault((trust.issuer, trust.jwks_url), _Entry())
    with entry.lock:
        now = monotonic()
        if entry.fresh(now, settings) and kid in entry.keys:
            return entry.keys[kid]
        if entry.attempted is None or now - entry.attempted >= settings.cooldown:
            _refresh(entry, trust, settings, now)
        fresh, problem = entry.fresh(now, settings), entry.problem
        if fresh and kid in entry.keys:
            return entry.keys[kid]
    if not fresh:  # only after a failed fetch: a successful one is fresh for the cooldown
        raise JWKSError(f"die Schlüssel von {trust.partner} sind nicht abrufbar ({problem})",
                        f"the keys of {trust.partner} cannot be fetched ({problem})")
    raise JWKSError(f"unbekannter Schlüssel (kid) {kid} bei {trust.partner}",
                    f"unknown key (kid) {kid} of {trust.partner}")


def _refresh(entry: _Entry, trust: Trust, settings: JWKSSettings, now: float) -> None:
    entry.attempted = now
    try:
        response = fetch(trust.jwks_url, settings.limits, accept=ACCEPT)
        found = parse_jwks(response.content, trust.jwks_url)
    except (FetchError, ValueError) as error:
        entry.problem = str(error)
        log.warning("JWKS of partner %s not refreshed: %s", trust.partner, error)
        return
    for reason in found.skipped:
        log.info("JWKS of partner %s, %s", trust.partner, reason)
    entry.keys, entry.loaded, entry.problem = found.keys, now, None


@dataclass(frozen=True)
class KeySet:
    """The usable keys of a JWKS by kid, and why the others were skipped."""

    keys: dict[str, VerificationKey]
    skipped: list[str]


def parse_jwks(content: bytes, where: str) -> KeySet:
    """The signing keys of a JWKS document. Unusable keys (HMAC, no kid, encryption keys,
    other algorithms, private material) are skipped; so is a kid that appears twice, as
    it is ambiguous. ``ValueError`` if the document is no JWKS at all."""
    try:
        document: Any = json.loads(content)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"{where}: not JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError(f'{where}: not a JWKS (expected an object with a "keys" list)')
    found: dict[str, VerificationKey] = {}
    skipped: list[str] = []
    twice: set[str] = set()
    for index, jwk in enumerate(document["keys"]):
        try:
            key = from_jwk(jwk)
        except UnusableKey as reason:
            skipped.append(f"$.keys[{index}]: {reason}")
            continue
        if key.kid in found:
            twice.add(key.kid)
        found[key.kid] = key
    for kid in sorted(twice):
        skipped.append(f"kid {kid} appears more than once: none of its keys is used")
        del found[kid]
    return KeySet(found, skipped)


def check_registration(issuer: str, jwks_url: str) -> KeySet:
    """The usable keys of a JWKS URL about to be registered for ``issuer``; ``ValueError``
    naming what is wrong (URL, fetch, document, no usable key). Nothing is cached."""
    settings = JWKSSettings.from_config()
    for what, url in (("issuer", issuer), ("JWKS URL", jwks_url)):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{what} {url!r} is not an https URL")
        if parts.scheme != "https" and not settings.limits.allows(parts.hostname):
            raise ValueError(f"{what} {url!r} must use https (plain http only for hosts in "
                             "ckanext.twin.jwt.jwks_allowed_hosts)")
    try:
        found = parse_jwks(fetch(jwks_url, settings.limits, accept=ACCEPT).content, jwks_url)
    except FetchError as error:
        raise ValueError(f"JWKS not fetched: {error}") from None
    if not found.keys:
        raise ValueError(f"{jwks_url}: no usable signing key (EdDSA/Ed25519, ES256/P-256 or "
                         f"RS256 with a kid): " + ("; ".join(found.skipped) or "no keys"))
    return found
