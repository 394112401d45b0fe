"""``twin_access_whoami``: who the current request reads as, and with which token.

A platform's developer checks a fresh token with it before wiring it into a harvester;
the tests use it as the observable of authentication.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.twin.access import accounts, authenticator


@tk.side_effect_free
def twin_access_whoami(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """``user`` (name or None), ``principal`` (kind, id, subject or None) and ``token``
    (kid, jti, iss, exp of the request's platform or partner token, or None)."""
    tk.check_access("twin_access_whoami", context, data_dict)
    name = context.get("user") or None
    user = model.User.get(name) if name else None
    principal = accounts.principal_of(user)
    verified = authenticator.current()
    return {
        "user": user.name if user else None,
        "principal": None if principal is None else {
            "kind": principal.kind, "id": principal.id, "subject": principal.subject},
        "token": None if verified is None else {
            "kid": verified.kid, "jti": verified.jti, "iss": verified.issuer,
            "exp": verified.expires},
    }


def get_actions() -> dict[str, Any]:
    return {"twin_access_whoami": twin_access_whoami}
