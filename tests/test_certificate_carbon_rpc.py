"""Fuel reports, the park's zero-carbon indicators and product footprints over real gRPC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import grpc
import pytest

from bidding.intervals import INTERVALS_PER_DAY, interval_start
from certificates.factors import FUELS
from certificates.store import CertificateLedger
from parkvpp.v1 import certificates_pb2 as cpb
from parkvpp.v1 import enrollment_pb2 as epb
from services.runtime.settings import SettingsError, load_settings
from services.telemetry.rollups import Rollups, power_reading

pytestmark = pytest.mark.timeout(180)

DAY = date(2026, 3, 10)
#: The foundry draws 400 kW all day: 96 × 100 kWh = 9,600 kWh.
LOAD_KW = 400.0
CONSUMPTION_KWH = 9_600
#: Certificates retired for the foundry's consumption on DAY.
RETIRED_WH = 3_000_000


@pytest.fixture(scope="module")
def park(stack_factory):
    stack = stack_factory(db=14)
    clients = stack.clients()
    for enterprise_id in ("ent-foundry", "ent-other"):
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=enterprise_id, grid_area="CN-JS"
            )
        )
    clients.enrollment.EnrollAsset(
        epb.EnrollAssetRequest(
            request_id="r-load",
            enterprise_id="ent-foundry",
            name="furnaces",
            asset_id="foundry-load",
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
    ends = [interval_start(DAY, n) + timedelta(minutes=15) for n in range(INTERVALS_PER_DAY)]
    readings = [power_reading(int(end.timestamp()), LOAD_KW) for end in ends]
    Rollups(stack.redis).apply("seed-load", "ent-foundry", "foundry-load", readings)
    ledger = CertificateLedger(stack.redis)
    hour = datetime(2026, 3, 10, 4, tzinfo=UTC)
    (lot,) = ledger.issue("seed", "ext-pv", "pv", "CN-JS", "ent-foundry", [(hour, RETIRED_WH)])
    start, end = interval_start(DAY, 0), interval_start(DAY, 0) + timedelta(days=1)
    ledger.retire("seed-retire", lot.lot_id, "ent-foundry", "ent-foundry", 0, start, end, hour)
    yield stack, clients
    clients.close()


def _fuel(request_id: str, fuel: str, quantity: int, unit: str, **kw):
    values = dict(
        request_id=request_id,
        enterprise_id="ent-foundry",
        month="2026-03",
        fuel=fuel,
        quantity=quantity,
        unit=unit,
    )
    values.update(kw)
    return cpb.ReportFuelUseRequest(**values)


def _refused(call, request, metadata) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        call(request, metadata=metadata, timeout=10)
    return err.value.code(), err.value.details()


def _list(stack, clients, corrections=False):
    return clients.certificates.ListFuelUse(
        cpb.ListFuelUseRequest(
            enterprise_id="ent-foundry", from_month="2026-03", include_corrections=corrections
        ),
        metadata=stack.auth("enterprise:ent-foundry"),
        timeout=10,
    )


def test_fuel_reports_are_idempotent_and_corrections_keep_history(park):
    stack, clients = park
    mine = stack.auth("enterprise:ent-foundry")
    report = clients.certificates.ReportFuelUse
    first = report(_fuel("r-coal-1", "coal", 40, "t"), metadata=mine, timeout=10)
    assert (first.quantity, first.unit, first.revision) == (40_000, "kg", 1)
    assert first.energy_tce == pytest.approx(40_000 * 0.7143e-3)
    assert report(_fuel("r-coal-1", "coal", 40, "t"), metadata=mine, timeout=10) == first
    code, details = _refused(report, _fuel("r-coal-1", "coal", 41, "t"), mine)
    assert code == grpc.StatusCode.ALREADY_EXISTS and details.startswith("request_id: r-coal-1 ")
    # The correction: 31 t replaces 40 t for March; the ESCO may report for its client.
    corrected = report(
        _fuel("r-coal-2", "coal", 31_000, "kg"), metadata=stack.auth("esco"), timeout=10
    )
    assert (corrected.quantity, corrected.revision) == (31_000, 2)
    report(_fuel("r-gas-1", "natural_gas", 31, "1000 m3"), metadata=mine, timeout=10)
    listed = _list(stack, clients)
    assert [(u.fuel, u.quantity, u.revision) for u in listed.uses] == [
        ("coal", 31_000, 2),
        ("natural_gas", 31_000, 1),
    ]
    assert listed.energy_tce == pytest.approx(31_000 * 0.7143e-3 + 31_000 * 1.2143e-3)
    history = _list(stack, clients, corrections=True)
    assert [(u.fuel, u.quantity) for u in history.uses] == [
        ("coal", 40_000),
        ("coal", 31_000),
        ("natural_gas", 31_000),
    ]


@pytest.mark.parametrize(
    ("request_kw", "field"),
    [
        ({"unit": "m3"}, "unit"),
        ({"fuel": "peat"}, "fuel"),
        ({"quantity": 0}, "quantity"),
        ({"month": "2026-13"}, "month"),
        ({"month": "2099-01"}, "month"),
        ({"enterprise_id": "ent-nobody"}, "enterprise"),
    ],
)
def test_bad_fuel_reports_are_refused_and_change_nothing(park, request_kw, field):
    stack, clients = park
    before = _list(stack, clients, corrections=True)
    values = {"fuel": "coal", "quantity": 5, "unit": "t", **request_kw}
    request = _fuel("r-bad", **values)
    code, details = _refused(clients.certificates.ReportFuelUse, request, stack.auth("operator"))
    expected = (
        grpc.StatusCode.NOT_FOUND if field == "enterprise" else grpc.StatusCode.INVALID_ARGUMENT
    )
    assert code == expected and field in details
    assert _list(stack, clients, corrections=True) == before


def test_enterprises_report_only_their_own_fuel(park):
    stack, clients = park
    other = stack.auth("enterprise:ent-other")
    code, _ = _refused(clients.certificates.ReportFuelUse, _fuel("r-x", "coal", 1, "t"), other)
    assert code == grpc.StatusCode.NOT_FOUND
    code, _ = _refused(
        clients.certificates.ReportFuelUse, _fuel("r-y", "coal", 1, "t"), stack.auth("registry")
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED


def _march_fuel_kg_co2() -> tuple[float, float]:
    """(tce, kg CO2) of the foundry's fuel on DAY: 1/31 of March's 31 t coal and 31,000 m3."""
    coal, gas = FUELS["coal"], FUELS["natural_gas"]
    tce = 1_000 * coal.tce_per_unit + 1_000 * gas.tce_per_unit
    return tce, 1_000 * coal.kg_co2_per_unit + 1_000 * gas.kg_co2_per_unit


def test_park_indicators_count_fuel_and_say_pass_or_fail(park):
    stack, clients = park
    reply = clients.certificates.GetParkIndicators(
        cpb.GetParkIndicatorsRequest(from_market_day=DAY.isoformat()), timeout=10
    )
    fuel_tce, fuel_kg = _march_fuel_kg_co2()
    # 9,600 kWh × 0.1229 kgce/kWh = 1.17984 tce; fuel 1 t coal + 1,000 m3 gas = 1.9286 tce.
    assert reply.electricity_tce == pytest.approx(1.17984)
    assert reply.fuel_tce == pytest.approx(fuel_tce)
    assert fuel_tce == pytest.approx(0.7143 + 1.2143)
    total = 1.17984 + fuel_tce
    assert reply.total_energy_tce == pytest.approx(total)
    assert reply.annual_energy_tce == pytest.approx(total * 365)
    # Location-based: all 9,600 kWh from the grid × 0.5366 + fuels; certificates don't count.
    emissions_t = (CONSUMPTION_KWH * 0.5366 + fuel_kg) / 1000
    assert reply.emissions_t_co2 == pytest.approx(emissions_t)
    intensity = reply.carbon_intensity
    assert intensity.value == pytest.approx(emissions_t / total)
    assert (intensity.threshold, intensity.passed) == (0.20, False)
    assert intensity.gap == pytest.approx(emissions_t / total - 0.20)
    assert "below 200,000" in intensity.basis
    # Clean: the 3,000 kWh of retired certificates × 0.1229 kgce/kWh.
    share = reply.clean_energy_share
    assert share.value == pytest.approx(3_000 * 0.1229e-3 / total)
    assert (share.threshold, share.passed) == (0.90, False)
    assert share.gap == pytest.approx(0.90 - share.value)
    assert (reply.electricity_conversion, reply.electricity_kgce_per_kwh) == (
        "equivalent_value",
        0.1229,
    )


def _footprint(stack, clients, outputs, role="enterprise:ent-foundry", enterprise="ent-foundry"):
    request = cpb.GetProductFootprintRequest(
        enterprise_id=enterprise, from_market_day=DAY.isoformat(), outputs=outputs
    )
    return clients.certificates.GetProductFootprint(request, metadata=stack.auth(role), timeout=10)


def test_product_lines_sum_exactly_and_certificates_back_one_line_each(park):
    stack, clients = park
    outputs = [
        cpb.ProductOutput(product_line="castings", output_quantity=300, unit="t"),
        cpb.ProductOutput(product_line="forgings", output_quantity=100, unit="t"),
    ]
    reply = _footprint(stack, clients, outputs)
    _tce, fuel_kg = _march_fuel_kg_co2()
    fuel_g = int(fuel_kg * 1000 + 0.5)
    assert reply.fuel_g_co2e == fuel_g
    # Location: 9,600 kWh × 0.5366 = 5,151.36 kg; market: 3,000 kWh at 0 + 6,600 × 0.5856.
    assert reply.location_based_g_co2e == 5_151_360 + fuel_g
    assert reply.market_based_g_co2e == 3_864_960 + fuel_g
    assert reply.claimed_certificate_wh == RETIRED_WH
    castings, forgings = reply.lines
    assert castings.product_line == "castings" and castings.unit == "t"
    for column in ("location_based_g_co2e", "market_based_g_co2e", "claimed_certificate_wh"):
        assert getattr(castings, column) + getattr(forgings, column) == getattr(reply, column)
    assert (castings.claimed_certificate_wh, forgings.claimed_certificate_wh) == (
        2_250_000,
        750_000,
    )
    assert abs(castings.market_based_g_co2e - 3 * forgings.market_based_g_co2e) <= 3


@pytest.mark.parametrize(
    ("outputs", "field"),
    [
        ([("a", 1, "t"), ("a", 2, "t")], "outputs[1].product_line"),
        ([("a", 1, "t"), ("b", 2, "kg")], "outputs[1].unit"),
        ([("a", 0, "t")], "outputs"),
        ([("a", -1, "t")], "outputs[0].output_quantity"),
        ([], "outputs"),
    ],
)
def test_bad_product_outputs_name_the_field(park, outputs, field):
    stack, clients = park
    lines = [cpb.ProductOutput(product_line=n, output_quantity=q, unit=u) for n, q, u in outputs]
    with pytest.raises(grpc.RpcError) as err:
        _footprint(stack, clients, lines)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith(field)


def test_another_enterprises_product_footprint_is_not_found(park):
    stack, clients = park
    outputs = [cpb.ProductOutput(product_line="bolts", output_quantity=1, unit="pcs")]
    with pytest.raises(grpc.RpcError) as err:
        _footprint(stack, clients, outputs, role="enterprise:ent-other")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_the_electricity_basis_is_a_setting_naming_the_variable_when_wrong():
    assert load_settings({}).electricity_tce_basis == "equivalent_value"
    chosen = load_settings({"PARKVPP_ELECTRICITY_TCE_BASIS": "coal_equivalent"})
    assert chosen.electricity_tce_basis == "coal_equivalent"
    with pytest.raises(SettingsError, match="PARKVPP_ELECTRICITY_TCE_BASIS"):
        load_settings({"PARKVPP_ELECTRICITY_TCE_BASIS": "calorific"})
