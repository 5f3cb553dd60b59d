"""CertificateService server parts."""

from __future__ import annotations

from parkvpp.v1 import certificates_pb2_grpc
from services.certificates.audit_job import start_ledger_audit
from services.certificates.servicer import CertificateServicer
from services.runtime.context import Runtime
from services.runtime.server import ServiceParts

FULL_NAME = "parkvpp.v1.CertificateService"


def build(runtime: Runtime) -> ServiceParts:
    servicer = CertificateServicer(runtime)
    start_ledger_audit(runtime, servicer.ledger)
    return ServiceParts.of(
        servicer, certificates_pb2_grpc.add_CertificateServiceServicer_to_server, FULL_NAME
    )
