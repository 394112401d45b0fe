"""ckanext-harvest reaches the search index by its own routes; they work without Solr."""
from __future__ import annotations

import pytest
from ckan.tests import factories, helpers


@pytest.mark.ckan_config("ckan.plugins", "twin_search harvest test_action_harvester")
@pytest.mark.usefixtures("with_plugins", "harvest_db", "clean_index")
def test_harvest_source_clear_and_source_filter():
    org = factories.Organization()
    source = helpers.call_action(
        "harvest_source_create", name="eching-dcat", url="http://127.0.0.1:1/catalog.ttl",
        source_type="test-for-action", owner_org=org["id"])
    dataset = factories.Dataset(owner_org=org["id"], title="Geerntet")
    from ckanext.harvest.model import HarvestObject, HarvestJob
    job = HarvestJob(source_id=source["id"])
    job.save()
    HarvestObject(guid="x", job=job, harvest_source_id=source["id"], package_id=dataset["id"],
                  current=True).save()
    helpers.call_action("package_patch", id=dataset["id"], notes="reindex")

    found = helpers.call_action("package_search",
                                fq=f'+harvest_source_id:"{source["id"]}"')
    assert [r["id"] for r in found["results"]] == [dataset["id"]]

    helpers.call_action("harvest_source_clear", id=source["id"])
    assert helpers.call_action("package_search", q="Geerntet")["count"] == 0
