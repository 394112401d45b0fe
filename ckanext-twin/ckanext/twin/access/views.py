"""``/.well-known/jwks.json``: the public keys that verify the portal's tokens.

It lists the active key and every superseded key that may still have valid tokens (not
retired, superseded less than the longest token lifetime ago), so a rotation never
invalidates a token in flight, and a retired key disappears from it at once. Clients may
keep the document for a minute only; CKAN's site-wide cache setting does not apply to it.
"""
from __future__ import annotations

from typing import Any

import flask

from ckanext.twin.access import store
from ckanext.twin.access.tokens import Settings

MAX_AGE = 60  # seconds a client may keep the JWKS


def jwks_document() -> dict[str, Any]:
    outlives = Settings.from_config().key_outlives
    return {"keys": [key.verification_key().jwk() for key in store.verifying_keys(outlives)]}


def jwks() -> flask.Response:
    response = flask.jsonify(jwks_document())
    response.mimetype = "application/jwk-set+json"
    response.cache_control.max_age = MAX_AGE
    # CKAN's after-request hook would put ckan.cache_expires in place of max-age; marked
    # like this it only adds "private", keeping shared caches from holding a retired key.
    flask.request.environ["__no_cache__"] = True
    return response


def blueprint() -> flask.Blueprint:
    views = flask.Blueprint("twin_access", __name__)
    views.add_url_rule("/.well-known/jwks.json", view_func=jwks)
    return views
