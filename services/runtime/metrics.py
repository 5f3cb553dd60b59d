"""Prometheus metrics of a ParkVPP process, defined once, served on /metrics.

The gRPC server metrics carry the grpc-ecosystem names (grpc_server_*); the others
follow Prometheus conventions: counters end in `_total`, units are base units in
the name (seconds, watts, joules, ratio); money has no base unit and is in fen. The
domain works in kW and kWh, so the record_* helpers convert at this one place.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Protocol

from prometheus_client import (
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    start_http_server,
)

#: No `_created` series: they double the series count and no dashboard or rule reads them.
disable_created_metrics()

WATTS_PER_KW = 1000.0
JOULES_PER_WH = 3600.0
JOULES_PER_KWH = 3_600_000.0

#: The labels of the gRPC server metrics, as grpc-ecosystem/go-grpc-prometheus names them
#: (so community dashboards fit): grpc_type is unary, client_stream, server_stream or
#: bidi_stream; grpc_service the full service name; grpc_method the method's short name.
GRPC_LABELS = ("grpc_type", "grpc_service", "grpc_method")
GRPC_STARTED = Counter(
    "grpc_server_started_total", "Total number of RPCs started on the server.", GRPC_LABELS
)
GRPC_HANDLED = Counter(
    "grpc_server_handled_total",
    "Total number of RPCs completed on the server, regardless of success or failure.",
    (*GRPC_LABELS, "grpc_code"),
)
GRPC_MSG_RECEIVED = Counter(
    "grpc_server_msg_received_total",
    "Total number of RPC stream messages received on the server.",
    GRPC_LABELS,
)
GRPC_MSG_SENT = Counter(
    "grpc_server_msg_sent_total",
    "Total number of gRPC stream messages sent by the server.",
    GRPC_LABELS,
)
GRPC_HANDLING_SECONDS = Histogram(
    "grpc_server_handling_seconds",
    "Histogram of response latency (seconds) of gRPC that had been application-level "
    "handled by the server.",
    GRPC_LABELS,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
KAFKA_PRODUCED = Counter("parkvpp_kafka_produced_total", "Events produced, by topic.", ["topic"])
KAFKA_PRODUCE_FAILED = Counter(
    "parkvpp_kafka_produce_failed_total",
    "Events the broker did not acknowledge (send failed or timed out), by topic.",
    ["topic"],
)
KAFKA_CONSUMED = Counter(
    "parkvpp_kafka_consumed_total",
    "Events consumed, by topic, group and outcome (applied, duplicate, failed).",
    ["topic", "group", "outcome"],
)
KAFKA_LAG = Gauge(
    "parkvpp_kafka_consumer_lag",
    "Messages behind the log end, by topic and group.",
    ["topic", "group"],
)
OUTBOX_PENDING = Gauge(
    "parkvpp_outbox_pending_events",
    "Events written to the Redis outbox and not yet acknowledged by Kafka (relay leader only).",
)
OUTBOX_OLDEST_AGE = Gauge(
    "parkvpp_outbox_oldest_pending_age_seconds",
    "Age of the oldest unpublished outbox event, s: the relay's lag (relay leader only).",
)
OUTBOX_RETAINED = Gauge(
    "parkvpp_outbox_retained_events",
    "Published events kept until every consumer group applied them (retain mode, leader).",
)
OUTBOX_PUBLISHED = Counter(
    "parkvpp_outbox_published_total",
    "Outbox events published to Kafka, by reason (first, refeed after a broker restart, "
    "retry of an event not applied in time).",
    ["reason"],
)
OUTBOX_RELAY_LEADER = Gauge(
    "parkvpp_outbox_relay_leader", "1 while this process holds the outbox relay lease."
)
ENROLLED_FLEXIBILITY_WATTS = Gauge(
    "parkvpp_enrolled_flexibility_watts",
    "Peak upward flexibility of enrolled active assets in the last portfolio envelope, W.",
)
AWARDED_WATTS = Gauge(
    "parkvpp_awarded_watts", "Peak awarded load reduction of the VPP in the last clearing, W."
)
DELIVERED_JOULES = Counter(
    "parkvpp_delivered_energy_joules_total", "Delivered load reduction settled (first runs), J."
)
SETTLED_AWARDED_JOULES = Counter(
    "parkvpp_settled_awarded_energy_joules_total",
    "Awarded load reduction of settled market days (first runs), J.",
)
SETTLEMENT_FEN = Counter(
    "parkvpp_settlement_amount_fen_total",
    "Money of first settlement runs by component (gross_payment, penalty, operator_fee), fen.",
    ["component"],
)
CERTIFICATES_JOULES = Counter(
    "parkvpp_certificates_energy_joules_total",
    "Certificate energy by operation (issued, retired), J (1 Wh = 3600 J).",
    ["operation"],
)
READINGS = Counter("parkvpp_readings_total", "Meter readings at ingest, by outcome.", ["outcome"])
REGISTER_ANOMALIES = Counter(
    "parkvpp_telemetry_register_anomalies_total",
    "Energy register steps that fell on a one-way meter (reset or replaced): left as gaps.",
)
DISPATCH_OVERDUE = Gauge(
    "parkvpp_dispatch_overdue", "Dispatch instructions past their deadline, unacknowledged."
)
DISPATCH_ACK_SECONDS = Histogram(
    "parkvpp_dispatch_ack_seconds",
    "Time from issuing a dispatch instruction to its acknowledgement, s.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
)
DISPATCH_SHORTFALL_WATTS = Gauge(
    "parkvpp_dispatch_shortfall_watts",
    "Largest award the latest dispatch plan revision cannot deliver in one interval, W.",
)
DISPATCH_REDISPATCHES = Counter(
    "parkvpp_dispatch_redispatches_total",
    "Re-dispatches of a market day's remaining intervals, by reason (reported, not_following).",
    ["reason"],
)
BID_SOLVE_SECONDS = Histogram(
    "parkvpp_bid_solve_seconds",
    "Solver time of a bid plan (PrepareBids), s.",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
BID_RELATIVE_GAP = Gauge(
    "parkvpp_bid_relative_gap_ratio",
    "Relative gap between the last bid plan's objective and the solver's proven bound.",
)
BID_OBJECTIVE_FEN = Gauge(
    "parkvpp_bid_objective_fen",
    "Expected value of the last DR bid plan net of curtailment, rebound and wear costs, fen.",
)
BID_BOUND_FEN = Gauge(
    "parkvpp_bid_bound_fen",
    "Proven upper bound on any plan's value for the last DR bid problem, fen (by method).",
    ["method"],
)
BID_EXPECTED_REVENUE_FEN = Gauge(
    "parkvpp_bid_expected_revenue_fen", "Expected revenue of the last prepared bid plan, fen."
)
BID_PLAN_NEXT_DAY_READY = Gauge(
    "parkvpp_bid_plan_next_day_ready",
    "1 when a bid plan exists for the next market day (Asia/Shanghai), else 0.",
)
BID_PLAN_NEXT_DAY_SUBMITTED = Gauge(
    "parkvpp_bid_plan_next_day_submitted",
    "1 when the next market day's bid plan has been submitted to the market, else 0.",
)
LEDGER_VERIFY_OK = Gauge(
    "parkvpp_ledger_verify_ok",
    "1 when the last certificate-ledger audit (chain, replay, invariants) passed, 0 if not.",
)
LEDGER_VERIFY_TIMESTAMP = Gauge(
    "parkvpp_ledger_verify_timestamp_seconds", "Unix time of the last certificate-ledger audit."
)
DEPENDENCY_READY = Gauge(
    "parkvpp_dependency_ready",
    "1 while the dependency (redis, kafka) answered this process's last readiness check, else 0.",
    ["dependency"],
)


class RpcMetrics:
    """The gRPC server metrics of one method, label children looked up once (hot path)."""

    def __init__(self, full_method: str, grpc_type: str) -> None:
        service, _, method = full_method.lstrip("/").rpartition("/")
        self.full_method = full_method
        self.labels = (grpc_type, service, method)
        self.started = GRPC_STARTED.labels(*self.labels)
        self.received = GRPC_MSG_RECEIVED.labels(*self.labels)
        self.sent = GRPC_MSG_SENT.labels(*self.labels)
        self.seconds = GRPC_HANDLING_SECONDS.labels(*self.labels)
        self._handled: dict[str, Counter] = {}

    def handled(self, code: str) -> Counter:
        """The grpc_server_handled_total child of status `code` (e.g. "OK")."""
        child = self._handled.get(code)
        if child is None:
            child = self._handled[code] = GRPC_HANDLED.labels(*self.labels, code)
        return child


def handled_total(full_method: str, code: str) -> float:
    """RPCs of `full_method` ("/parkvpp.v1.Service/Method") handled with `code` so far."""
    service, _, method = full_method.lstrip("/").rpartition("/")
    return sum(
        sample.value
        for family in GRPC_HANDLED.collect()
        for sample in family.samples
        if sample.labels.get("grpc_service") == service
        and sample.labels.get("grpc_method") == method
        and sample.labels.get("grpc_code") == code
    )


class BidPlanFigures(Protocol):
    """What record_bid_plan reads of a bid plan (parkvpp.v1.BidPlan)."""

    solve_seconds: float
    relative_gap: float
    expected_revenue_fen: int
    objective_fen: float
    bound_fen: float
    solver: str


def record_bid_plan(plan: BidPlanFigures) -> None:
    """Observe a prepared bid plan's solve time, objective, bound, gap and expected revenue.

    The bound's `method` label is the solver's name without its round counts, e.g.
    "HIGHS/column-generation".
    """
    BID_SOLVE_SECONDS.observe(plan.solve_seconds)
    BID_RELATIVE_GAP.set(plan.relative_gap)
    BID_OBJECTIVE_FEN.set(plan.objective_fen)
    BID_BOUND_FEN.labels(plan.solver.split(" (")[0] or "none").set(plan.bound_fen)
    BID_EXPECTED_REVENUE_FEN.set(plan.expected_revenue_fen)


class SettlementTotals(Protocol):
    """What record_settlement reads of a settlement run (parkvpp.v1.SettlementRun)."""

    delivered_kwh: float
    awarded_kwh: float
    gross_payment_fen: int
    penalty_fen: int
    operator_fee_fen: int


def record_settlement(run: SettlementTotals) -> None:
    """Count a market day's first settlement run: energy in joules, money in fen."""
    DELIVERED_JOULES.inc(max(0.0, run.delivered_kwh) * JOULES_PER_KWH)
    SETTLED_AWARDED_JOULES.inc(max(0.0, run.awarded_kwh) * JOULES_PER_KWH)
    SETTLEMENT_FEN.labels("gross_payment").inc(max(0, run.gross_payment_fen))
    SETTLEMENT_FEN.labels("penalty").inc(max(0, run.penalty_fen))
    # A negative operator fee (penalties above payments) cannot lower a counter.
    SETTLEMENT_FEN.labels("operator_fee").inc(max(0, run.operator_fee_fen))


def record_dispatch_acks(deadlines_epoch_s: list[float], ack_window_s: float) -> None:
    """Observe acknowledgement latencies of instructions whose deadlines are given.

    Each instruction was issued `ack_window_s` before its deadline, so its latency is
    now - (deadline - window).
    """
    now = time.time()
    for deadline in deadlines_epoch_s:
        DISPATCH_ACK_SECONDS.observe(max(0.0, now - (deadline - ack_window_s)))


def record_dispatch_plan(shortfall_kw: Iterable[float], redispatch_reason: str = "") -> None:
    """Set the shortfall of a new dispatch plan revision; count it when it is a re-dispatch."""
    DISPATCH_SHORTFALL_WATTS.set(max(shortfall_kw, default=0.0) * WATTS_PER_KW)
    if redispatch_reason:
        DISPATCH_REDISPATCHES.labels(redispatch_reason).inc()


def record_ledger_verify(ok: bool) -> None:
    """Set the outcome and time of a certificate-ledger audit."""
    LEDGER_VERIFY_OK.set(1.0 if ok else 0.0)
    LEDGER_VERIFY_TIMESTAMP.set(time.time())


def serve_metrics(port: int, host: str = "127.0.0.1") -> int:
    """Serve /metrics on `port` (0 picks a free one); returns the bound port."""
    server, _thread = start_http_server(port, addr=host)
    return int(server.server_port)
