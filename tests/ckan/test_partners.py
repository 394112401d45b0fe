"""The partner registry: what the loader refuses, and the organizations the sync keeps."""
from __future__ import annotations

from pathlib import Path

import pytest
from ckan.tests import factories, helpers

from ckanext.twin.logic.partners import PartnerSyncError, sync_partners
from ckanext.twin.partners import Partner, PartnerFileError, load_partners

REGISTRY = Path(__file__).resolve().parents[2] / "config" / "partners.yaml"

# Two valid partners; each bad case below edits one line of it.
VALID = """\
partners:
  - id: muenchen
    title: Landeshauptstadt München
    title_en: City of Munich
    ags: "09162000"
    regional_key: "091620000000"
    political_geocoding_level: municipality
    contributor_id: http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen
    website: https://stadt.muenchen.de
    contact:
      email: poststelle@muenchen.de
    district: kreisfreie Stadt
    group: muenchen
  - id: eching
    title: Gemeinde Eching
    title_en: Municipality of Eching
    ags: "09178120"
    regional_key: "091780120120"
    political_geocoding_level: municipality
    website: https://www.eching.de
    contact:
      name: Poststelle
    district: Landkreis Freising
    group: nordallianz
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "partners.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new)


def test_the_registry_loads_with_consistent_keys():
    partners = {partner.id: partner for partner in load_partners(REGISTRY)}
    assert len(partners) == 11
    assert [p.id for p in partners.values() if p.group == "nordallianz"] == [
        "eching", "garching", "hallbergmoos", "ismaning", "neufahrn", "oberschleissheim",
        "unterschleissheim", "haimhausen"]
    munich = partners["muenchen"]
    assert (munich.ags, munich.regional_key) == ("09162000", "091620000000")
    assert munich.contributor_id == \
        "http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen"
    assert {p.id for p in partners.values() if p.contributor_id} == {
        "muenchen", "nuernberg", "augsburg"}
    assert partners["haimhausen"].district == "Landkreis Dachau"


def test_valid_file_gives_partners(tmp_path):
    munich, eching = load_partners(write(tmp_path, VALID))
    assert munich.contact.email == "poststelle@muenchen.de" and munich.contact.name is None
    assert eching.contributor_id is None and eching.contact.name == "Poststelle"


@pytest.mark.parametrize("text, line, message", [
    (edited('ags: "09178120"', 'ags: "0917812"'), 17,
     'partner "eching": ags must be 8 digits, got "0917812"'),
    (edited('ags: "09178120"', 'ags: 01234567'), 17,
     'partner "eching": ags must be text, quote it: "01234567"'),
    (edited('regional_key: "091780120120"', 'regional_key: "09178012012"'), 18,
     'partner "eching": regional_key must be 12 digits, got "09178012012"'),
    (edited('regional_key: "091780120120"', 'regional_key: "091780120121"'), 18,
     'partner "eching": regional_key does not belong to ags 09178120'),
    (edited("  - id: eching", "  - id: muenchen"), 14,
     'partner "muenchen": id muenchen is already used by the partner on line 2'),
    (edited('ags: "09178120"\n    regional_key: "091780120120"',
            'ags: "09162000"\n    regional_key: "091620000000"'), 14,
     'partner "eching": ags 09162000 is already used by the partner on line 2'),
    (edited("    group: nordallianz\n", "    group: nordallianz\n    gruppe: x\n"), 25,
     "partner \"eching\": unknown key 'gruppe'"),
    (edited("    district: Landkreis Freising\n", ""), 14,
     'partner "eching": missing district'),
    (edited("    group: nordallianz\n", "    group: nordallianz\n    group: muenchen\n"), 25,
     "partner \"eching\": key 'group' appears twice"),
    (edited("contributors/landeshauptstadtMuenchen",
            "contributors/landeshauptstadtMuenchen/x"), 8,
     'partner "muenchen": contributor_id must be a URI under http://dcat-ap.de/def/contributors/'),
    (edited("http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen",
            "https://example.org/contributors/muenchen"), 8,
     'partner "muenchen": contributor_id must be a URI under'),
    (edited("website: https://www.eching.de", "website: www.eching.de"), 20,
     'partner "eching": website must be an http(s) URL, got "www.eching.de"'),
    (edited("website: https://www.eching.de", "website: https://"), 20,
     'partner "eching": website must be an http(s) URL'),
    (edited("email: poststelle@muenchen.de", "email: poststelle"), 11,
     'partner "muenchen": contact email is not an address, got "poststelle"'),
    (edited("    group: nordallianz", "    group: freunde"), 24,
     'partner "eching": group must be one of muenchen, nordallianz, cooperation'),
    (edited("political_geocoding_level: municipality\n    website: https://www.eching.de",
            "political_geocoding_level: Gemeinde\n    website: https://www.eching.de"), 19,
     'partner "eching": political_geocoding_level must be one of'),
    (edited("  - id: eching", "  - id: Eching"), 14,
     'partner "Eching": id must be 2-100 lowercase letters'),
    (edited("title: Gemeinde Eching", "title:"), 15, 'partner "eching": title is empty'),
    (edited('    title_en: City of Munich', '    title_en: "City of Munich'), 5,
     "malformed YAML: expected <block end>, but found '<scalar>' "
     "(while parsing a block mapping from line 2)"),
    (edited("    district: Landkreis Freising", "   district: Landkreis Freising"), 23,
     "malformed YAML:"),
    (VALID.replace("partners:", "partner:"), 1, "the file: unknown key 'partner'"),
    ("partners: []\n", 1, "partners must be a non-empty list"),
    ("", 1, "the file is empty"),
], ids=lambda value: value if isinstance(value, str) and len(value) < 60 else "")
def test_bad_file_is_refused_with_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(PartnerFileError) as raised:
        load_partners(path)
    error = str(raised.value)
    assert "\n" not in error
    assert error.startswith(f"{path}:{line}: {message}"), error


def test_unreadable_file_is_named(tmp_path):
    with pytest.raises(PartnerFileError, match=r"missing\.yaml: cannot read: No such file"):
        load_partners(tmp_path / "missing.yaml")


def sync(partners: list[Partner]) -> list[tuple[str, str]]:
    return list(sync_partners(partners))


def organizations() -> dict[str, dict]:
    names = helpers.call_action("organization_list")
    return {name: helpers.call_action("organization_show", id=name, include_users=False)
            for name in names}


def extras(organization: dict) -> dict[str, str]:
    return {extra["key"]: extra["value"] for extra in organization["extras"]}


@pytest.mark.ckan_config("ckan.plugins", "twin_search twin")
@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestSync:
    def test_creates_one_organization_per_partner_with_extras(self):
        partners = load_partners(REGISTRY)
        assert sync(partners) == [(partner.id, "created") for partner in partners]

        created = organizations()
        assert sorted(created) == sorted(partner.id for partner in partners)
        munich = created["muenchen"]
        assert munich["title"] == "Landeshauptstadt München"
        assert munich["description"] == "Daten der Landeshauptstadt München (kreisfreie Stadt)."
        assert extras(munich) == {
            "title_en": "City of Munich", "ags": "09162000", "regional_key": "091620000000",
            "political_geocoding_level": "municipality",
            "contributor_id": "http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen",
            "website": "https://stadt.muenchen.de", "contact_name": "Poststelle",
            "contact_email": "poststelle@muenchen.de", "district": "kreisfreie Stadt",
            "group": "muenchen"}
        assert "contributor_id" not in extras(created["eching"])
        assert extras(created["eching"])["regional_key"] == "091780120120"

    def test_second_run_changes_nothing(self):
        partners = load_partners(REGISTRY)
        sync(partners)
        before = organizations()

        assert sync(partners) == [(partner.id, "unchanged") for partner in partners]
        assert organizations() == before

    def test_changes_are_patched_and_foreign_extras_kept(self, tmp_path):
        sync(load_partners(write(tmp_path, VALID)))
        helpers.call_action("organization_patch", id="eching", extras=[
            *helpers.call_action("organization_show", id="eching")["extras"],
            {"key": "note", "value": "kept"}])
        assert sync(load_partners(write(tmp_path, VALID))) == [
            ("muenchen", "unchanged"), ("eching", "unchanged")]

        changed = edited("title: Gemeinde Eching", "title: Gemeinde Eching (Freising)")
        changed = changed.replace("      name: Poststelle", "      email: rathaus@eching.de")
        assert sync(load_partners(write(tmp_path, changed))) == [
            ("muenchen", "unchanged"), ("eching", "updated")]
        eching = helpers.call_action("organization_show", id="eching")
        assert eching["title"] == "Gemeinde Eching (Freising)"
        assert extras(eching)["note"] == "kept"
        assert extras(eching)["contact_email"] == "rathaus@eching.de"
        assert "contact_name" not in extras(eching)

    def test_deleted_organization_is_restored(self, tmp_path):
        sync(load_partners(write(tmp_path, VALID)))
        helpers.call_action("organization_delete", id="eching")
        assert sync(load_partners(write(tmp_path, VALID)))[1] == ("eching", "updated")
        assert helpers.call_action("organization_show", id="eching")["state"] == "active"

    def test_refused_organization_names_the_partner(self, tmp_path):
        factories.Group(name="eching")
        synced = sync_partners(load_partners(write(tmp_path, VALID)))
        assert next(synced) == ("muenchen", "created")
        with pytest.raises(PartnerSyncError,
                           match=r'^partner "eching": CKAN refused the organization: .*already'):
            next(synced)
