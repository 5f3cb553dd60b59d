"""The v1 contract: generated code is not stale, and every service is in it."""

import subprocess
import sys
from pathlib import Path

import pytest

from parkvpp.v1 import events_pb2

PROTO_ROOT = Path(__file__).resolve().parents[1] / "protos"

SERVICES = {
    "EnrollmentService",
    "TelemetryService",
    "VppService",
    "BiddingService",
    "MarketService",
    "SettlementService",
    "CertificateService",
}


def test_generated_code_matches_the_protos(tmp_path: Path):
    # protoc runs in its own process: grpc_tools' bundled protobuf must not meet ours.
    subprocess.run(
        [sys.executable, str(PROTO_ROOT / "generate.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    fresh = sorted((tmp_path / "parkvpp" / "v1").glob("*_pb2*.py*"))
    assert len(fresh) == 3 * len(list((PROTO_ROOT / "parkvpp" / "v1").glob("*.proto")))
    stale = []
    for path in fresh:
        committed = PROTO_ROOT / path.relative_to(tmp_path)
        if not committed.exists() or committed.read_bytes() != path.read_bytes():
            stale.append(committed.name)
    assert not stale, f"regenerate with `python protos/generate.py`: stale {stale}"


def test_the_contract_declares_all_seven_services():
    import importlib

    from google.protobuf import descriptor_pool

    for module in (
        "enrollment",
        "telemetry",
        "vpp",
        "bidding",
        "market",
        "settlement",
        "certificates",
    ):
        importlib.import_module(f"parkvpp.v1.{module}_pb2")
    pool = descriptor_pool.Default()
    found = set()
    for name in SERVICES:
        found.add(pool.FindServiceByName(f"parkvpp.v1.{name}").name)
    assert found == SERVICES


@pytest.mark.parametrize("money_field", ["gross_payment_fen", "operator_fee_fen"])
def test_ledger_amounts_are_integers_on_the_wire(money_field):
    from parkvpp.v1 import settlement_pb2

    field = settlement_pb2.SettlementRun.DESCRIPTOR.fields_by_name[money_field]
    assert field.type == field.TYPE_INT64


def test_every_event_type_packs_into_the_envelope():
    lot = events_pb2.CertificatesIssued()
    envelope = events_pb2.EventEnvelope(event_id="e1", type=lot.DESCRIPTOR.full_name)
    envelope.payload.Pack(lot)
    assert envelope.payload.Is(events_pb2.CertificatesIssued.DESCRIPTOR)
