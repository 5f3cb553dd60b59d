"""The ledger's audit chain and verify() against a real Valkey, tampered with by hand."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import redis

from certificates import audit
from certificates import exceptions as err
from certificates.audit import GENESIS
from certificates.store import CertificateLedger

H0 = datetime(2026, 3, 10, 4, tzinfo=UTC)
HOUR = timedelta(hours=1)
NOW = datetime(2026, 4, 1, tzinfo=UTC)
PERIOD = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
LOG = "parkvpp:{ledger}:audit:log"


@pytest.fixture()
def ledger(redis_client: redis.Redis) -> CertificateLedger:
    return CertificateLedger(redis_client)


def _four_operations(ledger: CertificateLedger) -> str:
    """issue, transfer, propose, accept, trade, retire; returns the id of the issued lot."""
    (lot,) = ledger.issue("r1", "gen-1", "pv", "CN-JS", "ent-a", [(H0, 3_000)])
    ledger.transfer("t1", lot.lot_id, "ent-a", "ent-b", 1_000)
    # 500 Wh at 8,400,000 fen/MWh is 4,200 fen.
    ledger.propose_green_trade("p1", "T-1", lot.lot_id, "ent-a", "ent-c", 500, 8_400_000, NOW)
    ledger.accept_green_trade("a1", "T-1", "ent-c", NOW)
    ledger.settle_green_trade("g1", "T-1", NOW)
    ledger.retire("x1", lot.lot_id, "ent-a", "ent-a", 200, *PERIOD, NOW)
    return lot.lot_id


def _entries(client: redis.Redis) -> list[tuple[str, str, str]]:
    return [tuple(raw.decode().split(" ", 2)) for raw in client.lrange(LOG, 0, -1)]


def test_every_operation_appends_one_chained_entry(ledger, redis_client):
    lot_id = _four_operations(ledger)
    entries = _entries(redis_client)
    bodies = [json.loads(body) for _, _, body in entries]
    assert [b["op"] for b in bodies] == [
        "issue",
        "transfer",
        "propose",
        "accept",
        "trade",
        "retire",
    ]
    assert [b["seq"] for b in bodies] == [1, 2, 3, 4, 5, 6]
    assert [b["request_id"] for b in bodies] == ["r1", "t1", "p1", "a1", "g1", "x1"]
    prev = GENESIS
    for stored_hash, stored_prev, body in entries:
        assert stored_prev == prev
        assert stored_hash == hashlib.sha1((prev + body).encode()).hexdigest()
        assert body == json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        prev = stored_hash
    # The retire entry holds both touched lots with their fields after the operation.
    retired, rest = bodies[5]["lots"]
    assert (retired["status"], retired["energy_wh"], retired["parent_lot_id"]) == (
        "RETIRED",
        "200",
        lot_id,
    )
    assert (rest["lot_id"], rest["energy_wh"], rest["status"]) == (lot_id, "1300", "ACTIVE")
    assert bodies[4]["trade"]["amount_fen"] == "4200"
    assert [bodies[n]["trade"]["state"] for n in (2, 3, 4)] == ["PROPOSED", "ACCEPTED", "SETTLED"]
    report = ledger.verify()
    assert (report.ok, report.entries, report.first_broken_seq) == (True, 6, None)


def test_replays_and_rejected_operations_append_nothing(ledger, redis_client):
    _four_operations(ledger)
    ledger.retire("x1", "GEC-000000000001", "ent-a", "ent-a", 200, *PERIOD, NOW)
    with pytest.raises(err.InsufficientEnergy):
        ledger.transfer("t9", "GEC-000000000001", "ent-a", "ent-b", 10**9)
    assert redis_client.llen(LOG) == 6
    assert ledger.verify().ok


def test_an_edited_log_entry_is_found_at_its_seq(ledger, redis_client):
    _four_operations(ledger)
    stored_hash, prev, body = _entries(redis_client)[1]
    forged = body.replace('"owner_enterprise_id":"ent-b"', '"owner_enterprise_id":"ent-x"')
    assert forged != body
    redis_client.lset(LOG, 1, f"{stored_hash} {prev} {forged}")
    report = ledger.verify()
    assert (report.ok, report.first_broken_seq) == (False, 2)
    assert "edited" in report.reason


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_next_link(ledger, redis_client):
    _four_operations(ledger)
    _, prev, body = _entries(redis_client)[1]
    forged = body.replace('"energy_wh":"1000"', '"energy_wh":"9000"')
    new_hash = hashlib.sha1((prev + forged).encode()).hexdigest()
    redis_client.lset(LOG, 1, f"{new_hash} {prev} {forged}")
    report = ledger.verify()
    assert (report.ok, report.first_broken_seq) == (False, 3)


def test_a_removed_last_entry_is_found(ledger, redis_client):
    _four_operations(ledger)
    redis_client.rpop(LOG)
    report = ledger.verify()
    assert (report.ok, report.first_broken_seq) == (False, 6)


def test_an_edited_lot_owner_is_a_state_mismatch(ledger, redis_client):
    lot_id = _four_operations(ledger)
    redis_client.hset(f"parkvpp:{{ledger}}:lot:{lot_id}", "owner_enterprise_id", "ent-x")
    report = ledger.verify()
    assert not report.ok and report.first_broken_seq is None
    assert any(
        lot_id in error and "'ent-x'" in error and "'ent-a'" in error
        for error in report.invariant_errors
    )


def test_edited_counters_are_found(ledger, redis_client):
    _four_operations(ledger)
    redis_client.hset("parkvpp:{ledger}:balance:ent-b", "active_wh", -5)
    redis_client.hincrby("parkvpp:{ledger}:gen-hour:retired_wh", f"{int(H0.timestamp())}:gen-1", 1)
    errors = "\n".join(ledger.verify().invariant_errors)
    assert "stored balance ent-b: active_wh is negative" in errors
    assert "issued != active + retired" in errors


def test_a_second_lot_holding_the_same_serials_is_found(ledger, redis_client):
    lot_id = _four_operations(ledger)
    fields = redis_client.hgetall(f"parkvpp:{{ledger}}:lot:{lot_id}")
    redis_client.hset("parkvpp:{ledger}:lot:GEC-999", mapping={**fields, b"lot_id": b"GEC-999"})
    errors = "\n".join(ledger.verify().invariant_errors)
    assert "are in both" in errors and "lot GEC-999: stored but not in the log" in errors


def test_generator_hour_counters_follow_retirement(ledger):
    lots = ledger.issue("r1", "gen-1", "wind", "CN-JS", "ent-a", [(H0, 1_000), (H0 + HOUR, 50)])
    ledger.retire("x1", lots[0].lot_id, "ent-a", "ent-a", 300, *PERIOD, NOW)
    assert ledger.generator_hour("gen-1", H0) == {
        "issued_wh": 1_000,
        "active_wh": 700,
        "retired_wh": 300,
    }
    assert ledger.generator_hour("gen-1", H0 + HOUR)["active_wh"] == 50
    assert ledger.generator_hour("gen-2", H0) == {"issued_wh": 0, "active_wh": 0, "retired_wh": 0}


def test_monthly_gec_view_counts_issuance_by_local_production_month(ledger):
    # 2026-03-31 15:00 UTC is 23:00 in Shanghai (March); 16:00 UTC is April 1st there.
    march, april = datetime(2026, 3, 31, 15, tzinfo=UTC), datetime(2026, 3, 31, 16, tzinfo=UTC)
    lots = ledger.issue("r1", "gen-1", "pv", "CN-JS", "ent-a", [(march, 600_000), (april, 700_000)])
    ledger.transfer("t1", lots[1].lot_id, "ent-a", "ent-b")  # later moves do not change it
    assert ledger.monthly_gec_view("ent-a") == [("2026-03", 0, 600_000), ("2026-04", 1, 300_000)]
    assert ledger.monthly_gec_view("ent-b") == []


def test_verify_retries_a_snapshot_that_changed_and_gives_up_on_a_busy_ledger(ledger, monkeypatch):
    _four_operations(ledger)
    real_read, writes = audit._read, []

    def read_while_writing(client, prefix, times):
        if len(writes) < times:
            writes.append(client.hincrby(f"{prefix}:audit:head", "touched", 1))
        return real_read(client, prefix)

    monkeypatch.setattr(audit, "_read", lambda c, p: read_while_writing(c, p, 1))
    assert ledger.verify().ok and len(writes) == 1
    monkeypatch.setattr(audit, "_read", lambda c, p: read_while_writing(c, p, 99))
    with pytest.raises(err.LedgerBusy):
        ledger.verify()
    assert len(writes) == 1 + audit.SNAPSHOT_ATTEMPTS
