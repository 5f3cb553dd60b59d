"""Green-power trades and the monthly GEC view over real gRPC, Valkey and the broker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import grpc
import pytest

from certificates.store import CertificateLedger
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from services.runtime.events import TOPIC_CERTIFICATES
from tests.kafka_helpers import read_events

pytestmark = pytest.mark.timeout(180)

ENTERPRISES = ("ent-sun", "ent-mill", "ent-other")
#: Production hours in three local months, the second across a year boundary below.
H_DEC = datetime(2025, 12, 10, 4, tzinfo=UTC)
H_JAN = datetime(2026, 1, 10, 4, tzinfo=UTC)
H_MAR = datetime(2026, 3, 10, 4, tzinfo=UTC)


@pytest.fixture(scope="module")
def park(stack_factory):
    """Three enterprises; ent-sun holds lots of 0.6, 0.7 and 2.0 MWh in Dec, Jan, Mar."""
    stack = stack_factory(db=6)
    clients = stack.clients()
    for enterprise_id in ENTERPRISES:
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=enterprise_id, grid_area="CN-JS"
            )
        )
    ledger = CertificateLedger(stack.redis)
    hours = [(H_DEC, 600_000), (H_JAN, 700_000), (H_MAR, 2_000_000)]
    lots = ledger.issue("seed", "sun-pv", "pv", "CN-JS", "ent-sun", hours)
    yield stack, clients, {lot.production_hour_start: lot for lot in lots}
    clients.close()


def _terms(lot_id: str, trade_id: str, request_id: str, **overrides) -> dict:
    values = dict(
        request_id=request_id,
        trade_id=trade_id,
        lot_id=lot_id,
        seller_enterprise_id="ent-sun",
        buyer_enterprise_id="ent-mill",
        energy_wh=1_234_567,
        price_fen_per_mwh=42_001,
    )
    values.update(overrides)
    return values


def _trade(lot_id: str, trade_id: str, request_id: str = "", **overrides):
    """The ESCO's settling request, naming the proposal's terms (each must match)."""
    return cpb.SettleGreenTradeRequest(
        **_terms(lot_id, trade_id, request_id or f"req-{trade_id}", **overrides)
    )


def _proposal(lot_id: str, trade_id: str, **overrides):
    return cpb.ProposeGreenTradeRequest(**_terms(lot_id, trade_id, f"prop-{trade_id}", **overrides))


def _agree(stack, clients, lot_id: str, trade_id: str, **overrides) -> None:
    """ent-sun proposes, ent-mill accepts with its own token."""
    clients.certificates.ProposeGreenTrade(
        _proposal(lot_id, trade_id, **overrides), metadata=stack.auth("enterprise:ent-sun")
    )
    clients.certificates.AcceptGreenTrade(
        cpb.AcceptGreenTradeRequest(request_id=f"acc-{trade_id}", trade_id=trade_id),
        metadata=stack.auth("enterprise:ent-mill"),
    )


def _code(call, request, metadata) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call(request, metadata=metadata, timeout=10)
    return err.value.code(), err.value.details()


def _settled_events(stack, trade_id: str, wait_s: float = 20.0) -> list:
    return read_events(
        stack.settings.kafka_bootstrap_servers,
        stack.topic(TOPIC_CERTIFICATES),
        cpb.GreenTradeSettled,
        lambda settled: settled.trade.trade_id == trade_id,
        wait_s,
    )


def test_a_trade_moves_certificates_and_money_in_one_step(park, kafka_bootstrap):
    stack, clients, lots = park
    source = lots[H_MAR]
    trade_id = f"gpt-{uuid.uuid4().hex[:8]}"
    esco = stack.auth("esco")
    _agree(stack, clients, source.lot_id, trade_id)
    trade = clients.certificates.SettleGreenTrade(_trade(source.lot_id, trade_id), metadata=esco)
    # 1,234,567 Wh x 42,001 fen/MWh = 51,853.048567 fen -> 51,853 fen.
    assert (trade.energy_wh, trade.price_fen_per_mwh, trade.amount_fen) == (
        1_234_567,
        42_001,
        51_853,
    )
    assert trade.bought.owner_enterprise_id == "ent-mill"
    assert trade.bought.trade_id == trade_id
    assert (trade.bought.serial_start, trade.bought.serial_end) == (
        source.serial_start,
        source.serial_start + 1_234_567,
    )
    assert trade.remainder.lot_id == source.lot_id
    assert trade.remainder.energy_wh == 2_000_000 - 1_234_567
    assert trade.source_lot_id == source.lot_id
    again = clients.certificates.SettleGreenTrade(_trade(source.lot_id, trade_id), metadata=esco)
    assert again == trade, "a replayed request returns the settled trade"
    mill = clients.certificates.GetBalance(cpb.GetBalanceRequest(enterprise_id="ent-mill"))
    assert mill.active_wh == 1_234_567
    for role in ("enterprise:ent-mill", "enterprise:ent-sun", "operator"):
        got = clients.certificates.GetGreenTrade(
            cpb.GetGreenTradeRequest(trade_id=trade_id), metadata=stack.auth(role)
        )
        assert (got.amount_fen, got.bought.lot_id) == (51_853, trade.bought.lot_id)
    events = _settled_events(stack, trade_id)
    assert events and {event.event_id for event, _ in events} == {f"green-trade-{trade_id}"}
    assert events[0][1].trade.amount_fen == 51_853
    assert stack.redis.exists("parkvpp:{ledger}:audit:head")
    assert CertificateLedger(stack.redis).verify().ok


def test_trades_are_private_to_their_parties(park):
    stack, clients, lots = park
    trade_id = f"gpt-{uuid.uuid4().hex[:8]}"
    _agree(stack, clients, lots[H_MAR].lot_id, trade_id, energy_wh=1_000)
    clients.certificates.SettleGreenTrade(
        _trade(lots[H_MAR].lot_id, trade_id, energy_wh=1_000), metadata=stack.auth("esco")
    )
    other = stack.auth("enterprise:ent-other")
    hidden = _code(
        clients.certificates.GetGreenTrade, cpb.GetGreenTradeRequest(trade_id=trade_id), other
    )
    unknown = _code(
        clients.certificates.GetGreenTrade, cpb.GetGreenTradeRequest(trade_id="gpt-none"), other
    )
    assert hidden[0] == unknown[0] == grpc.StatusCode.NOT_FOUND
    assert hidden[1].replace(trade_id, "X") == unknown[1].replace("gpt-none", "X")
    listed = clients.certificates.ListGreenTrades(cpb.ListGreenTradesRequest(), metadata=other)
    assert list(listed.trades) == []
    mine = clients.certificates.ListGreenTrades(
        cpb.ListGreenTradesRequest(), metadata=stack.auth("enterprise:ent-mill")
    )
    assert trade_id in [t.trade_id for t in mine.trades]
    # An enterprise offers only its own certificates and settles only its own sales.
    code, _ = _code(
        clients.certificates.ProposeGreenTrade,
        _proposal(lots[H_MAR].lot_id, "gpt-steal", seller_enterprise_id="ent-other"),
        other,
    )
    assert code == grpc.StatusCode.NOT_FOUND
    code, _ = _code(
        clients.certificates.SettleGreenTrade,
        cpb.SettleGreenTradeRequest(request_id="steal-2", trade_id=trade_id),
        other,
    )
    assert code == grpc.StatusCode.NOT_FOUND


def test_trades_list_in_pages_without_repeats(park):
    stack, clients, lots = park
    esco = stack.auth("esco")
    made = [f"gpt-page-{n}-{uuid.uuid4().hex[:6]}" for n in range(5)]
    for trade_id in made:
        _agree(stack, clients, lots[H_MAR].lot_id, trade_id, energy_wh=10)
        clients.certificates.SettleGreenTrade(
            _trade(lots[H_MAR].lot_id, trade_id, energy_wh=10), metadata=esco
        )
    seen, token = [], ""
    while True:
        page = clients.certificates.ListGreenTrades(
            cpb.ListGreenTradesRequest(enterprise_id="ent-sun", page_size=2, page_token=token),
            metadata=esco,
        )
        seen += [t.trade_id for t in page.trades]
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen))
    assert seen[-5:] == made


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"energy_wh": 0}, "energy_wh"),
        ({"energy_wh": -5}, "energy_wh"),
        ({"price_fen_per_mwh": -1}, "price_fen_per_mwh"),
        ({"trade_id": ""}, "trade_id"),
        ({"request_id": " x"}, "request_id"),
        ({"buyer_enterprise_id": "ent-sun"}, "buyer_enterprise_id"),
        ({"lot_id": ""}, "lot_id"),
        # Outside the default band 0..200,000 fen/MWh: the finding's 1,000 CNY/kWh.
        ({"price_fen_per_mwh": 100_000_000}, "price_fen_per_mwh"),
        ({"price_fen_per_mwh": 200_001}, "price_fen_per_mwh"),
        ({"valid_for_s": 8 * 24 * 3600}, "valid_for_s"),
    ],
)
def test_bad_proposals_are_refused_naming_the_field(park, overrides, field):
    stack, clients, lots = park
    before = stack.redis.hgetall("parkvpp:{ledger}:audit:head")
    request = _proposal(lots[H_MAR].lot_id, "gpt-bad")
    for name, value in overrides.items():
        setattr(request, name, value)
    seller = stack.auth("enterprise:ent-sun")
    code, details = _code(clients.certificates.ProposeGreenTrade, request, seller)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.startswith(f"{field}:"), details
    assert stack.redis.hgetall("parkvpp:{ledger}:audit:head") == before


def test_too_few_certificates_or_a_settled_trade_id_change_nothing(park):
    stack, clients, lots = park
    esco = stack.auth("esco")
    lot = lots[H_DEC]
    head = stack.redis.hgetall("parkvpp:{ledger}:audit:head")
    code, details = _code(
        clients.certificates.ProposeGreenTrade,
        _proposal(lot.lot_id, "gpt-short", energy_wh=lot.energy_wh + 1),
        stack.auth("enterprise:ent-sun"),
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert f"{lot.energy_wh} Wh" in details
    assert stack.redis.hgetall("parkvpp:{ledger}:audit:head") == head
    trade_id = f"gpt-{uuid.uuid4().hex[:8]}"
    _agree(stack, clients, lot.lot_id, trade_id, energy_wh=1)
    clients.certificates.SettleGreenTrade(_trade(lot.lot_id, trade_id, energy_wh=1), metadata=esco)
    code, _ = _code(
        clients.certificates.SettleGreenTrade,
        _trade(lot.lot_id, trade_id, request_id="another", energy_wh=1),
        esco,
    )
    assert code == grpc.StatusCode.ALREADY_EXISTS
    code, _ = _code(
        clients.certificates.GetGreenTrade, cpb.GetGreenTradeRequest(trade_id="gpt-none"), esco
    )
    assert code == grpc.StatusCode.NOT_FOUND


def test_the_monthly_gec_view_carries_the_remainder_across_months(park):
    stack, clients, _ = park
    view = clients.certificates.GetMonthlyGec(
        cpb.GetMonthlyGecRequest(enterprise_id="ent-sun"), metadata=stack.auth("registry")
    )
    rows = [(r.month, r.issued_wh, r.carried_in_wh, r.gec, r.carried_out_wh) for r in view.months]
    assert rows == [
        ("2025-12", 600_000, 0, 0, 600_000),
        ("2026-01", 700_000, 600_000, 1, 300_000),
        ("2026-02", 0, 300_000, 0, 300_000),
        ("2026-03", 2_000_000, 300_000, 2, 300_000),
    ]
    assert view.total_gec == 3
    window = clients.certificates.GetMonthlyGec(
        cpb.GetMonthlyGecRequest(enterprise_id="ent-sun", from_month="2026-03", to_month="2026-04"),
        metadata=stack.auth("enterprise:ent-sun"),
    )
    assert [(r.month, r.carried_in_wh, r.gec) for r in window.months] == [
        ("2026-03", 300_000, 2),
        ("2026-04", 300_000, 0),
    ]
    for request, field in (
        (cpb.GetMonthlyGecRequest(enterprise_id="ent-sun", from_month="2026-13"), "from_month"),
        (
            cpb.GetMonthlyGecRequest(
                enterprise_id="ent-sun", from_month="2026-03", to_month="2026-01"
            ),
            "to_month",
        ),
    ):
        code, details = _code(clients.certificates.GetMonthlyGec, request, stack.auth("operator"))
        assert code == grpc.StatusCode.INVALID_ARGUMENT and details.startswith(f"{field}:")
