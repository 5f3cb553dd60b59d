"""A green-power contract over real gRPC, Valkey and the broker: a steel plant buys March's
wind certificates; consent of both parties, a short month, re-runs, privacy, the event."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import grpc
import pytest

from certificates.store import CertificateLedger
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from services.runtime import outbox
from services.runtime.events import TOPIC_CERTIFICATES
from tests.kafka_helpers import read_events

pytestmark = pytest.mark.timeout(180)

ENTERPRISES = ("ent-wind", "ent-steel", "ent-other")
#: ent-wind's March (local) certificates: 1,200,000 + 700,001 + 333,333 = 2,233,334 Wh;
#: the first hour is local 03-01 00:00, the last one local 04-01 00:00 (April).
HOURS = [
    (datetime(2026, 2, 28, 16, tzinfo=UTC), 1_200_000),
    (datetime(2026, 3, 10, 5, tzinfo=UTC), 700_001),
    (datetime(2026, 3, 31, 15, tzinfo=UTC), 333_333),
    (datetime(2026, 3, 31, 16, tzinfo=UTC), 1_500_000),
]


@pytest.fixture(scope="module")
def park(stack_factory):
    stack = stack_factory(db=7)
    clients = stack.clients()
    for enterprise_id in ENTERPRISES:
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=enterprise_id, grid_area="CN-JS"
            )
        )
    lots = CertificateLedger(stack.redis).issue("seed", "wf-1", "wind", "CN-JS", "ent-wind", HOURS)
    yield stack, clients, [lot.lot_id for lot in lots]
    clients.close()


def _proposal(contract_id: str, **changes) -> cpb.ProposeGreenContractRequest:
    """March 2026, 3 MWh at 45,000 fen/MWh, shortfall compensated at 5,000 fen/MWh."""
    values = dict(
        request_id=f"prop-{contract_id}",
        contract_id=contract_id,
        seller_enterprise_id="ent-wind",
        buyer_enterprise_id="ent-steel",
        start_month="2026-03",
        end_month="2026-03",
        monthly_wh=[3_000_000],
        price_fen_per_mwh=45_000,
        shortfall_rule=cpb.SHORTFALL_RULE_COMPENSATE,
        shortfall_rate_fen_per_mwh=5_000,
    )
    values.update(changes)
    return cpb.ProposeGreenContractRequest(**values)


def _refused(call, request, metadata) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call(request, metadata=metadata, timeout=10)
    return err.value.code(), err.value.details()


def _deliver(request_id: str, contract_id: str = "gc-1") -> cpb.DeliverGreenContractMonthRequest:
    return cpb.DeliverGreenContractMonthRequest(
        request_id=request_id, contract_id=contract_id, month="2026-03"
    )


def _ledger_at_rest(stack) -> dict[bytes, bytes]:
    """Every ledger key's dump once the relay has published what the calls wrote to the
    ledger's outbox (it deletes each entry when the broker has it, a round later)."""
    ledger_outbox = outbox.stream_key("ledger")
    deadline = time.monotonic() + 30
    while stack.redis.xlen(ledger_outbox) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stack.redis.xlen(ledger_outbox) == 0, "the relay left the ledger's events unpublished"
    return {key: stack.redis.dump(key) for key in stack.redis.keys("parkvpp:{ledger}:*")}


def test_a_month_delivers_certificates_and_money_after_both_consent(park):
    stack, clients, lots = park
    certs = clients.certificates
    wind, steel, esco = (
        stack.auth(r) for r in ("enterprise:ent-wind", "enterprise:ent-steel", "esco")
    )
    proposed = certs.ProposeGreenContract(_proposal("gc-1"), metadata=wind)
    assert proposed.state == cpb.GREEN_CONTRACT_STATE_PROPOSED
    code, _ = _refused(certs.DeliverGreenContractMonth, _deliver("run-0"), esco)
    assert code == grpc.StatusCode.FAILED_PRECONDITION  # the buyer has not accepted
    answer = cpb.AcceptGreenContractRequest(request_id="acc-x", contract_id="gc-1")
    code, _ = _refused(certs.AcceptGreenContract, answer, wind)  # the seller is no buyer
    assert code == grpc.StatusCode.NOT_FOUND
    answer.request_id = "acc-gc-1"
    assert certs.AcceptGreenContract(answer, metadata=steel).state == (
        cpb.GREEN_CONTRACT_STATE_ACCEPTED
    )

    done = certs.DeliverGreenContractMonth(_deliver("run-1"), metadata=esco)
    march = done.month
    # 2,233,334 of 3,000,000 Wh: 100,500.03 -> 100,500 fen owed by the steel plant; the
    # 766,666 Wh short cost the wind farm 3,833.33 -> 3,833 fen; net 96,667 fen.
    assert (march.contracted_wh, march.delivered_wh, march.shortfall_wh) == (
        3_000_000,
        2_233_334,
        766_666,
    )
    assert (march.amount_fen, march.compensation_fen, march.net_fen) == (100_500, 3_833, 96_667)
    assert [(x.source_lot_id, x.energy_wh, x.amount_fen) for x in march.lines] == [
        (lots[0], 1_200_000, 54_000),
        (lots[1], 700_001, 31_500),
        (lots[2], 333_333, 15_000),
    ]
    assert done.contract.state == cpb.GREEN_CONTRACT_STATE_COMPLETED
    balance = certs.GetBalance(cpb.GetBalanceRequest(enterprise_id="ent-steel"), metadata=steel)
    assert balance.active_wh == 2_233_334

    keys = _ledger_at_rest(stack)
    again = certs.DeliverGreenContractMonth(_deliver("run-2"), metadata=wind)
    assert again.month == march
    assert _ledger_at_rest(stack) == keys  # not even an event more (its count is in the dump)

    for party in (wind, steel, stack.auth("operator")):
        seen = certs.GetGreenContract(
            cpb.GetGreenContractRequest(contract_id="gc-1"), metadata=party
        )
        assert [(m.month, m.contracted_wh, m.delivered_wh) for m in seen.months] == [
            ("2026-03", 3_000_000, 2_233_334)
        ]
        assert (seen.amount_fen, seen.compensation_fen, seen.net_fen) == (100_500, 3_833, 96_667)
    other = stack.auth("enterprise:ent-other")
    get = cpb.GetGreenContractRequest(contract_id="gc-1")
    assert _refused(certs.GetGreenContract, get, other)[0] == grpc.StatusCode.NOT_FOUND
    listed = certs.ListGreenContracts(cpb.ListGreenContractsRequest(), metadata=steel)
    assert [c.contract_id for c in listed.contracts] == ["gc-1"]
    assert CertificateLedger(stack.redis).verify().ok

    events = read_events(
        stack.settings.kafka_bootstrap_servers,
        stack.topic(TOPIC_CERTIFICATES),
        cpb.GreenContractMonthDelivered,
        lambda event: event.contract_id == "gc-1",
        20.0,
    )
    assert [envelope.event_id for envelope, _ in events] == [
        "green-contract-delivered-gc-1-2026-03"
    ]
    assert events[0][1].month.amount_fen == 100_500


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"monthly_wh": [], "hourly_wh": []}, "monthly_wh"),
        ({"monthly_wh": [1, 2]}, "monthly_wh"),
        ({"hourly_wh": [1] * 10}, "monthly_wh"),
        ({"monthly_wh": [], "hourly_wh": [1] * 10}, "hourly_wh"),
        ({"shortfall_rule": cpb.SHORTFALL_RULE_UNSPECIFIED}, "shortfall_rule"),
        ({"shortfall_rate_fen_per_mwh": 0}, "shortfall_rate_fen_per_mwh"),
        ({"price_fen_per_mwh": 10**9}, "price_fen_per_mwh"),
        ({"end_month": "2026-02"}, "end_month"),
        ({"start_month": "March"}, "start_month"),
        ({"surplus_rule": cpb.SURPLUS_RULE_TAKE}, "surplus_cap_permille"),
        ({"buyer_enterprise_id": "ent-wind"}, "buyer_enterprise_id"),
        ({"valid_for_s": 10}, "valid_for_s"),
        ({"generator_asset_ids": ["wf-1"]}, "generator_asset_ids[0]"),  # not enrolled
    ],
)
def test_bad_proposals_are_invalid_argument_naming_the_field(park, changes, field):
    stack, clients, _ = park
    request = _proposal("gc-bad", **changes)
    code, details = _refused(
        clients.certificates.ProposeGreenContract, request, stack.auth("enterprise:ent-wind")
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.startswith(f"{field}:")
