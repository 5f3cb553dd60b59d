"""Battery plans of the bid model replay within every limit at any price, negative ones too."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bidding.assets import BatterySpec, CurtailableLoadSpec
from bidding.cluster_blocks import relaxed_block, restricted_block, weights, window_block
from bidding.cluster_lp import ClusterLpResult, solve_blocks
from bidding.clusters import Cluster
from bidding.event_windows import EventWindow
from bidding.exceptions import InvalidInput
from bidding.flexibility import battery_envelope, curtailable_envelope
from bidding.offer_model import BidAsset, BidProblem, PriceScenario
from tests.unit.plan_checks import HOURS, battery_violations

DAY = date(2025, 7, 16)
SECONDS = 5.0


def _battery(aid: str, **spec) -> BidAsset:
    battery = BatterySpec(**spec)
    return BidAsset(aid, "ent-1", battery, battery_envelope(aid, battery))


def _demo_battery(aid: str = "chem-battery") -> BidAsset:
    """The demo park's chem-battery: 1,000 kWh, 250 kW, 90 % round trip, SoC 10-95 %."""
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
    return BidAsset(aid, "ent-chem", spec, battery_envelope(aid, spec))


def _negative_midday(fen_per_mwh: float = -500_000) -> np.ndarray:
    prices = np.full(96, 100_000.0)
    prices[40:64] = fen_per_mwh  # 10:00-16:00
    return prices


def _stored_kwh(spec: BatterySpec, plan: np.ndarray) -> np.ndarray:
    discharge, charge = np.maximum(plan, 0.0), np.maximum(-plan, 0.0)
    flow = charge * spec.charge_efficiency - discharge / spec.discharge_efficiency
    return spec.initial_soc * spec.energy_capacity_kwh + np.cumsum(flow * HOURS)


def _member_plans(
    problem: BidProblem, clusters: list[Cluster], result: ClusterLpResult
) -> dict[str, np.ndarray]:
    """Each battery's scenario plans (scenarios x 96): its share of its cluster's plan."""
    plans = {}
    for cluster, net in zip(clusters, result.block_net_kw, strict=True):
        if cluster.kind != "battery":
            continue
        share = weights(problem.assets, cluster) / weights(problem.assets, cluster).sum()
        for index, part in zip(cluster.members, share, strict=True):
            plans[problem.assets[index].asset_id] = part * net
    return plans


def _violations(problem: BidProblem, clusters: list[Cluster], result: ClusterLpResult) -> list:
    by_id = {asset.asset_id: asset for asset in problem.assets}
    return [
        (asset_id, s, found)
        for asset_id, plans in _member_plans(problem, clusters, result).items()
        for s, plan in enumerate(plans)
        if (found := battery_violations(by_id[asset_id].spec, by_id[asset_id].envelope, plan))
    ]


def _overfilled(problem, clusters, result) -> list[tuple[str, int]]:
    """(battery, scenario) of each plan whose only fault is a broken SoC ceiling."""
    return [
        (asset_id, s)
        for asset_id, s, found in _violations(problem, clusters, result)
        if len(found) == 1 and "above its ceiling" in found[0]
    ]


def test_demo_battery_holds_its_ceiling_on_a_negative_midday() -> None:
    # Paid 500 fen/kWh to consume from 10:00 to 16:00. Once full, a plan that charges
    # 250 kW and discharges 225 kW in one interval keeps its SoC in the LP's books and
    # earns 6.25 kWh x 500 fen - 56.25 kWh x 50 fen wear = 312.5 fen per interval. The
    # battery is told the net, 25 kW of charge, which converts once and overfills it.
    bess = _demo_battery()
    problem = BidProblem(DAY, [bess], [PriceScenario(1.0, _negative_midday())])
    clusters = [Cluster("battery", (0,))]
    blocks = [restricted_block(problem.assets, clusters[0])]

    mixed = solve_blocks(problem, blocks, "HIGHS", SECONDS)  # the LP, as before the fix
    assert _overfilled(problem, clusters, mixed) == [("chem-battery", 0)]
    assert _stored_kwh(bess.spec, mixed.block_net_kw[0][0]).max() > 1_000.0  # 1,007.3 kWh

    held = solve_blocks(problem, blocks, "HIGHS", SECONDS, exclusive_batteries=True)
    assert _violations(problem, clusters, held) == []
    stored = _stored_kwh(bess.spec, held.block_net_kw[0][0])
    assert stored.max() == pytest.approx(950.0, abs=1e-3)  # filled to its ceiling, no further
    assert stored[-1] >= 600.0 - 1e-3  # ends no emptier than it started
    # Burning energy was worth 1,562.5 fen to the LP; the real plan earns that much less.
    assert held.outcome.objective == pytest.approx(mixed.outcome.objective - 1_562.5, abs=1.0)
    assert held.outcome.optimal and held.outcome.bound == held.outcome.objective


def test_shares_of_a_cluster_plan_hold_each_members_limits() -> None:
    # Unlike members: the restricted block follows a worst- and a best-efficiency path;
    # each member's net plan stays between them only if the block never mixes.
    assets = [
        _battery("lossy", **_spec(400.0, 0.85, 0.88, 0.05, 0.9, 0.5, 20_000)),
        _battery("tight", **_spec(1_000.0, 0.97, 0.96, 0.2, 0.95, 0.5, 40_000)),
    ]
    prices = [_negative_midday(-800_000), _negative_midday(-300_000) * 1.2]
    problem = BidProblem(DAY, assets, [PriceScenario(0.5, p) for p in prices])
    clusters = [Cluster("battery", (0, 1))]
    blocks = [restricted_block(assets, clusters[0])]
    mixed = solve_blocks(problem, blocks, "HIGHS", SECONDS)
    assert _overfilled(problem, clusters, mixed) == [("tight", 0)]  # 993.4 kWh of 950
    held = solve_blocks(problem, blocks, "HIGHS", SECONDS, exclusive_batteries=True)
    assert _violations(problem, clusters, held) == []
    plans = _member_plans(problem, clusters, held)
    assert np.abs(plans["tight"]).max() > 1.0  # the cluster does trade


def _spec(capacity, eta_c, eta_d, soc_min, soc_max, soc, wear) -> dict:
    return dict(
        energy_capacity_kwh=capacity,
        max_charge_kw=capacity / 2,
        max_discharge_kw=capacity / 2,
        charge_efficiency=eta_c,
        discharge_efficiency=eta_d,
        soc_min=soc_min,
        soc_max=soc_max,
        initial_soc=soc,
        degradation_cost_fen_per_mwh=wear,
    )


def test_relaxed_clusters_stay_relaxed() -> None:
    # A relaxed block is a bound: one member may charge while another discharges, so
    # switches would cut off real plans. Two like batteries (one efficiency pair) on the
    # burning midday: the relaxation keeps its LP, and stays above the real plan.
    assets = [_demo_battery(), _demo_battery("twin")]
    problem = BidProblem(DAY, assets, [PriceScenario(1.0, _negative_midday())])
    cluster = Cluster("battery", (0, 1))
    relaxed = [relaxed_block(assets, cluster)]
    plain = solve_blocks(problem, relaxed, "HIGHS", SECONDS)
    held = solve_blocks(problem, relaxed, "HIGHS", SECONDS, exclusive_batteries=True)
    assert held.outcome.objective == pytest.approx(plain.outcome.objective)
    real = solve_blocks(
        problem, [restricted_block(assets, cluster)], "HIGHS", SECONDS, exclusive_batteries=True
    )
    assert real.outcome.objective < held.outcome.objective - 3_000.0  # >= 2 x 1,562.5 fen burnt


def test_exclusive_batteries_need_a_solver_that_branches() -> None:
    problem = BidProblem(DAY, [_demo_battery()], [PriceScenario(1.0, _negative_midday())])
    blocks = [restricted_block(problem.assets, Cluster("battery", (0,)))]
    with pytest.raises(InvalidInput) as caught:
        solve_blocks(problem, blocks, "GLOP", SECONDS, exclusive_batteries=True)
    assert caught.value.field == "solver"
    assert solve_blocks(problem, blocks, "GLOP", SECONDS).outcome.optimal  # the LP still runs


# Hourly prices from deep negative to a high peak, fen/MWh.
hourly_prices = st.lists(st.integers(-1_000_000, 1_500_000), min_size=24, max_size=24)


@st.composite
def battery_portfolios(draw):
    """1-3 batteries, alone or as one cluster, maybe a load, 1-2 price scenarios."""
    count = draw(st.integers(1, 3))
    together = count > 1 and draw(st.booleans())
    shared_soc = draw(st.floats(0.3, 0.7))
    assets = []
    for k in range(count):
        capacity = draw(st.floats(100.0, 2_000.0))
        soc_min, soc_max = draw(st.floats(0.0, 0.3)), draw(st.floats(0.7, 1.0))
        spec = BatterySpec(
            energy_capacity_kwh=capacity,
            max_charge_kw=capacity * draw(st.floats(0.25, 1.0)),
            max_discharge_kw=capacity * draw(st.floats(0.25, 1.0)),
            charge_efficiency=draw(st.floats(0.8, 1.0)),
            discharge_efficiency=draw(st.floats(0.8, 1.0)),
            soc_min=soc_min,
            soc_max=soc_max,
            initial_soc=shared_soc if together else draw(st.floats(soc_min, soc_max)),
            degradation_cost_fen_per_mwh=draw(st.integers(0, 100_000)),
        )
        assets.append(BidAsset(f"bess-{k}", "ent-1", spec, battery_envelope(f"bess-{k}", spec)))
    if together:
        clusters = [Cluster("battery", tuple(range(count)))]
    else:
        clusters = [Cluster("battery", (k,)) for k in range(count)]
    blocks = [restricted_block(assets, cluster) for cluster in clusters]
    if draw(st.booleans()):
        load = CurtailableLoadSpec(300.0, 15, 120, 1, 0, draw(st.floats(0.0, 0.5)), (), 200_000)
        window = EventWindow(draw(st.integers(0, 80)), 8)
        envelope = curtailable_envelope("load", load, DAY, [400.0] * 96)
        assets.append(BidAsset("load", "ent-1", load, envelope))
        clusters.append(Cluster("load", (len(assets) - 1,)))
        blocks.append(window_block([assets[-1]], (window,)))
    days = draw(st.lists(hourly_prices, min_size=1, max_size=2))
    scenarios = [PriceScenario(1 / len(days), np.repeat(day, 4).astype(float)) for day in days]
    return BidProblem(DAY, assets, scenarios), clusters, blocks


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(battery_portfolios())
def test_every_scenario_plan_of_every_battery_holds_its_limits(portfolio) -> None:
    problem, clusters, blocks = portfolio
    held = solve_blocks(problem, blocks, "HIGHS", SECONDS, exclusive_batteries=True)
    assert _violations(problem, clusters, held) == []
    np.testing.assert_allclose(sum(held.block_net_kw), held.quantity_kw, atol=1e-4)
    relaxation = solve_blocks(problem, blocks, "HIGHS", SECONDS)  # may mix: a bound
    assert held.outcome.objective <= relaxation.outcome.objective + 1e-6 * max(
        1.0, abs(relaxation.outcome.objective)
    )
