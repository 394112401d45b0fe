"""Issuing the portal's tokens and verifying every token that claims to be ours.

Verification follows docs/access.md and the attack list of the policy notes: the JOSE
header is judged before any key is looked up (only EdDSA, ES256 and RS256; no ``jku``,
``x5u``, ``x5c``, ``jwk`` or ``crit``; a well-formed ``kid``), the key comes only from the
portal's key table or the JWKS registered for the token's issuer, and PyJWT verifies the
signature with exactly the key's algorithm, ``audience``, ``issuer``, every required claim
and a leeway of at most a minute. Then what PyJWT does not know: lifetime bounds, the
subject (a known platform or partner; a partner's identity provider speaks only for that
partner), revocation, our own ``jti`` register, and the account (active, not a sysadmin,
not reactivated after the token was issued).

Refusals are ``TokenRefused`` with one sentence in German and English: it is what the
platform's developer reads in the 401 answer.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import ckan.plugins.toolkit as tk
import jwt
from ckan import model
from ckan.exceptions import CkanConfigurationException
from jwt.utils import base64url_decode

from ckanext.twin.access import Refusal, accounts, jwks, keys, store
from ckanext.twin.access.accounts import Principal

REQUIRED = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]
FORBIDDEN_HEADERS = ("jku", "x5u", "x5c", "jwk", "crit")
TYPES = ("jwt", "at+jwt", "application/jwt", "application/at+jwt")
MAX_LEEWAY = 60


class TokenRefused(Refusal):
    """A token that reads nothing; the message says why, in German and English."""


@dataclass(frozen=True)
class Settings:
    """The ``ckanext.twin.jwt.*`` options, checked (see config_declaration.yaml)."""

    issuer: str
    audience: str
    lifetime: int
    max_lifetime: int
    leeway: int
    max_bytes: int

    @classmethod
    def from_config(cls) -> Settings:
        site = tk.config.get("ckan.site_url") or ""
        settings = cls(issuer=tk.config.get("ckanext.twin.jwt.issuer") or site,
                       audience=tk.config.get("ckanext.twin.jwt.audience") or site,
                       lifetime=int(tk.config.get("ckanext.twin.jwt.lifetime")),
                       max_lifetime=int(tk.config.get("ckanext.twin.jwt.max_lifetime")),
                       leeway=int(tk.config.get("ckanext.twin.jwt.leeway")),
                       max_bytes=int(tk.config.get("ckanext.twin.jwt.max_token_bytes")))
        for option, value, ok, expected in (
                ("issuer", settings.issuer, bool(settings.issuer),
                 "must be set (or ckan.site_url)"),
                ("audience", settings.audience, bool(settings.audience),
                 "must be set (or ckan.site_url)"),
                ("leeway", settings.leeway, 0 <= settings.leeway <= MAX_LEEWAY,
                 f"must be between 0 and {MAX_LEEWAY} seconds"),
                ("max_lifetime", settings.max_lifetime, settings.max_lifetime > 0,
                 "must be positive"),
                ("lifetime", settings.lifetime,
                 0 < settings.lifetime <= settings.max_lifetime,
                 "must be positive and at most ckanext.twin.jwt.max_lifetime"),
                ("max_token_bytes", settings.max_bytes, 512 <= settings.max_bytes <= 65536,
                 "must be between 512 and 65536")):
            if not ok:
                raise CkanConfigurationException(
                    f"ckanext.twin.jwt.{option} {expected}, got {value!r}")
        return settings

    @property
    def key_outlives(self) -> timedelta:
        """How long a superseded key still verifies: the longest a token it signed lives."""
        return timedelta(seconds=self.max_lifetime + self.leeway)


# -- issuing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Issued:
    token: str
    jti: str
    kid: str
    subject: str
    expires: datetime


def issue(principal: Principal, lifetime: int | None = None) -> Issued:
    """A token for ``principal`` signed with the active key, recorded by its ``jti``.

    Creates or reactivates the principal's account; raises ``accounts.AccountError`` for
    an unknown principal, ``ValueError`` for a lifetime out of range or no active key.
    Not committed: the caller commits (or nothing was issued).
    """
    settings = Settings.from_config()
    lifetime = settings.lifetime if lifetime is None else lifetime
    if not 0 < lifetime <= settings.max_lifetime:
        raise ValueError(f"lifetime {lifetime} s is out of range: 1 to "
                         f"{settings.max_lifetime} s (ckanext.twin.jwt.max_lifetime)")
    key = store.active_key()
    if key is None:
        raise ValueError("no active signing key: create one with `ckan twin keys rotate`")
    accounts.account_for(principal)
    issued_at = datetime.now(timezone.utc)
    now = int(issued_at.timestamp())
    jti = str(uuid.uuid4())
    claims = {"iss": settings.issuer, "aud": settings.audience, "sub": principal.subject,
              "jti": jti, "iat": now, "nbf": now, "exp": now + lifetime}
    token = jwt.encode(claims, keys.load_private(key.private_pem, key.algorithm),
                       algorithm=key.algorithm, headers={"kid": key.kid, "typ": "JWT"})
    expires = datetime.fromtimestamp(now + lifetime, timezone.utc)
    store.record_issued(jti, principal.subject, key.kid, issued_at, expires)
    return Issued(token, jti, key.kid, principal.subject, expires)


# -- recognising ----------------------------------------------------------------------------

def _segment(token: str, index: int, parts: tuple[int, ...] = (3,)) -> dict[str, Any] | None:
    """The JSON object in one segment of a compact JWS (or JWE, if ``parts`` allows 5),
    None if it is not one."""
    segments = token.split(".")
    if len(segments) not in parts:
        return None
    try:
        value = json.loads(base64url_decode(segments[index]))
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def is_ours(token: str, max_bytes: int) -> bool:
    """Whether ``token`` is for us to judge rather than CKAN.

    CKAN's own API tokens are JWS with neither a ``kid`` nor an ``iss``. Any JOSE token
    with one of them is ours (a JWE too, to be refused), and so is a JWS-shaped value
    beyond the size limit, unread: refusing it beats letting CKAN take it for anonymous.
    """
    if len(token) > max_bytes:
        return token.count(".") in (2, 4)
    header = _segment(token, 0, parts=(3, 5))
    if header is None:
        return False
    return "kid" in header or "iss" in (_segment(token, 1) or {})


# -- verifying ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verified:
    """A token that passed every check, and the account it reads as."""

    principal: Principal
    user: model.User
    kid: str
    jti: str
    issuer: str
    expires: int


def verify(token: str) -> Verified:
    """The principal and account of a valid token; ``TokenRefused`` naming the first
    problem otherwise."""
    settings = Settings.from_config()
    if len(token.encode("utf-8")) > settings.max_bytes:
        raise TokenRefused(f"Token größer als {settings.max_bytes} Bytes",
                           f"token larger than {settings.max_bytes} bytes")
    header = _segment(token, 0)
    claims = _segment(token, 1)
    if header is None or claims is None:
        raise TokenRefused("Token ist kein JWS in kompakter Form",
                           "token is not a compact JWS")
    kid = _check_header(header)
    issuer = claims.get("iss")
    # The unverified iss only chooses where the key comes from; PyJWT checks it again.
    trust = None
    if issuer == settings.issuer:
        key = _own_key(kid, settings)
    else:
        trust = store.trust_of_issuer(issuer) if isinstance(issuer, str) else None
        if trust is None:
            raise TokenRefused(f"unbekannter Aussteller (iss) {_shown(issuer)}",
                               f"unknown issuer (iss) {_shown(issuer)}")
        key = _partner_key(trust, kid)
    if header["alg"] != key.algorithm:
        raise TokenRefused(f"alg {header['alg']} passt nicht zum Schlüssel {kid} "
                           f"({key.algorithm})",
                           f"alg {header['alg']} does not match key {kid} ({key.algorithm})")
    payload = _decode(token, key, str(issuer), settings)
    principal = _principal(payload, trust)
    _check_jti(payload["jti"], trust is None, principal)
    user = _account(principal, None if trust is None else int(payload["iat"]))
    return Verified(principal, user, kid, payload["jti"], str(issuer), int(payload["exp"]))


def _shown(value: Any) -> str:
    """A value from the token, as JSON (types visible, control characters escaped), short."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_header(header: dict[str, Any]) -> str:
    """The ``kid`` of an acceptable header."""
    alg = header.get("alg")
    if alg not in keys.ALGORITHMS:
        raise TokenRefused(f"alg {_shown(alg)} ist nicht erlaubt (erlaubt: "
                           f"{', '.join(keys.ALGORITHMS)})",
                           f"alg {_shown(alg)} is not allowed (allowed: "
                           f"{', '.join(keys.ALGORITHMS)})")
    for name in FORBIDDEN_HEADERS:
        if name in header:
            raise TokenRefused(f"Header-Parameter {name} ist nicht erlaubt",
                               f"header parameter {name} is not allowed")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in TYPES):
        raise TokenRefused(f"typ {_shown(typ)} ist kein JWT", f"typ {_shown(typ)} is not a JWT")
    kid = header.get("kid")
    if kid is None:
        raise TokenRefused("kid fehlt im Header", "kid missing from the header")
    if not isinstance(kid, str) or not keys.KID.fullmatch(kid):
        raise TokenRefused(f"kid {_shown(kid)} ist ungültig (1-64 Zeichen A-Z a-z 0-9 _ -)",
                           f"kid {_shown(kid)} is malformed (1-64 characters A-Z a-z 0-9 _ -)")
    return kid


def _own_key(kid: str, settings: Settings) -> keys.VerificationKey:
    for stored in store.verifying_keys(settings.key_outlives):
        if stored.kid == kid:
            return stored.verification_key()
    raise TokenRefused(f"unbekannter oder zurückgezogener Schlüssel (kid) {kid}",
                       f"unknown or retired key (kid) {kid}")


def _partner_key(trust: store.Trust, kid: str) -> keys.VerificationKey:
    try:
        return jwks.key_for(trust, kid)
    except jwks.JWKSError as error:
        raise TokenRefused(error.german, error.english) from None


_CLAIM_ERRORS: tuple[tuple[type[Exception], str, str], ...] = (
    (jwt.ExpiredSignatureError, "Token abgelaufen (exp)", "token expired (exp)"),
    (jwt.InvalidAudienceError, "falsche Zielgruppe (aud)", "wrong audience (aud)"),
    (jwt.InvalidIssuerError, "falscher Aussteller (iss)", "wrong issuer (iss)"),
    (jwt.InvalidSignatureError, "Signatur ungültig", "invalid signature"),
)


def _decode(token: str, key: keys.VerificationKey, issuer: str,
            settings: Settings) -> dict[str, Any]:
    try:
        payload = jwt.decode(token, key.key, algorithms=[key.algorithm],
                             audience=settings.audience, issuer=issuer,
                             leeway=settings.leeway, options={"require": REQUIRED})
    except jwt.MissingRequiredClaimError as error:
        raise TokenRefused(f"Angabe {error.claim} fehlt", f"claim {error.claim} missing") \
            from None
    except jwt.ImmatureSignatureError as error:
        which = "iat" if "iat" in str(error) else "nbf"
        raise TokenRefused(f"Token noch nicht gültig ({which} liegt in der Zukunft)",
                           f"token not yet valid ({which} is in the future)") from None
    except (jwt.PyJWTError, TypeError, ValueError, OverflowError) as error:
        for kind, german, english in _CLAIM_ERRORS:
            if isinstance(error, kind):
                raise TokenRefused(german, english) from None
        raise TokenRefused(f"Token unlesbar ({error})", f"token malformed ({error})") from None
    times = {name: payload[name] for name in ("exp", "iat", "nbf")}
    if any(isinstance(value, bool) or not isinstance(value, (int, float))
           for value in times.values()):
        raise TokenRefused("exp, iat und nbf müssen Zahlen sein",
                           "exp, iat and nbf must be numbers")
    if times["exp"] - times["iat"] > settings.max_lifetime:
        raise TokenRefused(f"Token lebt länger als {settings.max_lifetime} s (exp - iat)",
                           f"token lives longer than {settings.max_lifetime} s (exp - iat)")
    return payload


def _principal(payload: dict[str, Any], trust: store.Trust | None) -> Principal:
    principal = accounts.parse_subject(payload["sub"])
    if principal is None:
        raise TokenRefused(f"sub {_shown(payload['sub'])} nennt keine Plattform und keinen "
                           "Partner (platform:<id> oder partner:<id>)",
                           f"sub {_shown(payload['sub'])} names no platform or partner "
                           "(platform:<id> or partner:<id>)")
    if trust is not None and principal != Principal("partner", trust.partner):
        raise TokenRefused(f"der Identitätsanbieter von {trust.partner} darf nicht für "
                           f"{principal.subject} sprechen",
                           f"the identity provider of {trust.partner} may not speak for "
                           f"{principal.subject}")
    try:
        accounts.title_of(principal)
    except accounts.AccountError:
        raise TokenRefused(f"{principal.subject} ist nicht registriert",
                           f"{principal.subject} is not registered") from None
    return principal


def _check_jti(jti: str, own: bool, principal: Principal) -> None:
    if store.revoked_at(jti) is not None:
        raise TokenRefused(f"Token {_shown(jti)} wurde widerrufen",
                           f"token {_shown(jti)} was revoked")
    if own:
        issued = store.issued(jti)
        if issued is None or issued.subject != principal.subject:
            raise TokenRefused(f"Token {_shown(jti)} wurde hier nicht ausgestellt",
                               f"token {_shown(jti)} was not issued here")


def _account(principal: Principal, foreign_iat: int | None) -> model.User:
    """The principal's active, non-sysadmin account. ``foreign_iat``: the ``iat`` of a
    partner identity provider's token, which must be later than a reactivation."""
    user = accounts.account_of(principal)
    if user is None or user.state != "active":
        raise TokenRefused(f"das Konto von {principal.subject} ist gelöscht oder fehlt",
                           f"the account of {principal.subject} is deleted or missing")
    if user.sysadmin:
        raise TokenRefused(f"das Konto von {principal.subject} ist Sysadmin; Token für "
                           "Sysadmins werden abgelehnt",
                           f"the account of {principal.subject} is a sysadmin; tokens for "
                           "sysadmins are refused")
    if foreign_iat is not None and foreign_iat <= accounts.reactivated(user):
        raise TokenRefused("Token wurde vor der Reaktivierung des Kontos ausgestellt",
                           "token was issued before the account was reactivated")
    return user
