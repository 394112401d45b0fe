"""The platforms and policies in force, as the portal's processes see them.

Platforms come from the registry file (read again when it changes, like the partner
registry); policies from their newest stored version, parsed once per digest. A stored
policy that no longer parses against today's registries (a platform was removed, say)
counts as no policy: its datasets are denied everywhere until it is applied again, and the
log says why. Failing closed is the point.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ckanext.twin.logic.partners import registry as partner_registry
from ckanext.twin.paths import configured_file
from ckanext.twin.policy import store
from ckanext.twin.policy.evaluate import Evaluator
from ckanext.twin.policy.platforms import Platforms, load_platforms
from ckanext.twin.policy.reader import PolicyError, parse_policy

log = logging.getLogger(__name__)

PLATFORMS_OPTION = "ckanext.twin.platforms_file"
POLICIES_OPTION = "ckanext.twin.policies_dir"

_platforms_cache: dict[str, Any] = {}
_evaluators: dict[tuple[str, str], Evaluator] = {}


@dataclass(frozen=True)
class InForce:
    """A municipality's policy version in force, ready to decide."""

    version: int
    evaluator: Evaluator


def platforms() -> Platforms:
    """Munich's platforms from the configured registry file."""
    path = configured_file(PLATFORMS_OPTION)
    stamp = (str(path), path.stat().st_mtime_ns if path.exists() else None)
    if _platforms_cache.get("stamp") != stamp:
        _platforms_cache["platforms"] = load_platforms(path)
        _platforms_cache["stamp"] = stamp
        _evaluators.clear()
    return _platforms_cache["platforms"]


def in_force(conn: Any) -> dict[str, InForce]:
    """An evaluator per municipality with a stored policy (others get none: all denied)."""
    registered = platforms()
    partners = partner_registry()
    found: dict[str, InForce] = {}
    for municipality, stored in store.latest_versions(conn).items():
        key = (municipality, stored.digest)
        if key not in _evaluators:
            try:
                policy = parse_policy(stored.text, f"{municipality} version {stored.version}",
                                      partners, registered, municipality)
            except PolicyError as error:
                log.error("The stored policy of %s (version %d) no longer holds; its "
                          "datasets are denied everywhere until a valid policy is applied: "
                          "%s", municipality, stored.version, error)
                continue
            _evaluators[key] = Evaluator(policy, registered)
        found[municipality] = InForce(stored.version, _evaluators[key])
    return found


def no_policy() -> InForce:
    """For municipalities without a policy (or a stored one that no longer holds)."""
    return InForce(store.NO_POLICY, Evaluator(None, platforms()))
