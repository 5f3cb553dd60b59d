"""Battery energy offers on cases solved by hand: buy low, sell high, never burn energy at once."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

import bidding.storage_offers as storage_offers
from bidding.assets import BatterySpec, CurtailableLoadSpec
from bidding.exceptions import InvalidInput
from bidding.flexibility import AssetEnvelope, battery_envelope, curtailable_envelope
from bidding.intervals import INTERVAL_HOURS
from bidding.offer_model import BidAsset, BidProblem, PriceScenario
from bidding.offers import OfferStep, build_bids, default_scenarios
from bidding.storage_offers import (
    StorageOfferSolution,
    build_storage_offers,
    default_energy_scenarios,
    split_battery,
    split_portfolio,
)

DAY = date(2025, 7, 16)
FLAT = 45_000  # fen/MWh = 450 yuan/MWh, a typical day-ahead energy price
OPEN = (10, 40)  # the two intervals in which the hand-solved batteries may move


def _battery(
    asset_id="bess-1",
    efficiency=0.9,
    initial_soc=0.5,
    degradation=0,
    open_intervals: tuple[int, ...] | None = OPEN,
) -> BidAsset:
    """200 kWh, 200 kW both ways (50 kWh per interval), optionally idle outside `open_intervals`."""
    spec = BatterySpec(
        200.0, 200.0, 200.0, efficiency, efficiency, 0.0, 1.0, initial_soc, degradation
    )
    env = battery_envelope(asset_id, spec)
    if open_intervals is not None:
        mask = np.zeros(96)
        mask[list(open_intervals)] = 1.0
        env = AssetEnvelope(
            asset_id,
            env.up_kw * mask,
            env.down_kw * mask,
            env.stored_energy_min_kwh,
            env.stored_energy_max_kwh,
            env.max_daily_up_kwh,
        )
    return BidAsset(asset_id, "ent-1", spec, env)


def _prices(overrides: dict[int, float], base: float = FLAT) -> np.ndarray:
    prices = np.full(96, float(base))
    for t, p in overrides.items():
        prices[t] = p
    return prices


def _assert_physical(solution: StorageOfferSolution, batteries: list[BidAsset]) -> None:
    """Recompute every scenario's state of charge from the plans, independently of the model."""
    for battery in batteries:
        spec = battery.spec
        assert isinstance(spec, BatterySpec)
        charge = solution.scenario_charge_kw[battery.asset_id]
        discharge = solution.scenario_discharge_kw[battery.asset_id]
        assert not np.any((charge > 0) & (discharge > 0)), "charged and discharged at once"
        assert np.all(charge <= battery.envelope.down_kw + 1e-6)
        assert np.all(discharge <= battery.envelope.up_kw + 1e-6)
        start = spec.initial_soc * spec.energy_capacity_kwh
        step = (
            charge * spec.charge_efficiency - discharge / spec.discharge_efficiency
        ) * INTERVAL_HOURS
        stored = start + np.cumsum(step, axis=1)
        assert np.all(stored >= spec.soc_min * spec.energy_capacity_kwh - 1e-6)
        assert np.all(stored <= spec.soc_max * spec.energy_capacity_kwh + 1e-6)
        assert np.all(stored[:, -1] >= start - 1e-6)


def test_buys_low_and_sells_high_in_each_scenario() -> None:
    # A (p=0.6): cheap at 10, dear at 40. B (p=0.4): dear at 10, cheaper at 40.
    scenarios = [
        PriceScenario(0.6, _prices({10: 40_000, 40: 50_000})),
        PriceScenario(0.4, _prices({10: 60_000, 40: 45_000})),
    ]
    battery = _battery()
    solution = build_storage_offers(DAY, [battery], scenarios)
    # Charging 200 kW for 15 min stores 50 x 0.9 = 45 kWh, which gives back 45 x 0.9 =
    # 40.5 kWh = 162 kW; B sells first and refills (its 200 kW charge caps it the same).
    assert solution.buy_curves[10] == [OfferStep(40_000, 200.0)]
    assert solution.sell_curves[10] == [OfferStep(60_000, 162.0)]
    assert solution.sell_curves[40] == [OfferStep(50_000, 162.0)]
    assert solution.buy_curves[40] == [OfferStep(45_000, 200.0)]
    assert all(
        not solution.sell_curves[t] and not solution.buy_curves[t]
        for t in range(96)
        if t not in OPEN
    )
    # A: 40.5 kWh x 50 fen - 50 kWh x 40 fen = 25; B: 40.5 x 60 - 50 x 45 = 180.
    assert solution.scenario_revenue_fen == [25, 180]
    assert solution.expected_revenue_fen == 87  # 0.6 x 25 + 0.4 x 180
    assert solution.objective_fen == pytest.approx(87.0)
    assert solution.bound_fen == pytest.approx(87.0)
    assert solution.relative_gap == pytest.approx(0.0)
    assert solution.solver == "HIGHS"
    np.testing.assert_allclose(solution.battery_net_discharge_kw["bess-1"][[10, 40]], [-55.2, 17.2])
    _assert_physical(solution, [battery])


@pytest.mark.parametrize(
    ("efficiency", "degradation", "trades"),
    [(1.0, 0, True), (0.9, 0, False), (1.0, 10_000, False)],
)
def test_losses_or_wear_make_a_small_spread_unprofitable(efficiency, degradation, trades) -> None:
    # Spread 400 -> 480 fen/MWh: lossless it pays 8 fen/kWh; 0.81 round trip returns
    # 388.8 < 400; wear of 10 fen/kWh eats the 8 fen margin.
    scenario = PriceScenario(1.0, _prices({10: 40_000, 40: 48_000}))
    solution = build_storage_offers(
        DAY, [_battery(efficiency=efficiency, degradation=degradation)], [scenario]
    )
    if trades:
        assert solution.buy_curves[10] == [OfferStep(40_000, 200.0)]
        assert solution.sell_curves[40] == [OfferStep(48_000, 200.0)]
        assert solution.objective_fen == pytest.approx(50 * (48 - 40))
    else:
        assert all(not c for c in solution.sell_curves.values())
        assert all(not c for c in solution.buy_curves.values())
        assert solution.objective_fen == pytest.approx(0.0)


@pytest.mark.parametrize(("p_good", "trades"), [(0.8, True), (0.5, False)])
def test_an_interval_priced_alike_in_all_scenarios_gets_one_quantity(p_good, trades) -> None:
    # Both scenarios price interval 10 at 400; only "good" pays 500 at 40, "poor" 480.
    # The charge at 10 must be the same in both: good earns 25 fen, poor loses 56.
    scenarios = [
        PriceScenario(p_good, _prices({10: 40_000, 40: 50_000})),
        PriceScenario(1 - p_good, _prices({10: 40_000, 40: 48_000})),
    ]
    solution = build_storage_offers(DAY, [_battery()], scenarios)
    np.testing.assert_allclose(*solution.scenario_net_position_kw[:, 10], atol=1e-6)
    if trades:  # 0.8 x 25 - 0.2 x 56 = 8.8 fen
        assert solution.buy_curves[10] == [OfferStep(40_000, 200.0)]
        assert solution.sell_curves[40] == [OfferStep(48_000, 162.0)]
        assert solution.scenario_revenue_fen == [25, -56]
        assert solution.objective_fen == pytest.approx(8.8)
    else:  # 0.5 x 25 - 0.5 x 56 < 0
        assert solution.buy_curves[10] == [] and solution.sell_curves[40] == []
        assert solution.objective_fen == pytest.approx(0.0)


def test_negative_price_is_earned_by_charging_never_by_burning() -> None:
    scenario = PriceScenario(1.0, _prices({10: -8_000, 40: 30_000}))
    empty, full = _battery("empty", initial_soc=0.5), _battery("full", initial_soc=1.0)
    solution = build_storage_offers(DAY, [empty, full], [scenario])
    # "empty" is paid 8 fen/kWh x 50 kWh and sells 40.5 kWh at 30 fen later. "full" has
    # no room: charging while discharging would be paid 8 fen/kWh on a net 9.5 kWh, but
    # that burns energy in the losses and is not allowed.
    assert solution.scenario_charge_kw["empty"][0, 10] == pytest.approx(200.0)
    np.testing.assert_allclose(solution.scenario_charge_kw["full"], 0.0, atol=1e-9)
    np.testing.assert_allclose(solution.scenario_discharge_kw["full"], 0.0, atol=1e-9)
    assert solution.buy_curves[10] == [OfferStep(-8_000, 200.0)]
    assert solution.sell_curves[40] == [OfferStep(30_000, 162.0)]
    assert solution.scenario_revenue_fen == [400 + 1215]
    _assert_physical(solution, [empty, full])


def _volatile_scenarios(count: int, seed: int) -> list[PriceScenario]:
    """Shandong-like prices from -80 to 1,300 yuan/MWh with a negative midday trough."""
    rng = np.random.default_rng(seed)
    shape = np.where((np.arange(96) >= 44) & (np.arange(96) < 60), -6_000.0, 40_000.0)
    shape[68:84] = 100_000.0
    rows = np.clip(shape + rng.normal(0, 15_000, size=(count, 96)), -8_000, 130_000)
    return [PriceScenario(1 / count, row) for row in np.rint(rows)]


def test_whole_day_curves_are_monotone_and_plans_physical() -> None:
    batteries = [
        _battery("bess-1", initial_soc=0.2, degradation=3_000, open_intervals=None),
        _battery("bess-2", efficiency=0.95, initial_soc=0.9, open_intervals=None),
    ]
    scenarios = _volatile_scenarios(4, seed=7)
    solution = build_storage_offers(DAY, batteries, scenarios)
    _assert_physical(solution, batteries)
    prices = np.array([s.price_fen_per_mwh for s in scenarios])
    assert any(solution.buy_curves[t] for t in range(44, 60))  # it buys into the trough
    for t in range(96):
        sell, buy = solution.sell_curves[t], solution.buy_curves[t]
        sell_prices = [x.price_fen_per_mwh for x in sell]
        buy_prices = [x.price_fen_per_mwh for x in buy]
        assert sell_prices == sorted(set(sell_prices))  # strictly ascending
        assert buy_prices == sorted(set(buy_prices), reverse=True)  # strictly descending
        assert all(step.quantity_kw > 0 for step in sell + buy)
        for s, price in enumerate(prices[:, t]):  # the curves give back each scenario's position
            sold = sum(x.quantity_kw for x in sell if x.price_fen_per_mwh <= price)
            bought = sum(x.quantity_kw for x in buy if x.price_fen_per_mwh >= price)
            assert sold - bought == pytest.approx(solution.scenario_net_position_kw[s, t], abs=2e-3)
            assert sold == 0 or bought == 0


def test_lazy_switches_reach_the_optimum_of_the_full_mip(monkeypatch) -> None:
    batteries = [_battery("bess-1", open_intervals=None, initial_soc=0.9)]
    scenarios = _volatile_scenarios(3, seed=11)
    lazy = build_storage_offers(DAY, batteries, scenarios)
    monkeypatch.setattr(storage_offers, "MAX_LAZY_ROUNDS", 0)  # every switch binary at once
    full = build_storage_offers(DAY, batteries, scenarios)
    assert lazy.objective_fen == pytest.approx(full.objective_fen, rel=1e-4)
    assert lazy.bound_fen >= lazy.objective_fen - 1e-6


def test_refuses_lp_only_solvers_and_non_batteries() -> None:
    scenario = [PriceScenario(1.0, _prices({}))]
    with pytest.raises(InvalidInput) as err:
        build_storage_offers(DAY, [_battery()], scenario, solver="GLOP")
    assert err.value.field == "solver"
    spec = CurtailableLoadSpec(100.0, 15, 60, 1, 0, 0.0, (), 0)
    load = BidAsset(
        "load-1", "ent-1", spec, curtailable_envelope("load-1", spec, DAY, [200.0] * 96)
    )
    with pytest.raises(InvalidInput) as err:
        build_storage_offers(DAY, [_battery(), load], scenario)
    assert err.value.field == "assets[1].spec"


def _demo_battery() -> BidAsset:
    """The demo park's 1 MWh battery: 250 kW both ways, SoC 0.1..0.95, starting at 0.6."""
    spec = BatterySpec.from_round_trip(
        energy_capacity_kwh=1000.0,
        max_charge_kw=250.0,
        max_discharge_kw=250.0,
        round_trip_efficiency=0.9,
        soc_min=0.1,
        soc_max=0.95,
        initial_soc=0.6,
        degradation_cost_fen_per_mwh=50_000,
    )
    return BidAsset("chem-battery", "ent-chem", spec, battery_envelope("chem-battery", spec))


def test_a_split_battery_keeps_its_limits_in_both_parts() -> None:
    battery = _demo_battery()
    dr_part, energy_part = split_battery(battery, 0.3)
    assert dr_part is not None and energy_part is not None
    for name in ("energy_capacity_kwh", "max_charge_kw", "max_discharge_kw"):
        whole = getattr(battery.spec, name)
        assert getattr(dr_part.spec, name) + getattr(energy_part.spec, name) == pytest.approx(whole)
    assert energy_part.spec.max_discharge_kw == pytest.approx(75.0)
    assert split_battery(battery, 0.0)[1] is None
    assert split_battery(battery, 1.0)[0] is None
    with pytest.raises(InvalidInput) as err:
        split_battery(battery, 1.5)
    assert err.value.field == "energy_share"


@pytest.mark.parametrize("share", [0.5, 0.8])
def test_dr_and_energy_offers_together_never_exceed_the_battery(share) -> None:
    """Any DR scenario's plan plus any energy scenario's plan, run on the one battery.

    The battery runs both parts' flows: in an interval where they oppose, it charges at
    full power for part of the interval and discharges for another (the two fractions
    must fit in the interval), so its energy is the parts' energies added up.
    """
    battery = _demo_battery()
    spec = battery.spec
    assert isinstance(spec, BatterySpec)
    dr_assets, batteries = split_portfolio([battery], share)
    dr = build_bids(BidProblem(DAY, dr_assets, default_scenarios(DAY)))
    energy = build_storage_offers(DAY, batteries, default_energy_scenarios(DAY, -8000, 130_000))
    dr_net = dr.scenario_asset_reduction_kw["chem-battery"]  # discharge - charge, per scenario
    energy_charge = energy.scenario_charge_kw["chem-battery"]
    energy_discharge = energy.scenario_discharge_kw["chem-battery"]
    assert np.abs(dr_net).max() > 1 and energy_discharge.max() > 1, "both parts trade"
    start = spec.initial_soc * spec.energy_capacity_kwh
    for dr_plan in dr_net:
        for charge_e, discharge_e in zip(energy_charge, energy_discharge, strict=True):
            charge = np.clip(-dr_plan, 0, None) + charge_e
            discharge = np.clip(dr_plan, 0, None) + discharge_e
            busy = charge / spec.max_charge_kw + discharge / spec.max_discharge_kw
            assert busy.max() <= 1 + 1e-6, "both flows fit in the interval at full power"
            step = charge * spec.charge_efficiency - discharge / spec.discharge_efficiency
            stored = start + np.cumsum(step * INTERVAL_HOURS)
            assert stored.min() >= spec.soc_min * spec.energy_capacity_kwh - 1e-6
            assert stored.max() <= spec.soc_max * spec.energy_capacity_kwh + 1e-6
    # The offered curves too: the energy offers never exceed the energy part's power.
    for t in range(96):
        assert sum(s.quantity_kw for s in energy.sell_curves[t]) <= 250 * share + 1e-3
        assert sum(s.quantity_kw for s in energy.buy_curves[t]) <= 250 * share + 1e-3


def test_default_energy_scenarios_stay_within_the_range_and_go_negative_at_midday() -> None:
    scenarios = default_energy_scenarios(DAY, -8000, 130_000)
    prices = np.array([s.price_fen_per_mwh for s in scenarios])
    assert len(scenarios) == 10 and sum(s.probability for s in scenarios) == pytest.approx(1)
    assert prices.min() >= -8000 and prices.max() <= 130_000
    assert (prices[:, 40:60] < 0).any(), "a midday solar trough below zero"
    assert prices[:, 68:84].mean() > prices[:, 0:28].mean(), "evening peak above the night"
    assert default_energy_scenarios(DAY, -8000, 130_000)[3].price_fen_per_mwh.tolist() == (
        prices[3].tolist()
    )
