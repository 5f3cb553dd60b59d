"""`parkvpp demo`: start the stack on the embedded default, run the day, print, stop."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from services.demo.clients import Clients
from services.demo.day import DaySummary, MarketDay, market_day_for
from services.launcher import Stack
from services.runtime.auth import issue_token
from services.runtime.scrape import handled_calls, scrape
from services.runtime.settings import SERVICE_NAMES, Settings, load_settings


def _print(line: str) -> None:
    print(line, flush=True)


def write_bids_plot(summary: DaySummary, plots_dir: str, settings: Settings) -> Path | None:
    """bids-<interval>.png of the day's first cleared DR interval, with the other bidders."""
    from services.bids_plot import participant_curves, write_interval_plot

    if summary.plan is None or summary.clearing is None:
        return None
    traded = [i.interval for i in summary.clearing.intervals if i.cleared_kw > 0]
    if not traded:
        return None
    interval = traded[0]
    return write_interval_plot(
        Path(plots_dir) / f"bids-{interval:02d}.png",
        summary.plan,
        summary.clearing,
        interval,
        settings.vpp_participant_id,
        participant_curves(settings, summary.clearing, interval),
    )


def run_demo(data_dir: str = "", plots_dir: str = "") -> int:
    """Run the demo day; returns the process exit code (0 when every step succeeded).

    With `plots_dir` it also writes the first cleared interval's offer curves there.
    """
    settings = load_settings()
    temp = None
    if not data_dir:
        temp = tempfile.mkdtemp(prefix="parkvpp-demo-")
        data_dir = temp
    settings = settings.with_overrides(data_dir=data_dir)
    started = time.perf_counter()
    stack = Stack(settings, free_ports=True, supervise=True)
    if not temp:
        _print(f"   data and service logs in {data_dir}")
    _print(
        "ParkVPP demo: starting "
        + ("embedded Valkey and broker, " if settings.embedded else "")
        + "and seven services ..."
    )
    stack.start()
    _print(
        f"   up in {time.perf_counter() - started:.1f}s (redis {stack.redis_url}, "
        f"kafka {stack.kafka_bootstrap})"
    )
    clients = Clients.connect(
        stack.grpc_addrs,
        token=issue_token(stack.token_secret, "operator"),
        retry_unavailable=True,
    )
    ok = False
    try:
        day = market_day_for()
        _print(f"Market day {day.isoformat()} (Asia/Shanghai)")
        summary = MarketDay(
            clients, day, _print, lambda role: issue_token(stack.token_secret, role)
        ).run()
        if plots_dir:
            plotted = write_bids_plot(summary, plots_dir, settings)
            _print(f"   bids plot: {plotted or 'no interval cleared, nothing drawn'}")
        _print("-- metrics (requests per process, scraped from /metrics)")
        for name in SERVICE_NAMES:
            counts = handled_calls(scrape(stack.metrics_urls[name]))
            methods = len({m for m, _ in counts})
            _print(
                f"   {name:<13} {int(sum(counts.values())):5d} requests over {methods} "
                f"methods at {stack.metrics_urls[name]}"
            )
        _print(f"Demo day complete in {time.perf_counter() - started:.1f}s.")
        ok = True
        return 0
    finally:
        clients.close()
        stack.stop()
        if temp and ok:
            shutil.rmtree(temp, ignore_errors=True)
        elif not ok:
            _print(f"Service logs kept in {data_dir}/logs")
