"""The independent plan checker catches each broken rule (so a passing check means something)."""

from __future__ import annotations

from datetime import date

import numpy as np

from bidding.assets import AvailabilityWindow, CurtailableLoadSpec
from tests.unit.plan_checks import load_violations

DAY = date(2025, 7, 16)
UP = np.full(96, 100.0)
# 30..60-minute events, at most 2 a day, 20 % rebound, available 08:00-22:00.
SPEC = CurtailableLoadSpec(100.0, 30, 60, 2, 0, 0.2, (AvailabilityWindow((), 32, 88),), 400_000)


def _plan(*events: tuple[int, int, float]) -> np.ndarray:
    """Events (start, length, kW) with their rebound after each, as the rule says."""
    plan = np.zeros(96)
    for start, length, kw in events:
        plan[start : start + length] += kw
        plan[start + length : start + 2 * length] -= 0.2 * kw
    return plan


def test_a_plan_that_keeps_the_rules_passes() -> None:
    assert load_violations(SPEC, UP, DAY, _plan((40, 2, 50.0), (70, 4, 80.0))) == []


def test_each_broken_rule_is_named() -> None:
    cases = {
        "lasts 1 intervals": _plan((40, 1, 50.0)),
        "lasts 5 intervals": _plan((40, 5, 50.0)),
        "3 events > max 2": _plan((40, 2, 50.0), (50, 2, 50.0), (60, 2, 50.0)),
        "unavailable interval 30": _plan((30, 2, 50.0)),
        "> up": _plan((40, 2, 150.0)),
    }
    for expected, plan in cases.items():
        assert any(expected in v for v in load_violations(SPEC, UP, DAY, plan)), expected
    no_rebound = _plan((40, 2, 50.0))
    no_rebound[42:44] = 0.0
    assert any("rebound rule" in v for v in load_violations(SPEC, UP, DAY, no_rebound))
    stray = _plan((40, 2, 50.0))
    stray[10] = -5.0
    assert any("extra at 10" in v for v in load_violations(SPEC, UP, DAY, stray))
