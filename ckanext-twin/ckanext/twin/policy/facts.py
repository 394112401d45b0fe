"""What the policies look at in a dataset, read fail-closed.

Harvested metadata is written by others and often sloppy; a value the portal cannot read
with certainty is read as the most restrictive thing it could mean (access rights
NON_PUBLIC, licence other-closed, personal data yes, classification secret, an embargo
for ever), never as the most convenient. Each such reading leaves a note, so explanations
can say why a dataset was withheld. The municipality is always the owning organization
given by the caller, never what the payload claims (contributorID, publisher).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from harvesters.vocabularies import default_vocabularies

from ckanext.twin.policy.model import digest_of
from ckanext.twin.policy.terms import (ACCESS_RIGHT, ACCESS_URIS, CLASSIFICATIONS,
                                       CLOSED_LICENCE, REGIONAL_KEY, STATE_KEY)

_MOST_RESTRICTIVE_ACCESS = ACCESS_URIS[-1]
_MOST_PROTECTED = list(CLASSIFICATIONS)[-1]


@dataclass(frozen=True)
class Facts:
    """The policy-relevant values of one dataset, canonical (see ``terms``)."""

    municipality: str | None
    access_rights: str
    licenses: frozenset[str]
    themes: frozenset[str]
    areas: frozenset[str]  # 12-digit Regionalschlüssel
    embargo: date | None  # date.max: an embargo that could not be read, for ever
    personal_data: bool
    classification: str
    notes: tuple[str, ...]

    def values(self) -> dict[str, Any]:
        """JSON-able; what decisions depend on (the notes only explain them)."""
        return {"municipality": self.municipality, "access_rights": self.access_rights,
                "licenses": sorted(self.licenses), "themes": sorted(self.themes),
                "areas": sorted(self.areas),
                "embargo": self.embargo.isoformat() if self.embargo else None,
                "personal_data": self.personal_data, "classification": self.classification}

    @property
    def digest(self) -> str:
        """The metadata hash a decision is recorded under: same facts, same decision."""
        return digest_of(self.values())


def _listed(raw: Any) -> list[Any]:
    """A field's values: a list, a JSON-encoded list (as scheming stores them) or one value."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except ValueError:
                return [raw]
            return loaded if isinstance(loaded, list) else [raw]
        return [raw]
    if isinstance(raw, (list, tuple)):
        return list(raw)
    return [raw]


def _access_rights(raw: Any, notes: list[str]) -> str:
    values = _listed(raw)
    if not values:
        notes.append(f"access_rights missing: read as {_tail(_MOST_RESTRICTIVE_ACCESS)}")
        return _MOST_RESTRICTIVE_ACCESS
    levels = []
    for value in values:
        if value in ACCESS_URIS:
            levels.append(ACCESS_URIS.index(value))
        else:
            # Exact URIs only: 'public', https:// or lowercase variants and other EU codes
            # (SENSITIVE, ...) are not one of the three levels the policies speak of.
            notes.append(f"access_rights {value!r} is not an EU access-right URI "
                         f"({ACCESS_RIGHT}PUBLIC|RESTRICTED|NON_PUBLIC): read as "
                         f"{_tail(_MOST_RESTRICTIVE_ACCESS)}")
            levels.append(len(ACCESS_URIS) - 1)
    chosen = ACCESS_URIS[max(levels)]
    if len(values) > 1:
        notes.append(f"access_rights has {len(values)} values: the most restrictive, "
                     f"{_tail(chosen)}, counts")
    return chosen


@lru_cache(maxsize=4096)
def _licence(raw: str) -> str | None:
    return default_vocabularies().normalise("licenses", raw)


@lru_cache(maxsize=4096)
def _theme(raw: str) -> str | None:
    return default_vocabularies().normalise("data-theme", raw)


def _licences(dataset: Mapping[str, Any], notes: list[str]) -> frozenset[str]:
    """The dataset's licence and every distribution's own one (a missing one inherits)."""
    found = set()
    raw = dataset.get("license_id")
    if raw is None or not str(raw).strip():
        notes.append("license_id missing: read as other-closed")
        found.add(CLOSED_LICENCE)
    else:
        found.add(_known_licence(str(raw), "license_id", notes))
    for index, resource in enumerate(dataset.get("resources") or ()):
        own = resource.get("license") if isinstance(resource, Mapping) else None
        if own is not None and str(own).strip():
            found.add(_known_licence(str(own), f"resources[{index}].license", notes))
    return frozenset(found)


def _known_licence(raw: str, field: str, notes: list[str]) -> str:
    uri = _licence(raw)
    if uri is None:
        notes.append(f"{field} {raw!r} is not in the DCAT-AP.de licence list: read as "
                     "other-closed")
        return CLOSED_LICENCE
    return uri


def _themes(raw: Any, notes: list[str]) -> frozenset[str]:
    found = set()
    for value in _listed(raw):
        uri = _theme(value) if isinstance(value, str) else None
        if uri is None:
            notes.append(f"theme {value!r} is not an EU data theme: left out")
        else:
            found.add(uri)
    return frozenset(found)


def _area(value: Any) -> str | None:
    """The 12-digit regional key of a regionalKey URI (a Land's stateKey as its key)."""
    if not isinstance(value, str):
        return None
    for prefix, digits in ((REGIONAL_KEY, 12), (STATE_KEY, 2)):
        key = value[len(prefix):] if value.startswith(prefix) else ""
        if len(key) == digits and key.isascii() and key.isdigit():
            return key.ljust(12, "0")
    return None


def _areas(dataset: Mapping[str, Any], notes: list[str]) -> frozenset[str]:
    """Political geocoding and the spatial coverage's regional keys.

    One unreadable political geocoding value makes the whole area unknown (no area):
    keeping the readable rest would make "lies wholly within" hold for a dataset that
    may reach beyond. Spatial coverage URIs of other kinds (GeoNames, ...) are no areas.
    """
    found = set()
    for value in _listed(dataset.get("political_geocoding_uri")):
        key = _area(value)
        if key is None:
            notes.append(f"political_geocoding_uri {value!r} is no regional key URI: the "
                         "area is read as unknown")
            return frozenset()
        found.add(key)
    for coverage in _listed(dataset.get("spatial_coverage")):
        key = _area(coverage.get("uri")) if isinstance(coverage, Mapping) else None
        if key is not None:
            found.add(key)
    return frozenset(found)


def _embargo(raw: Any, notes: list[str]) -> date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else \
            datetime.fromisoformat(text).date()
    except ValueError:
        notes.append(f"embargo_until {raw!r} is not an ISO date: embargoed for ever")
        return date.max


def _personal_data(raw: Any, notes: list[str]) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw in ("true", "false"):
        return raw == "true"
    if raw is None or raw == "":
        notes.append("personal_data missing: assumed to be personal data")
    else:
        notes.append(f"personal_data {raw!r} is neither true nor false: assumed to be "
                     "personal data")
    return True


def _classification(raw: Any, notes: list[str]) -> str:
    if isinstance(raw, str) and raw in CLASSIFICATIONS:
        return raw
    if raw is None or raw == "":
        notes.append(f"classification missing: read as {_MOST_PROTECTED}")
    else:
        notes.append(f"classification {raw!r} is not one of {', '.join(CLASSIFICATIONS)}: "
                     f"read as {_MOST_PROTECTED}")
    return _MOST_PROTECTED


def _tail(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def facts_of(dataset: Mapping[str, Any], municipality: str | None) -> Facts:
    """The facts of a dataset dict (``package_show`` shape) of ``municipality``'s organization."""
    notes: list[str] = []
    return Facts(
        municipality=municipality,
        access_rights=_access_rights(dataset.get("access_rights"), notes),
        licenses=_licences(dataset, notes),
        themes=_themes(dataset.get("theme"), notes),
        areas=_areas(dataset, notes),
        embargo=_embargo(dataset.get("embargo_until"), notes),
        personal_data=_personal_data(dataset.get("personal_data"), notes),
        classification=_classification(dataset.get("classification"), notes),
        notes=tuple(notes))
