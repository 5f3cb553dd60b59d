"""Green-power trades against a real Valkey: certificates and money leg settle together."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
import redis

from certificates import exceptions as err
from certificates.store import CertificateLedger

H0 = datetime(2026, 3, 10, 4, tzinfo=UTC)
NOW = datetime(2026, 4, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture()
def ledger(redis_client: redis.Redis) -> CertificateLedger:
    return CertificateLedger(redis_client)


@pytest.fixture()
def lot_id(ledger: CertificateLedger) -> str:
    (lot,) = ledger.issue("r1", "gen-1", "pv", "CN-JS", "ent-a", [(H0, 2_500_000)])
    return lot.lot_id


def _propose(ledger, trade_id="T-1", lot_id="GEC-000000000001", **overrides):
    args = {
        "seller_enterprise_id": "ent-a",
        "buyer_enterprise_id": "ent-b",
        "energy_wh": 1_500_000,
        "price_fen_per_mwh": 6_667,
        "at": NOW,
        "valid_for": timedelta(days=1),
    }
    args.update(overrides)
    return ledger.propose_green_trade(f"p-{trade_id}", trade_id, lot_id, **args)


def _trade(ledger, request_id="g1", trade_id="T-1", at=NOW, **overrides):
    """Propose 1.5 MWh at 6,667 fen/MWh (10,000.5 -> 10,001 fen), accept, settle."""
    _propose(ledger, trade_id, **overrides)
    ledger.accept_green_trade(f"a-{trade_id}", trade_id, "ent-b", NOW)
    return ledger.settle_green_trade(request_id, trade_id, at)


def test_trade_moves_certificates_and_records_the_money(ledger, lot_id):
    trade, bought, rest = _trade(ledger)
    assert (bought.owner_enterprise_id, bought.energy_wh, bought.trade_id) == (
        "ent-b",
        1_500_000,
        "T-1",
    )
    assert (bought.serial_start, bought.serial_end) == (0, 1_500_000)
    assert rest is not None and (rest.lot_id, rest.energy_wh) == (lot_id, 1_000_000)
    assert ledger.get_trade("T-1") == trade
    assert (trade.lot_id, trade.source_lot_id, trade.amount_fen) == (bought.lot_id, lot_id, 10_001)
    assert (trade.seller_enterprise_id, trade.buyer_enterprise_id) == ("ent-a", "ent-b")
    assert (trade.stored_state, trade.accepted_by, trade.settled_by) == ("SETTLED", "ent-b", "esco")
    # 100.01 CNY for 1.5 MWh is 6667 1/3 fen per MWh, kept exact.
    assert trade.price_fen_per_mwh == Fraction(20_002, 3)
    assert ledger.balance("ent-b").active_wh == 1_500_000
    assert ledger.balance("ent-a").active_wh == 1_000_000
    assert ledger.verify().ok


def test_trade_replay_returns_the_same_settlement(ledger, lot_id, redis_client):
    first = _trade(ledger)
    keys = {key: redis_client.dump(key) for key in redis_client.keys("*")}
    again = ledger.settle_green_trade("g1", "T-1", NOW + timedelta(hours=3))  # `at` not identity
    assert again == first
    assert {key: redis_client.dump(key) for key in redis_client.keys("*")} == keys


def test_a_trade_settles_once(ledger, lot_id):
    _trade(ledger)
    with pytest.raises(err.TradeExists) as info:
        ledger.settle_green_trade("g2", "T-1", NOW)
    assert info.value.trade_id == "T-1"
    with pytest.raises(err.TradeExists):
        ledger.propose_green_trade(
            "p-again", "T-1", "GEC-000000000001", "ent-a", "ent-c", 10, 6_667, NOW, HOUR
        )
    with pytest.raises(err.DuplicateRequest):
        _propose(ledger, energy_wh=10)
    assert ledger.balance("ent-b").active_wh == 1_500_000


def test_an_unaccepted_trade_does_not_settle_and_a_rejected_one_never(ledger, lot_id):
    _propose(ledger)
    with pytest.raises(err.TradeNotAgreed):
        ledger.settle_green_trade("g1", "T-1", NOW)
    ledger.reject_green_trade("rej-1", "T-1", "ent-b", NOW)
    with pytest.raises(err.TradeClosed):
        ledger.accept_green_trade("a1", "T-1", "ent-b", NOW)
    with pytest.raises(err.TradeClosed):
        ledger.settle_green_trade("g2", "T-1", NOW)
    with pytest.raises(err.TradeNotFound):
        ledger.accept_green_trade("a2", "T-1", "ent-x", NOW)
    assert ledger.balance("ent-b").active_wh == 0
    assert ledger.verify().ok


def test_an_expired_proposal_cannot_be_accepted_or_settled(ledger, lot_id):
    _propose(ledger)
    later = NOW + timedelta(days=1)
    with pytest.raises(err.TradeExpired):
        ledger.accept_green_trade("a1", "T-1", "ent-b", later)
    ledger.accept_green_trade("a2", "T-1", "ent-b", NOW)
    with pytest.raises(err.TradeExpired):
        ledger.settle_green_trade("g1", "T-1", later)
    assert ledger.get_trade("T-1").state_at(later) == "EXPIRED"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"energy_wh": 3_000_000}, err.InsufficientEnergy),
        ({"seller_enterprise_id": "ent-x"}, err.NotOwner),
        ({"at": datetime(2028, 3, 1, tzinfo=UTC)}, err.LotExpired),
    ],
)
def test_a_failed_proposal_leaves_no_trace(ledger, lot_id, redis_client, overrides, error):
    with pytest.raises(error):
        _propose(ledger, **overrides)
    with pytest.raises(err.TradeNotFound):
        ledger.get_trade("T-1")
    assert redis_client.llen("parkvpp:{ledger}:audit:log") == 1
    assert ledger.balance("ent-a").active_wh == 2_500_000


def test_retired_certificates_cannot_be_traded(ledger, lot_id):
    _propose(ledger)
    ledger.accept_green_trade("a1", "T-1", "ent-b", NOW)
    period = (datetime(2026, 3, 1, tzinfo=UTC), NOW)
    ledger.retire("x1", lot_id, "ent-a", "ent-a", 0, *period, NOW)
    with pytest.raises(err.AlreadyRetired):
        ledger.settle_green_trade("g1", "T-1", NOW)


@pytest.mark.parametrize(
    "overrides",
    [
        {"energy_wh": 0},
        {"price_fen_per_mwh": -1},
        {"price_fen_per_mwh": True},
        {"price_fen_per_mwh": 1.5},
        {"buyer_enterprise_id": "ent-a"},
        {"at": datetime(2026, 4, 1)},
        {"valid_for": timedelta(0)},
    ],
)
def test_invalid_proposals_are_rejected_before_redis(ledger, lot_id, overrides):
    with pytest.raises(err.InvalidInput):
        _propose(ledger, **overrides)
    with pytest.raises(err.InvalidInput):
        _propose(ledger, trade_id="")


def test_two_requests_racing_to_settle_one_trade_settle_it_once(ledger, lot_id):
    _propose(ledger, energy_wh=1_000)
    ledger.accept_green_trade("a1", "T-1", "ent-b", NOW)
    barrier, outcomes = threading.Barrier(2), []

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            outcomes.append(ledger.settle_green_trade(f"g{n}", "T-1", NOW))
        except err.TradeExists as error:
            outcomes.append(error)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["TradeExists", "tuple"]
    assert ledger.balance("ent-b").active_wh == 1_000
