"""Prometheus metrics of a ParkVPP process, defined once, served on /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

RPC_REQUESTS = Counter(
    "parkvpp_grpc_requests_total",
    "gRPC requests handled, by method and status code.",
    ["method", "code"],
)
RPC_LATENCY = Histogram(
    "parkvpp_grpc_request_seconds",
    "gRPC request latency in seconds, by method.",
    ["method"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
KAFKA_PRODUCED = Counter("parkvpp_kafka_produced_total", "Events produced, by topic.", ["topic"])
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
ENROLLED_FLEXIBILITY_KW = Gauge(
    "parkvpp_enrolled_flexibility_kw", "Upward flexibility of enrolled active assets, kW."
)
AWARDED_KW = Gauge("parkvpp_awarded_kw", "Peak awarded load reduction of the last clearing, kW.")
DELIVERED_KWH = Counter("parkvpp_delivered_kwh_total", "Delivered load reduction settled, kWh.")
CERTIFICATES_WH = Counter(
    "parkvpp_certificates_wh_total",
    "Certificate energy by operation (issued, retired), Wh.",
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


def serve_metrics(port: int, host: str = "127.0.0.1") -> int:
    """Serve /metrics on `port` (0 picks a free one); returns the bound port."""
    server, _thread = start_http_server(port, addr=host)
    return int(server.server_port)
