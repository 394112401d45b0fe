"""The closed vocabulary of the access policies: one table, every term in one row.

A policy may only say what the portal can evaluate. The ODRL engines that silently drop
constraints they have no evaluator for (EDC, tractusx-edc#616) fail open; here every term,
operator and value is known in advance, so a policy the evaluator cannot honour is refused
when it is written, never half-applied. The reader, the evaluator, the ODRL export and the
explanations all read this table, so a new term is one row here plus its evaluation.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from harvesters.vocabularies import PLACEHOLDER_NOTATION, default_vocabularies

TWIN = "https://w3id.org/ckanext-twin/odrl#"  # the portal's ODRL profile namespace (prefix twin)
TWIN_PROFILE = "https://w3id.org/ckanext-twin/odrl"
ODRL = "http://www.w3.org/ns/odrl/2/"
ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"

ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
# Least to most restrictive: several values on one dataset count as the last of them.
ACCESS_LEVELS = ("PUBLIC", "RESTRICTED", "NON_PUBLIC")
ACCESS_URIS = tuple(ACCESS_RIGHT + level for level in ACCESS_LEVELS)
LICENCES = "http://dcat-ap.de/def/licenses/"
CLOSED_LICENCE = LICENCES + "other-closed"
THEMES = "http://publications.europa.eu/resource/authority/data-theme/"
REGIONAL_KEY = "http://dcat-ap.de/def/politicalGeocoding/regionalKey/"
STATE_KEY = "http://dcat-ap.de/def/politicalGeocoding/stateKey/"
# Land, Regierungsbezirk, Kreis, Verband, Gemeinde: the prefixes a Regionalschlüssel has.
AREA_PREFIX_LENGTHS = (2, 3, 5, 9, 12)
# Internal classification, least to most protected, with the labels users read.
CLASSIFICATIONS: Mapping[str, tuple[str, str]] = {
    "public": ("offen", "public"), "internal": ("intern", "internal"),
    "confidential": ("vertraulich", "confidential"), "secret": ("geheim", "secret")}
MAX_DELAY_DAYS = 3650
_DELAY = re.compile(r"P(\d{1,4})D")


@dataclass(frozen=True)
class Term:
    """One term of the vocabulary and everything the modules need to know about it.

    ``kind`` says what a constraint's value is: ``list`` (canonical strings), ``days``
    (an int, written ``P<n>D``) or ``flag`` (a bool). For ``list`` terms ``read`` turns a value
    as written into its canonical form and ``to_iri``/``from_iri`` convert for ODRL; all
    three raise ``ValueError`` with the message users see. ``phrases`` describe a constraint
    per operator (de, en); ``{values}`` is filled with the values as ``show`` writes them.
    """

    name: str
    label: str
    label_en: str
    operators: tuple[str, ...]
    left_operand: str  # compact, as the exported JSON-LD writes it
    kind: str
    phrases: Mapping[str, tuple[str, str]]
    read: Callable[[str], str] | None = None
    to_iri: Callable[[str], str] | None = None
    from_iri: Callable[[str], str] | None = None
    show: Callable[[str, str], str] = lambda value, lang: value
    order: Callable[[str], object] = lambda value: value

    def label_in(self, lang: str) -> str:
        return self.label if lang == "de" else self.label_en


def _tail(prefix: str) -> Callable[[str, str], str]:
    return lambda value, lang: value[len(prefix):] if value.startswith(prefix) else value


def _choose(table: Mapping[str, str], what: str) -> Callable[[str], str]:
    """A reader for values from ``table`` (spelling -> canonical); errors list the codes."""
    def read(value: str) -> str:
        if value in table:
            return table[value]
        codes = sorted({key for key in table if "://" not in key})
        raise ValueError(f'unknown {what} "{value}" (allowed: {", ".join(codes)} '
                         f"or their URIs)")
    return read


def _access_table() -> dict[str, str]:
    return {**{level: ACCESS_RIGHT + level for level in ACCESS_LEVELS},
            **{uri: uri for uri in ACCESS_URIS}}


@cache
def _licence_table() -> dict[str, str]:
    """Licence id or URI of the DCAT-AP.de list -> URI (exact spellings only)."""
    table = {}
    for concept in default_vocabularies().concepts("licenses"):
        table[concept.uri] = concept.uri
        if concept.notation:
            table[concept.notation] = concept.uri
    return table


@cache
def _theme_table() -> dict[str, str]:
    """EU data theme code or URI -> URI; the placeholder "provisional" is no theme to decide on."""
    table = {}
    for concept in default_vocabularies().concepts("data-theme"):
        if concept.notation and concept.notation != PLACEHOLDER_NOTATION:
            table[concept.uri] = table[concept.notation] = concept.uri
    return table


def _read_access(value: str) -> str:
    return _choose(_access_table(), "access right")(value)


def _read_licence(value: str) -> str:
    return _choose(_licence_table(), "licence")(value)


def _read_theme(value: str) -> str:
    return _choose(_theme_table(), "theme")(value)


def _read_area(value: str) -> str:
    if not value.isascii() or not value.isdigit() or len(value) not in AREA_PREFIX_LENGTHS:
        raise ValueError(f'area "{value}" is no Regionalschlüssel prefix: 2, 3, 5, 9 or 12 '
                         'digits (Land, Regierungsbezirk, Kreis, Verband, Gemeinde), '
                         'e.g. "09162"')
    return value


def _area_from_iri(iri: str) -> str:
    if not iri.startswith(REGIONAL_KEY):
        raise ValueError(f'area "{iri}" is not under {REGIONAL_KEY}')
    return _read_area(iri[len(REGIONAL_KEY):])


def _read_classification(value: str) -> str:
    if value not in CLASSIFICATIONS:
        raise ValueError(f'unknown classification "{value}" (allowed: '
                         f'{", ".join(CLASSIFICATIONS)})')
    return value


def _classification_from_iri(iri: str) -> str:
    compact = "twin:" + iri[len(TWIN):] if iri.startswith(TWIN) else iri
    if not compact.startswith("twin:"):
        raise ValueError(f'classification "{iri}" is not a twin: level '
                         f'(allowed: {", ".join("twin:" + c for c in CLASSIFICATIONS)})')
    return _read_classification(compact[len("twin:"):])


def _show_classification(value: str, lang: str) -> str:
    labels = CLASSIFICATIONS.get(value)
    return value if labels is None else labels[0 if lang == "de" else 1]


def read_delay(value: str) -> int:
    """``P<n>D`` (0..3650 days) -> n."""
    found = _DELAY.fullmatch(value)
    if not found or int(found.group(1)) > MAX_DELAY_DAYS:
        raise ValueError(f'embargo "{value}" is no delay in days: write P<n>D with n from 0 '
                         f"to {MAX_DELAY_DAYS}, e.g. P30D")
    return int(found.group(1))


def write_delay(days: int) -> str:
    return f"P{days}D"


TERMS: Mapping[str, Term] = {term.name: term for term in (
    Term("access_rights", "Zugriffsrechte", "access rights", ("isAnyOf",), "twin:accessRights",
         "list", {"isAnyOf": ("Zugriffsrechte {values}", "access rights {values}")},
         read=_read_access, to_iri=str, from_iri=_read_access, show=_tail(ACCESS_RIGHT),
         order=lambda uri: ACCESS_URIS.index(uri)),
    Term("license", "Lizenz", "licence", ("isAnyOf", "isNoneOf"), "twin:license", "list",
         {"isAnyOf": ("jede Lizenz ist {values}", "every licence is {values}"),
          "isNoneOf": ("keine Lizenz ist {values}", "no licence is {values}")},
         read=_read_licence, to_iri=str, from_iri=_read_licence, show=_tail(LICENCES)),
    Term("theme", "Thema", "theme", ("isAnyOf", "isNoneOf"), "twin:theme", "list",
         {"isAnyOf": ("Thema {values}", "theme {values}"),
          "isNoneOf": ("Themen angegeben, aber keines ist {values}",
                       "themes given, none of them {values}")},
         read=_read_theme, to_iri=str, from_iri=_read_theme, show=_tail(THEMES)),
    Term("area", "Gebiet", "area", ("isPartOf",), "spatial", "list",
         {"isPartOf": ("Gebiet liegt ganz in {values}", "area lies wholly within {values}")},
         read=_read_area, to_iri=lambda prefix: REGIONAL_KEY + prefix,
         from_iri=_area_from_iri),
    Term("embargo", "Sperrfrist", "embargo", ("gteq",), "dateTime", "days",
         {"gteq": ("Sperrfrist seit mindestens {values} Tagen vorbei",
                   "embargo over for at least {values} days")}),
    Term("personal_data", "Personenbezug", "personal data", ("eq",), "twin:personalData",
         "flag", {"eq": ("Personenbezug {values}", "personal data {values}")}),
    Term("classification", "Schutzstufe", "classification", ("isAnyOf",),
         "twin:classification", "list",
         {"isAnyOf": ("Schutzstufe {values}", "classification {values}")},
         read=_read_classification, to_iri=lambda code: "twin:" + code,
         from_iri=_classification_from_iri, show=_show_classification,
         order=lambda code: list(CLASSIFICATIONS).index(code)),
)}
TERM_ORDER = {name: index for index, name in enumerate(TERMS)}
# ODRL leftOperand (compact) -> term, for reading exported policies back.
BY_LEFT_OPERAND = {term.left_operand: term for term in TERMS.values()}
EMBARGO_REFERENCE = "twin:embargoDate"  # rightOperandReference of the embargo constraint
DELAY = "twin:delay"


def compact(iri: str) -> str:
    """An ODRL or twin IRI in the compact form the export writes (``spatial``, ``twin:x``)."""
    for prefix, short in ((ODRL, ""), ("odrl:", ""), (TWIN, "twin:")):
        if iri.startswith(prefix):
            return short + iri[len(prefix):]
    return iri


def show_flag(value: bool, lang: str) -> str:
    return ("ja" if value else "nein") if lang == "de" else ("yes" if value else "no")


def joined(values: list[str], lang: str) -> str:
    """``a, b oder c`` / ``a, b or c``."""
    if len(values) < 2:
        return "".join(values)
    return f"{', '.join(values[:-1])} {'oder' if lang == 'de' else 'or'} {values[-1]}"
