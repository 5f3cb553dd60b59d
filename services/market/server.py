"""MarketService server parts."""

from __future__ import annotations

from parkvpp.v1 import market_pb2_grpc
from services.market.servicer import MarketServicer
from services.runtime.context import Runtime
from services.runtime.server import ServiceParts

FULL_NAME = "parkvpp.v1.MarketService"


def build(runtime: Runtime) -> ServiceParts:
    servicer = MarketServicer(runtime)
    return ServiceParts.of(servicer, market_pb2_grpc.add_MarketServiceServicer_to_server, FULL_NAME)
