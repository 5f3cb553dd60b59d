"""VppService server parts: the servicer, the dispatch consumer and the following check."""

from __future__ import annotations

from parkvpp.v1 import vpp_pb2_grpc
from services.runtime.context import Runtime
from services.runtime.server import ServiceParts
from services.vpp.consumer import dispatch_consumer
from services.vpp.following import start_following_job
from services.vpp.servicer import VppServicer

FULL_NAME = "parkvpp.v1.VppService"


def build(runtime: Runtime) -> ServiceParts:
    servicer = VppServicer(runtime)
    servicer.portfolio.warm_up()
    start_following_job(
        runtime,
        servicer.following,
        runtime.settings.following_check_s,
        servicer.dispatcher.clock,
    )
    return ServiceParts.of(
        servicer,
        vpp_pb2_grpc.add_VppServiceServicer_to_server,
        FULL_NAME,
        [dispatch_consumer(runtime, servicer.dispatcher)],
    )
