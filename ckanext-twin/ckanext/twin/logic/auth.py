"""Auth functions of the portal (IAuthFunctions), one per action in ``actions.py``."""
from __future__ import annotations

from typing import Any

from ckan import authz


def twin_dataset_validation_show(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Those who may edit the dataset (its stewards) see its validation report: it is a
    to-do list for them, and it reveals nothing a steward cannot see anyway."""
    return authz.is_authorized("package_update", context, {"id": data_dict.get("id")})
