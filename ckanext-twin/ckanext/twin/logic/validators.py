"""Validators of the DCAT-AP.de dataset schema (registered through IValidators).

Scheming hands each validator factory the field definition, so one validator serves every
vocabulary field: the field's ``vocabulary`` key names the controlled vocabulary.
"""
from __future__ import annotations

import json
from typing import Any

from ckan import model
from ckan.plugins.toolkit import Invalid, _, missing
from ckanext.scheming.validation import scheming_validator

from harvesters.vocabularies import default_vocabularies as vocabularies

POLITICAL_GEOCODING = "http://dcat-ap.de/def/politicalGeocoding/"


def _allowed(scheme: str) -> str:
    concepts = vocabularies().choices(scheme, "de")
    return ", ".join(f"{c['value']} ({c['label']})" for c in concepts)


def _conform(scheme: str, raw: Any) -> str:
    """``raw`` as the vocabulary's URI (unambiguous spellings are normalised)."""
    value = str(raw).strip()
    uri = value if vocabularies().contains(scheme, value) else \
        vocabularies().normalise(scheme, value)
    if not uri:
        raise Invalid(_("{value!r} is not in the vocabulary {scheme}; allowed values: "
                        "{allowed}").format(value=value, scheme=scheme,
                                            allowed=_allowed(scheme)))
    return uri


def _kept(context: dict, key: Any, error: Invalid) -> bool:
    """Whether the unknown value is kept, with a warning, instead of refusing the dataset.

    Harvesting asks for that (``twin_vocabulary_warnings`` in the context): a partner's
    dataset is not lost over a code our tables do not have, and the steward sees why.
    """
    warnings = context.get("twin_vocabulary_warnings")
    if warnings is None:
        return False
    field = ".".join(str(part) for part in key)
    warnings.append(f"{field}: {error.error} (kept as given)")
    return True


@scheming_validator
def twin_vocabulary(field: dict[str, Any], schema: dict[str, Any]) -> Any:
    scheme = field["vocabulary"]

    def validator(key: Any, data: dict, errors: dict, context: dict) -> None:
        value = data.get(key)
        if value is missing or value is None or value == "":
            return
        try:
            data[key] = _conform(scheme, value)
        except Invalid as error:
            if not _kept(context, key, error):
                errors[key].append(error.error)

    return validator


@scheming_validator
def twin_vocabulary_list(field: dict[str, Any], schema: dict[str, Any]) -> Any:
    """Several vocabulary values, stored as a JSON list (like scheming's multiple choice)."""
    scheme = field["vocabulary"]

    def validator(key: Any, data: dict, errors: dict, context: dict) -> None:
        value = data.get(key)
        if value is missing or value is None or value == "" or value == []:
            data[key] = json.dumps([])
            return
        if isinstance(value, str):
            try:
                loaded = json.loads(value)
                value = loaded if isinstance(loaded, list) else [value]
            except ValueError:
                value = [value]
        if not isinstance(value, list):
            errors[key].append(_("expecting a list of values"))
            return
        conformed = []
        for item in value:
            try:
                conformed.append(_conform(scheme, item))
            except Invalid as error:
                if _kept(context, key, error):
                    conformed.append(str(item).strip())
                else:
                    errors[key].append(error.error)
        if not errors[key]:
            data[key] = json.dumps(list(dict.fromkeys(conformed)))

    return validator


def _partner_value(extras: dict[str, str], name: str) -> Any:
    if name == "contributor_id":
        return [extras["contributor_id"]] if extras.get("contributor_id") else None
    if name == "political_geocoding_uri" and extras.get("regional_key"):
        return [f"{POLITICAL_GEOCODING}regionalKey/{extras['regional_key']}"]
    if name == "political_geocoding_level_uri" and extras.get("political_geocoding_level"):
        return f"{POLITICAL_GEOCODING}Level/{extras['political_geocoding_level']}"
    return None


@scheming_validator
def twin_partner_default(field: dict[str, Any], schema: dict[str, Any]) -> Any:
    """An empty field takes the owning partner's value (regional key, contributorID, …)."""
    name = field["partner_default"]

    def validator(key: Any, data: dict, errors: dict, context: dict) -> None:
        if data.get(key) not in (None, "", [], missing, "[]"):
            return
        organization = model.Group.get(data.get(("owner_org",)) or "")
        if organization is None:
            return
        default = _partner_value(dict(organization.extras), name)
        if default is not None:
            data[key] = default

    return validator


def get_validators() -> dict[str, Any]:
    return {"twin_vocabulary": twin_vocabulary, "twin_vocabulary_list": twin_vocabulary_list,
            "twin_partner_default": twin_partner_default}
