"""Who a harvested dataset belongs to, and what it is called: decided here, not by the payload.

The source configuration names the partner; the partner registry then fixes the
organization, the contributorID and the publisher. What the payload says about itself is
only compared: a claim to be another municipality becomes a warning and changes nothing.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from ckan import model
from ckan.lib.munge import munge_title_to_name

from ckanext.twin.partners import Partner
from ckanext.twin.search.text import fold_query

POLITICAL_GEOCODING = "http://dcat-ap.de/def/politicalGeocoding/"
_PREFIXES = re.compile(r"^(landeshauptstadt|stadt|gemeinde|markt)\s+", re.IGNORECASE)
NAME_LENGTH = 90  # CKAN allows 100; room for the "-" and 8 hex digits of a collision suffix


def _fold(text: str) -> str:
    return fold_query(unicodedata.normalize("NFKC", text)).casefold()


def place_name(partner: Partner) -> str:
    """The municipality's own name: "Stadt Garching b.München" → "garching"."""
    core = _PREFIXES.sub("", partner.title.strip())
    return _fold(re.split(r"\s+b\.\s*|\s+bei\s+", core)[0]).strip()


def _mentions(text: str, partner: Partner) -> bool:
    return re.search(rf"(?<!\w){re.escape(place_name(partner))}(?!\w)", _fold(text)) is not None


def foreign_claims(dataset: dict[str, Any], partner: Partner,
                   partners: Iterable[Partner]) -> list[str]:
    """What the payload claims that points to another partner than the source's, as warnings."""
    others = [p for p in partners if p.id != partner.id]
    warnings: list[str] = []
    for agent in dataset.get("publisher") or []:
        text = " ".join(str(agent.get(k) or "") for k in ("name", "uri", "url", "email"))
        if _mentions(text, partner):
            continue
        for other in others:
            if _mentions(text, other):
                warnings.append(f"the payload names {agent.get('name') or agent.get('uri')!r} "
                                f"({other.title}) as publisher; the source belongs to "
                                f"{partner.title}, which is recorded instead")
                break
    for contributor in _as_list(dataset.get("contributor_id")):
        for other in others:
            if other.contributor_id and contributor == other.contributor_id:
                warnings.append(f"the payload claims contributorID {contributor} "
                                f"({other.title}); recorded is {partner.title}'s")
    for uri in _as_list(dataset.get("political_geocoding_uri")):
        for other in others:
            if uri.endswith(f"/regionalKey/{other.regional_key}") \
                    or uri.endswith(f"/municipalityKey/{other.ags}"):
                warnings.append(f"the payload's politicalGeocodingURI {uri} is "
                                f"{other.title}'s; recorded is {partner.title}'s")
    return warnings


def _as_list(value: Any) -> list[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def apply_partner(dataset: dict[str, Any], partner: Partner,
                  partners: Iterable[Partner]) -> list[str]:
    """Put the registry's decisions into ``dataset``; the warnings for what it overrode."""
    warnings = foreign_claims(dataset, partner, partners)
    dataset["owner_org"] = partner.id
    dataset["publisher"] = []  # empty: the partner's organization is the publisher
    dataset["contributor_id"] = [partner.contributor_id] if partner.contributor_id else []
    if any("politicalGeocodingURI" in w for w in warnings):
        dataset["political_geocoding_uri"] = \
            [f"{POLITICAL_GEOCODING}regionalKey/{partner.regional_key}"]
    return warnings


def dataset_name(title: str | None, source_id: str, key: str) -> str:
    """A name for a new dataset: its title's slug, or the slug with a stable suffix if taken.

    The suffix comes from (source, key), so the same record always asks for the same name,
    and two sources' records with the same title never take each other's.
    """
    # "Luftqualität in Nürnberg" → luftqualitaet-in-nuernberg, as the portal's own names.
    slug = munge_title_to_name(fold_query(title or key))[:NAME_LENGTH].strip("-_") or "dataset"
    if len(slug) < 2:
        slug = f"dataset-{slug}"
    if model.Package.by_name(slug) is None:
        return slug
    digest = hashlib.sha1(f"{source_id}\n{key}".encode()).hexdigest()[:8]
    return f"{slug}-{digest}"
