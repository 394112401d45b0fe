"""Template helpers (ITemplateHelpers)."""
from __future__ import annotations

from typing import Any

from ckan.lib.helpers import lang

from harvesters.vocabularies import default_vocabularies as vocabularies


def twin_vocabulary_choices(field: dict[str, Any]) -> list[dict[str, str]]:
    """Choices of a vocabulary field, labelled in the page's language (German first)."""
    return vocabularies().choices(field["vocabulary"], lang() or "de")


def get_helpers() -> dict[str, Any]:
    return {"twin_vocabulary_choices": twin_vocabulary_choices}
