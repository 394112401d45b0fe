"""Anyone may ask who they are."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk


@tk.auth_allow_anonymous_access
def twin_access_whoami(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    return {"success": True}


def get_auth_functions() -> dict[str, Any]:
    return {"twin_access_whoami": twin_access_whoami}
