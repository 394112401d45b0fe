"""The extent map on the dataset page: ckanext-spatial's Leaflet map, fed by us.

ckanext-spatial's ``dataset-map`` JavaScript module and its Leaflet assets draw the extent;
they are registered here rather than by loading its ``spatial_metadata`` plugin, whose
hooks would refuse to save a dataset with a broken ``spatial`` extra (the search index
leaves such an extent out instead), which knows only the ``spatial`` extra, and whose map
snippet reads its base map from undeclared ``ckanext.spatial.common_map.*`` options. The map
draws the extent the search index uses (``spatial.dataset_extent``), on tiles from
``ckanext.twin.map.*``.
"""
from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
import shapely

from ckanext.twin.search.spatial import InvalidExtent, dataset_extent

TILES_OPTION = "ckanext.twin.map.tiles_url"
ATTRIBUTION_OPTION = "ckanext.twin.map.attribution"
ASSET_LIBRARY = "ckanext-spatial"  # the name its templates and bundles use


def _spatial_directory() -> Path:
    spec = importlib.util.find_spec("ckanext.spatial")
    assert spec is not None and spec.origin, "ckanext-spatial is a dependency of ckanext-twin"
    return Path(spec.origin).parent


def register_assets(config: Any) -> None:
    """Leaflet and the ``dataset-map`` module, and the point marker image they use.

    Registering a library twice keeps the first (CKAN skips taken names), so loading
    ckanext-spatial's own plugins as well changes nothing."""
    spatial = _spatial_directory()
    tk.add_resource(str(spatial / "assets"), ASSET_LIBRARY)
    tk.add_public_directory(config, str(spatial / "public"))


def twin_dataset_extent(pkg: Mapping[str, Any]) -> dict[str, Any] | None:
    """The dataset's extent as GeoJSON for the map and its bounding box for the text
    alternative; None when the dataset states none (or only a broken one)."""
    try:
        extent = dataset_extent(pkg)
    except InvalidExtent:
        return None
    if extent is None:
        return None
    west, south, east, north = extent.bounds
    return {"geojson": shapely.to_geojson(extent),
            "west": west, "south": south, "east": east, "north": north}


def twin_map_config() -> dict[str, str]:
    """The base map in the form of ckanext-spatial's ``common_map`` configuration."""
    return {"type": "custom", "custom_url": tk.config.get(TILES_OPTION),
            "attribution": tk.config.get(ATTRIBUTION_OPTION)}


def get_helpers() -> dict[str, Any]:
    return {"twin_dataset_extent": twin_dataset_extent, "twin_map_config": twin_map_config}
