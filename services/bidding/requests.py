"""Checks of a PrepareBids request, each refusal naming its field, done before any solving."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from bidding.green_inputs import GreenTarget
from bidding.intervals import INTERVALS_PER_DAY
from bidding.offer_model import PriceScenario
from parkvpp.v1 import bidding_pb2 as pb
from services.enrollment.registry import Registry
from services.runtime.errors import InvalidArgument, NotFound
from services.runtime.rpc import from_ts, require_id

MAX_SCENARIOS = 100
#: 10 million CNY per MWh: far above any price cap, small enough for exact LP arithmetic.
MAX_PRICE = 1_000_000_000
MAX_GREEN_TARGETS = 1000


def price_scenarios(
    scenarios: Sequence[pb.PriceScenario], field: str, lowest_price: int
) -> list[PriceScenario]:
    """Scenarios of 96 prices in lowest_price..MAX_PRICE whose probabilities sum to 1.

    An empty list stays empty (the caller picks its default scenarios).
    """
    if not scenarios:
        return []
    if len(scenarios) > MAX_SCENARIOS:
        raise InvalidArgument(field, f"at most {MAX_SCENARIOS} scenarios")
    out = []
    for n, scenario in enumerate(scenarios):
        where = f"{field}[{n}]"
        if not math.isfinite(scenario.probability) or not 0 < scenario.probability <= 1:
            raise InvalidArgument(f"{where}.probability", "must be in (0, 1]")
        prices = scenario.price_fen_per_mwh
        if len(prices) != INTERVALS_PER_DAY:
            raise InvalidArgument(f"{where}.price_fen_per_mwh", "must have 96 prices")
        if min(prices) < lowest_price or max(prices) > MAX_PRICE:
            raise InvalidArgument(
                f"{where}.price_fen_per_mwh", f"must be {lowest_price}..{MAX_PRICE}"
            )
        out.append(PriceScenario(scenario.probability, np.array(prices, dtype=float)))
    if abs(sum(s.probability for s in out) - 1) > 1e-6:
        raise InvalidArgument(field, "probabilities must sum to 1")
    return out


def commitments(request: pb.PrepareBidsRequest) -> dict[int, float]:
    """Committed kW per interval (several commitments of one interval add up)."""
    out: dict[int, float] = {}
    for n, c in enumerate(request.commitments):
        if not 0 <= c.interval < INTERVALS_PER_DAY:
            raise InvalidArgument(f"commitments[{n}].interval", "must be 0..95")
        if not math.isfinite(c.min_reduction_kw) or not 0 <= c.min_reduction_kw <= 1e9:
            raise InvalidArgument(f"commitments[{n}].min_reduction_kw", "must be 0..1e9 kW")
        out[c.interval] = out.get(c.interval, 0.0) + c.min_reduction_kw
    return out


def _price(value: int, field: str, default: int) -> int:
    if not 0 <= value <= MAX_PRICE:
        raise InvalidArgument(field, f"must be 0..{MAX_PRICE} fen/MWh")
    return value or default


def green_prices(
    request: pb.PrepareBidsRequest, bundled_default: int, certificate_default: int
) -> tuple[int, int]:
    """(bundled, certificate) price forecasts in fen/MWh; 0 in the request means the default."""
    return (
        _price(
            request.green_bundled_price_fen_per_mwh,
            "green_bundled_price_fen_per_mwh",
            bundled_default,
        ),
        _price(
            request.certificate_price_fen_per_mwh,
            "certificate_price_fen_per_mwh",
            certificate_default,
        ),
    )


def green_targets(request: pb.PrepareBidsRequest, registry: Registry) -> list[GreenTarget]:
    """The targets as domain objects: share in [0, 1], a registered enterprise once each,
    price limits 0..MAX_PRICE."""
    if len(request.green_targets) > MAX_GREEN_TARGETS:
        raise InvalidArgument("green_targets", f"at most {MAX_GREEN_TARGETS} targets")
    out: list[GreenTarget] = []
    seen: set[str] = set()
    for n, t in enumerate(request.green_targets):
        where = f"green_targets[{n}]"
        require_id(f"{where}.enterprise_id", t.enterprise_id)
        if t.enterprise_id in seen:
            raise InvalidArgument(f"{where}.enterprise_id", "has a target already")
        try:
            registry.get_enterprise(t.enterprise_id)
        except NotFound:
            raise InvalidArgument(
                f"{where}.enterprise_id", "is not a registered enterprise"
            ) from None
        seen.add(t.enterprise_id)
        if not math.isfinite(t.share) or not 0 <= t.share <= 1:
            raise InvalidArgument(f"{where}.share", "must be in [0, 1]")
        for name in ("bundled_price_limit_fen_per_mwh", "certificate_price_limit_fen_per_mwh"):
            if not 0 <= getattr(t, name) <= MAX_PRICE:
                raise InvalidArgument(f"{where}.{name}", f"must be 0..{MAX_PRICE} fen/MWh")
        out.append(
            GreenTarget(
                t.enterprise_id,
                t.share,
                t.hourly_matched,
                t.bundled_price_limit_fen_per_mwh,
                t.certificate_price_limit_fen_per_mwh,
            )
        )
    return out


def decided_at(request: pb.PrepareBidsRequest) -> datetime:
    """The moment the plan is decided: the request's `decided_at`, else now (aware UTC).

    Raises InvalidArgument naming decided_at when it is not a valid timestamp.
    """
    if not request.HasField("decided_at"):
        return datetime.now(UTC)
    return from_ts("decided_at", request.decided_at)
