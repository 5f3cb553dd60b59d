"""VppService server parts: the servicer and the dispatch consumer."""

from __future__ import annotations

from parkvpp.v1 import vpp_pb2_grpc
from services.runtime.context import Runtime
from services.runtime.server import ServiceParts
from services.vpp.consumer import dispatch_consumer
from services.vpp.servicer import VppServicer

FULL_NAME = "parkvpp.v1.VppService"


def build(runtime: Runtime) -> ServiceParts:
    servicer = VppServicer(runtime)
    return ServiceParts.of(
        servicer,
        vpp_pb2_grpc.add_VppServiceServicer_to_server,
        FULL_NAME,
        [dispatch_consumer(runtime, servicer.portfolio, servicer.dispatch)],
    )
