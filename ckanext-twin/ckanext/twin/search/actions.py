"""``package_search`` refinements for the PostgreSQL backend."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.lib.search.common import SearchError, SearchQueryError

from ckanext.twin.search import backend
from ckanext.twin.search.spatial import BBox

BBOX_PARAM = "ext_bbox"


class InvalidBBox(tk.ValidationError, SearchQueryError):
    """A malformed ``ext_bbox``: a validation error naming the parameter for the action API
    (409 with ``{"ext_bbox": [...]}``), a rejected query for the search page (400), which
    lets only search errors through."""

    def __str__(self) -> str:
        return f"{BBOX_PARAM}: {'; '.join(self.error_dict[BBOX_PARAM])}"


@tk.side_effect_free
@tk.chained_action
def package_search(up: Any, context: Any, data_dict: dict[str, Any]) -> Any:
    """A query CKAN refuses before it reaches the backend (local parameters, magic fields)
    is a bad request too: answer 400 like every other untranslatable query, not 409."""
    try:
        return up(context, data_dict)
    except SearchQueryError:
        raise
    except SearchError as error:
        if backend.selected() == backend.POSTGRES:
            raise SearchQueryError(*error.args) from error
        raise


def before_dataset_search(search_params: dict[str, Any]) -> dict[str, Any]:
    """ckanext-spatial's ``ext_bbox=minx,miny,maxx,maxy`` as a filter on the extent.

    With Solr the parameter is left to ckanext-spatial's ``spatial_query`` plugin."""
    value = (search_params.get("extras") or {}).get(BBOX_PARAM)
    if value in (None, "") or backend.selected() != backend.POSTGRES:
        return search_params
    try:
        box = BBox.parse(value)
    except ValueError as error:
        raise InvalidBBox({BBOX_PARAM: [str(error)]}) from None
    search_params["fq_list"] = [*search_params.get("fq_list", []), box.solr_filter()]
    return search_params
