"""The anchored ledger over real gRPC and Valkey: every entry the certificate service
writes is signed with a key Redis never sees, and `parkvpp ledger verify` names an entry
written around the service with the ledger's own scripts."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
import redis

from certificates.signing import LedgerSigner
from certificates.store import CertificateLedger, _script_text
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from services.certificates import feed
from services.certificates.signing_key import ledger_signer
from services.cli import main
from services.runtime.outbox import stream_key
from services.runtime.settings import SettingsError, load_settings

pytestmark = pytest.mark.timeout(180)

H0 = datetime(2026, 11, 10, 4, tzinfo=UTC)
PREFIX = "parkvpp:{ledger}"
LOG = f"{PREFIX}:audit:log"


@pytest.fixture(scope="module")
def running(stack_factory):
    stack = stack_factory(db=14)
    clients = stack.clients()
    for enterprise_id in ("ent-a", "ent-b"):
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=enterprise_id, grid_area="CN-JS"
            )
        )
    yield stack, clients
    clients.close()


@pytest.fixture()
def park(running, monkeypatch):
    """A fresh ledger in which ent-a holds a 5,000 Wh lot issued with the service's key;
    `parkvpp ledger verify` is pointed at the stack's Redis database and key."""
    stack, clients = running
    outbox = stream_key(feed.TAG)
    stale = [k for k in stack.redis.scan_iter(match=f"{PREFIX}:*") if k.decode() != outbox]
    if stale:
        stack.redis.delete(*stale)
    service_ledger = CertificateLedger(stack.redis, signer=ledger_signer(stack.settings))
    (lot,) = service_ledger.issue("seed", "gen-a", "pv", "CN-JS", "ent-a", [(H0, 5_000)])
    monkeypatch.setenv("REDIS_URL", stack.settings.redis_url)
    monkeypatch.setenv("PARKVPP_LEDGER_SIGNING_KEY", stack.settings.ledger_signing_key)
    return stack, clients, lot


def _verify(capsys) -> tuple[int, str]:
    code = main(["ledger", "verify"])
    return code, capsys.readouterr().out


def _transfer_over_grpc(stack, clients, lot_id: str) -> None:
    clients.certificates.Transfer(
        cpb.TransferRequest(
            request_id="svc-transfer", lot_id=lot_id, to_enterprise_id="ent-b", energy_wh=500
        ),
        metadata=stack.auth("enterprise:ent-a"),
    )


def test_what_the_service_writes_is_signed_and_verifies(park, capsys):
    stack, clients, lot = park
    _transfer_over_grpc(stack, clients, lot.lot_id)
    entries = [json.loads(raw.decode().split(" ", 2)[2]) for raw in stack.redis.lrange(LOG, 0, -1)]
    assert [e["op"] for e in entries] == ["issue", "transfer"]
    signer = LedgerSigner(stack.settings.ledger_signing_key)
    for entry in entries:
        assert signer.verifies(entry["request_id"], entry["request"], entry["sig"])
    assert json.loads(entries[1]["request"]) == [
        "transfer",
        lot.lot_id,
        "ent-a",
        "ent-b",
        500,
        "",
    ]
    assert _verify(capsys) == (
        0,
        "ledger sound: 2 entries, chain intact, every entry signed, invariants hold\n",
    )
    # The key itself is nowhere in Redis.
    key = stack.settings.ledger_signing_key.encode()
    for name in stack.redis.scan_iter(match=f"{PREFIX}:*"):
        if stack.redis.type(name) == b"list":
            assert all(key not in item for item in stack.redis.lrange(name, 0, -1))
        elif stack.redis.type(name) == b"hash":
            assert all(key not in v for v in stack.redis.hvals(name))


def test_the_findings_transfer_with_the_ledgers_own_script_is_named(park, capsys):
    """The finding: with direct access to Valkey, the ledger's own transfer script moved
    1,000 Wh between enterprises without any token, and verify said sound."""
    stack, clients, lot = park
    _transfer_over_grpc(stack, clients, lot.lot_id)
    around = CertificateLedger(stack.redis)  # the scripts, without the service's key
    around.transfer("attack-1", lot.lot_id, "ent-a", "ent-b", 1_000)
    assert CertificateLedger(stack.redis).balance("ent-b").active_wh == 1_500
    code, out = _verify(capsys)
    assert code == 1
    assert out.splitlines()[0] == (
        "ledger BROKEN: entry 3 (transfer): seq 3: not signed by the certificate service "
        "(written around it)"
    )


def _run_raw(client: redis.Redis, script: str, request_id: str, request: str, sig: str, *args):
    """One mutation script run straight against Valkey with the given request and signature."""
    fingerprint = hashlib.sha256(request.encode()).hexdigest()
    keys = [f"{PREFIX}:request:{request_id}"]
    argv = [PREFIX, fingerprint, request, sig, *args]
    return client.eval(_script_text(script), len(keys), *keys, *argv)


def test_a_signature_copied_onto_another_request_is_named(park, capsys):
    stack, clients, lot = park
    _transfer_over_grpc(stack, clients, lot.lot_id)
    entries = [json.loads(raw.decode().split(" ", 2)[2]) for raw in stack.redis.lrange(LOG, 0, -1)]
    stolen = entries[1]["sig"]
    request = json.dumps(["transfer", lot.lot_id, "ent-a", "ent-b", 1_000, ""])
    at_s = int(datetime.now(UTC).timestamp())
    _run_raw(
        stack.redis,
        "transfer.lua",
        "attack-2",
        request,
        stolen,
        lot.lot_id,
        "ent-a",
        "ent-b",
        1_000,
        "",
        at_s,
    )
    code, out = _verify(capsys)
    assert code == 1
    assert out.splitlines()[0] == (
        "ledger BROKEN: entry 3 (transfer): seq 3: signature does not match its request "
        "(written around the service or edited)"
    )


def test_a_signed_request_replayed_around_the_service_is_named(park, capsys):
    """Deleting the request record and running the signed request again moves the Wh
    twice; the second entry carries a valid signature, of a request already applied."""
    stack, clients, lot = park
    _transfer_over_grpc(stack, clients, lot.lot_id)
    entries = [json.loads(raw.decode().split(" ", 2)[2]) for raw in stack.redis.lrange(LOG, 0, -1)]
    signed = entries[1]
    stack.redis.delete(f"{PREFIX}:request:svc-transfer")
    at_s = int(datetime.now(UTC).timestamp())
    _run_raw(
        stack.redis,
        "transfer.lua",
        "svc-transfer",
        signed["request"],
        signed["sig"],
        lot.lot_id,
        "ent-a",
        "ent-b",
        500,
        "",
        at_s,
    )
    assert CertificateLedger(stack.redis).balance("ent-b").active_wh == 1_000
    code, out = _verify(capsys)
    assert code == 1
    assert out.splitlines()[0] == (
        "ledger BROKEN: entry 3 (transfer): seq 3: request 'svc-transfer' applied again "
        "(first at seq 2)"
    )


def test_a_signed_request_with_other_effects_is_named(park, capsys):
    """A valid signature of one transfer, run with another receiver."""
    stack, clients, lot = park
    signer = LedgerSigner(stack.settings.ledger_signing_key)
    request = json.dumps(["transfer", lot.lot_id, "ent-a", "ent-b", 700, ""], separators=(",", ":"))
    at_s = int(datetime.now(UTC).timestamp())
    sig = signer.sign("other-effects", request)
    _run_raw(
        stack.redis,
        "transfer.lua",
        "other-effects",
        request,
        sig,
        lot.lot_id,
        "ent-a",
        "ent-x",
        700,
        "",
        at_s,
    )
    code, out = _verify(capsys)
    assert code == 1
    assert out.splitlines()[0] == (
        "ledger BROKEN: entry 2 (transfer): seq 2: transfer went to another enterprise than "
        "the signed request's"
    )


@pytest.mark.parametrize("key", ["short", "x" * 31])
def test_a_signing_key_shorter_than_32_bytes_is_refused_naming_the_variable(key):
    with pytest.raises(SettingsError, match="PARKVPP_LEDGER_SIGNING_KEY"):
        load_settings({"PARKVPP_LEDGER_SIGNING_KEY": key})


def test_the_embedded_default_keeps_its_key_in_the_data_dir(tmp_path):
    settings = load_settings({"PARKVPP_DATA_DIR": str(tmp_path)})
    first = ledger_signer(settings)
    path = tmp_path / "ledger-signing-key"
    assert path.stat().st_mode & 0o777 == 0o600
    again = ledger_signer(settings, create=False)
    assert first.sign("r", "[]") == again.sign("r", "[]")
    with pytest.raises(SettingsError, match="no ledger signing key"):
        ledger_signer(load_settings({"PARKVPP_DATA_DIR": str(tmp_path / "none")}), create=False)
