"""The load generator's per-service CPU lines name every service process."""

from __future__ import annotations

from loadtests.report import _per_service, _relay_line
from services.runtime.settings import SERVICE_NAMES


def test_every_service_gets_its_cpu_line() -> None:
    rpcs = {
        "CertificateService/GetBalance": {"calls": 600},
        "EnrollmentService/GetAsset": {"calls": 300},
        "VppService/ListDispatch": {"calls": 300},
    }
    report = {"rpcs": rpcs, "config": {"duration_s": 60.0}}
    by_process = {"certificates": 6.0, "enrollment": 0.3, "vpp": 0.6, "valkey": 0.6}
    lines = _per_service(report, by_process, seconds=60.0)
    # 6 CPU-s over 600 calls: 10 ms a call; before, CertificateService had no line at all
    assert any(line.split()[:2] == ["certificates", "10.00"] for line in lines), lines
    assert any(line.split()[:2] == ["enrollment", "1.00"] for line in lines), lines
    assert any(line.split()[:2] == ["vpp", "2.00"] for line in lines), lines
    assert "certificates" in SERVICE_NAMES


def test_the_relay_leader_is_named_with_a_change_during_the_run() -> None:
    assert _relay_line(None) == [] and _relay_line([[], []]) == []
    (same,) = _relay_line([["enrollment"], ["enrollment"]])
    assert "led by enrollment (" in same
    (moved,) = _relay_line([["market"], ["telemetry"]])
    assert "led by market before, telemetry after" in moved
