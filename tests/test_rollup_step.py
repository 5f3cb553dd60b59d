"""The rollup step on real Valkey: events applied together give what one at a time gives."""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bidding.intervals import interval_end
from services.runtime.store import tenant_key
from services.telemetry import columns
from services.telemetry.rollup_script import POWER_RECORD
from services.telemetry.rollups import ColumnBatch, Rollups

DAY = date(2026, 3, 2)
ASSETS = ("meter-a", "meter-b", "meter-c")
START_S = int(interval_end(DAY, 0).timestamp()) - 900


#: One reading: asset, register (else power), seconds into the day (interval ends for
#: registers), value.
READING = st.tuples(
    st.integers(0, len(ASSETS) - 1),
    st.booleans(),
    st.one_of(st.integers(1, 4).map(lambda n: 900 * n), st.integers(1, 3700)),
    st.sampled_from((0.0, 2.5, 7.0, 1000.0, 999.0)),
)
#: An event: its id (drawn from few, so some repeat, with other readings) and readings.
EVENT = st.tuples(st.integers(0, 5), st.lists(READING, max_size=12))

_enterprises = (f"ent-{n}" for n in itertools.count())


def batch(enterprise_id: str, event) -> ColumnBatch:
    event_no, readings = event
    epochs = [
        START_S + (900 * max(1, seconds // 900) if register else seconds)
        for _, register, seconds, _ in readings
    ]
    return ColumnBatch(
        f"evt-{event_no}",
        enterprise_id,
        columns.from_arrays(
            ASSETS,
            [asset for asset, *_ in readings],
            epochs,
            [value for *_, value in readings],
            [columns.REGISTER if register else columns.POWER for _, register, _, _ in readings],
        ),
        bidirectional=[False, True, False],
    )


def stored(client: redis.Redis, rollups: Rollups, enterprise_id: str):
    """Rollups, counts and per asset-day the kept power readings and register values."""
    days = [date.fromordinal(DAY.toordinal() + k) for k in (-1, 0, 1)]
    kw, counts = rollups.days_kw([(enterprise_id, a) for a in ASSETS], days)
    slots = [(enterprise_id, a, d) for a in ASSETS for d in days]
    powers = rollups.stored_powers(slots)
    registers = [client.hgetall(tenant_key(e, "readings", a, d.isoformat())) for e, a, d in slots]
    for (e, a, d), kept in zip(slots, powers, strict=True):
        records = client.get(tenant_key(e, "powers", a, d.isoformat())) or b""
        epochs = np.frombuffer(records, POWER_RECORD)["epoch"]
        assert (np.diff(epochs.astype(np.int64)) > 0).all(), "records not in epoch order"
        assert len(epochs) == len(kept)
    return kw, counts, list(zip(powers, registers, strict=True))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(events=st.lists(EVENT, min_size=1, max_size=6))
def test_events_applied_together_equal_one_at_a_time(redis_client, events):
    client = redis_client
    rollups = Rollups(client)
    together, alone = next(_enterprises), next(_enterprises)
    added_together = rollups.apply_many([batch(together, e) for e in events])
    added_alone = [rollups.apply_many([batch(alone, e)])[0] for e in events]
    assert added_together == added_alone
    kw_t, counts_t, hashes_t = stored(client, rollups, together)
    kw_a, counts_a, hashes_a = stored(client, rollups, alone)
    np.testing.assert_array_equal(counts_t, counts_a)
    np.testing.assert_allclose(kw_t, kw_a, rtol=1e-12)  # the same sums, maybe in other order
    assert hashes_t == hashes_a
    # Applied again, every event is known and nothing changes.
    assert rollups.apply_many([batch(together, e) for e in events]) == [-1] * len(events)
    np.testing.assert_array_equal(stored(client, rollups, together)[1], counts_t)


def test_a_first_value_wins_and_counts_once_across_events(redis_client):
    client = redis_client
    rollups = Rollups(client)
    enterprise_id = next(_enterprises)
    at = 900 * 7
    first = (1, [(0, False, at, 10.0), (0, False, at, 99.0), (0, False, at + 1, 20.0)])
    second = (2, [(0, False, at, 50.0), (0, False, at + 2, 30.0)])
    assert rollups.apply_many([batch(enterprise_id, first), batch(enterprise_id, second)]) == [
        2,
        1,
    ]
    kw, counts = rollups.day_kw(enterprise_id, "meter-a", [DAY])[DAY]
    assert counts[6] == 1 and counts[7] == 2  # 900 * 7 ends interval 6; +1, +2 are in 7
    assert kw[6] == pytest.approx(10.0) and kw[7] == pytest.approx(25.0)


#: A power reading: asset, seconds into the day, kW (any finite value a meter may send).
POWER = st.tuples(
    st.integers(0, len(ASSETS) - 1),
    st.integers(1, 3700),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


def power_only(enterprise_id: str, event_no: int, readings) -> ColumnBatch:
    return batch(enterprise_id, (event_no, [(a, False, s, v) for a, s, v in readings]))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    events=st.lists(st.tuples(st.integers(0, 5), st.lists(POWER, max_size=12)), max_size=8),
    cuts=st.lists(st.integers(0, 8), max_size=4),
)
def test_power_readings_roll_up_first_value_wins_however_events_are_grouped(
    redis_client, events, cuts
):
    """Whatever events share a call (quick or reading by reading, a day empty or not), the
    rollups are those of the rule: an event id applies once, the first value of an asset's
    second wins, an interval sums and counts the readings that won."""
    rollups = Rollups(redis_client)
    enterprise_id = next(_enterprises)
    applied: set[int] = set()
    values: dict[tuple[int, int], float] = {}
    sums: dict[tuple[int, int, int], float] = {}
    counts: dict[tuple[int, int, int], int] = {}
    want = []
    for event_no, readings in events:
        if event_no in applied:
            want.append(-1)
            continue
        applied.add(event_no)
        want.append(0)
        for asset_no, seconds, kw in readings:
            if (asset_no, seconds) in values:
                continue
            values[(asset_no, seconds)] = kw
            day, interval = columns.locate_period_ends(np.array([START_S + seconds]))
            cell = (asset_no, int(day[0]), int(interval[0]))
            sums[cell] = sums.get(cell, 0.0) + kw
            counts[cell] = counts.get(cell, 0) + 1
            want[-1] += 1
    got = []
    for start, end in itertools.pairwise([0, *sorted(set(cuts)), len(events)]):
        part = [power_only(enterprise_id, no, readings) for no, readings in events[start:end]]
        got += rollups.apply_many(part) if part else []
    assert got == want
    kw, count, hashes = stored(redis_client, rollups, enterprise_id)
    days = [columns.day_number(date.fromordinal(DAY.toordinal() + k)) for k in (-1, 0, 1)]
    expected_counts = np.zeros_like(count)
    expected_kw = np.full(kw.shape, np.nan)
    for (asset_no, day, interval), n in counts.items():
        expected_counts[asset_no, days.index(day), interval] = n
        expected_kw[asset_no, days.index(day), interval] = sums[(asset_no, day, interval)] / n
    np.testing.assert_array_equal(count, expected_counts)
    np.testing.assert_allclose(kw, expected_kw, rtol=1e-12, atol=1e-9)
    fields = {
        (asset_no, epoch - START_S): value
        for asset_no in range(len(ASSETS))
        for d in range(3)
        for epoch, value in hashes[asset_no * 3 + d][0].items()
    }
    assert fields == values


def test_power_readings_kept_in_the_readings_hash_by_earlier_versions_still_count(
    redis_client,
):
    """A day written before power readings moved to their packed records: its seconds in
    the readings hash are held, a repeat of one adds nothing, and new ones go on as
    records (out of order too) beside them."""
    rollups = Rollups(redis_client)
    enterprise_id = next(_enterprises)
    legacy = tenant_key(enterprise_id, "readings", ASSETS[0], DAY.isoformat())
    redis_client.hset(legacy, mapping={str(START_S + 100): 5.0, str(START_S + 200): 6.0})
    added = rollups.apply_many(
        [power_only(enterprise_id, 1, [(0, 200, 60.0), (0, 300, 7.0), (0, 150, 8.0)])]
    )
    assert added == [2]
    [kept] = rollups.stored_powers([(enterprise_id, ASSETS[0], DAY)])
    assert kept == {START_S + 100: 5.0, START_S + 200: 6.0, START_S + 150: 8.0, START_S + 300: 7.0}
    records = redis_client.get(tenant_key(enterprise_id, "powers", ASSETS[0], DAY.isoformat()))
    assert np.frombuffer(records, POWER_RECORD)["epoch"].tolist() == [START_S + 150, START_S + 300]


def test_a_slot_takes_the_quick_way_only_for_readings_after_those_it_holds(redis_client):
    """Readings that rise but start before the last one held (a gateway resending an
    overlap) are checked one by one: the overlap adds nothing, the rest is kept in order."""
    rollups = Rollups(redis_client)
    enterprise_id = next(_enterprises)
    first = [(1, s, float(s)) for s in (10, 20, 30, 40)]
    overlap = [(1, s, float(s) + 0.5) for s in (25, 30, 35, 40, 50)]
    assert rollups.apply_many([power_only(enterprise_id, 1, first)]) == [4]
    assert rollups.apply_many([power_only(enterprise_id, 2, overlap)]) == [3]
    [kept] = rollups.stored_powers([(enterprise_id, ASSETS[1], DAY)])
    assert kept == {
        START_S + s: v
        for s, v in [(10, 10), (20, 20), (25, 25.5), (30, 30), (35, 35.5), (40, 40), (50, 50.5)]
    }
    stored(redis_client, rollups, enterprise_id)  # records in epoch order
    kw, counts = rollups.day_kw(enterprise_id, ASSETS[1], [DAY])[DAY]
    assert counts[0] == 7 and kw[0] == pytest.approx(sum(kept.values()) / 7)
