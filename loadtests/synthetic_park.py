"""A deterministic synthetic industrial park: enterprises, asset specs and 15-minute history."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from bidding.assets import (
    AssetSpec,
    AvailabilityWindow,
    BatterySpec,
    CurtailableLoadSpec,
    GeneratorSpec,
    ShiftableLoadSpec,
)
from bidding.intervals import INTERVAL_MINUTES, INTERVALS_PER_DAY, MARKET_TZ, minutes_to_intervals

KINDS = ("curtailable", "shiftable", "battery", "pv")
_ID_PREFIX = {"curtailable": "load", "shiftable": "shift", "battery": "bat", "pv": "pv"}

#: Uniform draws reserved per asset-day: 96 interval noises, then per-day draws. Each day
#: owns a fixed stretch of the asset's counter-based stream (Philox), so two windows of
#: days give identical values on the days they share.
_DRAWS_PER_DAY = 128
_DAY_LEVEL, _CLEARNESS, _RUNS, _RUN_START = 96, 97, 98, 99
_HOURS = (np.arange(INTERVALS_PER_DAY) + 0.5) * INTERVAL_MINUTES / 60
_YEAR_DAYS = 365.25


def _ramp(on_h: float, off_h: float) -> np.ndarray:
    """1 between the hours `on_h` and `off_h`, with one-hour linear ramps around them."""
    return np.clip(_HOURS - on_h + 0.5, 0, 1) * np.clip(off_h - _HOURS + 0.5, 0, 1)


def _dip(at_h: float, depth: float, width_h: float) -> np.ndarray:
    """A Gaussian notch of `depth` (fraction) centred at hour `at_h`, e.g. a lunch break."""
    return 1 - depth * np.exp(-(((_HOURS - at_h) / width_h) ** 2))


def _two_shift_work() -> np.ndarray:
    """Shifts 06:00-14:00 and 14:00-22:00, lunch dip, shift change, lighter late shift."""
    late = np.where(_HOURS >= 14, 0.92, 1.0)
    return 0.78 * _ramp(6, 22) * _dip(12, 0.15, 0.5) * _dip(14, 0.1, 0.3) * late


#: Where in the day summer cooling adds draw: some all day, most in the afternoon.
_COOLING_SHAPE = 0.4 + 0.6 * np.clip(np.sin(np.pi * (_HOURS - 8) / 12), 0, None)


@dataclass(frozen=True, eq=False)
class IndustryProfile:
    """How an enterprise draws power; fractions are of the asset's rated size before scaling."""

    name: str
    #: Draw that never stops (night base, process heat, cold rooms).
    base: float
    #: Extra draw of a full working day per interval, shape (96,).
    work: np.ndarray
    #: Factor on `work` for a working day, Saturday, Sunday and a public holiday.
    activity: tuple[float, float, float, float]
    #: Extra share of draw at the height of summer (cooling), mostly in the afternoon.
    cooling: float
    #: Log-uniform range of a curtailable load's rated size, kW.
    size_kw: tuple[float, float]
    availability: tuple[AvailabilityWindow, ...]

    @property
    def scale(self) -> float:
        """Multiplier that makes the noiseless summer working-day peak 0.92 of rated size."""
        peak = np.max((self.base + self.work) * (1 + self.cooling * _COOLING_SHAPE))
        return 0.92 / float(peak)


_WEEKDAYS = (1, 2, 3, 4, 5)

PROFILES = {
    p.name: p
    for p in (
        IndustryProfile(
            "two_shift",
            0.22,
            _two_shift_work(),
            (1.0, 0.45, 0.2, 0.15),
            0.15,
            (200.0, 3000.0),
            (AvailabilityWindow(_WEEKDAYS, 24, 88),),
        ),
        IndustryProfile(
            "continuous",
            0.8,
            0.12 * _ramp(8, 18),
            (1.0, 0.97, 0.95, 0.9),
            0.08,
            (500.0, 5000.0),
            (AvailabilityWindow((), 32, 88),),
        ),
        IndustryProfile(
            "office_logistics",
            0.28,
            0.72 * _ramp(8, 18) * _dip(12.5, 0.25, 0.6) + 0.35 * _ramp(19, 21),
            (1.0, 0.35, 0.25, 0.15),
            0.25,
            (50.0, 800.0),
            (AvailabilityWindow(_WEEKDAYS, 32, 72),),
        ),
    )
}
_PROFILE_WEIGHTS = {"two_shift": 0.5, "continuous": 0.25, "office_logistics": 0.25}


def _span(first: str, last: str) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


#: Public holidays of 2025 and 2026 as the State Council set them; other years have none here.
HOLIDAYS = frozenset(
    day
    for first, last in (
        ("2025-01-01", "2025-01-01"),
        ("2025-01-28", "2025-02-04"),
        ("2025-04-04", "2025-04-06"),
        ("2025-05-01", "2025-05-05"),
        ("2025-05-31", "2025-06-02"),
        ("2025-10-01", "2025-10-08"),
        ("2026-01-01", "2026-01-03"),
        ("2026-02-15", "2026-02-23"),
        ("2026-04-04", "2026-04-06"),
        ("2026-05-01", "2026-05-05"),
        ("2026-06-19", "2026-06-21"),
        ("2026-09-25", "2026-09-27"),
        ("2026-10-01", "2026-10-07"),
    )
    for day in _span(first, last)
)
#: Weekend days worked in exchange for the bridged holidays (调休).
MAKEUP_WORKDAYS = frozenset(
    date.fromisoformat(d)
    for d in (
        "2025-01-26 2025-02-08 2025-04-27 2025-09-28 2025-10-11 "
        "2026-01-04 2026-02-14 2026-02-28 2026-05-09 2026-09-20 2026-10-10"
    ).split()
)


def day_type(day: date) -> int:
    """0 working day, 1 Saturday, 2 Sunday, 3 public holiday (makeup weekend days work)."""
    if day in HOLIDAYS:
        return 3
    if day in MAKEUP_WORKDAYS:
        return 0
    return max(0, day.isoweekday() - 5)


def history_days(market_day: date, days: int = 365) -> list[date]:
    """The `days` market days before `market_day`, oldest first; ValueError when days < 0."""
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    return [market_day - timedelta(days=n) for n in range(days, 0, -1)]


def interval_end_epoch_s(days: Sequence[date]) -> np.ndarray:
    """UNIX seconds at which each interval of `days` ends, shape (len(days), 96), int64."""
    midnight = np.array(
        [int(datetime(d.year, d.month, d.day, tzinfo=MARKET_TZ).timestamp()) for d in days],
        dtype=np.int64,
    )
    step = np.arange(1, INTERVALS_PER_DAY + 1, dtype=np.int64) * INTERVAL_MINUTES * 60
    return midnight.reshape(-1, 1) + step


@dataclass(frozen=True)
class AssetMix:
    """Relative weights of the asset kinds (KINDS order); they need not sum to 1."""

    curtailable: float = 0.55
    shiftable: float = 0.15
    battery: float = 0.10
    pv: float = 0.20

    def counts(self, assets: int) -> tuple[int, ...]:
        """Assets of each kind, summing to `assets` (largest remainder).

        Raises ValueError when a weight is negative or not finite, or all are zero.
        """
        weights = np.array([self.curtailable, self.shiftable, self.battery, self.pv])
        if not (np.all(np.isfinite(weights)) and np.all(weights >= 0) and weights.sum() > 0):
            raise ValueError(f"asset mix weights must be finite, >= 0, not all 0: {self}")
        shares = weights / weights.sum() * assets
        counts = np.floor(shares).astype(np.int64)
        order = np.argsort(counts - shares, kind="stable")
        counts[order[: assets - int(counts.sum())]] += 1
        return tuple(int(c) for c in counts)


@dataclass(frozen=True)
class SyntheticEnterprise:
    enterprise_id: str
    name: str
    profile: str


@dataclass(frozen=True)
class SyntheticAsset:
    """One asset; `size_kw` is a load's rated kW, PV capacity or a battery's largest power."""

    asset_id: str
    enterprise_id: str
    kind: str
    profile: str
    size_kw: float
    spec: AssetSpec
    #: Index of the asset in its park; with the park's seed it keys the asset's history.
    key: int


@dataclass(frozen=True)
class ReadingBlock:
    """Readings of one asset over some days, flat arrays of equal length (day-major)."""

    asset_id: str
    enterprise_id: str
    day: np.ndarray  # datetime64[D]
    interval: np.ndarray  # int64, 0..95
    epoch_s: np.ndarray  # int64, end of the interval
    kw: np.ndarray  # float64, average kW of the interval


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return round(float(np.exp(rng.uniform(math.log(low), math.log(high)))), 1)


def _curtailable(rng: np.random.Generator, profile: IndustryProfile) -> tuple[AssetSpec, float]:
    """A process load that can shed 15-40% of its rated kW inside the profile's hours."""
    size_kw = _log_uniform(rng, *profile.size_kw)
    spec = CurtailableLoadSpec(
        max_curtailment_kw=round(size_kw * rng.uniform(0.15, 0.4), 1),
        min_event_minutes=30,
        max_event_minutes=int(rng.choice([60, 120, 180])),
        max_events_per_day=int(rng.integers(1, 3)),
        notification_lead_minutes=int(rng.choice([30, 60, 120])),
        rebound_fraction=round(float(rng.uniform(0.0, 0.4)), 2),
        availability=profile.availability,
        curtailment_cost_fen_per_mwh=int(rng.integers(100, 401)) * 1000,
    )
    return spec, size_kw


#: Windows (start interval, end interval) a shiftable run may use: night, midday, day.
_SHIFT_WINDOWS = ((0, 28), (40, 64), (32, 88))


def _shiftable(rng: np.random.Generator, profile: IndustryProfile) -> tuple[AssetSpec, float]:
    """A batch process (pumps, mixers, charging) running 1-4 h at full power once a day."""
    power_kw = _log_uniform(rng, 30.0, 600.0)
    minutes = int(rng.choice([60, 90, 120, 180, 240]))
    start, end = _SHIFT_WINDOWS[int(rng.integers(len(_SHIFT_WINDOWS)))]
    spec = ShiftableLoadSpec(
        energy_per_run_kwh=power_kw * minutes / 60,
        run_duration_minutes=minutes,
        earliest_start_interval=start,
        latest_end_interval=end,
        power_kw=power_kw,
    )
    return spec, power_kw


def _battery(rng: np.random.Generator, profile: IndustryProfile) -> tuple[AssetSpec, float]:
    """A 2- or 4-hour stationary battery of 200 kWh to 10 MWh."""
    capacity_kwh = _log_uniform(rng, 200.0, 10_000.0)
    power_kw = round(capacity_kwh * float(rng.choice([0.25, 0.5])), 1)
    spec = BatterySpec.from_round_trip(
        energy_capacity_kwh=capacity_kwh,
        max_charge_kw=power_kw,
        max_discharge_kw=power_kw,
        round_trip_efficiency=round(float(rng.uniform(0.85, 0.92)), 3),
        soc_min=round(float(rng.uniform(0.05, 0.15)), 2),
        soc_max=round(float(rng.uniform(0.9, 0.95)), 2),
        initial_soc=0.5,
        degradation_cost_fen_per_mwh=int(rng.integers(30, 81)) * 1000,
    )
    return spec, power_kw


def _pv(rng: np.random.Generator, profile: IndustryProfile) -> tuple[AssetSpec, float]:
    """Rooftop PV of 100 kW to 2 MW."""
    capacity_kw = _log_uniform(rng, 100.0, 2000.0)
    grid_connection_id = f"SYN-10kV-{int(rng.integers(10_000)):04d}"
    return GeneratorSpec(capacity_kw, "pv", grid_connection_id), capacity_kw


_SPEC_MAKERS = {
    "curtailable": _curtailable,
    "shiftable": _shiftable,
    "battery": _battery,
    "pv": _pv,
}


def _uniforms(seed: int, key: int, ordinals: np.ndarray) -> np.ndarray:
    """The asset's uniform draws of each day, shape (len(ordinals), _DRAWS_PER_DAY)."""
    first = int(ordinals.min())
    steps_per_day = _DRAWS_PER_DAY // 4  # Philox yields four 64-bit words per counter step
    philox_key = np.array([seed, key], dtype=np.uint64)
    bits = np.random.Philox(key=philox_key, counter=[first * steps_per_day, 0, 0, 0])
    span = np.random.Generator(bits).random((int(ordinals.max()) - first + 1, _DRAWS_PER_DAY))
    return span[ordinals - first]


def _log_noise(u: np.ndarray, sigma: float | np.ndarray) -> np.ndarray:
    """Multiplicative noise with log-standard deviation `sigma` from uniforms `u`."""
    return np.exp(sigma * math.sqrt(3) * (2 * u - 1))


def _day_of_year(days: Sequence[date]) -> np.ndarray:
    return np.array([d.timetuple().tm_yday for d in days], dtype=np.float64).reshape(-1, 1)


def _activity(profile: IndustryProfile, days: Sequence[date]) -> np.ndarray:
    """Factor on the profile's working draw per day, shape (len(days), 1)."""
    table = np.array(profile.activity)
    return table[[day_type(d) for d in days]].reshape(-1, 1)


def _load_kw(asset: SyntheticAsset, days: Sequence[date], u: np.ndarray) -> np.ndarray:
    """Base plus working draw x weekly/holiday activity x season x noise, in [0, size_kw]."""
    profile = PROFILES[asset.profile]
    doy = _day_of_year(days)
    summer = np.clip(np.cos(2 * np.pi * (doy - 205) / _YEAR_DAYS), 0, None) ** 2
    winter = np.clip(np.cos(2 * np.pi * (doy - 15) / _YEAR_DAYS), 0, None) ** 2
    season = 1 + profile.cooling * summer * _COOLING_SHAPE + 0.05 * winter
    shape = (profile.base + profile.work * _activity(profile, days)) * season * profile.scale
    noise = _log_noise(u[:, :INTERVALS_PER_DAY], 0.04) * _log_noise(u[:, [_DAY_LEVEL]], 0.05)
    return np.clip(asset.size_kw * shape * noise, 0.0, asset.size_kw)


def _pv_kw(asset: SyntheticAsset, days: Sequence[date], u: np.ndarray) -> np.ndarray:
    """Clear-sky bell from sunrise to sunset (day length 10-14 h) x the day's clearness."""
    season = np.sin(2 * np.pi * (_day_of_year(days) - 80) / _YEAR_DAYS)
    day_length_h = 12 + 2.1 * season
    x = (_HOURS - (12 - day_length_h / 2)) / day_length_h
    bell = np.where((x > 0) & (x < 1), np.sin(np.pi * np.clip(x, 0, 1)) ** 1.3, 0.0)
    clearness = 0.15 + 0.85 * u[:, [_CLEARNESS]] ** 0.6
    noise = _log_noise(u[:, :INTERVALS_PER_DAY], 0.3 * (1 - clearness))
    kw = asset.size_kw * (0.8 + 0.12 * season) * bell * clearness * noise
    return np.clip(kw, 0.0, asset.size_kw)


#: Daily cycles of a battery: (charge from, to), (discharge from, to) in local hours.
_CYCLES_H = (((0, 6), (8, 11)), ((11, 14), (17, 21)))


def battery_day_kw(spec: BatterySpec) -> np.ndarray:
    """Net kW of a full arbitrage day, shape (96,): + charging, - discharging.

    Each cycle stores what the usable capacity and both power limits allow and gives it
    all back, so the state of charge ends the day where it began and stays in bounds.
    """
    out = np.zeros(INTERVALS_PER_DAY)
    usable_kwh = (spec.soc_max - spec.soc_min) * spec.energy_capacity_kwh
    per_hour = 60 // INTERVAL_MINUTES
    for (c0, c1), (d0, d1) in _CYCLES_H:
        stored_kwh = min(
            usable_kwh,
            spec.max_charge_kw * (c1 - c0) * spec.charge_efficiency,
            spec.max_discharge_kw * (d1 - d0) / spec.discharge_efficiency,
        )
        out[c0 * per_hour : c1 * per_hour] = stored_kwh / spec.charge_efficiency / (c1 - c0)
        out[d0 * per_hour : d1 * per_hour] = -stored_kwh * spec.discharge_efficiency / (d1 - d0)
    return out


def _battery_kw(asset: SyntheticAsset, days: Sequence[date], u: np.ndarray) -> np.ndarray:
    """The arbitrage day scaled by a daily use of 60-100%; idle on 4% of days."""
    use = np.where(u[:, [_RUNS]] < 0.04, 0.0, 0.6 + 0.4 * u[:, [_DAY_LEVEL]])
    return battery_day_kw(asset.spec) * use  # type: ignore[arg-type]


def _shiftable_kw(asset: SyntheticAsset, days: Sequence[date], u: np.ndarray) -> np.ndarray:
    """One run at power_kw placed at random in its window, on most working days."""
    spec: ShiftableLoadSpec = asset.spec  # type: ignore[assignment]
    length = minutes_to_intervals(spec.run_duration_minutes)
    starts = spec.latest_end_interval - spec.earliest_start_interval - length + 1
    start = spec.earliest_start_interval + np.floor(u[:, [_RUN_START]] * starts)
    runs = u[:, [_RUNS]] < 0.95 * _activity(PROFILES[asset.profile], days)
    index = np.arange(INTERVALS_PER_DAY)
    on = runs & (index >= start) & (index < start + length)
    kw = spec.power_kw * on * _log_noise(u[:, :INTERVALS_PER_DAY], 0.02)
    return np.clip(kw, 0.0, spec.power_kw)


_SHAPERS = {
    "curtailable": _load_kw,
    "shiftable": _shiftable_kw,
    "battery": _battery_kw,
    "pv": _pv_kw,
}


def asset_history(seed: int, asset: SyntheticAsset, days: Sequence[date]) -> np.ndarray:
    """Average kW of each 15-minute interval of `days`, shape (len(days), 96), float64.

    The same (seed, asset.key, day) always gives the same row, whatever other days are
    asked for; cost grows with the span from the first to the last day.
    """
    if len(days) == 0:
        return np.zeros((0, INTERVALS_PER_DAY))
    ordinals = np.array([d.toordinal() for d in days], dtype=np.int64)
    return _SHAPERS[asset.kind](asset, days, _uniforms(seed, asset.key, ordinals))


#: history_array refuses to build more than this many bytes (a year of 1,000 assets is 280 MB).
MAX_ARRAY_BYTES = 1 << 30


@dataclass(frozen=True)
class SyntheticPark:
    """Enterprises and assets of one seed; history is made on demand, one asset at a time."""

    seed: int
    enterprises: tuple[SyntheticEnterprise, ...]
    assets: tuple[SyntheticAsset, ...]

    def of_kind(self, *kinds: str) -> tuple[SyntheticAsset, ...]:
        """Assets of any of `kinds` (all assets when none are named)."""
        return tuple(a for a in self.assets if not kinds or a.kind in kinds)

    def specs(self) -> dict[str, tuple[str, AssetSpec]]:
        """asset_id -> (enterprise_id, domain spec), the shape enrolment helpers take."""
        return {a.asset_id: (a.enterprise_id, a.spec) for a in self.assets}

    def history(self, asset: SyntheticAsset, days: Sequence[date]) -> np.ndarray:
        """Average kW per interval of `asset` on `days`, shape (len(days), 96)."""
        return asset_history(self.seed, asset, days)

    def iter_history(
        self, days: Sequence[date], kinds: Sequence[str] = ()
    ) -> Iterator[tuple[SyntheticAsset, np.ndarray]]:
        """(asset, kW of shape (len(days), 96)) per asset of `kinds`; one asset in memory."""
        for asset in self.of_kind(*kinds):
            yield asset, self.history(asset, days)

    def history_array(
        self, days: Sequence[date], kinds: Sequence[str] = (), max_bytes: int = MAX_ARRAY_BYTES
    ) -> np.ndarray:
        """kW of every asset of `kinds`, shape (assets, len(days), 96), for small parks.

        Raises ValueError when it would take more than `max_bytes`; use iter_history then.
        """
        chosen = self.of_kind(*kinds)
        size = len(chosen) * len(days) * INTERVALS_PER_DAY * 8
        if size > max_bytes:
            raise ValueError(f"history array of {size / 1e9:.1f} GB; iterate with iter_history")
        out = np.empty((len(chosen), len(days), INTERVALS_PER_DAY))
        for n, asset in enumerate(chosen):
            out[n] = self.history(asset, days)
        return out

    def iter_readings(
        self, days: Sequence[date], kinds: Sequence[str] = (), days_per_block: int = 0
    ) -> Iterator[ReadingBlock]:
        """Flat reading arrays per asset, `days_per_block` days each (0: all days at once).

        Raises ValueError for a negative `days_per_block`.
        """
        if days_per_block < 0:
            raise ValueError(f"days_per_block must be >= 0, got {days_per_block}")
        step = days_per_block or max(1, len(days))
        day64 = np.array(days, dtype="datetime64[D]")
        epoch_s = interval_end_epoch_s(days)
        interval = np.arange(INTERVALS_PER_DAY, dtype=np.int64)
        for asset, kw in self.iter_history(days, kinds):
            for s in range(0, len(days), step):
                block = slice(s, s + step)
                yield ReadingBlock(
                    asset.asset_id,
                    asset.enterprise_id,
                    np.repeat(day64[block], INTERVALS_PER_DAY),
                    np.tile(interval, len(day64[block])),
                    epoch_s[block].ravel(),
                    kw[block].ravel(),
                )


def build_park(
    seed: int, enterprises: int, assets: int, mix: AssetMix | None = None
) -> SyntheticPark:
    """A park of `enterprises` with `assets` assets of the kinds in `mix`, all from `seed`.

    Asset n belongs to enterprise n % enterprises; kinds are shuffled over the assets.
    Raises ValueError for a seed outside 0..2**64-1, a negative asset count, no
    enterprises, or a bad mix.
    """
    if not 0 <= seed < 2**64 or enterprises < 1 or assets < 0:
        raise ValueError(f"need 0 <= seed < 2**64, enterprises >= 1, assets >= 0: {seed=}")
    rng = np.random.default_rng(seed)
    names = list(_PROFILE_WEIGHTS)
    drawn = rng.choice(len(names), size=enterprises, p=list(_PROFILE_WEIGHTS.values()))
    ents = tuple(
        SyntheticEnterprise(f"ent-{n:04d}", f"Synthetic {names[p]} {n:04d}", names[p])
        for n, p in enumerate(drawn)
    )
    kinds = rng.permutation(np.repeat(np.arange(len(KINDS)), (mix or AssetMix()).counts(assets)))
    made = []
    for n, k in enumerate(kinds):
        kind, owner = KINDS[k], ents[n % enterprises]
        spec, size_kw = _SPEC_MAKERS[kind](rng, PROFILES[owner.profile])
        asset_id = f"{_ID_PREFIX[kind]}-{n:06d}"
        made.append(
            SyntheticAsset(asset_id, owner.enterprise_id, kind, owner.profile, size_kw, spec, n)
        )
    return SyntheticPark(seed, ents, tuple(made))
