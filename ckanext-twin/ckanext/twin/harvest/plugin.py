"""``twin_harvest``: the portal's harvest actions and their auth (any source type).

A plugin of its own, so that ckanext-harvest is imported only where it is enabled; the
harvesters themselves (``twin_dcat_harvester``) are separate plugins, one per source type.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins as p

from ckanext.twin import paths
from ckanext.twin.harvest import actions, auth, views


class HarvestPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IActions)
    p.implements(p.IAuthFunctions)
    p.implements(p.ITemplateHelpers)
    p.implements(p.IBlueprint)
    p.implements(p.IPackageController, inherit=True)

    def update_config(self, config: Any) -> None:
        paths.add_templates(config)

    def get_helpers(self) -> dict[str, Any]:
        return {"twin_harvest_report": views.twin_harvest_report}

    def get_blueprint(self) -> Any:
        return views.blueprint()

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        """Index harvest sources without a "validated" copy.

        ckanext-harvest 1.6.3 re-indexes a source after each job with the *unvalidated*
        dict as ``with_custom_schema`` (CKAN 2.12), so ``package_show`` would answer from
        that cache without ``source_type``, ``config`` or ``frequency`` until the source is
        edited. Without the copy, ``package_show`` validates the stored source instead.
        """
        if pkg_dict.get("type") == "harvest":
            pkg_dict.pop("validated_data_dict", None)
        return pkg_dict

    def get_actions(self) -> dict[str, Any]:
        return actions.get_actions()

    def get_auth_functions(self) -> dict[str, Any]:
        return auth.get_auth_functions()
