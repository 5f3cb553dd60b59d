"""The reference exchange's synthetic participants: the default, a file, and bad data named."""

from __future__ import annotations

import json
from datetime import date

import pytest

from parkvpp.v1 import market_pb2 as pb
from services.market.participants import DEFAULT, ParticipantsError, SyntheticParticipants
from services.runtime.settings import SettingsError, load_settings

RANGES = load_settings({}).market_price_range
DAY = date(2026, 1, 5)


def test_the_default_holds_the_demo_grid_call_and_an_energy_market():
    participants = SyntheticParticipants.load("", RANGES)
    dr = participants.orders(DAY, pb.PRODUCT_DEMAND_RESPONSE)
    assert {o.interval for o in dr} == set(range(72, 80))
    buys = [o for o in dr if o.side == pb.SIDE_BUY]
    assert {o.participant_id for o in buys} == {"grid-operator"} and len(buys) == 8
    # The call: about 5 MW (+-20 % by day) at up to 13,000 CNY/MWh, against five sellers.
    assert buys[0].steps[0].price_fen_per_mwh == 1_300_000
    assert 4000 <= buys[0].steps[0].quantity_kw <= 6000
    sellers = {o.participant_id for o in dr if o.side == pb.SIDE_SELL}
    assert len(sellers) == 5 and "grid-operator" not in sellers
    energy = participants.orders(DAY, pb.PRODUCT_ENERGY)
    buys = [o for o in energy if o.side == pb.SIDE_BUY]
    assert sorted(o.interval for o in buys) == list(range(96)), "the retailer every interval"
    solar = [o for o in energy if o.participant_id == "solar-farm"]
    assert [o.interval for o in solar] == list(range(40, 60))
    assert solar[0].steps[0].price_fen_per_mwh == -5_000
    assert len({o.order_id for o in energy}) == len(energy)
    assert all(o.market_day == "2026-01-05" for o in energy + dr)


def test_a_varying_entry_differs_by_day_the_same_for_the_same_day():
    entry = {
        "participant_id": "aggregator",
        "product": "DEMAND_RESPONSE",
        "side": "SELL",
        "from": "18:00",
        "to": "18:15",
        "blocks": [{"price_fen_per_mwh": 1_250_000, "quantity_kw": 1000}],
        "vary": {"price": 0.5, "quantity": 0.3},
    }
    participants = SyntheticParticipants.parse({"participants": [entry]}, RANGES, "test")
    days = [date(2026, 1, d) for d in range(1, 31)]
    steps = [participants.orders(d, pb.PRODUCT_DEMAND_RESPONSE)[0].steps[0] for d in days]
    again = participants.orders(days[0], pb.PRODUCT_DEMAND_RESPONSE)[0].steps[0]
    assert again == steps[0]
    prices = [s.price_fen_per_mwh for s in steps]
    kws = [s.quantity_kw for s in steps]
    assert len(set(prices)) > 20 and len(set(kws)) > 20
    # Prices stay whole fen within the DR cap (15,000 CNY/MWh), quantities within +-30 %.
    assert max(prices) <= 1_500_000 and min(prices) >= 625_000
    assert all(700 <= kw <= 1300 for kw in kws)


def test_a_file_replaces_the_default(tmp_path):
    path = tmp_path / "participants.json"
    entry = {
        "participant_id": "peaker",
        "product": "ENERGY",
        "side": "SELL",
        "from": "17:00",
        "to": "24:00",
        "blocks": [{"price_fen_per_mwh": 120_000, "quantity_kw": 50.5}],
    }
    path.write_text(json.dumps({"participants": [entry]}))
    participants = SyntheticParticipants.load(str(path), RANGES)
    orders = participants.orders(DAY, pb.PRODUCT_ENERGY)
    assert [o.interval for o in orders] == list(range(68, 96))
    assert participants.orders(DAY, pb.PRODUCT_DEMAND_RESPONSE) == []


def _with(**change) -> dict:
    entry = dict(DEFAULT["participants"][0])
    entry.update(change)
    return {"participants": [entry]}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"participants": "x"}, "participants"),
        (_with(participant_id=""), "participants[0].participant_id"),
        (_with(product="CAPACITY"), "participants[0].product"),
        (_with(side="HOLD"), "participants[0].side"),
        (_with(**{"from": "18:10"}), "participants[0].from"),
        (_with(to="25:00"), "participants[0].to"),
        (_with(to="17:00"), "participants[0].to"),
        (_with(blocks=[]), "participants[0].blocks"),
        (
            _with(blocks=[{"price_fen_per_mwh": 1_500_001, "quantity_kw": 1}]),
            "participants[0].blocks[0].price_fen_per_mwh",
        ),
        (
            _with(blocks=[{"price_fen_per_mwh": 1, "quantity_kw": -1}]),
            "participants[0].blocks[0].quantity_kw",
        ),
        (_with(vary={"price": 1.5}), "participants[0].vary.price"),
        (_with(vary={"quantity": "a lot"}), "participants[0].vary.quantity"),
        (_with(vary={"volume": 0.1}), "participants[0].vary"),
    ],
)
def test_bad_data_names_the_entry_and_field(data, field):
    with pytest.raises(ParticipantsError) as err:
        SyntheticParticipants.parse(data, RANGES, "test")
    assert str(err.value).startswith(field), str(err.value)


def test_an_energy_block_below_the_floor_is_refused(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps(_with(product="ENERGY", blocks=[{"price_fen_per_mwh": -8001, "quantity_kw": 1}]))
    )
    with pytest.raises(ParticipantsError) as err:
        SyntheticParticipants.load(str(path), RANGES)
    assert "participants[0].blocks[0].price_fen_per_mwh" in str(err.value)
    assert str(path) in str(err.value)


def test_a_missing_participants_file_stops_start_up():
    with pytest.raises(SettingsError) as err:
        load_settings({"PARKVPP_MARKET_PARTICIPANTS_FILE": "/nonexistent/p.json"})
    assert "PARKVPP_MARKET_PARTICIPANTS_FILE" in str(err.value)
