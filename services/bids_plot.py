"""`parkvpp plot bids`: one interval's DR offer curve and clearing point from a running stack."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bidding.exceptions import InvalidInput
from bidding.intervals import INTERVAL_MINUTES, check_interval, parse_market_day
from parkvpp.v1 import bidding_pb2, bidding_pb2_grpc, market_pb2, market_pb2_grpc
from services.plots import PRICE_UNIT, Marker, StepCurve, step_curves_chart
from services.runtime.channels import open_channel
from services.runtime.settings import Settings
from settlement.interval_reasons import time_label

DR = market_pb2.PRODUCT_DEMAND_RESPONSE
CALL_TIMEOUT_S = 10.0
REACH_TIMEOUT_S = 3.0


class NoStack(Exception):
    """No ParkVPP service answered at the address; the message says where we looked."""


def vpp_curve(plan: bidding_pb2.BidPlan, interval: int) -> StepCurve:
    """The plan's demand-response sell curve of `interval` (empty when it offers nothing)."""
    blocks = [
        (step.price_fen_per_mwh, step.quantity_kw)
        for curve in plan.demand_response_offers
        if curve.interval == interval
        for step in curve.steps
    ]
    return StepCurve("VPP offer (plan " + plan.plan_id + ")", blocks, "sell")


def _orders(settings: Settings, market_day: str, interval: int) -> list:
    """The synthetic participants' DR orders in `interval` (empty when unreadable)."""
    from services.market.participants import ParticipantsError, SyntheticParticipants

    try:
        participants = SyntheticParticipants.load(
            settings.market_participants_file, settings.market_price_range
        )
    except ParticipantsError:
        return []
    day = date.fromisoformat(market_day)
    return [o for o in participants.orders(day, DR) if o.interval == interval]


def participant_curves(
    settings: Settings, clearing: market_pb2.ClearingResult | None, interval: int
) -> list[StepCurve]:
    """Curves of the exchange's synthetic participants that traded in `interval`.

    Their standing orders come from the participants settings of this process
    (PARKVPP_MARKET_PARTICIPANTS_FILE or the built-in default), so they match the stack's
    when both run with the same settings. Empty when not cleared or the file is unreadable.
    """
    if clearing is None:
        return []
    traded = {a.participant_id for a in clearing.awards if a.interval == interval}
    blocks: dict[tuple[str, int], list[tuple[int, float]]] = {}
    for order in _orders(settings, clearing.market_day, interval):
        if order.participant_id in traded:
            key = (order.participant_id, order.side)
            blocks.setdefault(key, []).extend(
                (s.price_fen_per_mwh, s.quantity_kw) for s in order.steps
            )
    return [
        StepCurve(pid, steps, "buy" if side == market_pb2.SIDE_BUY else "sell")
        for (pid, side), steps in sorted(blocks.items())
    ]


def highest_bid_fen(
    settings: Settings, clearing: market_pb2.ClearingResult | None, interval: int
) -> int | None:
    """The dearest price any buyer bid in `interval` (fen/MWh), None when none bid: from
    the clearing's published buy curve, else the participants settings of this process."""
    for curve in market_curves(clearing, interval):
        if curve.side == "buy":
            return max((p for p, kw in curve.blocks if kw > 0), default=None)
    if clearing is None:
        return None
    prices = [
        step.price_fen_per_mwh
        for order in _orders(settings, clearing.market_day, interval)
        if order.side == market_pb2.SIDE_BUY
        for step in order.steps
        if step.quantity_kw > 0
    ]
    return max(prices, default=None)


def _price(fen: int) -> str:
    return f"{fen / 100:,.0f} {PRICE_UNIT}"


def why_no_trade(
    plan: bidding_pb2.BidPlan,
    clearing: market_pb2.ClearingResult | None,
    interval: int,
    highest_bid: int | None,
) -> str:
    """ "" when `interval` traded; else a sentence saying why there is no clearing point."""
    when = f"{time_label(interval)} (interval {interval}) of {plan.market_day}"
    offer = [(p, kw) for p, kw in vpp_curve(plan, interval).blocks if kw > 0]
    offered = (
        f"the VPP offered {sum(kw for _, kw in offer):,.0f} kW from "
        f"{_price(min(p for p, _ in offer))}"
        if offer
        else "the VPP offered nothing"
    )
    if clearing is None:
        return f"the DR market has not cleared {plan.market_day} yet; in {when} {offered}"
    cleared = next((i for i in clearing.intervals if i.interval == interval), None)
    if cleared is not None and cleared.cleared_kw > 0:
        return ""
    if highest_bid is None:
        return f"nothing cleared in {when}: no buyer bid; {offered}"
    if not offer:
        return f"nothing cleared in {when}: {offered}; buyers bid up to {_price(highest_bid)}"
    return (
        f"no offer crossed the buyers' bids in {when}: the VPP's lowest price was "
        f"{_price(min(p for p, _ in offer))}, the highest bid {_price(highest_bid)}"
    )


def interval_markers(
    clearing: market_pb2.ClearingResult | None, interval: int, vpp_participant: str
) -> tuple[list[Marker], str]:
    """The clearing point and the VPP's award in `interval`, plus a note for the chart."""
    if clearing is None:
        return [], "market not cleared yet"
    cleared = next((i for i in clearing.intervals if i.interval == interval), None)
    if cleared is None or cleared.cleared_kw <= 0:
        return [], "no trade in this interval"
    price = cleared.clearing_price_fen_per_mwh
    vpp_kw = sum(
        a.awarded_kw
        for a in clearing.awards
        if a.interval == interval
        and a.participant_id == vpp_participant
        and a.side == market_pb2.SIDE_SELL
    )
    others = sorted(
        {a.participant_id for a in clearing.awards if a.interval == interval} - {vpp_participant}
    )
    markers = [
        Marker(
            f"clearing: {cleared.cleared_kw:,.1f} kW @ {_price(price)}",
            cleared.cleared_kw,
            price,
        ),
        Marker(f"VPP award: {vpp_kw:,.1f} kW", vpp_kw, price),
    ]
    note = f"{len(others)} other participant{'s' * (len(others) != 1)} traded" + (
        f": {', '.join(others)}" if 0 < len(others) <= 3 else ""
    )
    return markers, note


def market_curves(clearing: market_pb2.ClearingResult | None, interval: int) -> list[StepCurve]:
    """The exchange's published aggregated sell and buy curves of `interval` (all
    participants, the VPP included); empty when not cleared or not published."""
    cleared = (
        next((i for i in clearing.intervals if i.interval == interval), None) if clearing else None
    )
    if cleared is None:
        return []
    sides = (("all sellers", cleared.sell_curve, "sell"), ("all buyers", cleared.buy_curve, "buy"))
    return [
        StepCurve(label, [(s.price_fen_per_mwh, s.quantity_kw) for s in steps], side)
        for label, steps, side in sides
        if steps
    ]


def write_interval_plot(
    path: str | Path,
    plan: bidding_pb2.BidPlan,
    clearing: market_pb2.ClearingResult | None,
    interval: int,
    vpp_participant: str,
    other_curves: Sequence[StepCurve] = (),
) -> Path:
    """PNG of one interval: the VPP's curve, the market's aggregated supply and demand
    (or, for a clearing that does not publish them, `other_curves`), the clearing point."""
    markers, note = interval_markers(clearing, interval, vpp_participant)
    market = market_curves(clearing, interval) or list(other_curves)
    return step_curves_chart(
        path,
        f"Demand response {plan.market_day} {time_label(interval)} (Asia/Shanghai, "
        f"interval {interval})",
        [vpp_curve(plan, interval), *market],
        markers,
        note,
    )


def _reachable(address: str) -> None:
    channel = grpc.insecure_channel(address)
    try:
        health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=REACH_TIMEOUT_S
        )
    except grpc.RpcError as exc:
        if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            raise NoStack(address) from exc
    finally:
        channel.close()


def fetch(
    bidding_addr: str,
    market_addr: str,
    token: str,
    market_day: str,
    tls: tuple[str, str, str] = ("", "", ""),
) -> tuple[bidding_pb2.BidPlan, market_pb2.ClearingResult | None]:
    """The latest bid plan of the day and its DR clearing (None when not cleared yet).

    Raises NoStack when nothing answers at an address, grpc.RpcError for other refusals
    (NOT_FOUND: no plan for the day). `tls` is (ca_file, cert_file, key_file); with a CA
    the channels use TLS and reachability shows as UNAVAILABLE from the calls instead.
    """
    ca_file, cert_file, key_file = tls
    for address in dict.fromkeys((bidding_addr, market_addr)):
        if not ca_file:
            _reachable(address)
    channels = [
        open_channel(a, token, cert_file, key_file, ca_file) for a in (bidding_addr, market_addr)
    ]
    bidding, market = channels
    try:
        plan = bidding_pb2_grpc.BiddingServiceStub(bidding).GetBidPlan(
            bidding_pb2.GetBidPlanRequest(market_day=market_day), timeout=CALL_TIMEOUT_S
        )
        try:
            clearing = market_pb2_grpc.MarketServiceStub(market).GetClearingResult(
                market_pb2.GetClearingResultRequest(market_day=market_day, product=DR),
                timeout=CALL_TIMEOUT_S,
            )
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
            clearing = None
    finally:
        for channel in channels:
            channel.close()
    return plan, clearing


def parse_interval(text: str) -> int:
    """An interval from "76" or its local start time "19:00"; InvalidInput naming --interval."""
    hours, colon, minutes = str(text).partition(":")
    try:
        if not colon:
            return check_interval(int(text), "--interval")
        start = int(hours) * 60 + int(minutes)
    except ValueError:
        raise InvalidInput("--interval", f"must be 0..95 or HH:MM, got {text!r}") from None
    if start % INTERVAL_MINUTES or not 0 <= int(minutes) < 60:
        raise InvalidInput("--interval", f"must start on a quarter hour, got {text!r}")
    return check_interval(start // INTERVAL_MINUTES, "--interval")


def run(args) -> int:
    """Fetch and draw: 0 drawn, 1 nothing traded in the interval (the sentence says why;
    the offer alone is drawn when there is one), 2 bad input or nothing to fetch from."""
    from services.stack_client import find_stack

    try:
        day = parse_market_day(args.day, "--day").isoformat()
        interval = parse_interval(args.interval)
    except InvalidInput as exc:
        print(f"parkvpp plot bids: {exc}", file=sys.stderr)
        return 2
    target = find_stack(args.data_dir)
    settings = target.settings
    bidding_addr = target.addr("bidding", args.addr)
    market_addr = target.addr("market", args.market_addr)
    try:
        token = target.token("operator", 300, args.token)
        cert, key, ca = target.tls
        plan, clearing = fetch(bidding_addr, market_addr, token, day, (ca, cert, key))
    except NoStack as exc:
        print(
            f"parkvpp plot bids: no ParkVPP stack answers at {exc} (addresses from "
            f"{target.describe()})",
            file=sys.stderr,
        )
        return 2
    except grpc.RpcError as exc:
        print(f"parkvpp plot bids: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 2
    why = why_no_trade(plan, clearing, interval, highest_bid_fen(settings, clearing, interval))
    has_offer = any(kw > 0 for _, kw in vpp_curve(plan, interval).blocks)
    if why and not has_offer:
        print(f"parkvpp plot bids: nothing to draw: {why}", file=sys.stderr)
        return 1
    label = time_label(interval)[:5].replace(":", "")
    out = args.out or f"bids-{day}-{label}.png"
    others = (
        []
        if market_curves(clearing, interval)
        else participant_curves(settings, clearing, interval)
    )
    path = write_interval_plot(out, plan, clearing, interval, settings.vpp_participant_id, others)
    if why:
        print(f"parkvpp plot bids: no clearing point: {why}; wrote the offer alone to {path}")
        return 1
    print(f"wrote {path}")
    return 0
