"""Soak: minutes of mixed load on `parkvpp up`; RSS of every process and status codes per RPC.

Starts the stack as `parkvpp up` does (one process per service, embedded Valkey and
broker in a temporary folder), runs the demo market day to fill the park, enrols extra
meters, then keeps `--threads` clients busy for `--minutes` with a weighted mix: meter
readings (a new day of the extra meters per call), load profiles, flexibility and
baselines, bid plans, market orders and clearing of future days, settlement runs and
statements, certificate transfers, retirements and reads, dispatch listings and streams,
and a share of deliberately bad or foreign requests. Prints the RSS (VmRSS) of every
process at the start, each minute and at the end, and the status codes per RPC as the
client saw them and as the servers counted them. Any code other than OK and the
expected client errors is flagged and makes the exit code 1, as does a ledger that does
not verify. Not a test: run it by hand (see loadtests/README.md).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

import grpc
import redis

from bidding.intervals import INTERVALS_PER_DAY, interval_end, interval_start
from certificates.store import CertificateLedger
from loadtests._stack import UNLIMITED, curtailable_spec
from parkvpp.v1 import bidding_pb2 as bpb
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import market_pb2 as mpb
from parkvpp.v1 import settlement_pb2 as spb
from parkvpp.v1 import telemetry_pb2 as tpb
from parkvpp.v1 import vpp_pb2 as vpb
from services.demo.clients import Clients
from services.demo.day import DaySummary, MarketDay, market_day_for
from services.demo.park import ASSETS, ENTERPRISES
from services.launcher import Stack
from services.runtime.auth import issue_token
from services.runtime.rpc import to_ts
from services.runtime.scrape import handled_calls, scrape, total
from services.runtime.settings import SERVICE_NAMES, load_settings

#: Codes a correct server gives a client that asked for something wrong or not allowed.
EXPECTED = {
    "OK",
    "INVALID_ARGUMENT",
    "NOT_FOUND",
    "FAILED_PRECONDITION",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "UNAUTHENTICATED",
    "RESOURCE_EXHAUSTED",
}
ENTERPRISE_IDS = [e for e, _, _ in ENTERPRISES]


def rss_mb(pid: int) -> float:
    """Resident set size of `pid` in MB (VmRSS of /proc/<pid>/status); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def processes(stack: Stack) -> dict[str, int]:
    """Name -> pid of every process of the stack (services, valkey, broker)."""
    found = {name: child.pid for name, child in stack._children.items()}
    for server in stack._embedded:
        if server.pid is not None:
            found[server.name] = server.pid
    return found


class Tally:
    """Status codes per RPC as the client saw them (thread-safe)."""

    def __init__(self) -> None:
        self.codes: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def call(self, method: str, fn: Callable[[], object]) -> object | None:
        """fn()'s result, or None when it failed with a gRPC status (counted either way)."""
        try:
            result = fn()
            code = "OK"
        except grpc.RpcError as exc:
            result, code = None, exc.code().name
        with self._lock:
            self.codes[(method, code)] += 1
        return result

    def total(self) -> int:
        with self._lock:
            return sum(self.codes.values())


class Load:
    """The park under load: clients, tokens, and what the tasks share (with a lock)."""

    def __init__(self, clients: Clients, secret: str, summary: DaySummary, ttl_s: int) -> None:
        self.c = clients
        self.tally = Tally()
        self.day = summary.market_day
        #: The logistics site's active lots (some of the day's lots went whole to the foundry).
        self.lots = [
            lot.lot_id
            for lot in clients.certificates.ListLots(
                cpb.ListLotsRequest(
                    owner_enterprise_id="ent-logistics", status=cpb.LOT_STATUS_ACTIVE
                ),
                timeout=30,
            ).lots
        ]
        roles = ["esco", "registry", *(f"enterprise:{e}" for e in ENTERPRISE_IDS)]
        self._tokens = {role: issue_token(secret, role, ttl_s) for role in roles}
        self.meters: list[tuple[str, str]] = []
        #: RSS samples (MB) per process name.
        self.rss: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._ops = 0
        self._first_day = date.today() - timedelta(days=380)
        self._next_day = self._first_day
        self._market_day = self.day + timedelta(days=30)

    def as_(self, role: str) -> tuple[tuple[str, str], ...]:
        return Clients.bearer_metadata(self._tokens[role])

    def next_op(self) -> int:
        with self._lock:
            self._ops += 1
            return self._ops

    def next_meter_day(self) -> date:
        """Days of the extra meters in order, from 380 days ago; again from the start after
        yesterday (then every reading is a repeat, which must change nothing)."""
        with self._lock:
            day = self._next_day
            self._next_day += timedelta(days=1)
            if self._next_day >= date.today():
                self._next_day = self._first_day
            return day

    def next_market_day(self) -> str:
        with self._lock:
            self._market_day += timedelta(days=1)
            return self._market_day.isoformat()


def enrol_meters(load: Load, per_enterprise: int) -> None:
    for enterprise_id in ENTERPRISE_IDS:
        for n in range(per_enterprise):
            asset_id = f"soak-{enterprise_id}-{n}"
            load.c.enrollment.EnrollAsset(
                epb.EnrollAssetRequest(
                    request_id=f"enrol-{asset_id}",
                    enterprise_id=enterprise_id,
                    name=f"Soak meter {n}",
                    asset_id=asset_id,
                    spec=curtailable_spec(100.0),
                ),
                timeout=30,
            )
            load.c.enrollment.ApproveAsset(epb.ApproveAssetRequest(asset_id=asset_id), timeout=30)
            load.meters.append((asset_id, enterprise_id))


def stream_readings(load: Load, rng: random.Random) -> None:
    day = load.next_meter_day()
    readings = [
        tpb.Reading(
            asset_id=asset_id,
            timestamp=to_ts(interval_end(day, i)),
            power_kw=round(rng.uniform(20.0, 100.0), 3),
        )
        for asset_id, _ in load.meters
        for i in range(INTERVALS_PER_DAY)
    ]
    batches = [
        tpb.ReadingBatch(readings=readings[k : k + 500]) for k in range(0, len(readings), 500)
    ]
    load.tally.call(
        "StreamReadings", lambda: load.c.telemetry.StreamReadings(iter(batches), timeout=60)
    )


def read_profile(load: Load, rng: random.Random) -> None:
    asset = rng.choice(ASSETS)
    request = tpb.GetLoadProfileRequest(
        asset_id=asset.asset_id,
        from_market_day=(load.day - timedelta(days=rng.randrange(7))).isoformat(),
    )
    load.tally.call("GetLoadProfile", lambda: load.c.telemetry.GetLoadProfile(request, timeout=30))


def flexibility(load: Load, rng: random.Random) -> None:
    day = load.day.isoformat()
    load.tally.call(
        "GetFlexibility",
        lambda: load.c.vpp.GetFlexibility(vpb.GetFlexibilityRequest(market_day=day), timeout=60),
    )
    asset = rng.choice([a for a in ASSETS if a.spec.WhichOneof("kind") != "generator"])
    request = vpb.GetBaselineRequest(
        market_day=day, asset_id=asset.asset_id, event_intervals=list(range(72, 80))
    )
    load.tally.call("GetBaseline", lambda: load.c.vpp.GetBaseline(request, timeout=60))


def bid(load: Load, rng: random.Random) -> None:
    day = load.day.isoformat()
    plan = load.tally.call(
        "PrepareBids",
        lambda: load.c.bidding.PrepareBids(bpb.PrepareBidsRequest(market_day=day), timeout=120),
    )
    if plan is None:
        return
    # The day is cleared already: submitting is refused (FAILED_PRECONDITION).
    request = bpb.SubmitBidsRequest(plan_id=plan.plan_id)
    load.tally.call("SubmitBids", lambda: load.c.bidding.SubmitBids(request, timeout=60))
    get = bpb.GetBidPlanRequest(plan_id=plan.plan_id)
    load.tally.call("GetBidPlan", lambda: load.c.bidding.GetBidPlan(get, timeout=30))


def trade_future_day(load: Load, rng: random.Random) -> None:
    day = load.next_market_day()
    interval = rng.randrange(INTERVALS_PER_DAY)
    orders = [
        mpb.Order(
            order_id=f"soak-{side}-{interval}",
            participant_id=f"soak-{side}",
            market_day=day,
            interval=interval,
            product=mpb.PRODUCT_ENERGY,
            side=mpb.SIDE_SELL if side == "sell" else mpb.SIDE_BUY,
            steps=[mpb.PriceStep(price_fen_per_mwh=price, quantity_kw=rng.uniform(10, 500))],
        )
        for side, price in (("sell", 30_000), ("buy", 45_000))  # within the ENERGY cap
    ]
    submit = mpb.SubmitOrdersRequest(batch_id=f"soak-{day}", market_day=day, orders=orders)
    load.tally.call("SubmitOrders", lambda: load.c.market.SubmitOrders(submit, timeout=30))
    clear = mpb.ClearMarketRequest(market_day=day, product=mpb.PRODUCT_ENERGY)
    load.tally.call("ClearMarket", lambda: load.c.market.ClearMarket(clear, timeout=60))
    # Cleared: a late order is refused (FAILED_PRECONDITION).
    late = mpb.SubmitOrdersRequest(batch_id=f"soak-late-{day}", market_day=day, orders=orders)
    load.tally.call("SubmitOrders", lambda: load.c.market.SubmitOrders(late, timeout=30))


def settle(load: Load, rng: random.Random) -> None:
    day = load.day.isoformat()
    run = spb.RunSettlementRequest(market_day=day)
    load.tally.call(
        "RunSettlement",
        lambda: load.c.settlement.RunSettlement(run, metadata=load.as_("esco"), timeout=120),
    )
    enterprise_id = rng.choice(ENTERPRISE_IDS)
    get = spb.GetStatementRequest(enterprise_id=enterprise_id, market_day=day)
    mine = load.as_(f"enterprise:{enterprise_id}")
    load.tally.call(
        "GetStatement", lambda: load.c.settlement.GetStatement(get, metadata=mine, timeout=30)
    )


def move_certificates(load: Load, rng: random.Random) -> None:
    """1,000 Wh of a logistics lot to the foundry, which retires it for the market day."""
    op = load.next_op()
    transfer = cpb.TransferRequest(
        request_id=f"soak-transfer-{op}",
        lot_id=rng.choice(load.lots),
        from_enterprise_id="ent-logistics",
        to_enterprise_id="ent-foundry",
        energy_wh=1_000,
    )
    seller = load.as_("enterprise:ent-logistics")
    moved = load.tally.call(
        "Transfer", lambda: load.c.certificates.Transfer(transfer, metadata=seller, timeout=30)
    )
    if moved is None:
        return
    start = interval_start(load.day, 0)
    retire = cpb.RetireRequest(
        request_id=f"soak-retire-{op}",
        lot_id=moved.transferred.lot_id,
        owner_enterprise_id="ent-foundry",
        beneficiary_enterprise_id="ent-foundry",
        consumption_period_start=to_ts(start),
        consumption_period_end=to_ts(start + timedelta(days=1)),
    )
    buyer = load.as_("enterprise:ent-foundry")
    load.tally.call(
        "Retire", lambda: load.c.certificates.Retire(retire, metadata=buyer, timeout=30)
    )


def read_ledger(load: Load, rng: random.Random) -> None:
    enterprise_id = rng.choice(ENTERPRISE_IDS)
    mine = load.as_(f"enterprise:{enterprise_id}")
    day = load.day.isoformat()
    certificates = load.c.certificates
    calls: dict[str, Callable[[], object]] = {
        "GetBalance": lambda: certificates.GetBalance(
            cpb.GetBalanceRequest(enterprise_id=enterprise_id), metadata=mine, timeout=30
        ),
        "ListLots": lambda: certificates.ListLots(
            cpb.ListLotsRequest(owner_enterprise_id=enterprise_id, page_size=50),
            metadata=mine,
            timeout=30,
        ),
        "GetCarbonFootprint": lambda: certificates.GetCarbonFootprint(
            cpb.GetCarbonFootprintRequest(
                enterprise_id=enterprise_id, from_market_day=day, to_market_day=day
            ),
            metadata=mine,
            timeout=30,
        ),
        "GetParkIndicators": lambda: certificates.GetParkIndicators(
            cpb.GetParkIndicatorsRequest(from_market_day=day, to_market_day=day), timeout=30
        ),
    }
    method = rng.choice(list(calls))
    load.tally.call(method, calls[method])


def read_dispatch(load: Load, rng: random.Random) -> None:
    enterprise_id = rng.choice(ENTERPRISE_IDS)
    day = load.day.isoformat()
    listing = vpb.ListDispatchRequest(market_day=day)
    load.tally.call("ListDispatch", lambda: load.c.vpp.ListDispatch(listing, timeout=30))
    subscribe = vpb.SubscribeDispatchRequest(
        enterprise_id=enterprise_id, after_sequence=1, until_caught_up=True
    )
    mine = load.as_(f"enterprise:{enterprise_id}")
    load.tally.call(
        "SubscribeDispatch",
        lambda: list(load.c.vpp.SubscribeDispatch(subscribe, metadata=mine, timeout=30)),
    )


def ask_wrongly(load: Load, rng: random.Random) -> None:
    """A request a client gets wrong: bad input, someone else's data, no token."""
    foundry, chem = load.as_("enterprise:ent-foundry"), load.as_("enterprise:ent-chem")
    wrong: dict[str, Callable[[], object]] = {
        "GetStatement": lambda: load.c.settlement.GetStatement(
            spb.GetStatementRequest(enterprise_id="ent-chem", market_day="2001-01-01"),
            metadata=chem,
            timeout=30,
        ),
        "SubmitOrders": lambda: load.c.market.SubmitOrders(
            mpb.SubmitOrdersRequest(batch_id="soak-empty", market_day=load.day.isoformat()),
            timeout=30,
        ),
        "GetBalance": lambda: load.c.certificates.GetBalance(
            cpb.GetBalanceRequest(enterprise_id="ent-chem"), metadata=foundry, timeout=30
        ),
        "GetAsset": lambda: load.c.enrollment.GetAsset(
            epb.GetAssetRequest(asset_id="chem-chillers"), metadata=foundry, timeout=30
        ),
        "GetEnterprise": lambda: load.c.enrollment.GetEnterprise(
            epb.GetEnterpriseRequest(enterprise_id="ent-foundry"),
            metadata=(("authorization", "Bearer not-a-token"),),
            timeout=30,
        ),
    }
    method = rng.choice(list(wrong))
    load.tally.call(method, wrong[method])


#: (task, weight) of the mix.
TASKS: tuple[tuple[Callable[[Load, random.Random], None], int], ...] = (
    (stream_readings, 4),
    (read_profile, 3),
    (flexibility, 1),
    (bid, 1),
    (trade_future_day, 2),
    (settle, 2),
    (move_certificates, 3),
    (read_ledger, 4),
    (read_dispatch, 2),
    (ask_wrongly, 2),
)


def work(load: Load, seed: int, until: float) -> None:
    rng = random.Random(seed)
    tasks = [task for task, _ in TASKS]
    weights = [weight for _, weight in TASKS]
    while time.monotonic() < until:
        rng.choices(tasks, weights)[0](load, rng)


def print_rss(samples: dict[str, list[float]], labels: list[str]) -> None:
    print("RSS (MB)       " + "".join(f"{label:>8}" for label in labels) + "  end-start")
    for name, values in samples.items():
        row = "".join(f"{v:8.1f}" for v in values)
        print(f"  {name:<13}{row}  {values[-1] - values[0]:+8.1f}")


def print_codes(title: str, codes: Counter[tuple[str, str]]) -> list[str]:
    """Prints codes per method; returns the 'method: CODE xN' entries that are unexpected."""
    print(title)
    unexpected = []
    for method in sorted({m for m, _ in codes}):
        row = {code: n for (m, code), n in codes.items() if m == method}
        text = ", ".join(f"{code} {int(n)}" for code, n in sorted(row.items()))
        print(f"  {method:<52} {text}")
        unexpected += [f"{method}: {c} x{int(n)}" for c, n in row.items() if c not in EXPECTED]
    return unexpected


def server_view(stack: Stack) -> tuple[Counter[tuple[str, str]], float]:
    """Per (method, code) counts over every service's /metrics, and failed events."""
    codes: Counter[tuple[str, str]] = Counter()
    failed = 0.0
    for name in SERVICE_NAMES:
        samples = scrape(stack.metrics_urls[name])
        codes.update(handled_calls(samples))
        failed += total(samples, "parkvpp_kafka_consumed_total", outcome="failed")
    return codes, failed


def run_load(load: Load, args: argparse.Namespace, pids: dict[str, int]) -> list[str]:
    """The load phase; RSS per process in `load.rss` at the start, each minute, the end."""
    labels = ["start"]
    load.rss = {name: [rss_mb(pid)] for name, pid in pids.items()}
    started = time.monotonic()
    until = started + args.minutes * 60
    workers = [
        threading.Thread(target=work, args=(load, args.seed + n, until), daemon=True)
        for n in range(args.threads)
    ]
    for worker in workers:
        worker.start()
    for minute in range(1, int(args.minutes * 60 - 1) // 60 + 1):
        time.sleep(max(0.0, started + 60 * minute - time.monotonic()))
        labels.append(f"{minute}m")
        for name, pid in pids.items():
            load.rss[name].append(rss_mb(pid))
        print(f"   {minute} min: {load.tally.total()} calls", flush=True)
    for worker in workers:
        worker.join()
    labels.append("end")
    for name, pid in pids.items():
        load.rss[name].append(rss_mb(pid))
    return labels


def report(load: Load, stack: Stack, args: argparse.Namespace, labels: list[str]) -> int:
    """Prints the figures; 1 when a code is unexpected, events failed or the ledger is off."""
    elapsed = args.minutes * 60
    calls = load.tally.total()
    print(f"-- {calls} calls in {elapsed:.0f}s ({calls / elapsed:.1f}/s), {args.threads} threads")
    print_rss(load.rss, labels)
    unexpected = print_codes("-- status codes per RPC, client view", load.tally.codes)
    codes, failed_events = server_view(stack)
    unexpected += print_codes("-- status codes per RPC, server view (/metrics)", codes)
    verify = CertificateLedger(redis.Redis.from_url(stack.redis_url)).verify()
    print(f"-- events that failed (dead-lettered): {failed_events:.0f}")
    print(
        f"-- ledger verify: {'ok' if verify.ok else 'FAILED'} over {verify.entries} entries"
        + ("" if verify.ok else f": {verify.reason} {verify.invariant_errors[:5]}")
    )
    if unexpected:
        print("-- UNEXPECTED codes:\n   " + "\n   ".join(unexpected))
    else:
        print("-- no codes beyond the expected client errors")
    return 1 if unexpected or not verify.ok or failed_events else 0


def soak(args: argparse.Namespace, stack: Stack) -> int:
    """Fill the park (demo day, extra meters), load it, report; returns the exit code."""
    secret = stack.token_secret
    clients = Clients.connect(stack.grpc_addrs, token=issue_token(secret, "operator", 86_400))
    try:
        started = time.monotonic()
        summary = MarketDay(
            clients, market_day_for(), lambda _: None, lambda r: issue_token(secret, r)
        ).run()
        load = Load(clients, secret, summary, int(args.minutes * 60) + 3600)
        enrol_meters(load, args.meters_per_enterprise)
        print(
            f"   demo day {summary.market_day} and {len(load.meters)} extra meters set up "
            f"in {time.monotonic() - started:.1f}s"
        )
        labels = run_load(load, args, processes(stack))
        return report(load, stack, args, labels)
    finally:
        clients.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the load phase")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--meters-per-enterprise", type=int, default=4, help="extra meters")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--unlimited", action="store_true", help="switch the per-tenant rate limits off"
    )
    parser.add_argument("--data-dir", default="", help="keep data and service logs here")
    args = parser.parse_args(argv)
    if args.unlimited:
        os.environ.update(UNLIMITED)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="parkvpp-soak-")
    print(
        f"ParkVPP soak: {args.minutes:g} min, {args.threads} client threads, seed {args.seed}, "
        f"{os.cpu_count()} cores, rate limits {'off' if args.unlimited else 'on'}"
    )
    stack = Stack(load_settings(env).with_overrides(data_dir=data_dir), free_ports=True)
    started = time.monotonic()
    stack.start()
    print(f"   stack up in {time.monotonic() - started:.1f}s (data and logs in {data_dir})")
    code = 1
    try:
        code = soak(args, stack)
        return code
    finally:
        stack.stop()
        if code == 0 and not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif code:
            print(f"   service logs kept in {data_dir}/logs")


if __name__ == "__main__":
    raise SystemExit(main())
