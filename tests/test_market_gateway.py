"""The market gateway: the same bidder submits to the reference exchange or to a drop directory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import grpc
import pytest
from google.protobuf import json_format

from bidding.intervals import INTERVALS_PER_DAY, MARKET_TZ
from bidding.offers import OfferStep
from parkvpp.v1 import bidding_pb2, market_pb2
from services.bidding.curves import orders_of, within_range
from services.bidding.gateway import BATCH_FORMAT, FileDropGateway
from services.demo.day import MarketDay, market_day_for
from services.runtime.errors import AlreadyExists
from services.runtime.local_stack import LocalStack
from services.runtime.store import shared_key

#: Fixed scenarios make the two stacks' plans identical (the solve is deterministic).
SCENARIOS = [
    bidding_pb2.PriceScenario(probability=p, price_fen_per_mwh=[level] * INTERVALS_PER_DAY)
    for p, level in ((0.5, 300_000), (0.5, 900_000))
]
ENERGY_SCENARIOS = [
    bidding_pb2.PriceScenario(
        probability=1.0, price_fen_per_mwh=[30_000] * 40 + [-5_000] * 20 + [90_000] * 36
    )
]


def _order(interval=3, side=market_pb2.SIDE_SELL, price=50_000, kw=12.5) -> market_pb2.Order:
    return market_pb2.Order(
        order_id=f"b-{interval:02d}",
        participant_id="parkvpp-vpp",
        market_day="2026-01-05",
        interval=interval,
        product=market_pb2.PRODUCT_ENERGY,
        side=side,
        steps=[market_pb2.PriceStep(price_fen_per_mwh=price, quantity_kw=kw)],
    )


def test_a_batch_file_has_the_documented_format_and_is_written_once(tmp_path):
    gateway = FileDropGateway(str(tmp_path), "parkvpp-vpp")
    orders = [_order(), _order(interval=72, side=market_pb2.SIDE_BUY, price=-3_000)]
    receipt = gateway.submit("b", "2026-01-05", orders)
    path = tmp_path / "2026-01-05" / "b.json"
    assert receipt.destination == str(path) and receipt.orders_accepted == 2
    document = json.loads(path.read_text())
    assert document["format"] == BATCH_FORMAT
    assert (document["batch_id"], document["participant_id"]) == ("b", "parkvpp-vpp")
    assert document["orders"][1] == {
        "order_id": "b-72",
        "product": "ENERGY",
        "side": "BUY",
        "period": 72,
        "period_start": "18:00",
        "period_end": "18:15",
        "segments": [{"price_fen_per_mwh": -3_000, "quantity_kw": 12.5}],
    }
    written = path.stat().st_mtime_ns
    assert gateway.submit("b", "2026-01-05", orders) == receipt, "a resubmission changes nothing"
    assert path.stat().st_mtime_ns == written
    with pytest.raises(AlreadyExists):
        gateway.submit("b", "2026-01-05", [_order(kw=99.0)])
    assert json.loads(path.read_text()) == document
    assert [p.name for p in path.parent.iterdir()] == ["b.json"], "no temporary file left"


def test_a_clearing_result_dropped_by_the_centre_is_read_back(tmp_path):
    gateway = FileDropGateway(str(tmp_path), "parkvpp-vpp")
    assert gateway.clearing("2026-01-05", market_pb2.PRODUCT_ENERGY) is None
    result = market_pb2.ClearingResult(
        clearing_id="c1", market_day="2026-01-05", product=market_pb2.PRODUCT_ENERGY
    )
    result.intervals.add(interval=44, clearing_price_fen_per_mwh=-5000, cleared_kw=1200.0)
    folder = tmp_path / "2026-01-05" / "results"
    folder.mkdir(parents=True)
    (folder / "ENERGY.json").write_text(json_format.MessageToJson(result))
    assert gateway.clearing("2026-01-05", market_pb2.PRODUCT_ENERGY) == result
    assert gateway.clearing("2026-01-05", market_pb2.PRODUCT_DEMAND_RESPONSE) is None


@pytest.fixture(scope="module")
def two_stacks(redis_url, kafka_bootstrap, tmp_path_factory) -> Iterator[tuple]:
    """The demo park on two stacks that differ only in the gateway setting."""
    drop = tmp_path_factory.mktemp("drop")
    file_env = {"PARKVPP_MARKET_GATEWAY": "file", "PARKVPP_MARKET_GATEWAY_DIR": str(drop)}
    stacks = []
    try:
        for db, env in ((7, {}), (8, file_env)):
            stack = LocalStack(redis_url, kafka_bootstrap, db, group_prefix=f"gw-{db}", env=env)
            stacks.append(stack.start())
        days = []
        for stack in stacks:
            clients = stack.clients()
            day = MarketDay(clients, market_day_for(), lambda line: None, stack.token)
            day.enrol()
            day.history()
            days.append(day.day)
            clients.close()
        yield stacks, drop, days[0]
    finally:
        for stack in stacks:
            stack.stop()


def _grid_call_file(drop, day, requested_kw: float) -> str:
    """The reference exchange's synthetic grid call of `day`, as the centre's dr_events.json."""
    call = f"ev-{day.isoformat()}-grid-operator"
    folder = drop / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    event = {
        "event_id": call,
        "program": "peak-shaving",
        "issuer_id": "grid-operator",
        "from": "18:00",
        "to": "20:00",
        "requested_kw": requested_kw,
        "price_floor_fen_per_mwh": 0,
        "price_cap_fen_per_mwh": 1_300_000,
        "declaration_deadline": f"{day - timedelta(days=1)}T12:00:00+08:00",
        "notice_minutes": 60,
    }
    document = {"format": "parkvpp.dr-events.v1", "market_day": day.isoformat(), "events": [event]}
    (folder / "dr_events.json").write_text(json.dumps(document))
    return call


def _prepare_and_submit(stack, day) -> tuple[bidding_pb2.BidPlan, bidding_pb2.SubmitBidsResponse]:
    clients = stack.clients()
    eve = day - timedelta(days=1)
    try:
        plan = clients.bidding.PrepareBids(
            bidding_pb2.PrepareBidsRequest(
                market_day=day.isoformat(),
                price_scenarios=SCENARIOS,
                energy_price_scenarios=ENERGY_SCENARIOS,
                # The morning before, ahead of the grid call's declaration deadline.
                decided_at=datetime(eve.year, eve.month, eve.day, 9, tzinfo=MARKET_TZ),
            ),
            timeout=300,
        )
        reply = clients.bidding.SubmitBids(bidding_pb2.SubmitBidsRequest(plan_id=plan.plan_id))
        return plan, reply
    finally:
        clients.close()


def _without_plan_id(orders: list[dict], plan_id: str) -> list[dict]:
    return sorted(
        json.dumps({**o, "order_id": o["order_id"].replace(plan_id, "P")}, sort_keys=True)
        for o in orders
    )


def test_the_bidder_sends_the_same_orders_through_either_gateway(two_stacks):
    (reference, file_stack), drop, day = two_stacks
    clients = reference.clients()
    try:
        (listed,) = clients.market.ListDrEvents(
            market_pb2.ListDrEventsRequest(market_day=day.isoformat())
        ).events
    finally:
        clients.close()
    call = _grid_call_file(drop, day, listed.requested_kw)
    ref_plan, ref_reply = _prepare_and_submit(reference, day)
    file_plan, file_reply = _prepare_and_submit(file_stack, day)
    assert ref_plan.storage_offers and ref_plan.demand_response_offers
    # The same invitation, from the exchange's ListDrEvents and from the centre's file.
    assert list(ref_plan.answered_event_ids) == list(file_plan.answered_event_ids) == [call]
    assert ref_reply.orders_submitted == file_reply.orders_submitted > 0
    # The reference exchange booked the orders in its book.
    booked = reference.redis.hgetall(shared_key("market", day.isoformat(), "orders"))
    ref_orders = [
        json_format.MessageToDict(market_pb2.Order.FromString(v), preserving_proto_field_name=True)
        for v in booked.values()
    ]
    # The file gateway wrote one batch file; the stack's own exchange got nothing.
    path = drop / day.isoformat() / f"{file_plan.plan_id}.json"
    document = json.loads(path.read_text())
    assert len(document["orders"]) == file_reply.orders_submitted
    assert not file_stack.redis.exists(shared_key("market", day.isoformat(), "orders"))
    as_orders = [
        json_format.MessageToDict(o, preserving_proto_field_name=True)
        for o in orders_of(file_plan, "parkvpp-vpp")
    ]
    assert document["orders"][0]["segments"] == [
        {"price_fen_per_mwh": int(s["price_fen_per_mwh"]), "quantity_kw": s["quantity_kw"]}
        for s in as_orders[0]["steps"]
    ]
    # Same bidder, same orders: identical apart from the plan's random id.
    assert _without_plan_id(ref_orders, ref_plan.plan_id) == _without_plan_id(
        as_orders, file_plan.plan_id
    )
    energy = [o for o in ref_orders if o["product"] == "PRODUCT_ENERGY"]
    assert {o["side"] for o in energy} == {"SIDE_BUY", "SIDE_SELL"}


def test_a_file_gateway_refuses_a_changed_batch_over_grpc(two_stacks):
    (_, file_stack), drop, day = two_stacks
    plan, _ = _prepare_and_submit(file_stack, day)
    path = drop / day.isoformat() / f"{plan.plan_id}.json"
    path.write_text(path.read_text().replace('"SELL"', '"BUY"', 1))
    clients = file_stack.clients()
    try:
        with pytest.raises(grpc.RpcError) as err:
            clients.bidding.SubmitBids(bidding_pb2.SubmitBidsRequest(plan_id=plan.plan_id))
    finally:
        clients.close()
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_blocks_outside_the_exchange_range_move_to_its_bounds_and_merge():
    sell = [OfferStep(-9_000, 1.0), OfferStep(-8_000, 2.0), OfferStep(50_000, 3.0)]
    sell += [OfferStep(140_000, 4.0), OfferStep(150_000, 5.0)]
    assert within_range(sell, -8000, 130_000) == [
        OfferStep(-8_000, 3.0),
        OfferStep(50_000, 3.0),
        OfferStep(130_000, 9.0),
    ]
    buy = [OfferStep(200_000, 1.0), OfferStep(20_000, 2.0), OfferStep(-9_000, 3.0)]
    assert within_range(buy, -8000, 130_000) == [
        OfferStep(130_000, 1.0),
        OfferStep(20_000, 2.0),
        OfferStep(-8_000, 3.0),
    ]
