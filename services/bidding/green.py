"""Green-power offers of a bid plan: each enterprise's forecast consumption and on-site PV.

The plan's period is its market day (24 hours): a target's share applies to that day's
forecast consumption, so an annual target is met day by day (`hourly_matched` false)
and an hourly one hour by hour. Consumption is the similar-day forecast of the
enterprise's metered loads (curtailable and shiftable); on-site green power that of its
generators. Batteries are neither. Every enterprise with a generator is included, so
its surplus is offered for sale even without a target of its own.

When only the park's generators sell (`park_only`), bundled power per hour is capped at
their forecast surplus over their owners' load, and bundled power and certificates
together at the certificates they can sell: all their forecast generation for an owner
without a target, the surplus for one with a target (it claims what it uses itself).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

import numpy as np

from bidding.assets import CurtailableLoadSpec, GeneratorSpec, ShiftableLoadSpec
from bidding.exceptions import InsufficientHistory
from bidding.forecast import similar_day_forecast
from bidding.green_inputs import GreenTarget
from bidding.green_offers import GreenOfferSolution, GreenProduct, Side, build_green_offers
from bidding.green_shortfall import ShortfallReason
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY, hour_of_interval, interval_start
from parkvpp.v1 import bidding_pb2 as pb
from parkvpp.v1 import market_pb2
from services.enrollment.convert import spec_from_proto
from services.runtime.errors import FailedPrecondition
from services.runtime.rpc import to_ts
from services.vpp.portfolio import Portfolio

log = logging.getLogger(__name__)

#: Forecast defaults (fen/MWh), overridable per request. Jiangsu's coal benchmark price
#: (391 yuan/MWh) is what green power displaces and what surplus PV fetches at least;
#: bundled green power trades some 20 yuan/MWh above it; an unbundled GEC costs a few yuan.
GRID_PRICE_FEN_PER_MWH = 39_100
BUNDLED_PRICE_FEN_PER_MWH = 41_100
CERTIFICATE_PRICE_FEN_PER_MWH = 500
HOURS = 24
_HOUR_OF = np.array([hour_of_interval(i) for i in range(INTERVALS_PER_DAY)])


def hourly_kwh(kw: np.ndarray) -> np.ndarray:
    """96 interval averages (kW) -> 24 hourly energies (kWh)."""
    return np.bincount(_HOUR_OF, weights=np.asarray(kw) * INTERVAL_HOURS, minlength=HOURS)


def _forecasts(portfolio: Portfolio, day: date):
    """(consumption, on-site generation) hourly kWh per enterprise with loads or generators."""
    assets = portfolio.registry.active_assets()
    kinds = {a.asset_id: spec_from_proto(a.spec) for a in assets}
    metered = [
        a
        for a in assets
        if isinstance(kinds[a.asset_id], CurtailableLoadSpec | ShiftableLoadSpec | GeneratorSpec)
    ]
    history = portfolio.forecast_histories(metered, day)
    consumption: dict[str, np.ndarray] = {}
    generation: dict[str, np.ndarray] = {}
    for asset in metered:
        target = generation if isinstance(kinds[asset.asset_id], GeneratorSpec) else consumption
        total = target.setdefault(asset.enterprise_id, np.zeros(HOURS))
        try:
            total += hourly_kwh(similar_day_forecast(history[asset.asset_id], day))
        except InsufficientHistory:
            log.warning("no forecast for %s: too little history", asset.asset_id)
    return consumption, generation


def park_supply_kwh(
    consumption: dict[str, np.ndarray],
    generation: dict[str, np.ndarray],
    targets: Sequence[GreenTarget],
) -> tuple[np.ndarray, float]:
    """(bundled kWh per hour, certificate kWh over the period) the park's generators can sell."""
    with_target = {t.enterprise_id for t in targets}
    bundled = np.zeros(HOURS)
    certificates = 0.0
    for enterprise_id, generated in generation.items():
        surplus = np.maximum(generated - consumption.get(enterprise_id, 0.0), 0.0)
        bundled += surplus
        sellable = surplus if enterprise_id in with_target else generated
        certificates += float(sellable.sum())
    return bundled, certificates


def green_offers(
    portfolio: Portfolio,
    day: date,
    targets: Sequence[GreenTarget],
    bundled_price_fen_per_mwh: int,
    certificate_price_fen_per_mwh: int,
    time_limit_seconds: float,
    park_only: bool = False,
) -> GreenOfferSolution:
    """Least-cost green purchases for the targets and surplus sales, for the market day.

    Raises FailedPrecondition naming the target when its enterprise has no forecast
    consumption (no metered load history).
    """
    consumption, generation = _forecasts(portfolio, day)
    for n, target in enumerate(targets):
        if float(consumption.get(target.enterprise_id, np.zeros(1)).sum()) <= 0:
            raise FailedPrecondition(
                f"green_targets[{n}].enterprise_id: {target.enterprise_id} has no metered "
                f"load history to forecast its consumption on {day}"
            )
    for enterprise_id in generation:
        consumption.setdefault(enterprise_id, np.zeros(HOURS))
    bundled_supply, certificate_supply = None, None
    if park_only:
        bundled_supply, certificate_supply = park_supply_kwh(consumption, generation, targets)
    return build_green_offers(
        targets,
        consumption,
        generation,
        float(bundled_price_fen_per_mwh),
        float(certificate_price_fen_per_mwh),
        interval_start(day, 0),
        surplus_reserve_price_fen_per_mwh=GRID_PRICE_FEN_PER_MWH,
        grid_price_fen_per_mwh=float(GRID_PRICE_FEN_PER_MWH),
        bundled_supply_kwh=bundled_supply,
        certificate_supply_kwh=certificate_supply,
        time_limit_seconds=time_limit_seconds,
    )


_PRODUCTS = {
    GreenProduct.BUNDLED: pb.GREEN_PRODUCT_BUNDLED,
    GreenProduct.CERTIFICATE: pb.GREEN_PRODUCT_CERTIFICATE,
}
_SIDES = {Side.BUY: market_pb2.SIDE_BUY, Side.SELL: market_pb2.SIDE_SELL}
_REASONS = {
    ShortfallReason.NONE: pb.GREEN_SHORTFALL_REASON_UNSPECIFIED,
    ShortfallReason.SUPPLY: pb.GREEN_SHORTFALL_REASON_SUPPLY,
    ShortfallReason.PRICE_ABOVE_LIMIT: pb.GREEN_SHORTFALL_REASON_PRICE_ABOVE_LIMIT,
}


def add_to_plan(
    plan: pb.BidPlan, solution: GreenOfferSolution, targets: Sequence[GreenTarget]
) -> None:
    """The offers, their cost and each enterprise's result into the plan message."""
    for offer in solution.offers:
        plan.green_power_offers.add(
            enterprise_id=offer.enterprise_id,
            product=_PRODUCTS[offer.product],
            side=_SIDES[offer.side],
            energy_wh=offer.energy_wh,
            price_limit_fen_per_mwh=offer.price_limit_fen_per_mwh,
            period_start=to_ts(offer.period_start),
            period_end=to_ts(offer.period_end),
        )
    plan.green_power_cost_fen = solution.total_cost_fen
    by_id = {t.enterprise_id: t for t in targets}
    for eid, result in sorted(solution.enterprises.items()):
        target = by_id.get(eid)
        plan.green_power_results.add(
            enterprise_id=eid,
            consumption_kwh=result.consumption_kwh,
            target_kwh=result.target_kwh,
            onsite_pv_used_kwh=result.onsite_pv_used_kwh,
            bundled_wh=result.bundled_wh,
            certificate_wh=result.certificate_wh,
            surplus_offered_wh=result.surplus_offered_wh,
            shortfall_kwh=result.shortfall_kwh,
            achieved_share=result.achieved_share,
            cost_fen=result.cost_fen,
            target_share=target.share if target else 0.0,
            hourly_matched=target.hourly_matched if target else False,
            shortfall_reason=_REASONS[result.shortfall_reason],
            shortfall_detail=result.shortfall_detail,
        )
