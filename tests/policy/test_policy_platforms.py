"""The platform registry: config/platforms.yaml, and every way a hand-edited copy goes wrong."""
from __future__ import annotations

from pathlib import Path

import pytest

from ckanext.twin.policy.platforms import (Platform, PlatformFileError, Platforms,
                                           load_platforms)

GOOD = """\
platforms:
  - id: opendata
    title: Open-Data-Portal
    title_en: Open data portal
    audience: public
    action: distribute
    url: https://opendata.example.org
    description: offen
    description_en: open
  - id: space
    title: Datenraum
    title_en: Data space
    audience: partners
    action: use
    url: https://space.example.org
    description: geteilt
    description_en: shared
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "platforms.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_registry_of_the_portal(platforms: Platforms) -> None:
    assert list(platforms) == ["opendata", "digital-twin", "geoportal", "tempus",
                               "partner-space"]
    assert platforms.public.id == "opendata" and platforms.public.action == "distribute"
    assert platforms.shared.id == "partner-space"
    assert {p.id: p.action for p in platforms.values()} == {
        "opendata": "distribute", "digital-twin": "use", "geoportal": "use", "tempus": "use",
        "partner-space": "use"}
    assert platforms["digital-twin"].title == "Digitaler Zwilling München"
    assert platforms["digital-twin"].title_en == "Munich Digital Twin"
    assert platforms["tempus"].label == "platform:tempus"
    assert platforms.by_url["https://geoportal.muenchen.de"].id == "geoportal"


def test_a_good_file_reads_in_order(tmp_path: Path) -> None:
    platforms = load_platforms(write(tmp_path, GOOD))
    assert list(platforms) == ["opendata", "space"]
    assert platforms["space"] == Platform("space", "Datenraum", "Data space", "partners", "use",
                                          "https://space.example.org", "geteilt", "shared")


@pytest.mark.parametrize("old, new, line, message", [
    ("    description_en: open\n", "    description_en: open\n    colour: red\n", 10,
     "platform #1: unknown key 'colour' (allowed: id, title, title_en, audience, action, "
     "url, description, description_en)"),
    ("    description: offen\n", "", 2, "platform #1: missing description"),
    ("id: space", "id: Space", 10,
     'platform "Space": id must be 2-40 lowercase letters, digits or -, got "Space"'),
    ("id: space", "id: opendata", 10,
     'platform "opendata": id opendata is already used by the platform on line 2'),
    ("url: https://space.example.org", "url: https://opendata.example.org", 10,
     'platform "space": url https://opendata.example.org is already used by the platform '
     "on line 2"),
    ("audience: partners", "audience: everyone", 13,
     'platform "space": audience must be one of public, internal, partners, got "everyone"'),
    ("audience: partners\n    action: use", "audience: public\n    action: distribute", 2,
     "exactly one platform must have audience public, found 2 (lines 2, 10)"),
    ("audience: partners", "audience: internal", 2,
     "exactly one platform must have audience partners, found 0"),
    ("action: distribute", "action: use", 6,
     'platform "opendata": action must be distribute: a public platform republishes what '
     'it receives, got "use"'),
    ("action: use", "action: publish", 14,
     'platform "space": action must be one of distribute, use, got "publish"'),
    ("url: https://space.example.org", "url: ftp://space.example.org", 15,
     'platform "space": url must be an http(s) URL, got "ftp://space.example.org"'),
    ("title: Datenraum", "title: 2024", 11, 'platform #2: title must be text, quote it: "2024"'),
    ("    audience: public\n", "    audience: public\n    audience: public\n", 6,
     "platform #1: key 'audience' appears twice"),
])
def test_bad_platform_files_name_file_and_line(tmp_path: Path, old: str, new: str, line: int,
                                               message: str) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(PlatformFileError) as raised:
        load_platforms(path)
    assert str(raised.value) == f"{path}:{line}: {message}"


@pytest.mark.parametrize("text, message", [
    ("", "1: the file is empty"),
    ("platforms: []\n", "1: platforms must be a non-empty list"),
    ("platform:\n  - id: x\n", "1: the file: unknown key 'platform' (allowed: platforms)"),
    ("platforms:\n  - id: [x\n", "3: malformed YAML: expected ',' or ']', but got '<stream end>' "
                                  "(while parsing a flow sequence from line 2)"),
])
def test_broken_files(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PlatformFileError) as raised:
        load_platforms(path)
    assert str(raised.value) == f"{path}:{message}"


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlatformFileError, match=r"nowhere\.yaml: cannot read: No such file"):
        load_platforms(tmp_path / "nowhere.yaml")


def test_the_registry_itself_insists_on_one_public_platform() -> None:
    internal = Platform("a", "A", "A", "internal", "use", "https://a.example", "", "")
    with pytest.raises(ValueError, match="exactly one platform must have audience public"):
        Platforms([internal])
