"""The CKAN accounts that platforms and partners read as.

A token names a principal (``platform:<id>`` or ``partner:<id>``); the request then runs
as that principal's own CKAN user (``platform-<id>`` / ``partner-<id>``), so every read
check CKAN makes (search, ``package_show``, resources, DCAT pages) applies the labels
the policy plugin derives from :func:`principal_of`. The accounts are never sysadmins
(sysadmins skip labels) and have no password: the only way in is a token.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Literal

from ckan import model

from ckanext.twin.access import store

MARKER = "twin"  # the key in ``User.plugin_extras`` (only sysadmins can set plugin_extras)
KINDS = ("platform", "partner")
ID = re.compile(r"[a-z0-9_-]{2,90}")  # keeps "<kind>-<id>" a valid CKAN user name


class AccountError(ValueError):
    """A principal that has or can get no account; the message names it and why."""


@dataclass(frozen=True)
class Principal:
    """Who a token speaks for."""

    kind: Literal["platform", "partner"]
    id: str

    @property
    def subject(self) -> str:
        """The ``sub`` claim naming this principal."""
        return f"{self.kind}:{self.id}"

    @property
    def account_name(self) -> str:
        return f"{self.kind}-{self.id}"


def parse_subject(subject: Any) -> Principal | None:
    """The principal a ``sub`` claim names, or None if it is not ``platform:``/``partner:``
    followed by a well-formed id."""
    if not isinstance(subject, str):
        return None
    kind, _, ident = subject.partition(":")
    if kind not in KINDS or not ID.fullmatch(ident):
        return None
    return Principal(kind, ident)  # type: ignore[arg-type]


def principal_of(user: model.User | None) -> Principal | None:
    """The platform or partner ``user`` is the account of, from its marker; None for
    everyone else. Cheap (no query): the policy plugin calls it on every read check."""
    extras = getattr(user, "plugin_extras", None) or {}
    marker = extras.get(MARKER)
    if not isinstance(marker, dict):
        return None
    principal = parse_subject(marker.get("principal"))
    # A marker copied onto another user does not make that user the principal's account.
    if principal is None or user is None or user.name != principal.account_name:
        return None
    return principal


def reactivated(user: model.User) -> int:
    """When the account was last reactivated after a deletion (seconds since the epoch,
    0 if never): a partner's identity provider tokens issued until then stay dead. (The
    portal's own are revoked on reactivation.)"""
    marker = (user.plugin_extras or {}).get(MARKER) or {}
    value = marker.get("reactivated", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def title_of(principal: Principal) -> str:
    """The registered (German) title of the principal; AccountError if it is unknown.

    Platforms come from the platform registry, partners from the partner registry: a
    principal removed there gets no token, and its tokens are refused.
    """
    if principal.kind == "platform":
        from ckanext.twin.policy.registry import platforms

        platform = platforms().get(principal.id)
        if platform is None:
            raise AccountError(f"unknown platform {principal.id!r} (not in the platform "
                               f"registry: {', '.join(sorted(platforms())) or 'none'})")
        return platform.title
    from ckanext.twin.logic.partners import registry

    partner = registry().get(principal.id)
    if partner is None:
        raise AccountError(f"unknown partner {principal.id!r} (not in the partner registry)")
    return partner.title


def account_of(principal: Principal) -> model.User | None:
    """The principal's existing account, if the user of that name really is it."""
    user = model.User.by_name(principal.account_name)
    return user if user is not None and principal_of(user) == principal else None


def account_for(principal: Principal) -> model.User:
    """The principal's account, created or reactivated as needed (not committed).

    A partner's account is a ``member`` of the partner's organization (name = partner
    id), which must exist (``ckan twin partners sync``). A user of the account's name that
    is not the account (someone registered it) is an error, never taken over.
    """
    title = title_of(principal)
    organization = None
    if principal.kind == "partner":
        organization = model.Group.get(principal.id)
        if organization is None or not organization.is_organization \
                or organization.state != "active":
            raise AccountError(f"partner {principal.id!r} has no organization yet: run "
                               "`ckan twin partners sync` first")
    user = model.User.by_name(principal.account_name)
    marker: dict[str, Any] = {"principal": principal.subject}
    if user is None:
        user = model.User(name=principal.account_name)  # no password: no login form
        model.Session.add(user)
    elif principal_of(user) != principal:
        raise AccountError(f"user {user.name!r} exists but is not the account of "
                           f"{principal.subject}: rename or purge that user first")
    else:
        marker["reactivated"] = reactivated(user)
        if user.state != "active":
            # A deleted account's tokens read nothing; reactivating it must not revive them.
            user.state = "active"
            marker["reactivated"] = int(time.time())
            store.revoke_issued_to(principal.subject)
    user.fullname = f"{'Plattform' if principal.kind == 'platform' else 'Partner'}: {title}"
    user.about = (f"Zugang per Token für {principal.subject}. / "
                  f"Token access account of {principal.kind} {principal.id}.")
    user.sysadmin = False
    user.plugin_extras = {**(user.plugin_extras or {}), MARKER: marker}
    model.Session.flush()
    if organization is not None:
        _make_member(user, organization)
    return user


def _make_member(user: model.User, organization: model.Group) -> None:
    """Exactly ``member`` (read) of the organization, whatever role it had."""
    member = model.Session.query(model.Member).filter_by(
        table_name="user", table_id=user.id, group_id=organization.id).first()
    if member is None:
        model.Session.add(model.Member(group=organization, table_name="user",
                                       table_id=user.id, capacity="member", state="active"))
    else:
        member.capacity, member.state = "member", "active"
    model.Session.flush()
