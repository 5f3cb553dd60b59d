"""Flexibility envelopes: how far each asset can move its net consumption, interval by interval.

"Up" is a reduction of net consumption (curtailment or battery discharge), "down" an
increase (battery charge); both are non-negative kW for each of the 96 intervals.

A battery's power envelope alone overstates what it can do: it cannot discharge at
`up_kw` in every interval. Its `stored_energy_min_kwh`/`stored_energy_max_kwh` bounds
must be respected by whoever uses the envelope (the bid optimiser and dispatch do, by
tracking state of charge). A shiftable load's envelope is where its run of the day can
move (`bidding.shiftable.run_envelope`); generators' envelopes are zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from bidding.assets import (
    AssetSpec,
    BatterySpec,
    CurtailableLoadSpec,
    GeneratorSpec,
    ShiftableLoadSpec,
    is_available,
    validate_spec,
)
from bidding.exceptions import InvalidInput
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY, interval_start


@dataclass(frozen=True)
class AssetEnvelope:
    """One asset's per-interval up/down kW and, for batteries, stored-energy bounds (kWh)."""

    asset_id: str
    up_kw: np.ndarray
    down_kw: np.ndarray
    stored_energy_min_kwh: np.ndarray
    stored_energy_max_kwh: np.ndarray
    max_daily_up_kwh: float


@dataclass(frozen=True)
class AggregateEnvelope:
    """Portfolio sum of up/down kW over the listed assets (energy bounds are not summed)."""

    asset_ids: tuple[str, ...]
    up_kw: np.ndarray
    down_kw: np.ndarray


def _zeros() -> np.ndarray:
    return np.zeros(INTERVALS_PER_DAY)


def zero_envelope(asset_id: str) -> AssetEnvelope:
    """An envelope with no flexibility (generators; a shiftable load without its run)."""
    return AssetEnvelope(asset_id, _zeros(), _zeros(), _zeros(), _zeros(), 0.0)


def _as_forecast(forecast_load_kw: Sequence[float] | np.ndarray) -> np.ndarray:
    forecast = np.asarray(forecast_load_kw, dtype=float)
    if forecast.shape != (INTERVALS_PER_DAY,):
        raise InvalidInput("forecast_load_kw", f"must have {INTERVALS_PER_DAY} values")
    if not np.all(np.isfinite(forecast)):
        raise InvalidInput("forecast_load_kw", "must be finite")
    return np.maximum(forecast, 0.0)


def curtailable_envelope(
    asset_id: str,
    spec: CurtailableLoadSpec,
    market_day: date,
    forecast_load_kw: Sequence[float] | np.ndarray,
    decision_time: datetime | None = None,
) -> AssetEnvelope:
    """Curtailable load: up to min(max_curtailment_kw, forecast load) where allowed.

    An interval is allowed when an availability window covers it and, if
    `decision_time` is given, it starts at least `notification_lead_minutes` after it.
    A load cannot shed more than it is forecast to draw (negative forecasts count as 0).
    `max_daily_up_kwh` is max_events_per_day x max event duration x max_curtailment_kw.
    Raises InvalidInput for a bad spec, a forecast that is not 96 finite values, or a
    naive `decision_time`.
    """
    validate_spec(spec, "curtailable_load")
    forecast = _as_forecast(forecast_load_kw)
    if decision_time is not None and decision_time.tzinfo is None:
        raise InvalidInput("decision_time", "must carry a time zone")
    lead = timedelta(minutes=spec.notification_lead_minutes)
    up_kw = _zeros()
    for i in range(INTERVALS_PER_DAY):
        if not is_available(spec, market_day, i):
            continue
        if decision_time is not None and interval_start(market_day, i) - decision_time < lead:
            continue
        up_kw[i] = min(spec.max_curtailment_kw, forecast[i])
    max_event_hours = spec.max_event_minutes / 60
    max_daily_up_kwh = spec.max_events_per_day * max_event_hours * spec.max_curtailment_kw
    return AssetEnvelope(asset_id, up_kw, _zeros(), _zeros(), _zeros(), max_daily_up_kwh)


def battery_envelope(asset_id: str, spec: BatterySpec) -> AssetEnvelope:
    """Battery: power limits plus the stored energy reachable from its initial state of charge.

    Stored energy (kWh, inside the cells) at the end of interval t lies in a tube that
    starts at `initial_soc` and widens by at most a full interval of charging
    (`max_charge_kw` x charge efficiency) or discharging (`max_discharge_kw` / discharge
    efficiency) per interval, clipped to [soc_min, soc_max] x capacity. Up (discharge)
    and down (charge) kW of an interval are further limited to what the best-placed
    state at its start could deliver or absorb. The tube bounds every interval on its
    own; a schedule must still track state of charge from interval to interval (the bid
    optimiser and dispatch do), since discharging at `up_kw` in every interval is not
    possible. `max_daily_up_kwh` is only the power bound (discharging all day).
    Raises InvalidInput for a bad spec.
    """
    validate_spec(spec, "battery")
    low = spec.soc_min * spec.energy_capacity_kwh
    high = spec.soc_max * spec.energy_capacity_kwh
    start = spec.initial_soc * spec.energy_capacity_kwh
    steps = np.arange(1, INTERVALS_PER_DAY + 1)
    gain_kwh = spec.max_charge_kw * spec.charge_efficiency * INTERVAL_HOURS
    loss_kwh = spec.max_discharge_kw / spec.discharge_efficiency * INTERVAL_HOURS
    reach_max = np.minimum(high, start + steps * gain_kwh)
    reach_min = np.maximum(low, start - steps * loss_kwh)
    top_at_start = np.concatenate(([start], reach_max[:-1]))
    bottom_at_start = np.concatenate(([start], reach_min[:-1]))
    return AssetEnvelope(
        asset_id=asset_id,
        up_kw=np.minimum(
            spec.max_discharge_kw,
            (top_at_start - low) * spec.discharge_efficiency / INTERVAL_HOURS,
        ),
        down_kw=np.minimum(
            spec.max_charge_kw,
            (high - bottom_at_start) / spec.charge_efficiency / INTERVAL_HOURS,
        ),
        stored_energy_min_kwh=reach_min,
        stored_energy_max_kwh=reach_max,
        max_daily_up_kwh=spec.max_discharge_kw * INTERVALS_PER_DAY * INTERVAL_HOURS,
    )


def asset_envelope(
    asset_id: str,
    spec: AssetSpec,
    market_day: date,
    forecast_load_kw: Sequence[float] | np.ndarray | None = None,
    decision_time: datetime | None = None,
) -> AssetEnvelope:
    """The envelope of any asset kind; picks the rule for `spec`'s kind.

    Raises InvalidInput when a curtailable load has no `forecast_load_kw`, for a bad
    spec, or for an unknown kind.
    """
    if isinstance(spec, CurtailableLoadSpec):
        if forecast_load_kw is None:
            raise InvalidInput("forecast_load_kw", "is required for a curtailable load")
        return curtailable_envelope(asset_id, spec, market_day, forecast_load_kw, decision_time)
    if isinstance(spec, BatterySpec):
        return battery_envelope(asset_id, spec)
    if isinstance(spec, ShiftableLoadSpec | GeneratorSpec):
        validate_spec(spec, type(spec).__name__)
        return zero_envelope(asset_id)
    raise InvalidInput("spec", f"unknown asset kind {type(spec).__name__}")


def aggregate(envelopes: Iterable[AssetEnvelope]) -> AggregateEnvelope:
    """Sum up/down kW over `envelopes`: the portfolio's power limits per interval.

    Raises InvalidInput when an asset id appears twice (it would be counted twice).
    """
    ids: list[str] = []
    seen: set[str] = set()
    up_kw, down_kw = _zeros(), _zeros()
    for env in envelopes:
        if env.asset_id in seen:
            raise InvalidInput("envelopes", f"asset {env.asset_id!r} appears twice")
        ids.append(env.asset_id)
        seen.add(env.asset_id)
        up_kw += env.up_kw
        down_kw += env.down_kw
    return AggregateEnvelope(tuple(ids), up_kw, down_kw)


def aggregate_columns(
    asset_ids: Sequence[str], up_kw: np.ndarray, down_kw: np.ndarray
) -> AggregateEnvelope:
    """`aggregate` of envelopes given as columns (one row of 96 per asset, in `asset_ids`
    order): the same sums, added row by row in that order.

    Raises InvalidInput when an asset id appears twice.
    """
    if len(set(asset_ids)) != len(asset_ids):
        _check_unique(asset_ids)
    shape = (len(asset_ids), INTERVALS_PER_DAY)
    up = np.asarray(up_kw, dtype=float).reshape(shape).sum(axis=0, initial=0.0)
    down = np.asarray(down_kw, dtype=float).reshape(shape).sum(axis=0, initial=0.0)
    return AggregateEnvelope(tuple(asset_ids), up, down)


def _check_unique(asset_ids: Sequence[str]) -> None:
    """Raises InvalidInput naming the first asset id that appears twice."""
    seen: set[str] = set()
    for asset_id in asset_ids:
        if asset_id in seen:
            raise InvalidInput("envelopes", f"asset {asset_id!r} appears twice")
        seen.add(asset_id)


def _allowed(
    spec: CurtailableLoadSpec, market_day: date, decision_time: datetime | None
) -> np.ndarray:
    """Intervals of `market_day` a load may be curtailed in, as decided at `decision_time`."""
    lead = timedelta(minutes=spec.notification_lead_minutes)
    return np.array(
        [
            is_available(spec, market_day, i)
            and (decision_time is None or interval_start(market_day, i) - decision_time >= lead)
            for i in range(INTERVALS_PER_DAY)
        ]
    )


def curtailable_envelopes(
    asset_ids: Sequence[str],
    specs: Sequence[CurtailableLoadSpec],
    market_day: date,
    forecast_load_kw: np.ndarray,
    decision_time: datetime | None = None,
) -> list[AssetEnvelope]:
    """`curtailable_envelope` of many loads at once (forecasts one row of 96 per load).

    The same envelopes, from `curtailable_columns`. Raises InvalidInput as
    `curtailable_envelope` does.
    """
    up_kw, max_daily_up_kwh = curtailable_columns(
        specs, market_day, forecast_load_kw, decision_time
    )
    down_kw, low_kwh, high_kwh = (np.zeros(up_kw.shape) for _ in range(3))
    return [
        AssetEnvelope(asset_id, up_kw[n], down_kw[n], low_kwh[n], high_kwh[n], daily_kwh)
        for n, (asset_id, daily_kwh) in enumerate(
            zip(asset_ids, max_daily_up_kwh.tolist(), strict=True)
        )
    ]


def curtailable_columns(
    specs: Sequence[CurtailableLoadSpec],
    market_day: date,
    forecast_load_kw: np.ndarray,
    decision_time: datetime | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Up kW (one row of 96 per load) and max daily up kWh (one per load) of many loads:
    `curtailable_envelope`'s rules computed with numpy over all loads, the allowed
    intervals once per distinct (availability, notification lead).

    Down kW and stored-energy bounds of a load are zero. Raises InvalidInput as
    `curtailable_envelope` does.
    """
    if not specs:  # a park of batteries and shiftable loads only
        return np.zeros((0, INTERVALS_PER_DAY)), np.zeros(0)
    forecasts = np.asarray(forecast_load_kw, dtype=float).reshape(len(specs), -1)
    if forecasts.shape[1] != INTERVALS_PER_DAY:
        raise InvalidInput("forecast_load_kw", f"must have {INTERVALS_PER_DAY} values")
    if not np.all(np.isfinite(forecasts)):
        raise InvalidInput("forecast_load_kw", "must be finite")
    if decision_time is not None and decision_time.tzinfo is None:
        raise InvalidInput("decision_time", "must carry a time zone")
    kinds: dict[tuple[object, int], int] = {}  # (availability, lead) -> its mask's row
    firsts: list[CurtailableLoadSpec] = []
    rows = []
    for spec in specs:
        validate_spec(spec, "curtailable_load")
        key = (spec.availability, spec.notification_lead_minutes)
        if key not in kinds:
            kinds[key] = len(firsts)
            firsts.append(spec)
        rows.append(kinds[key])
    masks = np.array([_allowed(spec, market_day, decision_time) for spec in firsts])
    allowed = masks[np.array(rows, dtype=np.int64)]
    max_kw = np.array([spec.max_curtailment_kw for spec in specs], dtype=float)
    up_kw = np.where(allowed, np.minimum(max_kw[:, None], np.maximum(forecasts, 0.0)), 0.0)
    max_daily_up_kwh = np.array(
        [
            spec.max_events_per_day * (spec.max_event_minutes / 60) * spec.max_curtailment_kw
            for spec in specs
        ],
        dtype=float,
    )
    return up_kw, max_daily_up_kwh
