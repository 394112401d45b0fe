"""CKAN plugin classes: thin wiring of CKAN interfaces to the modules that do the work."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.twin import cli, helpers, paths
from ckanext.twin.dcat import catalog, panel
from ckanext.twin.logic import actions, auth, validators
from ckanext.twin.search import backend, extent_map
from ckanext.twin.search.actions import before_dataset_search, package_search


@tk.blanket.config_declarations(str(Path(__file__).parent / "search" / "config_declaration.yaml"))
class SearchPlugin(p.SingletonPlugin):
    """``twin_search``: serves CKAN's dataset search from PostgreSQL (or Solr, by config),
    with spatial search (``ext_bbox``) and the extent map of the dataset page."""

    p.implements(p.IConfigurer)
    p.implements(p.IActions)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.ITemplateHelpers)

    def update_config(self, config: Any) -> None:
        # Runs before CKAN probes Solr's schema, so the probe is answered by our backend.
        backend.install()
        extent_map.register_assets(config)

    def get_actions(self) -> dict[str, Any]:
        return {"package_search": package_search}

    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        return before_dataset_search(search_params)

    def get_helpers(self) -> dict[str, Any]:
        return extent_map.get_helpers()


@tk.blanket.config_declarations
class TwinPlugin(p.SingletonPlugin):
    """``twin``: the portal itself (CLI, pages, harvest queue settings)."""

    p.implements(p.IConfigurer)
    p.implements(p.IClick)

    def update_config(self, config: Any) -> None:
        if "harvest" in config.get("ckan.plugins", []):
            # Imported only with ckanext-harvest: importing it registers its models.
            from ckanext.twin import harvest_queue
            harvest_queue.install()

    def get_commands(self) -> list[Any]:
        return [cli.twin]


@tk.blanket.config_declarations(str(Path(__file__).parent / "dcat" / "config_declaration.yaml"))
class DCATPlugin(p.SingletonPlugin):
    """``twin_dcat``: DCAT-AP.de publishing (schema validators, catalog endpoints, the
    stewards' validation report and panel).

    Load it before ckanext-dcat's ``dcat`` so its catalog route answers first."""

    p.implements(p.IConfigurer)
    p.implements(p.IValidators)
    p.implements(p.ITemplateHelpers)
    p.implements(p.IActions)
    p.implements(p.IAuthFunctions)
    p.implements(p.IBlueprint)

    def update_config(self, config: Any) -> None:
        paths.add_templates(config)

    def get_validators(self) -> dict[str, Any]:
        return validators.get_validators()

    def get_helpers(self) -> dict[str, Any]:
        return {**helpers.get_helpers(), **panel.get_helpers()}

    def get_actions(self) -> dict[str, Any]:
        return {"dcat_catalog_show": catalog.dcat_catalog_show,
                "twin_dataset_validation_show": actions.twin_dataset_validation_show}

    def get_auth_functions(self) -> dict[str, Any]:
        return {"twin_dataset_validation_show": auth.twin_dataset_validation_show}

    def get_blueprint(self) -> Any:
        return catalog.blueprint()
