"""Spatial search on PostgreSQL/PostGIS: ckanext-spatial's ``ext_bbox`` on package_search."""
from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.lib import search as ckan_search
from ckan.lib.search.common import SearchQueryError
from ckan.logic import ValidationError
from ckan.plugins.toolkit import config
from ckan.tests import factories, helpers

from ckanext.twin.search import backend, schema
from ckanext.twin.search.actions import before_dataset_search

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "twin_search twin_dcat scheming_datasets dcat"),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]

LICENCE = "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
# west, south, east, north
MUENCHEN = (11.36, 48.06, 11.72, 48.25)
NUERNBERG = (10.99, 49.33, 11.31, 49.54)
GARCHING = (11.6713, 48.2656)  # Forschungszentrum: a point
BAYERN = "8.97,47.27,13.84,50.56"


def polygon(west: float, south: float, east: float, north: float) -> str:
    return json.dumps({"type": "Polygon", "coordinates": [[
        [west, south], [east, south], [east, north], [west, north], [west, south]]]})


def point(lon: float, lat: float) -> str:
    return json.dumps({"type": "Point", "coordinates": [lon, lat]})


@pytest.fixture
def sysadmin(with_plugins, clean_db, clean_index):
    return factories.Sysadmin()


@pytest.fixture
def org(sysadmin):
    return factories.Organization(name="lhm", title="Landeshauptstadt München")


@pytest.fixture
def create(sysadmin, org):
    def create(name: str, **fields):
        fields = {"title": name.capitalize(), "notes": f"Daten {name}", "license_id": LICENCE,
                  "owner_org": org["id"], **fields}
        return helpers.call_action("package_create", context={"user": sysadmin["name"]},
                                   name=name, **fields)
    return create


@pytest.fixture
def catalog(create):
    create("muenchen", title="Verkehrszählung München", tags=[{"name": "Verkehr"}],
           spatial_coverage=[{"bbox": polygon(*MUENCHEN), "centroid": point(11.54, 48.15)}])
    create("nuernberg", title="Verkehrszählung Nürnberg", tags=[{"name": "Verkehr"}],
           spatial_coverage=[{"bbox": polygon(*NUERNBERG)}])
    create("garching", title="Messstation Garching", tags=[{"name": "Umwelt"}],
           spatial_coverage=[{"centroid": point(*GARCHING)}])
    create("ohne-raumbezug", title="Haushaltsplan", tags=[{"name": "Verkehr"}],
           spatial_coverage=[{"uri": "http://dcat-ap.de/def/politicalGeocoding/"
                                     "regionalKey/091620000000"}])


def names(bbox: str | None = None, **params) -> list[str]:
    if bbox is not None:
        params["extras"] = {"ext_bbox": bbox}
    result = helpers.call_action("package_search", sort="name asc", **params)
    return [d["name"] for d in result["results"]]


def test_boxes_find_the_datasets_whose_extent_they_meet(catalog):
    assert names("11.55,48.12,11.60,48.16") == ["muenchen"]  # Marienplatz
    assert names("11.0,49.4,11.1,49.5") == ["nuernberg"]
    assert names("11.66,48.26,11.68,48.27") == ["garching"]  # around the point
    assert names("9.9,53.5,10.1,53.6") == []  # Hamburg
    assert names(BAYERN) == ["garching", "muenchen", "nuernberg"]
    # No box: every dataset, with or without extent.
    assert names() == ["garching", "muenchen", "nuernberg", "ohne-raumbezug"]


def test_touching_edges_and_corners_intersect(catalog):
    assert names("11.31,49.40,11.40,49.50") == ["nuernberg"]  # shares Nürnberg's east edge
    assert names("11.3101,49.40,11.40,49.50") == []
    assert names("11.72,48.25,11.80,48.26") == ["muenchen"]  # shares a corner
    assert names("11.6713,48.2656,11.6713,48.2656") == ["garching"]  # the point itself


def test_a_box_combines_with_q_fq_and_facets(catalog):
    assert names(BAYERN, q="Verkehrszählung") == ["muenchen", "nuernberg"]
    assert names("11.0,49.4,11.1,49.5", q="München") == []
    assert names(BAYERN, fq="tags:Umwelt") == ["garching"]
    result = helpers.call_action("package_search", extras={"ext_bbox": "10.9,48.0,11.8,49.6"},
                                 **{"facet.field": '["tags"]'})
    assert result["count"] == 3
    assert result["facets"]["tags"] == {"Verkehr": 2, "Umwelt": 1}  # not the 3rd "Verkehr"


def test_private_datasets_follow_permission_labels(create, org):
    create("privat", private=True, spatial_coverage=[{"bbox": polygon(*MUENCHEN)}])
    create("oeffentlich", spatial_coverage=[{"bbox": polygon(*MUENCHEN)}])
    member = factories.User()
    helpers.call_action("organization_member_create", id=org["id"], username=member["name"],
                        role="member")
    outsider = factories.User()

    def seen_by(user: dict) -> list[str]:
        result = helpers.call_action(
            "package_search", context={"user": user["name"], "ignore_auth": False},
            include_private=True, sort="name asc", extras={"ext_bbox": "11.5,48.1,11.6,48.2"})
        return [d["name"] for d in result["results"]]

    assert seen_by(member) == ["oeffentlich", "privat"]
    assert seen_by(outsider) == ["oeffentlich"]


@pytest.mark.parametrize("bbox, problem", [
    ("11.5,48.1,11.6", "expected four comma-separated numbers"),
    ("11.5;48.1;11.6;48.2", "expected four comma-separated numbers"),
    ("11.5,Nord,11.6,48.2", "miny 'Nord' is not a number"),
    ("11.5,48.1,nan,48.2", "maxx 'nan' is not a finite number"),
    ("11.6,48.1,11.5,48.2", "minx 11.6 is greater than maxx 11.5"),
    ("11.5,48.2,11.6,48.1", "miny 48.2 is greater than maxy 48.1"),
    ("-181,48.1,11.6,48.2", "minx -181 is outside the longitude range -180..180"),
    ("11.5,48.1,11.6,91", "maxy 91 is outside the latitude range -90..90"),
    ("691000,5334000,692000,5336000", "outside the longitude range"),  # UTM, not lon/lat
])
def test_a_bad_box_is_a_validation_error_naming_ext_bbox(bbox, problem):
    with pytest.raises(ValidationError) as error:
        names(bbox)
    assert list(error.value.error_dict) == ["ext_bbox"]
    assert problem in error.value.error_dict["ext_bbox"][0]


def test_a_bad_box_answers_409_in_the_api_and_400_on_the_search_page(app):
    api = app.get("/api/3/action/package_search", query_string={"ext_bbox": "1,2,3"},
                  status=409).json
    assert "expected four" in api["error"]["ext_bbox"][0]
    page = app.get("/dataset", query_string={"ext_bbox": "3,2,1,4"}, status=400)
    assert "ext_bbox: minx 3 is greater than maxx 1" in page.get_data(as_text=True)


def test_the_search_page_filters_by_ext_bbox(app, catalog):
    page = app.get("/dataset", query_string={"ext_bbox": "11.0,49.4,11.1,49.5"})
    text = page.get_data(as_text=True)
    assert "Verkehrszählung Nürnberg" in text and "Verkehrszählung München" not in text


def test_the_solr_spatial_filter_can_be_sent_directly(catalog):
    inside = 'spatial_geom:"Intersects(ENVELOPE(11.55, 11.60, 48.16, 48.12))"'
    assert names(fq=inside) == ["muenchen"]
    assert names(fq="spatial_geom:*") == ["garching", "muenchen", "nuernberg"]
    assert names(fq="-spatial_geom:*") == ["ohne-raumbezug"]
    with pytest.raises(SearchQueryError, match="takes 'Intersects"):
        names(fq='spatial_geom:"Contains(POINT(1 2))"')


def test_reindexing_and_updates_keep_the_extent_current(create, sysadmin):
    dataset = create("wandernd", spatial_coverage=[{"bbox": polygon(*MUENCHEN)}])
    ckan_search.rebuild()
    assert names("11.5,48.1,11.6,48.2") == ["wandernd"]
    helpers.call_action("package_patch", context={"user": sysadmin["name"]}, id=dataset["id"],
                        spatial_coverage=[{"bbox": polygon(*NUERNBERG)}])
    assert names("11.5,48.1,11.6,48.2") == []
    assert names("11.0,49.4,11.1,49.5") == ["wandernd"]
    helpers.call_action("package_patch", context={"user": sysadmin["name"]}, id=dataset["id"],
                        spatial_coverage=[])
    assert names(BAYERN) == []


def test_the_spatial_extra_of_ckanext_spatial_counts_too(create):
    create("extra", extras=[{"key": "spatial", "value": polygon(*NUERNBERG)}])
    create("beides", extras=[{"key": "spatial", "value": point(*GARCHING)}],
           spatial_coverage=[{"bbox": polygon(*NUERNBERG)}])
    assert names("11.0,49.4,11.1,49.5") == ["beides", "extra"]
    assert names("11.66,48.26,11.68,48.27") == ["beides"]  # the union of both


def test_a_self_intersecting_polygon_is_repaired_not_dropped(create):
    bowtie = json.dumps({"type": "Polygon", "coordinates": [[
        [11.0, 48.0], [12.0, 49.0], [12.0, 48.0], [11.0, 49.0], [11.0, 48.0]]]})
    create("schleife", spatial_coverage=[{"geom": bowtie}])
    assert names("11.05,48.4,11.1,48.6") == ["schleife"]  # inside the left triangle
    assert names("11.4,48.0,11.6,48.1") == []  # between the triangles


@pytest.mark.parametrize("field, value, problem", [
    ("spatial", "{kein json", "not a GeoJSON geometry"),
    ("spatial", json.dumps({"type": "Polygon"}), "not a GeoJSON geometry"),
    ("bbox", polygon(691000, 5334000, 692000, 5336000), "projected coordinates?"),
    ("geom", json.dumps({"type": "Point", "coordinates": []}), "empty geometry"),
])
def test_a_broken_geometry_is_indexed_without_extent_and_logged(create, caplog, monkeypatch,
                                                                field, value, problem):
    # A CLI test before this one may have reloaded CKAN's logging config, which disables
    # loggers it does not name.
    monkeypatch.setattr(logging.getLogger("ckanext.twin.search.documents"), "disabled", False)
    fields = {"extras": [{"key": "spatial", "value": value}]} if field == "spatial" else \
        {"spatial_coverage": [{field: value}]}
    with caplog.at_level(logging.WARNING, logger="ckanext.twin.search.documents"):
        create("kaputt", title="Kaputte Geometrie", **fields)
    assert names(q="Kaputte") == ["kaputt"]
    assert names("-180,-90,180,90") == []
    warning = next(r.getMessage() for r in caplog.records if "kaputt" in r.getMessage())
    assert "indexed without extent" in warning and problem in warning


def test_an_existing_index_gets_its_extents_in_place(create):
    create("vorher", spatial_coverage=[{"bbox": polygon(*MUENCHEN)}])
    create("ohne", notes="kein Raumbezug")
    engine = model.ensure_engine()
    with engine.begin() as conn:  # the table as it was before extents
        conn.execute(sa.text(f"ALTER TABLE {schema.TABLE} DROP COLUMN extent"))
    schema._ready.clear()
    schema.ensure(engine)
    assert names("11.5,48.1,11.6,48.2") == ["vorher"]
    with engine.begin() as conn:
        index = conn.execute(sa.text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = :n"),
            {"n": f"{schema.TABLE}_extent_idx"}).scalar()
    assert "USING gist (extent)" in index


def test_with_solr_ext_bbox_is_left_to_ckanext_spatial(monkeypatch):
    monkeypatch.setitem(config, backend.OPTION, backend.SOLR)  # after the index was cleaned
    params = {"q": "", "extras": {"ext_bbox": "not a box"}}
    assert before_dataset_search(dict(params)) == params
