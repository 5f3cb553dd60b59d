"""Specifications of flexible assets (mirroring enrollment.proto) and the rules they must obey."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date

from bidding.exceptions import InvalidInput
from bidding.intervals import INTERVALS_PER_DAY, check_interval, minutes_to_intervals

MINUTES_PER_DAY = 24 * 60
GENERATOR_TECHNOLOGIES = ("pv", "wind")


@dataclass(frozen=True)
class AvailabilityWindow:
    """Recurring local-time window; weekdays are ISO 1..7 (empty = every day), end exclusive."""

    weekdays: tuple[int, ...]
    start_interval: int
    end_interval: int


@dataclass(frozen=True)
class CurtailableLoadSpec:
    """A load that can be reduced on request; empty `availability` means always available."""

    max_curtailment_kw: float
    min_event_minutes: int
    max_event_minutes: int
    max_events_per_day: int
    notification_lead_minutes: int
    rebound_fraction: float
    availability: tuple[AvailabilityWindow, ...]
    curtailment_cost_fen_per_mwh: int


@dataclass(frozen=True)
class ShiftableLoadSpec:
    """A load run of fixed energy that may be moved within [earliest_start, latest_end)."""

    energy_per_run_kwh: float
    run_duration_minutes: int
    earliest_start_interval: int
    latest_end_interval: int
    power_kw: float


@dataclass(frozen=True)
class BatterySpec:
    """A stationary battery; SoC values are fractions of `energy_capacity_kwh`."""

    energy_capacity_kwh: float
    max_charge_kw: float
    max_discharge_kw: float
    charge_efficiency: float
    discharge_efficiency: float
    soc_min: float
    soc_max: float
    initial_soc: float
    degradation_cost_fen_per_mwh: int

    @classmethod
    def from_round_trip(
        cls,
        *,
        energy_capacity_kwh: float,
        max_charge_kw: float,
        max_discharge_kw: float,
        round_trip_efficiency: float,
        soc_min: float,
        soc_max: float,
        initial_soc: float,
        degradation_cost_fen_per_mwh: int,
    ) -> BatterySpec:
        """Split a round-trip efficiency evenly (sqrt) into charge and discharge efficiencies.

        The proto allows either form; this is how the round-trip form becomes ours.
        Raises InvalidInput("battery.round_trip_efficiency") outside (0, 1] or when not finite.
        """
        if not _is_real(round_trip_efficiency) or not 0 < round_trip_efficiency <= 1:
            raise InvalidInput("battery.round_trip_efficiency", "must be in (0, 1]")
        one_way = math.sqrt(round_trip_efficiency)
        return cls(
            energy_capacity_kwh=energy_capacity_kwh,
            max_charge_kw=max_charge_kw,
            max_discharge_kw=max_discharge_kw,
            charge_efficiency=one_way,
            discharge_efficiency=one_way,
            soc_min=soc_min,
            soc_max=soc_max,
            initial_soc=initial_soc,
            degradation_cost_fen_per_mwh=degradation_cost_fen_per_mwh,
        )


@dataclass(frozen=True)
class GeneratorSpec:
    """On-site renewable generation; `technology` is "pv" or "wind"."""

    capacity_kw: float
    technology: str
    grid_connection_id: str


AssetSpec = CurtailableLoadSpec | ShiftableLoadSpec | BatterySpec | GeneratorSpec


def _is_real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


#: No field of a park asset is anywhere near this (1e9 kW is a terawatt); larger values
#: are typing errors and would overflow the optimiser's arithmetic.
MAX_MAGNITUDE = 1e9


def _check_numbers(spec: object, prefix: str) -> None:
    """Every numeric field must be a finite real of sane size; integers where the proto says int."""
    for f in fields(spec):  # type: ignore[arg-type]
        value = getattr(spec, f.name)
        if f.type in ("float", "int") and not _is_real(value):
            raise InvalidInput(f"{prefix}.{f.name}", "must be a finite number")
        if f.type in ("float", "int") and abs(value) > MAX_MAGNITUDE:
            raise InvalidInput(f"{prefix}.{f.name}", f"must be at most {MAX_MAGNITUDE:.0e}")
        if f.type == "int" and not isinstance(value, int):
            raise InvalidInput(f"{prefix}.{f.name}", "must be a whole number")


def _require(ok: bool, field: str, rule: str) -> None:
    if not ok:
        raise InvalidInput(field, rule)


def _validate_window(window: AvailabilityWindow, prefix: str) -> None:
    _check_numbers(window, prefix)
    for k, day in enumerate(window.weekdays):
        _require(
            isinstance(day, int) and not isinstance(day, bool) and 1 <= day <= 7,
            f"{prefix}.weekdays[{k}]",
            "must be an ISO weekday 1..7",
        )
    check_interval(window.start_interval, f"{prefix}.start_interval")
    _require(
        1 <= window.end_interval <= INTERVALS_PER_DAY,
        f"{prefix}.end_interval",
        f"must be 1..{INTERVALS_PER_DAY}",
    )
    _require(
        window.start_interval < window.end_interval,
        f"{prefix}.start_interval",
        "must be < end_interval",
    )


def _validate_curtailable(spec: CurtailableLoadSpec, p: str) -> None:
    _require(spec.max_curtailment_kw > 0, f"{p}.max_curtailment_kw", "must be > 0")
    _require(spec.min_event_minutes > 0, f"{p}.min_event_minutes", "must be > 0")
    _require(
        spec.min_event_minutes <= spec.max_event_minutes,
        f"{p}.min_event_minutes",
        "must be <= max_event_minutes",
    )
    _require(
        spec.max_event_minutes <= MINUTES_PER_DAY,
        f"{p}.max_event_minutes",
        f"must be <= {MINUTES_PER_DAY}",
    )
    _require(spec.max_events_per_day >= 1, f"{p}.max_events_per_day", "must be >= 1")
    _require(spec.notification_lead_minutes >= 0, f"{p}.notification_lead_minutes", "must be >= 0")
    _require(0 <= spec.rebound_fraction <= 1, f"{p}.rebound_fraction", "must be in [0, 1]")
    _require(
        spec.curtailment_cost_fen_per_mwh >= 0, f"{p}.curtailment_cost_fen_per_mwh", "must be >= 0"
    )
    for k, window in enumerate(spec.availability):
        _validate_window(window, f"{p}.availability[{k}]")


def _validate_shiftable(spec: ShiftableLoadSpec, p: str) -> None:
    _require(spec.energy_per_run_kwh > 0, f"{p}.energy_per_run_kwh", "must be > 0")
    _require(spec.power_kw > 0, f"{p}.power_kw", "must be > 0")
    _require(spec.run_duration_minutes > 0, f"{p}.run_duration_minutes", "must be > 0")
    check_interval(spec.earliest_start_interval, f"{p}.earliest_start_interval")
    _require(
        1 <= spec.latest_end_interval <= INTERVALS_PER_DAY,
        f"{p}.latest_end_interval",
        f"must be 1..{INTERVALS_PER_DAY}",
    )
    _require(
        spec.earliest_start_interval < spec.latest_end_interval,
        f"{p}.earliest_start_interval",
        "must be < latest_end_interval",
    )
    window = spec.latest_end_interval - spec.earliest_start_interval
    _require(
        minutes_to_intervals(spec.run_duration_minutes) <= window,
        f"{p}.run_duration_minutes",
        "must fit between earliest_start_interval and latest_end_interval",
    )
    max_energy_kwh = spec.power_kw * spec.run_duration_minutes / 60
    _require(
        spec.energy_per_run_kwh <= max_energy_kwh * (1 + 1e-9),
        f"{p}.energy_per_run_kwh",
        "must be <= power_kw x run duration",
    )


def _validate_battery(spec: BatterySpec, p: str) -> None:
    _require(spec.energy_capacity_kwh > 0, f"{p}.energy_capacity_kwh", "must be > 0")
    _require(spec.max_charge_kw >= 0, f"{p}.max_charge_kw", "must be >= 0")
    _require(spec.max_discharge_kw >= 0, f"{p}.max_discharge_kw", "must be >= 0")
    for name in ("charge_efficiency", "discharge_efficiency"):
        _require(0 < getattr(spec, name) <= 1, f"{p}.{name}", "must be in (0, 1]")
    for name in ("soc_min", "soc_max", "initial_soc"):
        _require(0 <= getattr(spec, name) <= 1, f"{p}.{name}", "must be in [0, 1]")
    _require(spec.soc_min <= spec.soc_max, f"{p}.soc_min", "must be <= soc_max")
    _require(
        spec.soc_min <= spec.initial_soc <= spec.soc_max,
        f"{p}.initial_soc",
        "must be within [soc_min, soc_max]",
    )
    _require(
        spec.degradation_cost_fen_per_mwh >= 0, f"{p}.degradation_cost_fen_per_mwh", "must be >= 0"
    )


def _validate_generator(spec: GeneratorSpec, p: str) -> None:
    _require(spec.capacity_kw > 0, f"{p}.capacity_kw", "must be > 0")
    _require(
        spec.technology in GENERATOR_TECHNOLOGIES,
        f"{p}.technology",
        f"must be one of {', '.join(GENERATOR_TECHNOLOGIES)}",
    )
    _require(
        isinstance(spec.grid_connection_id, str) and spec.grid_connection_id.strip() != "",
        f"{p}.grid_connection_id",
        "must not be empty",
    )


_VALIDATORS = {
    CurtailableLoadSpec: _validate_curtailable,
    ShiftableLoadSpec: _validate_shiftable,
    BatterySpec: _validate_battery,
    GeneratorSpec: _validate_generator,
}


def validate_spec(spec: AssetSpec, prefix: str) -> None:
    """Reject a spec that no optimiser could use, before it is enrolled or bid.

    Raises InvalidInput whose field is `prefix` + "." + the offending field (e.g.
    "battery.soc_min") and whose rule says what it must be. Fails on non-finite or
    non-numeric values, negative powers and energies, fractions outside [0, 1],
    inconsistent pairs (soc_min > soc_max, min_event > max_event) and out-of-day intervals.
    """
    validator = _VALIDATORS.get(type(spec))
    if validator is None:
        raise InvalidInput(prefix, f"unknown asset kind {type(spec).__name__}")
    if _VALID.get(id(spec)) is spec:  # this very (frozen) object passed before
        return
    _check_numbers(spec, prefix)
    validator(spec, prefix)  # type: ignore[operator]
    if len(_VALID) >= VALID_SPECS_KEPT:
        _VALID.clear()
    _VALID[id(spec)] = spec


#: Spec objects that passed validate_spec, by identity (the entry holds the object, so its
#: id is not reused while kept). Specs are frozen, so one that passed stays valid; objects
#: reused across calls (services.enrollment.convert.spec_from_proto keeps them per stored
#: spec) are checked once. Identity, not equality: 15 == 15.0, yet only one is an int.
_VALID: dict[int, AssetSpec] = {}
VALID_SPECS_KEPT = 200_000


def is_available(spec: CurtailableLoadSpec, market_day: date, interval: int) -> bool:
    """Whether the load may be curtailed in `interval` of `market_day` (local ISO weekday).

    No windows means always available. Raises InvalidInput for an interval outside 0..95.
    """
    check_interval(interval)
    if not spec.availability:
        return True
    weekday = market_day.isoweekday()
    return any(
        (not w.weekdays or weekday in w.weekdays) and w.start_interval <= interval < w.end_interval
        for w in spec.availability
    )
