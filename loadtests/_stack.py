"""Helpers of the in-process benchmarks: windowed RPCs, sample specs, enrolment."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

import grpc

from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import enrollment_pb2_grpc
from services.demo.park import curtailable_spec

__all__ = ["UNLIMITED", "battery_spec", "curtailable_spec", "enrol", "run_windowed"]

#: Most RPCs a client keeps in flight while enrolling.
MAX_IN_FLIGHT = 64
#: Benchmarks measure the services, not the per-tenant rate limits: both switched off.
UNLIMITED = {"PARKVPP_RATE_WRITES_PER_S": "0", "PARKVPP_RATE_READINGS_PER_S": "0"}


def run_windowed(calls: Iterable[Callable[[], grpc.Future]], timeout_s: float) -> int:
    """Run future-returning calls with at most MAX_IN_FLIGHT outstanding; returns the count.

    Raises the first failed call's grpc.RpcError, or grpc.FutureTimeoutError when the
    calls have not all finished `timeout_s` after the first was sent.
    """
    deadline = time.monotonic() + timeout_s
    pending: deque[grpc.Future] = deque()
    done = 0
    for call in calls:
        if len(pending) >= MAX_IN_FLIGHT:
            pending.popleft().result(timeout=max(0.0, deadline - time.monotonic()))
            done += 1
        pending.append(call())
    while pending:
        pending.popleft().result(timeout=max(0.0, deadline - time.monotonic()))
        done += 1
    return done


def battery_spec(capacity_kwh: float) -> epb.AssetSpec:
    return epb.AssetSpec(
        battery=epb.Battery(
            energy_capacity_kwh=capacity_kwh,
            max_charge_kw=capacity_kwh / 2,
            max_discharge_kw=capacity_kwh / 2,
            round_trip_efficiency=0.9,
            soc_min=0.1,
            soc_max=0.95,
            initial_soc=0.5,
            degradation_cost_fen_per_mwh=50_000,
        )
    )


def enrol(
    channel: grpc.Channel,
    assets: dict[str, tuple[str, epb.AssetSpec]],
    approve: bool,
    timeout_s: float = 600.0,
) -> None:
    """Register the enterprises of `assets` (asset_id -> (enterprise_id, spec)), enrol them.

    Approves each asset too when `approve` (the VPP only counts active assets).
    Raises grpc.RpcError on the first refused call, grpc.FutureTimeoutError past `timeout_s`.
    """
    stub = enrollment_pb2_grpc.EnrollmentServiceStub(channel)
    for enterprise_id in sorted({ent for ent, _ in assets.values()}):
        stub.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=f"Load-test {enterprise_id}", grid_area="CN-JS"
            ),
            timeout=10,
        )
    run_windowed(
        (
            lambda a=asset_id, e=ent, s=spec: stub.EnrollAsset.future(
                epb.EnrollAssetRequest(
                    request_id=f"req-{a}", enterprise_id=e, name=a, spec=s, asset_id=a
                ),
                timeout=30,
            )
            for asset_id, (ent, spec) in assets.items()
        ),
        timeout_s,
    )
    if approve:
        run_windowed(
            (
                lambda a=asset_id: stub.ApproveAsset.future(
                    epb.ApproveAssetRequest(asset_id=a), timeout=30
                )
                for asset_id in assets
            ),
            timeout_s,
        )
