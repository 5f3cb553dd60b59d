"""`parkvpp backtest`: replay a price file against a portfolio; print a table, write CSV and PNG."""

from __future__ import annotations

import csv
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

from bidding.assets import AvailabilityWindow, BatterySpec, CurtailableLoadSpec
from bidding.backtest import BacktestConfig, BacktestDay, BacktestResult, Portfolio, run_backtest
from bidding.exceptions import BiddingError, InvalidInput
from bidding.flexibility import asset_envelope
from bidding.intervals import INTERVALS_PER_DAY
from bidding.offer_model import BidAsset
from bidding.price_history import DayPrices, parse_price_csv, sample_price_history
from services.plots import line_chart

SYNTHETIC_MAX_ASSETS = 2000
TABLE_COLUMNS = (
    "market_day",
    "bid_net_fen",
    "perfect_net_fen",
    "naive_net_fen",
    "capture_pct",
    "bid_paid_fen",
    "bid_cost_fen",
    "bid_penalty_fen",
    "bid_delivered_kwh",
    "bid_shortfall_kwh",
    "naive_shortfall_kwh",
    "bid_relative_gap",
)


def demo_portfolio() -> Portfolio:
    """The demo park's flexible assets; a load's forecast is the demo's meter shape that day."""
    from services.demo.park import ASSETS, load_kw
    from services.enrollment.convert import spec_from_proto

    flexible = [a for a in ASSETS if a.spec.WhichOneof("kind") in ("curtailable_load", "battery")]

    def assets(day: date) -> list[BidAsset]:
        out = []
        for asset in flexible:
            spec = spec_from_proto(asset.spec)
            forecast = load_kw(asset, day) if isinstance(spec, CurtailableLoadSpec) else None
            envelope = asset_envelope(asset.asset_id, spec, day, forecast)
            out.append(BidAsset(asset.asset_id, asset.enterprise_id, spec, envelope))
        return out

    return assets


def synthetic_portfolio(count: int, seed: int = 7) -> Portfolio:
    """`count` seeded assets: curtailable loads of varied size, cost and window, every
    third a battery. A load's forecast is flat at 1.2-1.8 times what it may shed, so its
    whole size is available in its window. Same count and seed, same park.

    Raises InvalidInput("portfolio") outside 1..SYNTHETIC_MAX_ASSETS.
    """
    if not 1 <= count <= SYNTHETIC_MAX_ASSETS:
        raise InvalidInput("portfolio", f"synthetic:N needs 1 <= N <= {SYNTHETIC_MAX_ASSETS}")
    rng = np.random.default_rng(seed)
    made: list[tuple[str, CurtailableLoadSpec | BatterySpec, float]] = []
    for k in range(count):
        if k % 3 == 2:
            spec: CurtailableLoadSpec | BatterySpec = BatterySpec.from_round_trip(
                energy_capacity_kwh=float(rng.uniform(200, 2000)),
                max_charge_kw=float(rng.uniform(100, 500)),
                max_discharge_kw=float(rng.uniform(100, 500)),
                round_trip_efficiency=float(rng.uniform(0.8, 0.92)),
                soc_min=0.1,
                soc_max=0.95,
                initial_soc=float(rng.uniform(0.3, 0.7)),
                degradation_cost_fen_per_mwh=int(rng.uniform(20_000, 80_000)),
            )
            made.append((f"bat-{k:04d}", spec, 0.0))
            continue
        start = int(rng.integers(28, 64))
        size_kw = float(rng.uniform(50, 800))
        spec = CurtailableLoadSpec(
            max_curtailment_kw=size_kw,
            min_event_minutes=30,
            max_event_minutes=int(rng.choice([60, 120, 240])),
            max_events_per_day=int(rng.integers(1, 3)),
            notification_lead_minutes=60,
            rebound_fraction=float(rng.uniform(0, 0.4)),
            availability=(
                AvailabilityWindow((1, 2, 3, 4, 5), start, int(rng.integers(start + 8, 97))),
            ),
            curtailment_cost_fen_per_mwh=int(rng.uniform(100_000, 900_000)),
        )
        made.append((f"load-{k:04d}", spec, size_kw * float(rng.uniform(1.2, 1.8))))

    def assets(day: date) -> list[BidAsset]:
        out = []
        for n, (asset_id, spec, draw_kw) in enumerate(made):
            forecast = np.full(INTERVALS_PER_DAY, draw_kw) if draw_kw else None
            envelope = asset_envelope(asset_id, spec, day, forecast)
            out.append(BidAsset(asset_id, f"ent-{n % 10:02d}", spec, envelope))
        return out

    return assets


def portfolio_from(text: str) -> Portfolio:
    """`demo` or `synthetic:N`; raises InvalidInput("portfolio") for anything else."""
    if text == "demo":
        return demo_portfolio()
    kind, _, count = text.partition(":")
    if kind == "synthetic" and count.isdigit():
        return synthetic_portfolio(int(count))
    raise InvalidInput("portfolio", f"must be demo or synthetic:N, got {text!r}")


def _capture(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _row(day: BacktestDay) -> dict[str, object]:
    ratio = day.capture_ratio
    return {
        "market_day": day.market_day.isoformat(),
        "bid_net_fen": day.bid.net_fen,
        "perfect_net_fen": day.perfect.net_fen,
        "naive_net_fen": day.naive.net_fen,
        "capture_pct": "" if ratio is None else round(100 * ratio, 2),
        "bid_paid_fen": day.bid.paid_fen,
        "bid_cost_fen": day.bid.cost_fen,
        "bid_penalty_fen": day.bid.penalty_fen,
        "bid_delivered_kwh": day.bid.delivered_kwh,
        "bid_shortfall_kwh": day.bid.shortfall_kwh,
        "naive_shortfall_kwh": day.naive.shortfall_kwh,
        "bid_relative_gap": round(day.bid_relative_gap, 6),
    }


def table_lines(result: BacktestResult) -> list[str]:
    """The printed table: one line per scored day, then the totals (yuan, 2 decimals)."""
    head = f"{'day':<10} {'bid yuan':>14} {'perfect yuan':>14} {'naive yuan':>14} {'capture':>8}"
    lines = [head, "-" * len(head)]
    for day in result.days:
        lines.append(
            f"{day.market_day.isoformat():<10} {day.bid.net_fen / 100:>14,.2f} "
            f"{day.perfect.net_fen / 100:>14,.2f} {day.naive.net_fen / 100:>14,.2f} "
            f"{_capture(day.capture_ratio):>8}"
        )
    lines.append("-" * len(head))
    lines.append(
        f"{'total':<10} {result.total_fen('bid') / 100:>14,.2f} "
        f"{result.total_fen('perfect') / 100:>14,.2f} {result.total_fen('naive') / 100:>14,.2f} "
        f"{_capture(result.capture_ratio):>8}"
    )
    return lines


def write_outputs(result: BacktestResult, out_dir: Path) -> tuple[Path, Path]:
    """backtest.csv (the table, fen) and backtest.png (cumulative net by day) in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    table = out_dir / "backtest.csv"
    with table.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=TABLE_COLUMNS)
        writer.writeheader()
        for day in result.days:
            writer.writerow(_row(day))
    labels = [d.market_day.isoformat() for d in result.days]
    series = {
        name: np.cumsum([getattr(d, key).net_fen / 100 for d in result.days]).tolist()
        for name, key in (
            ("perfect foresight", "perfect"),
            ("bid curves", "bid"),
            ("naive", "naive"),
        )
    }
    chart = line_chart(
        out_dir / "backtest.png", "Backtest: cumulative net revenue", labels, series, "yuan"
    )
    return table, chart


def _history(args) -> list[DayPrices]:
    if args.sample:
        return sample_price_history()
    path = Path(args.prices)
    with path.open(encoding="utf-8-sig", newline="") as lines:
        return parse_price_csv(lines, source=str(path))


def run(args) -> int:
    """Run the backtest command; 2 with a one-line message for bad input."""
    given = {
        "lookback_days": args.lookback_days,
        "min_history_days": args.min_history_days,
        "naive_price_fen_per_mwh": args.naive_price_fen_per_mwh,
        "shortfall_penalty_factor": args.penalty_factor,
        "time_limit_seconds": args.time_limit_seconds,
    }
    config = BacktestConfig(**{k: v for k, v in given.items() if v is not None})
    started = time.perf_counter()
    try:
        history = _history(args)
        portfolio = portfolio_from(args.portfolio)
        result = run_backtest(history, portfolio, config)
    except OSError as exc:
        print(f"parkvpp backtest: cannot read {args.prices}: {exc.strerror}", file=sys.stderr)
        return 2
    except BiddingError as exc:
        print(f"parkvpp backtest: {exc}", file=sys.stderr)
        return 2
    for line in table_lines(result):
        print(line)
    table, chart = write_outputs(result, Path(args.out))
    print(
        f"{len(result.days)} days scored ({len(result.warmup_days)} warm-up days used as "
        f"history only) in {time.perf_counter() - started:.1f}s; wrote {table} and {chart}"
    )
    return 0
