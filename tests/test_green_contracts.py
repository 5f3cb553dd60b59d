"""Green-power contracts: monthly delivery of certificates and money, hand-computed.

The wind farm ent-wind sells the steel plant ent-steel green power at 45,000 fen/MWh
(450 CNY/MWh). Its certificates, by local (Asia/Shanghai) production hour:

    lot  UTC hour          local hour        Wh          month
    1    02-28 15:00   ->  02-28 23:00      1,000,000    February
    2    02-28 16:00   ->  03-01 00:00      1,200,000    March
    3    03-10 05:00   ->  03-10 13:00        700,001    March
    4    03-31 15:00   ->  03-31 23:00        333,333    March
    5    03-31 16:00   ->  04-01 00:00      1,500,000    April

March holds 1,200,000 + 700,001 + 333,333 = 2,233,334 Wh.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from certificates import contract_ops
from certificates import exceptions as err
from certificates.contracts import (
    AvailableLot,
    ContractTerms,
    CurveKind,
    ShortfallRule,
    SurplusRule,
    check_terms,
    plan_delivery,
)
from certificates.replay import replay
from certificates.signing import LedgerSigner
from certificates.store import CertificateLedger
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import events_pb2
from services.certificates import feed
from services.runtime.events import TOPIC_CERTIFICATES

PRICE = 45_000
RATE = 5_000
HOURS = [
    (datetime(2026, 2, 28, 15, tzinfo=UTC), 1_000_000),
    (datetime(2026, 2, 28, 16, tzinfo=UTC), 1_200_000),
    (datetime(2026, 3, 10, 5, tzinfo=UTC), 700_001),
    (datetime(2026, 3, 31, 15, tzinfo=UTC), 333_333),
    (datetime(2026, 3, 31, 16, tzinfo=UTC), 1_500_000),
]
LOT = [f"GEC-{n:012d}" for n in range(6)]  # LOT[1] .. LOT[5] as in the table
PROPOSED = datetime(2026, 2, 20, tzinfo=UTC)
APRIL_2 = datetime(2026, 4, 2, tzinfo=UTC)
MAY_2 = datetime(2026, 5, 2, tzinfo=UTC)
KEY = "k" * 32


def _terms(**changes) -> ContractTerms:
    """One month, 3 MWh, shortfall compensated at 5,000 fen/MWh, surplus refused."""
    base = ContractTerms(
        contract_id="C-1",
        seller_enterprise_id="ent-wind",
        buyer_enterprise_id="ent-steel",
        start_month="2026-03",
        end_month="2026-03",
        curve_kind=CurveKind.MONTHLY,
        curve_wh=(3_000_000,),
        price_fen_per_mwh=PRICE,
        shortfall_rule=ShortfallRule.COMPENSATE,
        shortfall_rate_fen_per_mwh=RATE,
    )
    return replace(base, **changes)


@pytest.fixture()
def ledger(redis_client: redis.Redis) -> CertificateLedger:
    ledger = CertificateLedger(redis_client, signer=LedgerSigner(KEY))
    lots = ledger.issue("issue-1", "wf-1", "wind", "CN-JS", "ent-wind", HOURS)
    assert [lot.lot_id for lot in lots] == LOT[1:]
    return ledger


def _agree(ledger: CertificateLedger, terms: ContractTerms) -> None:
    ledger.propose_contract(f"p-{terms.contract_id}", terms, PROPOSED, timedelta(days=7))
    ledger.accept_contract(f"a-{terms.contract_id}", terms.contract_id, "ent-steel", PROPOSED)


def test_a_short_month_delivers_what_there_is_and_the_seller_compensates(ledger):
    _agree(ledger, _terms())
    contract, march = ledger.deliver_month("d-1", "C-1", "2026-03", APRIL_2)
    # 2,233,334 of 3,000,000 Wh; shortfall 766,666 Wh.
    assert (march.contracted_wh, march.available_wh, march.delivered_wh) == (
        3_000_000,
        2_233_334,
        2_233_334,
    )
    assert (march.shortfall_wh, march.compensated_wh, march.carried_out_wh) == (766_666, 766_666, 0)
    # 2,233,334 Wh x 45,000 fen/MWh = 100,500.03 -> 100,500 fen; 766,666 x 5,000 = 3,833.33
    # -> 3,833 fen back to the buyer; net 96,667 fen.
    assert (march.amount_fen, march.compensation_fen, march.net_fen) == (100_500, 3_833, 96_667)
    # 100,500 fen split by Wh: exact shares 53,999.98 / 31,500.04 / 14,999.98; floors sum to
    # 100,498, the two fen left go to the largest remainders (lots 2 and 4).
    assert [(x.source_lot_id, x.energy_wh, x.amount_fen) for x in march.lines] == [
        (LOT[2], 1_200_000, 54_000),
        (LOT[3], 700_001, 31_500),
        (LOT[4], 333_333, 15_000),
    ]
    assert ledger.balance("ent-steel").active_wh == 2_233_334
    assert ledger.balance("ent-wind").active_wh == 1_000_000 + 1_500_000
    assert ledger.get_lot(LOT[2]).trade_id == "C-1"
    assert (contract.next_month, contract.amount_fen, contract.compensation_fen) == (
        "",
        100_500,
        3_833,
    )
    assert ledger.verify().ok


def test_running_a_month_again_changes_nothing(ledger, redis_client):
    _agree(ledger, _terms())
    first = ledger.deliver_month("d-1", "C-1", "2026-03", APRIL_2)
    keys = {key: redis_client.dump(key) for key in redis_client.keys("*")}
    assert ledger.deliver_month("d-2", "C-1", "2026-03", MAY_2) == first
    assert ledger.deliver_month("d-1", "C-1", "2026-03", MAY_2) == first
    assert {key: redis_client.dump(key) for key in redis_client.keys("*")} == keys


def test_carried_shortfall_is_filled_next_month_and_compensated_at_the_end(ledger):
    two_months, carry = (3_000_000, 1_000_000), ShortfallRule.CARRY
    _agree(ledger, _terms(end_month="2026-04", curve_wh=two_months, shortfall_rule=carry))
    _, march = ledger.deliver_month("d-3", "C-1", "2026-03", APRIL_2)
    assert (march.shortfall_wh, march.carried_out_wh, march.compensation_fen) == (
        766_666,
        766_666,
        0,
    )
    with pytest.raises(err.MonthNotDeliverable):  # April is not over on April 2
        ledger.deliver_month("d-4", "C-1", "2026-04", APRIL_2)
    contract, april = ledger.deliver_month("d-4", "C-1", "2026-04", MAY_2)
    # April: 1,000,000 contracted + 766,666 carried; lot 5 holds 1,500,000, so 266,666 Wh
    # stay short after the last month and are compensated: 1,333.33 -> 1,333 fen.
    assert (april.carried_in_wh, april.delivered_wh, april.shortfall_wh) == (
        766_666,
        1_500_000,
        266_666,
    )
    assert (april.compensated_wh, april.compensation_fen, april.amount_fen) == (
        266_666,
        1_333,
        67_500,
    )
    assert (contract.delivered_wh, contract.amount_fen) == (3_733_334, 168_000)
    assert ledger.verify().ok


def test_months_go_in_order_and_only_under_an_accepted_contract(ledger):
    terms = _terms(end_month="2026-04", curve_wh=(3_000_000, 1_000_000))
    ledger.propose_contract("p-1", terms, PROPOSED, timedelta(days=7))
    with pytest.raises(err.ContractClosed):  # proposed, not accepted
        ledger.deliver_month("d-1", "C-1", "2026-03", APRIL_2)
    with pytest.raises(err.ContractNotFound):  # only the buyer accepts
        ledger.accept_contract("a-x", "C-1", "ent-wind", PROPOSED)
    with pytest.raises(err.ContractExpired):
        ledger.accept_contract("a-late", "C-1", "ent-steel", PROPOSED + timedelta(days=7))
    ledger.accept_contract("a-1", "C-1", "ent-steel", PROPOSED)
    with pytest.raises(err.ContractClosed):
        ledger.reject_contract("r-1", "C-1", "ent-steel", PROPOSED)
    with pytest.raises(err.MonthNotDeliverable):
        ledger.deliver_month("d-2", "C-1", "2026-04", MAY_2)
    with pytest.raises(err.InvalidInput) as info:
        ledger.deliver_month("d-3", "C-1", "2026-05", MAY_2 + timedelta(days=31))
    assert info.value.field == "month"
    with pytest.raises(err.ContractExists):
        other = replace(terms, buyer_enterprise_id="ent-x")
        ledger.propose_contract("p-2", other, PROPOSED, timedelta(days=1))
    assert ledger.balance("ent-steel").active_wh == 0
    assert ledger.verify().ok


def test_a_rejected_contract_never_delivers(ledger):
    ledger.propose_contract("p-1", _terms(), PROPOSED, timedelta(days=7))
    ledger.reject_contract("r-1", "C-1", "ent-steel", PROPOSED)
    with pytest.raises(err.ContractClosed):
        ledger.accept_contract("a-1", "C-1", "ent-steel", PROPOSED)
    with pytest.raises(err.ContractClosed):
        ledger.deliver_month("d-1", "C-1", "2026-03", APRIL_2)
    assert ledger.verify().ok


def test_a_tampered_delivery_is_detected(ledger, redis_client):
    _agree(ledger, _terms())
    ledger.deliver_month("d-1", "C-1", "2026-03", APRIL_2)
    key = "parkvpp:{ledger}:gdelivery:C-1:2026-03"
    redis_client.hset(key, "compensation_fen", "0")
    report = ledger.verify()
    assert not report.ok
    assert any(
        "contract delivery" in e and "compensation_fen" in e for e in report.invariant_errors
    )


def test_a_forged_delivery_entry_is_named(redis_client):
    """A log whose delivery gives the buyer less compensation than the rule, rewritten
    consistently (chain, state) by someone holding no key, is caught by the replay's plan."""
    ledger = CertificateLedger(redis_client)  # no signer: only the rule can catch it
    ledger.issue("issue-1", "wf-1", "wind", "CN-JS", "ent-wind", HOURS)
    _agree(ledger, _terms(shortfall_rate_fen_per_mwh=RATE))
    ledger.deliver_month("d-1", "C-1", "2026-03", APRIL_2)
    log = redis_client.lrange("parkvpp:{ledger}:audit:log", 0, -1)
    entries = [raw.decode().split(" ", 2)[2] for raw in log]
    parsed = [json.loads(body) for body in entries]
    parsed[-1]["delivery"]["compensation_fen"] = "0"
    _, errors = replay(parsed)
    assert "seq 4: delivery of 2026-03 differs from the contract's rule" in errors


def test_an_hourly_curve_is_matched_hour_by_hour():
    """March, hourly: local 03-01 00:00 (hour 0) wants 1,000,000 (lot 2 has 1,200,000: the
    200,000 above stay with the seller), 03-10 13:00 (hour 229) wants 800,000 (lot 3 has
    700,001: 99,999 short), 03-20 12:00 (hour 468) wants 500,000 (nothing produced); lot 4's
    hour wants nothing."""
    curve = [0] * 744
    curve[0], curve[229], curve[468] = 1_000_000, 800_000, 500_000
    terms = _terms(curve_kind=CurveKind.HOURLY, curve_wh=tuple(curve))
    lots = [
        AvailableLot(LOT[2], 2, int(HOURS[1][0].timestamp()), 1_200_000),
        AvailableLot(LOT[3], 3, int(HOURS[2][0].timestamp()), 700_001),
        AvailableLot(LOT[4], 4, int(HOURS[3][0].timestamp()), 333_333),
    ]
    plan = plan_delivery(terms, "2026-03", 0, lots)
    assert (plan.contracted_wh, plan.delivered_wh, plan.shortfall_wh) == (
        2_300_000,
        1_700_001,
        599_999,
    )
    # 1,700,001 x 45,000 / 10^6 = 76,500.045 -> 76,500; 599,999 x 5,000 = 2,999.995 -> 3,000.
    assert (plan.amount_fen, plan.compensation_fen) == (76_500, 3_000)
    assert [(x.source_lot_id, x.energy_wh) for x in plan.lines] == [
        (LOT[2], 1_000_000),
        (LOT[3], 700_001),
    ]
    assert sum(x.amount_fen for x in plan.lines) == 76_500


def test_surplus_is_taken_only_up_to_the_cap_the_contract_allows():
    """2 MWh contracted, 10 % surplus allowed: 2,200,000 of the 2,233,334 Wh go."""
    lots = [
        AvailableLot(LOT[2], 2, int(HOURS[1][0].timestamp()), 1_200_000),
        AvailableLot(LOT[3], 3, int(HOURS[2][0].timestamp()), 700_001),
        AvailableLot(LOT[4], 4, int(HOURS[3][0].timestamp()), 333_333),
    ]
    refused = plan_delivery(_terms(curve_wh=(2_000_000,)), "2026-03", 0, lots)
    assert (refused.delivered_wh, refused.surplus_wh, refused.amount_fen) == (2_000_000, 0, 90_000)
    taken = plan_delivery(
        _terms(curve_wh=(2_000_000,), surplus_rule=SurplusRule.TAKE, surplus_cap_permille=100),
        "2026-03",
        0,
        lots,
    )
    assert (taken.delivered_wh, taken.surplus_wh, taken.shortfall_wh) == (2_200_000, 200_000, 0)
    assert [x.energy_wh for x in taken.lines] == [1_200_000, 700_001, 299_999]
    assert taken.amount_fen == 99_000


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"buyer_enterprise_id": "ent-wind"}, "buyer_enterprise_id"),
        ({"contract_id": "bad id"}, "contract_id"),
        ({"start_month": "2026-13"}, "start_month"),
        ({"end_month": "2026-02"}, "end_month"),
        ({"end_month": "2029-03"}, "end_month"),
        ({"curve_wh": (1, 2)}, "monthly_wh"),
        ({"curve_wh": (-1,)}, "monthly_wh[0]"),
        ({"curve_wh": (0,)}, "monthly_wh"),
        ({"curve_kind": CurveKind.HOURLY}, "hourly_wh"),
        ({"price_fen_per_mwh": 0}, "price_fen_per_mwh"),
        ({"shortfall_rate_fen_per_mwh": 0}, "shortfall_rate_fen_per_mwh"),
        ({"surplus_rule": SurplusRule.TAKE}, "surplus_cap_permille"),
        ({"surplus_cap_permille": 5}, "surplus_cap_permille"),
        ({"generator_asset_ids": ("wf-1", "wf-1")}, "generator_asset_ids"),
    ],
)
def test_bad_terms_name_their_field(changes, field):
    with pytest.raises(err.InvalidInput) as info:
        check_terms(_terms(**changes))
    assert info.value.field == field


def test_only_the_named_generators_deliver(ledger):
    ledger.issue("issue-2", "wf-2", "wind", "CN-JS", "ent-wind", [(HOURS[2][0], 400_000)])
    _agree(ledger, _terms(generator_asset_ids=("wf-2",)))
    _, march = ledger.deliver_month("d-1", "C-1", "2026-03", APRIL_2)
    assert (march.available_wh, march.delivered_wh, march.shortfall_wh) == (
        400_000,
        400_000,
        2_600_000,
    )
    assert ledger.verify().ok


def test_every_contract_step_becomes_its_event(redis_client):
    """The ledger's outbox entries of a contract encode to the events the relay publishes,
    keyed by contract id, each with an id fixed by the step."""
    feed_key = "parkvpp:{ledger}:outbox"
    ledger = CertificateLedger(redis_client, change_feed=feed_key)
    ledger.issue("issue-1", "wf-1", "wind", "CN-JS", "ent-wind", HOURS)
    _agree(ledger, _terms())
    ledger.deliver_month("d-1", "C-1", "2026-03", APRIL_2)
    entries = [fields for _, fields in redis_client.xrange(feed_key)][1:]
    encoded = [feed.encode(fields) for fields in entries]
    assert [(topic, key) for topic, key, _ in encoded] == [(TOPIC_CERTIFICATES, "C-1")] * 3
    envelopes = [events_pb2.EventEnvelope.FromString(raw) for _, _, raw in encoded]
    assert [e.event_id for e in envelopes] == [
        "green-contract-proposed-C-1",
        "green-contract-accepted-C-1",
        "green-contract-delivered-C-1-2026-03",
    ]
    delivered = cpb.GreenContractMonthDelivered()
    assert envelopes[2].payload.Unpack(delivered)
    assert (delivered.buyer_enterprise_id, delivered.month.net_fen) == ("ent-steel", 96_667)
    assert [line.amount_fen for line in delivered.month.lines] == [54_000, 31_500, 15_000]


@settings(max_examples=200, deadline=None)
@given(
    curve=st.lists(st.integers(0, 3_000_000), min_size=1, max_size=2),
    lots=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 2_000_000)), max_size=6),
    carried_in=st.integers(0, 1_000_000),
    cap=st.sampled_from([0, 1, 250, 1000]),
    rule=st.sampled_from(list(ShortfallRule)),
    last=st.booleans(),
)
def test_a_plan_keeps_every_rule_for_any_lots(curve, lots, carried_in, cap, rule, last):
    """Hourly (two hours of March wanted) or monthly: nothing is delivered twice or beyond
    what the seller has, surplus stays within its cap, energy and money balance to the Wh
    and fen."""
    hourly = len(curve) == 2
    wanted = [0] * 744
    wanted[0], wanted[1] = (curve + [0])[:2]
    terms = _terms(
        curve_kind=CurveKind.HOURLY if hourly else CurveKind.MONTHLY,
        curve_wh=tuple(wanted) if hourly else (curve[0],),
        end_month="2026-03" if last else "2026-04",
        shortfall_rule=rule,
        surplus_rule=SurplusRule.TAKE if cap else SurplusRule.REFUSE,
        surplus_cap_permille=cap,
    )
    if not last:
        terms = replace(terms, curve_wh=terms.curve_wh + ((1,) if not hourly else (0,) * 720))
    start = int(datetime(2026, 2, 28, 16, tzinfo=UTC).timestamp())
    available = [
        AvailableLot(f"L{i}", i, start + 3600 * hour, wh) for i, (hour, wh) in enumerate(lots)
    ]
    available.sort(key=lambda lot: (lot.hour_s, lot.seq))
    carried = carried_in if rule == ShortfallRule.CARRY else 0
    plan = plan_delivery(terms, "2026-03", carried, available)
    have = {lot.lot_id: lot.energy_wh for lot in available}
    got = {line.source_lot_id: line.energy_wh for line in plan.lines}
    assert all(0 < wh <= have[lot_id] for lot_id, wh in got.items())
    assert plan.delivered_wh == sum(got.values()) <= sum(have.values())
    contracted = sum(curve[:2]) if hourly else curve[0]
    assert plan.delivered_wh - plan.surplus_wh + plan.shortfall_wh == contracted + carried
    assert 0 <= plan.surplus_wh <= contracted * cap // 1000
    assert plan.shortfall_wh >= 0
    assert plan.carried_out_wh + plan.compensated_wh == plan.shortfall_wh
    assert plan.carried_out_wh == (
        0 if last or rule == ShortfallRule.COMPENSATE else plan.shortfall_wh
    )
    assert sum(line.amount_fen for line in plan.lines) == plan.amount_fen
    assert plan.amount_fen == (plan.delivered_wh * PRICE + 500_000) // 1_000_000
    if not hourly and plan.shortfall_wh:  # a month is short only when all of it went;
        assert plan.surplus_wh == 0 and plan.delivered_wh == sum(have.values())
    # an hourly month can be short in one hour and have surplus in another: hours are
    # matched one by one, so another hour's certificates never fill a short hour.


def test_concurrent_runs_of_a_month_deliver_it_once(ledger, redis_client):
    """Four runs of March race while certificates of other owners are issued: one
    delivery, the same for all, and a sound ledger."""
    _agree(ledger, _terms())
    results: list = []
    errors: list = []

    def run(n: int) -> None:
        try:
            client = redis.Redis(connection_pool=redis_client.connection_pool)
            mine = CertificateLedger(client, signer=LedgerSigner(KEY))
            results.append(mine.deliver_month(f"d-{n}", "C-1", "2026-03", APRIL_2))
        except err.CertificateError as exc:
            errors.append(exc)

    def churn() -> None:
        may = datetime(2026, 5, 3, tzinfo=UTC)
        for n in range(20):
            ledger.issue(f"may-{n}", f"pv-{n}", "pv", "CN-JS", "ent-other", [(may, 1_000)])

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=churn))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 4 and all(result == results[0] for result in results)
    assert results[0][1].delivered_wh == 2_233_334
    assert ledger.balance("ent-steel").active_wh == 2_233_334
    assert ledger.verify().ok


def test_a_plan_made_before_the_sellers_lots_changed_is_made_again(ledger, monkeypatch):
    """A March certificate issued between planning and applying: the first plan is stale,
    the second one delivers it too (and verify, which plans again, agrees)."""
    _agree(ledger, _terms())
    planned = []

    def eligible_then_issue(*args):
        found = original(*args)
        if not planned:
            hour = datetime(2026, 3, 20, 4, tzinfo=UTC)
            ledger.issue("late", "wf-2", "wind", "CN-JS", "ent-wind", [(hour, 500_000)])
        planned.append(len(found))
        return found

    original = contract_ops.eligible_lots
    monkeypatch.setattr(contract_ops, "eligible_lots", eligible_then_issue)
    _, march = ledger.deliver_month("d-1", "C-1", "2026-03", APRIL_2)
    assert planned == [3, 4]
    assert march.delivered_wh == 2_233_334 + 500_000
    assert ledger.verify().ok
