"""Portfolios for `parkvpp backtest`: the demo park's flexible assets or a seeded synthetic park."""

from __future__ import annotations

from datetime import date

import numpy as np

from bidding.assets import AvailabilityWindow, BatterySpec, CurtailableLoadSpec
from bidding.backtest import Portfolio
from bidding.exceptions import InvalidInput
from bidding.flexibility import asset_envelope
from bidding.intervals import INTERVALS_PER_DAY
from bidding.offer_model import BidAsset

SYNTHETIC_MAX_ASSETS = 2000


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
