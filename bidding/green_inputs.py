"""Inputs of green-power purchase planning: targets, hourly forecasts and prices, checked once."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bidding.exceptions import InvalidInput

#: A year and a day of hours: longer periods are typing errors, not plans.
MAX_PERIOD_HOURS = 366 * 24 + 24

Profile = float | Sequence[float] | np.ndarray


@dataclass(frozen=True)
class GreenTarget:
    """An enterprise's green-power goal for the period (mirrors the GreenTarget message).

    `share` of its consumption is to be covered by green power, matched over the whole
    period or, when `hourly_matched`, hour by hour. No offer bids above the limits.
    """

    enterprise_id: str
    share: float
    hourly_matched: bool
    bundled_price_limit_fen_per_mwh: int
    certificate_price_limit_fen_per_mwh: int


@dataclass(frozen=True)
class GreenInputs:
    """Validated inputs as arrays over the period's H hours; `supply_kwh` (bundled, per hour)
    and `certificate_supply_kwh` (bundled + certificates, the period) are inf when unlimited."""

    targets: dict[str, GreenTarget]
    consumption_kwh: dict[str, np.ndarray]
    onsite_pv_kwh: dict[str, np.ndarray]
    bundled_price_fen_per_mwh: np.ndarray
    certificate_price_fen_per_mwh: float
    grid_price_fen_per_mwh: np.ndarray
    supply_kwh: np.ndarray
    hours: int
    certificate_supply_kwh: float = math.inf


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _hourly(values: Profile, hours: int, name: str, non_negative: bool) -> np.ndarray:
    """A scalar broadcast to every hour, or exactly `hours` finite values."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(name, "must be numbers") from exc
    if array.ndim == 0:
        array = np.full(hours, float(array))
    if array.shape != (hours,):
        raise InvalidInput(name, f"must be one value or {hours} hourly values")
    if not np.all(np.isfinite(array)):
        raise InvalidInput(name, "must be finite")
    if non_negative and np.any(array < 0):
        raise InvalidInput(name, "must be >= 0")
    return array


def _check_target(target: GreenTarget, where: str) -> None:
    if not isinstance(target.enterprise_id, str) or not target.enterprise_id.strip():
        raise InvalidInput(f"{where}.enterprise_id", "must not be empty")
    share = target.share
    if not (isinstance(share, int | float) and math.isfinite(share) and 0 <= share <= 1):
        raise InvalidInput(f"{where}.share", "must be in [0, 1]")
    if not isinstance(target.hourly_matched, bool):
        raise InvalidInput(f"{where}.hourly_matched", "must be true or false")
    for name in ("bundled_price_limit_fen_per_mwh", "certificate_price_limit_fen_per_mwh"):
        value = getattr(target, name)
        if not (_is_int(value) and value >= 0):
            raise InvalidInput(f"{where}.{name}", "must be a whole number >= 0")


def _check_targets(targets: Sequence[GreenTarget]) -> dict[str, GreenTarget]:
    by_id: dict[str, GreenTarget] = {}
    for k, target in enumerate(targets):
        _check_target(target, f"targets[{k}]")
        if target.enterprise_id in by_id:
            raise InvalidInput(f"targets[{k}].enterprise_id", f"duplicate {target.enterprise_id!r}")
        by_id[target.enterprise_id] = target
    return by_id


def _profiles(values: Mapping[str, Profile], name: str, hours: int) -> dict[str, np.ndarray]:
    out = {}
    for enterprise_id, profile in values.items():
        if np.ndim(profile) != 1:
            raise InvalidInput(f"{name}[{enterprise_id}]", "must be a list of hourly kWh")
        out[enterprise_id] = _hourly(profile, hours, f"{name}[{enterprise_id}]", True)
    return out


def validate_green_inputs(
    targets: Sequence[GreenTarget],
    consumption_kwh: Mapping[str, Profile],
    onsite_pv_kwh: Mapping[str, Profile],
    bundled_price_fen_per_mwh: Profile,
    certificate_price_fen_per_mwh: float,
    period_start: datetime,
    grid_price_fen_per_mwh: Profile = 0.0,
    bundled_supply_kwh: Profile | None = None,
    certificate_supply_kwh: float | None = None,
) -> GreenInputs:
    """Check everything once and return it as per-hour arrays.

    The period has as many hours as each consumption profile (all equal, 1 to
    MAX_PERIOD_HOURS). Raises InvalidInput naming the field for: a bad target or a
    duplicate enterprise, a target or PV profile without a consumption profile,
    profiles of unequal length or with negative or non-finite kWh, prices that are
    not finite (the bundled and grid prices may be negative, the certificate price may
    not), a negative or non-finite supply, or a naive `period_start`.
    """
    if period_start.tzinfo is None:
        raise InvalidInput("period_start", "must carry a time zone")
    by_id = _check_targets(targets)
    if not consumption_kwh:
        raise InvalidInput("consumption_kwh", "must hold at least one enterprise")
    hours = int(np.size(next(iter(consumption_kwh.values()))))
    if not 1 <= hours <= MAX_PERIOD_HOURS:
        raise InvalidInput("consumption_kwh", f"must hold 1..{MAX_PERIOD_HOURS} hours")
    consumption = _profiles(consumption_kwh, "consumption_kwh", hours)
    for enterprise_id in by_id:
        if enterprise_id not in consumption:
            raise InvalidInput(f"consumption_kwh[{enterprise_id}]", "is required for a target")
    pv = _profiles(onsite_pv_kwh, "onsite_pv_kwh", hours)
    for enterprise_id in pv:
        if enterprise_id not in consumption:
            raise InvalidInput(f"onsite_pv_kwh[{enterprise_id}]", "has no consumption profile")
    certificate = float(
        _hourly(certificate_price_fen_per_mwh, 1, "certificate_price_fen_per_mwh", False)[0]
    )
    if certificate < 0:
        raise InvalidInput("certificate_price_fen_per_mwh", "must be finite and >= 0")
    supply = np.full(hours, math.inf)
    if bundled_supply_kwh is not None:
        supply = _hourly(bundled_supply_kwh, hours, "bundled_supply_kwh", True)
    certificate_supply = math.inf
    if certificate_supply_kwh is not None:
        name = "certificate_supply_kwh"
        certificate_supply = float(_hourly(certificate_supply_kwh, 1, name, True)[0])
    return GreenInputs(
        targets=by_id,
        consumption_kwh=consumption,
        onsite_pv_kwh={e: pv.get(e, np.zeros(hours)) for e in consumption},
        bundled_price_fen_per_mwh=_hourly(
            bundled_price_fen_per_mwh, hours, "bundled_price_fen_per_mwh", False
        ),
        certificate_price_fen_per_mwh=certificate,
        grid_price_fen_per_mwh=_hourly(
            grid_price_fen_per_mwh, hours, "grid_price_fen_per_mwh", False
        ),
        supply_kwh=supply,
        hours=hours,
        certificate_supply_kwh=certificate_supply,
    )
