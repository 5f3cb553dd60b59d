"""EnrollmentService server: build its parts, or serve it alone (`parkvpp serve enrollment`)."""

from __future__ import annotations

from parkvpp.v1 import enrollment_pb2_grpc
from services.enrollment.servicer import EnrollmentServicer
from services.runtime.context import Runtime
from services.runtime.server import ServiceParts

FULL_NAME = "parkvpp.v1.EnrollmentService"


def build(runtime: Runtime) -> ServiceParts:
    servicer = EnrollmentServicer(runtime)
    return ServiceParts.of(
        servicer, enrollment_pb2_grpc.add_EnrollmentServiceServicer_to_server, FULL_NAME
    )
