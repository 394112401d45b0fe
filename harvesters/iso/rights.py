"""Licence and access rights of an ISO record, as DCAT-AP.de wants them.

Licence (``dct:license``, a ``http://dcat-ap.de/def/licenses/…`` URI), first found wins:

1. the GDI-DE convention (Konventionen zu Metadaten 2.1): a JSON object in
   ``MD_LegalConstraints/otherConstraints``, ``{"id": "dl-by-de/2.0", "name": …, "url": …,
   "quelle": …}``; its ``quelle`` is the attribution text (``dcatde:licenseAttributionByText``,
   GovData K35);
2. the ``xlink:href`` of a ``gmx:Anchor`` (INSPIRE TG 2.0), e.g. a Creative Commons deed;
3. a text that is a licence's name or known spelling, or mentions one (``LICENCE_TEXTS``).

Identifiers, names and addresses reach the list through
``harvesters.vocabularies.normalise("licenses", …)`` and ``alignments.yaml``. A text
"Quellenvermerk: …" is the attribution when the JSON has none.

Access rights (``dct:accessRights``, EU access-right table): INSPIRE's
``LimitationsOnPublicAccess`` Anchors, the access restriction and security classification
codes, a "no limitations" text of an access constraint, and the GDI-DE ``opendata``
keyword. When they disagree, the most restrictive is recorded, with a warning.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from harvesters.iso.record import Constraint, IsoRecord
from harvesters.vocabularies import Vocabularies

ACCESS_RIGHTS = "http://publications.europa.eu/resource/authority/access-right/"
PUBLIC, RESTRICTED, NON_PUBLIC = (ACCESS_RIGHTS + code
                                  for code in ("PUBLIC", "RESTRICTED", "NON_PUBLIC"))
STRICTNESS = (PUBLIC, RESTRICTED, NON_PUBLIC)
OPEN_DATA_KEYWORD = "opendata"
_LIMITATIONS = re.compile(r"^https?://inspire\.ec\.europa\.eu/metadata-?codelist/"
                          r"LimitationsOnPublicAccess/(\w+)", re.IGNORECASE)
# INSPIRE LimitationsOnPublicAccess: none, or one of the grounds of Art. 13(1) of the Directive.
LIMITATIONS = {"nolimitations": PUBLIC}
ARTICLE_13 = RESTRICTED
# ISO 19115 MD_RestrictionCode (access constraints) and MD_ClassificationCode.
ACCESS_CODES = {"unrestricted": PUBLIC, "restricted": RESTRICTED, "private": NON_PUBLIC,
                "confidential": NON_PUBLIC, "sensitivity": NON_PUBLIC}
CLASSIFICATIONS = {"restricted": RESTRICTED, "confidential": NON_PUBLIC, "secret": NON_PUBLIC,
                   "topSecret": NON_PUBLIC}
NO_LIMITATION = re.compile(
    r"\b(no limitations?|no restrictions?|no conditions apply|keine (zugriffs)?beschränkung"
    r"(en)?|keine einschränkung(en)?|es gelten keine)\b|^keine\.?$", re.IGNORECASE)
# Free texts that name a licence without using one of its spellings in alignments.yaml.
LICENCE_TEXTS = (
    (re.compile(r"dl-de[/ -]?by[/ -]?2[.-]0|datenlizenz\W+(deutschland\W+)?(namensnennung\W+"
                r"(version\W+)?2[.,]0|by-2-0)", re.I), "dl-by-de/2.0"),
    (re.compile(r"dl-de[/ -]?zero[/ -]?2[.-]0|datenlizenz\W+deutschland\W+zero\W+(version\W+)?"
                r"2[.,]0", re.I), "dl-zero-de/2.0"),
    (re.compile(r"\bcc[- ]?by[- ]?4[.,]0\b|creative commons (namensnennung|attribution) 4[.,]0",
                re.I), "cc-by/4.0"),
    (re.compile(r"\bcc0\b|\bcc[- ]zero\b", re.I), "cc-zero"),
    (re.compile(r"geonutzv|nutzungsbestimmungen für die bereitstellung von geodaten des bundes",
                re.I), "geonutz/20130319"),
)
_DEED = re.compile(r"(deed\.[a-z-]+|legalcode(\.[a-z-]+)?)$", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"^\s*Quellenvermerk\s*:\s*(.+)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Rights:
    licence: str | None
    attribution: str | None
    access_rights: str | None
    warnings: tuple[str, ...]


def read_rights(record: IsoRecord, vocabularies: Vocabularies) -> Rights:
    """The licence, attribution text and access rights of ``record``."""
    warnings: list[str] = []
    licence, attribution = _licence(record.constraints, vocabularies, warnings)
    if attribution is None:
        attribution = next((m.group(1).strip() for c in record.constraints
                            for m in [_ATTRIBUTION.match(c.text.text)] if m), None)
    return Rights(licence, attribution, _access_rights(record, warnings), tuple(warnings))


def _licence(constraints: Iterable[Constraint], vocabularies: Vocabularies,
             warnings: list[str]) -> tuple[str | None, str | None]:
    constraints = list(constraints)
    for constraint in constraints:  # 1. GDI-DE licence JSON
        text = constraint.text.text
        if not text.startswith("{"):
            continue
        try:
            data = json.loads(text)
        except ValueError as error:
            warnings.append(f"otherConstraints (line {constraint.line}) looks like GDI-DE "
                            f"licence JSON but is not JSON ({error}); ignored")
            continue
        if not isinstance(data, dict):
            continue
        found = _first(vocabularies, (str(data.get(key) or "") for key in ("id", "url", "name")))
        if found:
            return found, str(data.get("quelle") or "").strip() or None
        warnings.append(f"otherConstraints (line {constraint.line}): the licence "
                        f"{data.get('id')!r} of the GDI-DE JSON is not in the DCAT-AP.de "
                        "licence list")
    hrefs = [c.text.href for c in constraints if c.text.href]  # 2. Anchors
    found = _first(vocabularies, (candidate for href in hrefs
                                  for candidate in (href, _DEED.sub("", href))))
    if found:
        return found, None
    texts = [c.text.text for c in constraints if c.text.text]  # 3. texts
    found = _first(vocabularies, texts)
    if found:
        return found, None
    for pattern, identifier in LICENCE_TEXTS:
        if any(pattern.search(text) for text in texts):
            return vocabularies.normalise("licenses", identifier), None
    return None, None


def _first(vocabularies: Vocabularies, candidates: Iterable[str]) -> str | None:
    for candidate in candidates:
        uri = vocabularies.normalise("licenses", candidate) if candidate else None
        if uri:
            return uri
    return None


def _access_rights(record: IsoRecord, warnings: list[str]) -> str | None:
    said: dict[str, list[str]] = {}  # access right -> what said so
    for constraint in record.constraints:
        match = _LIMITATIONS.match(constraint.text.href or "")
        if match:
            value = match.group(1)
            right = LIMITATIONS.get(value.lower(), ARTICLE_13)
            said.setdefault(right, []).append(f"LimitationsOnPublicAccess/{value}")
            continue
        for code in constraint.access_codes:
            if code in ACCESS_CODES:
                said.setdefault(ACCESS_CODES[code], []).append(f"accessConstraints {code}")
        if constraint.access_codes and constraint.text.text \
                and NO_LIMITATION.search(constraint.text.text):
            said.setdefault(PUBLIC, []).append(f"{constraint.text.text[:60]!r}")
    for code in record.classifications:
        if code in CLASSIFICATIONS:
            said.setdefault(CLASSIFICATIONS[code], []).append(f"classification {code}")
    if any(k.text.text.casefold() == OPEN_DATA_KEYWORD for k in record.keywords):
        said.setdefault(PUBLIC, []).append(f"keyword {OPEN_DATA_KEYWORD!r}")
    if not said:
        return None
    strictest = max(said, key=STRICTNESS.index)
    if len(said) > 1:
        reasons = "; ".join(f"{uri.rsplit('/', 1)[-1]}: {', '.join(dict.fromkeys(why))}"
                            for uri, why in sorted(said.items(), key=lambda i: STRICTNESS.index(
                                i[0])))
        warnings.append(f"the access constraints disagree ({reasons}); the most restrictive, "
                        f"{strictest.rsplit('/', 1)[-1]}, is recorded")
    return strictest
