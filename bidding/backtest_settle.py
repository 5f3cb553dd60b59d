"""Settle one strategy's backtest day: dispatch the portfolio against its award, then price it.

The dispatch is the bid model itself (`build_bids` on one scenario), so costs are counted
exactly as the bidder counts them. The portfolio may sell at most the award in each
interval (`BidProblem.max_sale_kw`; 0 where nothing was accepted) and dispatches its
assets as it likes to deliver it, as a VPP does after clearing; which asset the bid
planned for an interval does not bind it. The scenario prices an accepted interval at
p + factor x max(p, 0), p the realised price, so the model weighs the shortfall penalty.

Money, per interval with award A (None: perfect foresight, no award) and net reduction N:

- paid: p x min(max(N, 0), A) in accepted intervals (p x max(N, 0) up to the called kW
  for perfect foresight); reduction beyond the award is not paid;
- energy drawn back (rebound, battery charging, N < 0) costs p x -N;
- curtailment and degradation cost as the model counts them (value - objective);
- shortfall max(A - N, 0) costs factor x max(p, 0) per kWh.

net_fen = paid_fen - cost_fen - penalty_fen exactly, each rounded to the fen per day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidAsset, BidProblem, PriceScenario
from bidding.offers import build_bids


@dataclass(frozen=True)
class StrategyDay:
    """One strategy's settled day. net_fen = paid_fen - cost_fen - penalty_fen exactly.

    `paid_fen` is what the market pays for delivered reduction up to the award;
    `cost_fen` is energy drawn back (rebound, recharging) at the realised price plus the
    model's curtailment and degradation costs; `penalty_fen` prices the shortfall.
    """

    accepted_kwh: float
    delivered_kwh: float
    shortfall_kwh: float
    paid_fen: int
    cost_fen: int
    penalty_fen: int
    net_fen: int


def settle(
    market_day: date,
    assets: list[BidAsset],
    price_fen_per_mwh: np.ndarray,
    awarded_kw: np.ndarray | None,
    penalty_factor: float,
    solve: dict,
    sale_cap_kw: np.ndarray | None = None,
) -> StrategyDay:
    """Dispatch the portfolio against `awarded_kw` and price the day (module docstring).

    `awarded_kw` None is perfect foresight: every reduction is paid (up to `sale_cap_kw`,
    e.g. the called kW) and nothing is penalised. `solve` holds `build_bids`' solver
    keywords. Raises whatever `build_bids` raises.
    """
    prices = np.asarray(price_fen_per_mwh, dtype=float)
    on_call = np.zeros(INTERVALS_PER_DAY, bool) if awarded_kw is None else awarded_kw > 0
    award = np.zeros(INTERVALS_PER_DAY) if awarded_kw is None else np.asarray(awarded_kw, float)
    penalty_price = penalty_factor * np.clip(prices, 0.0, None)
    scenario = np.where(on_call, prices + penalty_price, prices)
    if awarded_kw is not None:
        sale_cap_kw = award
    problem = BidProblem(
        market_day, assets, [PriceScenario(1.0, scenario)], max_sale_kw=sale_cap_kw
    )
    solution = build_bids(problem, **solve)
    net_kw = solution.scenario_quantity_kw[0]
    fixed_cost = float(scenario @ net_kw) * FEN_PER_KW_INTERVAL - solution.objective_fen
    reduced = np.clip(net_kw, 0.0, None)
    if awarded_kw is None:
        paid_kw = reduced if sale_cap_kw is None else np.minimum(reduced, sale_cap_kw)
    else:
        paid_kw = np.where(on_call, np.minimum(reduced, award), 0.0)
    short_kw = np.where(on_call, np.clip(award - net_kw, 0.0, None), 0.0)
    drawn_kw = np.clip(-net_kw, 0.0, None)
    paid_fen = round(float(prices @ paid_kw) * FEN_PER_KW_INTERVAL)
    cost_fen = round(float(prices @ drawn_kw) * FEN_PER_KW_INTERVAL + fixed_cost)
    penalty_fen = round(float(penalty_price @ short_kw) * FEN_PER_KW_INTERVAL)
    return StrategyDay(
        accepted_kwh=_kwh(award if awarded_kw is not None else paid_kw),
        delivered_kwh=_kwh(paid_kw),
        shortfall_kwh=_kwh(short_kw),
        paid_fen=paid_fen,
        cost_fen=cost_fen,
        penalty_fen=penalty_fen,
        net_fen=paid_fen - cost_fen - penalty_fen,
    )


def _kwh(kw: np.ndarray) -> float:
    return round(float(np.sum(kw)) * INTERVAL_HOURS, 3)
