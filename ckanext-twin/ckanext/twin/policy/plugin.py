"""``twin_policy``: per-municipality access policies, decided on every write and enforced
through CKAN's permission labels."""
from __future__ import annotations

from datetime import date
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.twin import paths
from ckanext.twin.policy import actions, auth, changes, labels, views


@tk.side_effect_free
@tk.chained_action
def package_search(up: Any, context: Any, data_dict: dict[str, Any]) -> Any:
    """Platform and partner accounts search what their labels admit, private or not: the
    public portal's filter ``capacity:public`` would otherwise hide everything admitted to
    an internal platform."""
    from ckanext.twin.access.accounts import principal_of

    user = context.get("auth_user_obj") or model.User.get(context.get("user") or "")
    if user is not None and principal_of(user) is not None:
        data_dict = {**data_dict, "include_private": True}
    return up(context, data_dict)


class PolicyPlugin(p.SingletonPlugin):
    """Load it before other plugins implementing ``IPermissionLabels`` (CKAN asks only the
    first one)."""

    p.implements(p.IConfigurer)
    p.implements(p.IPermissionLabels)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IActions)
    p.implements(p.IAuthFunctions)
    p.implements(p.IBlueprint)
    p.implements(p.ITemplateHelpers)

    _labels = labels.PolicyPermissionLabels()

    def update_config(self, config: Any) -> None:
        paths.add_templates(config)

    # IPermissionLabels
    def get_dataset_labels(self, dataset_obj: model.Package) -> list[str]:
        return self._labels.get_dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj: model.User) -> list[str]:
        return self._labels.get_user_dataset_labels(user_obj)

    # IPackageController: every write, Munich's own datasets and harvested ones alike
    def after_dataset_create(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        self._decide(pkg_dict)

    def after_dataset_update(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        self._decide(pkg_dict)

    @staticmethod
    def _decide(pkg_dict: dict[str, Any]) -> None:
        package = model.Package.get(pkg_dict.get("id") or "")
        if package is None:
            return
        model.Session.flush()
        changes.dataset_written(model.Session, package, date.today())

    def get_actions(self) -> dict[str, Any]:
        return {**actions.get_actions(), "package_search": package_search}

    def get_auth_functions(self) -> dict[str, Any]:
        return auth.get_auth_functions()

    def get_blueprint(self) -> Any:
        return views.blueprint()

    def get_helpers(self) -> dict[str, Any]:
        return views.get_helpers()
