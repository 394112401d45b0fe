"""``twin_harvest``: the portal's harvest actions and their auth (any source type).

A plugin of its own, so that ckanext-harvest is imported only where it is enabled; the
harvesters themselves (``twin_dcat_harvester``) are separate plugins, one per source type.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins as p

from ckanext.twin.harvest import actions, auth


class HarvestPlugin(p.SingletonPlugin):
    p.implements(p.IActions)
    p.implements(p.IAuthFunctions)

    def get_actions(self) -> dict[str, Any]:
        return actions.get_actions()

    def get_auth_functions(self) -> dict[str, Any]:
        return auth.get_auth_functions()
