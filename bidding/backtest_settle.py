"""Settle one strategy's backtest day: dispatch the portfolio against its award, then price it.

The dispatch is the bid model itself (`build_bids` on one scenario), so costs are counted
exactly as the bidder counts them. Each asset's up kW is capped per interval (its share
of the award; 0 where nothing was accepted) and the portfolio's sale is capped at the
award (`BidProblem.max_sale_kw`). The scenario prices an accepted interval at
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

from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidAsset, BidProblem, PriceScenario
from bidding.offers import BidSolution, build_bids


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
    cap_kw: dict[str, np.ndarray],
    awarded_kw: np.ndarray | None,
    penalty_factor: float,
    solve: dict,
    sale_cap_kw: np.ndarray | None = None,
) -> StrategyDay:
    """Dispatch within `cap_kw` against `awarded_kw` and price the day (module docstring).

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
    capped = [
        replace(
            a, envelope=replace(a.envelope, up_kw=np.minimum(a.envelope.up_kw, cap_kw[a.asset_id]))
        )
        for a in assets
    ]
    problem = BidProblem(
        market_day, capped, [PriceScenario(1.0, scenario)], max_sale_kw=sale_cap_kw
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


def pro_rata_caps(assets: list[BidAsset], total_kw: np.ndarray) -> dict[str, np.ndarray]:
    """Each asset's up kW scaled so the portfolio's sum is at most `total_kw` per interval."""
    up_total = np.sum([a.envelope.up_kw for a in assets], axis=0)
    share = np.divide(total_kw, up_total, out=np.zeros_like(up_total), where=up_total > 0)
    return {a.asset_id: a.envelope.up_kw * np.clip(share, 0.0, 1.0) for a in assets}


def plan_caps(
    assets: list[BidAsset],
    solution: BidSolution,
    scenarios: np.ndarray,
    realised: np.ndarray,
    accepted: np.ndarray,
) -> dict[str, np.ndarray]:
    """The accepted kW of each interval shared among assets as the bid planned it.

    The accepted point of interval t is the plan of the scenarios with the highest price
    (to the fen) at or below the realised one. Its reducing assets get their planned kW,
    scaled so that, less the energy the plan draws back in t (another asset's rebound or
    charging), the portfolio delivers the accepted kW: scale 1 when the whole offer was
    accepted. Pro rata to up kW where the plan reduces nothing.
    """
    caps = {a.asset_id: np.zeros(INTERVALS_PER_DAY) for a in assets}
    fallback = pro_rata_caps(assets, accepted)
    prices = np.rint(scenarios)
    for t in np.flatnonzero(accepted > 0):
        eligible = prices[:, t] <= realised[t]
        if not eligible.any():
            continue
        chosen = prices[:, t] == prices[eligible, t].max()
        plan = {
            a.asset_id: float(solution.scenario_asset_reduction_kw[a.asset_id][chosen, t].mean())
            for a in assets
        }
        reducing = sum(kw for kw in plan.values() if kw > 0)
        drawn = -sum(kw for kw in plan.values() if kw < 0)
        for asset_id in caps:
            caps[asset_id][t] = (
                max(plan[asset_id], 0.0) * (accepted[t] + drawn) / reducing
                if reducing > 0
                else fallback[asset_id][t]
            )
    return caps
