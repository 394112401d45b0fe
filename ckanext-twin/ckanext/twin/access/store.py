"""Signing keys, issued tokens, revocations and trusted partner identity providers in
PostgreSQL.

Every web process must see a rotation, a revocation or a new trust at once, so none of it
lives in files or process memory. The tables are created on first use, in a transaction of
their own (a request that only reads rolls its own back), and come back after ``ckan db
clean`` and the test fixtures that drop every table. Writers leave the commit to their
caller, so a command either applies all it did or nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from ckan import model

from ckanext.twin import tables
from ckanext.twin.access.keys import NewKey, VerificationKey, load_public

KEYS = "twin_access_key"
TOKENS = "twin_access_token"
REVOCATIONS = "twin_access_revocation"
TRUST = "twin_access_trust"

_DDL = (
    f"""
    CREATE TABLE IF NOT EXISTS {KEYS} (
      kid text PRIMARY KEY,
      algorithm text NOT NULL,
      private_pem text NOT NULL,
      public_pem text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      superseded_at timestamptz,
      retired_at timestamptz
    )
    """,
    # At most one key signs new tokens: the one not superseded by a later rotation.
    f"""CREATE UNIQUE INDEX IF NOT EXISTS {KEYS}_active_idx ON {KEYS} ((true))
        WHERE superseded_at IS NULL AND retired_at IS NULL""",
    f"""
    CREATE TABLE IF NOT EXISTS {TOKENS} (
      jti text PRIMARY KEY,
      subject text NOT NULL,
      kid text NOT NULL,
      issued_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL
    )
    """,
    f"CREATE INDEX IF NOT EXISTS {TOKENS}_expires_idx ON {TOKENS} (expires_at)",
    f"""
    CREATE TABLE IF NOT EXISTS {REVOCATIONS} (
      jti text PRIMARY KEY,
      revoked_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    f"""
    CREATE TABLE IF NOT EXISTS {TRUST} (
      partner text PRIMARY KEY,
      issuer text NOT NULL UNIQUE,
      jwks_url text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )
    """,
)


def ensure() -> None:
    """Create the tables if one is missing (one cheap query when they exist)."""
    tables.ensure(model.Session, (KEYS, TOKENS, REVOCATIONS, TRUST), _DDL)


def _rows(sql: str, **params: Any) -> list[Any]:
    ensure()
    return list(model.Session.execute(sa.text(sql), params).mappings())


# -- signing keys ---------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredKey:
    kid: str
    algorithm: str
    private_pem: str
    public_pem: str
    created_at: datetime
    superseded_at: datetime | None
    retired_at: datetime | None

    @property
    def active(self) -> bool:
        """Signs new tokens."""
        return self.superseded_at is None and self.retired_at is None

    def verification_key(self) -> VerificationKey:
        return load_public(self.kid, self.public_pem, self.algorithm)


def add_key(key: NewKey) -> None:
    """Make a new key the active one; the previous active key is superseded (it still
    verifies the tokens it signed until it is retired or outlived)."""
    ensure()
    # Two rotations at once would both find the same active key to supersede.
    model.Session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:t))"),
                          {"t": f"{KEYS}:rotate"})
    model.Session.execute(sa.text(
        f"UPDATE {KEYS} SET superseded_at = now() "
        "WHERE superseded_at IS NULL AND retired_at IS NULL"))
    model.Session.execute(sa.text(
        f"INSERT INTO {KEYS} (kid, algorithm, private_pem, public_pem) "
        "VALUES (:kid, :alg, :private, :public)"),
        {"kid": key.kid, "alg": key.algorithm, "private": key.private_pem,
         "public": key.public_pem})


def keys() -> list[StoredKey]:
    """Every key, newest first."""
    return [StoredKey(**row) for row in _rows(f"SELECT * FROM {KEYS} ORDER BY created_at DESC")]


def active_key() -> StoredKey | None:
    rows = _rows(f"SELECT * FROM {KEYS} WHERE superseded_at IS NULL AND retired_at IS NULL")
    return StoredKey(**rows[0]) if rows else None


def verifying_keys(outlived: timedelta) -> list[StoredKey]:
    """The keys whose tokens may still be valid: the active one, and superseded ones not
    retired and superseded less than ``outlived`` ago (the longest token lifetime)."""
    return [StoredKey(**row) for row in _rows(
        f"""SELECT * FROM {KEYS} WHERE retired_at IS NULL
              AND (superseded_at IS NULL OR superseded_at > now() - :outlived)
            ORDER BY created_at DESC""", outlived=outlived)]


def retire_key(kid: str) -> None:
    ensure()
    model.Session.execute(sa.text(
        f"UPDATE {KEYS} SET retired_at = now() WHERE kid = :kid AND retired_at IS NULL"),
        {"kid": kid})


# -- issued tokens and revocations ----------------------------------------------------------

@dataclass(frozen=True)
class IssuedToken:
    jti: str
    subject: str
    kid: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def record_issued(jti: str, subject: str, kid: str, issued_at: datetime,
                  expires_at: datetime) -> None:
    ensure()
    model.Session.execute(sa.text(
        f"INSERT INTO {TOKENS} (jti, subject, kid, issued_at, expires_at) "
        "VALUES (:jti, :subject, :kid, :issued_at, :expires_at)"),
        {"jti": jti, "subject": subject, "kid": kid, "issued_at": issued_at,
         "expires_at": expires_at})


_ISSUED = (f"SELECT t.*, r.revoked_at FROM {TOKENS} t "
           f"LEFT JOIN {REVOCATIONS} r ON r.jti = t.jti")


def issued(jti: str) -> IssuedToken | None:
    rows = _rows(f"{_ISSUED} WHERE t.jti = :jti", jti=jti)
    return IssuedToken(**rows[0]) if rows else None


def issued_tokens(include_expired: bool = False) -> list[IssuedToken]:
    """Tokens issued here, newest first (by default only those not yet expired)."""
    condition = "" if include_expired else " WHERE t.expires_at > now()"
    return [IssuedToken(**row) for row in _rows(f"{_ISSUED}{condition} ORDER BY t.issued_at DESC")]


def revoked_at(jti: str) -> datetime | None:
    rows = _rows(f"SELECT revoked_at FROM {REVOCATIONS} WHERE jti = :jti", jti=jti)
    return rows[0]["revoked_at"] if rows else None


def revoke(jti: str) -> bool:
    """Refuse the token ``jti`` from now on, whoever issued it; False if already revoked."""
    ensure()
    return model.Session.execute(sa.text(
        f"INSERT INTO {REVOCATIONS} (jti) VALUES (:jti) ON CONFLICT (jti) DO NOTHING "
        "RETURNING jti"), {"jti": jti}).first() is not None


def revoke_issued_to(subject: str) -> int:
    """Revoke every unexpired token issued here to ``subject``; how many."""
    ensure()
    return len(model.Session.execute(sa.text(
        f"""INSERT INTO {REVOCATIONS} (jti)
            SELECT jti FROM {TOKENS} WHERE subject = :subject AND expires_at > now()
            ON CONFLICT (jti) DO NOTHING RETURNING jti"""), {"subject": subject}).all())


# -- partners' identity providers -----------------------------------------------------------

@dataclass(frozen=True)
class Trust:
    """A partner's identity provider: tokens with ``iss == issuer`` are verified with the
    keys at ``jwks_url`` and may speak for this partner only."""

    partner: str
    issuer: str
    jwks_url: str
    created_at: datetime


def trust(partner: str, issuer: str, jwks_url: str) -> None:
    """Register (or replace) the partner's identity provider."""
    ensure()
    model.Session.execute(sa.text(
        f"""INSERT INTO {TRUST} (partner, issuer, jwks_url) VALUES (:p, :i, :u)
            ON CONFLICT (partner) DO UPDATE SET issuer = excluded.issuer,
              jwks_url = excluded.jwks_url, created_at = now()"""),
        {"p": partner, "i": issuer, "u": jwks_url})


def untrust(partner: str) -> bool:
    ensure()
    return model.Session.execute(sa.text(
        f"DELETE FROM {TRUST} WHERE partner = :p RETURNING partner"),
        {"p": partner}).first() is not None


def trusted() -> list[Trust]:
    return [Trust(**row) for row in _rows(f"SELECT * FROM {TRUST} ORDER BY partner")]


def trust_of_issuer(issuer: str) -> Trust | None:
    rows = _rows(f"SELECT * FROM {TRUST} WHERE issuer = :i", i=issuer)
    return Trust(**rows[0]) if rows else None

