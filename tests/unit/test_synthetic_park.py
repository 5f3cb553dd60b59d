"""The synthetic park that benchmarks enrol: deterministic, valid specs, plausible history."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from bidding.assets import BatterySpec, ShiftableLoadSpec, validate_spec
from bidding.intervals import INTERVALS_PER_DAY, interval_end, minutes_to_intervals
from loadtests.synthetic_park import (
    KINDS,
    AssetMix,
    SyntheticAsset,
    SyntheticPark,
    battery_day_kw,
    build_park,
    day_type,
    history_days,
)

MARKET_DAY = date(2026, 1, 1)
YEAR = history_days(MARKET_DAY)  # 2025-01-01 .. 2025-12-31


@pytest.fixture(scope="module")
def park() -> SyntheticPark:
    return build_park(seed=11, enterprises=12, assets=120)


def _first(park: SyntheticPark, kind: str, profile: str = "") -> SyntheticAsset:
    return next(a for a in park.of_kind(kind) if profile in ("", a.profile))


def test_same_seed_gives_the_same_park_and_history() -> None:
    one, two = build_park(5, 4, 30), build_park(5, 4, 30)
    assert one == two
    for a, b in zip(one.assets, two.assets, strict=True):
        assert np.array_equal(one.history(a, YEAR[:20]), two.history(b, YEAR[:20]))


def test_other_seed_and_other_asset_give_other_history() -> None:
    one, other = build_park(5, 4, 30), build_park(6, 4, 30)
    load = _first(one, "curtailable")
    assert not np.array_equal(one.history(load, YEAR[:7]), other.history(load, YEAR[:7]))
    first, second = one.of_kind("curtailable")[:2]
    assert not np.allclose(
        one.history(first, YEAR[:7]) / first.size_kw, one.history(second, YEAR[:7]) / second.size_kw
    )


def test_a_day_is_the_same_whatever_window_it_is_asked_in(park: SyntheticPark) -> None:
    for kind in KINDS:
        asset = _first(park, kind)
        assert np.array_equal(
            park.history(asset, YEAR)[100:110], park.history(asset, YEAR[100:110])
        )


def test_counts_of_enterprises_assets_and_kinds() -> None:
    mix = AssetMix(curtailable=5, shiftable=2, battery=1, pv=2)
    park = build_park(1, 7, 101, mix)
    assert len(park.enterprises) == 7
    assert len(park.assets) == len({a.asset_id for a in park.assets}) == 101
    counts = {kind: len(park.of_kind(kind)) for kind in KINDS}
    assert counts == {"curtailable": 51, "shiftable": 20, "battery": 10, "pv": 20}
    assert {a.enterprise_id for a in park.assets} == {e.enterprise_id for e in park.enterprises}
    assert len(build_park(1, 3, 9, AssetMix(1, 0, 0, 0)).of_kind("curtailable")) == 9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_spec_passes_validation(seed: int) -> None:
    for asset_id, (enterprise_id, spec) in build_park(seed, 10, 200).specs().items():
        validate_spec(spec, asset_id)
        assert enterprise_id.startswith("ent-")


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        build_park(-1, 1, 1)
    largest = build_park(2**64 - 1, 1, 1)
    assert largest.history(largest.assets[0], YEAR[:1]).shape == (1, INTERVALS_PER_DAY)
    with pytest.raises(ValueError):
        build_park(2**64, 1, 1)
    with pytest.raises(ValueError):
        build_park(1, 0, 1)
    with pytest.raises(ValueError):
        AssetMix(0, 0, 0, 0).counts(5)


def test_a_year_of_one_asset_is_365_days_of_96_intervals(park: SyntheticPark) -> None:
    assert YEAR[0] == date(2025, 1, 1) and YEAR[-1] == MARKET_DAY - timedelta(days=1)
    history = park.history(_first(park, "curtailable"), YEAR)
    assert history.shape == (365, INTERVALS_PER_DAY) and history.dtype == np.float64


def test_values_are_finite_loads_never_negative_and_near_their_size(park: SyntheticPark) -> None:
    for asset, kw in park.iter_history(YEAR[150:250]):
        assert np.all(np.isfinite(kw))
        if asset.kind != "battery":
            assert kw.min() >= 0 and kw.max() <= asset.size_kw
    for load in park.of_kind("curtailable")[:5]:
        assert 0.9 * load.size_kw <= park.history(load, YEAR).max() <= load.size_kw


def test_two_shift_plant_draws_more_on_weekdays_than_weekends(park: SyntheticPark) -> None:
    history = park.history(_first(park, "curtailable", "two_shift"), YEAR)
    types = np.array([day_type(d) for d in YEAR])
    assert history[types == 0].mean() > 1.5 * history[types == 2].mean()
    continuous = park.history(_first(park, "curtailable", "continuous"), YEAR)
    assert continuous[types == 2].mean() > 0.9 * continuous[types == 0].mean()


def test_national_day_week_is_lower_than_the_weeks_around_it(park: SyntheticPark) -> None:
    load = _first(park, "curtailable", "two_shift")
    holiday = park.history(load, history_days(date(2025, 10, 9), 8))  # Oct 1-8
    before = park.history(load, history_days(date(2025, 9, 27), 5))  # Mon-Fri Sep 22-26
    after = park.history(load, history_days(date(2025, 10, 18), 5))  # Mon-Fri Oct 13-17
    assert holiday.mean() < 0.6 * min(before.mean(), after.mean())
    assert day_type(date(2025, 9, 28)) == 0  # a Sunday worked for the bridged holiday


def test_daily_peak_of_a_two_shift_weekday_is_in_working_hours(park: SyntheticPark) -> None:
    history = park.history(_first(park, "curtailable", "two_shift"), YEAR)
    weekdays = [n for n, d in enumerate(YEAR) if day_type(d) == 0]
    peaks = history[weekdays].argmax(axis=1)
    assert np.all((peaks >= 6 * 4) & (peaks < 22 * 4))


def test_pv_is_zero_at_night_and_producing_at_a_summer_noon(park: SyntheticPark) -> None:
    pv = _first(park, "pv")
    history = park.history(pv, YEAR)
    assert np.all(history[:, : 4 * 4] == 0) and np.all(history[:, 21 * 4 :] == 0)
    summer = [n for n, d in enumerate(YEAR) if d.month in (6, 7, 8)]
    assert np.all(history[summer, 12 * 4] > 0)
    sunny_june_noon = history[summer, 12 * 4].max()
    assert 0.7 * pv.size_kw < sunny_june_noon <= pv.size_kw


def test_battery_charges_off_peak_and_discharges_at_peaks(park: SyntheticPark) -> None:
    battery = _first(park, "battery")
    spec: BatterySpec = battery.spec  # type: ignore[assignment]
    day = battery_day_kw(spec)
    assert day[: 6 * 4].min() > 0 and day[18 * 4 : 21 * 4].max() < 0
    soc_kwh = np.cumsum(
        np.where(day > 0, day * spec.charge_efficiency, day / spec.discharge_efficiency) / 4
    )
    usable_kwh = (spec.soc_max - spec.soc_min) * spec.energy_capacity_kwh
    assert soc_kwh.min() >= -1e-6 and soc_kwh.max() <= usable_kwh + 1e-6
    assert abs(soc_kwh[-1]) < 1e-6
    history = park.history(battery, YEAR)
    assert history.min() >= -spec.max_discharge_kw and history.max() <= spec.max_charge_kw


def test_shiftable_runs_last_their_duration_inside_their_window(park: SyntheticPark) -> None:
    asset = _first(park, "shiftable")
    spec: ShiftableLoadSpec = asset.spec  # type: ignore[assignment]
    history = park.history(asset, YEAR)
    running = history > 0
    ran = running.any(axis=1)
    assert ran.mean() > 0.5
    assert np.all(running[ran].sum(axis=1) == minutes_to_intervals(spec.run_duration_minutes))
    outside = np.ones(INTERVALS_PER_DAY, dtype=bool)
    outside[spec.earliest_start_interval : spec.latest_end_interval] = False
    assert not running[:, outside].any()


def test_readings_come_as_flat_blocks_per_asset_or_asset_day(park: SyntheticPark) -> None:
    days = YEAR[-3:]
    blocks = list(park.iter_readings(days, kinds=("pv",)))
    assert len(blocks) == len(park.of_kind("pv"))
    first = blocks[0]
    assert first.kw.shape == first.interval.shape == first.epoch_s.shape == (3 * 96,)
    assert np.array_equal(first.kw, park.history(park.of_kind("pv")[0], days).ravel())
    assert first.day[96].item() == days[1] and first.interval[96] == 0
    assert first.epoch_s[100] == interval_end(days[1], 4).timestamp()
    per_day = list(park.iter_readings(days, kinds=("pv",), days_per_block=1))
    assert len(per_day) == 3 * len(blocks) and per_day[1].kw.shape == (96,)


def test_whole_park_array_only_for_small_parks(park: SyntheticPark) -> None:
    array = park.history_array(YEAR[:2], kinds=("battery", "pv"))
    assert array.shape == (len(park.of_kind("battery", "pv")), 2, INTERVALS_PER_DAY)
    with pytest.raises(ValueError, match="iter_history"):
        park.history_array(YEAR, max_bytes=len(park.assets) * 365 * 96 * 8 - 1)
