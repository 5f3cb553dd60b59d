"""Dispatch: awards split over assets by event rules, cheapest first, shortfall reported.

Every plan is checked by tests/unit/dispatch_checks.py, which reads the rules from the
asset specs and never calls the dispatch code.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from bidding.assets import AvailabilityWindow, BatterySpec, CurtailableLoadSpec
from bidding.dispatch import Redispatch, disaggregate
from bidding.exceptions import InvalidInput
from bidding.flexibility import battery_envelope, curtailable_envelope
from bidding.intervals import INTERVAL_HOURS
from bidding.offer_model import BidAsset
from tests.unit.dispatch_checks import check_battery, check_plan, runs

DAY = date(2025, 7, 16)  # a Wednesday


def _load(
    asset_id: str,
    kw: float,
    cost_fen_per_mwh: int,
    minutes: tuple[int, int] = (15, 240),
    events: int = 1,
    rebound: float = 0.0,
    windows: tuple[AvailabilityWindow, ...] = (),
    forecast_kw: float = 500.0,
) -> BidAsset:
    spec = CurtailableLoadSpec(kw, *minutes, events, 0, rebound, windows, cost_fen_per_mwh)
    envelope = curtailable_envelope(asset_id, spec, DAY, [forecast_kw] * 96)
    return BidAsset(asset_id, "ent-1", spec, envelope)


def _battery(asset_id: str = "bess-1", soc: float = 0.3) -> BidAsset:
    # 100 kWh, soc 0.2..0.9, starts at 0.3: only 10 kWh above the floor; lossless discharge.
    spec = BatterySpec(100.0, 100.0, 100.0, 0.95, 1.0, 0.2, 0.9, soc, 100_000)
    return BidAsset(asset_id, "ent-2", spec, battery_envelope(asset_id, spec))


def _award(awarded: dict[int, float]) -> np.ndarray:
    out = np.zeros(96)
    for t, kw in awarded.items():
        out[t] = kw
    return out


def _solve(awarded: dict[int, float], assets: list[BidAsset], **kw):
    plan = disaggregate(awarded, assets, **kw)
    check_plan(assets, _award(awarded), plan.setpoints_kw, plan.shortfall_kw)
    return plan


def test_cheapest_load_first_and_the_award_is_met_exactly() -> None:
    assets = [_load("cheap", 100.0, 200_000), _load("dear", 100.0, 500_000)]
    plan = _solve({72: 150.0, 73: 80.0}, assets)
    # One event each at one level: the cheap load holds 80 kW over both intervals, the
    # dear one tops up the first (cheaper than the cheap load at 100 then 80 kW twice).
    assert plan.setpoints_kw["cheap"][72:74] == pytest.approx([80.0, 80.0])
    assert plan.setpoints_kw["dear"][72:74] == pytest.approx([70.0, 0.0], abs=1e-6)
    assert plan.shortfall_kw.max() == 0.0
    assert plan.cost_fen == pytest.approx((160 * 200_000 + 70 * 500_000) * INTERVAL_HOURS / 1000)


def test_battery_recharges_before_the_event_rather_than_curtail_loads() -> None:
    assets = [_load("load", 100.0, 500_000), _battery()]
    plan = _solve({72: 30.0, 73: 30.0}, assets)  # 15 kWh; the battery holds 10 above its floor
    np.testing.assert_allclose(plan.setpoints_kw["load"], 0.0, atol=1e-6)  # battery is cheaper
    charged = -plan.setpoints_kw["bess-1"].clip(max=0)
    assert charged[:72].sum() * INTERVAL_HOURS * 0.95 == pytest.approx(5.0, abs=1e-6)


def test_an_award_above_capacity_is_reported_short_in_that_interval() -> None:
    assets = [_load("a", 100.0, 200_000), _load("b", 50.0, 300_000)]
    plan = _solve({70: 100.0, 71: 160.0}, assets)
    assert plan.shortfall_kw[71] == pytest.approx(10.0)
    assert plan.shortfall_kw[70] == 0.0
    assert np.flatnonzero(plan.shortfall_kw).tolist() == [71]


def test_an_award_beyond_stored_energy_is_short_where_the_energy_runs_out() -> None:
    # 40 kW for one interval is exactly the 10 kWh available, and at the start of the
    # day there is no time to recharge: the second interval is short.
    plan = _solve({0: 40.0, 1: 40.0}, [_battery()])
    assert plan.shortfall_kw[:2] == pytest.approx([0.0, 40.0])
    assert plan.shortfall_kwh == pytest.approx(10.0)


def test_an_award_shorter_than_the_minimum_event_cannot_be_served_by_that_load() -> None:
    load = _load("load", 100.0, 200_000, minutes=(30, 120))
    plan = _solve({60: 50.0}, [load])  # 30 min minimum, and never shed unawarded
    assert plan.shortfall_kw[60] == pytest.approx(50.0)
    assert _solve({60: 50.0, 61: 50.0}, [load]).shortfall_kw.max() == 0.0


def test_a_longer_award_than_the_longest_event_needs_a_second_event() -> None:
    one = _load("load", 100.0, 200_000, minutes=(15, 60), events=1)
    award = {t: 100.0 for t in range(60, 68)}  # two hours, events of at most one
    assert _solve(award, [one]).shortfall_kwh == pytest.approx(100.0)
    two = _load("load", 100.0, 200_000, minutes=(15, 60), events=2)
    # Without rebound two events may not touch: one interval between them is left short.
    plan = _solve(award, [two])
    assert plan.shortfall_kwh == pytest.approx(25.0)
    assert len(runs(plan.setpoints_kw["load"])) == 2


def test_the_rebound_follows_the_event_and_other_assets_cover_it() -> None:
    curtail = _load("plant", 100.0, 100_000, minutes=(30, 60), rebound=0.4)
    other = _load("other", 100.0, 400_000, minutes=(15, 120))
    plan = _solve({t: 100.0 for t in range(60, 66)}, [curtail, other])
    assert plan.shortfall_kw.max() == 0.0
    plant = plan.setpoints_kw["plant"]
    assert plant.min() < 0, "a rebound was drawn"
    assert (plant < 0).sum() == (plant > 0).sum()


def test_a_rebound_must_end_by_midnight() -> None:
    late = {94: 50.0, 95: 50.0}
    with_rebound = _load("load", 100.0, 200_000, rebound=0.5)
    assert _solve(late, [with_rebound]).shortfall_kwh == pytest.approx(25.0)
    assert _solve(late, [_load("load", 100.0, 200_000)]).shortfall_kwh == 0.0


def test_loads_shed_only_inside_their_availability_window() -> None:
    window = (AvailabilityWindow((), 32, 88),)  # 08:00-22:00 every day
    load = _load("load", 100.0, 200_000, windows=window)
    plan = _solve({87: 60.0, 88: 60.0}, [load])
    assert plan.shortfall_kw[87:89] == pytest.approx([0.0, 60.0])


def test_a_load_sheds_no_more_than_it_is_forecast_to_draw() -> None:
    load = _load("load", 100.0, 200_000, forecast_kw=40.0)
    assert _solve({50: 60.0}, [load]).shortfall_kw[50] == pytest.approx(20.0)


@pytest.mark.parametrize("seed", range(6))
def test_awards_a_feasible_plan_produced_are_met_exactly(seed: int) -> None:
    """Awards made from a random rule-abiding plan are always deliverable: no shortfall."""
    rng = np.random.default_rng(seed)
    assets, total = [], np.zeros(96)
    for k in range(4):
        rebound = float(rng.choice([0.0, 0.3]))
        load = _load(f"l{k}", 100.0, int(rng.integers(1, 9)) * 50_000, (30, 90), 2, rebound)
        assets.append(load)
        start, length = int(rng.integers(40, 70)), int(rng.integers(2, 7))
        level = float(rng.uniform(10, 100))
        total[start : start + length] += level
        total[start + length : start + 2 * length] -= rebound * level
    # Where the rebounds outweigh the events nothing is awarded: drawing more is allowed.
    awarded = {t: float(kw) for t, kw in enumerate(total) if kw > 1e-6}
    assets.append(_battery("bess", soc=0.9))
    plan = _solve(awarded, assets)
    assert plan.shortfall_kwh == pytest.approx(0.0, abs=1e-6)


def test_bad_awards_are_rejected() -> None:
    assets = [_load("a", 100.0, 200_000)]
    with pytest.raises(InvalidInput) as caught:
        disaggregate({72: -5.0}, assets)
    assert caught.value.field == "awarded_kw[72]"
    with pytest.raises(InvalidInput):
        disaggregate({96: 5.0}, assets)
    with pytest.raises(InvalidInput):
        disaggregate({72: 5.0}, [])


def test_no_award_means_no_movement() -> None:
    plan = _solve({}, [_load("a", 100.0, 200_000), _battery()])
    for values in plan.setpoints_kw.values():
        np.testing.assert_allclose(values, 0.0, atol=1e-6)


# -- re-dispatch ---------------------------------------------------------------------


def _three() -> list[BidAsset]:
    return [
        _load("cheap", 100.0, 100_000, minutes=(30, 120), events=2, rebound=0.2),
        _load("mid", 100.0, 200_000, minutes=(30, 120), events=2, rebound=0.2),
        _battery("bess", soc=0.9),
    ]


def _failed_case(boundary: int, failed_from: int):
    assets = _three()
    awarded = {t: 150.0 for t in range(72, 80)}
    first = _solve(awarded, assets)
    assert first.setpoints_kw["cheap"][72] > 0
    again = disaggregate(awarded, assets, Redispatch(first, boundary, {"cheap": failed_from}))
    return assets, awarded, first, again


def test_a_failed_asset_gets_zero_from_the_boundary_and_the_rest_is_rebalanced() -> None:
    assets, awarded, first, again = _failed_case(boundary=75, failed_from=75)
    for asset_id in first.setpoints_kw:  # nothing before the boundary changes
        np.testing.assert_allclose(
            again.setpoints_kw[asset_id][:75], first.setpoints_kw[asset_id][:75]
        )
    np.testing.assert_allclose(again.setpoints_kw["cheap"][75:], 0.0)
    others = [a for a in assets if a.asset_id != "cheap"]
    check_plan(
        others,
        _award(awarded),
        {**again.setpoints_kw, "cheap": np.zeros(96)},
        again.shortfall_kw + np.where(np.arange(96) < 75, first.setpoints_kw["cheap"], 0.0),
        boundary=75,
    )
    check_battery(assets[2].spec, again.setpoints_kw["bess"])
    took = again.setpoints_kw["mid"][75:80].sum() - first.setpoints_kw["mid"][75:80].sum()
    assert took > 0, "the other load took over"
    total = sum(v for v in again.setpoints_kw.values())
    np.testing.assert_allclose(
        (total + again.shortfall_kw)[72:80], 150.0, atol=1e-3, err_msg="award or shortfall"
    )


def test_a_failure_reported_ahead_keeps_the_asset_until_then() -> None:
    _, _, first, again = _failed_case(boundary=74, failed_from=77)
    np.testing.assert_allclose(again.setpoints_kw["cheap"][:77], first.setpoints_kw["cheap"][:77])
    np.testing.assert_allclose(again.setpoints_kw["cheap"][77:], 0.0)


def test_new_events_wait_for_the_notification_lead() -> None:
    assets = _three()
    awarded = {t: 150.0 for t in range(72, 80)}
    first = _solve(awarded, assets)
    late = Redispatch(first, 74, {"cheap": 74}, earliest_start={"mid": 96})
    again = disaggregate(awarded, assets, late)
    mid_new = runs(again.setpoints_kw["mid"])
    assert mid_new == runs(first.setpoints_kw["mid"]), "no new event of mid could start"


def test_a_redispatch_for_another_award_is_refused() -> None:
    assets = _three()
    first = disaggregate({72: 100.0}, assets)
    with pytest.raises(InvalidInput) as caught:
        disaggregate({72: 120.0}, assets, Redispatch(first, 73))
    assert caught.value.field == "redispatch.plan"
