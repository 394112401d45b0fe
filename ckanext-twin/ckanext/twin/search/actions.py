"""``package_search`` refinements for the PostgreSQL backend."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.lib.search.common import SearchError, SearchQueryError

from ckanext.twin.search import backend


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
