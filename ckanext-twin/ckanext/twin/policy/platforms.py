"""The platform registry: Munich's platforms that datasets may flow into.

``config/platforms.yaml`` is edited by hand like the partner registry and read the same way
(whole file checked first, every problem as ``FILE:LINE: message``). The registry is what a
policy's ``platform`` and an ODRL ``assignee`` must name, and what decisions are taken for;
its order is the order users see platforms in.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from os import PathLike

from yaml.nodes import Node, SequenceNode

from ckanext.twin.partners import YamlReader, is_web_url

AUDIENCES = ("public", "internal", "partners")
ACTIONS = ("distribute", "use")  # ODRL: public republishing / use on an internal platform
PLATFORM_ID = re.compile(r"[a-z0-9-]{2,40}")
LABEL_PREFIX = "platform:"
_KEYS = ("id", "title", "title_en", "audience", "action", "url", "description",
         "description_en")


class PlatformFileError(Exception):
    """The platform file cannot be used; the message is one line naming file and line."""


@dataclass(frozen=True)
class Platform:
    """One platform. ``audience`` says who sees its datasets; ``action`` what a policy allows."""

    id: str
    title: str
    title_en: str
    audience: str
    action: str
    url: str
    description: str
    description_en: str

    @property
    def label(self) -> str:
        """The CKAN permission label of datasets admitted to this platform."""
        return LABEL_PREFIX + self.id

    def title_in(self, lang: str) -> str:
        return self.title if lang == "de" else self.title_en


class Platforms(Mapping[str, Platform]):
    """The registry by id, in file order; exactly one public and one partners' platform.

    ``public`` is where open data goes; ``shared`` is the partners' common space.
    """

    def __init__(self, platforms: Iterable[Platform]) -> None:
        self._by_id = {platform.id: platform for platform in platforms}
        for audience in ("public", "partners"):
            count = sum(p.audience == audience for p in self._by_id.values())
            if count != 1:
                raise ValueError(f"exactly one platform must have audience {audience}, "
                                 f"not {count}")
        self.public = next(p for p in self._by_id.values() if p.audience == "public")
        self.shared = next(p for p in self._by_id.values() if p.audience == "partners")
        self.by_url = {platform.url: platform for platform in self._by_id.values()}

    def __getitem__(self, platform_id: str) -> Platform:
        return self._by_id[platform_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __repr__(self) -> str:
        return f"Platforms({', '.join(self._by_id)})"


class _PlatformReader(YamlReader):
    error = PlatformFileError

    def platforms(self, root: Node | None) -> Platforms:
        if root is None:
            raise PlatformFileError(f"{self.path}:1: the file is empty")
        top = self.mapping(root, "the file", ("platforms",))
        if "platforms" not in top:
            self.fail(root, "the file needs a top-level key 'platforms'")
        items = top["platforms"]
        if not isinstance(items, SequenceNode) or not items.value:
            self.fail(items, "platforms must be a non-empty list")
        found = [self.platform(node, number) for number, node in enumerate(items.value, 1)]
        for field in ("id", "url"):
            seen: dict[str, Node] = {}
            for node, platform in zip(items.value, found, strict=True):
                value = getattr(platform, field)
                if value in seen:
                    first = seen[value].start_mark.line + 1
                    self.fail(node, f'platform "{platform.id}": {field} {value} is already '
                                    f"used by the platform on line {first}")
                seen[value] = node
        for audience in ("public", "partners"):
            lines = [str(node.start_mark.line + 1)
                     for node, platform in zip(items.value, found, strict=True)
                     if platform.audience == audience]
            if len(lines) != 1:
                where = f" (lines {', '.join(lines)})" if lines else ""
                self.fail(items, f"exactly one platform must have audience {audience}, "
                                 f"found {len(lines)}{where}")
        return Platforms(found)

    def platform(self, node: Node, number: int) -> Platform:
        what = f"platform #{number}"
        fields = self.mapping(node, what, _KEYS)
        missing = [key for key in _KEYS if key not in fields]
        if missing:
            self.fail(node, f"{what}: missing {', '.join(missing)}")
        value = {key: self.text(fields[key], what, key) for key in _KEYS}
        what = f'platform "{value["id"]}"'

        def check(key: str, ok: bool, expected: str) -> None:
            if not ok:
                self.fail(fields[key], f'{what}: {key} {expected}, got "{value[key]}"')

        check("id", bool(PLATFORM_ID.fullmatch(value["id"])),
              "must be 2-40 lowercase letters, digits or -")
        check("audience", value["audience"] in AUDIENCES, f"must be one of {', '.join(AUDIENCES)}")
        check("action", value["action"] in ACTIONS, f"must be one of {', '.join(ACTIONS)}")
        check("action", value["audience"] != "public" or value["action"] == "distribute",
              "must be distribute: a public platform republishes what it receives")
        check("url", is_web_url(value["url"]), "must be an http(s) URL")
        return Platform(**value)


def load_platforms(path: str | PathLike[str]) -> Platforms:
    """The registry in the file, or :class:`PlatformFileError` naming what is wrong where."""
    name = str(path)
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except OSError as error:
        raise PlatformFileError(f"{name}: cannot read: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise PlatformFileError(f"{name}: not UTF-8 text: {error.reason}") from error
    reader = _PlatformReader(name)
    return reader.platforms(reader.compose(text))
