"""Free text of ISO 19139 in its three encodings, with German and English translations.

A text-bearing element holds ``gco:CharacterString`` (plain), ``gmx:Anchor`` (text plus an
``xlink:href``, GDI-DE's way of naming licences, themes and access constraints) or, for
multilingual records, a main ``gco:CharacterString`` in the record's own language with
``gmd:PT_FreeText`` translations (``gmd:LocalisedCharacterString@locale``, e.g. ``#DE``,
``#locale-ger``, ``#EN``; the ids are declared by ``gmd:locale/gmd:PT_Locale``). The portal
publishes German first and English second, so of the translations only those two are kept.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from harvesters.iso.paths import ANCHOR, CHARACTER_STRING, FREE_TEXT, HREF, LOCALISED_STRING

KEPT_TRANSLATIONS = ("de", "en")
# ISO 639-2 (B and T) and 639-1 codes as records write them -> the BCP 47 tag of a literal.
LANGUAGE_TAGS = {
    "ger": "de", "deu": "de", "de": "de", "eng": "en", "en": "en", "fre": "fr", "fra": "fr",
    "fr": "fr", "dut": "nl", "nld": "nl", "nl": "nl", "ita": "it", "it": "it", "spa": "es",
    "es": "es", "pol": "pl", "pl": "pl", "cze": "cs", "ces": "cs", "cs": "cs", "gre": "el",
    "ell": "el", "el": "el", "dan": "da", "da": "da", "por": "pt", "pt": "pt",
}
_BLANKS = re.compile(r"\s+")


@dataclass(frozen=True)
class Text:
    """One text: ``text`` in ``language`` (a BCP 47 tag, None when unknown), its German and
    English ``translations`` where they differ, and an Anchor's ``href``."""

    text: str
    language: str | None = None
    translations: tuple[tuple[str, str], ...] = ()
    href: str | None = None

    def __str__(self) -> str:
        return self.text


def language_tag(code: str | None) -> str | None:
    """``ger`` / ``deu`` / ``de`` -> ``de``; None for codes without a known tag."""
    if not code:
        return None
    return LANGUAGE_TAGS.get(code.strip().lower().split(";")[0].strip()[:3].rstrip("-_"))


def clean(value: str | None) -> str:
    """Blanks (line breaks, indentation) collapsed, ends stripped."""
    return _BLANKS.sub(" ", value).strip() if value else ""


def locale_tag(locale: str | None, locales: Mapping[str, str]) -> str | None:
    """The tag of a ``LocalisedCharacterString@locale``: the record's ``PT_Locale`` of that id,
    else what the id says (``#DE``, ``#locale-ger``, ``#EN``)."""
    if not locale:
        return None
    key = locale.lstrip("#")
    if key in locales:
        return locales[key]
    return language_tag(re.sub(r"^locale[-_]?", "", key, flags=re.IGNORECASE))


def read_text(element: etree._Element | None, language: str | None,
              locales: Mapping[str, str]) -> Text | None:
    """The text of a CharacterString/Anchor/PT_FreeText property element, or None if empty.

    ``language`` is the tag of the record's own language (the main text's); ``locales`` maps
    the record's ``PT_Locale`` ids to tags.
    """
    if element is None:
        return None
    main, href = "", None
    found: dict[str, str] = {}
    for child in element:
        tag = child.tag
        if tag == CHARACTER_STRING:
            main = clean(child.text)
        elif tag == ANCHOR:
            main, href = clean(child.text), clean(child.get(HREF)) or None
        elif tag == FREE_TEXT:
            for localised in child.iter(LOCALISED_STRING):
                tag_ = locale_tag(localised.get("locale"), locales)
                value = clean(localised.text)
                if tag_ in KEPT_TRANSLATIONS and value:
                    found.setdefault(tag_, value)
    if not main:
        if not found and href:
            main = href
        elif found:
            main = found.get(language or "") or found.get("de") or found["en"]
    if not main:
        return None
    translations = tuple((tag_, value) for tag_, value in sorted(found.items())
                         if tag_ != language and value != main)
    return Text(main, language, translations, href)


def first_text(elements: list[etree._Element], language: str | None,
               locales: Mapping[str, str]) -> Text | None:
    """The first non-empty text of ``elements``."""
    for element in elements:
        text = read_text(element, language, locales)
        if text is not None:
            return text
    return None


def plain(elements: list[etree._Element], language: str | None = None,
          locales: Mapping[str, str] | None = None) -> str:
    """The first non-empty text of ``elements`` as a string ("" if none)."""
    text = first_text(elements, language, locales or {})
    return text.text if text else ""
