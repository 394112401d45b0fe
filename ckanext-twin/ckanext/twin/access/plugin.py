"""``twin_access``: platforms and partners read the portal with signed tokens (JWT)."""
from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model
from ckan.exceptions import CkanConfigurationException

from ckanext.twin.access import actions, auth, authenticator, jwks, tokens, views


@tk.blanket.config_declarations
class AccessPlugin(p.SingletonPlugin):
    """Token authentication, the JWKS endpoint and ``twin_access_whoami``.

    Which datasets an account reads is the policy plugin's (``twin_policy``) business: it
    labels the accounts through ``accounts.principal_of``.
    """

    p.implements(p.IConfigurable)
    p.implements(p.IAuthenticator, inherit=True)
    p.implements(p.IActions)
    p.implements(p.IAuthFunctions)
    p.implements(p.IBlueprint)

    def configure(self, config: Any) -> None:
        # Without the policy plugin, accounts would read what any logged-in user reads.
        if not p.plugin_loaded("twin_policy"):
            raise CkanConfigurationException("twin_access needs the plugin twin_policy, which "
                                             "decides what tokens read: add it to ckan.plugins")
        # Out-of-range options stop the start-up with a message naming the option.
        tokens.Settings.from_config()
        jwks.JWKSSettings.from_config()

    def identify_user(self, user_id: str | None = None
                      ) -> model.User | model.AnonymousUser | None:
        return authenticator.identify_user()

    def identify(self) -> Any:
        return authenticator.refusal()

    def get_actions(self) -> dict[str, Any]:
        return actions.get_actions()

    def get_auth_functions(self) -> dict[str, Any]:
        return auth.get_auth_functions()

    def get_blueprint(self) -> Any:
        return views.blueprint()
