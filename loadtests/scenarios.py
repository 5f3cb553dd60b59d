"""The park the load test works on (the demo's, seeded once) and its weighted scenarios.

Seeding runs the demo's whole market day (services.demo.day.MarketDay) through the real
services, so every scenario has something real to read: enrolled assets with 28 days
of meter history, a cleared, dispatched and settled market day, certificates. Each
scenario calls as the role a real caller has: enterprises with their own token, the
ESCO, the operator, the monitoring system.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import grpc

from bidding.intervals import INTERVAL_MINUTES, MARKET_TZ, locate_period_end
from loadtests.loadgen import Context, Scenario
from parkvpp.v1 import (
    bidding_pb2,
    bidding_pb2_grpc,
    certificates_pb2,
    certificates_pb2_grpc,
    enrollment_pb2,
    enrollment_pb2_grpc,
    market_pb2,
    market_pb2_grpc,
    settlement_pb2,
    settlement_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
    vpp_pb2,
    vpp_pb2_grpc,
)
from services.demo.clients import Clients
from services.demo.day import MarketDay, market_day_for
from services.demo.park import ASSETS, ENTERPRISES, DemoAsset, meter_kw

#: Default weights: mostly cheap reads, meter data from enterprises, ESCO statement
#: reads, and operators on the bid plans (one of them preparing tomorrow's now and then).
DEFAULT_MIX = {
    "list_assets": 14,
    "get_asset": 14,
    "get_enterprise": 8,
    "load_profile": 14,
    "balance": 10,
    "clearing_result": 8,
    "list_dispatch": 10,
    "readings": 12,
    "statements": 8,
    "bids": 2,
}
#: Reading timestamps go back at most this many intervals (one day).
READING_LOOKBACK = 96
#: An operator prepares a bid plan at most this often (each solve keeps a core busy);
#: the other `bids` arrivals read the latest plan.
PREPARE_EVERY_S = 15.0


class SeedError(RuntimeError):
    """The target cannot be seeded or holds another day's demo park; says what to do."""


@dataclass(frozen=True)
class Park:
    """The seeded demo park: its settled market day, enterprises and metered assets."""

    market_day: date
    enterprises: tuple[str, ...]
    meters: dict[str, tuple[DemoAsset, ...]]  # enterprise -> assets metered in power_kw

    @classmethod
    def demo(cls, market_day: date) -> Park:
        meters = {
            ent: tuple(
                a
                for a in ASSETS
                if a.enterprise_id == ent and a.spec.WhichOneof("kind") != "generator"
            )
            for ent, _name, _area in ENTERPRISES
        }
        return cls(market_day, tuple(meters), meters)


def seed(addrs: dict[str, str], token_for: Callable[[str], str], log=print) -> Park:
    """Run the demo's market day on the target unless its park is there already.

    Raises SeedError when the park is there but its settled day is not today's demo day.
    """
    day = market_day_for()
    clients = Clients.connect(addrs, token=token_for("operator"))
    try:
        try:
            clients.enrollment.GetEnterprise(
                enrollment_pb2.GetEnterpriseRequest(enterprise_id=ENTERPRISES[0][0]), timeout=10
            )
            seeded = True
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
            seeded = False
        if not seeded:
            log(f"seeding: the demo park's market day {day} through every service")
            MarketDay(clients, day, lambda line: None, token_for).run()
        try:
            clients.settlement.GetStatement(
                settlement_pb2.GetStatementRequest(
                    enterprise_id=ENTERPRISES[0][0], market_day=day.isoformat()
                ),
                timeout=10,
                metadata=Clients.bearer_metadata(token_for("esco")),
            )
        except grpc.RpcError as exc:
            raise SeedError(
                f"the target has the demo park but no statement for {day} ({exc.code().name}); "
                "use a fresh `parkvpp up` (or --data-dir of a new one)"
            ) from exc
    finally:
        clients.close()
    return Park.demo(day)


def _enterprise(ctx: Context) -> str:
    return ctx.rng.choice(ctx.state["park"].enterprises)


def _asset(ctx: Context) -> DemoAsset:
    return ctx.rng.choice(ASSETS)


def _stubs(ctx: Context):
    if "stubs" not in ctx.state:
        ch = ctx.channels
        ctx.state["stubs"] = {
            "enrollment": enrollment_pb2_grpc.EnrollmentServiceStub(ch["enrollment"]),
            "telemetry": telemetry_pb2_grpc.TelemetryServiceStub(ch["telemetry"]),
            "vpp": vpp_pb2_grpc.VppServiceStub(ch["vpp"]),
            "bidding": bidding_pb2_grpc.BiddingServiceStub(ch["bidding"]),
            "market": market_pb2_grpc.MarketServiceStub(ch["market"]),
            "settlement": settlement_pb2_grpc.SettlementServiceStub(ch["settlement"]),
            "certificates": certificates_pb2_grpc.CertificateServiceStub(ch["certificates"]),
        }
    return ctx.state["stubs"]


async def list_assets(ctx: Context) -> None:
    ent = _enterprise(ctx)
    stub = _stubs(ctx)["enrollment"]
    request = enrollment_pb2.ListAssetsRequest(enterprise_id=ent)
    await ctx.call(
        "EnrollmentService/ListAssets",
        stub.ListAssets(request, metadata=ctx.meta(f"enterprise:{ent}"), timeout=ctx.timeout_s),
    )


async def get_asset(ctx: Context) -> None:
    stub = _stubs(ctx)["enrollment"]
    request = enrollment_pb2.GetAssetRequest(asset_id=_asset(ctx).asset_id)
    await ctx.call(
        "EnrollmentService/GetAsset",
        stub.GetAsset(request, metadata=ctx.meta("operator"), timeout=ctx.timeout_s),
    )


async def get_enterprise(ctx: Context) -> None:
    ent = _enterprise(ctx)
    stub = _stubs(ctx)["enrollment"]
    request = enrollment_pb2.GetEnterpriseRequest(enterprise_id=ent)
    await ctx.call(
        "EnrollmentService/GetEnterprise",
        stub.GetEnterprise(request, metadata=ctx.meta(f"enterprise:{ent}"), timeout=ctx.timeout_s),
    )


async def load_profile(ctx: Context) -> None:
    asset = _asset(ctx)
    day = ctx.state["park"].market_day.isoformat()
    stub = _stubs(ctx)["telemetry"]
    request = telemetry_pb2.GetLoadProfileRequest(
        asset_id=asset.asset_id, from_market_day=day, to_market_day=day
    )
    meta = ctx.meta(f"enterprise:{asset.enterprise_id}")
    await ctx.call(
        "TelemetryService/GetLoadProfile",
        stub.GetLoadProfile(request, metadata=meta, timeout=ctx.timeout_s),
    )


async def balance(ctx: Context) -> None:
    ent = _enterprise(ctx)
    stub = _stubs(ctx)["certificates"]
    request = certificates_pb2.GetBalanceRequest(enterprise_id=ent)
    await ctx.call(
        "CertificateService/GetBalance",
        stub.GetBalance(request, metadata=ctx.meta(f"enterprise:{ent}"), timeout=ctx.timeout_s),
    )


async def clearing_result(ctx: Context) -> None:
    stub = _stubs(ctx)["market"]
    request = market_pb2.GetClearingResultRequest(
        market_day=ctx.state["park"].market_day.isoformat()
    )
    await ctx.call(
        "MarketService/GetClearingResult",
        stub.GetClearingResult(request, metadata=ctx.meta("monitor"), timeout=ctx.timeout_s),
    )


async def list_dispatch(ctx: Context) -> None:
    ent = _enterprise(ctx)
    stub = _stubs(ctx)["vpp"]
    request = vpp_pb2.ListDispatchRequest(
        market_day=ctx.state["park"].market_day.isoformat(), enterprise_id=ent
    )
    await ctx.call(
        "VppService/ListDispatch",
        stub.ListDispatch(request, metadata=ctx.meta(f"enterprise:{ent}"), timeout=ctx.timeout_s),
    )


def reading_batch(ctx: Context, enterprise_id: str, now: datetime) -> telemetry_pb2.ReadingBatch:
    """One meter gateway's batch: each of the enterprise's meters at a few recent intervals."""
    step = timedelta(minutes=INTERVAL_MINUTES)
    last_end = datetime.fromtimestamp(
        math.floor(now.timestamp() / step.total_seconds()) * step.total_seconds(), UTC
    )
    batch = telemetry_pb2.ReadingBatch()
    for back in ctx.rng.sample(range(READING_LOOKBACK), 2):
        end = last_end - back * step
        day, interval = locate_period_end(end)
        for asset in ctx.state["park"].meters[enterprise_id]:
            reading = batch.readings.add(
                asset_id=asset.asset_id, power_kw=float(meter_kw(asset, day)[interval])
            )
            reading.timestamp.FromDatetime(end)
    return batch


async def readings(ctx: Context) -> None:
    ent = _enterprise(ctx)
    stub = _stubs(ctx)["telemetry"]
    batch = reading_batch(ctx, ent, datetime.now(UTC))
    await ctx.call(
        "TelemetryService/StreamReadings",
        stub.StreamReadings(
            iter([batch]), metadata=ctx.meta(f"enterprise:{ent}"), timeout=ctx.timeout_s
        ),
    )


async def statements(ctx: Context) -> None:
    stub = _stubs(ctx)["settlement"]
    request = settlement_pb2.GetStatementRequest(
        enterprise_id=_enterprise(ctx), market_day=ctx.state["park"].market_day.isoformat()
    )
    await ctx.call(
        "SettlementService/GetStatement",
        stub.GetStatement(request, metadata=ctx.meta("esco"), timeout=ctx.timeout_s),
    )


async def bids(ctx: Context) -> None:
    """An operator prepares tomorrow's bids every PREPARE_EVERY_S; otherwise reads a plan."""
    stub = _stubs(ctx)["bidding"]
    now = time.monotonic()
    if ctx.state.get("preparing") or now - ctx.state.get("prepared_at", -1e9) < PREPARE_EVERY_S:
        request = bidding_pb2.GetBidPlanRequest(market_day=ctx.state["park"].market_day.isoformat())
        await ctx.call(
            "BiddingService/GetBidPlan",
            stub.GetBidPlan(request, metadata=ctx.meta("operator"), timeout=ctx.timeout_s),
        )
        return
    ctx.state["preparing"], ctx.state["prepared_at"] = True, now
    try:
        tomorrow = datetime.now(MARKET_TZ).date() + timedelta(days=1)
        request = bidding_pb2.PrepareBidsRequest(
            market_day=tomorrow.isoformat(), time_limit_seconds=20
        )
        await ctx.call(
            "BiddingService/PrepareBids",
            stub.PrepareBids(request, metadata=ctx.meta("operator"), timeout=60),
        )
    finally:
        ctx.state["preparing"] = False


SCENARIOS: dict[str, Scenario] = {
    "list_assets": list_assets,
    "get_asset": get_asset,
    "get_enterprise": get_enterprise,
    "load_profile": load_profile,
    "balance": balance,
    "clearing_result": clearing_result,
    "list_dispatch": list_dispatch,
    "readings": readings,
    "statements": statements,
    "bids": bids,
}
#: RPCs that stream or solve: left out of the unary-latency goal.
HEAVY_RPCS = {"TelemetryService/StreamReadings", "BiddingService/PrepareBids"}


def parse_mix(text: str) -> dict[str, float]:
    """`name=weight,...` over DEFAULT_MIX (names not given keep their default; 0 drops one)."""
    mix = dict(DEFAULT_MIX)
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, weight = part.partition("=")
        if not sep or name not in SCENARIOS:
            raise ValueError(
                f"--mix: {part!r} is not <scenario>=<weight>; one of {list(SCENARIOS)}"
            )
        mix[name] = float(weight)
    return mix
