"""SettlementService server parts."""

from __future__ import annotations

from parkvpp.v1 import settlement_pb2_grpc
from services.runtime.context import Runtime
from services.runtime.server import ServiceParts
from services.settlement.servicer import SettlementServicer

FULL_NAME = "parkvpp.v1.SettlementService"


def build(runtime: Runtime) -> ServiceParts:
    servicer = SettlementServicer(runtime)
    return ServiceParts.of(
        servicer, settlement_pb2_grpc.add_SettlementServiceServicer_to_server, FULL_NAME
    )
