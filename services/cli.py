"""The `parkvpp` command: serve one service, bring the whole stack up, or run the demo day."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from services.runtime.settings import SERVICE_NAMES, SettingsError, load_settings


def _serve(args: argparse.Namespace) -> int:
    from services.runtime.catalog import builder
    from services.runtime.server import serve

    serve(args.service, builder(args.service))
    return 0


def _up(args: argparse.Namespace) -> int:
    from services.launcher import Stack
    from services.runtime.logs import configure_logging

    settings = load_settings()
    if args.data_dir:
        settings = settings.with_overrides(data_dir=args.data_dir)
    configure_logging("up", settings.log_level)
    stack = Stack(settings, free_ports=args.free_ports, supervise=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stack.start()
    print("ParkVPP is up:", flush=True)
    print(f"  redis   {stack.redis_url}", flush=True)
    print(f"  kafka   {stack.kafka_bootstrap}", flush=True)
    print(
        f"  data    {Path(settings.data_dir).resolve()} (embedded data, service logs)", flush=True
    )
    print(f"  up      metrics {stack.supervisor_metrics_url} (restarts of children)", flush=True)
    for name in SERVICE_NAMES:
        print(
            f"  {name:<13} grpc {stack.grpc_addrs[name]}  metrics {stack.metrics_urls[name]}",
            flush=True,
        )
    # A child that exits is restarted by the stack's supervisor; only a signal stops all.
    while not stop.wait(1.0):
        pass
    stack.stop(settings.shutdown_grace_s)
    print("ParkVPP stopped.", flush=True)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from services.demo.run import run_demo

    return run_demo(data_dir=args.data_dir, plots_dir=args.plots)


def _token(args: argparse.Namespace) -> int:
    from services.launcher import token_secret_for
    from services.runtime.auth import issue_token
    from services.runtime.errors import InvalidArgument

    settings = load_settings()
    if args.data_dir:
        settings = settings.with_overrides(data_dir=args.data_dir)
    secret = token_secret_for(settings, create=False)
    try:
        print(issue_token(secret, args.role, args.ttl, args.subject))
    except InvalidArgument as exc:
        print(f"parkvpp token: {exc}", file=sys.stderr)
        return 2
    return 0


def _ledger_verify(args: argparse.Namespace) -> int:
    from services.certificates.ledger_cli import verify

    settings = load_settings()
    if args.data_dir:
        settings = settings.with_overrides(data_dir=args.data_dir)
    return verify(settings)


def _add_ledger(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ledger = sub.add_parser("ledger", help="the certificate ledger of a running stack")
    actions = ledger.add_subparsers(dest="action", required=True)
    check = actions.add_parser(
        "verify",
        help="recompute the audit hash chain and the invariants; exit 0 sound, 1 broken, "
        "2 not checked (REDIS_URL, or the embedded Valkey of --data-dir)",
    )
    check.add_argument("--data-dir", default="", help="the data dir of a running parkvpp up")
    check.set_defaults(func=_ledger_verify)


def _stack_channel(args: argparse.Namespace, role: str, service: str):
    """A channel to `service` of a running stack: `--addr`, else the settings' address
    (with `--data-dir`), carrying `--token` or a 10-minute token of `role` signed with the
    stack's key."""
    from services.launcher import token_secret_for
    from services.runtime.auth import issue_token
    from services.runtime.channels import open_channel

    settings = load_settings()
    if args.data_dir:
        settings = settings.with_overrides(data_dir=args.data_dir)
    token = args.token or issue_token(token_secret_for(settings, create=False), role, 600)
    addr = args.addr or settings.addr_of(service)
    s = settings
    return open_channel(addr, token, s.tls_cert_file, s.tls_key_file, s.tls_ca_file)


def _statement(args: argparse.Namespace) -> int:
    from services.statement_export import ExportError, export, fetch_statements

    channel = _stack_channel(args, "esco", "settlement")
    try:
        found = fetch_statements(channel, args.enterprise, args.from_day, args.to_day)
        frame = export(found, args.format, Path(args.out))
    except ExportError as exc:
        print(f"parkvpp statement: {exc}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    print(
        f"{args.out}: {len(frame)} lines of {len(found.days)} daily statements of "
        f"{args.enterprise}, total {found.total_fen} fen ({found.total_fen / 100:,.2f} CNY)"
    )
    if found.missing_days:
        print(f"  no statement on: {', '.join(d.isoformat() for d in found.missing_days)}")
    return 0


def _add_statement(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from datetime import date

    statement = sub.add_parser(
        "statement",
        help="an enterprise's settlement statements of a period as CSV, Parquet or a PNG chart",
    )
    statement.add_argument("--enterprise", required=True, help="enterprise id")
    statement.add_argument(
        "--from", dest="from_day", required=True, type=date.fromisoformat, help="YYYY-MM-DD"
    )
    statement.add_argument(
        "--to", dest="to_day", required=True, type=date.fromisoformat, help="YYYY-MM-DD, inclusive"
    )
    statement.add_argument("--format", required=True, choices=("csv", "parquet", "png"))
    statement.add_argument("--out", required=True, help="file to write")
    statement.add_argument(
        "--addr", default="", help="SettlementService address (default PARKVPP_SETTLEMENT_ADDR)"
    )
    statement.add_argument(
        "--token", default="", help="bearer token (default: an ESCO token signed with the key)"
    )
    statement.add_argument("--data-dir", default="", help="the data dir of a running parkvpp up")
    statement.set_defaults(func=_statement)


def _report_day(args: argparse.Namespace) -> int:
    import grpc

    from services import day_report_table as report_table

    channel = _stack_channel(args, "operator", "settlement")
    try:
        report = report_table.fetch(channel, args.market_day.isoformat())
    except grpc.RpcError as exc:
        print(f"parkvpp report day: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    print(
        f"Market day {report.market_day}: plan {report.plan_id or '(none)'}, "
        f"settlement {report.run_id} (version {report.settlement_version})"
    )
    for line in report_table.table(report, report_table.anything_happened):
        print(line)
    print("why:")
    for line in report_table.details(report):
        print(f"  {line}")
    print("from expected to paid:")
    for line in report_table.money_steps(report):
        print(line)
    print(report.summary)
    return 0


def _add_report(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from datetime import date

    report = sub.add_parser("report", help="reports of a running stack")
    kinds = report.add_subparsers(dest="kind", required=True)
    day = kinds.add_parser(
        "day",
        help="plan versus outcome of a settled day: offered, expected, cleared, dispatched, "
        "delivered and paid per interval, and why they differ (GetDayReport)",
    )
    day.add_argument("--market-day", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    day.add_argument(
        "--addr", default="", help="SettlementService address (default PARKVPP_SETTLEMENT_ADDR)"
    )
    day.add_argument(
        "--token", default="", help="bearer token (default: an operator token signed with the key)"
    )
    day.add_argument("--data-dir", default="", help="the data dir of a running parkvpp up")
    day.set_defaults(func=_report_day)


_PRICE_FILE_HELP = """\
price files (CSV, UTF-8, header first), either format:

native, one row per interval:
  date               market day YYYY-MM-DD (Asia/Shanghai)
  interval           0..95 (interval 0 starts at 00:00 local time, 15 minutes each)
  price_fen_per_mwh  realised price, whole fen per MWh >= 0 (1 yuan/kWh = 100,000)
  called_kw          optional: kW the grid called in that interval (caps what is accepted)
  every day needs all 96 intervals exactly once; rows may come in any order.
  2025-06-02,0,150000

timestamped (ENTSO-E, energy-charts, SMARD converted), hourly or 15-minute:
  timestamp          interval start, ISO 8601 with UTC offset: 2024-01-01T00:00:00+01:00
                     (also named time, datetime or start); the local date is the day
  price column       one column naming its unit: price_eur_per_mwh, "Price (EUR/MWh)",
                     EUR, USD, CNY or fen per MWh; EUR and USD need --fx; may be < 0
  hourly values cover four 15-minute intervals; a 23-hour day's missing hour is filled
  from its neighbours, a 25-hour day's repeated hour averaged; missing hours are filled
  from the neighbours and counted, a day with more than --max-missing-hours (default 2)
  is skipped and listed. Other columns are ignored.
"""


def _backtest(args: argparse.Namespace) -> int:
    from services.backtest_run import run

    return run(args)


def _add_backtest(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "backtest",
        help="replay a price history: bid curves vs perfect foresight vs naive",
        description=(
            "Replay a price history day by day. Each day's bids come only from the "
            "preceding days' prices (the last --lookback-days days as equiprobable "
            "scenarios) and are settled at the realised price (blocks priced at or below "
            "it are accepted); perfect foresight (the bid model solved on the realised "
            "prices) and a naive strategy (each asset's available kW offered at the "
            "median price of the same history, not below its own cost) are settled "
            "alike. A day the model fails on is listed with its reason and the replay "
            "goes on. Progress goes to stderr; prints a "
            "table; writes backtest.csv (a row per day as it is done) and backtest.png to "
            "--out."
        ),
        epilog=_PRICE_FILE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--prices", help="the price CSV (formats below)")
    source.add_argument(
        "--sample",
        action="store_true",
        help="use the built-in 28-day sample (= loadtests/data/dr_prices_sample.csv)",
    )
    parser.add_argument("--fx", help="yuan per EUR or USD of the price file, e.g. 7.787")
    parser.add_argument(
        "--max-missing-hours", type=float, help="fill up to this many missing hours a day (2)"
    )
    parser.add_argument("--portfolio", default="demo", help="demo (default) or synthetic:N")
    parser.add_argument("--out", default=".parkvpp/backtest", help="folder for CSV and PNG")
    parser.add_argument("--lookback-days", type=int, help="scenario days (default 10)")
    parser.add_argument(
        "--min-history-days", type=int, help="days needed before a scored day (default 5)"
    )
    parser.add_argument(
        "--naive-price-fen-per-mwh",
        type=int,
        help="the naive strategy's offer price, floored at each asset's cost (default: median)",
    )
    parser.add_argument(
        "--penalty-factor",
        type=float,
        help="accepted but undelivered energy costs this x the realised price (default 1)",
    )
    parser.add_argument(
        "--capture-min-fen",
        type=int,
        help="show a day's capture only when perfect foresight earns this (default 10000)",
    )
    parser.add_argument(
        "--time-limit-seconds", type=float, help="per LP solve (default 10, as the bidder)"
    )
    parser.set_defaults(func=_backtest)


def _plot_bids(args: argparse.Namespace) -> int:
    from services.bids_plot import run

    return run(args)


def _add_plot(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plot = sub.add_parser("plot", help="write PNG charts")
    charts = plot.add_subparsers(dest="chart", required=True)
    bids = charts.add_parser(
        "bids",
        help="one interval's DR offer curve and clearing point, from a running stack",
        description=(
            "Reads the day's latest bid plan (GetBidPlan) and DR clearing "
            "(GetClearingResult) from a running stack as the operator and draws the "
            "interval's offer curve and clearing point. Addresses: PARKVPP_BIDDING_ADDR / "
            "PARKVPP_MARKET_ADDR (default: those of `parkvpp up`); signing key: "
            "PARKVPP_TOKEN_SECRET or the stack's --data-dir. Exit code 2 when no stack "
            "answers or the day has no plan."
        ),
    )
    bids.add_argument("--day", required=True, help="market day YYYY-MM-DD")
    bids.add_argument("--interval", required=True, type=int, help="0..95")
    bids.add_argument("--out", default="", help="PNG path (default bids-<day>-<interval>.png)")
    bids.add_argument("--data-dir", default="", help="the data dir of a running parkvpp up")
    bids.set_defaults(func=_plot_bids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parkvpp", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve", help="run one service (needs REDIS_URL, KAFKA_BOOTSTRAP_SERVERS)"
    )
    serve.add_argument("service", choices=SERVICE_NAMES)
    serve.set_defaults(func=_serve)
    up = sub.add_parser("up", help="run every service; embedded Valkey and broker by default")
    up.add_argument("--data-dir", default="", help="where embedded data and logs go")
    up.add_argument(
        "--free-ports", action="store_true", help="pick free ports instead of 50051-57/9101-07"
    )
    up.set_defaults(func=_up)
    demo = sub.add_parser("demo", help="run one full market day on the embedded default")
    demo.add_argument("--data-dir", default="", help="where embedded data and logs go")
    demo.add_argument(
        "--plots", default="", help="also write bids-<interval>.png of the first cleared interval"
    )
    demo.set_defaults(func=_demo)
    token = sub.add_parser(
        "token",
        help="print a signed bearer token (key: PARKVPP_TOKEN_SECRET or the up data dir)",
    )
    token.add_argument(
        "--role",
        required=True,
        help="operator, esco, registry, monitor or enterprise:<enterprise id>",
    )
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    token.add_argument("--subject", default="", help="who it is for (shown in audit history)")
    token.add_argument("--data-dir", default="", help="the data dir of a running parkvpp up")
    token.set_defaults(func=_token)
    _add_ledger(sub)
    _add_statement(sub)
    _add_report(sub)
    _add_backtest(sub)
    _add_plot(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(f"parkvpp: bad setting: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
