"""The demo datasets file: bad input is named, refused datasets say why."""
from __future__ import annotations

from pathlib import Path

import pytest
from ckan.tests import factories, helpers

from ckanext.twin.logic import demo_data

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "twin_search twin_dcat scheming_datasets dcat"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


@pytest.mark.parametrize("content, named", [
    ("datasets: [\n  - {name: a\n", "datasets.yaml"),
    ("datasets: {name: a}\n", "expected 'datasets:'"),
    ("datasets:\n  - title: ohne Namen\n", "with names"),
])
def test_malformed_file_is_named(tmp_path: Path, content: str, named: str):
    path = tmp_path / "datasets.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(demo_data.DemoDataError) as error:
        demo_data.load(path)
    assert named in str(error.value)


def test_a_refused_dataset_is_named_with_the_reason():
    organization = factories.Organization(name="eching")
    datasets = [{"name": "ohne-lizenz", "owner_org": organization["name"], "title": "T",
                 "notes": "N"}]
    with pytest.raises(demo_data.DemoDataError) as error:
        list(demo_data.ensure(datasets))
    assert "ohne-lizenz" in str(error.value) and "license" in str(error.value).lower()
    assert helpers.call_action("package_search")["count"] == 0


def test_a_second_run_updates_instead_of_duplicating():
    organization = factories.Organization(name="eching")
    datasets = [{"name": "laerm", "owner_org": organization["name"], "title": "Lärm",
                 "notes": "Karten", "license_id": "http://dcat-ap.de/def/licenses/dl-by-de/2.0"}]
    assert list(demo_data.ensure(datasets)) == [("laerm", "created")]
    assert list(demo_data.ensure(datasets)) == [("laerm", "updated")]
    assert helpers.call_action("package_search")["count"] == 1
