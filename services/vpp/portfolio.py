"""The VPP portfolio of a market day: active assets with forecasts, envelopes and baselines."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import redis

from bidding.assets import AssetSpec, BatterySpec, CurtailableLoadSpec, ShiftableLoadSpec
from bidding.baseline import LOOKBACK_DAYS as BASELINE_LOOKBACK_DAYS
from bidding.baseline import BaselineResult, compute_baseline
from bidding.exceptions import InsufficientHistory, InvalidInput
from bidding.flexibility import (
    AggregateEnvelope,
    AssetEnvelope,
    aggregate_columns,
    asset_envelope,
    curtailable_columns,
)
from bidding.forecast import SIMILAR_DAYS, is_weekend, similar_day_forecast
from bidding.intervals import INTERVALS_PER_DAY, days_before
from bidding.offer_model import BidAsset
from bidding.process_runs import RunSpec
from bidding.shiftable import run_envelope, run_placements, shiftable_run
from parkvpp.v1 import enrollment_pb2 as epb
from services.enrollment.convert import spec_from_proto
from services.enrollment.registry import Registry
from services.runtime.errors import InvalidArgument
from services.runtime.store import tenant_key
from services.telemetry.profiles import HISTORY_DAYS, complete_days
from services.telemetry.rollups import Rollups

log = logging.getLogger(__name__)

#: Days of the market day's type read first for the similar-day forecasts of all loads:
#: one more than averaged, as the day before the market day is still being metered when
#: the VPP bids (its rollups are incomplete until midnight).
BULK_READ_DAYS = SIMILAR_DAYS + 1
#: Days of the market day's type read for loads with gaps among those (and first by
#: `forecast_histories`).
FIRST_READ_DAYS = 7
#: Loads whose days are read and averaged together by `Portfolio.forecasts`. About 3.5 MB
#: of rollups a part: numpy's buffers then come from memory the process reuses; all
#: 10,000 loads of a large park at once (60 MB) took 4 times as long, mostly in faulting
#: fresh pages in.
FORECAST_PART = 500


@dataclass(frozen=True)
class PortfolioAsset:
    asset: epb.Asset
    spec: AssetSpec
    forecast_kw: np.ndarray | None
    envelope: AssetEnvelope
    #: A shiftable load's run of the day where the park would have it (None: no run seen).
    run: RunSpec | None = None


@dataclass(frozen=True)
class PortfolioFlexibility:
    """Every active asset's envelope for one market day as columns: row n is `assets[n]`.

    `baseline_kw` is the forecast an envelope is measured against (a zero row where
    `has_forecast` is False: batteries, generators); `runs` holds the shiftable loads'
    runs of the day by row.
    """

    assets: list[epb.Asset]
    specs: list[AssetSpec]
    baseline_kw: np.ndarray
    has_forecast: np.ndarray
    up_kw: np.ndarray
    down_kw: np.ndarray
    stored_energy_min_kwh: np.ndarray
    stored_energy_max_kwh: np.ndarray
    max_daily_up_kwh: np.ndarray
    runs: dict[int, RunSpec]

    @property
    def asset_ids(self) -> list[str]:
        return [a.asset_id for a in self.assets]

    def envelope(self, n: int) -> AssetEnvelope:
        """Row `n` as an AssetEnvelope (its arrays are views of the columns)."""
        return AssetEnvelope(
            self.assets[n].asset_id,
            self.up_kw[n],
            self.down_kw[n],
            self.stored_energy_min_kwh[n],
            self.stored_energy_max_kwh[n],
            float(self.max_daily_up_kwh[n]),
        )

    def aggregate(self) -> AggregateEnvelope:
        """The portfolio's summed up/down kW (bidding.flexibility.aggregate's sums)."""
        return aggregate_columns(self.asset_ids, self.up_kw, self.down_kw)


def _no_flexibility(assets: list[epb.Asset], specs: list[AssetSpec]) -> PortfolioFlexibility:
    """Columns of zeros for `assets`, filled in by `Portfolio.flexibility`."""
    rows = (len(assets), INTERVALS_PER_DAY)
    return PortfolioFlexibility(
        assets,
        specs,
        np.zeros(rows),
        np.zeros(len(assets), dtype=bool),
        *(np.zeros(rows) for _ in range(4)),
        np.zeros(len(assets)),
        {},
    )


def same_type_days(day: date) -> list[date]:
    """The most recent FIRST_READ_DAYS days of `day`'s type (weekday or weekend) before
    it, most recent first."""
    recent_first = reversed(days_before(day, HISTORY_DAYS))
    return [d for d in recent_first if is_weekend(d) == is_weekend(day)][:FIRST_READ_DAYS]


def _similar_day_means(kw: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which loads have SIMILAR_DAYS complete days (measured in every interval) among the
    days of `Rollups.days_kw`'s arrays (most recent first), and for those the mean of the
    most recent SIMILAR_DAYS of them: `similar_day_forecast`'s figure, summed alike.

    Loads whose chosen days follow one another (all of them in a park with clean meters:
    the first SIMILAR_DAYS, or the ones after a yesterday still being metered) are
    averaged over a slice of the days; the others gather their days first.
    """
    complete = (counts > 0).all(axis=2) & np.isfinite(kw).all(axis=2)
    enough = complete.sum(axis=1) >= SIMILAR_DAYS
    chosen = np.argsort(~complete, axis=1, kind="stable")[:, :SIMILAR_DAYS]
    means = np.zeros((len(kw), INTERVALS_PER_DAY))
    gathered = enough.copy()
    for first in range(kw.shape[1] - SIMILAR_DAYS + 1):
        span = (chosen == np.arange(first, first + SIMILAR_DAYS)).all(axis=1) & gathered
        if span.any():
            means[span] = kw[:, first : first + SIMILAR_DAYS].mean(axis=1)[span]
            gathered &= ~span
    if gathered.any():
        rows = np.take_along_axis(kw[gathered], chosen[gathered][:, :, None], axis=1)
        means[gathered] = rows.mean(axis=1)
    return enough, means[enough]


def event_days_key(enterprise_id: str) -> str:
    """Redis set of "asset_id/market_day" members: days an asset was dispatched on."""
    return tenant_key(enterprise_id, "event_days")


class Portfolio:
    """Reads the registry and rollups to build what bidding and dispatch optimise over."""

    def __init__(self, client: redis.Redis, registry: Registry, rollups: Rollups) -> None:
        self.redis = client
        self.registry = registry
        self.rollups = rollups

    def warm_up(self) -> threading.Thread:
        """Convert every active asset's stored spec once in a background thread (the
        conversions are kept by spec_from_proto), so the first GetFlexibility or PrepareBids
        after a start does not pay for them: about 0.3 s for 10,000 assets. A spec that does
        not convert is left for the call to report; Redis down at start is only logged."""

        def convert_all() -> None:
            try:
                assets = self.registry.active_assets()
            except redis.RedisError as exc:
                log.warning("asset specs not converted ahead: %s", exc)
                return
            for asset in assets:
                try:
                    spec_from_proto(asset.spec)
                except (InvalidArgument, InvalidInput):
                    continue

        thread = threading.Thread(target=convert_all, name="warm-specs", daemon=True)
        thread.start()
        return thread

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
        pairs = [(a.enterprise_id, a.asset_id) for a in assets]
        found = self.rollups.many_day_kw(pairs, same_type_days(day))
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
        """Active assets with their envelope for `day`, as seen at `decision_time`: the
        rows of `flexibility`, one PortfolioAsset each."""
        flex = self.flexibility(day, enterprise_id, decision_time)
        return [
            PortfolioAsset(
                asset,
                spec,
                flex.baseline_kw[n] if flex.has_forecast[n] else None,
                flex.envelope(n),
                flex.runs.get(n),
            )
            for n, (asset, spec) in enumerate(zip(flex.assets, flex.specs, strict=True))
        ]

    def flexibility(
        self, day: date, enterprise_id: str = "", decision_time: datetime | None = None
    ) -> PortfolioFlexibility:
        """Active assets (of one enterprise, or all) with their envelopes for `day`, as
        seen at `decision_time`, as columns.

        A curtailable load without enough history to forecast gets an empty envelope
        (the VPP cannot offer to shed a load it cannot predict) and a warning log. With a
        `decision_time` (aware) a load offers only intervals starting at least its
        notification lead time later; None ignores lead times (dispatch, settlement).
        Loads' and shiftable loads' forecasts are read and computed for all of them at
        once, and loads' envelopes too (numpy). Raises InvalidInput for a stored spec
        that breaks a rule.
        """
        active = self.registry.active_assets(enterprise_id)
        flex = _no_flexibility(active, [spec_from_proto(a.spec) for a in active])
        specs = list(enumerate(flex.specs))
        loads = [n for n, spec in specs if isinstance(spec, CurtailableLoadSpec)]
        shiftable = [n for n, spec in specs if isinstance(spec, ShiftableLoadSpec)]
        metered = loads + shiftable
        others = sorted(set(range(len(specs))) - set(metered))
        flex.baseline_kw[metered] = self.forecasts([active[n] for n in metered], day)
        flex.has_forecast[metered] = True
        flex.up_kw[loads], flex.max_daily_up_kwh[loads] = curtailable_columns(
            [flex.specs[n] for n in loads],  # type: ignore[misc]
            day,
            flex.baseline_kw[loads],
            decision_time,
        )
        for n in shiftable:
            self._place_run(flex, n)
        for n in others:
            envelope = asset_envelope(active[n].asset_id, flex.specs[n], day, None, decision_time)
            _set_row(flex, n, envelope)
        return flex

    @staticmethod
    def _place_run(flex: PortfolioFlexibility, n: int) -> None:
        """A shiftable load's run of the day placed from its forecast (`bidding.shiftable`);
        the envelope says where it can move (zero: no run seen)."""
        run = shiftable_run(flex.specs[n], flex.baseline_kw[n])  # type: ignore[arg-type]
        placements = run_placements(run) if run is not None else None
        _set_row(flex, n, run_envelope(flex.assets[n].asset_id, placements))
        if run is not None:
            flex.runs[n] = run

    def forecasts(
        self, loads: list[epb.Asset], day: date, part_size: int = FORECAST_PART
    ) -> np.ndarray:
        """The similar-day forecast of `day` per load, one row of 96 (zeros, and a warning
        log, for a load with too little history).

        The most recent BULK_READ_DAYS days of `day`'s type are read for all loads, and a
        load with SIMILAR_DAYS complete among them gets the mean of the most recent
        SIMILAR_DAYS, computed with numpy `part_size` loads at a time; the others (new, or with
        gaps) are read again over FIRST_READ_DAYS days the same way, and only those
        still short go through `histories` and `similar_day_forecast`.
        """
        out = np.zeros((len(loads), INTERVALS_PER_DAY))
        pairs = [(a.enterprise_id, a.asset_id) for a in loads]
        same_type = same_type_days(day)
        rest = np.arange(len(loads))
        for days in (same_type[:BULK_READ_DAYS], same_type):
            found = np.zeros(len(rest), dtype=bool)
            for start in range(0, len(rest), part_size):
                part = rest[start : start + part_size]
                kw, counts = self.rollups.days_kw([pairs[n] for n in part.tolist()], days)
                found[start : start + len(part)], means = _similar_day_means(kw, counts)
                out[part[found[start : start + len(part)]]] = means
            rest = rest[~found]
        if not len(rest):
            return out
        history = self.histories([loads[n] for n in rest.tolist()], day)
        for n in rest.tolist():
            try:
                out[n] = similar_day_forecast(history[loads[n].asset_id], day)
            except InsufficientHistory:
                log.warning("no forecast for %s: too little history", loads[n].asset_id)
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


def _set_row(flex: PortfolioFlexibility, n: int, envelope: AssetEnvelope) -> None:
    """Row `n` of the columns from one asset's envelope."""
    flex.up_kw[n] = envelope.up_kw
    flex.down_kw[n] = envelope.down_kw
    flex.stored_energy_min_kwh[n] = envelope.stored_energy_min_kwh
    flex.stored_energy_max_kwh[n] = envelope.stored_energy_max_kwh
    flex.max_daily_up_kwh[n] = envelope.max_daily_up_kwh
