"""The stewards' harvest panel: the newest job's report on the source's admin page, and the
button that releases held withdrawals (a POST to the action, so page and API agree)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint


def twin_harvest_report(source_id: str) -> dict[str, Any] | None:
    """The newest job's report for the current user; ``None`` if none or not theirs to see."""
    try:
        return tk.get_action("twin_harvest_job_report")({}, {"source_id": source_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return None


def release(source: str) -> Any:
    try:
        result = tk.get_action("twin_harvest_withdrawals_release")({}, {"source_id": source})
    except tk.NotAuthorized:
        return tk.abort(403, "Nur die Verantwortlichen der Quelle können Rücknahmen freigeben.")
    except tk.ObjectNotFound:
        return tk.abort(404, "Harvest-Quelle nicht gefunden.")
    except tk.ValidationError as error:
        tk.h.flash_error("; ".join(error.error_dict.get("source_id", [])))
    else:
        tk.h.flash_success(f"{result['withdrawn']} Datensätze zurückgenommen.")
    return tk.redirect_to("harvester.admin", id=source)


def blueprint() -> Blueprint:
    views = Blueprint("twin_harvest", __name__)
    views.add_url_rule("/harvest/admin/<source>/withdrawals/release", view_func=release,
                       methods=["POST"])
    return views
