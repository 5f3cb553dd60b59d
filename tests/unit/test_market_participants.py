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
    assert [o.interval for o in dr] == list(range(72, 80))
    assert {(o.participant_id, o.side) for o in dr} == {("grid-operator", pb.SIDE_BUY)}
    assert dr[0].steps[0].price_fen_per_mwh == 1_300_000 and dr[0].steps[0].quantity_kw == 1000
    energy = participants.orders(DAY, pb.PRODUCT_ENERGY)
    buys = [o for o in energy if o.side == pb.SIDE_BUY]
    assert sorted(o.interval for o in buys) == list(range(96)), "the retailer every interval"
    solar = [o for o in energy if o.participant_id == "solar-farm"]
    assert [o.interval for o in solar] == list(range(40, 60))
    assert solar[0].steps[0].price_fen_per_mwh == -5_000
    assert len({o.order_id for o in energy}) == len(energy)
    assert all(o.market_day == "2026-01-05" for o in energy + dr)


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
