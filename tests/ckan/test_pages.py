"""The portal's pages render with search served from PostgreSQL."""
from __future__ import annotations

import pytest
from ckan.tests import factories

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "activity twin_search twin"),
    pytest.mark.usefixtures("with_plugins", "activity_db", "clean_index"),
]


def test_home_dataset_and_organization_pages(app):
    org = factories.Organization(name="ismaning", title="Gemeinde Ismaning")
    factories.Dataset(title="Radverkehrszählung Ismaning", owner_org=org["id"],
                      tags=[{"name": "Verkehr"}])

    assert app.get("/").status_code == 200
    page = app.get("/dataset", query_string={"q": "Radverkehrszaehlungen"}).get_data(as_text=True)
    assert "Radverkehrszählung Ismaning" in page
    assert "1 dataset found" in page
    listing = app.get("/organization").get_data(as_text=True)
    assert "Gemeinde Ismaning" in listing
    assert "1 Dataset" in listing
    assert "Radverkehrszählung Ismaning" in app.get("/organization/ismaning").get_data(as_text=True)


def test_bad_query_on_the_search_page_is_a_400_naming_the_part(app):
    response = app.get("/dataset", query_string={"q": "title:x^2"}, status=400)
    assert "boost" in response.get_data(as_text=True)
