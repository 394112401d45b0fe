"""Who may read and change policies and decisions.

A policy belongs to its municipality: the admins of the partner's organization read and
change it (sysadmins all of them), never another municipality's. Decisions about a
dataset are for its stewards: whoever may edit the dataset.
"""
from __future__ import annotations

from typing import Any

import ckan.authz as authz
import ckan.plugins.toolkit as tk
from ckan import model


def _admin_of(user: str | None, municipality: str | None) -> bool:
    organization = model.Group.get(municipality) if municipality else None
    if organization is None or not organization.is_organization or not user:
        return False
    return authz.users_role_for_group_or_org(organization.id, user) == "admin"


def _own_policy(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    user = context.get("user")
    municipality = (data_dict or {}).get("municipality")
    if _admin_of(user, municipality):
        return {"success": True}
    return {"success": False,
            "msg": tk._("Only the administrators of {municipality} may read or change its "
                        "policy").format(municipality=municipality or "?")}


twin_policy_show = _own_policy
twin_policy_update = _own_policy
twin_policy_export = _own_policy


def twin_policy_decision_list(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Stewards of the dataset (``id``), or the municipality's editors (``municipality``)."""
    user = context.get("user")
    if (data_dict or {}).get("id"):
        return authz.is_authorized("package_update", context, {"id": data_dict["id"]})
    organization = model.Group.get((data_dict or {}).get("municipality") or "")
    if organization is not None and user and authz.has_user_permission_for_group_or_org(
            organization.id, user, "update_dataset"):
        return {"success": True}
    return {"success": False,
            "msg": tk._("Decisions are shown to the stewards of the datasets they are about")}


def twin_policy_flow_list(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """One municipality's flows are its admins'; every municipality's, the operators'."""
    if (data_dict or {}).get("municipality"):
        return _own_policy(context, data_dict)
    return {"success": False, "msg": tk._("Only sysadmins see every municipality's flows")}


def get_auth_functions() -> dict[str, Any]:
    return {"twin_policy_show": twin_policy_show, "twin_policy_update": twin_policy_update,
            "twin_policy_export": twin_policy_export,
            "twin_policy_decision_list": twin_policy_decision_list,
            "twin_policy_flow_list": twin_policy_flow_list}
