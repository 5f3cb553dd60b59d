"""`parkvpp ledger verify` against a real Valkey: sound, tampered, and nothing to check."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
import redis

from certificates.signing import LedgerSigner
from certificates.store import CertificateLedger
from services.cli import main
from services.runtime.embedded import EmbeddedValkey

H0 = datetime(2026, 3, 10, 4, tzinfo=UTC)
NOW = datetime(2026, 4, 1, tzinfo=UTC)
LOG = "parkvpp:{ledger}:audit:log"
KEY = "k" * 32 + "-ledger-verify-cli"


@pytest.fixture(autouse=True)
def signing_key(monkeypatch):
    """The key `parkvpp ledger verify` checks the entries' signatures with."""
    monkeypatch.setenv("PARKVPP_LEDGER_SIGNING_KEY", KEY)


def _ledger(client: redis.Redis) -> CertificateLedger:
    """The ledger as the certificate service writes it: every entry signed."""
    return CertificateLedger(client, signer=LedgerSigner(KEY))


def _operations(ledger: CertificateLedger) -> None:
    """issue (entry 1), transfer (2), propose (3), accept (4), trade (5), retire (6)."""
    (lot,) = ledger.issue("r1", "gen-1", "pv", "CN-JS", "ent-a", [(H0, 3_000_000)])
    ledger.transfer("r2", lot.lot_id, "ent-a", "ent-b", 1_000_000)
    ledger.propose_green_trade("p3", "T-1", lot.lot_id, "ent-a", "ent-c", 500_000, 4_200, NOW)
    ledger.accept_green_trade("a3", "T-1", "ent-c", NOW)
    ledger.settle_green_trade("r3", "T-1", NOW)
    ledger.retire("r4", lot.lot_id, "ent-a", "ent-a", 0, datetime(2026, 3, 1, tzinfo=UTC), NOW, NOW)


def _tamper(client: redis.Redis, index: int, change) -> None:
    """Rewrite the body of log entry `index` (1-based) in place, keeping its stored hashes."""
    stored_hash, prev, body = client.lindex(LOG, index - 1).decode().split(" ", 2)
    entry = json.loads(body)
    change(entry)
    client.lset(LOG, index - 1, f"{stored_hash} {prev} {json.dumps(entry, sort_keys=True)}")


def _verify(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["ledger", "verify", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_sound_ledger_verifies_and_an_edited_entry_is_named(
    redis_client, redis_url, monkeypatch, capsys
):
    monkeypatch.setenv("REDIS_URL", redis_url)
    _operations(_ledger(redis_client))
    code, out, _ = _verify(capsys)
    assert (code, out) == (
        0,
        "ledger sound: 6 entries, chain intact, every entry signed, invariants hold\n",
    )

    def more_energy(entry):
        entry["lots"][0]["energy_wh"] = "2000000"

    _tamper(redis_client, 2, more_energy)
    code, out, _ = _verify(capsys)
    assert code == 1
    assert out.splitlines()[0] == (
        "ledger BROKEN: entry 2 (transfer): entry 2 does not match its hash (edited)"
    )


def test_a_state_edit_behind_the_logs_back_is_reported(
    redis_client, redis_url, monkeypatch, capsys
):
    monkeypatch.setenv("REDIS_URL", redis_url)
    _operations(_ledger(redis_client))
    redis_client.hincrby("parkvpp:{ledger}:balance:ent-b", "active_wh", 1)
    code, out, _ = _verify(capsys)
    assert code == 1
    assert out.startswith("ledger BROKEN: log intact, stored state differs: ")
    assert "balance ent-b" in out


def test_a_rewritten_chain_that_breaks_a_rule_names_the_entry(
    redis_client, redis_url, monkeypatch, capsys
):
    """Someone who recomputes every hash after retiring a lot twice is still caught."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    ledger = _ledger(redis_client)
    _operations(ledger)
    # Append a forged second retirement of the already retired lot, chained correctly.
    head = redis_client.hgetall("parkvpp:{ledger}:audit:head")
    last = json.loads(redis_client.lindex(LOG, -1).decode().split(" ", 2)[2])
    forged = dict(last, seq=7, request_id="r7")
    body = json.dumps(forged, sort_keys=True, separators=(",", ":"))
    prev = head[b"hash"].decode()
    digest = hashlib.sha1(f"{prev}{body}".encode()).hexdigest()
    redis_client.rpush(LOG, f"{digest} {prev} {body}")
    redis_client.hset("parkvpp:{ledger}:audit:head", mapping={"seq": 7, "hash": digest})
    code, out, _ = _verify(capsys)
    assert code == 1
    assert out.splitlines()[0].startswith("ledger BROKEN: entry 7 (retire): seq 7: retired lot")


def test_the_embedded_valkey_of_a_data_dir_is_found_and_a_stopped_one_is_exit_2(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    valkey = EmbeddedValkey(tmp_path / "valkey")
    valkey.start()
    try:
        client = redis.Redis.from_url(valkey.url)
        _operations(_ledger(client))
        client.close()
        code, out, _ = _verify(capsys, "--data-dir", str(tmp_path))
        assert (code, out.split(":")[0]) == (0, "ledger sound")
    finally:
        valkey.stop()
    code, out, err = _verify(capsys, "--data-dir", str(tmp_path))
    assert (code, out) == (2, "")
    assert "embedded Valkey" in err and "is not running" in err
    code, _, err = _verify(capsys, "--data-dir", str(tmp_path / "nothing-here"))
    assert code == 2 and "no embedded Valkey" in err


@pytest.mark.parametrize("url", ["redis://127.0.0.1:1/0"])
def test_an_unreachable_redis_url_is_exit_2(url, monkeypatch, capsys):
    monkeypatch.setenv("REDIS_URL", url)
    code, _, err = _verify(capsys)
    assert code == 2 and "is not running" in err


def test_without_a_signing_key_the_ledger_is_not_checked(
    redis_client, redis_url, monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("PARKVPP_LEDGER_SIGNING_KEY")
    monkeypatch.setenv("PARKVPP_DATA_DIR", str(tmp_path))
    _operations(_ledger(redis_client))
    code, out, err = _verify(capsys)
    assert (code, out) == (2, "")
    assert "no ledger signing key" in err and "PARKVPP_LEDGER_SIGNING_KEY" in err
