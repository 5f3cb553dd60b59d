"""Replay a demand-response price history day by day: bid curves vs perfect foresight vs naive.

For each market day d (in date order):

- **Scenarios** come only from days before d: the realised price rows of the last
  `lookback_days` days of the history that precede d (by date; gaps in the file are
  skipped, no day type matching), each an equiprobable scenario. Days with fewer than
  `min_history_days` such days are warm-up: used as history, not scored.
- **Bid strategy**: `build_bids` on those scenarios; its offer blocks with a price <= the
  realised price are accepted (a price-taking VPP), capped at `called_kw` when the file
  has it.
- **Naive strategy**: every asset's available up kW in every interval, offered at the
  median of the scenario days' prices (or `naive_price_fen_per_mwh`), never below the
  asset's own marginal cost (curtailment or degradation cost per MWh); accepted the same
  way. It knows nothing of event rules, energy or state-of-charge limits, rebound or
  recharging.
- **Perfect foresight**: the bid model solved with the realised prices as its single
  scenario (and the called kW as a cap): what the best possible bid would have earned
  that day, up to the model's own optimality gap.

Each strategy is settled by `bidding.backtest_settle.settle` (the model dispatches the
portfolio against the award; delivery up to the award is paid the realised price,
energy drawn back costs it, shortfall is penalised `shortfall_penalty_factor` x the
realised price). A day on which the model fails (time limit, infeasible, bad input) is
recorded with its reason and the replay goes on; its prices remain history for later days.

Capture (bid / perfect foresight) of a day is reported only where perfect foresight earns
at least `capture_min_perfect_fen`: a ratio of two small numbers says nothing. Regret is
the other strategy's net minus the bid's, per day and in total.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial

import numpy as np

from bidding.assets import BatterySpec
from bidding.backtest_settle import StrategyDay, settle
from bidding.exceptions import BiddingError, InvalidInput
from bidding.intervals import INTERVALS_PER_DAY
from bidding.lp import DEFAULT_SOLVER, DEFAULT_TIME_LIMIT_SECONDS
from bidding.offer_model import BidAsset, BidProblem
from bidding.offers import build_bids, history_scenarios
from bidding.price_history import DayNote, DayPrices

#: The portfolio of a market day (envelopes depend on the day: availability, forecast).
Portfolio = Callable[[date], list[BidAsset]]
_KW_TOLERANCE = 1e-6


class DayFailed(BiddingError):
    """The bid model failed on one day; `stage` says where, `cause` is its error."""

    def __init__(self, market_day: date, stage: str, cause: BiddingError) -> None:
        super().__init__(f"{stage}: {type(cause).__name__}: {cause}")
        self.market_day = market_day
        self.stage = stage
        self.cause = cause


@dataclass(frozen=True)
class BacktestConfig:
    """How the replay bids and settles; see the module docstring."""

    lookback_days: int = 10
    min_history_days: int = 5
    #: The naive strategy's reference price; None: the median of the scenario days' prices.
    naive_price_fen_per_mwh: int | None = None
    shortfall_penalty_factor: float = 1.0
    #: A day's capture is reported only when perfect foresight earns at least this.
    capture_min_perfect_fen: int = 10_000
    solver: str = DEFAULT_SOLVER
    time_limit_seconds: float = DEFAULT_TIME_LIMIT_SECONDS

    def validate(self) -> None:
        """Raises InvalidInput naming the field that is out of range."""
        if self.lookback_days < 1:
            raise InvalidInput("lookback_days", "must be >= 1")
        if not 1 <= self.min_history_days <= self.lookback_days:
            raise InvalidInput("min_history_days", "must be 1..lookback_days")
        if not (0 <= self.shortfall_penalty_factor < 1e6):
            raise InvalidInput("shortfall_penalty_factor", "must be >= 0")
        if self.capture_min_perfect_fen < 1:
            raise InvalidInput("capture_min_perfect_fen", "must be >= 1")
        if not self.time_limit_seconds > 0:
            raise InvalidInput("time_limit_seconds", "must be > 0")

    def solve(self) -> dict:
        return {"solver": self.solver, "time_limit_seconds": self.time_limit_seconds}


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
    naive_price_fen_per_mwh: int

    def capture_ratio(self, min_perfect_fen: int) -> float | None:
        """Bid net / perfect net; None when perfect foresight earns less than the threshold."""
        perfect = self.perfect.net_fen
        return self.bid.net_fen / perfect if perfect >= max(min_perfect_fen, 1) else None

    def regret_fen(self, strategy: str) -> int:
        """What "perfect" or "naive" earned more than the bid (negative: the bid did better)."""
        return getattr(self, strategy).net_fen - self.bid.net_fen


@dataclass(frozen=True)
class BacktestResult:
    days: list[BacktestDay]
    #: Days only used as history (too few days before them).
    warmup_days: list[date]
    #: Days the model failed on, with the reason; their prices stayed history.
    failed: list[DayNote] = field(default_factory=list)

    def total_fen(self, strategy: str) -> int:
        """Sum of net_fen over scored days of "bid", "perfect" or "naive"."""
        return sum(getattr(day, strategy).net_fen for day in self.days)

    def total_regret_fen(self, strategy: str) -> int:
        return self.total_fen(strategy) - self.total_fen("bid")

    @property
    def capture_ratio(self) -> float | None:
        """Total bid net / total perfect-foresight net; None when the latter is <= 0."""
        perfect = self.total_fen("perfect")
        return self.total_fen("bid") / perfect if perfect > 0 else None


@dataclass(frozen=True)
class Progress:
    """One day of the replay done: scored (`day`), failed (`failed`) or warm-up."""

    done: int
    total: int
    market_day: date
    day: BacktestDay | None = None
    failed: DayNote | None = None


def accepted_kw(curve: Sequence, price_fen_per_mwh: int) -> float:
    """kW accepted from one interval's offer blocks at a realised price (blocks at or below it)."""
    return float(sum(s.quantity_kw for s in curve if s.price_fen_per_mwh <= price_fen_per_mwh))


def _accepted(offered_kw: np.ndarray, day: DayPrices) -> np.ndarray:
    kw = offered_kw if day.called_kw is None else np.minimum(offered_kw, day.called_kw)
    return np.where(kw > _KW_TOLERANCE, kw, 0.0)


def marginal_cost_fen_per_mwh(asset: BidAsset) -> int:
    """What one MWh of the asset's reduction costs it: curtailment or degradation cost."""
    if isinstance(asset.spec, BatterySpec):
        return asset.spec.degradation_cost_fen_per_mwh
    return asset.spec.curtailment_cost_fen_per_mwh


def _naive_kw(
    assets: list[BidAsset], price: int, realised: np.ndarray, day: DayPrices
) -> np.ndarray:
    """The naive award: each asset's available kW where the price reaches its offer price."""
    offered = np.zeros(INTERVALS_PER_DAY)
    for asset in assets:
        offer = max(price, marginal_cost_fen_per_mwh(asset))
        offered += np.where(realised >= offer, asset.envelope.up_kw, 0.0)
    return _accepted(offered, day)


def _stage(market_day: date, stage: str, work: Callable):
    try:
        return work()
    except BiddingError as exc:
        raise DayFailed(market_day, stage, exc) from exc


def replay_day(
    day: DayPrices, history: Sequence[DayPrices], assets: list[BidAsset], config: BacktestConfig
) -> BacktestDay:
    """Bid from `history` (days before `day`, at least one), then settle all three strategies.

    Raises InvalidInput when a history day is not before `day` (a look-ahead) or there is
    none; DayFailed naming the stage (bid, settling a strategy) when the model raises.
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
    solve = config.solve()
    solution = _stage(
        day.market_day,
        "bid",
        lambda: build_bids(BidProblem(day.market_day, assets, chosen), **solve),
    )
    realised = np.asarray(day.price_fen_per_mwh, dtype=np.int64)
    up_total = np.sum([a.envelope.up_kw for a in assets], axis=0)
    offered = [
        accepted_kw(solution.curves.get(t, []), int(realised[t])) for t in range(INTERVALS_PER_DAY)
    ]
    bid_kw = _accepted(np.minimum(offered, up_total), day)
    naive_price = config.naive_price_fen_per_mwh
    if naive_price is None:
        naive_price = round(float(np.median(scenarios)))
    naive_kw = _naive_kw(assets, naive_price, realised, day)
    factor = config.shortfall_penalty_factor

    def settled(name: str, awarded, sale_cap=None) -> StrategyDay:
        return _stage(
            day.market_day,
            f"settling {name}",
            lambda: settle(day.market_day, assets, realised, awarded, factor, solve, sale_cap),
        )

    return BacktestDay(
        market_day=day.market_day,
        history_days=tuple(h.market_day for h in history),
        bid=settled("bid", bid_kw),
        perfect=settled("perfect foresight", None, day.called_kw),
        naive=settled("naive", naive_kw),
        bid_relative_gap=solution.relative_gap,
        naive_price_fen_per_mwh=naive_price,
    )


def run_backtest(
    history: Sequence[DayPrices],
    portfolio: Portfolio,
    config: BacktestConfig | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> BacktestResult:
    """Replay `history` in date order; each day sees only the days before it.

    `on_progress` is called after every day (scored, failed or warm-up). A day on which
    the portfolio or the model raises a BiddingError is recorded in `failed` with the
    stage and the reason, and the replay goes on. Raises InvalidInput for a bad config,
    duplicate days or no day with enough history.
    """
    config = config or BacktestConfig()
    config.validate()
    days = sorted(history, key=lambda d: d.market_day)
    for earlier, later in zip(days, days[1:], strict=False):
        if earlier.market_day == later.market_day:
            raise InvalidInput("history", f"{later.market_day} appears twice")
    if len(days) <= config.min_history_days:
        raise InvalidInput(
            "history",
            f"no day of {len(days)} has {config.min_history_days} days of history before it",
        )
    scored, warmup, failed = [], [], []
    for n, day in enumerate(days):
        before = days[max(0, n - config.lookback_days) : n]
        report = Progress(n + 1, len(days), day.market_day)
        if len(before) < config.min_history_days:
            warmup.append(day.market_day)
        else:
            try:
                assets = _stage(day.market_day, "portfolio", partial(portfolio, day.market_day))
                result = replay_day(day, before, assets, config)
            except DayFailed as exc:
                note = DayNote(day.market_day, str(exc))
                failed.append(note)
                report = Progress(n + 1, len(days), day.market_day, failed=note)
            else:
                scored.append(result)
                report = Progress(n + 1, len(days), day.market_day, day=result)
        if on_progress is not None:
            on_progress(report)
    return BacktestResult(scored, warmup, failed)
