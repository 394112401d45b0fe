"""The demo datasets of config/demo/datasets.yaml, created or updated through the action API."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import ckan.plugins.toolkit as tk
import yaml

Outcome = Literal["created", "updated"]


class DemoDataError(Exception):
    """The demo file or one of its datasets was refused; the message says which and why."""


def load(path: Path) -> list[dict[str, Any]]:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise DemoDataError(f"{path}: {error}") from error
    datasets = content.get("datasets") if isinstance(content, dict) else None
    if not isinstance(datasets, list) or not all(isinstance(d, dict) and d.get("name")
                                                 for d in datasets):
        raise DemoDataError(f"{path}: expected 'datasets:' with a list of datasets with names")
    return datasets


def ensure(datasets: list[dict[str, Any]]) -> Iterator[tuple[str, Outcome]]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    for dataset in datasets:
        context = {"user": site_user["name"], "ignore_auth": True}
        try:
            tk.get_action("package_show")(dict(context), {"id": dataset["name"]})
        except tk.ObjectNotFound:
            action, outcome = "package_create", "created"
        else:
            action, outcome = "package_update", "updated"
        try:
            tk.get_action(action)(dict(context), dict(dataset))
        except tk.ValidationError as error:
            raise DemoDataError(f"dataset {dataset['name']!r}: {error.error_summary}") from error
        yield dataset["name"], outcome
