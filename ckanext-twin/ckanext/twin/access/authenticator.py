"""Which CKAN user a request with a platform's or partner's token runs as, or its refusal.

CKAN identifies the user lazily (flask-login, on the first look at ``current_user``) and
calls ``IAuthenticator.identify_user`` with the session's user id when there is a session,
without one otherwise. The token is judged the same way in both cases, once per request,
and takes precedence over a session (as CKAN's own API tokens do). A refused token makes
the request anonymous at once, and ``refusal`` (called by ``IAuthenticator.identify``
right after identification) answers it with 401 before any view runs: a bad token never
reads what anonymous users read.

Tokens are for reading: a token request that would change something (any method but GET,
HEAD and OPTIONS, except API calls of side-effect-free actions) is refused with 403, so a
leaked token cannot write even where the account's roles would let it.
"""
from __future__ import annotations

from dataclasses import dataclass

import ckan.plugins.toolkit as tk
import flask
from ckan import model
from ckan.common import current_user

from ckanext.twin.access import tokens
from ckanext.twin.access.tokens import TokenRefused, Verified

_STATE = "twin_access"  # attribute of flask.g: this request's outcome
READ_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Outcome:
    """What the request's token came to: verified, or refused with a reason."""

    verified: Verified | None = None
    refused: TokenRefused | None = None


def bearer(value: str) -> str:
    """The token of an ``Authorization`` value, with or without the ``Bearer`` scheme."""
    value = value.strip()
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" else value


def outcome() -> Outcome | None:
    """This request's token outcome (judged once); None when it carries no token of ours."""
    if not flask.has_request_context():
        return None
    if not hasattr(flask.g, _STATE):
        setattr(flask.g, _STATE, _judge())
    return getattr(flask.g, _STATE)


def _judge() -> Outcome | None:
    raw = flask.request.headers.get(tk.config.get("apitoken_header_name") or "Authorization")
    if not raw:
        return None
    token = bearer(raw)
    if not tokens.is_ours(token, tokens.Settings.from_config().max_bytes):
        return None  # a CKAN API token: CKAN's to judge
    try:
        return Outcome(verified=tokens.verify(token))
    except TokenRefused as refused:
        return Outcome(refused=refused)


def identify_user() -> model.User | model.AnonymousUser | None:
    """``IAuthenticator.identify_user``: the account of a valid token, anonymous for a
    refused one (nothing else may identify such a request), None without our token."""
    result = outcome()
    if result is None:
        return None
    if result.verified is None:
        return model.AnonymousUser()
    flask.g.login_via_auth_header = True  # no cookie involved: CSRF protection not needed
    return result.verified.user


def current() -> Verified | None:
    """The verified token of this request, if it has one."""
    result = outcome()
    return result.verified if result else None


def refusal() -> flask.Response | None:
    """``IAuthenticator.identify``: the answer to a request its token must not pass."""
    result = outcome()
    if result is None:
        return None
    if result.refused is not None:
        return _error(401, str(result.refused), result.refused.english)
    assert result.verified is not None
    if getattr(current_user, "id", None) != result.verified.user.id:
        # Only possible when CKAN identified the request some other way first (a
        # "remember me" cookie): one request, one identity.
        return _error(401, "Token und Anmeldung per Cookie widersprechen sich / the token "
                           "and a cookie login disagree", "token and cookie login disagree")
    if not _reads():
        return _error(403, "Token erlauben nur lesenden Zugriff / tokens only allow reading",
                      None)
    return None


def _reads() -> bool:
    request = flask.request
    if request.method in READ_METHODS:
        return True
    if request.endpoint == "api.action":
        name = (request.view_args or {}).get("logic_function", "")
        try:
            return bool(getattr(tk.get_action(name), "side_effect_free", False))
        except (KeyError, tk.ObjectNotFound):
            return False
    return False


def _error(status: int, message: str, challenge: str | None) -> flask.Response:
    response = flask.jsonify({"success": False, "error": {"__type": "Authorization Error",
                                                          "message": message}})
    response.status_code = status
    if challenge is not None:  # RFC 6750: printable ASCII without quote and backslash
        reason = "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in challenge)
        response.headers["WWW-Authenticate"] = \
            f'Bearer error="invalid_token", error_description="{reason}"'
    return response
