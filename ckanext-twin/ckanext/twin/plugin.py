"""CKAN plugin classes: thin wiring of CKAN interfaces to the modules that do the work."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.twin import cli
from ckanext.twin.search import backend
from ckanext.twin.search.actions import package_search


@tk.blanket.config_declarations(str(Path(__file__).parent / "search" / "config_declaration.yaml"))
class SearchPlugin(p.SingletonPlugin):
    """``twin_search``: serves CKAN's dataset search from PostgreSQL (or Solr, by config)."""

    p.implements(p.IConfigurer)
    p.implements(p.IActions)

    def update_config(self, config: Any) -> None:
        # Runs before CKAN probes Solr's schema, so the probe is answered by our backend.
        backend.install()

    def get_actions(self) -> dict[str, Any]:
        return {"package_search": package_search}


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
