"""What the policy tests share: the real registries of config/ and a policy from text.

The policy core has no CKAN in it, so these tests need neither a database nor a server.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ckanext.twin.partners import load_partners
from ckanext.twin.policy.model import Policy
from ckanext.twin.policy.platforms import Platforms, load_platforms
from ckanext.twin.policy.reader import parse_policy

ROOT = Path(__file__).resolve().parents[2]
PLATFORMS_FILE = ROOT / "config" / "platforms.yaml"


@pytest.fixture(scope="session")
def platforms() -> Platforms:
    return load_platforms(PLATFORMS_FILE)


@pytest.fixture(scope="session")
def partner_ids() -> list[str]:
    return [partner.id for partner in load_partners(ROOT / "config" / "partners.yaml")]


@pytest.fixture
def policy_of(platforms: Platforms, partner_ids: list[str]) -> Callable[..., Policy]:
    """``policy_of(rules_yaml, conflict="prohibit", municipality="garching")``: a parsed
    policy whose ``rules:`` block is the given YAML."""
    def parse(rules: str, conflict: str = "prohibit", municipality: str = "garching") -> Policy:
        text = f"municipality: {municipality}\nconflict: {conflict}\nrules:\n{rules}"
        return parse_policy(text, f"{municipality}.yaml", partner_ids, platforms, municipality)
    return parse
