"""One CKAN organization per partner, kept in line with the partner registry.

Everything goes through the action API (as the site user), so CKAN's validation, activity
stream and plugin hooks see the same change an administrator would make in the web UI.
A run only writes what differs, so running it again reports every partner as unchanged.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal

import ckan.plugins.toolkit as tk

from ckanext.twin.partners import Partner, load_partners
from ckanext.twin.paths import configured_file

Outcome = Literal["created", "updated", "unchanged"]

# Organization extras this module owns; extras with other keys are left alone.
EXTRA_KEYS = ("title_en", "ags", "regional_key", "political_geocoding_level", "contributor_id",
              "website", "contact_name", "contact_email", "district", "group")

_ROLE = {
    "muenchen": "",
    "nordallianz": ", Mitglied der NordAllianz",
    "cooperation": ", kooperierende Stadt",
}


def organization_fields(partner: Partner) -> dict[str, Any]:
    """Title, description and extras (a key → text dict) of the partner's organization."""
    extras = {
        "title_en": partner.title_en,
        "ags": partner.ags,
        "regional_key": partner.regional_key,
        "political_geocoding_level": partner.political_geocoding_level,
        "contributor_id": partner.contributor_id,
        "website": partner.website,
        "contact_name": partner.contact.name,
        "contact_email": partner.contact.email,
        "district": partner.district,
        "group": partner.group,
    }
    return {
        "title": partner.title,
        "description": f"Daten der {partner.title} ({partner.district}){_ROLE[partner.group]}.",
        "extras": {key: value for key, value in extras.items() if value is not None},
    }


class PartnerSyncError(Exception):
    """CKAN refused a partner's organization (e.g. a group already has its name)."""


def sync_partners(partners: Sequence[Partner]) -> Iterator[tuple[str, Outcome]]:
    """Create or patch the organization of each partner, yielding what happened to each.

    A generator, so a caller can report each partner as it is done, before a later one fails.
    """
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    for partner in partners:
        try:
            yield partner.id, _sync(partner, site_user)
        except tk.ValidationError as error:
            problems = "; ".join(f"{field}: {message}"
                                 for field, message in error.error_summary.items())
            raise PartnerSyncError(f'partner "{partner.id}": CKAN refused the organization: '
                                   f"{problems}") from error


def _context(site_user: str) -> dict[str, Any]:
    # A fresh dict per call: actions store objects in the context they are given.
    return {"user": site_user, "ignore_auth": True}


def _sync(partner: Partner, site_user: str) -> Outcome:
    wanted = organization_fields(partner)
    existing = _show(partner.id, site_user)
    if existing is None:
        tk.get_action("organization_create")(_context(site_user), {
            "name": partner.id, **wanted, "extras": _extras_list(wanted["extras"])})
        return "created"
    changes = _changes(existing, wanted)
    if not changes:
        return "unchanged"
    tk.get_action("organization_patch")(_context(site_user), {"id": existing["id"], **changes})
    return "updated"


def _show(name: str, site_user: str) -> dict[str, Any] | None:
    """The organization without members, datasets or counts (counts would need search)."""
    try:
        return tk.get_action("organization_show")(_context(site_user), {
            "id": name, "include_datasets": False, "include_dataset_count": False,
            "include_users": False, "include_groups": False, "include_followers": False,
            "include_extras": True})
    except tk.ObjectNotFound:
        return None


def _changes(existing: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The fields a patch must send so the organization matches ``wanted``."""
    changes: dict[str, Any] = {
        field: wanted[field] for field in ("title", "description")
        if existing.get(field) != wanted[field]
    }
    if existing.get("state") != "active":
        changes["state"] = "active"
    current = {extra["key"]: extra["value"] for extra in existing.get("extras", [])}
    merged = {key: value for key, value in current.items() if key not in EXTRA_KEYS}
    merged.update(wanted["extras"])
    if merged != current:
        # Extras are replaced as a whole, so the ones owned by others are sent back too.
        changes["extras"] = _extras_list(merged)
    return changes


def _extras_list(extras: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": extras[key]} for key in sorted(extras)]


def registry() -> dict[str, Partner]:
    """The partners of the configured registry file (ckanext.twin.partners_file), by id.

    Read again whenever the file changes, so a long-running harvest consumer follows edits.
    """
    path = configured_file("ckanext.twin.partners_file")
    stamp = (str(path), path.stat().st_mtime_ns if path.exists() else None)
    if _registry_cache.get("stamp") != stamp:
        _registry_cache["partners"] = {p.id: p for p in load_partners(path)}
        _registry_cache["stamp"] = stamp
    return _registry_cache["partners"]


_registry_cache: dict[str, Any] = {}
