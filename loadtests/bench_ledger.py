"""Certificate ledger operations per second, invariants enforced in Lua, on a real Valkey.

The issue's goal: >= 5,000 ledger operations/s with the invariants. Starts its own
embedded Valkey (AOF on, `--fsync everysec` as embedded or `always` as in production),
then C client processes each run a mix on their own enterprises: issue one hourly lot,
transfer part of it, trade part of it (proposal, buyer's acceptance, settlement: three
scripts), retire part of it (6 operations per round, each one atomic Lua script with its
audit entry; "trade" times the three together). Prints operations/s overall
and per kind, then times `CertificateLedger.verify()` over the whole ledger.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis

from certificates.store import CertificateLedger
from services.runtime.embedded import EmbeddedValkey

FIRST_HOUR = datetime(2026, 3, 1, tzinfo=UTC)
AT = datetime(2026, 6, 1, tzinfo=UTC)
KINDS = ("issue", "transfer", "trade", "retire")
OPS_PER_ROUND = 6


def _client(url: str, worker: int, rounds: int, start: multiprocessing.Barrier) -> dict:
    """Run `rounds` rounds of the four operations; seconds spent per kind."""
    ledger = CertificateLedger(redis.Redis.from_url(url))
    seller, buyer = f"ent-s{worker}", f"ent-b{worker}"
    spent = dict.fromkeys(KINDS, 0.0)
    period = (FIRST_HOUR, FIRST_HOUR + timedelta(days=30))
    start.wait()
    for n in range(rounds):
        hour = FIRST_HOUR + timedelta(hours=n)
        t0 = time.perf_counter()
        (lot,) = ledger.issue(
            f"i-{worker}-{n}", f"gen-{worker}", "pv", "CN-JS", seller, [(hour, 4_000)]
        )
        t1 = time.perf_counter()
        ledger.transfer(f"t-{worker}-{n}", lot.lot_id, seller, buyer, 1_000)
        t2 = time.perf_counter()
        # A two-party trade: proposed, accepted by the buyer, settled (three ledger steps).
        trade_id = f"T-{worker}-{n}"
        ledger.propose_green_trade(
            f"p-{worker}-{n}", trade_id, lot.lot_id, seller, buyer, 1_000, 42_000, AT
        )
        ledger.accept_green_trade(f"a-{worker}-{n}", trade_id, buyer, AT)
        ledger.settle_green_trade(f"g-{worker}-{n}", trade_id, AT)
        t3 = time.perf_counter()
        ledger.retire(f"r-{worker}-{n}", lot.lot_id, seller, seller, 1_000, *period, AT)
        t4 = time.perf_counter()
        for kind, seconds in zip(KINDS, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            spent[kind] += seconds
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--rounds", type=int, default=2_500, help="rounds (6 ops) per client")
    parser.add_argument("--fsync", choices=("everysec", "always"), default="everysec")
    args = parser.parse_args(argv)
    print(
        f"bench_ledger on {os.cpu_count()} cores ({platform.machine()}): {args.clients} client "
        f"processes x {args.rounds} rounds x {OPS_PER_ROUND} operations, appendfsync {args.fsync}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="parkvpp-bench-ledger-") as folder:
        valkey = EmbeddedValkey(Path(folder) / "valkey")
        if args.fsync == "always":
            original = valkey._command

            def command() -> list[str]:
                argv_ = original()
                conf = valkey.data_dir / "valkey.conf"
                conf.write_text(conf.read_text().replace("everysec", "always"))
                return argv_

            valkey._command = command  # type: ignore[method-assign]
        valkey.start()
        try:
            start = multiprocessing.Manager().Barrier(args.clients + 1)
            with multiprocessing.Pool(args.clients) as pool:
                jobs = [
                    pool.apply_async(_client, (valkey.url, w, args.rounds, start))
                    for w in range(args.clients)
                ]
                start.wait()
                began = time.perf_counter()
                spent = [job.get() for job in jobs]
                wall_s = time.perf_counter() - began
            operations = args.clients * args.rounds * OPS_PER_ROUND
            print(
                f"{operations:,} operations in {wall_s:.2f} s: {operations / wall_s:,.0f} ops/s "
                f"(goal >= 5,000/s)"
            )
            for kind in KINDS:
                seconds = sum(s[kind] for s in spent)
                calls = args.clients * args.rounds
                print(
                    f"  {kind:<8} {calls / seconds * args.clients:8,.0f} ops/s across clients, "
                    f"{seconds / calls * 1e3:.2f} ms each"
                )
            client = redis.Redis.from_url(valkey.url)
            stats = client.info("commandstats").get("cmdstat_evalsha", {})
            if stats:
                per_call_us = float(stats["usec_per_call"])
                print(
                    f"server side: {per_call_us:.0f} us per script (INFO commandstats), "
                    f"i.e. one Valkey shard could run {1e6 / per_call_us:,.0f} ledger ops/s"
                )
            began = time.perf_counter()
            report = CertificateLedger(client).verify()
            print(
                f"verify: ok={report.ok} over {report.entries:,} audit entries in "
                f"{time.perf_counter() - began:.1f} s"
            )
            client.close()
        finally:
            valkey.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
