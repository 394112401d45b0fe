"""The PostgreSQL search backend answers CKAN's callers as Solr would."""
from __future__ import annotations

import pytest
from ckan.lib.search.common import SearchQueryError
from ckan.tests import factories, helpers

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "twin_search"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def search(**params):
    return helpers.call_action("package_search", **params)


def test_german_stemming_and_folding():
    org = factories.Organization(name="lhm")
    factories.Dataset(title="Verkehrszählung an der Straße", owner_org=org["id"],
                      tags=[{"name": "Verkehr"}])
    factories.Dataset(title="Luftqualität in München", owner_org=org["id"],
                      tags=[{"name": "Umwelt"}])

    assert search(q="strasse")["count"] == 1
    assert search(q="Verkehrszählungen")["count"] == 1
    assert search(q="Muenchen")["count"] == 1
    assert search(q="Munchen")["count"] == 1
    result = search(q="Luftqualität", **{"facet.field": '["organization", "tags"]'})
    assert result["count"] == 1
    assert result["facets"]["organization"] == {"lhm": 1}
    assert result["facets"]["tags"] == {"Umwelt": 1}


def test_fielded_queries_filters_and_sorting():
    org = factories.Organization()
    a = factories.Dataset(name="alpha", title="Alpha", owner_org=org["id"],
                          tags=[{"name": "economy"}],
                          resources=[{"url": "http://a.example/x.csv", "format": "CSV"}])
    b = factories.Dataset(name="beta", title="Beta", owner_org=org["id"],
                          tags=[{"name": "economy"}, {"name": "health"}])
    assert search(q="tags:economy")["count"] == 2
    assert search(q="tags:economy -tags:health")["count"] == 1
    assert search(fq='+res_format:"CSV"')["results"][0]["name"] == "alpha"
    assert search(fq="tags:(health OR nothing)")["count"] == 1
    assert [r["name"] for r in search(sort="name desc")["results"]] == ["beta", "alpha"]
    assert [r["name"] for r in search(sort="title_string asc")["results"]] == ["alpha", "beta"]
    assert search(q="name:alph*")["count"] == 1
    assert search(fq="metadata_modified:[NOW-1DAY TO NOW+1DAY]")["count"] == 2
    assert search(fq="metadata_modified:[* TO 2000-01-01T00:00:00Z]")["count"] == 0
    assert search(q='title:"Alpha"')["results"][0]["id"] == a["id"]
    assert search(rows=1, start=1, sort="name asc")["results"][0]["id"] == b["id"]


def test_untranslatable_queries_are_refused():
    for q in ("title:foo^2", "foo~1", "{!join from=id to=id}x", "a AND", "(a"):
        with pytest.raises(SearchQueryError):
            search(q=q)


def test_private_datasets_follow_permission_labels():
    org = factories.Organization()
    other = factories.Organization()
    member = factories.User()
    outsider = factories.User()
    helpers.call_action("organization_member_create", id=org["id"],
                        username=member["name"], role="member")
    helpers.call_action("organization_member_create", id=other["id"],
                        username=outsider["name"], role="editor")
    factories.Dataset(owner_org=org["id"], private=True, title="Geheim")

    def visible(user):
        context = {"user": user["name"] if user else "", "ignore_auth": False}
        return helpers.call_action("package_search", context=context, q="Geheim",
                                   include_private=True)["count"]

    assert visible(member) == 1
    assert visible(outsider) == 0
    assert visible(None) == 0
