"""Where the portal's own files are: paths in the config are relative to the project."""
from __future__ import annotations

from pathlib import Path

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
