"""A CSW catalog of any size derived from the ISO 19139 fixtures, for tests and benchmarks.

A benchmark needs thousands of records that look like what partners publish, and the
fixtures hold 72 that a CSW server can serve. ``iso_catalog(n)`` makes ``n`` records out of
them: variant 1 of every base record, then variant 2, … Each variant gets its own identifiers
(fileIdentifier and citation identifier codes with the suffix ``-v0001`` …), a title with
the variant's number, a dateStamp ``variant`` days after the original and bounding boxes
shifted by up to a tenth of a degree. A service's ``srv:operatesOn`` (``uuidref`` and
the identifiers inside its ``xlink:href``) is renamed the same way, so it points at the
dataset of its own variant: the dataset-service coupling of the fixtures holds in every
variant. Base records with ``srv:operatesOn`` come after the others, so a partial last
variant keeps its services' datasets.

Base records are the fixtures' ISO 19139 documents (``gmd:MD_Metadata`` and
``gmi:MI_Metadata``, German and international) that pycsw 2.6.2 loads
(``tests.support.pycsw.NOT_LOADED``: not the ISO 19115-3 ones, the malformed one, two that
crash its parser, nor second files with the same fileIdentifier), and not the one named
invalid; the raw CSW answers (``csw-responses/``) are not records. Output is
deterministic: the same ``n`` gives the same bytes, so a re-harvest sees an unchanged
catalog.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from lxml import etree

from harvesters.xml import parse_xml
from .pycsw import FIXTURE_FOLDERS, ISO_FIXTURES, NOT_LOADED

# ckanext-spatial's deliberately schema-invalid copy of a record; the rest are valid ISO 19139
INVALID = "*-invalid.xml"
MIN_SUBSTRING = 8  # identifiers shorter than this are renamed only where they are the whole value

NAMESPACES = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gmi": "http://www.isotc211.org/2005/gmi",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "srv": "http://www.isotc211.org/2005/srv",
    "xlink": "http://www.w3.org/1999/xlink",
}
_IDENTIFICATION = "gmd:identificationInfo/*"
_TEXT = "*[self::gco:CharacterString or self::gmx:Anchor]"
PATHS = {  # every element this module reads or rewrites, relative to the metadata root
    "roots": "/gmd:MD_Metadata | /gmi:MI_Metadata",
    "file_identifier": f"gmd:fileIdentifier/{_TEXT}",
    "identifier_code": f"{_IDENTIFICATION}/gmd:citation/gmd:CI_Citation/gmd:identifier/*"
                       f"/gmd:code/{_TEXT}",
    "title": f"{_IDENTIFICATION}/gmd:citation/gmd:CI_Citation/gmd:title/{_TEXT}"
             f" | {_IDENTIFICATION}/gmd:citation/gmd:CI_Citation/gmd:title/gmd:PT_FreeText"
             "//gmd:LocalisedCharacterString",
    "date_stamp": "gmd:dateStamp/*[self::gco:Date or self::gco:DateTime]",
    "bbox": ".//gmd:EX_GeographicBoundingBox",
    "bbox_longitudes": "gmd:westBoundLongitude/gco:Decimal | gmd:eastBoundLongitude/gco:Decimal",
    "bbox_latitudes": "gmd:southBoundLatitude/gco:Decimal | gmd:northBoundLatitude/gco:Decimal",
    "operates_on": f"{_IDENTIFICATION}/srv:operatesOn",
}
_XPATHS = {name: etree.XPath(path, namespaces=NAMESPACES) for name, path in PATHS.items()}
_HREF = f"{{{NAMESPACES['xlink']}}}href"
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Record:
    """One record of the catalog: its fileIdentifier and its XML (UTF-8, with declaration)."""

    identifier: str
    xml: bytes


@dataclass(frozen=True)
class Fixture:
    """A fixture record the catalog's variants are made of."""

    path: Path
    xml: bytes  # as parsed and re-serialised once, UTF-8
    identifier: str
    couples: bool  # has srv:operatesOn


def suffix(variant: int) -> str:
    """What a variant appends to every identifier it renames."""
    return f"-v{variant:04d}"


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


def _fixture_paths() -> Iterator[Path]:
    """The ISO record fixtures pycsw loads (tests.support.pycsw.NOT_LOADED says which it
    does not, and why), without the invalid one."""
    for folder in FIXTURE_FOLDERS:
        for path in sorted(folder.glob("*.xml")):
            if path.relative_to(ISO_FIXTURES).as_posix() not in NOT_LOADED \
                    and not path.match(INVALID):
                yield path


@cache
def base_records() -> tuple[Fixture, ...]:
    """The fixtures the catalog is made of: non-coupling records first, then services."""
    bases: dict[str, Fixture] = {}
    for path in _fixture_paths():
        root = parse_xml(path.read_bytes(), str(path.relative_to(ISO_FIXTURES)))
        identifiers = _XPATHS["file_identifier"](root)
        if not _XPATHS["roots"](root) or not identifiers or not _text(identifiers[0]):
            continue
        identifier = _text(identifiers[0])
        bases.setdefault(identifier, Fixture(
            path, etree.tostring(root, encoding="UTF-8"), identifier,
            bool(_XPATHS["operates_on"](root))))
    return tuple(sorted(bases.values(), key=lambda base: base.couples))


@cache
def _known_identifiers() -> tuple[str, ...]:
    """fileIdentifiers and citation identifier codes of all base records, longest first."""
    found: set[str] = set()
    for base in base_records():
        root = etree.fromstring(base.xml)
        found.update(_text(e) for e in _XPATHS["file_identifier"](root)
                     + _XPATHS["identifier_code"](root))
    found.discard("")
    return tuple(sorted(found, key=lambda value: (-len(value), value)))


def _renamed(value: str, variant: int, whole_only: bool = False) -> str:
    """``value`` with every known identifier in it given the variant's suffix."""
    value = value.strip()
    known = _known_identifiers()
    if value in known:
        return value + suffix(variant)
    if whole_only:
        return value
    for identifier in known:
        if len(identifier) >= MIN_SUBSTRING and identifier in value:
            return value.replace(identifier, identifier + suffix(variant))
    return value


def _shifted(element: etree._Element, offset: float, limit: float) -> None:
    try:
        value = float(_text(element))
    except ValueError:
        return
    if -limit <= value + offset <= limit:
        element.text = f"{value + offset:.6f}".rstrip("0").rstrip(".")


def variant_of(base: Fixture, variant: int) -> Record:
    """Variant ``variant`` (1, 2, …) of one base record."""
    root = etree.fromstring(base.xml)
    for element in _XPATHS["file_identifier"](root) + _XPATHS["identifier_code"](root):
        element.text = _renamed(_text(element), variant, whole_only=True)
        if element.get(_HREF):
            element.set(_HREF, _renamed(element.get(_HREF), variant))
    for element in _XPATHS["operates_on"](root):
        if element.get("uuidref"):
            element.set("uuidref", _renamed(element.get("uuidref"), variant))
        if element.get(_HREF):
            element.set(_HREF, _renamed(element.get(_HREF), variant))
    for element in _XPATHS["title"](root):
        element.text = f"{_text(element)} (Variante {variant})"
    for element in _XPATHS["date_stamp"](root):
        match = _DATE.match(_text(element))
        if match:
            day = date.fromisoformat(match[1]) + timedelta(days=variant)
            element.text = day.isoformat() + match[2]
    offset = ((variant % 21) - 10) / 100  # -0.10 … +0.10 degrees
    for box in _XPATHS["bbox"](root):
        for element in _XPATHS["bbox_longitudes"](box):
            _shifted(element, offset, 180.0)
        for element in _XPATHS["bbox_latitudes"](box):
            _shifted(element, offset / 2, 90.0)
    return Record(base.identifier + suffix(variant),
                  etree.tostring(root, encoding="UTF-8", xml_declaration=True))


def iso_catalog(size: int) -> Iterator[Record]:
    """``size`` records: variant 1 of every base record, then variant 2, …"""
    bases = base_records()
    for number in range(size):
        variant, index = divmod(number, len(bases))
        yield variant_of(bases[index], variant + 1)


def write_catalog(directory: Path, size: int) -> list[str]:
    """The catalog as one file per record in ``directory`` (created); the fileIdentifiers."""
    directory.mkdir(parents=True, exist_ok=True)
    identifiers = []
    for number, record in enumerate(iso_catalog(size)):
        (directory / f"record-{number:06d}.xml").write_bytes(record.xml)
        identifiers.append(record.identifier)
    return identifiers
