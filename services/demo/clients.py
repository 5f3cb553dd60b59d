"""gRPC stubs of every ParkVPP service for a client such as the demo."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from parkvpp.v1 import (
    bidding_pb2_grpc,
    certificates_pb2_grpc,
    enrollment_pb2_grpc,
    market_pb2_grpc,
    settlement_pb2_grpc,
    telemetry_pb2_grpc,
    vpp_pb2_grpc,
)
from services.demo.retry import RECONNECT_OPTIONS, RetryUnavailable
from services.runtime.channels import open_channel


@dataclass
class Clients:
    enrollment: enrollment_pb2_grpc.EnrollmentServiceStub
    telemetry: telemetry_pb2_grpc.TelemetryServiceStub
    vpp: vpp_pb2_grpc.VppServiceStub
    bidding: bidding_pb2_grpc.BiddingServiceStub
    market: market_pb2_grpc.MarketServiceStub
    settlement: settlement_pb2_grpc.SettlementServiceStub
    certificates: certificates_pb2_grpc.CertificateServiceStub
    channels: list[grpc.Channel]
    #: The retrying interceptor of `connect(retry_unavailable=True)`, for its counts.
    retry: RetryUnavailable | None = None

    @classmethod
    def connect(
        cls,
        addrs: dict[str, str],
        token: str | None = None,
        ca_file: str = "",
        retry_unavailable: bool = False,
    ) -> Clients:
        """Stubs on one channel per address (services sharing an address share it).

        Every call carries `token` unless it passes its own `authorization` metadata
        (see `bearer_metadata`); `ca_file` switches the channels to TLS. With
        `retry_unavailable` calls answered UNAVAILABLE are repeated until their deadline
        (see `RetryUnavailable`), so the day rides out a restarting service.
        """
        retry = RetryUnavailable() if retry_unavailable else None

        def open_one(addr: str) -> grpc.Channel:
            if retry is None:
                return open_channel(addr, token=token, ca_file=ca_file)
            channel = open_channel(addr, token=token, ca_file=ca_file, options=RECONNECT_OPTIONS)
            return grpc.intercept_channel(channel, retry)

        channels = {addr: open_one(addr) for addr in set(addrs.values())}

        def ch(name: str) -> grpc.Channel:
            return channels[addrs[name]]

        return cls(
            enrollment=enrollment_pb2_grpc.EnrollmentServiceStub(ch("enrollment")),
            telemetry=telemetry_pb2_grpc.TelemetryServiceStub(ch("telemetry")),
            vpp=vpp_pb2_grpc.VppServiceStub(ch("vpp")),
            bidding=bidding_pb2_grpc.BiddingServiceStub(ch("bidding")),
            market=market_pb2_grpc.MarketServiceStub(ch("market")),
            settlement=settlement_pb2_grpc.SettlementServiceStub(ch("settlement")),
            certificates=certificates_pb2_grpc.CertificateServiceStub(ch("certificates")),
            channels=list(channels.values()),
            retry=retry,
        )

    @staticmethod
    def bearer_metadata(token: str) -> tuple[tuple[str, str], ...]:
        """Per-call metadata that makes one call as another token's caller."""
        return (("authorization", f"Bearer {token}"),)

    def close(self) -> None:
        for channel in self.channels:
            channel.close()
