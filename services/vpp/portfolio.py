"""The VPP portfolio of a market day: active assets with forecasts, envelopes and baselines."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import redis

from bidding.assets import AssetSpec, BatterySpec, CurtailableLoadSpec, ShiftableLoadSpec
from bidding.baseline import LOOKBACK_DAYS as BASELINE_LOOKBACK_DAYS
from bidding.baseline import BaselineResult, compute_baseline
from bidding.exceptions import InsufficientHistory
from bidding.flexibility import AssetEnvelope, asset_envelope, curtailable_envelopes
from bidding.forecast import SIMILAR_DAYS, is_weekend, similar_day_forecast
from bidding.intervals import INTERVALS_PER_DAY, days_before
from bidding.offer_model import BidAsset
from bidding.process_runs import RunSpec
from bidding.shiftable import run_envelope, run_placements, shiftable_run
from parkvpp.v1 import enrollment_pb2 as epb
from services.enrollment.convert import spec_from_proto
from services.enrollment.registry import Registry
from services.runtime.store import tenant_key
from services.telemetry.profiles import HISTORY_DAYS, complete_days
from services.telemetry.rollups import Rollups

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PortfolioAsset:
    asset: epb.Asset
    spec: AssetSpec
    forecast_kw: np.ndarray | None
    envelope: AssetEnvelope
    #: A shiftable load's run of the day where the park would have it (None: no run seen).
    run: RunSpec | None = None


def event_days_key(enterprise_id: str) -> str:
    """Redis set of "asset_id/market_day" members: days an asset was dispatched on."""
    return tenant_key(enterprise_id, "event_days")


#: Days of the market day's type read first for its similar-day forecast.
FIRST_READ_DAYS = 7


class Portfolio:
    """Reads the registry and rollups to build what bidding and dispatch optimise over."""

    def __init__(self, client: redis.Redis, registry: Registry, rollups: Rollups) -> None:
        self.redis = client
        self.registry = registry
        self.rollups = rollups

    def history(self, asset: epb.Asset, day: date) -> dict[date, np.ndarray]:
        """The asset's complete measured days in the baselines' lookback before `day`."""
        return self.histories([asset], day, BASELINE_LOOKBACK_DAYS)[asset.asset_id]

    def histories(
        self, assets: list[epb.Asset], day: date, lookback_days: int = HISTORY_DAYS
    ) -> dict[str, dict[date, np.ndarray]]:
        """Complete measured days before `day`, per asset, read in pipelined round trips."""
        days = days_before(day, lookback_days)
        found = self.rollups.many_day_kw([(a.enterprise_id, a.asset_id) for a in assets], days)
        return {asset_id: complete_days(per_day) for asset_id, per_day in found.items()}

    def forecast_histories(
        self, assets: list[epb.Asset], day: date
    ) -> dict[str, dict[date, np.ndarray]]:
        """What the similar-day forecast of `day` reads: the same answer as `histories`.

        The forecast averages the 5 most recent complete days of `day`'s type, so the
        most recent FIRST_READ_DAYS days of that type are read first; only assets with
        fewer than 5 complete among them (new, or with gaps) get the whole lookback
        read, where the forecast may fall back to days of the other type. A quarter of
        the reads of `histories` for a park with clean meters.
        """
        recent_first = reversed(days_before(day, HISTORY_DAYS))
        same_type = [d for d in recent_first if is_weekend(d) == is_weekend(day)][:FIRST_READ_DAYS]
        pairs = [(a.enterprise_id, a.asset_id) for a in assets]
        found = self.rollups.many_day_kw(pairs, same_type)
        out = {asset_id: complete_days(per_day) for asset_id, per_day in found.items()}
        short = [a for a in assets if len(out[a.asset_id]) < SIMILAR_DAYS]
        if short:
            out.update(self.histories(short, day))
        return out

    def event_days(self, asset: epb.Asset) -> set[date]:
        """Days the asset was dispatched on; baselines leave them out."""
        members = self.redis.smembers(event_days_key(asset.enterprise_id))
        prefix = f"{asset.asset_id}/"
        return {
            date.fromisoformat(m.decode()[len(prefix) :])
            for m in members
            if m.decode().startswith(prefix)
        }

    def baseline(
        self,
        asset: epb.Asset,
        day: date,
        method: str = "similar_day",
        event_intervals: Sequence[int] = (),
    ) -> BaselineResult:
        """The asset's baseline for `day` by `method`; InsufficientHistory when history is short.

        `event_intervals` (the intervals the asset was instructed in) feed the methods that
        use them: the same-day adjustment of ten_in_ten_adjusted (window before the first
        one, against the day's measured load) and the day choice of high_4_of_5.
        """
        options: dict[str, object] = {}
        if method == "ten_in_ten_adjusted" and event_intervals:
            measured, _ = self.rollups.day_kw(asset.enterprise_id, asset.asset_id, [day])[day]
            options = {"event_start_interval": min(event_intervals), "same_day_kw": measured}
        elif method == "high_4_of_5" and event_intervals:
            options = {"event_intervals": sorted(set(event_intervals))}
        history = self.history(asset, day)
        return compute_baseline(method, history, day, self.event_days(asset), **options)

    def assets(
        self, day: date, enterprise_id: str = "", decision_time: datetime | None = None
    ) -> list[PortfolioAsset]:
        """Active assets with their envelope for `day`, as seen at `decision_time`.

        A curtailable load without enough history to forecast gets an empty envelope
        (the VPP cannot offer to shed a load it cannot predict) and a warning log. With a
        `decision_time` (aware) a load offers only intervals starting at least its
        notification lead time later; None ignores lead times (dispatch, settlement).
        Loads' forecasts and envelopes are computed for all loads at once (numpy).
        """
        active = [(a, spec_from_proto(a.spec)) for a in self.registry.active_assets(enterprise_id)]
        loads = [(a, spec) for a, spec in active if isinstance(spec, CurtailableLoadSpec)]
        forecasts = self.forecasts([a for a, _ in loads], day)
        envelopes = curtailable_envelopes(
            [a.asset_id for a, _ in loads],
            [spec for _, spec in loads],  # type: ignore[misc]
            day,
            forecasts,
            decision_time,
        )
        of_loads = {
            a.asset_id: PortfolioAsset(a, spec, forecasts[n], envelopes[n])
            for n, (a, spec) in enumerate(loads)
        }
        of_loads.update(
            self._shiftable([(a, s) for a, s in active if isinstance(s, ShiftableLoadSpec)], day)
        )
        return [
            of_loads.get(asset.asset_id)
            or PortfolioAsset(
                asset, spec, None, asset_envelope(asset.asset_id, spec, day, None, decision_time)
            )
            for asset, spec in active
        ]

    def forecasts(self, loads: list[epb.Asset], day: date) -> np.ndarray:
        """The similar-day forecast of `day` per load, one row of 96 (zeros, and a warning
        log, for a load with too little history).

        The most recent FIRST_READ_DAYS days of `day`'s type are read for all loads in
        bulk, and a load with at least SIMILAR_DAYS complete among them gets the mean of
        the most recent SIMILAR_DAYS, computed for all such loads at once; only the others
        (new, or with gaps) go through `forecast_histories` and `similar_day_forecast`.
        """
        out = np.zeros((len(loads), INTERVALS_PER_DAY))
        if not loads:
            return out
        recent_first = reversed(days_before(day, HISTORY_DAYS))
        same_type = [d for d in recent_first if is_weekend(d) == is_weekend(day)][:FIRST_READ_DAYS]
        pairs = [(a.enterprise_id, a.asset_id) for a in loads]
        kw, counts = self.rollups.days_kw(pairs, same_type)
        complete = (counts > 0).all(axis=2) & np.isfinite(kw).all(axis=2)
        enough = complete.sum(axis=1) >= SIMILAR_DAYS
        if enough.any():
            chosen = np.argsort(~complete[enough], axis=1, kind="stable")[:, :SIMILAR_DAYS]
            rows = np.take_along_axis(kw[enough], chosen[:, :, None], axis=1)
            out[enough] = rows.mean(axis=1)
        short = [a for a, ok in zip(loads, enough.tolist(), strict=True) if not ok]
        if short:
            history = self.histories(short, day)
            for n in np.flatnonzero(~enough).tolist():
                try:
                    out[n] = similar_day_forecast(history[loads[n].asset_id], day)
                except InsufficientHistory:
                    log.warning("no forecast for %s: too little history", loads[n].asset_id)
        return out

    def _shiftable(self, assets: list, day: date) -> dict[str, PortfolioAsset]:
        """Shiftable loads with their run of the day placed from their forecast
        (`bidding.shiftable`); the envelope says where it can move (zero: no run seen)."""
        forecasts = self.forecasts([a for a, _ in assets], day)
        out = {}
        for (asset, spec), forecast in zip(assets, forecasts, strict=True):
            run = shiftable_run(spec, forecast)
            placements = run_placements(run) if run is not None else None
            envelope = run_envelope(asset.asset_id, placements)
            out[asset.asset_id] = PortfolioAsset(asset, spec, forecast, envelope, run)
        return out

    def bid_assets(self, day: date, decision_time: datetime | None = None) -> list[BidAsset]:
        """The dispatchable part of the portfolio: curtailable loads, batteries, and
        shiftable loads whose run of the day can move.

        `decision_time` as in `assets`: a bid decided then cannot offer a load in intervals
        it cannot be notified for.
        """
        return [
            BidAsset(p.asset.asset_id, p.asset.enterprise_id, p.spec, p.envelope, p.run)
            for p in self.assets(day, decision_time=decision_time)
            if isinstance(p.spec, CurtailableLoadSpec | BatterySpec)
            or (p.run is not None and p.envelope.up_kw.any())
        ]
