"""The PostgreSQL search backend answers CKAN's callers as Solr would."""
from __future__ import annotations

import pytest
from ckan.lib.search.common import SearchQueryError
from ckan.logic import NotAuthorized
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
    dataset = factories.Dataset(owner_org=org["id"], private=True, title="Geheim")

    def visible(user):
        context = {"user": user["name"] if user else "", "ignore_auth": False}
        return helpers.call_action("package_search", context=context, q="Geheim",
                                   include_private=True)["count"]

    assert visible(member) == 1
    assert visible(outsider) == 0
    assert visible(None) == 0
    for user in (outsider, None):
        context = {"user": user["name"] if user else "", "ignore_auth": False}
        with pytest.raises(NotAuthorized):
            helpers.call_action("package_show", context=context, id=dataset["id"])


def test_refusals_answer_400_naming_the_part(app):
    for q, part in (("foo~1", "'~'"), ("title:x^3", "'^'"),
                    ("{!join from=id to=id}x", "local parameters"),
                    ("metadata_modified:[yesterday TO *]", "'yesterday'")):
        response = app.get("/api/3/action/package_search", query_string={"q": q}, status=400)
        assert response.json["success"] is False
        assert part in response.json["error"]["message"].lower(), response.json
    response = app.get("/api/3/action/package_search", query_string={"sort": "name"}, status=400)
    assert "sort" in response.json["error"]["message"]


def test_counts_autocomplete_and_facet_options():
    org = factories.Organization(name="garching")
    group = factories.Group(name="verkehr")
    for i in range(3):
        factories.Dataset(title=f"Verkehrsmessung {i}", owner_org=org["id"],
                          groups=[{"name": group["name"]}],
                          tags=[{"name": "aa"}, {"name": f"t{i % 2}"}])
    orgs = helpers.call_action("organization_list", all_fields=True)
    assert [(o["name"], o["package_count"]) for o in orgs] == [("garching", 3)]
    assert helpers.call_action("group_show", id="verkehr")["package_count"] == 3
    names = [d["name"] for d in helpers.call_action("package_autocomplete", q="verkehrsm")]
    assert len(names) == 3
    facets = search(**{"facet.field": '["tags"]', "facet.limit": 2})["facets"]["tags"]
    assert facets == {"aa": 3, "t0": 2}
    facets = search(q="tags:t1", **{"facet.field": '["tags"]',
                                    "facet.mincount": 2})["facets"]["tags"]
    assert facets == {}


def test_ranking_prefers_title_over_description():
    factories.Dataset(name="in-notes", title="Haushalt", notes="Radverkehr in der Stadt")
    factories.Dataset(name="in-title", title="Radverkehr", notes="Zählstellen")
    names = [r["name"] for r in search(q="Radverkehr", sort="score desc")["results"]]
    assert names == ["in-title", "in-notes"]


def test_drafts_and_deleted_are_hidden_unless_asked():
    sysadmin = factories.Sysadmin()
    draft = factories.Dataset(state="draft", title="Entwurf")
    deleted = factories.Dataset(title="Entwurf alt")
    helpers.call_action("package_delete", id=deleted["id"])
    context = {"user": sysadmin["name"], "ignore_auth": False}
    assert search(q="Entwurf")["count"] == 0
    found = helpers.call_action("package_search", context=context, q="Entwurf",
                                include_drafts=True)
    assert [r["id"] for r in found["results"]] == [draft["id"]]


def test_search_index_cli_rebuild_clear_check_show(cli):
    from ckan.cli.cli import ckan as ckan_command

    dataset = factories.Dataset(title="Baustellen")
    assert cli.invoke(ckan_command, ["search-index", "clear"]).exit_code == 0
    assert search(q="Baustellen")["count"] == 0
    result = cli.invoke(ckan_command, ["search-index", "check"])
    assert "1 out of 1" in result.output or "not indexed" in result.output.lower()
    assert cli.invoke(ckan_command, ["search-index", "rebuild"]).exit_code == 0
    assert search(q="Baustellen")["count"] == 1
    shown = cli.invoke(ckan_command, ["search-index", "show", dataset["name"]])
    assert shown.exit_code == 0 and dataset["id"] in shown.output


def test_index_survives_db_clean_and_recreates_its_table(cli):
    from ckan.cli.cli import ckan as ckan_command

    factories.Dataset(title="Vorher")
    result = cli.invoke(ckan_command, ["db", "clean", "--yes"])
    assert result.exit_code == 0, result.output
    cli.invoke(ckan_command, ["db", "init"])
    assert search(q="Vorher")["count"] == 0
    factories.Dataset(title="Nachher")
    assert search(q="Nachher")["count"] == 1


def test_search_over_http_get(app):
    factories.Dataset(title="Parkhäuser")
    response = app.get("/api/3/action/package_search", query_string={"q": "Parkhaeuser"})
    assert response.json["result"]["count"] == 1


def test_fq_list_is_applied():
    factories.Dataset(name="one", tags=[{"name": "luft"}])
    factories.Dataset(name="two", tags=[{"name": "wasser"}])
    result = helpers.call_action("package_search", fq_list=["tags:luft"])
    assert [r["name"] for r in result["results"]] == ["one"]


def test_an_index_from_before_the_label_columns_is_upgraded_in_place():
    """Tables of the first release had no dataset_type/permission_labels columns."""
    import sqlalchemy as sa
    from ckan import model

    from ckanext.twin.search import schema

    factories.Dataset(name="alt", private=False)
    engine = model.ensure_engine()
    with engine.begin() as conn:
        conn.execute(sa.text(f"ALTER TABLE {schema.TABLE} DROP COLUMN dataset_type, "
                             "DROP COLUMN permission_labels"))
    schema.ensure(engine, force=True)
    with engine.begin() as conn:
        row = conn.execute(sa.text(f"SELECT dataset_type, permission_labels FROM {schema.TABLE}"
                                   " WHERE name = 'alt'")).one()
    assert row == ("dataset", ["public"])
    assert [r["name"] for r in search(fq="+dataset_type:dataset")["results"]] == ["alt"]


# -- write cost: documents written together, without waiting for the WAL flush ----------

def _indexed_names():
    import sqlalchemy as sa
    from ckan import model

    from ckanext.twin.search import schema

    with model.ensure_engine().connect() as conn:
        return sorted(conn.execute(sa.text(f"SELECT name FROM {schema.TABLE}")).scalars())


def _index_document(name, title, **fields):
    """A document as CKAN's index_package hands it over, reduced to what search needs."""
    return {"index_id": f"idx-{name}", "id": f"id-{name}", "name": name, "title": title,
            "site_id": "test.ckan.net", "entity_type": "package", "dataset_type": "dataset",
            "state": "active", "capacity": "public", "permission_labels": ["public"],
            "metadata_modified": "2024-05-01T10:00:00Z", **fields}


def test_many_documents_are_written_in_one_call_the_last_version_of_each_wins():
    from ckan.lib.search.common import make_connection

    conn = make_connection()
    conn.add([_index_document("eins", "Straßenbäume"), _index_document("zwei", "Parkplätze"),
              _index_document("eins", "Spielplätze", tags=["Kinder"])])
    assert _indexed_names() == ["eins", "zwei"]
    found = conn.search(q="Spielplatz", fl="name title tags")
    assert found.docs == [{"name": "eins", "title": "Spielplätze", "tags": ["Kinder"]}]
    assert conn.search(q="Straßenbaum").hits == 0
    assert conn.search(fq="tags:Kinder").hits == 1


def test_a_document_that_cannot_be_written_is_named():
    import pysolr
    from ckan.lib.search.common import make_connection

    with pytest.raises(pysolr.SolrError, match=r"could not index 1 document\(s\) \(idx-kaputt\)"):
        make_connection().add([_index_document("kaputt", "Null\x00zeichen")])
    assert _indexed_names() == []


def test_batched_writes_hold_documents_back_until_the_index_is_read_or_the_block_ends():
    from ckan import logic
    from ckan.lib.search.common import make_connection

    from ckanext.twin.search.connection import batched_writes

    ids = [factories.Dataset(name=f"stapel-{i}", title=f"Stapel {i}")["id"] for i in range(3)]
    make_connection().delete(q="*:*")
    with batched_writes(size=100):
        for dataset_id in ids[:2]:
            logic.index_update_package({"ignore_auth": True}, dataset_id)
        assert _indexed_names() == []  # held back
        assert search(q="Stapel")["count"] == 2  # a search writes what is pending first
        logic.index_update_package({"ignore_auth": True}, ids[2])
    assert _indexed_names() == ["stapel-0", "stapel-1", "stapel-2"]

    make_connection().delete(q="*:*")
    with batched_writes(size=2):  # a full batch is written at once
        for dataset_id in ids:
            logic.index_update_package({"ignore_auth": True}, dataset_id)
        assert _indexed_names() == ["stapel-0", "stapel-1"]
    assert search(q="Stapel")["count"] == 3


def test_batched_writes_drop_what_is_pending_when_the_block_fails():
    from ckan.lib.search.common import make_connection

    from ckanext.twin.search.connection import batched_writes

    with pytest.raises(RuntimeError), batched_writes():
        make_connection().add([_index_document("verworfen", "Verworfen")])
        raise RuntimeError("the import failed")
    assert _indexed_names() == []
    make_connection().add([_index_document("danach", "Danach")])  # no block left over
    assert _indexed_names() == ["danach"]


def test_index_writes_leave_synchronous_commit_on_for_other_statements():
    import sqlalchemy as sa
    from ckan import model

    from ckanext.twin.search.connection import PostgresSearchConnection

    # One connection only, so the statement after the write runs where the write ran.
    engine = sa.create_engine(model.ensure_engine().url, poolclass=sa.pool.StaticPool)
    try:
        PostgresSearchConnection(engine).add([_index_document("einzeln", "Einzeln")])
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW synchronous_commit")).scalar() == "on"
    finally:
        engine.dispose()
    assert _indexed_names() == ["einzeln"]


def test_an_existing_table_gets_lz4_compression_in_place():
    import sqlalchemy as sa
    from ckan import model

    from ckanext.twin.search import schema

    factories.Dataset(name="komprimiert", title="Komprimiert")
    engine = model.ensure_engine()
    with engine.begin() as conn:  # the table as the first releases created it
        conn.execute(sa.text(f"ALTER TABLE {schema.TABLE} ALTER COLUMN doc SET COMPRESSION pglz, "
                             "ALTER COLUMN fields SET COMPRESSION pglz, "
                             "ALTER COLUMN texts SET COMPRESSION pglz"))
    schema.ensure(engine, force=True)
    with engine.connect() as conn:
        methods = conn.execute(sa.text(
            "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = "
            "CAST(:t AS regclass) AND attname IN ('doc', 'fields', 'texts') ORDER BY attname"),
            {"t": schema.TABLE}).all()
    assert methods == [("doc", "l"), ("fields", "l"), ("texts", "l")]
    assert search(q="Komprimiert")["results"][0]["name"] == "komprimiert"
