"""Hypothesis strategies for every ParkVPP request: adversarial values and almost-valid requests.

`RequestStrategies(park).requests(method)` draws a request of any RPC. Half of the draws
are built generically from the request's descriptor (every field kind: strings, ints of
each width, doubles, bools, enums with unknown numbers, nested and repeated messages,
oneofs, Timestamps) with random, boundary and adversarial values; string fields named
like an id also draw the seeded park's real ids. The other half start from a valid
request of that RPC (`VALID`, built from the park's ids) and replace up to two of its
fields, nested ones included, with such values, so calls get past the first check.
"""

from __future__ import annotations

import calendar
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from google.protobuf import message_factory, timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

from parkvpp.v1 import bidding_pb2 as bpb
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import market_pb2 as mpb
from parkvpp.v1 import settlement_pb2 as spb
from parkvpp.v1 import telemetry_pb2 as tpb
from parkvpp.v1 import vpp_pb2 as vpb

ONE_MB = "x" * (1 << 20)
#: The range google.protobuf.Timestamp allows: 0001-01-01 .. 9999-12-31T23:59:59.
MIN_TS_S, MAX_TS_S = -62_135_596_800, 253_402_300_799
INTERVAL_S = 900
MAX_DEPTH = 3

F = FieldDescriptor
_INT_RANGES = {
    **dict.fromkeys((F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32), (-(2**31), 2**31 - 1)),
    **dict.fromkeys((F.TYPE_UINT32, F.TYPE_FIXED32), (0, 2**32 - 1)),
    **dict.fromkeys((F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64), (-(2**63), 2**63 - 1)),
    **dict.fromkeys((F.TYPE_UINT64, F.TYPE_FIXED64), (0, 2**64 - 1)),
}
_ADVERSARIAL_STRINGS = [
    *("", " ", "\x00", "é" * 70, "电力需求响应", "🔋⚡" * 20, "\u202eevil", "x" * 65, ONE_MB),
    *("{ent-chem}", "a:b", "../../etc", "١٢٣", "²"),  # the last two pass str.isdigit()
    # Around the one id rule (certificates.ids): look-alikes of the park's ids (a trailing
    # newline passes a `$` regex), the longest id and one past it, a bad first character.
    *("chem-battery\n", "ent-chem\n", "\u0430sset", "a" * 64, "a" * 65, ".x", "-x"),
    *("2026-02-30", "0001-01-01", "9999-12-31", "20260105"),
]
_STRINGS = st.one_of(st.text(max_size=40), st.sampled_from(_ADVERSARIAL_STRINGS))
_DOUBLES = st.one_of(
    st.floats(),
    st.sampled_from(
        [0.0, -0.0, 5e-324, -1.0, 1e9 + 1, 1e308, -1e308, math.nan, math.inf, -math.inf]
    ),
)
TIMESTAMPS = st.builds(
    timestamp_pb2.Timestamp,
    seconds=st.one_of(
        st.sampled_from(
            [0, 1, -1, MIN_TS_S, MAX_TS_S, MAX_TS_S + 1, 253_370_764_800, int(time.time())]
        ),
        st.integers(-(2**63), 2**63 - 1),
    ),
    nanos=st.one_of(
        st.sampled_from([0, 999_999_999, 1_000_000_000, -1]), st.integers(-(2**31), 2**31 - 1)
    ),
)


def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    edges = [v for v in (0, 1, -1, 95, 96, 1000, 1001, 2**31 - 1, 2**31) if low <= v <= high]
    return st.one_of(st.integers(low, high), st.sampled_from(sorted({low, high, *edges})))


def message_class(descriptor: Descriptor) -> type[Message]:
    return message_factory.GetMessageClass(descriptor)


@dataclass
class ParkIds:
    """Real ids of the seeded park, for almost-valid requests."""

    market_day: date
    enterprises: list[str]
    asset_owner: dict[str, str]
    asset_specs: dict[str, epb.AssetSpec]
    generators: list[str]
    plans: list[str]
    #: (lot_id, owner_enterprise_id, energy_wh) of active lots.
    lots: list[tuple[str, str, int]]
    instructions: dict[str, list[str]]
    #: Assets enrolled only to be withdrawn, so the park's own stay active.
    spares: list[str]
    pools: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        days = [self.market_day + timedelta(days=n) for n in (-8, -1, 0, 1, 2)]
        self.pools = {
            "enterprise_id": [*self.enterprises, "ent-ghost"],
            "asset_id": [*self.asset_owner, "ast-ghost"],
            "market_day": [d.isoformat() for d in days],
            "plan_id": [*self.plans, "plan-ghost"],
            "lot_id": [lot_id for lot_id, _, _ in self.lots] + ["GEC-999999999999"],
            "instruction_ids": [i for ids in self.instructions.values() for i in ids],
        }

    def pool(self, field_name: str) -> list[str]:
        """Real values for a string field, matched by the end of its name, and look-alikes
        of them (a trailing newline) that the id rule must refuse."""
        for suffix, values in self.pools.items():
            if field_name.endswith(suffix) and values:
                return values + [f"{v}\n" for v in values[:2]]
        return []


class RequestStrategies:
    """Request strategies of every RPC over one seeded park; built once, cached."""

    def __init__(self, park: ParkIds) -> None:
        self.park = park
        self._messages: dict[tuple[str, int], st.SearchStrategy[Message]] = {}
        self._requests: dict[str, st.SearchStrategy] = {}

    def requests(self, method: MethodDescriptor) -> st.SearchStrategy:
        """One request, or a list of them for a client-streaming RPC.

        Raises KeyError when VALID has no valid request for `method`.
        """
        path = rpc_path(method)
        if path not in self._requests:
            valid = VALID[path](self.park)
            one = st.one_of(self.message(method.input_type), almost_valid(valid, self.values))
            self._requests[path] = st.lists(one, max_size=3) if method.client_streaming else one
        return self._requests[path]

    def message(self, descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
        """Any message of `descriptor`: each oneof with none or one member set."""
        if descriptor.full_name == "google.protobuf.Timestamp":
            return TIMESTAMPS
        key = (descriptor.full_name, depth)
        if key not in self._messages:
            if depth >= MAX_DEPTH:
                self._messages[key] = st.builds(message_class(descriptor))
            else:
                self._messages[key] = _generic(descriptor, depth, self.values)
        return self._messages[key]

    def values(
        self, fd: FieldDescriptor, depth: int = 0, single: bool = False
    ) -> st.SearchStrategy:
        """Values for field `fd`: a list for a repeated field unless `single`."""
        if fd.is_repeated and not single:
            return st.lists(self.values(fd, depth, single=True), max_size=4)
        if fd.message_type is not None:
            return self.message(fd.message_type, depth + 1)
        if fd.enum_type is not None:
            known = [v.number for v in fd.enum_type.values]
            return st.one_of(st.sampled_from(known), _ints(-(2**31), 2**31 - 1))
        if fd.type == F.TYPE_STRING:
            real = self.park.pool(fd.name)
            return st.one_of(_STRINGS, st.sampled_from(real)) if real else _STRINGS
        if fd.type == F.TYPE_BYTES:
            return st.binary(max_size=64)
        if fd.type == F.TYPE_BOOL:
            return st.booleans()
        if fd.type == F.TYPE_FLOAT:
            return st.floats(width=32)
        if fd.type == F.TYPE_DOUBLE:
            return _DOUBLES
        return _ints(*_INT_RANGES[fd.type])


def rpc_path(method: MethodDescriptor) -> str:
    """`/package.Service/Method`, as in the permission table."""
    return f"/{method.containing_service.full_name}/{method.name}"


def assign(message: Message, fd: FieldDescriptor, value, index: int | None = None) -> None:
    """Set field `fd` of `message` (element `index` of a repeated field when given)."""
    if index is not None:
        getattr(message, fd.name)[index] = value
    elif fd.is_repeated:
        container = getattr(message, fd.name)
        del container[:]
        container.extend(value)
    elif fd.message_type is not None:
        getattr(message, fd.name).CopyFrom(value)
    else:
        setattr(message, fd.name, value)


def _generic(descriptor: Descriptor, depth: int, values: Callable) -> st.SearchStrategy[Message]:
    cls = message_class(descriptor)

    @st.composite
    def build(draw) -> Message:
        message = cls()
        skipped = set()
        for oneof in descriptor.oneofs:
            chosen = draw(st.sampled_from([None, *oneof.fields]))
            skipped.update(f.name for f in oneof.fields if f is not chosen)
        for fd in descriptor.fields:
            if fd.name in skipped or (fd.containing_oneof is None and not draw(st.booleans())):
                continue
            assign(message, fd, draw(values(fd, depth)))
        return message

    return build()


def leaves(message: Message):
    """(parent, field, index) of every scalar, Timestamp or list in `message`, nested included."""
    for fd in message.DESCRIPTOR.fields:
        nested = (
            fd.message_type is not None and fd.message_type.full_name != "google.protobuf.Timestamp"
        )
        if fd.is_repeated:
            yield message, fd, None
            for index, item in enumerate(getattr(message, fd.name)):
                if nested:
                    yield from leaves(item)
                else:
                    yield message, fd, index
        elif nested and message.HasField(fd.name):
            yield from leaves(getattr(message, fd.name))
        else:
            yield message, fd, None


def almost_valid(valid: st.SearchStrategy[Message], values: Callable) -> st.SearchStrategy[Message]:
    """A valid request with up to two of its fields (nested ones too) set to fuzzed values."""

    @st.composite
    def build(draw) -> Message:
        message = draw(valid)
        for _ in range(draw(st.integers(0, 2))):
            spots = list(leaves(message))  # again: the last change may have emptied a list
            parent, fd, index = spots[draw(st.integers(0, len(spots) - 1))]
            assign(parent, fd, draw(values(fd, single=index is not None)), index)
        return message

    return build()


# --- valid requests, one per RPC, from the park's ids -------------------------------------


def _fresh(prefix: str) -> st.SearchStrategy[str]:
    return st.integers(0, 2**40).map(lambda n: f"{prefix}-{n}")


def _day(p: ParkIds, back: int = 8, ahead: int = 0) -> st.SearchStrategy[str]:
    return st.integers(-back, ahead).map(lambda n: (p.market_day + timedelta(days=n)).isoformat())


def _hour_ts(p: ParkIds, days_back: int) -> timestamp_pb2.Timestamp:
    day = p.market_day - timedelta(days=days_back)
    return timestamp_pb2.Timestamp(seconds=calendar.timegm(day.timetuple()))


def _reading(p: ParkIds) -> st.SearchStrategy[tpb.Reading]:
    now = int(time.time()) // INTERVAL_S * INTERVAL_S

    def make(asset_id: str, back: int, kw: float) -> tpb.Reading:
        stamp = timestamp_pb2.Timestamp(seconds=now - back * INTERVAL_S)
        if asset_id in p.generators:
            return tpb.Reading(asset_id=asset_id, timestamp=stamp, energy_register_kwh=2e6 + kw)
        return tpb.Reading(asset_id=asset_id, timestamp=stamp, power_kw=kw)

    return st.builds(
        make, st.sampled_from(sorted(p.asset_owner)), st.integers(0, 96 * 30), st.floats(0, 2000)
    )


def _spec_of(p: ParkIds) -> st.SearchStrategy[epb.AssetSpec]:
    return st.sampled_from([p.asset_specs[a] for a in sorted(p.asset_specs)])


def _update(p: ParkIds) -> st.SearchStrategy[epb.UpdateAssetRequest]:
    def make(asset_id: str, name: str, with_spec: bool) -> epb.UpdateAssetRequest:
        request = epb.UpdateAssetRequest(asset_id=asset_id, name=name)
        if with_spec:
            request.spec.CopyFrom(p.asset_specs[asset_id])
        return request

    names = st.sampled_from(["", "Renamed by fuzz"])
    return st.builds(make, st.sampled_from(sorted(p.asset_specs)), names, st.booleans())


def _subject(p: ParkIds) -> st.SearchStrategy[dict[str, str]]:
    return st.one_of(
        st.sampled_from(sorted(p.asset_owner)).map(lambda a: {"asset_id": a}),
        st.sampled_from(p.enterprises).map(lambda e: {"enterprise_id": e}),
    )


def _baseline(p: ParkIds) -> st.SearchStrategy[vpb.GetBaselineRequest]:
    def make(day, subject, method, start, events) -> vpb.GetBaselineRequest:
        request = vpb.GetBaselineRequest(
            market_day=day, method=method, event_intervals=events, **subject
        )
        if start is not None:
            request.event_start_interval = start
        return request

    intervals = st.integers(0, 95)
    return st.builds(
        make,
        _day(p),
        _subject(p),
        st.sampled_from(list(vpb.BaselineMethod.values())),
        st.none() | intervals,
        st.lists(intervals, max_size=8),
    )


def _acknowledge(p: ParkIds) -> st.SearchStrategy[vpb.AcknowledgeDispatchRequest]:
    pairs = [(e, ids) for e, ids in sorted(p.instructions.items()) if ids]
    return st.sampled_from(pairs).flatmap(
        lambda pair: st.builds(
            vpb.AcknowledgeDispatchRequest,
            enterprise_id=st.just(pair[0]),
            instruction_ids=st.lists(st.sampled_from(pair[1]), min_size=1, max_size=4),
        )
    )


def _scenarios() -> st.SearchStrategy[list[bpb.PriceScenario]]:
    def make(levels: list[int]) -> list[bpb.PriceScenario]:
        share = 1.0 / len(levels)
        return [bpb.PriceScenario(probability=share, price_fen_per_mwh=[v] * 96) for v in levels]

    return st.one_of(
        st.just([]), st.lists(st.integers(0, 2_000_000), min_size=1, max_size=3).map(make)
    )


def _orders(day: str) -> st.SearchStrategy[list[mpb.Order]]:
    order = st.builds(
        mpb.Order,
        participant_id=st.sampled_from(["fuzz-seller", "fuzz-buyer", "parkvpp-vpp"]),
        market_day=st.just(day),
        interval=st.integers(0, 95),
        product=st.sampled_from([mpb.PRODUCT_DEMAND_RESPONSE, mpb.PRODUCT_ENERGY]),
        side=st.sampled_from([mpb.SIDE_SELL, mpb.SIDE_BUY]),
        steps=st.lists(
            st.builds(
                mpb.PriceStep,
                price_fen_per_mwh=st.integers(0, 2_000_000),
                quantity_kw=st.floats(0, 5000),
            ),
            min_size=1,
            max_size=3,
        ),
    )
    return st.lists(order, min_size=1, max_size=3)


def _submit_orders(p: ParkIds) -> st.SearchStrategy[mpb.SubmitOrdersRequest]:
    return _day(p, back=0, ahead=4).flatmap(
        lambda day: st.builds(
            mpb.SubmitOrdersRequest,
            batch_id=_fresh("fz-batch"),
            market_day=st.just(day),
            orders=_orders(day),
        )
    )


def _announce_dr_event(p: ParkIds) -> st.SearchStrategy[mpb.AnnounceDrEventRequest]:
    def make(days_ahead: int, n: int, start: int, length: int, kw: float) -> Message:
        day = p.market_day + timedelta(days=days_ahead)
        noon_before = calendar.timegm((day - timedelta(days=1)).timetuple()) + 4 * 3600
        return mpb.AnnounceDrEventRequest(
            event=mpb.DrEvent(
                event_id=f"fz-ev-{n}",
                program="peak-shaving",
                market_day=day.isoformat(),
                start_interval=start,
                end_interval=start + length,
                requested_kw=kw,
                price_floor_fen_per_mwh=0,
                price_cap_fen_per_mwh=1_300_000,
                declaration_deadline=timestamp_pb2.Timestamp(seconds=noon_before),
                notice_minutes=60,
                issuer_id="grid-operator",
            )
        )

    return st.builds(
        make,
        st.integers(0, 3),
        st.integers(0, 2**40),
        st.integers(40, 80),
        st.integers(1, 12),
        st.floats(1, 2000),
    )


def _lot_move(p: ParkIds, retire: bool) -> st.SearchStrategy[Message]:
    others = st.sampled_from(p.enterprises)

    def make(lot, request_id, to, share, days_back) -> Message:
        lot_id, owner, energy_wh = lot
        common = dict(request_id=request_id, lot_id=lot_id, energy_wh=int(energy_wh * share))
        if not retire:
            return cpb.TransferRequest(from_enterprise_id=owner, to_enterprise_id=to, **common)
        return cpb.RetireRequest(
            owner_enterprise_id=owner,
            beneficiary_enterprise_id=owner,
            consumption_period_start=_hour_ts(p, days_back),
            consumption_period_end=_hour_ts(p, days_back - 1),
            **common,
        )

    return st.builds(
        make,
        st.sampled_from(p.lots),
        _fresh("fz-move"),
        others,
        st.sampled_from([0.0, 0.25, 1.0]),
        st.integers(1, 20),
    )


def _issue(p: ParkIds) -> st.SearchStrategy[cpb.IssueCertificatesRequest]:
    def make(request_id, generator, back, days) -> cpb.IssueCertificatesRequest:
        return cpb.IssueCertificatesRequest(
            request_id=request_id,
            generator_asset_id=generator,
            period_start=_hour_ts(p, back),
            period_end=_hour_ts(p, back - days),
        )

    return st.builds(
        make,
        _fresh("fz-issue"),
        st.sampled_from(p.generators),
        st.integers(2, 25),
        st.integers(1, 2),
    )


def _green_trade(p: ParkIds) -> st.SearchStrategy[cpb.SettleGreenTradeRequest]:
    def make(lot, request_id, trade_id, buyer, share, price) -> cpb.SettleGreenTradeRequest:
        lot_id, owner, energy_wh = lot
        return cpb.SettleGreenTradeRequest(
            request_id=request_id,
            trade_id=trade_id,
            lot_id=lot_id,
            seller_enterprise_id=owner,
            buyer_enterprise_id=buyer,
            energy_wh=max(1, int(energy_wh * share)),
            price_fen_per_mwh=price,
        )

    return st.builds(
        make,
        st.sampled_from(p.lots),
        _fresh("fz-gt-req"),
        _fresh("fz-gt"),
        st.sampled_from(p.enterprises),
        st.sampled_from([0.0, 0.25, 1.0]),
        st.integers(0, 100_000_000),
    )


def _proposal(p: ParkIds) -> st.SearchStrategy[cpb.ProposeGreenTradeRequest]:
    def make(lot, request_id, trade_id, buyer, share, price, valid_s):
        lot_id, owner, energy_wh = lot
        return cpb.ProposeGreenTradeRequest(
            request_id=request_id,
            trade_id=trade_id,
            lot_id=lot_id,
            seller_enterprise_id=owner,
            buyer_enterprise_id=buyer,
            energy_wh=max(1, int(energy_wh * share)),
            price_fen_per_mwh=price,
            valid_for_s=valid_s,
        )

    return st.builds(
        make,
        st.sampled_from(p.lots),
        _fresh("fz-gp-req"),
        _fresh("fz-gp"),
        st.sampled_from(p.enterprises),
        st.sampled_from([0.0, 0.25, 1.0]),
        st.integers(0, 300_000),
        st.sampled_from([0, 59, 60, 3600, 7 * 86400, 7 * 86400 + 1]),
    )


def _trade_step(p: ParkIds, cls) -> st.SearchStrategy:
    return st.builds(
        cls,
        request_id=_fresh("fz-step"),
        trade_id=_trade_ids(p),
        buyer_enterprise_id=st.sampled_from(["", *p.enterprises]),
    )


def _mandate(p: ParkIds) -> st.SearchStrategy[cpb.GrantMandateRequest]:
    return st.builds(
        cpb.GrantMandateRequest,
        request_id=_fresh("fz-mandate-req"),
        mandate_id=_fresh("fz-mandate"),
        grantor_enterprise_id=_one(p.enterprises),
        scope=st.sampled_from(list(cpb.MandateScope.values())),
        grantee_enterprise_id=st.sampled_from(["", *p.enterprises]),
        max_price_fen_per_mwh=st.integers(0, 300_000),
        max_energy_wh=st.integers(0, 10**7),
        counterparty_enterprise_id=st.sampled_from(["", *p.enterprises]),
        valid_for_days=st.integers(0, 400),
    )


def _contract(p: ParkIds) -> st.SearchStrategy[cpb.ProposeGreenContractRequest]:
    def make(request_id, contract_id, parties, months, wh, price, rule, rate, cap):
        start = (p.market_day - timedelta(days=62)).strftime("%Y-%m")
        end = (p.market_day - timedelta(days=62 - 31 * (months - 1))).strftime("%Y-%m")
        return cpb.ProposeGreenContractRequest(
            request_id=request_id,
            contract_id=contract_id,
            seller_enterprise_id=parties[0],
            buyer_enterprise_id=parties[1],
            start_month=start,
            end_month=end,
            monthly_wh=[wh] * months,
            price_fen_per_mwh=price,
            shortfall_rule=rule,
            shortfall_rate_fen_per_mwh=rate,
            surplus_rule=cpb.SURPLUS_RULE_TAKE if cap else cpb.SURPLUS_RULE_REFUSE,
            surplus_cap_permille=cap,
        )

    pairs = [(a, b) for a in p.enterprises for b in p.enterprises if a != b]
    return st.builds(
        make,
        _fresh("fz-gc-req"),
        _fresh("fz-gc"),
        st.sampled_from(pairs),
        st.integers(1, 3),
        st.integers(0, 10**9),
        st.integers(0, 300_000),
        st.sampled_from(list(cpb.ShortfallRule.values())),
        st.integers(0, 100_000),
        st.sampled_from([0, 100, 1000]),
    )


def _contract_ids(p: ParkIds) -> st.SearchStrategy[str]:
    return st.sampled_from(["fz-no-contract", "fz-gc-1"])


def _trade_ids(p: ParkIds) -> st.SearchStrategy[str]:
    """The demo day's trades (`gpt-<day>-NNN`) and ids that name none."""
    return st.sampled_from(
        [f"gpt-{p.market_day.isoformat()}-{n:03d}" for n in (1, 2, 9)] + ["fz-no-trade"]
    )


def _fuel_report(p: ParkIds) -> st.SearchStrategy[cpb.ReportFuelUseRequest]:
    fuel_units = [("coal", "t"), ("coal", "kg"), ("natural_gas", "10^4 m3"), ("fuel_oil", "t")]

    def make(request_id, enterprise, fuel_unit, quantity, back) -> cpb.ReportFuelUseRequest:
        month = (p.market_day - timedelta(days=31 * back)).strftime("%Y-%m")
        fuel, unit = fuel_unit
        return cpb.ReportFuelUseRequest(
            request_id=request_id,
            enterprise_id=enterprise,
            month=month,
            fuel=fuel,
            quantity=quantity,
            unit=unit,
        )

    return st.builds(
        make,
        _fresh("fz-fuel"),
        _one(p.enterprises),
        st.sampled_from(fuel_units),
        st.integers(1, 10**6),
        st.integers(0, 3),
    )


def _production(p: ParkIds) -> st.SearchStrategy[bpb.ScheduleProductionRequest]:
    """Up to three one-hour heats on a melting line and a gas engine, against the day's
    ENERGY clearing (the demo day has one) or a flat price."""

    def make(day, heats, start_cost_fen, flat_price) -> bpb.ScheduleProductionRequest:
        runs = [
            bpb.ProcessRun(
                fixed=bpb.FixedRunProfile(power_kw=[1500.0] * 4),
                earliest_start_interval=24,
                deadline_interval=88,
                baseline_start_interval=68 + 4 * n,
                move_cost_fen=20_000,
            )
            for n in range(heats)
        ]
        engine = bpb.ThermalUnit(
            unit_id="gas-engine",
            capacity_kw=800,
            min_load_kw=400,
            ramp_up_kw_per_interval=200,
            ramp_down_kw_per_interval=200,
            start_cost_fen=start_cost_fen,
            fuel="natural_gas",
            fuel_units_per_mwh=230.0,
        )
        return bpb.ScheduleProductionRequest(
            market_day=day,
            process_lines=[bpb.ProcessLine(line_id="melting", runs=runs)] if runs else [],
            thermal_units=[engine],
            fuel_prices=[bpb.FuelPrice(fuel="natural_gas", price_fen=300)],
            prices_fen_per_mwh=[flat_price] * 96 if flat_price is not None else [],
        )

    return st.builds(
        make,
        _day(p, back=1, ahead=1),
        st.integers(0, 3),
        st.integers(0, 100_000),
        st.one_of(st.none(), st.integers(-8_000, 130_000)),
    )


def _period(p: ParkIds, cls, **fixed) -> st.SearchStrategy[Message]:
    return st.builds(cls, from_market_day=_day(p, back=40), to_market_day=_day(p, back=2), **fixed)


def _one(values) -> st.SearchStrategy:
    return st.sampled_from(sorted(values))


_S = "/parkvpp.v1."
#: A strategy of valid requests per RPC (refusals of these are still allowed: a day that
#: is already cleared, an asset already withdrawn...).
VALID: dict[str, Callable[[ParkIds], st.SearchStrategy]] = {
    f"{_S}EnrollmentService/RegisterEnterprise": lambda p: st.builds(
        epb.RegisterEnterpriseRequest,
        enterprise_id=_fresh("fz-ent"),
        name=st.just("Fuzz Works Ltd."),
        grid_area=st.just("CN-JS"),
        credit_code=st.just("91320500MA1XXXXX0X"),
    ),
    f"{_S}EnrollmentService/GetEnterprise": lambda p: st.builds(
        epb.GetEnterpriseRequest, enterprise_id=_one(p.enterprises)
    ),
    f"{_S}EnrollmentService/EnrollAsset": lambda p: st.builds(
        epb.EnrollAssetRequest,
        request_id=_fresh("fz-enrol"),
        enterprise_id=_one(p.enterprises),
        name=st.just("Fuzz chiller"),
        spec=_spec_of(p),
        asset_id=st.one_of(st.just(""), _fresh("fz-ast")),
    ),
    f"{_S}EnrollmentService/UpdateAsset": _update,
    f"{_S}EnrollmentService/WithdrawAsset": lambda p: st.builds(
        epb.WithdrawAssetRequest, asset_id=_one(p.spares), reason=st.just("fuzz")
    ),
    f"{_S}EnrollmentService/ApproveAsset": lambda p: st.builds(
        epb.ApproveAssetRequest, asset_id=_one(p.asset_owner)
    ),
    f"{_S}EnrollmentService/GetAsset": lambda p: st.builds(
        epb.GetAssetRequest, asset_id=_one(p.asset_owner)
    ),
    f"{_S}EnrollmentService/ListAssets": lambda p: st.builds(
        epb.ListAssetsRequest,
        enterprise_id=st.sampled_from(["", *p.enterprises]),
        kind=st.sampled_from(list(epb.AssetKind.values())),
        status=st.sampled_from(list(epb.AssetStatus.values())),
        page_size=st.integers(0, 1000),
    ),
    f"{_S}EnrollmentService/GetAssetHistory": lambda p: st.builds(
        epb.GetAssetHistoryRequest, asset_id=_one(p.asset_owner)
    ),
    f"{_S}TelemetryService/StreamReadings": lambda p: st.builds(
        tpb.ReadingBatch, readings=st.lists(_reading(p), min_size=1, max_size=5)
    ),
    f"{_S}TelemetryService/GetLoadProfile": lambda p: st.builds(
        lambda subject, first, last: tpb.GetLoadProfileRequest(
            from_market_day=first, to_market_day=last, **subject
        ),
        _subject(p),
        _day(p, back=20),
        st.sampled_from(["", p.market_day.isoformat()]),
    ),
    f"{_S}VppService/GetFlexibility": lambda p: st.builds(
        vpb.GetFlexibilityRequest,
        market_day=_day(p, ahead=2),
        enterprise_id=st.sampled_from(["", *p.enterprises]),
        include_assets=st.booleans(),
    ),
    f"{_S}VppService/GetBaseline": _baseline,
    f"{_S}VppService/SubscribeDispatch": lambda p: st.builds(
        vpb.SubscribeDispatchRequest,
        enterprise_id=_one(p.enterprises),
        after_sequence=st.integers(0, 50),
        until_caught_up=st.just(True),
    ),
    f"{_S}VppService/AcknowledgeDispatch": _acknowledge,
    f"{_S}VppService/ListDispatch": lambda p: st.builds(
        vpb.ListDispatchRequest,
        market_day=_day(p, back=1, ahead=1),
        enterprise_id=st.sampled_from(["", *p.enterprises]),
        only_overdue=st.booleans(),
    ),
    f"{_S}VppService/GetForecastAccuracy": lambda p: st.builds(
        lambda day, subject, holdout: vpb.GetForecastAccuracyRequest(
            market_day=day, holdout_days=holdout, **subject
        ),
        _day(p),
        _subject(p),
        st.integers(0, 60),
    ),
    f"{_S}VppService/ReportAssetUnavailable": lambda p: st.builds(
        vpb.ReportAssetUnavailableRequest,
        request_id=st.sampled_from(["fz-report-1", "fz-report-2"]),
        asset_id=_one(p.asset_owner),
        market_day=_day(p, back=1, ahead=1),
        from_interval=st.integers(0, 95),
        reason=st.just("compressor trip"),
    ),
    f"{_S}VppService/CheckDispatchFollowing": lambda p: st.builds(
        vpb.CheckDispatchFollowingRequest, market_day=_day(p, back=1, ahead=1)
    ),
    f"{_S}BiddingService/PrepareBids": lambda p: st.builds(
        bpb.PrepareBidsRequest,
        market_day=_day(p, back=0, ahead=3),
        price_scenarios=_scenarios(),
        commitments=st.lists(
            st.builds(
                bpb.Commitment, interval=st.integers(0, 95), min_reduction_kw=st.floats(0, 50)
            ),
            max_size=2,
        ),
        time_limit_seconds=st.sampled_from([0.0, 5.0]),
    ),
    f"{_S}BiddingService/GetBidPlan": lambda p: st.one_of(
        st.builds(bpb.GetBidPlanRequest, plan_id=_one(p.plans)),
        st.builds(bpb.GetBidPlanRequest, market_day=_day(p, back=1, ahead=3)),
    ),
    f"{_S}BiddingService/SubmitBids": lambda p: st.builds(
        bpb.SubmitBidsRequest, plan_id=_one(p.plans)
    ),
    f"{_S}BiddingService/ScheduleProduction": _production,
    f"{_S}MarketService/SubmitOrders": _submit_orders,
    f"{_S}MarketService/ClearMarket": lambda p: st.builds(
        mpb.ClearMarketRequest,
        market_day=_day(p, back=1, ahead=4),
        product=st.sampled_from([mpb.PRODUCT_DEMAND_RESPONSE, mpb.PRODUCT_ENERGY]),
    ),
    f"{_S}MarketService/AnnounceDrEvent": _announce_dr_event,
    f"{_S}MarketService/ListDrEvents": lambda p: st.builds(
        mpb.ListDrEventsRequest, market_day=_day(p, back=1, ahead=3)
    ),
    f"{_S}MarketService/GetClearingResult": lambda p: st.builds(
        mpb.GetClearingResultRequest,
        market_day=_day(p, back=1, ahead=1),
        product=st.sampled_from(list(mpb.Product.values())),
    ),
    f"{_S}SettlementService/RunSettlement": lambda p: st.builds(
        spb.RunSettlementRequest,
        market_day=_day(p, back=1, ahead=1),
        baseline_method=st.sampled_from(list(vpb.BaselineMethod.values())),
    ),
    f"{_S}SettlementService/GetStatement": lambda p: st.builds(
        spb.GetStatementRequest,
        enterprise_id=_one(p.enterprises),
        market_day=_day(p, back=1, ahead=0),
        version=st.integers(0, 3),
    ),
    f"{_S}SettlementService/CorrectSettlement": lambda p: st.builds(
        spb.CorrectSettlementRequest,
        market_day=_day(p, back=1, ahead=1),
        reason=st.sampled_from(["late meter data", "x" * 501]),
        baseline_method=st.sampled_from(list(vpb.BaselineMethod.values())),
    ),
    f"{_S}SettlementService/GetDayReport": lambda p: st.builds(
        spb.GetDayReportRequest,
        market_day=_day(p, back=1, ahead=1),
        product=st.sampled_from(list(mpb.Product.values())),
    ),
    f"{_S}CertificateService/IssueCertificates": _issue,
    f"{_S}CertificateService/Transfer": lambda p: _lot_move(p, retire=False),
    f"{_S}CertificateService/Retire": lambda p: _lot_move(p, retire=True),
    f"{_S}CertificateService/GetBalance": lambda p: st.builds(
        cpb.GetBalanceRequest, enterprise_id=_one(p.enterprises)
    ),
    f"{_S}CertificateService/ListLots": lambda p: st.builds(
        cpb.ListLotsRequest,
        owner_enterprise_id=st.sampled_from(["", *p.enterprises]),
        status=st.sampled_from(list(cpb.LotStatus.values())),
        page_size=st.integers(0, 1000),
        page_token=st.sampled_from(["", "1", "5"]),
    ),
    f"{_S}CertificateService/GetCarbonFootprint": lambda p: _period(
        p, cpb.GetCarbonFootprintRequest, enterprise_id=_one(p.enterprises)
    ),
    f"{_S}CertificateService/GetParkIndicators": lambda p: _period(p, cpb.GetParkIndicatorsRequest),
    f"{_S}CertificateService/GetGreenTarget": lambda p: st.builds(
        cpb.GetGreenTargetRequest, enterprise_id=_one(p.enterprises), market_day=_day(p, back=40)
    ),
    f"{_S}CertificateService/ProposeGreenTrade": _proposal,
    f"{_S}CertificateService/AcceptGreenTrade": lambda p: _trade_step(
        p, cpb.AcceptGreenTradeRequest
    ),
    f"{_S}CertificateService/RejectGreenTrade": lambda p: _trade_step(
        p, cpb.RejectGreenTradeRequest
    ),
    f"{_S}CertificateService/SettleGreenTrade": _green_trade,
    f"{_S}CertificateService/GrantMandate": _mandate,
    f"{_S}CertificateService/RevokeMandate": lambda p: st.builds(
        cpb.RevokeMandateRequest,
        request_id=_fresh("fz-revoke"),
        mandate_id=st.sampled_from(["fz-no-mandate", f"mandate-{p.market_day.isoformat()}-buy"]),
        grantor_enterprise_id=_one(p.enterprises),
    ),
    f"{_S}CertificateService/ListMandates": lambda p: st.builds(
        cpb.ListMandatesRequest,
        enterprise_id=_one(p.enterprises),
        page_size=st.integers(0, 1000),
        page_token=st.sampled_from(["", "1", "5"]),
    ),
    f"{_S}CertificateService/ListRetirements": lambda p: st.builds(
        cpb.ListRetirementsRequest,
        beneficiary_enterprise_id=_one(p.enterprises),
        page_size=st.integers(0, 1000),
        page_token=st.sampled_from(["", "1", "5"]),
    ),
    f"{_S}CertificateService/GetGreenTrade": lambda p: st.builds(
        cpb.GetGreenTradeRequest,
        trade_id=_trade_ids(p),
        enterprise_id=st.sampled_from(["", *p.enterprises]),
    ),
    f"{_S}CertificateService/ListGreenTrades": lambda p: st.builds(
        cpb.ListGreenTradesRequest,
        enterprise_id=st.sampled_from(["", *p.enterprises]),
        page_size=st.integers(0, 1000),
        page_token=st.sampled_from(["", "1", "5"]),
    ),
    f"{_S}CertificateService/ProposeGreenContract": _contract,
    f"{_S}CertificateService/AcceptGreenContract": lambda p: st.builds(
        cpb.AcceptGreenContractRequest,
        request_id=_fresh("fz-gc-step"),
        contract_id=_contract_ids(p),
        buyer_enterprise_id=st.sampled_from(["", *p.enterprises]),
    ),
    f"{_S}CertificateService/RejectGreenContract": lambda p: st.builds(
        cpb.RejectGreenContractRequest,
        request_id=_fresh("fz-gc-step"),
        contract_id=_contract_ids(p),
        buyer_enterprise_id=st.sampled_from(["", *p.enterprises]),
    ),
    f"{_S}CertificateService/DeliverGreenContractMonth": lambda p: st.builds(
        cpb.DeliverGreenContractMonthRequest,
        request_id=_fresh("fz-gc-run"),
        contract_id=_contract_ids(p),
        month=st.sampled_from(
            ["", "2026-13", (p.market_day - timedelta(days=31)).strftime("%Y-%m")]
        ),
    ),
    f"{_S}CertificateService/GetGreenContract": lambda p: st.builds(
        cpb.GetGreenContractRequest,
        contract_id=_contract_ids(p),
        enterprise_id=st.sampled_from(["", *p.enterprises]),
        include_lines=st.booleans(),
    ),
    f"{_S}CertificateService/ListGreenContracts": lambda p: st.builds(
        cpb.ListGreenContractsRequest,
        enterprise_id=st.sampled_from(["", *p.enterprises]),
        page_size=st.integers(0, 1000),
        page_token=st.sampled_from(["", "1", "5"]),
    ),
    f"{_S}CertificateService/GetMonthlyGec": lambda p: st.builds(
        cpb.GetMonthlyGecRequest,
        enterprise_id=_one(p.enterprises),
        from_month=st.sampled_from(["", "2025-12", p.market_day.strftime("%Y-%m")]),
        to_month=st.sampled_from(["", "2026-12", p.market_day.strftime("%Y-%m")]),
    ),
    f"{_S}CertificateService/ReportFuelUse": _fuel_report,
    f"{_S}CertificateService/ListFuelUse": lambda p: st.builds(
        cpb.ListFuelUseRequest,
        enterprise_id=_one(p.enterprises),
        from_month=st.sampled_from(["2025-12", p.market_day.strftime("%Y-%m")]),
        to_month=st.sampled_from(["", "2026-12", p.market_day.strftime("%Y-%m")]),
        include_corrections=st.booleans(),
    ),
    f"{_S}CertificateService/GetProductFootprint": lambda p: _period(
        p,
        cpb.GetProductFootprintRequest,
        enterprise_id=_one(p.enterprises),
        outputs=st.lists(
            st.builds(
                cpb.ProductOutput,
                product_line=st.sampled_from(["castings", "forgings", "bolts"]),
                output_quantity=st.integers(0, 10**9),
                unit=st.just("t"),
            ),
            min_size=1,
            max_size=3,
            unique_by=lambda line: line.product_line,
        ),
    ),
}
