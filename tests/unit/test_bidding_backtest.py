"""Backtest on days small enough to settle by hand: what each strategy earns, and no look-ahead."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest

import bidding.backtest
from bidding.assets import BatterySpec, CurtailableLoadSpec
from bidding.backtest import BacktestConfig, replay_day, run_backtest
from bidding.backtest_settle import settle
from bidding.exceptions import InvalidInput, SolverFailed
from bidding.flexibility import battery_envelope, curtailable_envelope
from bidding.offer_model import BidAsset
from bidding.offers import build_bids
from bidding.price_history import DayPrices, sample_price_history

FIRST = date(2025, 7, 14)  # a Monday
LOW, PEAK, COST = 100_000, 1_000_000, 500_000  # fen/MWh
PEAK_INTERVALS = range(72, 76)  # 18:00-19:00


def _load(day: date, asset_id: str = "load-1", kw: float = 100.0, cost: int = COST) -> BidAsset:
    """100 kW always available, one event of up to an hour a day, cost 500 fen/kWh."""
    spec = CurtailableLoadSpec(kw, 15, 60, 1, 0, 0.0, (), cost)
    return BidAsset(
        asset_id, "ent-1", spec, curtailable_envelope(asset_id, spec, day, [200.0] * 96)
    )


def _one_load(day: date) -> list[BidAsset]:
    return [_load(day)]


def _mixed(day: date) -> list[BidAsset]:
    battery = BatterySpec.from_round_trip(
        energy_capacity_kwh=400.0,
        max_charge_kw=100.0,
        max_discharge_kw=100.0,
        round_trip_efficiency=0.9,
        soc_min=0.1,
        soc_max=0.95,
        initial_soc=0.5,
        degradation_cost_fen_per_mwh=50_000,
    )
    return [
        _load(day, "load-1"),
        _load(day, "load-2", 60.0),
        BidAsset("bat-1", "ent-2", battery, battery_envelope("bat-1", battery)),
    ]


def _day(n: int, peak: bool, called_kw: float | None = None) -> DayPrices:
    prices = np.full(96, LOW, dtype=np.int64)
    if peak:
        prices[list(PEAK_INTERVALS)] = PEAK
    called = None if called_kw is None else np.full(96, called_kw)
    return DayPrices(FIRST + timedelta(days=n), prices, called)


HAND_CONFIG = BacktestConfig(lookback_days=3, min_history_days=3, naive_price_fen_per_mwh=900_000)


def test_bid_strategy_captures_a_peak_its_history_saw() -> None:
    # Two of three history days peaked: the curve offers the 100 kW at 1,000 fen/kWh
    # in 72..75 and the realised peak accepts it: 100 kWh at 1,000 - 500 fen/kWh.
    history = [_day(0, True), _day(1, True), _day(2, False), _day(3, True)]
    result = run_backtest(history, _one_load, HAND_CONFIG)
    assert result.warmup_days == [FIRST, FIRST + timedelta(1), FIRST + timedelta(2)]
    (day,) = result.days
    assert day.history_days == (FIRST, FIRST + timedelta(1), FIRST + timedelta(2))
    assert (day.bid.accepted_kwh, day.bid.delivered_kwh, day.bid.shortfall_kwh) == (100, 100, 0)
    assert (day.bid.paid_fen, day.bid.cost_fen, day.bid.net_fen) == (100_000, 50_000, 50_000)
    assert day.perfect.net_fen == 50_000
    assert day.capture_ratio(HAND_CONFIG.capture_min_perfect_fen) == 1.0
    assert result.capture_ratio == 1.0
    assert day.regret_fen("perfect") == 0 and result.total_regret_fen("perfect") == 0


def test_naive_offers_everything_at_the_median_of_its_history_above_its_cost() -> None:
    history = [_day(0, True), _day(1, True), _day(2, False), _day(3, True)]
    median = replace(HAND_CONFIG, naive_price_fen_per_mwh=None)
    # A load costing 50 fen/kWh: the scenario days' median price is LOW (92 of 96
    # intervals), so its 100 kW is offered at 100 fen/kWh and accepted in all 96 intervals
    # (2,400 kWh); one hour-long event a day delivers the peak's 100 kWh (paid 100,000,
    # cost 5,000 fen); the other 2,300 kWh are short at 100 fen/kWh x factor 1: 230,000.
    cheap = [_load(FIRST + timedelta(3), cost=50_000)]
    (day,) = run_backtest(history, lambda d: cheap, median).days
    naive = day.naive
    assert day.naive_price_fen_per_mwh == LOW
    assert (naive.accepted_kwh, naive.delivered_kwh, naive.shortfall_kwh) == (2400, 100, 2300)
    assert (naive.paid_fen, naive.cost_fen, naive.penalty_fen) == (100_000, 5_000, 230_000)
    assert naive.net_fen == -135_000
    assert day.regret_fen("naive") == -135_000 - day.bid.net_fen
    # The 500 fen/kWh load is never offered below its cost: accepted only at the peak.
    (day,) = run_backtest(history, _one_load, median).days
    assert (day.naive.accepted_kwh, day.naive.shortfall_kwh, day.naive.net_fen) == (100, 0, 50_000)


def test_called_quantity_caps_what_is_accepted() -> None:
    history = [_day(0, True), _day(1, True), _day(2, False), _day(3, True, called_kw=40.0)]
    (day,) = run_backtest(history, _one_load, HAND_CONFIG).days
    # 40 kW x 1 h at 500 fen/kWh net, for every strategy (perfect foresight also capped).
    assert day.bid.accepted_kwh == day.naive.accepted_kwh == 40
    assert day.bid.net_fen == day.perfect.net_fen == day.naive.net_fen == 20_000


def test_a_peak_the_history_never_saw_is_missed() -> None:
    # No history day peaked, so no scenario pays above the 500 fen/kWh cost: the curve
    # offers nothing, the bid earns 0 while perfect foresight earns 50,000 fen.
    history = [_day(0, False), _day(1, False), _day(2, False), _day(3, True)]
    (day,) = run_backtest(history, _one_load, HAND_CONFIG).days
    assert day.bid.net_fen == 0 and day.bid.accepted_kwh == 0
    assert day.perfect.net_fen == 50_000
    assert day.capture_ratio(50_000) == 0.0
    assert day.capture_ratio(50_001) is None  # perfect foresight below the threshold
    assert day.regret_fen("perfect") == 50_000


@pytest.fixture(scope="module")
def sample_run():
    config = BacktestConfig(lookback_days=5, min_history_days=3, naive_price_fen_per_mwh=600_000)
    history = sample_price_history(days=8)
    return history, config, run_backtest(history, _mixed, config)


def test_perfect_foresight_bounds_every_strategy_every_day(sample_run) -> None:
    _, _, result = sample_run
    assert len(result.days) == 5
    for day in result.days:
        assert day.perfect.net_fen >= 0
        assert day.perfect.net_fen >= day.bid.net_fen - 1  # rounding to the fen
        assert day.perfect.net_fen >= day.naive.net_fen - 1
        for strategy in (day.bid, day.perfect, day.naive):
            assert strategy.paid_fen - strategy.cost_fen - strategy.penalty_fen == strategy.net_fen
            assert strategy.shortfall_kwh <= strategy.accepted_kwh + 1e-6
    assert result.total_fen("perfect") == sum(d.perfect.net_fen for d in result.days)


def test_a_later_days_prices_never_change_an_earlier_result(sample_run) -> None:
    history, config, result = sample_run
    changed = list(history)
    wild = np.full(96, 5_000_000, dtype=np.int64)
    changed[-1] = DayPrices(history[-1].market_day, wild)
    again = run_backtest(changed, _mixed, config)
    assert again.days[:-1] == result.days[:-1]
    assert again.days[-1] != result.days[-1]


def test_history_must_lie_before_the_day() -> None:
    days = [_day(0, True), _day(1, True)]
    with pytest.raises(InvalidInput, match="history"):
        replay_day(days[0], [days[1]], _one_load(days[0].market_day), HAND_CONFIG)
    with pytest.raises(InvalidInput, match="history"):
        run_backtest(days, _one_load, HAND_CONFIG)  # no day has 3 days before it
    with pytest.raises(InvalidInput, match="min_history_days"):
        run_backtest(days, _one_load, replace(HAND_CONFIG, min_history_days=4))


def test_a_failed_day_is_recorded_and_the_replay_goes_on(monkeypatch) -> None:
    history = [_day(n, n % 2 == 0) for n in range(6)]
    unlucky = history[4].market_day

    def times_out_on_one_day(problem, **solve):
        if problem.market_day == unlucky and len(problem.scenarios) > 1:
            raise SolverFailed("HIGHS", "NOT_SOLVED")
        return build_bids(problem, **solve)

    monkeypatch.setattr(bidding.backtest, "build_bids", times_out_on_one_day)
    seen = []
    result = run_backtest(history, _one_load, HAND_CONFIG, on_progress=seen.append)
    assert [d.market_day for d in result.days] == [history[3].market_day, history[5].market_day]
    assert [(n.market_day, n.note) for n in result.failed] == [
        (unlucky, "bid: SolverFailed: solver HIGHS returned no usable solution (status NOT_SOLVED)")
    ]
    assert [(p.done, p.total) for p in seen] == [(n, 6) for n in range(1, 7)]
    assert [p.failed is not None for p in seen] == [False] * 4 + [True, False]


def test_a_day_the_portfolio_or_settlement_refuses_is_named() -> None:
    history = [_day(0, True), _day(1, True), _day(2, False), _day(3, True)]
    result = run_backtest(history, lambda day: [], HAND_CONFIG)
    assert result.days == []
    (failed,) = result.failed
    assert failed.market_day == FIRST + timedelta(3)
    assert failed.note == "bid: InvalidInput: assets: must not be empty"


def test_the_portfolio_delivers_its_award_with_its_cheapest_assets() -> None:
    # 70 kW awarded over the peak hour; load-2 sheds at 300 fen/kWh, load-1 at 500: the
    # VPP dispatches load-2 whatever the bid planned: 70 kWh paid 1,000, cost 300 fen/kWh.
    assets = [_load(FIRST, "load-1"), _load(FIRST, "load-2", cost=300_000)]
    prices = np.full(96, LOW, dtype=np.int64)
    prices[list(PEAK_INTERVALS)] = PEAK
    award = np.where(prices == PEAK, 70.0, 0.0)
    solve = {"solver": "HIGHS", "time_limit_seconds": 10}
    day = settle(FIRST, assets, prices, award, 1.0, solve)
    assert (day.accepted_kwh, day.delivered_kwh, day.shortfall_kwh) == (70, 70, 0)
    assert (day.paid_fen, day.cost_fen, day.penalty_fen, day.net_fen) == (70_000, 21_000, 0, 49_000)


def test_reduction_beyond_the_award_is_not_paid() -> None:
    prices = np.full(96, LOW, dtype=np.int64)
    prices[list(PEAK_INTERVALS)] = PEAK
    award = np.zeros(96)
    award[list(PEAK_INTERVALS)] = 40.0
    solve = {"solver": "HIGHS", "time_limit_seconds": 10}
    day = settle(FIRST, [_load(FIRST)], prices, award, 1.0, solve)
    assert (day.accepted_kwh, day.delivered_kwh, day.shortfall_kwh) == (40, 40, 0)
    assert day.paid_fen == 40_000  # 40 kWh at 1,000 fen/kWh, whatever more was shed
    assert day.paid_fen - day.cost_fen - day.penalty_fen == day.net_fen
