"""The certificate ledger against a real Valkey: serials, splits, ownership, replays, races."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certificates import exceptions as err
from certificates.lots import Balance, Lot, LotStatus
from certificates.mandates import MandateScope
from certificates.store import CertificateLedger

H0 = datetime(2026, 3, 10, 4, tzinfo=UTC)
HOUR = timedelta(hours=1)
NOW = datetime(2026, 4, 1, tzinfo=UTC)
PERIOD = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


@pytest.fixture()
def ledger(redis_client: redis.Redis) -> CertificateLedger:
    return CertificateLedger(redis_client)


def _issue(ledger: CertificateLedger, request_id: str, hours, owner="ent-a", gen="gen-1"):
    return ledger.issue(request_id, gen, "pv", "CN-JS", owner, hours)


def _retire(ledger, request_id, lot_id, owner="ent-a", energy_wh=0, at=NOW):
    return ledger.retire(request_id, lot_id, owner, owner, energy_wh, *PERIOD, at)


def _all_lots(ledger: CertificateLedger) -> list[Lot]:
    lots, token = ledger.list_lots(page_size=1000)
    assert token == ""
    return lots


def _span(lot: Lot) -> tuple[int, int]:
    return lot.serial_start, lot.serial_end


def _assert_consistent(ledger: CertificateLedger, owners) -> None:
    """issued = active + retired everywhere, and serials tile [0, issued) exactly once."""
    lots = _all_lots(ledger)
    totals = ledger.totals()
    assert totals["issued_wh"] == totals["active_wh"] + totals["retired_wh"]
    for status, field in ((LotStatus.ACTIVE, "active_wh"), (LotStatus.RETIRED, "retired_wh")):
        assert sum(lot.energy_wh for lot in lots if lot.status is status) == totals[field]
        for owner in owners:
            mine = sum(
                x.energy_wh for x in lots if x.status is status and x.owner_enterprise_id == owner
            )
            assert getattr(ledger.balance(owner), field) == mine
    spans = sorted(_span(lot) for lot in lots)
    assert all(end - start > 0 for start, end in spans)
    assert [s for s, _ in spans[1:]] == [e for _, e in spans[:-1]]
    assert (spans[0][0] if spans else 0, spans[-1][1] if spans else 0) == (0, totals["issued_wh"])


def test_issue_gives_contiguous_serials_and_counts(ledger):
    lots = _issue(ledger, "r1", [(H0, 2_500_000), (H0 + HOUR, 0), (H0 + 2 * HOUR, 700)])
    assert [_span(x) for x in lots] == [(0, 2_500_000), (2_500_000, 2_500_700)]
    assert [x.production_hour_start for x in lots] == [H0, H0 + 2 * HOUR]
    assert ledger.get_lot(lots[0].lot_id) == lots[0]
    assert ledger.totals() == {
        "issued_wh": 2_500_700,
        "active_wh": 2_500_700,
        "retired_wh": 0,
        "expired_wh": 0,
    }
    assert ledger.balance("ent-a") == Balance("ent-a", 2_500_700, 0, 2, 500_700)
    assert ledger.issued_between(H0, H0 + 2 * HOUR) == 2_500_000
    assert ledger.issued_between(H0 - timedelta(minutes=30), H0 + 3 * HOUR) == 2_500_700


def test_whole_transfer_keeps_the_lot(ledger):
    (lot,) = _issue(ledger, "r1", [(H0, 1_000)])
    moved, rest = ledger.transfer("t1", lot.lot_id, "ent-a", "ent-b", trade_id="trade-9")
    assert rest is None
    assert moved == replace(lot, owner_enterprise_id="ent-b", trade_id="trade-9")
    _assert_consistent(ledger, ["ent-a", "ent-b"])


def test_partial_transfer_gives_low_serials_to_a_new_child_lot(ledger):
    (lot,) = _issue(ledger, "r1", [(H0, 2_500_000)])
    moved, rest = ledger.transfer("t1", lot.lot_id, "ent-a", "ent-b", 1_000_000)
    assert rest is not None
    assert moved.lot_id != lot.lot_id and moved.parent_lot_id == lot.lot_id
    assert (moved.serial_start, moved.serial_end, moved.energy_wh) == (0, 1_000_000, 1_000_000)
    assert (rest.lot_id, rest.serial_start, rest.serial_end) == (lot.lot_id, 1_000_000, 2_500_000)
    assert rest.energy_wh == rest.serial_end - rest.serial_start == 1_500_000
    assert ledger.get_lot(lot.lot_id) == rest and ledger.get_lot(moved.lot_id) == moved
    assert ledger.balance("ent-b").active_gec == 1
    _assert_consistent(ledger, ["ent-a", "ent-b"])


def test_partial_retire_splits_and_moves_counters(ledger):
    (lot,) = _issue(ledger, "r1", [(H0, 3_000)])
    retired, rest = _retire(ledger, "x1", lot.lot_id, energy_wh=1_200)
    assert retired.status is LotStatus.RETIRED and rest.status is LotStatus.ACTIVE
    assert (retired.serial_start, retired.serial_end, rest.serial_start) == (0, 1_200, 1_200)
    assert (retired.consumption_period_start, retired.consumption_period_end) == PERIOD
    assert ledger.totals() == {
        "issued_wh": 3_000,
        "active_wh": 1_800,
        "retired_wh": 1_200,
        "expired_wh": 0,
    }
    assert ledger.retired_for("ent-a", *PERIOD) == [retired]
    assert ledger.retired_for("ent-a", PERIOD[1], PERIOD[1] + HOUR) == []
    assert ledger.retired_for("ent-b", *PERIOD) == []
    _assert_consistent(ledger, ["ent-a"])


def test_cannot_take_more_than_the_lot(ledger):
    (lot,) = _issue(ledger, "r1", [(H0, 1_000)])
    with pytest.raises(err.InsufficientEnergy) as info:
        ledger.transfer("t1", lot.lot_id, "ent-a", "ent-b", 1_001)
    assert (info.value.available_wh, info.value.requested_wh) == (1_000, 1_001)
    with pytest.raises(err.InsufficientEnergy):
        _retire(ledger, "x1", lot.lot_id, energy_wh=5_000)
    assert ledger.get_lot(lot.lot_id) == lot
    assert ledger.totals()["active_wh"] == 1_000


def test_only_the_owner_moves_a_lot_and_is_not_told_who_owns_it(ledger):
    (lot,) = _issue(ledger, "r1", [(H0, 1_000)])
    with pytest.raises(err.NotOwner) as info:
        ledger.transfer("t1", lot.lot_id, "ent-x", "ent-b")
    assert "ent-a" not in str(info.value)
    with pytest.raises(err.NotOwner):
        _retire(ledger, "x1", lot.lot_id, owner="ent-x")
    with pytest.raises(err.LotNotFound):
        ledger.transfer("t2", "GEC-404", "ent-a", "ent-b")
    with pytest.raises(err.LotNotFound):
        ledger.get_lot("GEC-404")


def test_retired_serials_never_move_again(ledger):
    (lot,) = _issue(ledger, "r1", [(H0, 1_000)])
    _retire(ledger, "x1", lot.lot_id)
    with pytest.raises(err.AlreadyRetired):
        _retire(ledger, "x2", lot.lot_id)
    with pytest.raises(err.AlreadyRetired):
        ledger.transfer("t1", lot.lot_id, "ent-a", "ent-b", 10)
    assert ledger.totals() == {
        "issued_wh": 1_000,
        "active_wh": 0,
        "retired_wh": 1_000,
        "expired_wh": 0,
    }


def test_overlapping_issuance_is_rejected_whole_and_adjacent_hours_are_fine(ledger):
    _issue(ledger, "r1", [(H0, 1_000), (H0 + HOUR, 1_000)])
    with pytest.raises(err.OverlappingIssuance) as info:
        _issue(ledger, "r2", [(H0 + 2 * HOUR, 5), (H0 + HOUR, 5)])
    assert info.value.generator_asset_id == "gen-1"
    assert ledger.totals()["issued_wh"] == 2_000  # all or nothing: hour 2 was not issued
    _issue(ledger, "r3", [(H0 - HOUR, 5), (H0 + 2 * HOUR, 5)])
    _issue(ledger, "r4", [(H0, 7)], gen="gen-2")
    assert ledger.totals()["issued_wh"] == 2_017


def test_replay_returns_the_original_result_and_changes_nothing(ledger, redis_client):
    hours = [(H0, 1_500_000), (H0 + HOUR, 10)]
    lots = _issue(ledger, "r1", hours)
    moved = ledger.transfer("t1", lots[0].lot_id, "ent-a", "ent-b", 400_000)
    retired = _retire(ledger, "x1", moved[0].lot_id, owner="ent-b", energy_wh=100_000)
    snapshot = {key: redis_client.dump(key) for key in redis_client.keys("*")}
    assert _issue(ledger, "r1", list(reversed(hours))) == lots
    assert ledger.transfer("t1", lots[0].lot_id, "ent-a", "ent-b", 400_000) == moved
    later = datetime(2030, 1, 1, tzinfo=UTC)  # `at` is not part of the request identity
    again = _retire(ledger, "x1", moved[0].lot_id, owner="ent-b", energy_wh=100_000, at=later)
    assert again == retired
    assert {key: redis_client.dump(key) for key in redis_client.keys("*")} == snapshot


def test_request_id_reused_with_other_parameters_is_rejected(ledger):
    (lot,) = _issue(ledger, "r1", [(H0, 1_000)])
    with pytest.raises(err.DuplicateRequest):
        _issue(ledger, "r1", [(H0 + HOUR, 1_000)])
    with pytest.raises(err.DuplicateRequest):
        ledger.transfer("r1", lot.lot_id, "ent-a", "ent-b")
    assert ledger.get_lot(lot.lot_id).owner_enterprise_id == "ent-a"


def test_expired_lot_cannot_be_retired(ledger):
    (lot,) = _issue(ledger, "r1", [(H0, 1_000)])  # produced March 2026, valid through Feb 2028
    with pytest.raises(err.LotExpired):
        _retire(ledger, "x1", lot.lot_id, at=datetime(2028, 2, 29, 16, tzinfo=UTC))
    retired, _ = _retire(ledger, "x2", lot.lot_id, at=datetime(2028, 2, 29, 15, 59, tzinfo=UTC))
    assert retired.status is LotStatus.RETIRED


def test_list_lots_pages_and_filters(ledger):
    lots = _issue(ledger, "r1", [(H0 + n * HOUR, 100 + n) for n in range(5)])
    ledger.transfer("t1", lots[1].lot_id, "ent-a", "ent-b")
    _retire(ledger, "x1", lots[2].lot_id)
    seen, token = [], ""
    while True:
        page, token = ledger.list_lots(page_size=2, page_token=token)
        seen += page
        if not token:
            break
    assert [lot.lot_id for lot in seen] == [lot.lot_id for lot in lots]
    active_a, _ = ledger.list_lots("ent-a", LotStatus.ACTIVE)
    assert [lot.lot_id for lot in active_a] == [lots[0].lot_id, lots[3].lot_id, lots[4].lot_id]
    assert [lot.lot_id for lot in ledger.list_lots("ent-b")[0]] == [lots[1].lot_id]
    assert [lot.lot_id for lot in ledger.list_lots(status=LotStatus.RETIRED)[0]] == [lots[2].lot_id]
    with pytest.raises(err.InvalidInput):
        ledger.list_lots(page_token="abc")


@pytest.mark.parametrize(
    "call",
    [
        lambda led, client: _issue(led, "r", [(H0 + timedelta(minutes=15), 1)]),
        lambda led, client: _issue(led, "r", [(datetime(2026, 3, 10, 4), 1)]),
        lambda led, client: _issue(led, "r", [(H0, 1), (H0, 2)]),
        lambda led, client: _issue(led, "r", [(H0, -1)]),
        lambda led, client: led.issue("r", "gen-1", "coal", "CN-JS", "ent-a", [(H0, 1)]),
        lambda led, client: led.issue("", "gen-1", "pv", "CN-JS", "ent-a", [(H0, 1)]),
        lambda led, client: led.transfer("t", "GEC-1", "ent-a", "ent-a"),
        lambda led, client: led.retire("x", "GEC-1", "ent-a", "ent-a", 0, *PERIOD[::-1], NOW),
        lambda led, client: CertificateLedger(client, "parkvpp:ledger"),
    ],
)
def test_invalid_input_is_rejected_before_redis(ledger, redis_client, call):
    with pytest.raises(err.InvalidInput):
        call(ledger, redis_client)
    assert ledger.totals()["issued_wh"] == 0


def _race(count: int, action) -> list:
    """Run action(0..count-1) on threads released together; results or raised errors."""
    barrier, outcomes = threading.Barrier(count), []

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            outcomes.append(action(n))
        except err.CertificateError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_threads_retiring_the_same_lot_exactly_one_wins(ledger):
    (lot,) = _issue(ledger, "r1", [(H0, 1_000)])
    outcomes = _race(2, lambda n: _retire(ledger, f"x{n}", lot.lot_id))
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyRetired", "tuple"]
    assert ledger.totals()["retired_wh"] == 1_000


def test_many_threads_taking_slices_never_overdraw(ledger):
    (lot,) = _issue(ledger, "r1", [(H0, 5)])
    outcomes = _race(8, lambda n: ledger.transfer(f"t{n}", lot.lot_id, "ent-a", f"ent-{n}", 1))
    wins = [o[0] for o in outcomes if isinstance(o, tuple)]
    # Losers see NotOwner once the last slice moved the whole remaining lot away.
    assert all(isinstance(o, tuple | err.NotOwner | err.InsufficientEnergy) for o in outcomes)
    assert len(wins) == 5
    assert sorted(w.serial_start for w in wins) == [0, 1, 2, 3, 4]
    _assert_consistent(ledger, ["ent-a"] + [f"ent-{n}" for n in range(8)])


OWNERS = ["ent-a", "ent-b", "ent-c"]
_op = st.tuples(
    st.sampled_from(["transfer", "retire", "replay", "trade"]),
    st.integers(0, 30),  # which lot
    st.integers(0, 2),  # acting enterprise
    st.integers(0, 2),  # counterparty
    st.integers(0, 1_200),  # energy_wh (0 = whole lot)
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    issued=st.lists(st.integers(1, 1_000), min_size=1, max_size=4),
    ops=st.lists(_op, min_size=5, max_size=25),
)
def test_random_operations_keep_issued_equal_active_plus_retired_and_verify(
    redis_client, issued, ops
):
    redis_client.flushdb()
    ledger = CertificateLedger(redis_client)
    _issue(ledger, "r0", [(H0 + n * HOUR, wh) for n, wh in enumerate(issued)])
    # Every owner lets every other retire for it (retire_for mandates, no Wh cap).
    for grantor in OWNERS:
        for grantee in OWNERS:
            if grantee != grantor:
                ledger.grant_mandate(
                    f"m-{grantor}-{grantee}",
                    f"m-{grantor}-{grantee}",
                    grantor,
                    MandateScope.RETIRE_FOR,
                    grantee,
                    NOW - HOUR,
                    2 * HOUR,
                )
    done: list[tuple] = []
    for n, (kind, which, actor, other, energy_wh) in enumerate(ops):
        lots = _all_lots(ledger)
        lot_id = lots[which % len(lots)].lot_id
        args = (lot_id, OWNERS[actor], OWNERS[other], energy_wh)
        try:
            if kind == "replay" and done:
                before = ledger.totals()
                request_id, call_args, result = done[which % len(done)]
                assert ledger.transfer(request_id, *call_args) == result
                assert ledger.totals() == before
            elif kind == "transfer" and actor != other:
                done.append((f"t{n}", args, ledger.transfer(f"t{n}", *args)))
            elif kind == "retire":
                ledger.retire(f"x{n}", *args[:3], energy_wh, *PERIOD, NOW)
            elif kind == "trade" and actor != other and energy_wh > 0:
                ledger.propose_green_trade(f"p{n}", f"T{n}", *args, 7_000_000, NOW, HOUR)
                ledger.accept_green_trade(f"a{n}", f"T{n}", OWNERS[other], NOW)
                ledger.settle_green_trade(f"g{n}", f"T{n}", NOW)
        except err.CertificateError as error:
            assert isinstance(error, err.NotOwner | err.AlreadyRetired | err.InsufficientEnergy)
    _assert_consistent(ledger, OWNERS)
    lots = _all_lots(ledger)
    for n, issued_wh in enumerate(issued):
        hour = ledger.generator_hour("gen-1", H0 + n * HOUR)
        mine = [lot for lot in lots if lot.production_hour_start == H0 + n * HOUR]
        retired_wh = sum(lot.energy_wh for lot in mine if lot.status is LotStatus.RETIRED)
        assert hour == {
            "issued_wh": issued_wh,
            "active_wh": issued_wh - retired_wh,
            "retired_wh": retired_wh,
        }
    report = ledger.verify()
    assert report.ok, report


def test_expiry_sweep_finds_a_lot_exactly_at_its_expiry_and_nothing_before(ledger):
    (lot,) = _issue(ledger, "r1", [(H0, 1_000)])  # valid through Feb 2028 (Shanghai)
    expiry = datetime(2028, 2, 29, 16, tzinfo=UTC)
    assert ledger.expire_due(expiry - timedelta(seconds=1)) == []
    assert ledger.get_lot(lot.lot_id).status is LotStatus.ACTIVE
    (expired,) = ledger.expire_due(expiry)
    assert expired.lot_id == lot.lot_id and expired.status is LotStatus.EXPIRED
    assert ledger.expire_due(expiry) == []  # swept once
    balance = ledger.balance("ent-a")
    assert (balance.active_wh, balance.expired_wh) == (0, 1_000)
