"""Whether a harvest run may withdraw the datasets a source no longer lists.

A source that answers with an error page, an empty catalog or a partial walk would, taken
at its word, withdraw everything: the anchors do exactly that (ckanext-dcat deletes every
dataset of a source on an empty catalog). Withdrawals are therefore held for a steward
whenever the run is not trustworthy or would withdraw more than a set share.
"""
from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

DEFAULT_MAX_SHARE = 0.2


@dataclass(frozen=True)
class WithdrawalPlan:
    withdraw: frozenset[str]  # keys to withdraw now
    held: frozenset[str]  # keys whose withdrawal waits for a steward
    reason: str | None  # why they are held (None: nothing held)


def plan_withdrawals(previous: Set[str], current: Set[str], complete: bool,
                     max_share: float = DEFAULT_MAX_SHARE) -> WithdrawalPlan:
    """Split the keys gone from the source into withdrawn now and held.

    ``complete``: the walk reached the last page without errors. ``max_share``: the largest
    share of the source's previous datasets one run may withdraw on its own.
    """
    gone = frozenset(previous) - frozenset(current)
    if not gone:
        return WithdrawalPlan(frozenset(), frozenset(), None)
    if not complete:
        reason = "the catalog could not be read completely"
    elif not current:
        reason = "the source answered with no datasets at all"
    elif len(gone) > max_share * len(previous):
        reason = (f"{len(gone)} of {len(previous)} datasets would be withdrawn, "
                  f"more than the allowed {max_share:.0%}")
    else:
        return WithdrawalPlan(gone, frozenset(), None)
    return WithdrawalPlan(frozenset(), gone, reason)
