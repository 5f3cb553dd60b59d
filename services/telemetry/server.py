"""TelemetryService server parts: the servicer and the rollup consumer."""

from __future__ import annotations

from parkvpp.v1 import telemetry_pb2_grpc
from services.runtime.context import Runtime
from services.runtime.server import ServiceParts
from services.telemetry.consumer import rollup_consumer
from services.telemetry.servicer import TelemetryServicer

FULL_NAME = "parkvpp.v1.TelemetryService"


def build(runtime: Runtime) -> ServiceParts:
    servicer = TelemetryServicer(runtime)
    return ServiceParts.of(
        servicer,
        telemetry_pb2_grpc.add_TelemetryServiceServicer_to_server,
        FULL_NAME,
        [rollup_consumer(runtime.settings, servicer.rollups)],
    )
