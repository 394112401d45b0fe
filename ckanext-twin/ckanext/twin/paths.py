"""Where the portal's own files are: paths in the config are relative to the project."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk


def project_dir() -> Path:
    """The parent of the ini file's directory: the repository for ``config/ckan.ini``."""
    return Path(tk.config["__file__"]).resolve().parent.parent


def configured_file(option: str) -> Path:
    """A path from the config: relative ones against the project dir, else the cwd."""
    path = Path(tk.config[option])
    if path.is_absolute():
        return path
    candidates = [project_dir() / path, Path.cwd() / path]
    return next((candidate for candidate in candidates if candidate.exists()), candidates[0])


TEMPLATES = Path(__file__).resolve().parent / "templates"


def add_templates(config: Any) -> None:
    """Put the extension's one template directory first, once.

    Several of our plugins serve it (twin_dcat, twin_harvest). CKAN keeps one entry per
    spelling of a path, and a second entry renders every ``{% ckan_extends %}`` of ours
    twice; and CKAN calls the plugins listed first last, so whichever calls this last puts
    ours ahead of the templates ours extend (scheming's, ckanext-harvest's).
    """
    paths = config.get("plugin_template_paths", [])
    if str(TEMPLATES) in paths:
        paths.remove(str(TEMPLATES))
    tk.add_template_directory(config, str(TEMPLATES))
