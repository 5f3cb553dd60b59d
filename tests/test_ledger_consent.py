"""Consent over real gRPC, Valkey and the broker: two-party green-power trades, buy_green
and retire_for mandates, retirements the beneficiary can list; every number by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest

from certificates.store import CertificateLedger
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import events_pb2
from services.certificates.signing_key import ledger_signer
from services.runtime.events import TOPIC_CERTIFICATES
from services.runtime.rpc import to_ts
from tests.kafka_helpers import read_events

pytestmark = pytest.mark.timeout(180)

H0 = datetime(2026, 11, 10, 4, tzinfo=UTC)
CONSUMED = (datetime(2026, 11, 15, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))
S = cpb.GreenTradeState


@pytest.fixture(scope="module")
def park(stack_factory):
    """ent-sun holds lots of 3 MWh and 2 MWh (Nov 2026), issued with the service's key."""
    stack = stack_factory(db=15)
    clients = stack.clients()
    for enterprise_id in ("ent-sun", "ent-mill", "ent-other"):
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=enterprise_id, grid_area="CN-JS"
            )
        )
    ledger = CertificateLedger(stack.redis, signer=ledger_signer(stack.settings))
    hours = [(H0, 3_000_000), (H0 + timedelta(hours=1), 2_000_000)]
    lots = ledger.issue("seed", "sun-pv", "pv", "CN-JS", "ent-sun", hours)
    yield stack, clients, ledger, [lot.lot_id for lot in lots]
    clients.close()


def _as(stack, who: str):
    return stack.auth(who if who in ("esco", "operator") else f"enterprise:{who}")


def _refused(call, request, metadata) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call(request, metadata=metadata, timeout=10)
    return err.value.code(), err.value.details()


def _propose(stack, clients, lot_id, trade_id, energy_wh, price, **more):
    return clients.certificates.ProposeGreenTrade(
        cpb.ProposeGreenTradeRequest(
            request_id=f"p-{trade_id}",
            trade_id=trade_id,
            lot_id=lot_id,
            buyer_enterprise_id="ent-mill",
            energy_wh=energy_wh,
            price_fen_per_mwh=price,
            **more,
        ),
        metadata=_as(stack, "ent-sun"),
    )


def _settle(trade_id: str, request_id: str = ""):
    return cpb.SettleGreenTradeRequest(request_id=request_id or f"s-{trade_id}", trade_id=trade_id)


def _balance(stack, clients, who: str) -> cpb.Balance:
    return clients.certificates.GetBalance(
        cpb.GetBalanceRequest(enterprise_id=who), metadata=_as(stack, "operator")
    )


def test_the_esco_cannot_settle_what_the_buyer_did_not_accept(park):
    """The finding: a seller's side alone billed the buyer 155,648 CNY."""
    stack, clients, _, lots = park
    _propose(stack, clients, lots[0], "t-unagreed", 155_600, 200_000)
    code, details = _refused(
        clients.certificates.SettleGreenTrade, _settle("t-unagreed"), _as(stack, "esco")
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert "neither accepted by its buyer" in details
    assert _balance(stack, clients, "ent-mill").active_wh == 0
    # Nobody but the buyer accepts: the seller and another enterprise see "not found",
    # the ESCO's role may not accept at all.
    accept = cpb.AcceptGreenTradeRequest(request_id="acc-x", trade_id="t-unagreed")
    for who in ("ent-sun", "ent-other"):
        code, details = _refused(clients.certificates.AcceptGreenTrade, accept, _as(stack, who))
        assert (code, details) == (grpc.StatusCode.NOT_FOUND, "trade 't-unagreed' not found")
    code, _ = _refused(clients.certificates.AcceptGreenTrade, accept, _as(stack, "esco"))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    code, _ = _refused(
        clients.certificates.SettleGreenTrade, _settle("t-never-proposed"), _as(stack, "esco")
    )
    assert code == grpc.StatusCode.NOT_FOUND


def test_proposed_accepted_settled_and_both_parties_see_every_state(park):
    stack, clients, ledger, lots = park
    proposed = _propose(stack, clients, lots[0], "t-ok", 1_000_000, 45_000)
    assert (proposed.state, proposed.amount_fen) == (S.GREEN_TRADE_STATE_PROPOSED, 45_000)
    assert proposed.expires_at.seconds - proposed.proposed_at.seconds == 24 * 3600
    accepted = clients.certificates.AcceptGreenTrade(
        cpb.AcceptGreenTradeRequest(request_id="acc-ok", trade_id="t-ok"),
        metadata=_as(stack, "ent-mill"),
    )
    assert (accepted.state, accepted.accepted_by) == (S.GREEN_TRADE_STATE_ACCEPTED, "ent-mill")
    settled = clients.certificates.SettleGreenTrade(_settle("t-ok"), metadata=_as(stack, "esco"))
    # 1,000,000 Wh x 45,000 fen/MWh = 45,000 fen (450.00 CNY).
    assert (settled.state, settled.amount_fen, settled.settled_by) == (
        S.GREEN_TRADE_STATE_SETTLED,
        45_000,
        "esco",
    )
    assert (settled.bought.owner_enterprise_id, settled.bought.energy_wh) == ("ent-mill", 1_000_000)
    # Other proposals end rejected, expired or stay open.
    _propose(stack, clients, lots[0], "t-open", 10_000, 40_000)
    _propose(stack, clients, lots[0], "t-no", 20_000, 40_000)
    clients.certificates.RejectGreenTrade(
        cpb.RejectGreenTradeRequest(request_id="rej-no", trade_id="t-no"),
        metadata=_as(stack, "ent-mill"),
    )
    now = datetime.now(UTC)
    ledger.propose_green_trade(
        "p-late", "t-late", lots[0], "ent-sun", "ent-mill", 30_000, 40_000,
        now - timedelta(hours=2), timedelta(hours=1),
    )  # fmt: skip
    code, details = _refused(
        clients.certificates.SettleGreenTrade, _settle("t-late"), _as(stack, "esco")
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "expired" in details
    code, details = _refused(
        clients.certificates.SettleGreenTrade, _settle("t-no"), _as(stack, "esco")
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "REJECTED" in details
    want = {
        "t-ok": S.GREEN_TRADE_STATE_SETTLED,
        "t-open": S.GREEN_TRADE_STATE_PROPOSED,
        "t-no": S.GREEN_TRADE_STATE_REJECTED,
        "t-late": S.GREEN_TRADE_STATE_EXPIRED,
    }
    for who in ("ent-sun", "ent-mill"):
        listed = clients.certificates.ListGreenTrades(
            cpb.ListGreenTradesRequest(page_size=1000), metadata=_as(stack, who)
        )
        states = {t.trade_id: t.state for t in listed.trades if t.trade_id in want}
        assert states == want, who
    hidden = clients.certificates.ListGreenTrades(
        cpb.ListGreenTradesRequest(), metadata=_as(stack, "ent-other")
    )
    assert list(hidden.trades) == []
    assert _events_of(stack, events_pb2.GreenTradeAccepted, "t-ok")


def test_a_buy_green_mandate_lets_the_esco_settle_within_its_scope(park):
    stack, clients, _, lots = park
    mill = _as(stack, "ent-mill")
    esco = _as(stack, "esco")
    mandate = clients.certificates.GrantMandate(
        cpb.GrantMandateRequest(
            request_id="g-buy",
            mandate_id="m-buy",
            scope=cpb.MANDATE_SCOPE_BUY_GREEN,
            max_price_fen_per_mwh=50_000,
            max_energy_wh=1_500_000,
            counterparty_enterprise_id="ent-sun",
            valid_for_days=30,
        ),
        metadata=mill,
    )
    assert (mandate.grantor_enterprise_id, mandate.grantee, mandate.state) == (
        "ent-mill",
        "esco",
        cpb.MANDATE_STATE_ACTIVE,
    )
    before = _balance(stack, clients, "ent-mill").active_wh
    _propose(stack, clients, lots[1], "t-m1", 1_000_000, 48_000)
    settled = clients.certificates.SettleGreenTrade(_settle("t-m1"), metadata=esco)
    assert (settled.accepted_by, settled.mandate_id, settled.amount_fen) == (
        "mandate:m-buy",
        "m-buy",
        48_000,
    )
    assert _balance(stack, clients, "ent-mill").active_wh == before + 1_000_000
    # 1,000,000 used of 1,500,000: 600,000 more is beyond the cap; 52,000 beyond the price.
    _propose(stack, clients, lots[1], "t-m2", 600_000, 48_000)
    _propose(stack, clients, lots[1], "t-m3", 100_000, 52_000)
    for trade_id in ("t-m2", "t-m3"):
        code, _ = _refused(clients.certificates.SettleGreenTrade, _settle(trade_id), esco)
        assert code == grpc.StatusCode.FAILED_PRECONDITION, trade_id
    clients.certificates.RevokeMandate(
        cpb.RevokeMandateRequest(request_id="r-buy", mandate_id="m-buy"), metadata=mill
    )
    _propose(stack, clients, lots[1], "t-m4", 400_000, 48_000)
    code, _ = _refused(clients.certificates.SettleGreenTrade, _settle("t-m4"), esco)
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    listed = clients.certificates.ListMandates(cpb.ListMandatesRequest(), metadata=mill)
    (m,) = [m for m in listed.mandates if m.mandate_id == "m-buy"]
    assert (m.state, m.used_wh) == (cpb.MANDATE_STATE_REVOKED, 1_000_000)
    # Another enterprise cannot revoke or see it.
    code, _ = _refused(
        clients.certificates.RevokeMandate,
        cpb.RevokeMandateRequest(request_id="r-x", mandate_id="m-buy"),
        _as(stack, "ent-other"),
    )
    assert code == grpc.StatusCode.NOT_FOUND


def _retire(stack, clients, lot_id, request_id, energy_wh, beneficiary="ent-mill"):
    return clients.certificates.Retire(
        cpb.RetireRequest(
            request_id=request_id,
            lot_id=lot_id,
            beneficiary_enterprise_id=beneficiary,
            energy_wh=energy_wh,
            consumption_period_start=to_ts(CONSUMED[0]),
            consumption_period_end=to_ts(CONSUMED[1]),
        ),
        metadata=_as(stack, "ent-sun"),
    )


def test_retiring_for_another_enterprise_needs_its_mandate(park):
    """The finding: Retire for another beneficiary lowered its Scope 2 without consent."""
    stack, clients, ledger, lots = park
    sun_before = _balance(stack, clients, "ent-sun")
    with pytest.raises(grpc.RpcError) as err:
        _retire(stack, clients, lots[0], "x-nomandate", 100_000)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "retire_for mandate" in err.value.details()
    clients.certificates.GrantMandate(
        cpb.GrantMandateRequest(
            request_id="g-ret",
            mandate_id="m-ret",
            scope=cpb.MANDATE_SCOPE_RETIRE_FOR,
            grantee_enterprise_id="ent-sun",
            max_energy_wh=500_000,
            valid_for_days=30,
        ),
        metadata=_as(stack, "ent-mill"),
    )
    retired = _retire(stack, clients, lots[0], "x-for-mill", 400_000).retired
    assert (retired.owner_enterprise_id, retired.beneficiary_enterprise_id) == (
        "ent-sun",
        "ent-mill",
    )
    sun = _balance(stack, clients, "ent-sun")
    # The certificates leave the owner's active balance; it retired them.
    assert sun.active_wh == sun_before.active_wh - 400_000
    assert sun.retired_wh == sun_before.retired_wh + 400_000
    # 400,000 of the mandate's 500,000 Wh used: 200,000 more is refused.
    with pytest.raises(grpc.RpcError) as err:
        _retire(stack, clients, lots[0], "x-too-much", 200_000)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    # The beneficiary lists what was retired for it; nobody else can.
    listed = clients.certificates.ListRetirements(
        cpb.ListRetirementsRequest(), metadata=_as(stack, "ent-mill")
    )
    assert [(lot.lot_id, lot.energy_wh) for lot in listed.lots] == [(retired.lot_id, 400_000)]
    code, _ = _refused(
        clients.certificates.ListRetirements,
        cpb.ListRetirementsRequest(beneficiary_enterprise_id="ent-mill"),
        _as(stack, "ent-other"),
    )
    assert code == grpc.StatusCode.NOT_FOUND
    # What footprints read: retirements by beneficiary.
    claims = ledger.retired_for("ent-mill", *CONSUMED)
    assert [(lot.lot_id, lot.energy_wh) for lot in claims] == [(retired.lot_id, 400_000)]
    assert ledger.retired_for("ent-sun", *CONSUMED) == []


def test_verify_replays_every_consent_step(park):
    stack, _, ledger, _ = park
    report = ledger.verify()
    assert report.ok, report.first_problem()
    ops = {e.split(" ", 2)[2].split('"op":"')[1].split('"')[0] for e in _log(stack)}
    assert {"propose", "accept", "reject", "trade", "grant", "revoke", "retire"} <= ops


def _log(stack) -> list[str]:
    return [raw.decode() for raw in stack.redis.lrange("parkvpp:{ledger}:audit:log", 0, -1)]


def _events_of(stack, kind, trade_id: str, wait_s: float = 20.0) -> list:
    found = read_events(
        stack.settings.kafka_bootstrap_servers,
        stack.topic(TOPIC_CERTIFICATES),
        kind,
        lambda message: message.trade.trade_id == trade_id,
        wait_s,
    )
    return [message for _, message in found]
