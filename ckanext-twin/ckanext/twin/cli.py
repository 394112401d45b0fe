"""``ckan twin ...``: the operators' command line."""
from __future__ import annotations

import click


@click.group(short_help="ckanext-twin portal commands")
def twin() -> None:
    """Operate the Munich federated catalog portal."""
