"""Settling the battery's ENERGY awards through the real stack: a correction, to the fen."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from parkvpp.v1 import market_pb2, settlement_pb2
from services.demo.day import MarketDay, market_day_for

pytestmark = pytest.mark.timeout(600)

VPP = "parkvpp-vpp"


def _clear(clients, day, product):
    return clients.market.ClearMarket(
        market_pb2.ClearMarketRequest(
            market_day=day.isoformat(), product=product, include_synthetic_participants=True
        ),
        timeout=60,
    )


def _by_hand(award) -> int:
    """price × Wh / 1e6 fen, sign by side, rounded half away from zero (Decimal, not Fraction)."""
    wh = (Decimal(repr(award.awarded_kw)) * 250).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    value = Decimal(award.price_fen_per_mwh) * wh / 1_000_000
    if award.side == market_pb2.SIDE_BUY:
        value = -value
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def settled(stack_factory):
    """The sample park's day settled before its ENERGY clearing, corrected by the ESCO
    after it, and settled again (which returns the correction)."""
    stack = stack_factory(db=12)
    clients = stack.clients()
    demo = MarketDay(clients, market_day_for(), lambda line: None, stack.token)
    demo.enrol()
    demo.history()
    demo.bid()
    demo.summary.clearing = _clear(clients, demo.day, market_pb2.PRODUCT_DEMAND_RESPONSE)
    demo.dispatch()
    demo.meter_day()
    esco = stack.auth("esco")
    request = settlement_pb2.RunSettlementRequest(market_day=demo.day.isoformat())
    before = clients.settlement.RunSettlement(request, metadata=esco, timeout=120)
    energy = _clear(clients, demo.day, market_pb2.PRODUCT_ENERGY)
    correction = settlement_pb2.CorrectSettlementRequest(
        market_day=demo.day.isoformat(), reason="ENERGY market cleared after settlement"
    )
    after = clients.settlement.CorrectSettlement(correction, metadata=esco, timeout=120)
    again = clients.settlement.RunSettlement(request, metadata=esco, timeout=120)
    statements = {
        e.enterprise_id: clients.settlement.GetStatement(
            settlement_pb2.GetStatementRequest(
                enterprise_id=e.enterprise_id, market_day=demo.day.isoformat()
            ),
            metadata=esco,
            timeout=30,
        )
        for e in after.enterprises
    }
    yield before, energy, after, again, statements
    clients.close()


def test_a_day_without_energy_clearing_settles_as_before(settled):
    before, *_ = settled
    assert before.version == 1 and before.gross_payment_fen > 0
    assert before.energy_market_fen == 0 and before.capacity_payment_fen == 0
    assert all(e.energy_market_fen == 0 for e in before.enterprises)


def test_the_energy_awards_are_settled_on_the_battery_owners_statement(settled):
    before, energy, after, _, statements = settled
    vpp_awards = [a for a in energy.awards if a.participant_id == VPP and a.awarded_kw > 0]
    assert vpp_awards, "the battery won no ENERGY award"
    expected = sum(_by_hand(a) for a in vpp_awards)
    assert after.version == 2
    assert after.energy_market_fen == expected
    by_enterprise = {e.enterprise_id: e.energy_market_fen for e in after.enterprises}
    assert by_enterprise["ent-chem"] == expected
    assert all(fen == 0 for e, fen in by_enterprise.items() if e != "ent-chem")
    chem = statements["ent-chem"]
    assert len(chem.energy_lines) == len(vpp_awards)
    assert {line.award_id for line in chem.energy_lines} == {a.award_id for a in vpp_awards}
    assert all(line.asset_id == "chem-battery" for line in chem.energy_lines)
    assert sum(line.amount_fen for line in chem.energy_lines) == chem.energy_market_fen == expected
    # DR money is untouched by the ENERGY awards; every statement adds up to the fen.
    assert (after.gross_payment_fen, after.operator_fee_fen) == (
        before.gross_payment_fen,
        before.operator_fee_fen,
    )
    for statement in statements.values():
        assert sum(line.amount_fen for line in statement.lines) == statement.amount_fen
        energy_fen = sum(line.amount_fen for line in statement.energy_lines)
        assert energy_fen == statement.energy_market_fen
        assert statement.total_fen == statement.amount_fen + statement.energy_market_fen
    shares = sum(e.amount_fen for e in after.enterprises)
    assert shares == after.enterprise_pool_fen
    assert shares + after.operator_fee_fen == after.gross_payment_fen - after.penalty_fen
    assert sum(e.energy_market_fen for e in after.enterprises) == after.energy_market_fen


def test_a_negative_price_award_is_settled_with_its_sign(settled):
    _, energy, _, _, statements = settled
    lines = {line.award_id: line for line in statements["ent-chem"].energy_lines}
    for award in energy.awards:
        if award.participant_id == VPP and award.awarded_kw > 0:
            line = lines[award.award_id]
            assert line.amount_fen == _by_hand(award)
            if award.price_fen_per_mwh < 0 and line.amount_fen != 0:
                # Selling at a negative price costs; buying at one earns.
                assert (line.amount_fen > 0) == (award.side == market_pb2.SIDE_BUY)


def test_the_change_is_reported_and_a_re_run_is_idempotent(settled):
    _, _, after, again, _ = settled
    assert (again.run_id, again.version, again.input_digest) == (
        after.run_id,
        after.version,
        after.input_digest,
    )
    changed = {c.enterprise_id: c for c in after.changes_from_previous}
    if after.energy_market_fen:
        assert changed["ent-chem"].previous_energy_market_fen == 0
        assert changed["ent-chem"].energy_market_fen == after.energy_market_fen
    adjustments = {line.enterprise_id: line for line in after.adjustments}
    assert adjustments["ent-chem"].adjustment_fen == after.energy_market_fen
    assert sum(line.adjustment_fen for line in after.adjustments) == after.energy_market_fen
