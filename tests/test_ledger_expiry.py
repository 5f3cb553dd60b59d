"""Certificate expiry over real gRPC, Valkey and the broker: 24 months including the
production month, then EXPIRED, out of balances, refused for every move, reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import grpc
import pytest

from certificates.store import CertificateLedger
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import events_pb2
from services.runtime.events import TOPIC_CERTIFICATES
from services.runtime.rpc import to_ts as _ts
from tests.kafka_helpers import read_events

pytestmark = pytest.mark.timeout(180)

#: Produced in Nov 2024: valid through Oct 2026, expired from 2026-11-01 00:00 +08:00.
H_NOV24 = datetime(2024, 11, 15, 4, tzinfo=UTC)
#: Produced in Dec 2024: expired from 2026-12-01 00:00 +08:00 (2026-11-30 16:00 UTC).
H_DEC24 = datetime(2024, 12, 15, 4, tzinfo=UTC)
#: Produced 2099-01: valid for as long as these tests run.
H_FAR = datetime(2099, 1, 15, 4, tzinfo=UTC)
LOG = "parkvpp:{ledger}:audit:log"


@pytest.fixture(scope="module")
def park(stack_factory):
    """ent-old holds 0.3 MWh (Nov 2024), 1.2 MWh (Dec 2024) and 0.9 MWh (2099); before
    the Nov lot expired it sold 0.2 MWh of it to ent-new."""
    stack = stack_factory(db=13)
    clients = stack.clients()
    for enterprise_id in ("ent-old", "ent-new"):
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=enterprise_id, grid_area="CN-JS"
            )
        )
    ledger = CertificateLedger(stack.redis)
    hours = [(H_NOV24, 300_000), (H_DEC24, 1_200_000), (H_FAR, 900_000)]
    lots = {
        lot.production_hour_start: lot
        for lot in ledger.issue("s", "g", "pv", "CN-JS", "ent-old", hours)
    }
    before = datetime(2026, 10, 1, tzinfo=UTC)
    moved, _ = ledger.transfer("t", lots[H_NOV24].lot_id, "ent-old", "ent-new", 200_000, at=before)
    yield stack, clients, lots, moved
    clients.close()


def _refused(call, request, metadata) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call(request, metadata=metadata, timeout=10)
    return err.value.code(), err.value.details()


def test_an_expired_lot_is_refused_for_transfer_and_retirement_naming_its_expiry(park):
    stack, clients, lots, _ = park
    own = stack.auth("enterprise:ent-old")
    log_length = stack.redis.llen(LOG)
    dec = lots[H_DEC24]
    # Past expiry but not yet swept: the Lua script checks the time itself.
    assert stack.redis.hget(f"parkvpp:{{ledger}}:lot:{dec.lot_id}", "status") == b"ACTIVE"
    transfer = cpb.TransferRequest(
        request_id="x-transfer", lot_id=dec.lot_id, to_enterprise_id="ent-new", energy_wh=1
    )
    code, details = _refused(clients.certificates.Transfer, transfer, own)
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert dec.lot_id in details and "expired on 2026-12-01" in details, details
    retire = cpb.RetireRequest(
        request_id="x-retire",
        lot_id=dec.lot_id,
        beneficiary_enterprise_id="ent-old",
        # Within the lot's vintage year and after its production month.
        consumption_period_start=_ts(datetime(2024, 12, 20, tzinfo=UTC)),
        consumption_period_end=_ts(datetime(2024, 12, 21, tzinfo=UTC)),
    )
    code, details = _refused(clients.certificates.Retire, retire, own)
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "expired on 2026-12-01" in details
    assert stack.redis.llen(LOG) == log_length, "a refused move writes no audit entry"


def test_expired_lots_leave_balances_and_list_as_expired(park):
    stack, clients, lots, moved = park
    old = clients.certificates.GetBalance(
        cpb.GetBalanceRequest(enterprise_id="ent-old"), metadata=stack.auth("enterprise:ent-old")
    )
    # 0.1 MWh (Nov, after the sale) + 1.2 MWh (Dec) expired; the 2099 lot stays.
    assert (old.active_wh, old.expired_wh, old.retired_wh) == (900_000, 1_300_000, 0)
    assert (old.active_gec, old.active_remainder_wh) == (0, 900_000)
    new = clients.certificates.GetBalance(
        cpb.GetBalanceRequest(enterprise_id="ent-new"), metadata=stack.auth("esco")
    )
    assert (new.active_wh, new.expired_wh) == (0, 200_000)
    listed = clients.certificates.ListLots(
        cpb.ListLotsRequest(owner_enterprise_id="ent-old", status=cpb.LOT_STATUS_EXPIRED),
        metadata=stack.auth("enterprise:ent-old"),
    )
    assert sorted(lot.lot_id for lot in listed.lots) == sorted(
        [lots[H_NOV24].lot_id, lots[H_DEC24].lot_id]
    )
    by_id = {lot.lot_id: lot for lot in listed.lots}
    # Local midnight 2026-12-01 in Shanghai is 16:00 UTC the day before.
    expiry = by_id[lots[H_DEC24].lot_id].expires_at.ToDatetime(tzinfo=UTC)
    assert expiry == datetime(2026, 11, 30, 16, tzinfo=UTC)
    # Another read sweeps nothing more: no new audit entry.
    log_length = stack.redis.llen(LOG)
    clients.certificates.GetBalance(
        cpb.GetBalanceRequest(enterprise_id="ent-old"), metadata=stack.auth("operator")
    )
    assert stack.redis.llen(LOG) == log_length
    entries = [json.loads(raw.decode().split(" ", 2)[2]) for raw in stack.redis.lrange(LOG, 0, -1)]
    expiries = [e for e in entries if e["op"] == "expire"]
    assert len(expiries) == 1
    assert sorted(lot["lot_id"] for lot in expiries[0]["lots"]) == sorted(
        [lots[H_NOV24].lot_id, lots[H_DEC24].lot_id, moved.lot_id]
    )
    totals = CertificateLedger(stack.redis).totals()
    assert totals == {
        "issued_wh": 2_400_000,
        "active_wh": 900_000,
        "retired_wh": 0,
        "expired_wh": 1_500_000,
    }
    assert CertificateLedger(stack.redis).verify().ok


def test_monthly_gec_shows_what_expired_by_production_month(park):
    stack, clients, _, _ = park
    view = clients.certificates.GetMonthlyGec(
        cpb.GetMonthlyGecRequest(enterprise_id="ent-old", to_month="2025-01"),
        metadata=stack.auth("enterprise:ent-old"),
    )
    rows = [(r.month, r.issued_wh, r.gec, r.expired_wh, r.expires_on) for r in view.months]
    assert rows == [
        ("2024-11", 300_000, 0, 100_000, "2026-11-01"),
        ("2024-12", 1_200_000, 1, 1_200_000, "2026-12-01"),
        ("2025-01", 0, 0, 0, "2027-01-01"),
    ]
    assert view.expired_wh == 1_300_000
    # ent-new was issued nothing, yet its row shows the bought Wh that expired.
    bought = clients.certificates.GetMonthlyGec(
        cpb.GetMonthlyGecRequest(enterprise_id="ent-new"), metadata=stack.auth("esco")
    )
    assert [(r.month, r.issued_wh, r.expired_wh) for r in bought.months] == [
        ("2024-11", 0, 200_000)
    ]


def test_the_expiry_is_announced_once(park):
    stack, clients, lots, _ = park
    clients.certificates.GetBalance(
        cpb.GetBalanceRequest(enterprise_id="ent-old"), metadata=stack.auth("operator")
    )
    found = _expired_events(stack)
    assert len(found) == 1
    event, expired = found[0]
    assert event.event_id.startswith("ledger-expire-")
    assert {lot.status for lot in expired.lots} == {cpb.LOT_STATUS_EXPIRED}
    assert sum(lot.energy_wh for lot in expired.lots) == 1_500_000


def _expired_events(stack, wait_s: float = 20.0) -> list:
    return read_events(
        stack.settings.kafka_bootstrap_servers,
        stack.topic(TOPIC_CERTIFICATES),
        events_pb2.CertificatesExpired,
        wait_s=wait_s,
    )
