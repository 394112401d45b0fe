"""The DCAT catalog endpoints (``/catalog.{ttl,rdf,jsonld,xml}``), answering 404 past the end.

ckanext-dcat serves any page number, so a harvester that walks past the last page gets an
empty 200 and may take it for an empty catalog; here that is a 404.

With ``ckanext.dcat.enable_content_negotiation`` the catalog is also served on ``/`` and each
dataset's RDF on ``/dataset/<id>`` by ``Accept`` header. ckanext-dcat adds those routes when
its blueprint module is first imported, so in a process that imported it before the option was
set (a test session) they never appear, and its ``/`` would answer a page past the end with a
500. This blueprint adds them whenever the app is built, so ``/`` gives the same 404.
"""
from __future__ import annotations

import math
from typing import Any

import ckan.plugins.toolkit as tk
from ckanext.dcat import logic as dcat_logic
from ckanext.dcat import utils
from flask import Blueprint

PER_PAGE_OPTION = "ckanext.dcat.datasets_per_page"


@tk.side_effect_free
@tk.chained_action
def dcat_catalog_show(up: Any, context: Any, data_dict: dict[str, Any]) -> Any:
    page = data_dict.get("page") or 1
    if str(page).isdigit() and int(page) > 1:
        # The same search ckanext-dcat runs (q, fq, modified_since), for its count.
        count = dcat_logic._search_ckan_datasets(dict(context), dict(data_dict, page=1))["count"]
        per_page = int(tk.config.get(PER_PAGE_OPTION) or dcat_logic.DATASETS_PER_PAGE)
        last = max(1, math.ceil(count / per_page))
        if int(page) > last:
            raise tk.ObjectNotFound(f"page {page} is beyond the last page ({last})")
    return up(context, data_dict)


def read_catalog(_format: str | None = None) -> Any:
    try:
        return utils.read_catalog_page(_format)
    except tk.ObjectNotFound as error:
        return tk.abort(404, str(error))


def blueprint() -> Blueprint:
    catalog = Blueprint("twin_catalog", __name__)
    endpoint = tk.config.get("ckanext.dcat.catalog_endpoint") or utils.DEFAULT_CATALOG_ENDPOINT
    catalog.add_url_rule(endpoint.replace("{_format}", "<_format>"), view_func=read_catalog)
    if tk.asbool(tk.config.get(utils.ENABLE_CONTENT_NEGOTIATION_CONFIG)):
        catalog.add_url_rule("/", view_func=read_catalog)
        # HTML unless the Accept header asks for RDF (ckanext-dcat decides and falls back).
        catalog.add_url_rule("/dataset/<_id>", view_func=utils.read_dataset_page,
                             defaults={"_format": None})
    return catalog
