"""Demand-response bid builder: a stochastic LP over price scenarios gives monotone offer curves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from bidding.column_generation import ColumnPlans, solve_by_columns
from bidding.event_windows import EventWindow
from bidding.exceptions import InvalidInput
from bidding.intervals import INTERVALS_PER_DAY, hour_of_interval
from bidding.lp import DEFAULT_SOLVER, DEFAULT_TIME_LIMIT_SECONDS
from bidding.offer_model import (
    FEN_PER_KW_INTERVAL,
    BidProblem,
    PriceScenario,
    validate_problem,
)

QUANTITY_DECIMALS = 3  # offers are rounded to 0.001 kW


@dataclass(frozen=True)
class OfferStep:
    """One incremental block: `quantity_kw` more reduction if the price reaches this price."""

    price_fen_per_mwh: int
    quantity_kw: float


@dataclass(frozen=True)
class BidSolution:
    """Offer curves per interval plus what the LP expects from them.

    `scenario_revenue_fen` is each scenario's market value of the portfolio's net
    reduction (price x energy, before curtailment, rebound and degradation costs);
    `objective_fen` is the expected value net of those costs. `asset_reduction_kw` is
    the probability-weighted (expected) plan per asset, negative where a battery
    charges; being a mix of feasible plans it respects every SoC and energy limit.
    `scenario_quantity_kw` (scenarios x 96) and `scenario_asset_reduction_kw` hold
    the per-scenario plans behind it. `scenario_windows` are each curtailable load's
    events per scenario, `windows` their union (for display); `scenario_starts` each
    shiftable load's moved run start per scenario (None: where the park has it).
    """

    curves: dict[int, list[OfferStep]]
    scenario_revenue_fen: list[int]
    expected_revenue_fen: int
    objective_fen: float
    bound_fen: float
    relative_gap: float
    solver: str
    solve_seconds: float
    asset_reduction_kw: dict[str, np.ndarray]
    scenario_quantity_kw: np.ndarray
    scenario_asset_reduction_kw: dict[str, np.ndarray]
    windows: dict[str, tuple[EventWindow, ...]]
    scenario_windows: dict[str, list[tuple[EventWindow, ...]]]
    scenario_starts: dict[str, list[int | None]] = field(default_factory=dict)


def offer_curve(prices_fen_per_mwh: np.ndarray, quantities_kw: np.ndarray) -> list[OfferStep]:
    """Incremental blocks ascending in price from one interval's (price, quantity) pairs.

    For distinct prices p1 < p2 < ... (rounded to the fen) the block at p_k is
    Q(p_k) - Q(p_k-1), with Q(p_0) = 0, where Q(p_k) is the most any scenario priced p_k
    sells (they sell the same unless the market accepts less in some of them:
    `PriceScenario.clearable_kw`). Cumulative quantities are clipped at zero (a net charge
    is not a reduction offer) and made non-decreasing, rounded to 0.001 kW; zero blocks
    are dropped, so no block is ever negative: the least monotone curve covering every
    scenario's plan.
    """
    prices = np.rint(np.asarray(prices_fen_per_mwh, dtype=float)).astype(np.int64)
    quantities = np.asarray(quantities_kw, dtype=float)
    steps: list[OfferStep] = []
    offered = 0.0
    for price in np.unique(prices):
        cumulative = round(max(float(quantities[prices == price].max()), 0.0), QUANTITY_DECIMALS)
        block = round(cumulative - offered, QUANTITY_DECIMALS)
        if block > 0:
            steps.append(OfferStep(int(price), block))
            offered = cumulative
    return steps


def build_bids(
    problem: BidProblem,
    solver: str = DEFAULT_SOLVER,
    time_limit_seconds: float = DEFAULT_TIME_LIMIT_SECONDS,
) -> BidSolution:
    """Solve the stochastic bid problem and turn its scenario plans into offer curves.

    Column generation over each load's event schedules (`bidding.column_generation`):
    every scenario's plan of every load is one event-feasible schedule (min/max event
    duration, events per day, availability, lead time, rebound), batteries track their
    state of charge and never charge and discharge at once, the portfolio stays within
    the sale cap and meets the commitments. `bound_fen` is a proven upper bound on any
    such plan's value and `relative_gap` the plan's proven distance to it.

    `solver` is HIGHS (default) or GLOP. Raises InvalidInput for a malformed problem or
    an unknown solver; InfeasibleProblem("commitment", t, ...) naming the interval when a
    commitment exceeds the portfolio's up capacity (checked before solving) or no plan
    within the rules meets it; SolverFailed when the solver stops without a solution.
    """
    validate_problem(problem)
    plans = solve_by_columns(problem, time_limit_seconds, solver=solver.strip().upper())
    return bid_solution(problem, plans)


def bid_solution(problem: BidProblem, plans: ColumnPlans) -> BidSolution:
    """Offer curves, revenues and expected plans from solved scenario plans."""
    quantity_kw, outcome = plans.quantity_kw, plans.outcome
    per_asset = plans.scenario_asset_reduction_kw
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float)
    probabilities = np.array([s.probability for s in problem.scenarios])
    revenue_fen = (prices * quantity_kw).sum(axis=1) * FEN_PER_KW_INTERVAL
    curves = {t: offer_curve(prices[:, t], quantity_kw[:, t]) for t in range(INTERVALS_PER_DAY)}
    return BidSolution(
        curves=curves,
        scenario_revenue_fen=[round(float(v)) for v in revenue_fen],
        expected_revenue_fen=round(float(probabilities @ revenue_fen)),
        objective_fen=outcome.objective,
        bound_fen=outcome.bound,
        relative_gap=outcome.relative_gap,
        solver=outcome.solver,
        solve_seconds=outcome.solve_seconds,
        asset_reduction_kw={aid: probabilities @ plan for aid, plan in per_asset.items()},
        scenario_quantity_kw=quantity_kw,
        scenario_asset_reduction_kw=per_asset,
        windows=plans.windows,
        scenario_windows=plans.scenario_windows,
        scenario_starts=plans.scenario_starts,
    )


# Demand-response prices by local hour, fen/MWh: cheap nights, a midday shoulder, evening peak.
_HOURLY_DR_PRICE_FEN_PER_MWH = (
    [150_000] * 8 + [400_000] * 3 + [600_000] * 2 + [400_000] * 4 + [1_200_000] * 4 + [400_000] * 3
)


def default_price_shape() -> np.ndarray:
    """A Chinese-style time-of-use shape of DR prices for the 96 intervals (fen/MWh)."""
    hourly = _HOURLY_DR_PRICE_FEN_PER_MWH
    return np.array([hourly[hour_of_interval(i)] for i in range(INTERVALS_PER_DAY)], dtype=float)


#: Days of price history behind history scenarios, and the fewest that make scenarios.
HISTORY_LOOKBACK_DAYS = 10
HISTORY_MIN_DAYS = 5


def history_scenarios(
    market_day: date,
    history: dict[date, np.ndarray],
    lookback_days: int = HISTORY_LOOKBACK_DAYS,
    min_days: int = HISTORY_MIN_DAYS,
    clearable: dict[date, np.ndarray] | None = None,
) -> list[PriceScenario] | None:
    """Equiprobable scenarios: the realised prices of the `lookback_days` latest days before
    `market_day` in `history` (date -> 96 prices, fen/MWh); None when fewer than
    `min_days` such days exist. Days on or after `market_day` are never used (no look-ahead).
    `clearable` (date -> 96 kW, optional) is what the market would have taken from the
    portfolio on that day (`bidding.residual.residual_day`).

    Raises InvalidInput naming the day when a day's prices are not 96 finite values.
    """
    before = sorted(d for d in history if d < market_day)[-lookback_days:]
    if len(before) < min_days:
        return None
    rows = []
    for day in before:
        prices = np.asarray(history[day], dtype=float)
        if prices.shape != (INTERVALS_PER_DAY,) or not np.all(np.isfinite(prices)):
            raise InvalidInput(f"history[{day.isoformat()}]", "must be 96 finite prices")
        rows.append(prices)
    caps = [None if clearable is None else clearable.get(day) for day in before]
    return [PriceScenario(1 / len(rows), row, cap) for row, cap in zip(rows, caps, strict=True)]


def default_scenarios(
    market_day: date,
    base_price_fen_per_mwh: np.ndarray | None = None,
    count: int = 10,
    spread: float = 0.3,
    seed: int = 0,
) -> list[PriceScenario]:
    """Equiprobable price scenarios around a daily shape, identical for the same inputs.

    Scenario k scales the shape by a level evenly spaced in [1 - spread, 1 + spread]
    and by per-interval noise (sd spread/5) drawn from a generator seeded with `seed`
    and the market day; prices are whole fen and never negative. Uses
    `default_price_shape()` when no base is given. Raises InvalidInput for count < 1,
    spread outside [0, 1), a negative seed or a base that is not 96 finite non-negative values.
    """
    if count < 1:
        raise InvalidInput("count", "must be >= 1")
    if not 0 <= spread < 1:
        raise InvalidInput("spread", "must be in [0, 1)")
    if seed < 0:
        raise InvalidInput("seed", "must be >= 0")
    if base_price_fen_per_mwh is None:
        base = default_price_shape()
    else:
        base = np.asarray(base_price_fen_per_mwh, dtype=float)
        if base.shape != (INTERVALS_PER_DAY,) or not np.all(np.isfinite(base)) or np.any(base < 0):
            raise InvalidInput("base_price_fen_per_mwh", "must be 96 finite values >= 0")
    rng = np.random.default_rng([seed, market_day.toordinal()])
    levels = np.linspace(1 - spread, 1 + spread, count) if count > 1 else np.ones(1)
    noise = rng.normal(0.0, spread / 5, size=(count, INTERVALS_PER_DAY))
    factors = np.clip(levels[:, None] + noise, 0.0, None)
    prices = np.rint(base[None, :] * factors)
    return [PriceScenario(1 / count, row) for row in prices]
