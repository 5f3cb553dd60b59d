"""Gathering a market day's settlement inputs: awards, instructions, baselines, meters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from bidding.assets import BatterySpec
from bidding.exceptions import InsufficientHistory
from bidding.gapfill import Quality
from bidding.intervals import INTERVALS_PER_DAY
from bidding.storage_offers import split_portfolio
from parkvpp.v1 import market_pb2 as mpb
from services.enrollment.registry import Registry
from services.runtime.errors import FailedPrecondition
from services.telemetry.profiles import Profiles
from services.vpp.consumer import vpp_awards_kw
from services.vpp.plans import InForce
from services.vpp.portfolio import Portfolio
from settlement.energy_market import BUY, SELL, EnergyAward, StorageShare
from settlement.money import kwh_to_wh
from settlement.performance import MeteredInterval
from settlement.rules import IntervalAward


@dataclass(frozen=True)
class DayInputs:
    rows: list[MeteredInterval]
    awards: dict[int, IntervalAward]


def interval_awards(result: mpb.ClearingResult, participant_id: str) -> dict[int, IntervalAward]:
    """The VPP's award and the clearing price of every interval it was awarded in."""
    prices = {i.interval: i.clearing_price_fen_per_mwh for i in result.intervals}
    return {
        interval: IntervalAward(interval, kw, prices[interval])
        for interval, kw in sorted(vpp_awards_kw(result, participant_id).items())
        if kw > 0
    }


def gather(
    day: date,
    result: mpb.ClearingResult,
    participant_id: str,
    registry: Registry,
    portfolio: Portfolio,
    in_force: InForce,
    baseline_method: str,
) -> DayInputs:
    """Rows for every interval of every dispatched asset, and the VPP's awards.

    `in_force` is the instruction in force per asset and interval at one plan revision
    (PlanRecord.in_force), so a settlement reads the dispatch at a fixed revision.

    Meter data comes gap-filled (services.telemetry.profiles): an estimated interval is
    flagged estimated, and one with nothing to estimate from is settled as no delivery
    (metered = baseline) and flagged too, so a data gap never pays unflagged. Raises
    FailedPrecondition when a dispatched asset has too little history for a baseline.
    """
    instructed = {
        asset_id: {interval: max(0.0, kw) for interval, (_, kw) in per.items()}
        for asset_id, per in in_force.items()
        if per
    }
    profiles = Profiles(portfolio.rollups)
    now = datetime.now(UTC)
    rows: list[MeteredInterval] = []
    for asset_id in sorted(instructed):
        asset = registry.get_asset(asset_id)
        try:
            baseline = portfolio.baseline(
                asset, day, baseline_method, sorted(instructed[asset_id])
            ).baseline_kw
        except InsufficientHistory as exc:
            raise FailedPrecondition(f"no baseline for asset {asset_id}: {exc}") from exc
        metered = profiles.asset_days(asset.enterprise_id, asset_id, [day], now)[day]
        for interval in range(INTERVALS_PER_DAY):
            quality = metered.quality[interval]
            missing = quality == Quality.MISSING
            rows.append(
                MeteredInterval(
                    enterprise_id=asset.enterprise_id,
                    asset_id=asset_id,
                    interval=interval,
                    baseline_kw=float(baseline[interval]),
                    metered_kw=float(baseline[interval] if missing else metered.kw[interval]),
                    instructed_kw=instructed[asset_id].get(interval, 0.0),
                    estimated=bool(quality != Quality.MEASURED),
                )
            )
    return DayInputs(rows, interval_awards(result, participant_id))


def energy_awards(result: mpb.ClearingResult | None, participant_id: str) -> list[EnergyAward]:
    """The VPP's ENERGY awards of a clearing (none when the day was not cleared for ENERGY)."""
    if result is None:
        return []
    sides = {mpb.SIDE_SELL: SELL, mpb.SIDE_BUY: BUY}
    return [
        EnergyAward(
            award.award_id,
            award.interval,
            sides[award.side],
            award.awarded_kw,
            award.price_fen_per_mwh,
        )
        for award in result.awards
        if award.participant_id == participant_id
        and award.product == mpb.PRODUCT_ENERGY
        and award.side in sides
        and award.awarded_kw > 0
    ]


def storage_shares(day: date, portfolio: Portfolio, energy_share: float) -> list[StorageShare]:
    """The batteries whose energy parts the storage offers were built from, weighted by the
    energy-market part of their capacity in Wh (the split BiddingService.PrepareBids uses).
    """
    _, batteries = split_portfolio(portfolio.bid_assets(day), energy_share)
    return [
        StorageShare(b.enterprise_id, b.asset_id, kwh_to_wh(b.spec.energy_capacity_kwh))
        for b in batteries
        if isinstance(b.spec, BatterySpec)
    ]
