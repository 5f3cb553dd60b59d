"""Dispatch: awarded kW split over assets, cheapest first, within power and energy limits."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from bidding.assets import BatterySpec, CurtailableLoadSpec
from bidding.dispatch import disaggregate
from bidding.exceptions import InfeasibleProblem, InvalidInput
from bidding.flexibility import battery_envelope, curtailable_envelope
from bidding.intervals import INTERVAL_HOURS
from bidding.offer_model import BidAsset

DAY = date(2025, 7, 16)


def _load(asset_id: str, kw: float, cost_fen_per_mwh: int, minutes: int = 240) -> BidAsset:
    spec = CurtailableLoadSpec(kw, 15, minutes, 1, 0, 0.0, (), cost_fen_per_mwh)
    return BidAsset(
        asset_id, "ent-1", spec, curtailable_envelope(asset_id, spec, DAY, [500.0] * 96)
    )


def _battery(asset_id: str = "bess-1") -> BidAsset:
    # 100 kWh, soc 0.2..0.9, starts at 0.3: only 10 kWh above the floor; lossless discharge.
    spec = BatterySpec(100.0, 100.0, 100.0, 0.95, 1.0, 0.2, 0.9, 0.3, 100_000)
    return BidAsset(asset_id, "ent-2", spec, battery_envelope(asset_id, spec))


def test_cheapest_load_first_and_sum_matches_award() -> None:
    assets = [_load("cheap", 100.0, 200_000), _load("dear", 100.0, 500_000)]
    setpoints = disaggregate({72: 150.0, 73: 80.0}, assets)
    assert setpoints["cheap"][72] == pytest.approx(100.0)
    assert setpoints["dear"][72] == pytest.approx(50.0)
    assert setpoints["cheap"][73] == pytest.approx(80.0)
    assert setpoints["dear"][73] == pytest.approx(0.0, abs=1e-6)
    total = setpoints["cheap"] + setpoints["dear"]
    expected = np.zeros(96)
    expected[72], expected[73] = 150.0, 80.0
    np.testing.assert_allclose(total, expected, atol=1e-6)


def test_battery_recharges_before_the_event_rather_than_curtail_loads() -> None:
    assets = [_load("load", 100.0, 500_000), _battery()]
    award = {72: 30.0, 73: 30.0}  # 15 kWh; the battery holds 10 kWh above its floor
    setpoints = disaggregate(award, assets)
    total = setpoints["load"] + setpoints["bess-1"]
    assert total[72] == pytest.approx(30.0) and total[73] == pytest.approx(30.0)
    outside = np.delete(total, [72, 73])
    assert outside.max() <= 1e-6, "load was shed outside the award"
    np.testing.assert_allclose(setpoints["load"], 0.0, atol=1e-6)  # battery is cheaper
    charged = -setpoints["bess-1"].clip(max=0)
    discharged = setpoints["bess-1"].clip(min=0)
    stored = 30.0 + np.cumsum(charged * 0.95 - discharged) * INTERVAL_HOURS
    assert stored.min() >= 20.0 - 1e-6 and stored.max() <= 90.0 + 1e-6
    assert charged[:72].sum() * INTERVAL_HOURS * 0.95 == pytest.approx(5.0, abs=1e-6)


def test_award_above_capacity_names_the_interval() -> None:
    assets = [_load("a", 100.0, 200_000), _load("b", 50.0, 300_000)]
    with pytest.raises(InfeasibleProblem) as caught:
        disaggregate({70: 100.0, 71: 160.0}, assets)
    assert caught.value.constraint == "award"
    assert caught.value.interval == 71
    assert "160.000 kW" in str(caught.value) and "150.000 kW" in str(caught.value)


def test_award_beyond_stored_energy_names_where_it_runs_out() -> None:
    # 40 kW for one interval is exactly the 10 kWh available, and at the start of the
    # day there is no time to recharge: the second interval is short.
    with pytest.raises(InfeasibleProblem) as caught:
        disaggregate({0: 40.0, 1: 40.0}, [_battery()])
    assert caught.value.interval == 1
    assert "only 0.000 kW" in str(caught.value)


def test_award_beyond_daily_curtailment_energy_fails() -> None:
    # One 30-minute event of 100 kW is 50 kWh; three full intervals need 75 kWh.
    load = _load("load", 100.0, 200_000, minutes=30)
    with pytest.raises(InfeasibleProblem) as caught:
        disaggregate({60: 100.0, 61: 100.0, 62: 100.0}, [load])
    assert caught.value.interval == 62


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
    setpoints = disaggregate({}, [_load("a", 100.0, 200_000), _battery()])
    for plan in setpoints.values():
        np.testing.assert_allclose(plan, 0.0, atol=1e-6)
