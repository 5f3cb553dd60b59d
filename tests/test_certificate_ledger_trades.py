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


@pytest.fixture()
def ledger(redis_client: redis.Redis) -> CertificateLedger:
    return CertificateLedger(redis_client)


@pytest.fixture()
def lot_id(ledger: CertificateLedger) -> str:
    (lot,) = ledger.issue("r1", "gen-1", "pv", "CN-JS", "ent-a", [(H0, 2_500_000)])
    return lot.lot_id


def _trade(ledger, request_id="g1", trade_id="T-1", lot_id="GEC-000000000001", **overrides):
    args = {
        "seller_enterprise_id": "ent-a",
        "buyer_enterprise_id": "ent-b",
        "energy_wh": 1_500_000,
        "amount_fen": 10_000,
        "at": NOW,
    }
    args.update(overrides)
    return ledger.settle_green_trade(request_id, trade_id, lot_id, **args)


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
    assert (trade.lot_id, trade.source_lot_id, trade.amount_fen) == (bought.lot_id, lot_id, 10_000)
    assert (trade.seller_enterprise_id, trade.buyer_enterprise_id) == ("ent-a", "ent-b")
    # 100.00 CNY for 1.5 MWh is 6666 2/3 fen per MWh, kept exact rather than rounded.
    assert trade.price_fen_per_mwh == Fraction(20_000, 3)
    assert ledger.balance("ent-b").active_wh == 1_500_000
    assert ledger.balance("ent-a").active_wh == 1_000_000
    assert ledger.verify().ok


def test_trade_replay_returns_the_same_settlement(ledger, lot_id, redis_client):
    first = _trade(ledger)
    keys = {key: redis_client.dump(key) for key in redis_client.keys("*")}
    assert _trade(ledger, at=NOW + timedelta(days=3)) == first  # `at` is not identity
    assert {key: redis_client.dump(key) for key in redis_client.keys("*")} == keys


def test_a_trade_settles_once(ledger, lot_id):
    _trade(ledger)
    with pytest.raises(err.TradeExists) as info:
        _trade(ledger, request_id="g2", energy_wh=10)
    assert info.value.trade_id == "T-1"
    with pytest.raises(err.DuplicateRequest):
        _trade(ledger, amount_fen=1)
    assert ledger.balance("ent-b").active_wh == 1_500_000


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"energy_wh": 3_000_000}, err.InsufficientEnergy),
        ({"seller_enterprise_id": "ent-x"}, err.NotOwner),
        ({"at": datetime(2028, 3, 1, tzinfo=UTC)}, err.LotExpired),
    ],
)
def test_a_failed_trade_leaves_no_trace(ledger, lot_id, redis_client, overrides, error):
    with pytest.raises(error):
        _trade(ledger, **overrides)
    with pytest.raises(err.TradeNotFound):
        ledger.get_trade("T-1")
    assert redis_client.llen("parkvpp:{ledger}:audit:log") == 1
    assert ledger.balance("ent-a").active_wh == 2_500_000


def test_retired_certificates_cannot_be_traded(ledger, lot_id):
    period = (datetime(2026, 3, 1, tzinfo=UTC), NOW)
    ledger.retire("x1", lot_id, "ent-a", "ent-a", 0, *period, NOW)
    with pytest.raises(err.AlreadyRetired):
        _trade(ledger)


@pytest.mark.parametrize(
    "overrides",
    [
        {"energy_wh": 0},
        {"amount_fen": -1},
        {"amount_fen": True},
        {"amount_fen": 1.5},
        {"buyer_enterprise_id": "ent-a"},
        {"at": datetime(2026, 4, 1)},
    ],
)
def test_invalid_trades_are_rejected_before_redis(ledger, lot_id, overrides):
    with pytest.raises(err.InvalidInput):
        _trade(ledger, **overrides)
    with pytest.raises(err.InvalidInput):
        _trade(ledger, trade_id="")


def test_two_requests_racing_for_one_trade_id_settle_it_once(ledger, lot_id):
    barrier, outcomes = threading.Barrier(2), []

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            outcomes.append(_trade(ledger, request_id=f"g{n}", energy_wh=1_000))
        except err.TradeExists as error:
            outcomes.append(error)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["TradeExists", "tuple"]
    assert ledger.balance("ent-b").active_wh == 1_000
