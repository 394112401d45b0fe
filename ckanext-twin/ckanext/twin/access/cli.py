"""``ckan twin token ...`` and ``ckan twin keys ...``: tokens, trusted identity providers
and signing keys, for operators.

``token issue`` prints only the token on stdout (so ``$(ckan ... token issue ...)`` works);
everything else an operator reads goes to stderr or, for listings, stdout. Each command
commits all it changed or, on an error, nothing.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import NoReturn

import click
from ckan import model

from ckanext.twin.access import accounts, jwks, store, tokens
from ckanext.twin.access import keys as signing_keys
from ckanext.twin.access.accounts import AccountError, Principal


def _principal(kind: str, ident: str) -> Principal:
    principal = accounts.parse_subject(f"{kind}:{ident}")
    if principal is None:
        raise click.ClickException(f"malformed {kind} id {ident!r}: 2-90 lowercase letters, "
                                   "digits, - or _")
    return principal


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def _roll_back_and_fail(error: Exception) -> NoReturn:
    model.Session.rollback()
    raise click.ClickException(str(error))


@click.group(short_help="Tokens (JWT) for platforms and partners.")
def token() -> None:
    """Issue, list and revoke tokens; trust partners' own identity providers."""


@token.command("issue")
@click.option("--platform", metavar="ID", help="A platform of the platform registry.")
@click.option("--partner", metavar="ID", help="A partner of the partner registry.")
@click.option("--lifetime", type=click.IntRange(min=1), metavar="SECONDS",
              help="Default ckanext.twin.jwt.lifetime, at most ckanext.twin.jwt.max_lifetime.")
def issue(platform: str | None, partner: str | None, lifetime: int | None) -> None:
    """Print a new token for a platform or partner (creating its account if needed)."""
    if (platform is None) == (partner is None):
        raise click.UsageError("give exactly one of --platform ID or --partner ID")
    kind, ident = ("platform", platform) if platform is not None else ("partner", partner)
    principal = _principal(kind, str(ident))
    try:
        issued = tokens.issue(principal, lifetime)
        model.Session.commit()
    except (AccountError, ValueError) as error:
        _roll_back_and_fail(error)
    click.echo(issued.token)
    click.echo(f"{issued.subject}: token {issued.jti}, key {issued.kid}, valid until "
               f"{_when(issued.expires)}", err=True)


@token.command("revoke")
@click.argument("jti")
def revoke(jti: str) -> None:
    """Refuse the token JTI from now on (ours, or one of a partner's identity provider)."""
    if not 0 < len(jti) <= 255:
        raise click.UsageError("JTI must be 1 to 255 characters")
    issued = store.issued(jti)
    newly = store.revoke(jti)
    model.Session.commit()
    if not newly:
        click.echo(f"{jti} was already revoked")
    elif issued is not None:
        click.echo(f"revoked {jti} ({issued.subject}, was valid until "
                   f"{_when(issued.expires_at)})")
    else:
        click.echo(f"revoked {jti} (not issued here: refused from any issuer from now on)")


@token.command("list")
@click.option("--all", "include_expired", is_flag=True, help="Include expired tokens.")
def list_tokens(include_expired: bool) -> None:
    """Tokens issued here: jti, subject, key, issued, expires, revoked."""
    for row in store.issued_tokens(include_expired):
        revoked = f"revoked {_when(row.revoked_at)}" if row.revoked_at else "-"
        click.echo(f"{row.jti}  {row.subject}  {row.kid}  {_when(row.issued_at)}  "
                   f"{_when(row.expires_at)}  {revoked}")


@token.command("trust")
@click.option("--partner", "partner_id", required=True, metavar="ID")
@click.option("--issuer", required=True, metavar="URL", help="The iss of its tokens.")
@click.option("--jwks-url", required=True, metavar="URL", help="Where its public keys are.")
def trust(partner_id: str, issuer: str, jwks_url: str) -> None:
    """Accept tokens of a partner's own identity provider, for that partner only.

    The JWKS is fetched once now: nothing is registered unless it has a usable key.
    """
    principal = _principal("partner", partner_id)
    if issuer == tokens.Settings.from_config().issuer:
        raise click.ClickException(f"{issuer!r} is the portal's own issuer")
    holder = store.trust_of_issuer(issuer)
    if holder is not None and holder.partner != principal.id:
        raise click.ClickException(f"issuer {issuer!r} is already trusted for partner "
                                   f"{holder.partner!r}")
    try:
        accounts.account_for(principal)
        found = jwks.check_registration(issuer, jwks_url)
        store.trust(principal.id, issuer, jwks_url)
        model.Session.commit()
    except (AccountError, ValueError) as error:
        _roll_back_and_fail(error)
    click.echo(f"{principal.subject}: tokens of {issuer} accepted, keys "
               f"{', '.join(sorted(found.keys))} (from {jwks_url})")
    for reason in found.skipped:
        click.echo(f"skipped {reason}", err=True)


@token.command("untrust")
@click.option("--partner", "partner_id", required=True, metavar="ID")
def untrust(partner_id: str) -> None:
    """Refuse the tokens of the partner's identity provider from now on."""
    removed = store.untrust(partner_id)
    model.Session.commit()
    if not removed:
        raise click.ClickException(f"partner {partner_id!r} has no trusted identity provider")
    click.echo(f"partner:{partner_id}: its identity provider's tokens are refused from now on")


@token.command("trusted")
def trusted() -> None:
    """Partners' identity providers: partner, issuer, JWKS URL, registered."""
    for row in store.trusted():
        click.echo(f"{row.partner}  {row.issuer}  {row.jwks_url}  {_when(row.created_at)}")


@click.group(short_help="The keys that sign the portal's tokens.")
def keys() -> None:
    """Rotate, list and retire signing keys (published at /.well-known/jwks.json)."""


@keys.command("rotate")
@click.option("--algorithm", type=click.Choice(signing_keys.ALGORITHMS),
              default=signing_keys.DEFAULT_ALGORITHM, show_default=True)
def rotate(algorithm: str) -> None:
    """Make a new key the one that signs new tokens.

    The previous key still verifies its tokens (and stays in the JWKS) until it is retired
    or ckanext.twin.jwt.max_lifetime has passed: rotating never cuts a token short.
    """
    previous = store.active_key()
    new = signing_keys.create(algorithm)
    store.add_key(new)
    model.Session.commit()
    click.echo(f"{new.kid} ({algorithm}) signs new tokens from now on")
    if previous is not None:
        click.echo(f"{previous.kid} ({previous.algorithm}) verifies its tokens until retired "
                   "(`keys retire`) or outlived", err=True)


@keys.command("list")
def list_keys() -> None:
    """Every key: kid, algorithm, created, state."""
    outlives = tokens.Settings.from_config().key_outlives
    verifying = {key.kid for key in store.verifying_keys(outlives)}
    for key in store.keys():
        if key.active:
            state = "active (signs new tokens)"
        elif key.retired_at is not None:
            state = f"retired {_when(key.retired_at)}"
        elif key.kid in verifying:
            state = (f"superseded {_when(key.superseded_at)}, verifies until "
                     f"{_when(key.superseded_at + outlives)}")  # type: ignore[operator]
        else:
            state = f"superseded {_when(key.superseded_at)}, outlived"
        click.echo(f"{key.kid}  {key.algorithm}  {_when(key.created_at)}  {state}")


@keys.command("retire")
@click.argument("kid")
def retire(kid: str) -> None:
    """Stop KID from verifying anything, at once (its tokens are refused from now on)."""
    key = next((key for key in store.keys() if key.kid == kid), None)
    if key is None:
        raise click.ClickException(f"no key {kid!r} (see `keys list`)")
    if key.active:
        raise click.ClickException(f"{kid} signs new tokens: `keys rotate` first, then retire it")
    if key.retired_at is not None:
        click.echo(f"{kid} was already retired {_when(key.retired_at)}")
        return
    store.retire_key(kid)
    model.Session.commit()
    click.echo(f"{kid} retired: its tokens are refused and it left the JWKS")
