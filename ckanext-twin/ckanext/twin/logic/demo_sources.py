"""The demo harvest sources of config/sources/demo.yaml, created or updated through the API.

Each source harvests one partner's demo catalog: a DCAT-AP.de catalog from
``config/sources/catalogs``, served on 127.0.0.1 by ``python -m ckanext.twin.demo_catalogs``,
or (``type: twin_csw``) ISO 19139 records from a folder below ``config/sources``, served by
the demo CSW server (``scripts/pycsw_server.py``). The file is checked as a whole first,
with every problem as one line ``FILE:LINE: what is wrong``; then each source is created, or
patched where it differs, so a second run reports every source as unchanged.
"""
from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import ckan.plugins.toolkit as tk
from yaml.nodes import Node, SequenceNode

from ckanext.twin import partners

Outcome = Literal["created", "updated", "unchanged"]
SOURCE_TYPES = ("twin_dcat", "twin_csw")
_KEYS = ("name", "title", "partner", "type", "path", "notes")
_REQUIRED = ("name", "title", "partner", "path")


class DemoSourcesError(Exception):
    """The demo sources file or one of its sources was refused; one line saying where."""


@dataclass(frozen=True)
class DemoSource:
    """One harvest source. ``path``: for ``twin_dcat`` its catalog's first page below the
    catalogs folder, for ``twin_csw`` the folder of its records below ``config/sources``."""

    name: str
    title: str
    partner: str
    path: str
    notes: str = ""
    type: str = "twin_dcat"


class _Reader(partners.YamlReader):
    """The partner registry's reader (keys, repeats, quoting), failing with this module's error."""

    error = DemoSourcesError


def load(path: Path, partner_ids: Collection[str]) -> list[DemoSource]:
    """The sources of ``path``; their catalogs must exist in ``catalogs/`` next to it."""
    reader = _Reader(str(path))
    root = reader.compose_file(path)
    if root is None:
        raise DemoSourcesError(f"{path}:1: the file is empty")
    items = reader.mapping(root, "the file", ("sources",)).get("sources")
    if not isinstance(items, SequenceNode) or not items.value:
        reader.fail(items or root, "expected 'sources:' with a non-empty list of sources")
    sources: dict[str, DemoSource] = {}
    for number, node in enumerate(items.value, 1):
        source = _source(reader, node, f"source #{number}", path.parent, partner_ids)
        if source.name in sources:
            reader.fail(node, f"source name {source.name!r} appears twice")
        sources[source.name] = source
    return list(sources.values())


def _source(reader: _Reader, node: Node, what: str, folder: Path,
            partner_ids: Collection[str]) -> DemoSource:
    fields = reader.mapping(node, what, _KEYS)
    missing = [key for key in _REQUIRED if key not in fields]
    if missing:
        reader.fail(node, f"{what}: missing {', '.join(missing)}")
    value = {key: reader.text(child, what, key) for key, child in fields.items()}
    if not partners.NAME.fullmatch(value["name"]):  # CKAN's rule for names
        reader.fail(fields["name"], f"{what}: name must be 2-100 lowercase letters, digits, "
                                    f"- or _, got {value['name']!r}")
    if value["partner"] not in partner_ids:
        reader.fail(fields["partner"], f"{what}: unknown partner {value['partner']!r} "
                                       f"(known: {', '.join(sorted(partner_ids))})")
    kind = value.setdefault("type", SOURCE_TYPES[0])
    if kind not in SOURCE_TYPES:
        reader.fail(fields["type"], f"{what}: type must be one of {', '.join(SOURCE_TYPES)}, "
                                    f"got {kind!r}")
    base = folder / "catalogs" if kind == "twin_dcat" else folder
    target = (base / value["path"]).resolve()
    exists = target.is_file() if kind == "twin_dcat" else target.is_dir()
    if not target.is_relative_to(base.resolve()) or not exists:
        thing = "catalog" if kind == "twin_dcat" else "folder of ISO 19139 records"
        reader.fail(fields["path"], f"{what}: no {thing} {value['path']!r} in {base}")
    return DemoSource(**value)


def ensure(sources: list[DemoSource], base_url: str,
           csw_url: str) -> Iterator[tuple[str, Outcome]]:
    """Create or patch each source to harvest ``base_url``/path (DCAT) or ``csw_url`` (CSW);
    yields what happened."""
    for url, what in ((base_url, "the catalogs' base URL"), (csw_url, "the CSW URL")):
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise DemoSourcesError(f"{what} must be an http(s) URL, got {url!r}")
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    for source in sources:
        url = f"{base_url.rstrip('/')}/{source.path}" if source.type == "twin_dcat" \
            else csw_url
        wanted = {
            "name": source.name, "title": source.title, "notes": source.notes,
            "url": url, "source_type": source.type, "owner_org": source.partner,
            # The demo servers are on a loopback address, which the harvesters refuse unless
            # the source allows that host. The demo catalogs hold open data, which the
            # partners declare for the access policies.
            "config": json.dumps({"partner": source.partner,
                                  "allowed_hosts": [urlsplit(url).hostname],
                                  "personal_data": False, "classification": "public"}),
        }
        try:
            yield source.name, _ensure(wanted, site_user)
        except tk.ValidationError as error:
            problems = "; ".join(f"{field}: {message}"
                                 for field, message in error.error_summary.items())
            raise DemoSourcesError(f"source {source.name!r}: CKAN refused it: {problems}") \
                from error


def _ensure(wanted: dict[str, Any], site_user: str) -> Outcome:
    context = {"user": site_user, "ignore_auth": True}
    try:
        existing = tk.get_action("harvest_source_show")(dict(context), {"id": wanted["name"]})
    except tk.ObjectNotFound:
        tk.get_action("harvest_source_create")(dict(context), wanted)
        return "created"
    if existing.get("type") != "harvest":
        raise DemoSourcesError(f"source {wanted['name']!r}: the name is taken by a dataset")
    changes = {key: wanted[key] for key in ("title", "notes", "url", "source_type")
               if (existing.get(key) or "") != wanted[key]}
    if json.loads(existing.get("config") or "{}") != json.loads(wanted["config"]):
        changes["config"] = wanted["config"]
    if (existing.get("organization") or {}).get("name") != wanted["owner_org"]:
        changes["owner_org"] = wanted["owner_org"]
    if existing.get("state") != "active":
        changes["state"] = "active"
    if not changes:
        return "unchanged"
    tk.get_action("harvest_source_patch")(dict(context), {"id": existing["id"], **changes})
    return "updated"
