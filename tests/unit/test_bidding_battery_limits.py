"""Batteries keep every limit at any price, also when the LP would rather burn energy.

At a negative price a battery is paid to consume: an LP whose charge and discharge are
both free charges and discharges in one interval and burns energy in the conversion
losses. The battery is told one net kW per interval, which converts once, so replayed
it would store more than the LP counted and overfill. The plans here are replayed from
the assets' rules (`tests.unit.plan_checks`), never from the model's own books.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from bidding.assets import BatterySpec
from bidding.flexibility import battery_envelope
from bidding.offer_model import BidAsset, BidProblem, PriceScenario
from bidding.offers import build_bids
from tests.unit.plan_checks import HOURS, check_solution

DAY = date(2025, 7, 16)


def _demo_battery(aid: str = "chem-battery", initial_soc: float = 0.6) -> BidAsset:
    """The demo park's chem-battery: 1,000 kWh, 250 kW, 90 % round trip, SoC 10-95 %."""
    spec = BatterySpec.from_round_trip(
        energy_capacity_kwh=1000.0,
        max_charge_kw=250.0,
        max_discharge_kw=250.0,
        round_trip_efficiency=0.9,
        soc_min=0.1,
        soc_max=0.95,
        initial_soc=initial_soc,
        degradation_cost_fen_per_mwh=50_000,
    )
    return BidAsset(aid, "ent-chem", spec, battery_envelope(aid, spec))


def _negative_midday(fen_per_mwh: float = -500_000) -> np.ndarray:
    prices = np.full(96, 100_000.0)
    prices[40:64] = fen_per_mwh  # 10:00-16:00
    return prices


def _stored_kwh(spec: BatterySpec, plan: np.ndarray) -> np.ndarray:
    discharge, charge = np.maximum(plan, 0.0), np.maximum(-plan, 0.0)
    flow = charge * spec.charge_efficiency - discharge / spec.discharge_efficiency
    return spec.initial_soc * spec.energy_capacity_kwh + np.cumsum(flow * HOURS)


def test_demo_battery_fills_to_its_ceiling_and_no_further_on_a_negative_midday() -> None:
    # Paid 500 fen/kWh to consume from 10:00 to 16:00. Once full, charging 250 kW while
    # discharging 225 kW would keep the LP's books at 950 kWh and earn 6.25 kWh x 500 fen
    # - 56.25 kWh x 50 fen wear = 312.5 fen per interval; the net 25 kW would overfill it.
    bess = _demo_battery()
    problem = BidProblem(DAY, [bess], [PriceScenario(1.0, _negative_midday())])
    solution = build_bids(problem, time_limit_seconds=30)
    stored = _stored_kwh(bess.spec, solution.scenario_asset_reduction_kw[bess.asset_id][0])
    assert stored.max() == pytest.approx(950.0, abs=1e-3)
    assert check_solution(problem, solution) == pytest.approx(solution.objective_fen, abs=1.0)
    # The bound is the LP that may burn energy: it earns exactly what burning pays more.
    assert solution.bound_fen >= solution.objective_fen


def test_sixty_batteries_in_clusters_each_keep_their_own_limits() -> None:
    """Above 50 batteries they are planned as clusters; every member's share replays
    within its own SoC band (initial SoC differs, so the shares' paths differ)."""
    assets = [
        replace(
            _demo_battery(f"bess-{k:02d}", initial_soc=0.3 + 0.01 * k),
        )
        for k in range(60)
    ]
    scenarios = [
        PriceScenario(0.5, _negative_midday()),
        PriceScenario(0.5, _negative_midday(-50_000) + np.where(np.arange(96) >= 72, 800_000, 0)),
    ]
    problem = BidProblem(DAY, assets, scenarios)
    solution = build_bids(problem, time_limit_seconds=60)
    value = check_solution(problem, solution)
    assert value == pytest.approx(solution.objective_fen, rel=1e-6)
    assert solution.bound_fen >= solution.objective_fen
