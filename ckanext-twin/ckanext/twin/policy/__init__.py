"""Per-municipality access policies.

``admit`` is the seam every harvested dataset passes on its way into CKAN (after the partner
registry has decided its owner, before it is written). Until the policies are in place it
lets every dataset through unchanged.
"""
from __future__ import annotations

from typing import Any

from ckanext.twin.partners import Partner


def admit(dataset: dict[str, Any], partner: Partner) -> dict[str, Any]:
    """The dataset as the partner's policy lets it into the portal."""
    return dataset
