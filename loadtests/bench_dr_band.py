"""How close the DR plan's expected revenue comes to what clears, day after day.

The reference exchange's built-in participants (the grid operator's varying evening call
and five competing sellers, `services.market.participants`) clear `--days` market days
with the demo park bidding as PrepareBids does: scenarios from the 10 days before, each
replayed without the park and with all it can offer (`bidding.residual`), the answered
window and requested kW as the invitation sets them, 50 % of the battery on the DR side.
Each day's curves are then cleared against that day's other orders with the exchange's
rule, and the cleared value (awarded kW x clearing price) set against the plan's expected
revenue of the same intervals and against the plan's own band (its scenarios' lowest and
highest revenue). Delivery and baselines are not simulated: this is the market's part of
plan versus outcome (the demo's day report has the rest).

    python -m loadtests.bench_dr_band --days 60
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime, timedelta

import numpy as np

from bidding.clearing import Block, clear_interval
from bidding.intervals import MARKET_TZ
from bidding.invitations import DrInvitation, honour
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidProblem
from bidding.offers import build_bids, history_scenarios
from bidding.residual import PublishedInterval, residual_day
from bidding.storage_offers import split_portfolio
from parkvpp.v1 import market_pb2 as pb
from services.backtest_portfolios import demo_portfolio
from services.market.participants import SyntheticParticipants
from services.runtime.settings import load_settings

LOOKBACK = 10
OURS = "park"


def _book(participants: SyntheticParticipants, day: date) -> dict[int, tuple[list, list]]:
    """interval -> (other sell blocks, buy blocks) of the day's DR orders."""
    book: dict[int, tuple[list, list]] = {}
    for order in participants.orders(day, pb.PRODUCT_DEMAND_RESPONSE):
        sells, buys = book.setdefault(order.interval, ([], []))
        side = sells if order.side == pb.SIDE_SELL else buys
        side.extend(Block(order.order_id, s.price_fen_per_mwh, s.quantity_kw) for s in order.steps)
    return book


def _published(book: dict[int, tuple[list, list]]) -> list[PublishedInterval]:
    out = []
    for t, (sells, buys) in sorted(book.items()):
        cleared = clear_interval(sells, buys)
        out.append(
            PublishedInterval(
                t,
                cleared.clearing_price_fen_per_mwh,
                [(b.price_fen_per_mwh, b.quantity_kw) for b in sells],
                [(b.price_fen_per_mwh, b.quantity_kw) for b in buys],
            )
        )
    return out


def _invitation(participants: SyntheticParticipants, day: date, floor: int) -> DrInvitation:
    (event,) = participants.dr_events(day, floor)
    return DrInvitation(
        event.event_id,
        event.program,
        event.start_interval,
        event.end_interval,
        event.requested_kw,
        event.price_floor_fen_per_mwh,
        event.price_cap_fen_per_mwh,
        event.declaration_deadline.ToDatetime(tzinfo=UTC),
        event.notice_minutes,
    )


def run(days: int, first: date, time_limit_s: float) -> list[dict]:
    settings = load_settings({})
    participants = SyntheticParticipants.load("", settings.market_price_range)
    floor, _ = settings.market_price_range("DEMAND_RESPONSE")
    portfolio = demo_portfolio()
    rows = []
    for n in range(days):
        day = first + timedelta(days=n)
        dr_assets, _ = split_portfolio(portfolio(day), settings.storage_energy_share)
        offer_kw = np.sum([a.envelope.up_kw for a in dr_assets], axis=0)
        prices, clearable = {}, {}
        for k in range(1, LOOKBACK + 1):
            past = day - timedelta(days=k)
            prices[past], clearable[past] = residual_day(
                _published(_book(participants, past)), {}, offer_kw, floor
            )
        scenarios = history_scenarios(day, prices, clearable=clearable)
        problem = BidProblem(day, dr_assets, scenarios)
        eve = datetime(day.year, day.month, day.day, 9, tzinfo=MARKET_TZ) - timedelta(days=1)
        honoured = honour(problem, [_invitation(participants, day, floor)], eve)
        solution = build_bids(honoured.problem, time_limit_seconds=time_limit_s)
        offered = np.flatnonzero(honoured.problem.offered())
        weights = np.array([s.probability for s in scenarios])
        sold = np.maximum(solution.scenario_quantity_kw, 0)
        by_scenario = np.array(
            [
                float(np.sum(s.price_fen_per_mwh[offered] * q[offered])) * FEN_PER_KW_INTERVAL
                for s, q in zip(scenarios, sold, strict=True)
            ]
        )
        expected = float(weights @ by_scenario)
        cleared_value, cleared_kwh, called_price = 0.0, 0.0, []
        for t, (sells, buys) in _book(participants, day).items():
            ours = [Block(OURS, s.price_fen_per_mwh, s.quantity_kw) for s in solution.curves[t]]
            result = clear_interval([*sells, *ours], buys)
            sold = result.sold_kw.get(OURS, 0.0)
            cleared_value += sold * result.clearing_price_fen_per_mwh * FEN_PER_KW_INTERVAL
            cleared_kwh += sold * 0.25
            called_price.append(result.clearing_price_fen_per_mwh)
        rows.append(
            {
                "day": day,
                "expected_fen": expected,
                "cleared_fen": cleared_value,
                "low_fen": float(by_scenario.min()),
                "high_fen": float(by_scenario.max()),
                "cleared_kwh": cleared_kwh,
                "expected_kwh": float(
                    weights @ np.maximum(solution.scenario_quantity_kw[:, offered], 0).sum(axis=1)
                )
                * 0.25,
                "price": float(np.mean(called_price)),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--first", type=date.fromisoformat, default=date(2026, 9, 1))
    parser.add_argument("--time-limit", type=float, default=30.0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = run(args.days, args.first, args.time_limit)
    print(f"{'day':<12}{'expected CNY':>14}{'cleared CNY':>14}{'ratio':>8}{'band CNY':>22}")
    for r in rows:
        band = f"{r['low_fen'] / 100:,.0f}..{r['high_fen'] / 100:,.0f}"
        ratio = r["cleared_fen"] / r["expected_fen"]
        print(
            f"{r['day'].isoformat():<12}{r['expected_fen'] / 100:>14,.0f}"
            f"{r['cleared_fen'] / 100:>14,.0f}{ratio:>8.2f}{band:>22}"
        )
    ratio = np.array([r["cleared_fen"] / r["expected_fen"] for r in rows])
    inside = sum(r["low_fen"] <= r["cleared_fen"] <= r["high_fen"] for r in rows)
    energy = sum(r["cleared_kwh"] for r in rows) / sum(r["expected_kwh"] for r in rows)
    total = sum(r["cleared_fen"] for r in rows) / sum(r["expected_fen"] for r in rows)
    print(
        f"{len(rows)} days from {rows[0]['day']}: cleared / expected revenue median "
        f"{np.median(ratio):.3f}, 10th-90th percentile {np.percentile(ratio, 10):.3f}-"
        f"{np.percentile(ratio, 90):.3f}, total {total:.3f}; cleared / expected kWh {energy:.3f}; "
        f"{inside} of {len(rows)} days cleared within the plan's own band; "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
