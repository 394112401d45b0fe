"""Dataset extents and bounding-box filters for spatial search.

A dataset states where it lies as GeoJSON (lon/lat, WGS 84), in either of two conventions:
the scheming field ``spatial_coverage`` (repeating subfields ``geom``, ``bbox``,
``centroid``, as ckanext-dcat's parser fills them) or ckanext-spatial's ``spatial`` extra.
Both become one extent, the union of the dataset's geometries, which the search table
indexes and the dataset page draws.

A search asks for datasets in a box with ckanext-spatial's ``ext_bbox=minx,miny,maxx,maxy``.
It reaches the index as the filter Solr's spatial fields understand,
``spatial_geom:"Intersects(ENVELOPE(minx, maxx, maxy, miny))"``, so the query translator
compiles a Solr filter to PostGIS like any other, and API users may send it themselves.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

# The Solr field ckanext-spatial's ``solr-spatial-field`` backend indexes and filters on.
GEOMETRY_FIELD = "spatial_geom"
# Of one spatial_coverage entry the most precise geometry counts, as in ckanext-dcat.
COVERAGE_SUBFIELDS = ("geom", "bbox", "centroid")
LONGITUDE = (-180.0, 180.0)
LATITUDE = (-90.0, 90.0)

_NUMBER = r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*"
_INTERSECTS = re.compile(rf"^\s*Intersects\(\s*ENVELOPE\({_NUMBER},{_NUMBER},{_NUMBER},"
                         rf"{_NUMBER}\)\s*\)\s*$", re.IGNORECASE)


class InvalidExtent(ValueError):
    """A dataset's GeoJSON that cannot be an extent; ``where`` names the field."""

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


@dataclass(frozen=True)
class BBox:
    """A lon/lat box, west to east and south to north."""

    minx: float
    miny: float
    maxx: float
    maxy: float

    @classmethod
    def parse(cls, text: Any) -> "BBox":
        """ckanext-spatial's ``minx,miny,maxx,maxy``; ValueError says what is wrong."""
        parts = str(text).split(",")
        if len(parts) != 4:
            raise ValueError(f"expected four comma-separated numbers minx,miny,maxx,maxy "
                             f"(west,south,east,north), got {str(text)!r}")
        values = []
        for name, part in zip(("minx", "miny", "maxx", "maxy"), parts):
            try:
                value = float(part)
            except ValueError:
                raise ValueError(f"{name} {part.strip()!r} is not a number") from None
            if not math.isfinite(value):
                raise ValueError(f"{name} {part.strip()!r} is not a finite number")
            values.append(value)
        return cls.checked(*values)

    @classmethod
    def checked(cls, minx: float, miny: float, maxx: float, maxy: float) -> "BBox":
        for name, value, (low, high) in (("minx", minx, LONGITUDE), ("maxx", maxx, LONGITUDE),
                                         ("miny", miny, LATITUDE), ("maxy", maxy, LATITUDE)):
            if not low <= value <= high:
                axis = "longitude" if name.endswith("x") else "latitude"
                raise ValueError(f"{name} {value:g} is outside the {axis} range "
                                 f"{low:g}..{high:g} (WGS 84 degrees)")
        if minx > maxx:
            raise ValueError(f"minx {minx:g} is greater than maxx {maxx:g}")
        if miny > maxy:
            raise ValueError(f"miny {miny:g} is greater than maxy {maxy:g}")
        return cls(minx, miny, maxx, maxy)

    @classmethod
    def from_intersects(cls, text: str) -> "BBox":
        """The box of a Solr ``Intersects(ENVELOPE(minx, maxx, maxy, miny))`` filter."""
        match = _INTERSECTS.match(text)
        if not match:
            raise ValueError(f"{GEOMETRY_FIELD} takes 'Intersects(ENVELOPE(minx, maxx, maxy, "
                             f"miny))', got {text!r}")
        minx, maxx, maxy, miny = map(float, match.groups())
        return cls.checked(minx, miny, maxx, maxy)

    def solr_filter(self) -> str:
        return (f'+{GEOMETRY_FIELD}:"Intersects(ENVELOPE({self.minx!r}, {self.maxx!r}, '
                f'{self.maxy!r}, {self.miny!r}))"')


def _geometry(where: str, value: Any) -> BaseGeometry:
    text = value if isinstance(value, str) else json.dumps(value)
    try:
        geometry = shapely.from_geojson(text)
    except shapely.errors.ShapelyError as error:
        raise InvalidExtent(where, f"not a GeoJSON geometry ({error})") from None
    if geometry.is_empty:
        raise InvalidExtent(where, "empty geometry")
    minx, miny, maxx, maxy = geometry.bounds
    if not (LONGITUDE[0] <= minx and maxx <= LONGITUDE[1]
            and LATITUDE[0] <= miny and maxy <= LATITUDE[1]):
        raise InvalidExtent(where, f"coordinates {minx:g},{miny:g},{maxx:g},{maxy:g} are not "
                                   f"WGS 84 longitude/latitude (projected coordinates?)")
    return geometry if geometry.is_valid else shapely.make_valid(geometry)


def _stated_geometries(dataset: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(where, GeoJSON) of each geometry a dataset dict (package_show's form) states."""
    coverage = dataset.get("spatial_coverage") or []
    if isinstance(coverage, str):  # scheming's index form: the list as JSON
        try:
            coverage = json.loads(coverage)
        except ValueError:
            raise InvalidExtent("spatial_coverage", "not a JSON list") from None
    for position, entry in enumerate(coverage if isinstance(coverage, list) else []):
        if not isinstance(entry, Mapping):
            continue
        subfield = next((s for s in COVERAGE_SUBFIELDS if entry.get(s)), None)
        if subfield:
            yield f"spatial_coverage[{position}].{subfield}", entry[subfield]
    if dataset.get("spatial"):
        yield "spatial", dataset["spatial"]
    for extra in dataset.get("extras") or []:
        if isinstance(extra, Mapping) and extra.get("key") == "spatial" and extra.get("value"):
            yield "extras.spatial", extra["value"]


def dataset_extent(dataset: Mapping[str, Any]) -> BaseGeometry | None:
    """The union of the dataset's geometries; None if it states none.

    Raises :class:`InvalidExtent` for any geometry that is not usable GeoJSON in lon/lat:
    a dataset with a broken geometry gets no extent rather than a wrong one."""
    geometries = [_geometry(where, value) for where, value in _stated_geometries(dataset)]
    if not geometries:
        return None
    return geometries[0] if len(geometries) == 1 else shapely.unary_union(geometries)


def document_extent(doc: Mapping[str, Any]) -> BaseGeometry | None:
    """The extent of an index document, read from the dataset dict it carries.

    Index hooks reshape the document's own fields (ckanext-dcat moves ``spatial_coverage``
    into ``spatial``, ckanext-spatial drops ``spatial``), never the validated dataset."""
    validated = doc.get("validated_data_dict")
    if isinstance(validated, str):
        if '"spatial' not in validated:
            return None
        validated = json.loads(validated)
    return dataset_extent(validated if isinstance(validated, Mapping) else doc)
