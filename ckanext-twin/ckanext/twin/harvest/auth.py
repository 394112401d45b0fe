"""Auth functions of the harvest actions: the source's stewards, as ckanext-harvest decides."""
from __future__ import annotations

from typing import Any

from ckan import authz


def twin_harvest_job_report(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Whoever may see the source's jobs may see their reports."""
    return authz.is_authorized("harvest_job_list", context,
                               {"source_id": data_dict.get("source_id")})


def twin_harvest_withdrawals_release(context: Any, data_dict: dict[str, Any]) -> dict[str, Any]:
    """Releasing withdrawals is an edit of the source: its stewards decide."""
    return authz.is_authorized("harvest_source_update", context,
                               {"id": data_dict.get("source_id")})


def get_auth_functions() -> dict[str, Any]:
    return {"twin_harvest_job_report": twin_harvest_job_report,
            "twin_harvest_withdrawals_release": twin_harvest_withdrawals_release}
