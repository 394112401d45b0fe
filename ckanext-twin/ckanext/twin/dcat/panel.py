"""The stewards' DCAT-AP.de panel on the dataset page: what its template needs.

The decision who sees it is the action's auth function (``package_update``), so the page,
the API and the CLI cannot disagree; for everyone else the helper returns ``None``.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk


def twin_dataset_validation(dataset_id: str) -> dict[str, Any] | None:
    """The validation report of the dataset for the current user, or ``None`` if they may
    not edit it."""
    try:
        return tk.get_action("twin_dataset_validation_show")({}, {"id": dataset_id})
    except tk.NotAuthorized:
        return None


def get_helpers() -> dict[str, Any]:
    return {"twin_dataset_validation": twin_dataset_validation}
