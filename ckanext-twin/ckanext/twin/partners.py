"""The partner registry: the municipalities whose data the portal federates.

``config/partners.yaml`` is edited by hand, and one wrong key would otherwise surface as a
wrong organization (or a wrong ``politicalGeocodingURI`` in every exported dataset). So the
whole file is checked before anything uses it, and every problem is reported as one line
``FILE:LINE: what is wrong`` that points at the place to fix.

The file is read with ``yaml.compose`` rather than ``safe_load``: the node tree keeps line
numbers, does not drop duplicate keys silently, and keeps ``01234567`` from turning into an
(octal) number unnoticed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike
from typing import NoReturn
from urllib.parse import urlsplit

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

CONTRIBUTORS = "http://dcat-ap.de/def/contributors/"
GROUPS = ("muenchen", "nordallianz", "cooperation")
# DCAT-AP.de political geocoding levels, http://dcat-ap.de/def/politicalGeocoding/Level/...
GEOCODING_LEVELS = ("federal", "state", "administrativeDistrict", "municipality")

_REQUIRED = ("id", "title", "title_en", "ags", "regional_key", "political_geocoding_level",
             "website", "contact", "district", "group")
_OPTIONAL = ("contributor_id",)
_CONTACT_KEYS = ("name", "email")

NAME = re.compile(r"[a-z0-9_-]{2,100}")  # what CKAN accepts as an organization name
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTRIBUTOR = re.compile(re.escape(CONTRIBUTORS) + r"[A-Za-z0-9]+")


class PartnerFileError(Exception):
    """The partner file cannot be used; the message is one line naming file and line."""


@dataclass(frozen=True)
class Contact:
    """Who answers questions about a partner's data (at least one of the two is set)."""

    name: str | None
    email: str | None


@dataclass(frozen=True)
class Partner:
    """One partner municipality, as it becomes a CKAN organization.

    ``ags`` is the 8-digit Amtlicher Gemeindeschlüssel (Land, RB, Kreis, Gemeinde);
    ``regional_key`` the 12-digit Regionalschlüssel (Land, RB, Kreis, Verband, Gemeinde)
    that DCAT-AP.de uses in ``http://dcat-ap.de/def/politicalGeocoding/regionalKey/<key>``.
    """

    id: str
    title: str
    title_en: str
    ags: str
    regional_key: str
    political_geocoding_level: str
    contributor_id: str | None
    website: str
    contact: Contact
    district: str
    group: str


class YamlReader:
    """Turns a composed YAML tree into values, failing at the first problem with its line.

    Other hand-edited files of the portal read the same way; they set their own ``error``.
    """

    error: type[Exception] = PartnerFileError

    def __init__(self, path: str) -> None:
        self.path = path

    def compose_file(self, path: str | PathLike[str]) -> Node | None:
        """The node tree of the file at ``path``; unreadable files fail with the reason."""
        try:
            with open(path, encoding="utf-8") as stream:
                text = stream.read()
        except OSError as error:
            raise self.error(f"{self.path}: cannot read: {error.strerror}") from error
        except UnicodeDecodeError as error:
            raise self.error(f"{self.path}: not UTF-8 text: {error.reason}") from error
        return self.compose(text)

    def compose(self, text: str) -> Node | None:
        """The node tree of ``text``; malformed YAML fails with the line of the problem."""
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark else 1
            problem = " ".join(str(error.problem or error.context or "").split())
            if error.problem and error.context and error.context_mark:
                problem += f" ({error.context} from line {error.context_mark.line + 1})"
            raise self.error(f"{self.path}:{line}: malformed YAML: {problem}") from error
        except yaml.YAMLError as error:
            raise self.error(f"{self.path}:1: malformed YAML: "
                             f"{' '.join(str(error).split())}") from error

    def fail(self, node: Node, message: str) -> NoReturn:
        raise self.error(f"{self.path}:{node.start_mark.line + 1}: {message}")

    def mapping(self, node: Node, what: str, allowed: tuple[str, ...]) -> dict[str, Node]:
        """The keys of a mapping node with their value nodes; unknown or repeated keys fail."""
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what} must be a mapping of keys to values")
        found: dict[str, Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else "?"
            if name not in allowed:
                self.fail(key, f"{what}: unknown key {name!r} (allowed: {', '.join(allowed)})")
            if name in found:
                self.fail(key, f"{what}: key {name!r} appears twice")
            found[name] = value
        return found

    def text(self, node: Node, what: str, key: str) -> str:
        """A non-empty string scalar; values YAML would read as numbers must be quoted."""
        if not isinstance(node, ScalarNode):
            self.fail(node, f"{what}: {key} must be a single value")
        if node.tag == "tag:yaml.org,2002:null" or not node.value.strip():
            self.fail(node, f"{what}: {key} is empty")
        if node.tag != "tag:yaml.org,2002:str":
            self.fail(node, f'{what}: {key} must be text, quote it: "{node.value}"')
        return node.value.strip()



class _PartnerReader(YamlReader):
    """The partner file's tree as partners."""

    def partners(self, root: Node | None) -> list[Partner]:
        if root is None:
            raise PartnerFileError(f"{self.path}:1: the file is empty")
        top = self.mapping(root, "the file", ("partners",))
        if "partners" not in top:
            self.fail(root, "the file needs a top-level key 'partners'")
        items = top["partners"]
        if not isinstance(items, SequenceNode) or not items.value:
            self.fail(items, "partners must be a non-empty list")
        partners = [self.partner(node, number) for number, node in enumerate(items.value, 1)]
        self.unique(items.value, partners, "id")
        self.unique(items.value, partners, "ags")
        return partners

    def unique(self, nodes: list[Node], partners: list[Partner], field: str) -> None:
        seen: dict[str, Node] = {}
        for node, partner in zip(nodes, partners, strict=True):
            value = getattr(partner, field)
            if value in seen:
                first = seen[value].start_mark.line + 1
                self.fail(node, f'partner "{partner.id}": {field} {value} is already used '
                                f"by the partner on line {first}")
            seen[value] = node

    def partner(self, node: Node, number: int) -> Partner:
        what = _label(node, number)
        fields = self.mapping(node, what, _REQUIRED + _OPTIONAL)
        missing = [key for key in _REQUIRED if key not in fields]
        if missing:
            self.fail(node, f"{what}: missing {', '.join(missing)}")
        value = {key: self.text(fields[key], what, key)
                 for key in _REQUIRED + _OPTIONAL if key in fields and key != "contact"}

        def check(key: str, ok: bool, expected: str) -> None:
            if not ok:
                self.fail(fields[key], f'{what}: {key} {expected}, got "{value[key]}"')

        check("id", bool(NAME.fullmatch(value["id"])),
              "must be 2-100 lowercase letters, digits, - or _")
        check("ags", bool(re.fullmatch(r"\d{8}", value["ags"])), "must be 8 digits")
        check("regional_key", bool(re.fullmatch(r"\d{12}", value["regional_key"])),
              "must be 12 digits")
        # Regionalschlüssel = Land(2) RB(1) Kreis(2) Verband(4) Gemeinde(3);
        # AGS = Land(2) RB(1) Kreis(2) Gemeinde(3).
        ags, key = value["ags"], value["regional_key"]
        check("regional_key", key[:5] == ags[:5] and key[9:] == ags[5:],
              f"does not belong to ags {ags} (its first 5 and last 3 digits must be the ags's)")
        check("political_geocoding_level", value["political_geocoding_level"] in GEOCODING_LEVELS,
              f"must be one of {', '.join(GEOCODING_LEVELS)}")
        check("group", value["group"] in GROUPS, f"must be one of {', '.join(GROUPS)}")
        check("website", is_web_url(value["website"]), "must be an http(s) URL")
        if "contributor_id" in value:
            check("contributor_id", bool(_CONTRIBUTOR.fullmatch(value["contributor_id"])),
                  f"must be a URI under {CONTRIBUTORS}")
        return Partner(
            id=value["id"], title=value["title"], title_en=value["title_en"], ags=ags,
            regional_key=key, political_geocoding_level=value["political_geocoding_level"],
            contributor_id=value.get("contributor_id"), website=value["website"],
            contact=self.contact(fields["contact"], what), district=value["district"],
            group=value["group"])

    def contact(self, node: Node, what: str) -> Contact:
        fields = self.mapping(node, f"{what}: contact", _CONTACT_KEYS)
        if not fields:
            self.fail(node, f"{what}: contact needs a name or an email")
        value = {key: self.text(child, f"{what}: contact", key) for key, child in fields.items()}
        email = value.get("email")
        if email is not None and not _EMAIL.fullmatch(email):
            self.fail(fields["email"], f'{what}: contact email is not an address, got "{email}"')
        return Contact(name=value.get("name"), email=email)


def _label(node: Node, number: int) -> str:
    """How messages name a partner: by its id if it has a plain one, else by position."""
    for key, value in node.value if isinstance(node, MappingNode) else ():
        if key.value == "id" and isinstance(value, ScalarNode) and value.value.strip():
            return f'partner "{value.value.strip()}"'
    return f"partner #{number}"


def is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url
    except ValueError:  # e.g. an unclosed [IPv6] host
        return False


def load_partners(path: str | PathLike[str]) -> list[Partner]:
    """All partners of the file, or :class:`PartnerFileError` if anything in it is wrong."""
    reader = _PartnerReader(str(path))
    return reader.partners(reader.compose_file(path))
