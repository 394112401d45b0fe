"""The demo sysadmin of a fresh portal, so a demo can log in without a manual setup step.

The password is random and shown only once, when the account is created; it is kept in a
git-ignored file readable by its owner only, never in the ini or the repository.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import ckan.model as model
import ckan.plugins.toolkit as tk

NAME = "admin"
EMAIL = "admin@example.invalid"


def ensure_demo_admin(credentials: Path) -> str | None:
    """Create the demo sysadmin if missing; its new password, or ``None`` if it existed.

    The account is created with ``user_create`` as the site user. CKAN 2.12 has no action
    that grants sysadmin rights, so the flag is set on the model as ``ckan sysadmin add``
    does; that step is repeated on every run, so a half-finished earlier run is completed.
    """
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    password = None
    try:
        tk.get_action("user_show")({"user": site_user, "ignore_auth": True}, {"id": NAME})
    except tk.ObjectNotFound:
        password = secrets.token_urlsafe(18)
        # Written first: if the file cannot be written, no account with a lost password.
        _write(credentials, password)
        tk.get_action("user_create")({"user": site_user, "ignore_auth": True}, {
            "name": NAME, "email": EMAIL, "password": password,
            "fullname": "Demo-Administration"})
    user = model.User.by_name(NAME)
    assert user is not None
    if not user.sysadmin:
        user.sysadmin = True
        model.repo.commit_and_remove()
    return password


def _write(path: Path, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when an older file was more open
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write("# Demo-Zugang (ckan twin demo-admin), nicht weitergeben\n"
                     f"login: {NAME}\npassword: {password}\n")
