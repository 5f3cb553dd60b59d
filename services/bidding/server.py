"""BiddingService server parts."""

from __future__ import annotations

from parkvpp.v1 import bidding_pb2_grpc
from services.bidding.readiness import watch_next_day_plan
from services.bidding.servicer import BiddingServicer
from services.runtime.context import Runtime
from services.runtime.server import ServiceParts

FULL_NAME = "parkvpp.v1.BiddingService"


def build(runtime: Runtime) -> ServiceParts:
    servicer = BiddingServicer(runtime)
    servicer.portfolio.warm_up()
    watch_next_day_plan(servicer)
    return ServiceParts.of(
        servicer, bidding_pb2_grpc.add_BiddingServiceServicer_to_server, FULL_NAME
    )
