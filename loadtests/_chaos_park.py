"""The chaos runner's park and workers: every call repeated until it is acknowledged.

Three enterprises: chaos-a (a curtailable load and a battery), chaos-b (a load) and chaos-c
(a rooftop PV and a load). Worker threads stream past meter readings, enrol and approve
assets, clear future demand-response days and settle green-power trades while processes
are killed. Each call is sent again with the same request (request id, batch id, trade
id: repeats are idempotent) while it fails with a transient status, and `Acks` records
what was sent and what a call returned OK for: only the latter must survive.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

import grpc

from bidding.intervals import INTERVALS_PER_DAY, MARKET_TZ, interval_start, locate_period_end
from loadtests._stack import battery_spec, curtailable_spec
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import market_pb2 as mpb
from parkvpp.v1 import telemetry_pb2 as tpb
from services.demo.clients import Clients
from services.runtime.auth import issue_token
from services.runtime.rpc import to_ts
from services.runtime.settings import Settings

T = TypeVar("T")

#: enterprise -> its metered assets at setup: (asset id, spec, typical kW).
PARK: dict[str, list[tuple[str, epb.AssetSpec, float]]] = {
    "chaos-a": [
        ("chaos-a-load", curtailable_spec(300.0), 600.0),
        ("chaos-a-battery", battery_spec(1000.0), 0.0),
    ],
    "chaos-b": [("chaos-b-load", curtailable_spec(200.0), 400.0)],
    "chaos-c": [
        (
            "chaos-c-pv",
            epb.AssetSpec(
                generator=epb.Generator(
                    capacity_kw=1200.0,
                    technology=epb.GENERATOR_TECHNOLOGY_PV,
                    grid_connection_id="JS-SZ-10kV-0999",
                )
            ),
            1200.0,
        ),
        ("chaos-c-load", curtailable_spec(100.0), 250.0),
    ],
}
PV_ASSET, PV_OWNER = "chaos-c-pv", "chaos-c"
#: Statuses a restarting stack answers with: the call is sent again unchanged. Any other
#: (INTERNAL included: a bug) ends the call as refused, and the report lists it.
TRANSIENT = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.ABORTED,
    }
)
CALL_TIMEOUT_S = 15.0
#: How long setup and checks keep repeating a call that fails transiently.
FOREVER_S = 300.0
#: Meter readings every 5 minutes, one hour of every meter of an enterprise per stream.
READING_STEP = timedelta(minutes=5)
READINGS_PER_BATCH = 12
#: Days of meter history the meter workers start from (readings older than 400 days are
#: refused); the certificate day lies before them.
HISTORY_START_DAYS = 360
#: Interval of the demand-response orders: within the loads' weekday window (32..88).
DR_INTERVALS = range(40, 80)


class SetupError(RuntimeError):
    """The park could not be set up: a call was refused (a bug or a changed contract)."""


def local_today() -> date:
    return datetime.now(MARKET_TZ).date()


@dataclass
class Acks:
    """What was sent and what was acknowledged, per kind (thread-safe)."""

    #: (asset, market day) -> epoch second -> kW, sent at least once / acknowledged.
    sent_readings: dict[tuple[str, date], dict[int, float]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    readings: dict[tuple[str, date], dict[int, float]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    owners: dict[str, str] = field(default_factory=dict)
    #: asset id -> (enterprise, spec) of acknowledged enrolments; approved asset ids.
    enrolled: dict[str, tuple[str, epb.AssetSpec]] = field(default_factory=dict)
    approved: set[str] = field(default_factory=set)
    #: market day -> the ClearingResult ClearMarket returned.
    cleared: dict[str, mpb.ClearingResult] = field(default_factory=dict)
    #: trade id -> request sent / GreenTrade returned.
    sent_trades: dict[str, cpb.SettleGreenTradeRequest] = field(default_factory=dict)
    trades: dict[str, cpb.GreenTrade] = field(default_factory=dict)
    #: (method, status) of every failed attempt; calls refused for good, with details.
    failed: Counter[tuple[str, str]] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def readings_sent(self, readings: list[tuple[str, datetime, float]], acked: bool) -> None:
        target = self.readings if acked else self.sent_readings
        with self.lock:
            for asset_id, at, kw in readings:
                day, _ = locate_period_end(at)
                target[(asset_id, day)][int(at.timestamp())] = kw


class Park:
    """The chaos park's clients, tokens and workers; `stop` ends the workers' loops."""

    def __init__(self, addrs: dict[str, str], token_secret: str, settings: Settings, seed: int):
        self.settings = settings
        self.seed = seed
        self.acks = Acks()
        self.stop = threading.Event()
        self._secret = token_secret
        self.clients = Clients.connect(
            addrs, token=issue_token(token_secret, "operator", 86_400), retry_unavailable=True
        )
        self.lots: list[cpb.Lot] = []

    def as_(self, role: str) -> tuple[tuple[str, str], ...]:
        return Clients.bearer_metadata(issue_token(self._secret, role, 86_400))

    def close(self) -> None:
        self.clients.close()

    def until_acknowledged(
        self, method: str, call: Callable[[], T], forever: bool = False
    ) -> T | None:
        """call()'s reply, sent again while it fails with a TRANSIENT status.

        None when the workers stop first or when the call is refused for good (recorded in
        `acks.refused`). With `forever` (setup and checks) it does not stop with the workers
        but raises TimeoutError after FOREVER_S of transient failures.
        """
        delay_s = 0.1
        give_up = time.monotonic() + FOREVER_S
        while forever or not self.stop.is_set():
            try:
                return call()
            except grpc.RpcError as exc:
                code = exc.code()
                with self.acks.lock:
                    self.acks.failed[(method, code.name)] += 1
                if code not in TRANSIENT:
                    with self.acks.lock:
                        self.acks.refused.append(f"{method}: {code.name}: {exc.details()}")
                    return None
                if forever and time.monotonic() > give_up:
                    raise TimeoutError(
                        f"{method} failed for {FOREVER_S:.0f} s: {code.name}"
                    ) from exc
            if forever:
                time.sleep(delay_s)
            else:
                self.stop.wait(delay_s)
            delay_s = min(delay_s * 2, 2.0)
        return None

    # -- setup ------------------------------------------------------------------------

    def set_up(self) -> None:
        """Enterprises, their assets (approved), and certificates of one metered PV day."""
        c = self.clients
        for enterprise_id, assets in PARK.items():
            request = epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=f"Chaos {enterprise_id}", grid_area="CN-JS"
            )
            self.until_acknowledged(
                "RegisterEnterprise",
                lambda r=request: c.enrollment.RegisterEnterprise(r, timeout=CALL_TIMEOUT_S),
                forever=True,
            )
            for asset_id, spec, _ in assets:
                self._required(self.enrol(enterprise_id, asset_id, spec, forever=True), asset_id)
        self.issue_certificates()

    def _required(self, outcome: T | None, what: str) -> T:
        """`outcome` of a setup step; SetupError with the refusals when there is none."""
        if not outcome:
            raise SetupError(f"setup failed at {what}: {self.acks.refused}")
        return outcome

    def enrol(
        self, enterprise_id: str, asset_id: str, spec: epb.AssetSpec, forever: bool = False
    ) -> bool:
        """EnrollAsset then ApproveAsset, each until acknowledged; True when both were."""
        c = self.clients
        request = epb.EnrollAssetRequest(
            request_id=f"enrol-{asset_id}",
            enterprise_id=enterprise_id,
            name=f"Chaos asset {asset_id}",
            spec=spec,
            asset_id=asset_id,
        )
        if not self.until_acknowledged(
            "EnrollAsset",
            lambda: c.enrollment.EnrollAsset(request, timeout=CALL_TIMEOUT_S),
            forever,
        ):
            return False
        with self.acks.lock:
            self.acks.enrolled[asset_id] = (enterprise_id, spec)
            self.acks.owners[asset_id] = enterprise_id
        approve = epb.ApproveAssetRequest(asset_id=asset_id)
        if not self.until_acknowledged(
            "ApproveAsset",
            lambda: c.enrollment.ApproveAsset(approve, timeout=CALL_TIMEOUT_S),
            forever,
        ):
            return False
        with self.acks.lock:
            self.acks.approved.add(asset_id)
        return True

    def issue_certificates(self) -> None:
        """Stream a whole day of the PV meter, wait for its rollup, issue that day's lots."""
        day = local_today() - timedelta(days=HISTORY_START_DAYS + 2)
        rng = random.Random(self.seed)
        readings = [
            (PV_ASSET, interval_start(day, n) + timedelta(minutes=15), pv_kw(day, n, rng))
            for n in range(INTERVALS_PER_DAY)
        ]
        self._required(self.stream(PV_OWNER, readings, forever=True), "the PV day's readings")
        profile = tpb.GetLoadProfileRequest(asset_id=PV_ASSET, from_market_day=day.isoformat())
        while True:
            got = self.until_acknowledged(
                "GetLoadProfile",
                lambda: self.clients.telemetry.GetLoadProfile(profile, timeout=CALL_TIMEOUT_S),
                forever=True,
            )
            if self._required(got, "the PV day's profile").measured_intervals == INTERVALS_PER_DAY:
                break
            self.stop.wait(0.2)
        start = interval_start(day, 0)
        request = cpb.IssueCertificatesRequest(
            request_id=f"issue-{day}",
            generator_asset_id=PV_ASSET,
            period_start=to_ts(start),
            period_end=to_ts(start + timedelta(days=1)),
        )
        registry = self.as_("registry")
        issued = self.until_acknowledged(
            "IssueCertificates",
            lambda: self.clients.certificates.IssueCertificates(
                request, metadata=registry, timeout=CALL_TIMEOUT_S
            ),
            forever=True,
        )
        lots = self._required(issued, "IssueCertificates").lots
        self.lots = sorted(lots, key=lambda lot: -lot.energy_wh)

    # -- workers ----------------------------------------------------------------------

    def stream(
        self, enterprise_id: str, readings: list[tuple[str, datetime, float]], forever: bool = False
    ) -> bool:
        """One StreamReadings call of `readings` in small batches, until acknowledged."""
        protos = [
            tpb.Reading(asset_id=asset_id, timestamp=to_ts(at), power_kw=kw)
            for asset_id, at, kw in readings
        ]
        batches = [
            tpb.ReadingBatch(readings=protos[k : k + READINGS_PER_BATCH])
            for k in range(0, len(protos), READINGS_PER_BATCH)
        ]
        self.acks.readings_sent(readings, acked=False)
        summary = self.until_acknowledged(
            "StreamReadings",
            lambda: self.clients.telemetry.StreamReadings(
                iter(batches),
                metadata=self.as_(f"enterprise:{enterprise_id}"),
                timeout=CALL_TIMEOUT_S,
            ),
            forever,
        )
        if summary is None:
            return False
        if summary.accepted != len(protos):
            with self.acks.lock:
                self.acks.refused.append(
                    f"StreamReadings: {summary.accepted} of {len(protos)} accepted: "
                    f"{list(summary.rejections)}"
                )
            return False
        self.acks.readings_sent(readings, acked=True)
        return True

    def meter_worker(self, enterprise_id: str, pause_s: float) -> None:
        """An hour of every meter of the enterprise per call, oldest hour first."""
        rng = random.Random(f"{self.seed}-{enterprise_id}")
        meters = [(asset_id, kw) for asset_id, _, kw in PARK[enterprise_id]]
        hour = interval_start(local_today() - timedelta(days=HISTORY_START_DAYS), 0)
        latest = datetime.now(MARKET_TZ) - timedelta(hours=2)
        while not self.stop.is_set() and hour < latest:
            readings = []
            for asset_id, typical_kw in meters:
                for k in range(1, 13):
                    at = hour + k * READING_STEP
                    readings.append((asset_id, at, round(typical_kw * rng.uniform(0.4, 1.0), 3)))
            if not self.stream(enterprise_id, readings):
                return  # stopping, or refused (listed in the report)
            hour += timedelta(hours=1)
            self.stop.wait(pause_s)

    def enrol_worker(self, pause_s: float) -> None:
        """New curtailable loads and batteries, each enrolled and approved."""
        rng = random.Random(f"{self.seed}-enrol")
        for n in range(1_000_000):
            if self.stop.is_set():
                return
            enterprise_id = rng.choice(sorted(PARK))
            # Mostly loads: each battery adds to every later day's dispatch optimisation.
            spec = curtailable_spec(50.0) if n % 10 else battery_spec(200.0)
            self.enrol(enterprise_id, f"chaos-new-{enterprise_id}-{n}", spec)
            self.stop.wait(pause_s)

    def clearing_worker(self, pause_s: float) -> None:
        """A demand-response day after another: VPP sell and grid buy orders, then clearing."""
        rng = random.Random(f"{self.seed}-clear")
        floor, cap = self.settings.market_price_range("DEMAND_RESPONSE")
        vpp = self.settings.vpp_participant_id
        for n in range(1_000_000):
            if self.stop.is_set():
                return
            day = (local_today() + timedelta(days=2 + n)).isoformat()
            first = rng.choice(DR_INTERVALS[:-4])
            kw = round(rng.uniform(50.0, 300.0), 1)
            orders = [
                mpb.Order(
                    participant_id=participant,
                    market_day=day,
                    interval=interval,
                    product=mpb.PRODUCT_DEMAND_RESPONSE,
                    side=side,
                    steps=[mpb.PriceStep(price_fen_per_mwh=price, quantity_kw=kw)],
                )
                for interval in range(first, first + 4)
                for participant, side, price in (
                    (vpp, mpb.SIDE_SELL, floor),
                    ("chaos-grid", mpb.SIDE_BUY, cap),
                )
            ]
            self.clear_day(day, orders)
            self.stop.wait(pause_s)

    def clear_day(self, day: str, orders: list[mpb.Order]) -> None:
        c = self.clients
        submit = mpb.SubmitOrdersRequest(batch_id=f"chaos-{day}", market_day=day, orders=orders)
        if not self.until_acknowledged(
            "SubmitOrders", lambda: c.market.SubmitOrders(submit, timeout=CALL_TIMEOUT_S)
        ):
            return
        clear = mpb.ClearMarketRequest(market_day=day, product=mpb.PRODUCT_DEMAND_RESPONSE)
        result = self.until_acknowledged(
            "ClearMarket", lambda: c.market.ClearMarket(clear, timeout=CALL_TIMEOUT_S)
        )
        if result is not None:
            with self.acks.lock:
                self.acks.cleared[day] = result

    def trade_worker(self, pause_s: float) -> None:
        """Small slices of chaos-c's lots sold to chaos-a and chaos-b, settled by the ESCO."""
        rng = random.Random(f"{self.seed}-trade")
        remaining = {lot.lot_id: lot.energy_wh for lot in self.lots}
        esco = self.as_("esco")
        for n in range(1_000_000):
            if self.stop.is_set():
                return
            energy_wh = rng.randrange(1_000, 5_000)
            lot_id = max(remaining, key=lambda lot: remaining[lot])
            if remaining[lot_id] < energy_wh:
                return
            trade_id = f"chaos-trade-{n}"
            terms = dict(
                trade_id=trade_id,
                lot_id=lot_id,
                seller_enterprise_id=PV_OWNER,
                buyer_enterprise_id=("chaos-a", "chaos-b")[n % 2],
                energy_wh=energy_wh,
                price_fen_per_mwh=rng.randrange(30_000, 60_000),
            )
            request = cpb.SettleGreenTradeRequest(request_id=f"req-{trade_id}", **terms)
            with self.acks.lock:
                self.acks.sent_trades[trade_id] = request
            # Two parties: the seller proposes, the buyer accepts, then the ESCO settles.
            proposal = cpb.ProposeGreenTradeRequest(request_id=f"prop-{trade_id}", **terms)
            acceptance = cpb.AcceptGreenTradeRequest(
                request_id=f"acc-{trade_id}", trade_id=trade_id
            )
            seller = self.as_(f"enterprise:{PV_OWNER}")
            buyer = self.as_(f"enterprise:{terms['buyer_enterprise_id']}")
            agreed = self.until_acknowledged(
                "ProposeGreenTrade",
                lambda r=proposal, m=seller: self.clients.certificates.ProposeGreenTrade(
                    r, metadata=m, timeout=CALL_TIMEOUT_S
                ),
            ) and self.until_acknowledged(
                "AcceptGreenTrade",
                lambda r=acceptance, m=buyer: self.clients.certificates.AcceptGreenTrade(
                    r, metadata=m, timeout=CALL_TIMEOUT_S
                ),
            )
            if not agreed:
                continue
            trade = self.until_acknowledged(
                "SettleGreenTrade",
                lambda r=request: self.clients.certificates.SettleGreenTrade(
                    r, metadata=esco, timeout=CALL_TIMEOUT_S
                ),
            )
            if trade is not None:
                remaining[lot_id] = trade.remainder.energy_wh
                with self.acks.lock:
                    self.acks.trades[trade_id] = trade
            self.stop.wait(pause_s)

    def threads(self, pace: float = 1.0) -> Iterator[threading.Thread]:
        """The worker threads (not started); `pace` scales their pauses."""
        for enterprise_id in sorted(PARK):
            yield threading.Thread(
                target=self.meter_worker,
                args=(enterprise_id, 0.25 * pace),
                name=f"meter-{enterprise_id}",
            )
        yield threading.Thread(target=self.enrol_worker, args=(2.0 * pace,), name="enrol")
        yield threading.Thread(target=self.clearing_worker, args=(1.0 * pace,), name="clear")
        yield threading.Thread(target=self.trade_worker, args=(0.3 * pace,), name="trade")


def pv_kw(day: date, interval: int, rng: random.Random) -> float:
    """A PV bell from 06:00 to 18:00 local time, 0 at night."""
    hour = (interval + 0.5) / 4
    if not 6 <= hour < 18:
        return 0.0
    shape = 1.0 - abs(hour - 12) / 6
    return round(1200.0 * shape * rng.uniform(0.8, 1.0), 3)
