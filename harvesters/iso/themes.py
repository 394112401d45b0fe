"""Keywords of an ISO record that name a theme -> EU data themes (``dcat:theme``).

Three forms are recognised: an INSPIRE theme (an Anchor to ``inspire.ec.europa.eu/theme/xx``
or GEMET's ``…/inspire-theme/xx``, or the theme's German or English name in a thesaurus
named like "GEMET - INSPIRE themes"), mapped through ``config/vocabularies/
inspire-themes.yaml``; an Anchor to an EU data theme; and a keyword that is an EU data-theme
code (``GOVE``), as InGrid writes the open-data categories.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from harvesters.iso.record import Keyword
from harvesters.vocabularies import DEFAULT_DIRECTORY, Vocabularies, default_vocabularies

THEMES_FILE = DEFAULT_DIRECTORY / "inspire-themes.yaml"
DATA_THEMES = "http://publications.europa.eu/resource/authority/data-theme/"
_INSPIRE_URI = re.compile(r"^https?://(?:inspire\.ec\.europa\.eu/theme/"
                          r"|www\.eionet\.europa\.eu/gemet/(?:[a-z]{2}/)?inspire-theme/)"
                          r"([a-z]{2})/?$", re.IGNORECASE)
_DATA_THEME_URI = re.compile(r"^https?://publications\.europa\.eu/resource/authority/"
                             r"data-theme/([A-Z_]+)/?$")
_CODE = re.compile(r"^[A-Z]{4}$")
_DASHES = re.compile(r"\s*[\u2010-\u2015-]\s*")


@dataclass(frozen=True)
class ThemeTable:
    """INSPIRE theme code -> EU data-theme URI, and theme names -> code."""

    data_themes: Mapping[str, str]
    names: Mapping[str, str]

    def inspire_code(self, keyword: Keyword) -> str | None:
        """The INSPIRE theme ``keyword`` names, if it names one."""
        match = _INSPIRE_URI.match(keyword.text.href or "")
        if match and match.group(1).lower() in self.data_themes:
            return match.group(1).lower()
        if not is_inspire_thesaurus(keyword):
            return None
        for text in (keyword.text.text, *(value for _, value in keyword.text.translations)):
            code = self.names.get(name_key(text))
            if code:
                return code
        return None


def name_key(text: str) -> str:
    """Theme names compare without case and whatever dash ("—", "–", "-") is written."""
    return _DASHES.sub("-", " ".join(text.split())).casefold()


def is_inspire_thesaurus(keyword: Keyword) -> bool:
    """"GEMET - INSPIRE themes, version 1.0", "GEMET - INSPIRE thema's", "INSPIRE-Themen",
    GEMINI's "external.theme.inspire-theme"."""
    title = keyword.thesaurus.casefold()
    return "inspire" in title and "them" in title


def load_themes(path: Path = THEMES_FILE,
                vocabularies: Vocabularies | None = None) -> ThemeTable:
    """Reads the table; refuses it when a data theme is not in the EU table or a name is
    missing or given to two themes."""
    vocabularies = vocabularies or default_vocabularies()
    entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("themes") or {}
    data_themes: dict[str, str] = {}
    names: dict[str, str] = {}
    for code, entry in entries.items():
        uri = DATA_THEMES + str(entry.get("data_theme"))
        if not vocabularies.contains("data-theme", uri):
            raise ValueError(f"{path}: theme {code}: {entry.get('data_theme')!r} is not a code "
                             f"of the EU data-theme table")
        data_themes[code] = uri
        for language in ("en", "de"):
            if not entry.get(language):
                raise ValueError(f"{path}: theme {code}: no {language} name")
            key = name_key(str(entry[language]))
            if names.setdefault(key, code) != code:
                raise ValueError(f"{path}: the name {entry[language]!r} is given to "
                                 f"{names[key]} and {code}")
    return ThemeTable(data_themes, names)


@cache
def default_themes() -> ThemeTable:
    """The table of ``config/vocabularies/inspire-themes.yaml``, read once."""
    return load_themes()


def data_themes(keywords: Iterable[Keyword], table: ThemeTable,
                vocabularies: Vocabularies) -> list[str]:
    """The EU data-theme URIs the keywords name, in keyword order, each once."""
    found: dict[str, None] = {}
    for keyword in keywords:
        code = table.inspire_code(keyword)
        if code:
            found.setdefault(table.data_themes[code])
            continue
        match = _DATA_THEME_URI.match(keyword.text.href or "")
        candidate = DATA_THEMES + match.group(1) if match else _theme_code(keyword)
        if candidate and vocabularies.contains("data-theme", candidate):
            found.setdefault(candidate)
    return list(found)


def _theme_code(keyword: Keyword) -> str | None:
    return DATA_THEMES + keyword.text.text if _CODE.match(keyword.text.text) else None


def is_theme_code(keyword: Keyword, vocabularies: Vocabularies) -> bool:
    """Whether the keyword is an EU data-theme code ("GOVE"): a theme, not a word to search."""
    candidate = _theme_code(keyword)
    return candidate is not None and vocabularies.contains("data-theme", candidate)
