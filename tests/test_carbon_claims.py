"""Each Wh is claimed once, factors follow the year, carbon in grams: over real gRPC.

The stack runs with PARKVPP_GRID_FACTOR_YEAR=2023 (grid 0.5306, residual 0.6096 kg/kWh).
Dates lie in last year (China local), so no certificate here has expired.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import grpc
import pytest

from bidding.intervals import INTERVALS_PER_DAY, MARKET_TZ, interval_start
from certificates.store import CertificateLedger
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from services.runtime.local_stack import LocalStack
from services.runtime.rpc import to_ts
from services.runtime.settings import load_settings
from services.telemetry.rollups import Rollups, power_reading

pytestmark = pytest.mark.timeout(180)

YEAR = datetime.now(UTC).astimezone(MARKET_TZ).year - 1
ENT, OTHER = "ent-claims", "ent-claims-other"
#: The finding's hourly example: 10 MWh in each of four hours from 10:00 local.
HOURLY_DAY = date(YEAR, 6, 1)
#: Two days with 400 kW and 200 kW all day: 9,600 and 4,800 kWh.
DAY_A, DAY_B = date(YEAR, 3, 10), date(YEAR, 3, 11)


def _local(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=MARKET_TZ).astimezone(UTC)


def _seed_load(stack: LocalStack, day: date, kw_by_interval: dict[int, float]) -> None:
    readings = [
        power_reading(int((interval_start(day, n) + timedelta(minutes=15)).timestamp()), kw)
        for n, kw in sorted(kw_by_interval.items())
    ]
    Rollups(stack.redis).apply(f"seed-{day}", ENT, "claims-load", readings)


@pytest.fixture(scope="module")
def park(redis_url, kafka_bootstrap):
    stack = LocalStack(
        redis_url,
        kafka_bootstrap,
        14,
        group_prefix="test-claims",
        topic_prefix=f"test-claims-{uuid.uuid4().hex[:8]}.",
        env={"PARKVPP_GRID_FACTOR_YEAR": "2023"},
    ).start()
    clients = stack.clients()
    try:
        for enterprise_id in (ENT, OTHER):
            clients.enrollment.RegisterEnterprise(
                epb.RegisterEnterpriseRequest(
                    enterprise_id=enterprise_id, name=enterprise_id, grid_area="CN-JS"
                )
            )
        clients.enrollment.EnrollAsset(
            epb.EnrollAssetRequest(
                request_id="r-claims-load",
                enterprise_id=ENT,
                name="presses",
                asset_id="claims-load",
                spec=epb.AssetSpec(
                    curtailable_load=epb.CurtailableLoad(
                        max_curtailment_kw=100.0,
                        min_event_minutes=15,
                        max_event_minutes=60,
                        max_events_per_day=1,
                    )
                ),
            )
        )
        # 10,000 kW through 10:00-14:00 local = 10 MWh an hour (intervals 40..55).
        _seed_load(stack, HOURLY_DAY, dict.fromkeys(range(40, 56), 10_000.0))
        _seed_load(stack, DAY_A, dict.fromkeys(range(INTERVALS_PER_DAY), 400.0))
        _seed_load(stack, DAY_B, dict.fromkeys(range(INTERVALS_PER_DAY), 200.0))
        yield stack, clients
    finally:
        clients.close()
        stack.stop()


def _issue(stack: LocalStack, request_id: str, hours: list[tuple[datetime, int]]):
    return CertificateLedger(stack.redis).issue(request_id, "ext-pv", "pv", "CN-JS", ENT, hours)


def _retire(stack, clients, request_id, lot_id, start, end, owner=ENT):
    return clients.certificates.Retire(
        cpb.RetireRequest(
            request_id=request_id,
            lot_id=lot_id,
            owner_enterprise_id=owner,
            beneficiary_enterprise_id=owner,
            consumption_period_start=to_ts(start),
            consumption_period_end=to_ts(end),
        ),
        metadata=stack.auth(f"enterprise:{owner}"),
        timeout=30,
    )


def _footprint(stack, clients, first: date, last: date | None = None) -> cpb.CarbonFootprint:
    return clients.certificates.GetCarbonFootprint(
        cpb.GetCarbonFootprintRequest(
            enterprise_id=ENT,
            from_market_day=first.isoformat(),
            to_market_day=(last or first).isoformat(),
        ),
        metadata=stack.auth(f"enterprise:{ENT}"),
        timeout=30,
    )


def test_the_residual_factor_follows_the_factor_year_with_its_source(park):
    stack, clients = park
    reply = _footprint(stack, clients, DAY_A)
    assert reply.grid_emission_factor_kg_per_kwh == 0.5306
    assert reply.residual_mix_factor_kg_per_kwh == 0.6096  # not 2022's 0.5856
    assert "2023" in reply.residual_factor_basis and "MEE/NBS" in reply.residual_factor_basis
    east = load_settings({"PARKVPP_GRID_REGION": "east", "PARKVPP_GRID_FACTOR_YEAR": "2023"})
    assert east.residual_factor_kg_per_kwh == 0.6096
    assert "no east grid figure is published" in east.residual_factor_basis


@pytest.mark.parametrize(
    ("hour", "start", "end", "field"),
    [
        # The finding: produced on YEAR-12-04, claimed against YEAR-11-10.
        (13, date(YEAR, 11, 10), date(YEAR, 11, 11), "consumption_period_start"),
        # Across the year boundary.
        (14, date(YEAR, 12, 30), date(YEAR + 1, 1, 2), "consumption_period_end"),
        # In the next year: still a valid GEC, but not of that year's vintage.
        (15, date(YEAR + 1, 1, 5), date(YEAR + 1, 1, 6), "consumption_period_start"),
    ],
)
def test_a_retirement_outside_its_year_or_before_its_production_is_refused(
    park, hour, start, end, field
):
    stack, clients = park
    (lot,) = _issue(stack, f"issue-dec-{hour}", [(_local(date(YEAR, 12, 4), hour), 1_000)])
    with pytest.raises(grpc.RpcError) as err:
        _retire(stack, clients, f"retire-{lot.lot_id}", lot.lot_id, _local(start), _local(end))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith(field)
    assert CertificateLedger(stack.redis).get_lot(lot.lot_id).status == "ACTIVE"
    # The same lot within its production month of its year is retired.
    done = _retire(
        stack,
        clients,
        f"retire-ok-{lot.lot_id}",
        lot.lot_id,
        _local(date(YEAR, 12, 1)),
        _local(date(YEAR, 12, 5)),
    )
    assert done.retired.status == cpb.LOT_STATUS_RETIRED


def test_the_findings_whole_calendar_period_is_refused(park):
    stack, clients = park
    (lot,) = _issue(stack, "issue-forever", [(_local(date(YEAR, 5, 2), 10), 1_000)])
    forever = (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC))
    with pytest.raises(grpc.RpcError) as err:
        _retire(stack, clients, "retire-forever", lot.lot_id, *forever)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith("consumption_period_start")


def test_another_tenants_lot_is_not_found_whatever_the_period(park):
    stack, clients = park
    (lot,) = _issue(stack, "issue-not-yours", [(_local(date(YEAR, 12, 4), 11), 1_000)])
    before = _local(date(YEAR, 11, 10)), _local(date(YEAR, 11, 11))
    with pytest.raises(grpc.RpcError) as err:
        _retire(stack, clients, "retire-not-yours", lot.lot_id, *before, owner=OTHER)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_retirement_counts_once_split_by_consumption_over_its_days(park):
    stack, clients = park
    (lot,) = _issue(stack, "issue-march", [(_local(DAY_A, 12), 3_600_000)])
    _retire(stack, clients, "retire-march", lot.lot_id, _local(DAY_A), _local(DAY_B + timedelta(1)))
    day_a = _footprint(stack, clients, DAY_A)
    day_b = _footprint(stack, clients, DAY_B)
    both = _footprint(stack, clients, DAY_A, DAY_B)
    # 3.6 MWh over 9,600 + 4,800 kWh: 100,000 Wh in each 400 kWh hour, 50,000 in each
    # 200 kWh hour, so 2,400,000 Wh on DAY_A and 1,200,000 on DAY_B, never 3.6 MWh twice.
    assert (day_a.retired_certificate_wh, day_b.retired_certificate_wh) == (2_400_000, 1_200_000)
    assert both.retired_certificate_wh == 3_600_000
    assert (day_a.claimed_certificate_wh, day_b.claimed_certificate_wh) == (2_400_000, 1_200_000)
    # DAY_A: location 9,600 kWh × 0.5306 = 5,093.76 kg (212.24 kg an hour, exactly);
    # market (9,600 − 2,400) kWh × 0.6096 = 4,389.12 kg.
    assert (day_a.location_based_g_co2e, day_a.market_based_g_co2e) == (5_093_760, 4_389_120)
    assert day_a.location_based_kg_co2e == 5_093.76
    # DAY_B: location 4,800 × 0.5306 = 2,546.88 kg; market 3,600 × 0.6096 = 2,194.56 kg.
    assert (day_b.location_based_g_co2e, day_b.market_based_g_co2e) == (2_546_880, 2_194_560)
    for column in ("location_based_g_co2e", "market_based_g_co2e", "claimed_certificate_wh"):
        assert getattr(both, column) == getattr(day_a, column) + getattr(day_b, column)
    assert day_a.annual_matched_share == 0.25
    # The park counts the same attributed Wh, and its carbon in grams.
    park_a = clients.certificates.GetParkIndicators(
        cpb.GetParkIndicatorsRequest(from_market_day=DAY_A.isoformat()), timeout=30
    )
    assert park_a.certificates_retired_wh == 2_400_000
    assert (park_a.location_based_g_co2e, park_a.market_based_g_co2e) == (5_093_760, 4_389_120)
    assert park_a.emissions_g_co2 == 5_093_760  # no fuel reported: electricity only
    assert park_a.market_based_kg_co2e == 4_389.12


def test_hourly_market_based_beside_the_annual_one(park):
    stack, clients = park
    start = _local(HOURLY_DAY, 10)
    lots = _issue(
        stack,
        "issue-hourly",
        [(start + timedelta(hours=1), 20_000_000), (start + timedelta(hours=2), 10_000_000)]
        + [(start + timedelta(hours=3), 5_000_000)],
    )
    for lot in lots:
        _retire(
            stack, clients, f"retire-{lot.lot_id}", lot.lot_id, start, start + timedelta(hours=4)
        )
    reply = _footprint(stack, clients, HOURLY_DAY)
    # Load [10, 10, 10, 10] MWh, certificates [0, 20, 10, 5] MWh.
    assert reply.consumption_wh == 40_000_000
    assert reply.hourly_matched_wh == 25_000_000  # 0 + 10 + 10 + 5
    assert reply.hourly_matched_cfe_share == 0.625
    assert reply.annual_matched_share == 0.875
    # Annual: (40 − 35) MWh × 0.6096 t/MWh; hourly: (10 + 0 + 0 + 5) MWh × 0.6096.
    assert reply.market_based_g_co2e == 3_048_000
    assert reply.hourly_market_based_g_co2e == 9_144_000
    assert reply.location_based_g_co2e == 21_224_000  # 40 MWh × 0.5306
    assert reply.market_based_kg_co2e == 3_048.0
