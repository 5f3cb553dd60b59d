"""MarketService request handling: orders, uniform-price clearing, awards and DR invitations."""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from datetime import date

from bidding.clearing import Block, clear_interval
from bidding.intervals import INTERVALS_PER_DAY
from parkvpp.v1 import events_pb2, market_pb2_grpc
from parkvpp.v1 import market_pb2 as pb
from services.market.dr_events import DrEventBoard, checked_event
from services.market.participants import ParticipantsError, SyntheticParticipants
from services.runtime.auth import current_caller
from services.runtime.context import Runtime
from services.runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from services.runtime.events import TOPIC_CLEARING
from services.runtime.metrics import AWARDED_WATTS, WATTS_PER_KW
from services.runtime.outbox import OUTBOX_LUA, OutboxEvent
from services.runtime.rpc import market_day, now_ts, require_id
from services.runtime.settings import Settings, SettingsError
from services.runtime.store import shared_key

MAX_ORDERS_PER_BATCH = 100_000
MAX_STEPS = 50
#: Bound that keeps sums exact and meaningful: 10 GW per block. Prices are bounded by
#: the exchange's floor and cap per product (settings).
MAX_QUANTITY_KW = 1e7

#: Stores a batch once. An id names one thing: the same batch again is a replay (nothing
#: written, even after clearing); other orders under its batch id, or an order id that
#: names a different order of the day, are refused before anything is written.
_SUBMIT = """
-- KEYS: batches, orders, cleared-marker, batch digests
-- ARGV: batch id, digest of the batch, then order id / bytes pairs
local known = redis.call('HGET', KEYS[4], ARGV[1])
if known then return {known == ARGV[2] and 'REPLAY' or 'BATCH_REUSED'} end
if redis.call('EXISTS', KEYS[3]) == 1 then return {'CLEARED'} end
-- A batch stored before digests were kept: a replay, as it was answered then.
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return {'REPLAY'} end
for i = 3, #ARGV, 2 do
  local order = redis.call('HGET', KEYS[2], ARGV[i])
  if order and order ~= ARGV[i + 1] then return {'ORDER_REUSED', ARGV[i]} end
end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return {'OK'}
"""

#: Stores a clearing result once, with its MarketCleared event in the market's outbox.
_STORE_RESULT = (
    OUTBOX_LUA
    + """
-- KEYS: result, cleared-marker, outbox; ARGV: result bytes, then the event (4 values)
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('SET', KEYS[2], 1)
outbox_add(KEYS[3], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return 1
"""
)
#: The market's hash tag: its keys and its outbox share one slot.
TAG = "market"


def _check_order(n: int, order: pb.Order, day: str, settings: Settings) -> None:
    field = f"orders[{n}]"
    require_id(f"{field}.participant_id", order.participant_id)
    if order.market_day != day:
        raise InvalidArgument(f"{field}.market_day", "must equal the request's market_day")
    if not 0 <= order.interval < INTERVALS_PER_DAY:
        raise InvalidArgument(f"{field}.interval", f"must be 0..{INTERVALS_PER_DAY - 1}")
    if order.product not in (pb.PRODUCT_DEMAND_RESPONSE, pb.PRODUCT_ENERGY):
        raise InvalidArgument(f"{field}.product", "must be DEMAND_RESPONSE or ENERGY")
    if order.side not in (pb.SIDE_SELL, pb.SIDE_BUY):
        raise InvalidArgument(f"{field}.side", "must be SELL or BUY")
    if not 1 <= len(order.steps) <= MAX_STEPS:
        raise InvalidArgument(f"{field}.steps", f"must have 1..{MAX_STEPS} blocks")
    product = pb.Product.Name(order.product).removeprefix("PRODUCT_")
    floor, cap = settings.market_price_range(product)
    for k, step in enumerate(order.steps):
        if not floor <= step.price_fen_per_mwh <= cap:
            raise InvalidArgument(
                f"{field}.steps[{k}].price_fen_per_mwh",
                f"must be within the {product} floor and cap, {floor}..{cap} fen/MWh",
            )
        if not math.isfinite(step.quantity_kw) or not 0 <= step.quantity_kw <= MAX_QUANTITY_KW:
            raise InvalidArgument(
                f"{field}.steps[{k}].quantity_kw", f"must be 0..{MAX_QUANTITY_KW:.0e} kW"
            )


def _as_seen_by_caller(result: pb.ClearingResult) -> pb.ClearingResult:
    """`result` as the current caller may see it.

    An enterprise sees the day's clearing prices and the awards whose participant is
    itself, nothing of the VPP's position: neither the VPP's awards nor the cleared kW
    per interval (with no other sellers that is the VPP's position), which stay 0. Its
    share of the VPP's awards is its dispatch (VppService.ListDispatch). Other roles see
    the whole result.
    """
    caller = current_caller()
    if caller is None or caller.role != "enterprise":
        return result
    seen = pb.ClearingResult()
    seen.CopyFrom(result)
    del seen.awards[:]
    seen.awards.extend(a for a in result.awards if a.participant_id == caller.enterprise_id)
    for interval in seen.intervals:
        interval.cleared_kw = 0.0
    return seen


def _product(value: int) -> int:
    """The product a clearing is about (DEMAND_RESPONSE when unset); InvalidArgument if unknown."""
    product = value or pb.PRODUCT_DEMAND_RESPONSE
    if product not in (pb.PRODUCT_DEMAND_RESPONSE, pb.PRODUCT_ENERGY):
        raise InvalidArgument("product", "must be DEMAND_RESPONSE or ENERGY")
    return product


def _aggregated(blocks: list[Block], descending: bool) -> list[pb.PriceStep]:
    """Blocks summed per price (the published, anonymous curve of one side)."""
    total: dict[int, float] = defaultdict(float)
    for block in blocks:
        total[block.price_fen_per_mwh] += block.quantity_kw
    return [
        pb.PriceStep(price_fen_per_mwh=price, quantity_kw=kw)
        for price, kw in sorted(total.items(), reverse=descending)
        if kw > 0
    ]


class MarketServicer(market_pb2_grpc.MarketServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.redis = runtime.redis
        self._submit = self.redis.register_script(_SUBMIT)
        self._store = self.redis.register_script(_STORE_RESULT)
        settings = runtime.settings
        try:
            self.participants = SyntheticParticipants.load(
                settings.market_participants_file, settings.market_price_range
            )
        except ParticipantsError as exc:
            raise SettingsError(f"PARKVPP_MARKET_PARTICIPANTS_FILE: {exc}") from exc
        self.dr_events = DrEventBoard(runtime, TAG)

    @staticmethod
    def _key(day: str, *parts: str) -> str:
        return shared_key(TAG, day, *parts)

    def SubmitOrders(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day).isoformat()
        batch_id = require_id("batch_id", request.batch_id)
        if not request.orders or len(request.orders) > MAX_ORDERS_PER_BATCH:
            raise InvalidArgument("orders", f"must hold 1..{MAX_ORDERS_PER_BATCH} orders")
        batch = pb.SubmitOrdersRequest(batch_id=batch_id, market_day=day)
        seen: set[str] = set()
        for n, order in enumerate(request.orders):
            _check_order(n, order, day, self.runtime.settings)
            order_id = order.order_id or f"{batch_id}-{n}"
            require_id(f"orders[{n}].order_id", order_id)
            if order_id in seen:
                raise InvalidArgument(f"orders[{n}].order_id", "is repeated in the batch")
            seen.add(order_id)
            stored = batch.orders.add()
            stored.CopyFrom(order)
            stored.order_id = order_id
        digest = hashlib.sha256(batch.SerializeToString(deterministic=True)).hexdigest()
        args: list[str | bytes] = [batch_id, digest]
        for stored in batch.orders:
            args.extend((stored.order_id, stored.SerializeToString()))
        keys = [
            self._key(day, "batches"),
            self._key(day, "orders"),
            self._key(day, "cleared"),
            self._key(day, "batch-digests"),
        ]
        status, *detail = self._submit(keys=keys, args=args)
        if status == b"CLEARED":
            raise FailedPrecondition(f"market day {day} is already cleared")
        if status == b"BATCH_REUSED":
            raise AlreadyExists(
                f"batch_id: {batch_id} was already submitted with other orders; use a new batch id"
            )
        if status == b"ORDER_REUSED":
            n = [o.order_id for o in batch.orders].index(detail[0].decode())
            raise AlreadyExists(
                f"orders[{n}].order_id: {detail[0].decode()} names another order of {day}"
            )
        return pb.SubmitOrdersResponse(batch_id=batch_id, orders_accepted=len(request.orders))

    def _orders(self, day: str, product: int) -> list[pb.Order]:
        raw = self.redis.hgetall(self._key(day, "orders"))
        orders = [pb.Order.FromString(v) for _, v in sorted(raw.items())]
        return [o for o in orders if o.product == product]

    def ClearMarket(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day).isoformat()
        product = _product(request.product)
        key = self._key(day, "result", pb.Product.Name(product))
        stored = self.redis.get(key)
        if stored is not None:  # its MarketCleared event was written together with it
            return pb.ClearingResult.FromString(stored)
        result = self._clear(day, product, request.include_synthetic_participants)
        event = OutboxEvent.of(
            TOPIC_CLEARING,
            day,
            events_pb2.MarketCleared(result=result),
            event_id=f"cleared-{result.clearing_id}",
        )
        keys = [key, self._key(day, "cleared"), self.runtime.outbox.register(TAG)]
        if not self._store(keys=keys, args=[result.SerializeToString(), *event.lua_args()]):
            return pb.ClearingResult.FromString(self.redis.get(key))  # the first result stands
        self.runtime.events_written()
        vpp = self.runtime.settings.vpp_participant_id
        per_interval: dict[int, float] = defaultdict(float)
        for award in result.awards:
            if award.participant_id == vpp:
                per_interval[award.interval] += award.awarded_kw
        AWARDED_WATTS.set(max(per_interval.values(), default=0.0) * WATTS_PER_KW)
        return result

    def _clear(self, day: str, product: int, synthetic: bool) -> pb.ClearingResult:
        orders = self._orders(day, product)
        if synthetic:
            booked = {o.order_id for o in orders}
            extra = self.participants.orders(date.fromisoformat(day), product)
            orders.extend(o for o in extra if o.order_id not in booked)
        floor, cap = self.runtime.settings.market_price_range(
            pb.Product.Name(product).removeprefix("PRODUCT_")
        )
        by_interval: dict[int, list[pb.Order]] = defaultdict(list)
        for order in orders:
            by_interval[order.interval].append(order)
        result = pb.ClearingResult(
            clearing_id=f"{day}-{pb.Product.Name(product).lower()}",
            market_day=day,
            product=product,
            cleared_at=now_ts(),
        )
        index = {o.order_id: o for o in orders}
        for interval in sorted(by_interval):
            book = by_interval[interval]
            sells = [
                Block(o.order_id, s.price_fen_per_mwh, s.quantity_kw)
                for o in book
                if o.side == pb.SIDE_SELL
                for s in o.steps
            ]
            buys = [
                Block(o.order_id, s.price_fen_per_mwh, s.quantity_kw)
                for o in book
                if o.side == pb.SIDE_BUY
                for s in o.steps
            ]
            cleared = clear_interval(sells, buys, floor, cap)
            result.intervals.add(
                interval=interval,
                clearing_price_fen_per_mwh=cleared.clearing_price_fen_per_mwh,
                cleared_kw=cleared.cleared_kw,
                sell_curve=_aggregated(sells, descending=False),
                buy_curve=_aggregated(buys, descending=True),
            )
            for order_id, kw in sorted({**cleared.sold_kw, **cleared.bought_kw}.items()):
                order = index[order_id]
                result.awards.add(
                    award_id=f"{day}-{order_id}",
                    order_id=order_id,
                    participant_id=order.participant_id,
                    market_day=day,
                    interval=interval,
                    product=product,
                    side=order.side,
                    awarded_kw=kw,
                    price_fen_per_mwh=cleared.clearing_price_fen_per_mwh,
                )
        return result

    def GetClearingResult(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day).isoformat()
        product = _product(request.product)
        stored = self.redis.get(self._key(day, "result", pb.Product.Name(product)))
        if stored is None:
            raise NotFound(f"market day {day} has not been cleared for {pb.Product.Name(product)}")
        return _as_seen_by_caller(pb.ClearingResult.FromString(stored))

    def _synthetic_dr_events(self, day: date) -> list[pb.DrEvent]:
        floor, _ = self.runtime.settings.market_price_range("DEMAND_RESPONSE")
        return self.participants.dr_events(day, floor)

    def AnnounceDrEvent(self, request, context):  # noqa: N802
        if not request.HasField("event"):
            raise InvalidArgument("event", "is required")
        event = checked_event(
            request.event, *self.runtime.settings.market_price_range("DEMAND_RESPONSE")
        )
        synthetic = self._synthetic_dr_events(date.fromisoformat(event.market_day))
        return self.dr_events.announce(event, {e.event_id for e in synthetic})

    def ListDrEvents(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day)
        events = [*self.dr_events.announced(day.isoformat()), *self._synthetic_dr_events(day)]
        return pb.ListDrEventsResponse(events=events)
