"""Replay a demand-response price history day by day: bid curves vs perfect foresight vs naive.

For each market day d (in date order):

- **Scenarios** come only from days before d: the realised price rows of the last
  `lookback_days` days of the history that precede d (by date; gaps in the file are
  skipped, no day type matching), each an equiprobable scenario. Days with fewer than
  `min_history_days` such days are warm-up: used as history, not scored.
- **Bid strategy**: `build_bids` on those scenarios; its offer blocks with a price <= the
  realised price are accepted (a price-taking VPP), capped at `called_kw` when the file
  has it.
- **Naive strategy**: every asset's full up kW in every interval, offered at one price
  (`naive_price_fen_per_mwh`); accepted the same way.
- **Perfect foresight**: the bid model solved with the realised prices as its single
  scenario (and the called kW as a cap): what the best possible bid would have earned
  that day, up to the model's own optimality gap and, with a called quantity, the pro
  rata sharing of the call among assets.

Settlement values each strategy with the bid model itself, through `build_bids` on one
scenario (the realised prices), so costs are counted exactly as the bidder counts them:
every asset's envelope is capped to its share of what was accepted in each interval (0
where nothing was; the bid's share follows its own plan for the accepted scenario, the
naive one is pro rata to up kW) and the model dispatches within those caps. The model's
objective is the market value of the net reduction at the scenario's prices minus costs
that do not depend on price (curtailment, degradation); those costs are read back as
value - objective and the day is re-priced: what is delivered in an accepted interval is
paid the realised price, rebound and battery recharging cost the realised price, and
accepted kW not delivered (energy caps, state of charge, event rules, cost above price)
is shortfall: unpaid and penalised `shortfall_penalty_factor` x the realised price. The
settlement scenario prices accepted intervals at (1 + factor) x the realised price, so
the model weighs the penalty when it dispatches. With a called quantity, perfect
foresight shares the call pro rata to up kW. Money is rounded to whole fen per day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from bidding.exceptions import BiddingError, InvalidInput
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY
from bidding.lp import DEFAULT_SOLVER, DEFAULT_TIME_LIMIT_SECONDS
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidAsset, BidProblem, PriceScenario
from bidding.offers import BidSolution, build_bids, history_scenarios
from bidding.price_history import DayPrices

#: The portfolio of a market day (envelopes depend on the day: availability, forecast).
Portfolio = Callable[[date], list[BidAsset]]
_KW_TOLERANCE = 1e-6


class DayFailed(BiddingError):
    """The bid model failed on one day of the replay; `cause` is its error."""

    def __init__(self, market_day: date, cause: BiddingError) -> None:
        super().__init__(f"{market_day}: {cause}")
        self.market_day = market_day
        self.cause = cause


@dataclass(frozen=True)
class BacktestConfig:
    """How the replay bids and settles; see the module docstring."""

    lookback_days: int = 10
    min_history_days: int = 5
    naive_price_fen_per_mwh: int = 800_000
    shortfall_penalty_factor: float = 1.0
    solver: str = DEFAULT_SOLVER
    time_limit_seconds: float = DEFAULT_TIME_LIMIT_SECONDS

    def validate(self) -> None:
        """Raises InvalidInput naming the field that is out of range."""
        if self.lookback_days < 1:
            raise InvalidInput("lookback_days", "must be >= 1")
        if not 1 <= self.min_history_days <= self.lookback_days:
            raise InvalidInput("min_history_days", "must be 1..lookback_days")
        if self.naive_price_fen_per_mwh < 0:
            raise InvalidInput("naive_price_fen_per_mwh", "must be >= 0")
        if not (0 <= self.shortfall_penalty_factor < 1e6):
            raise InvalidInput("shortfall_penalty_factor", "must be >= 0")
        if not self.time_limit_seconds > 0:
            raise InvalidInput("time_limit_seconds", "must be > 0")


@dataclass(frozen=True)
class StrategyDay:
    """One strategy's settled day. net_fen = paid_fen - cost_fen - penalty_fen exactly.

    `paid_fen` is what the market pays for delivered reduction; `cost_fen` is the
    model's cost of delivering it (curtailment, rebound, degradation, recharging).
    """

    accepted_kwh: float
    delivered_kwh: float
    shortfall_kwh: float
    paid_fen: int
    cost_fen: int
    penalty_fen: int
    net_fen: int


@dataclass(frozen=True)
class BacktestDay:
    """A scored day: the three strategies and the days its scenarios came from."""

    market_day: date
    history_days: tuple[date, ...]
    bid: StrategyDay
    perfect: StrategyDay
    naive: StrategyDay
    #: The bid solve's proven relative gap (0 when solved to optimality).
    bid_relative_gap: float

    @property
    def capture_ratio(self) -> float | None:
        """Bid net / perfect-foresight net; None when perfect foresight earns nothing."""
        return self.bid.net_fen / self.perfect.net_fen if self.perfect.net_fen > 0 else None


@dataclass(frozen=True)
class BacktestResult:
    days: list[BacktestDay]
    #: Days only used as history (too few days before them).
    warmup_days: list[date]

    def total_fen(self, strategy: str) -> int:
        """Sum of net_fen over scored days of "bid", "perfect" or "naive"."""
        return sum(getattr(day, strategy).net_fen for day in self.days)

    @property
    def capture_ratio(self) -> float | None:
        """Total bid net / total perfect-foresight net; None when the latter is <= 0."""
        perfect = self.total_fen("perfect")
        return self.total_fen("bid") / perfect if perfect > 0 else None


def accepted_kw(curve: Sequence, price_fen_per_mwh: int) -> float:
    """kW accepted from one interval's offer blocks at a realised price (blocks at or below it)."""
    return float(sum(s.quantity_kw for s in curve if s.price_fen_per_mwh <= price_fen_per_mwh))


def settle(
    market_day: date,
    assets: list[BidAsset],
    price_fen_per_mwh: np.ndarray,
    cap_kw: dict[str, np.ndarray],
    accepted: np.ndarray | None,
    config: BacktestConfig,
) -> StrategyDay:
    """Value one strategy's day with the bid model; see the module docstring.

    `cap_kw` caps each asset's up kW per interval (its share of what was accepted).
    With `accepted` None there is no award (perfect foresight): every reduction within
    the caps is paid and nothing is penalised. Raises whatever `build_bids` raises.
    """
    prices = np.asarray(price_fen_per_mwh, dtype=float)
    factor = config.shortfall_penalty_factor
    awarded = np.zeros(INTERVALS_PER_DAY) if accepted is None else np.asarray(accepted, float)
    on_call = awarded > 0
    scenario = np.where(on_call, prices * (1 + factor), prices)
    capped = [
        replace(
            a, envelope=replace(a.envelope, up_kw=np.minimum(a.envelope.up_kw, cap_kw[a.asset_id]))
        )
        for a in assets
    ]
    solution = build_bids(
        BidProblem(market_day, capped, [PriceScenario(1.0, scenario)]),
        solver=config.solver,
        time_limit_seconds=config.time_limit_seconds,
    )
    net_kw = solution.scenario_quantity_kw[0]
    fixed_cost = float(scenario @ net_kw) * FEN_PER_KW_INTERVAL - solution.objective_fen
    short_kw = np.where(on_call, np.clip(awarded - net_kw, 0.0, None), 0.0)
    reduced = np.clip(net_kw, 0.0, None)
    paid_fen = round(float(prices @ reduced) * FEN_PER_KW_INTERVAL)
    penalty_fen = round(factor * float(prices @ short_kw) * FEN_PER_KW_INTERVAL)
    net_fen = round(float(prices @ net_kw) * FEN_PER_KW_INTERVAL - fixed_cost) - penalty_fen
    return StrategyDay(
        accepted_kwh=_kwh(awarded if accepted is not None else reduced),
        delivered_kwh=_kwh(reduced),
        shortfall_kwh=_kwh(short_kw),
        paid_fen=paid_fen,
        cost_fen=paid_fen - penalty_fen - net_fen,
        penalty_fen=penalty_fen,
        net_fen=net_fen,
    )


def _kwh(kw: np.ndarray) -> float:
    return round(float(np.sum(kw)) * INTERVAL_HOURS, 3)


def _pro_rata_caps(assets: list[BidAsset], total_kw: np.ndarray) -> dict[str, np.ndarray]:
    """Each asset's up kW scaled so the portfolio's sum is at most `total_kw` per interval."""
    up_total = np.sum([a.envelope.up_kw for a in assets], axis=0)
    share = np.divide(total_kw, up_total, out=np.zeros_like(up_total), where=up_total > 0)
    return {a.asset_id: a.envelope.up_kw * np.clip(share, 0.0, 1.0) for a in assets}


def _plan_caps(
    assets: list[BidAsset],
    solution: BidSolution,
    scenarios: np.ndarray,
    realised: np.ndarray,
    accepted: np.ndarray,
) -> dict[str, np.ndarray]:
    """The accepted kW of each interval split as the bid planned it.

    The accepted point of interval t is the plan of the scenarios with the highest price
    (to the fen) at or below the realised one; each asset gets its positive part of that
    plan, scaled so the shares sum to the accepted kW (pro rata to up kW if it plans none).
    """
    caps = {a.asset_id: np.zeros(INTERVALS_PER_DAY) for a in assets}
    fallback = _pro_rata_caps(assets, accepted)
    prices = np.rint(scenarios)
    for t in np.flatnonzero(accepted > 0):
        eligible = prices[:, t] <= realised[t]
        chosen = prices[:, t] == prices[eligible, t].max() if eligible.any() else eligible
        plan = {
            a.asset_id: max(
                0.0, float(solution.scenario_asset_reduction_kw[a.asset_id][chosen, t].mean())
            )
            if chosen.any()
            else 0.0
            for a in assets
        }
        total = sum(plan.values())
        for asset_id in caps:
            caps[asset_id][t] = (
                plan[asset_id] * accepted[t] / total if total > 0 else fallback[asset_id][t]
            )
    return caps


def _accepted(offered_kw: np.ndarray, day: DayPrices) -> np.ndarray:
    kw = offered_kw if day.called_kw is None else np.minimum(offered_kw, day.called_kw)
    return np.where(kw > _KW_TOLERANCE, kw, 0.0)


def replay_day(
    day: DayPrices, history: Sequence[DayPrices], assets: list[BidAsset], config: BacktestConfig
) -> BacktestDay:
    """Bid from `history` (days before `day`, at least one), then settle all three strategies.

    Raises InvalidInput when a history day is not before `day` (a look-ahead) or there is
    none, and whatever `build_bids` raises for the portfolio.
    """
    if not history:
        raise InvalidInput("history", "needs at least one day before the market day")
    for past in history:
        if past.market_day >= day.market_day:
            raise InvalidInput("history", f"{past.market_day} is not before {day.market_day}")
    by_day = {h.market_day: np.asarray(h.price_fen_per_mwh, dtype=float) for h in history}
    chosen = history_scenarios(day.market_day, by_day, len(history), 1)
    assert chosen is not None  # every history day is before the market day
    scenarios = np.array([s.price_fen_per_mwh for s in chosen])
    solution = build_bids(
        BidProblem(day.market_day, assets, chosen),
        solver=config.solver,
        time_limit_seconds=config.time_limit_seconds,
    )
    realised = np.asarray(day.price_fen_per_mwh, dtype=np.int64)
    up_total = np.sum([a.envelope.up_kw for a in assets], axis=0)
    offered = [
        accepted_kw(solution.curves.get(t, []), int(realised[t])) for t in range(INTERVALS_PER_DAY)
    ]
    bid_kw = _accepted(np.minimum(offered, up_total), day)
    naive_kw = _accepted(np.where(realised >= config.naive_price_fen_per_mwh, up_total, 0.0), day)
    bid_caps = _plan_caps(assets, solution, scenarios, realised, bid_kw)
    perfect_caps = _pro_rata_caps(assets, up_total if day.called_kw is None else day.called_kw)
    return BacktestDay(
        market_day=day.market_day,
        history_days=tuple(h.market_day for h in history),
        bid=settle(day.market_day, assets, realised, bid_caps, bid_kw, config),
        perfect=settle(day.market_day, assets, realised, perfect_caps, None, config),
        naive=settle(
            day.market_day, assets, realised, _pro_rata_caps(assets, naive_kw), naive_kw, config
        ),
        bid_relative_gap=solution.relative_gap,
    )


def run_backtest(
    history: Sequence[DayPrices],
    portfolio: Portfolio,
    config: BacktestConfig | None = None,
    on_day: Callable[[BacktestDay], None] | None = None,
) -> BacktestResult:
    """Replay `history` in date order; each day sees only the days before it.

    `on_day` is called after each scored day (progress). Raises InvalidInput for a bad
    config, duplicate days or no day with enough history; DayFailed naming the day when
    the bid model raises on it (its `cause`: InvalidInput, InfeasibleProblem, SolverFailed).
    """
    config = config or BacktestConfig()
    config.validate()
    days = sorted(history, key=lambda d: d.market_day)
    for earlier, later in zip(days, days[1:], strict=False):
        if earlier.market_day == later.market_day:
            raise InvalidInput("history", f"{later.market_day} appears twice")
    scored, warmup = [], []
    for n, day in enumerate(days):
        before = days[max(0, n - config.lookback_days) : n]
        if len(before) < config.min_history_days:
            warmup.append(day.market_day)
            continue
        try:
            result = replay_day(day, before, portfolio(day.market_day), config)
        except BiddingError as exc:
            raise DayFailed(day.market_day, exc) from exc
        scored.append(result)
        if on_day is not None:
            on_day(result)
    if not scored:
        raise InvalidInput(
            "history",
            f"no day of {len(days)} has {config.min_history_days} days of history before it",
        )
    return BacktestResult(scored, warmup)
