"""Withdrawals are held whenever a run could be mistaken for a mass deletion."""
from __future__ import annotations

import pytest

from harvesters.safeguards import plan_withdrawals

PREVIOUS = {f"d{i}" for i in range(10)}


@pytest.mark.parametrize("current, complete, withdrawn, held, reason", [
    (PREVIOUS, True, set(), set(), None),
    (PREVIOUS - {"d1", "d2"}, True, {"d1", "d2"}, set(), None),
    (PREVIOUS - {"d1", "d2", "d3"}, True, set(), {"d1", "d2", "d3"}, "3 of 10"),
    (set(), True, set(), PREVIOUS, "no datasets"),
    (PREVIOUS - {"d1"}, False, set(), {"d1"}, "completely"),
    (PREVIOUS | {"new"}, True, set(), set(), None),
])
def test_plan(current, complete, withdrawn, held, reason):
    plan = plan_withdrawals(PREVIOUS, current, complete)
    assert plan.withdraw == withdrawn
    assert plan.held == held
    assert (plan.reason is None) == (reason is None)
    if reason:
        assert reason in plan.reason


def test_share_is_configurable():
    assert plan_withdrawals(PREVIOUS, PREVIOUS - {"d1", "d2", "d3"}, True,
                            max_share=0.5).withdraw == {"d1", "d2", "d3"}
