"""Harvest sources created, run and read back through the action API, for the CKAN tests."""
from __future__ import annotations

import json
from typing import Any

from ckan.tests import factories
from ckan.tests.helpers import call_action


def make_source(url: str, partner: str = "muenchen", name: str = "muenchen-dcat",
                source_type: str = "twin_dcat", **config: Any) -> dict[str, Any]:
    """A harvest source of ``partner`` that may reach 127.0.0.1, with more ``config`` keys."""
    sysadmin = factories.Sysadmin()
    return call_action("harvest_source_create", {"user": sysadmin["name"]},
                       name=name, title=name, url=url, source_type=source_type,
                       owner_org=partner,
                       config=json.dumps({"partner": partner,
                                          "allowed_hosts": ["127.0.0.1"], **config}))


def harvest(source: dict[str, Any], lines: list[str] | None = None) -> dict[str, Any]:
    """One job of ``source`` run in-process with the stock stages; its report. The runner's
    progress lines go to ``lines``."""
    from ckanext.twin.harvest import runner
    site = call_action("get_site_user")["name"]
    return runner.run(source["id"], {"user": site, "ignore_auth": True},
                      (lines if lines is not None else []).append)


def datasets_of(source: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The source's published datasets by their dct:identifier."""
    found = call_action("package_search", fq=f'harvest_source_id:"{source["id"]}"',
                        rows=1000, include_private=True)["results"]
    return {d.get("identifier") or d["uri"]: d for d in found}
