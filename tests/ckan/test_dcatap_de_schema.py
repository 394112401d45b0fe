"""The stewards' DCAT-AP.de schema: mandatory fields, controlled values, partner defaults."""
from __future__ import annotations

import pytest
from ckan.logic import ValidationError
from ckan.tests import factories, helpers

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "twin_search twin_dcat scheming_datasets dcat"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]

THEME = "http://publications.europa.eu/resource/authority/data-theme/"
LICENCE = "http://dcat-ap.de/def/licenses/dl-by-de/2.0"


@pytest.fixture
def eching():
    return factories.Organization(name="eching", title="Gemeinde Eching", extras=[
        {"key": "regional_key", "value": "091780120120"},
        {"key": "political_geocoding_level", "value": "municipality"}])


@pytest.fixture
def muenchen():
    return factories.Organization(name="muenchen", title="Landeshauptstadt München", extras=[
        {"key": "regional_key", "value": "091620000000"},
        {"key": "political_geocoding_level", "value": "municipality"},
        {"key": "contributor_id",
         "value": "http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen"}])


def create(**fields):
    sysadmin = factories.Sysadmin()
    return helpers.call_action("package_create", context={"user": sysadmin["name"]}, **fields)


def test_mandatory_fields_and_partner_defaults(eching):
    dataset = create(name="laerm", title="Lärmkartierung", notes="Lärmkarten der Gemeinde",
                     owner_org=eching["id"], license_id=LICENCE, theme=[THEME + "ENVI"])
    assert dataset["theme"] == [THEME + "ENVI"]
    assert dataset["political_geocoding_uri"] == \
        ["http://dcat-ap.de/def/politicalGeocoding/regionalKey/091780120120"]
    assert dataset["political_geocoding_level_uri"] == \
        "http://dcat-ap.de/def/politicalGeocoding/Level/municipality"
    assert dataset["contributor_id"] == []


def test_contributor_id_defaults_from_the_partner(muenchen):
    dataset = create(name="luft", title="Luft", notes="Messwerte", owner_org=muenchen["id"],
                     license_id=LICENCE)
    assert dataset["contributor_id"] == \
        ["http://dcat-ap.de/def/contributors/landeshauptstadtMuenchen"]


def test_missing_mandatory_fields_are_named(eching):
    with pytest.raises(ValidationError) as error:
        create(name="ohne", title="Ohne Beschreibung", owner_org=eching["id"])
    assert {"notes", "license_id"} <= set(error.value.error_dict)


def test_value_outside_a_vocabulary_lists_the_allowed_values(eching):
    with pytest.raises(ValidationError) as error:
        create(name="falsch", title="Falsch", notes="x", owner_org=eching["id"],
               license_id=LICENCE, theme=[THEME + "SPORT"])
    message = " ".join(error.value.error_dict["theme"])
    assert "SPORT" in message
    assert THEME + "TRAN" in message and "Verkehr" in message


def test_unambiguous_spellings_are_normalised(eching):
    dataset = create(name="csv", title="CSV", notes="x", owner_org=eching["id"],
                     license_id=LICENCE, language=["de"],
                     resources=[{"url": "http://127.0.0.1/x.csv", "format": "csv"}])
    assert dataset["language"] == ["http://publications.europa.eu/resource/authority/language/DEU"]
    assert dataset["resources"][0]["format"] == \
        "http://publications.europa.eu/resource/authority/file-type/CSV"


def test_a_dataset_with_the_mandatory_fields_validates_without_violations(muenchen):
    from ckanext.dcat.processors import RDFSerializer

    from ckanext.twin.dcat.validation import validate

    dataset = create(name="luftmessung", title="Luftmessung", notes="Stundenwerte",
                     owner_org=muenchen["id"], license_id=LICENCE,
                     resources=[{"url": "http://127.0.0.1/luft.csv", "format": "CSV"}])
    serializer = RDFSerializer(profiles=["dcatap_de"])
    serializer.graph_from_dataset(helpers.call_action("package_show", id=dataset["id"]))
    report = validate(serializer.g)
    assert report.violations == [], report.to_dict()
