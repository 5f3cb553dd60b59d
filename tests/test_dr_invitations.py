"""DR invitations over real gRPC: announced, listed, published, read from files, answered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from bidding.intervals import INTERVALS_PER_DAY, MARKET_TZ
from parkvpp.v1 import bidding_pb2, events_pb2, market_pb2
from services.bidding.gateway import FileDropGateway
from services.demo.day import MarketDay, market_day_for
from services.market.participants import ParticipantsError, SyntheticParticipants
from services.runtime.errors import FailedPrecondition
from services.runtime.events import TOPIC_DR_EVENTS
from services.runtime.local_stack import LocalStack
from services.runtime.rpc import to_ts
from tests.kafka_helpers import read_events

DR_RANGE = (0, 1_500_000)
FLAT = [
    bidding_pb2.PriceScenario(probability=p, price_fen_per_mwh=[level] * INTERVALS_PER_DAY)
    for p, level in ((0.5, 200_000), (0.3, 800_000), (0.2, 1_200_000))
]


def local(day, hour: int, minute: int = 0) -> datetime:
    """`hour:minute` local time (Asia/Shanghai) on `day`."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MARKET_TZ)


def morning_before(day) -> datetime:
    """09:00 local the day before: ahead of the synthetic call's 12:00 deadline."""
    return local(day - timedelta(days=1), 9)


def dr_event(day, **changes) -> market_pb2.DrEvent:
    """An evening call of `day`, 18:00-19:00, due 11:00 the day before."""
    values = dict(
        event_id=f"ev-{day.isoformat()}-test",
        program="peak-shaving",
        market_day=day.isoformat(),
        start_interval=72,
        end_interval=76,
        requested_kw=300.0,
        price_floor_fen_per_mwh=100_000,
        price_cap_fen_per_mwh=900_000,
        declaration_deadline=to_ts(local(day - timedelta(days=1), 11)),
        notice_minutes=120,
        issuer_id="grid-operator",
    )
    values.update(changes)
    return market_pb2.DrEvent(**values)


def announce(clients, event: market_pb2.DrEvent) -> market_pb2.DrEvent:
    return clients.market.AnnounceDrEvent(market_pb2.AnnounceDrEventRequest(event=event))


def listed(clients, day) -> list[market_pb2.DrEvent]:
    reply = clients.market.ListDrEvents(market_pb2.ListDrEventsRequest(market_day=day.isoformat()))
    return list(reply.events)


def prepare(clients, day, **kw) -> bidding_pb2.BidPlan:
    request = bidding_pb2.PrepareBidsRequest(market_day=day.isoformat(), **kw)
    return clients.bidding.PrepareBids(request, timeout=300)


def offered_intervals(plan: bidding_pb2.BidPlan) -> set[int]:
    return {c.interval for c in plan.demand_response_offers}


@pytest.fixture(scope="module")
def park(stack_factory):
    """The sample park enrolled with its history (no bids yet)."""
    stack = stack_factory(db=4)
    clients = stack.clients()
    day = MarketDay(clients, market_day_for(), lambda line: None, stack.token)
    day.enrol()
    day.history()
    yield clients, day.day, stack
    clients.close()


def test_the_grid_operators_call_is_an_invitation_every_day(park):
    clients, day, _ = park
    later = day + timedelta(days=40)
    (call,) = listed(clients, later)
    # The call varies by day (about 5,000 kW +-20 %); the same day always lists the same.
    assert 4000 <= call.requested_kw <= 6000
    assert listed(clients, later) == [call]
    assert call == market_pb2.DrEvent(
        event_id=f"ev-{later.isoformat()}-grid-operator",
        program="peak-shaving",
        market_day=later.isoformat(),
        start_interval=72,
        end_interval=80,
        requested_kw=call.requested_kw,
        price_floor_fen_per_mwh=0,
        price_cap_fen_per_mwh=1_300_000,
        declaration_deadline=to_ts(local(later - timedelta(days=1), 12)),
        notice_minutes=60,
        issuer_id="grid-operator",
        synthetic=True,
    )


def test_the_operator_announces_and_every_reader_lists_it(park):
    clients, day, stack = park
    later = day + timedelta(days=30)
    event = dr_event(later)
    stored = announce(clients, event)
    assert stored.announced_at.seconds > 0
    expected = market_pb2.DrEvent()
    expected.CopyFrom(event)
    expected.announced_at.CopyFrom(stored.announced_at)
    assert stored == expected
    for role in ("enterprise:ent-chem", "esco", "monitor"):
        reader = stack.clients(role)
        try:
            events = listed(reader, later)
        finally:
            reader.close()
        assert [e.event_id for e in events] == [event.event_id, f"ev-{later}-grid-operator"]
        assert events[0] == stored
    for role in ("enterprise:ent-chem", "esco", "registry", "monitor"):
        caller = stack.clients(role)
        try:
            with pytest.raises(grpc.RpcError) as err:
                announce(caller, dr_event(later, event_id=f"ev-by-{role.split(':')[0]}"))
        finally:
            caller.close()
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    registry = stack.clients("registry")
    try:
        with pytest.raises(grpc.RpcError) as err:
            listed(registry, later)
    finally:
        registry.close()
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_an_event_id_names_one_event(park):
    clients, day, _ = park
    later, other_day = day + timedelta(days=31), day + timedelta(days=35)
    first = announce(clients, dr_event(later, event_id="ev-replayed"))
    assert announce(clients, dr_event(later, event_id="ev-replayed")) == first, "a replay"
    for other in (
        dr_event(later, event_id="ev-replayed", requested_kw=301.0),
        dr_event(other_day, event_id="ev-replayed"),
        dr_event(later, event_id=f"ev-{later.isoformat()}-grid-operator"),
    ):
        with pytest.raises(grpc.RpcError) as err:
            announce(clients, other)
        assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert err.value.details().startswith("event.event_id:")
    assert [e for e in listed(clients, later) if not e.synthetic] == [first]
    assert [e.event_id for e in listed(clients, other_day)] == [f"ev-{other_day}-grid-operator"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"event_id": ""}, "event.event_id"),
        ({"event_id": "ev/1"}, "event.event_id"),
        ({"program": "peak shaving"}, "event.program"),
        ({"issuer_id": ""}, "event.issuer_id"),
        ({"market_day": "2026-02-30"}, "event.market_day"),
        ({"start_interval": 96, "end_interval": 96}, "event.start_interval"),
        ({"start_interval": -1}, "event.start_interval"),
        ({"end_interval": 72}, "event.end_interval"),
        ({"end_interval": 97}, "event.end_interval"),
        ({"requested_kw": 0.0}, "event.requested_kw"),
        ({"requested_kw": float("nan")}, "event.requested_kw"),
        ({"requested_kw": float("inf")}, "event.requested_kw"),
        ({"price_floor_fen_per_mwh": -1}, "event.price_floor_fen_per_mwh"),
        ({"price_cap_fen_per_mwh": 99_999}, "event.price_cap_fen_per_mwh"),
        ({"price_cap_fen_per_mwh": 1_500_001}, "event.price_cap_fen_per_mwh"),
        ({"notice_minutes": -1}, "event.notice_minutes"),
        ({"notice_minutes": 10_081}, "event.notice_minutes"),
        ({"synthetic": True}, "event.synthetic"),
    ],
)
def test_bad_events_are_refused_naming_the_field_and_nothing_is_stored(park, changes, field):
    clients, day, _ = park
    later = day + timedelta(days=32)
    with pytest.raises(grpc.RpcError) as err:
        announce(clients, dr_event(later, **{"event_id": "ev-bad", **changes}))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith(f"{field}:")
    assert all(e.synthetic for e in listed(clients, later))


def test_a_deadline_is_required_and_not_after_the_window_starts(park):
    clients, day, _ = park
    later = day + timedelta(days=32)
    late = to_ts(local(later, 18, 15))
    for event in (dr_event(later, event_id="ev-late", declaration_deadline=late),):
        with pytest.raises(grpc.RpcError) as err:
            announce(clients, event)
        assert err.value.details().startswith("event.declaration_deadline:")
    event = dr_event(later, event_id="ev-no-deadline")
    event.ClearField("declaration_deadline")
    with pytest.raises(grpc.RpcError) as err:
        announce(clients, event)
    assert err.value.details().startswith("event.declaration_deadline:")
    with pytest.raises(grpc.RpcError) as err:
        clients.market.AnnounceDrEvent(market_pb2.AnnounceDrEventRequest())
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith("event:")


def test_no_new_event_once_the_day_is_cleared_but_a_replay_is_answered(park):
    clients, day, _ = park
    later = day + timedelta(days=33)
    first = announce(clients, dr_event(later, event_id="ev-before-clearing"))
    clients.market.ClearMarket(
        market_pb2.ClearMarketRequest(
            market_day=later.isoformat(), product=market_pb2.PRODUCT_DEMAND_RESPONSE
        )
    )
    assert announce(clients, dr_event(later, event_id="ev-before-clearing")) == first
    with pytest.raises(grpc.RpcError) as err:
        announce(clients, dr_event(later, event_id="ev-after-clearing"))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert [e.event_id for e in listed(clients, later) if not e.synthetic] == [first.event_id]


def test_an_announced_event_is_published_once(park):
    clients, day, stack = park
    later = day + timedelta(days=34)
    stored = announce(clients, dr_event(later, event_id="ev-published"))
    announce(clients, dr_event(later, event_id="ev-published"))
    found = read_events(
        stack.settings.kafka_bootstrap_servers,
        stack.topic(TOPIC_DR_EVENTS),
        events_pb2.DrEventAnnounced,
        match=lambda m: m.event.event_id == "ev-published",
    )
    assert len(found) == 1
    envelope, message = found[0]
    assert envelope.event_id == "dr-event-ev-published"
    assert message.event == stored


def test_a_plan_answers_the_grid_call_only_in_its_window(park):
    clients, day, _ = park
    plan = prepare(clients, day, price_scenarios=FLAT, decided_at=morning_before(day))
    call = f"ev-{day.isoformat()}-grid-operator"
    assert list(plan.answered_event_ids) == [call]
    assert not plan.skipped_invitations
    (event,) = listed(clients, day)
    assert plan.invitation_summary == (
        f"answering grid-operator call {call} 18:00-20:00 up to {event.requested_kw:,.0f} kW "
        "at 0-13,000 CNY/MWh"
    )
    assert plan.decided_at == to_ts(morning_before(day))
    assert offered_intervals(plan) and offered_intervals(plan) <= set(range(72, 80))
    prices = [s.price_fen_per_mwh for c in plan.demand_response_offers for s in c.steps]
    assert max(prices) <= 1_300_000
    assert [p.interval for p in plan.interval_plans] == list(range(INTERVALS_PER_DAY))
    offered = {c.interval: sum(s.quantity_kw for s in c.steps) for c in plan.demand_response_offers}
    for row in plan.interval_plans:
        assert row.event_id == (call if 72 <= row.interval < 80 else "")
        assert row.offered_kw == pytest.approx(offered.get(row.interval, 0.0), abs=1e-3)
        assert 0 <= row.expected_kw <= row.offered_kw + 1e-3
        assert row.expected_revenue_fen >= 0
        if row.offered_kw == 0:
            assert row.expected_kw == 0 and row.expected_revenue_fen == 0
    assert any(row.expected_kw > 0 for row in plan.interval_plans)


def test_an_announced_call_is_answered_instead_of_an_overlapping_one(park):
    clients, day, _ = park
    later = day + timedelta(days=7)  # the same weekday: the loads are available
    event = announce(clients, dr_event(later, event_id=f"ev-{later}-evening"))
    plan = prepare(clients, later, price_scenarios=FLAT, decided_at=morning_before(later))
    assert list(plan.answered_event_ids) == [event.event_id]
    (skipped,) = plan.skipped_invitations
    assert skipped.event_id == f"ev-{later.isoformat()}-grid-operator"
    assert skipped.reason == f"window 18:00-20:00 overlaps {event.event_id}'s, answered instead"
    assert offered_intervals(plan) and offered_intervals(plan) <= set(range(72, 76))
    for curve in plan.demand_response_offers:
        assert all(100_000 <= s.price_fen_per_mwh <= 900_000 for s in curve.steps)


def test_an_answered_call_is_offered_no_more_than_it_requests(park):
    clients, day, _ = park
    later = day + timedelta(days=14)  # the same weekday: the loads are available
    announce(clients, dr_event(later, event_id=f"ev-{later}-capped"))
    plan = prepare(clients, later, price_scenarios=FLAT, decided_at=morning_before(later))
    assert plan.demand_response_offers
    for curve in plan.demand_response_offers:
        assert sum(s.quantity_kw for s in curve.steps) <= 300.0 + 1e-3


def test_a_call_past_its_deadline_is_skipped_with_the_reason_and_no_offers(park):
    clients, day, _ = park
    plan = prepare(clients, day, price_scenarios=FLAT)  # decided now: after the deadline
    call = f"ev-{day.isoformat()}-grid-operator"
    assert not plan.answered_event_ids
    (skipped,) = plan.skipped_invitations
    deadline = local(day - timedelta(days=1), 12).astimezone(UTC).isoformat()
    assert (skipped.event_id, skipped.reason) == (call, f"declaration deadline {deadline} passed")
    assert (
        plan.invitation_summary == f"not answering {call}: declaration deadline {deadline} passed"
    )
    assert not plan.demand_response_offers
    assert all(row.offered_kw == 0 and row.expected_kw == 0 for row in plan.interval_plans)


@pytest.fixture(scope="module")
def quiet_grid(redis_url, kafka_bootstrap, tmp_path_factory):
    """The park on an exchange without a DR call, batteries in ENERGY only: DR = the loads."""
    folder = tmp_path_factory.mktemp("participants")
    participants = folder / "participants.json"
    participants.write_text(json.dumps({"participants": []}))
    env = {
        "PARKVPP_MARKET_PARTICIPANTS_FILE": str(participants),
        "PARKVPP_STORAGE_ENERGY_SHARE": "1",
    }
    stack = LocalStack(redis_url, kafka_bootstrap, 9, group_prefix="dr-quiet", env=env).start()
    clients = stack.clients()
    day = MarketDay(clients, market_day_for(), lambda line: None, stack.token)
    day.enrol()
    day.history()
    yield clients, day.day
    clients.close()
    stack.stop()


def test_an_intraday_rebid_offers_no_load_it_cannot_notify_in_time(quiet_grid):
    clients, day = quiet_grid
    assert listed(clients, day) == []
    # Prices peak 08:00-12:00, where the loads (available from 08:00, 60 min notice) shed.
    morning_peak = [1_200_000 if 32 <= t < 48 else 100_000 for t in range(INTERVALS_PER_DAY)]
    scenarios = [
        bidding_pb2.PriceScenario(probability=0.5, price_fen_per_mwh=morning_peak),
        bidding_pb2.PriceScenario(probability=0.5, price_fen_per_mwh=[300_000] * 96),
    ]
    day_ahead = prepare(clients, day, price_scenarios=scenarios, decided_at=morning_before(day))
    assert offered_intervals(day_ahead) & set(range(32, 44)), "day-ahead: offers from 08:00"
    assert not day_ahead.invitation_summary and not day_ahead.answered_event_ids
    intraday = prepare(clients, day, price_scenarios=scenarios, decided_at=local(day, 10))
    assert offered_intervals(intraday), "later intervals are still offered"
    assert min(offered_intervals(intraday)) >= 44, "nothing before 10:00 + 60 min notice"
    after_the_day = prepare(clients, day, price_scenarios=scenarios)  # decided now
    assert not after_the_day.demand_response_offers


def test_the_file_gateway_reads_the_centres_invitations(tmp_path):
    gateway = FileDropGateway(str(tmp_path), "parkvpp-vpp")
    assert gateway.dr_events("2026-01-05") == [], "no file: no invitations"
    folder = tmp_path / "2026-01-05"
    folder.mkdir()
    (folder / "dr_events.json").write_text(json.dumps(CENTRE_FILE))
    (event,) = gateway.dr_events("2026-01-05")
    assert event == market_pb2.DrEvent(
        event_id="ev-2026-01-05-grid",
        program="peak-shaving",
        issuer_id="grid-operator",
        market_day="2026-01-05",
        start_interval=72,
        end_interval=80,
        requested_kw=1000.0,
        price_floor_fen_per_mwh=0,
        price_cap_fen_per_mwh=1_300_000,
        declaration_deadline=to_ts(datetime(2026, 1, 4, 4, tzinfo=UTC)),
        notice_minutes=60,
    )


CENTRE_FILE = {
    "format": "parkvpp.dr-events.v1",
    "market_day": "2026-01-05",
    "events": [
        {
            "event_id": "ev-2026-01-05-grid",
            "program": "peak-shaving",
            "issuer_id": "grid-operator",
            "from": "18:00",
            "to": "20:00",
            "requested_kw": 1000,
            "price_floor_fen_per_mwh": 0,
            "price_cap_fen_per_mwh": 1300000,
            "declaration_deadline": "2026-01-04T12:00:00+08:00",
            "notice_minutes": 60,
        }
    ],
}


def _broken(path: str, value) -> dict:
    document = json.loads(json.dumps(CENTRE_FILE))
    *parents, last = path.split(".")
    target = document
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = value
    return document


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (_broken("format", "parkvpp.market-batch.v1"), "format"),
        (_broken("market_day", "2026-01-06"), "market_day"),
        (_broken("events", {}), "events"),
        (_broken("events.0.to", "17:00"), "events[0].to"),
        (_broken("events.0.from", "18:05"), "events[0].from"),
        (_broken("events.0.requested_kw", -5), "events[0].requested_kw"),
        (_broken("events.0.price_cap_fen_per_mwh", -1), "events[0].price_cap_fen_per_mwh"),
        (
            _broken("events.0.declaration_deadline", "2026-01-04T12:00"),
            "events[0].declaration_deadline",
        ),
        (_broken("events.0.notice_minutes", "60"), "events[0].notice_minutes"),
        (_broken("events.0.event_id", "ev 1"), "events[0].event_id"),
        ({**CENTRE_FILE, "events": CENTRE_FILE["events"] * 2}, "events[1].event_id"),
    ],
)
def test_a_malformed_invitation_file_names_the_file_and_the_field(tmp_path, document, field):
    folder = tmp_path / "2026-01-05"
    folder.mkdir()
    (folder / "dr_events.json").write_text(json.dumps(document))
    with pytest.raises(FailedPrecondition) as err:
        FileDropGateway(str(tmp_path), "parkvpp-vpp").dr_events("2026-01-05")
    assert str(err.value).startswith(f"{folder / 'dr_events.json'}: {field}:")


def test_a_participants_entry_sets_its_calls_deadline_and_notice():
    entry = {
        "participant_id": "grid-operator",
        "product": "DEMAND_RESPONSE",
        "side": "BUY",
        "from": "17:00",
        "to": "18:00",
        "deadline": "10:30",
        "notice_minutes": 30,
        "blocks": [
            {"price_fen_per_mwh": 500_000, "quantity_kw": 200},
            {"price_fen_per_mwh": 800_000, "quantity_kw": 300},
        ],
    }
    participants = SyntheticParticipants.parse(
        {"participants": [entry]}, lambda _p: DR_RANGE, "test"
    )
    day = datetime(2026, 3, 2).date()
    (event,) = participants.dr_events(day, 0)
    assert (event.start_interval, event.end_interval, event.requested_kw) == (68, 72, 500.0)
    assert (event.price_floor_fen_per_mwh, event.price_cap_fen_per_mwh) == (0, 800_000)
    assert event.declaration_deadline == to_ts(local(day - timedelta(days=1), 10, 30))
    assert event.notice_minutes == 30
    for key, value in (("deadline", "24:00"), ("notice_minutes", -1), ("program", "a b")):
        with pytest.raises(ParticipantsError, match=rf"participants\[0\]\.{key}:"):
            SyntheticParticipants.parse(
                {"participants": [{**entry, key: value}]}, lambda _p: DR_RANGE, "test"
            )
