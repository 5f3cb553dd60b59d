"""Fuel reports (units, months, pro rata) and the zero-carbon indicators, by hand arithmetic."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from certificates.exceptions import InvalidInput
from certificates.factors import Fuel
from certificates.fuel import (
    FuelUse,
    fuel_in_period,
    month_share,
    months_between,
    normalise,
    parse_month,
)
from certificates.park import ZeroCarbonConfig, park_zero_carbon_indicators

ROUND = ZeroCarbonConfig(fuels={"x_tce": Fuel("tce", 1.0, 0.0, "test")})


def _use(month: str, fuel: str, quantity: int) -> FuelUse:
    return FuelUse("ent", month, fuel, quantity, "kg", 1, "r", "2026-01-01T00:00:00+00:00")


def test_reports_are_kept_in_the_fuels_smallest_unit():
    assert normalise("coal", 12, "t") == (12_000, "kg")
    assert normalise("coal", 12_345, "kg") == (12_345, "kg")
    assert normalise("natural_gas", 3, "10^4 m3") == (30_000, "m3")
    assert normalise("natural_gas", 7, "1000 m3") == (7_000, "m3")
    assert normalise("fuel_oil", 2, "t") == (2_000, "kg")


@pytest.mark.parametrize(
    ("fuel", "quantity", "unit", "field"),
    [
        ("peat", 1, "t", "fuel"),
        ("coal", 0, "t", "quantity"),
        ("coal", -5, "kg", "quantity"),
        ("coal", 1, "m3", "unit"),
        ("natural_gas", 1, "t", "unit"),
        ("coal", 10**12, "t", "quantity"),
    ],
)
def test_bad_reports_name_the_field(fuel, quantity, unit, field):
    with pytest.raises(InvalidInput) as info:
        normalise(fuel, quantity, unit)
    assert info.value.field == field


@pytest.mark.parametrize("value", ["2026-13", "2026-00", "26-01", "2026-1", "", "2026-01-01"])
def test_months_are_yyyy_mm(value):
    with pytest.raises(InvalidInput) as info:
        parse_month(value, "from_month")
    assert info.value.field == "from_month"


def test_a_month_counts_by_its_days_inside_the_period():
    # 10 Feb..5 Mar 2026: 19 of February's 28 days, 5 of March's 31.
    first, last = date(2026, 2, 10), date(2026, 3, 5)
    assert months_between(first, last) == ["2026-02", "2026-03"]
    assert month_share("2026-02", first, last) == Fraction(19, 28)
    assert month_share("2026-03", first, last) == Fraction(5, 31)
    assert month_share("2026-04", first, last) == 0
    uses = [
        _use("2026-02", "coal", 28_000),
        _use("2026-03", "coal", 31),
        _use("2026-04", "coal", 9),
    ]
    assert fuel_in_period(uses, first, last) == {"coal": pytest.approx(19_000 + 5)}
    # A whole month counts whole.
    assert fuel_in_period(uses, date(2026, 2, 1), date(2026, 2, 28)) == {"coal": 28_000}


def test_a_park_passing_both_indicators():
    # 1e9 kWh × 0.1229 kgce/kWh = 122,900 tce; on-site renewables 0.96e9 kWh.
    # Grid 0.04e9 kWh × 0.5 kg = 20,000 t → 20,000 / 122,900 = 0.16273 tCO2/tce ≤ 0.20.
    result = park_zero_carbon_indicators(
        1e9, {}, green_electricity_kwh=0.96e9, grid_factor_kg_per_kwh=0.5
    )
    assert result.emissions_t_co2 == pytest.approx(20_000)
    assert result.carbon_intensity.passed
    assert result.carbon_intensity.gap == pytest.approx(20_000 / 122_900 - 0.20)
    assert result.clean_energy_share.value == pytest.approx(0.96)
    assert result.clean_energy_share.passed
    assert result.clean_energy_share.gap == pytest.approx(-0.06)
    assert "location-based" in result.carbon_intensity.basis


def test_certificates_count_as_clean_energy_but_never_lower_location_based_emissions():
    # The same park buying certificates instead of generating: 1e9 kWh × 0.5 = 500,000 t.
    result = park_zero_carbon_indicators(
        1e9, {}, certificate_kwh=0.96e9, grid_factor_kg_per_kwh=0.5
    )
    assert result.emissions_t_co2 == pytest.approx(500_000)
    assert not result.carbon_intensity.passed
    assert result.carbon_intensity.gap == pytest.approx(500_000 / 122_900 - 0.20)
    assert result.clean_energy_share.passed
    # Certificates beyond consumption never push the share above 1.
    over = park_zero_carbon_indicators(1e9, {}, green_electricity_kwh=0.5e9, certificate_kwh=9e9)
    assert over.clean_energy_share.value == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("tce", "limit", "words"),
    [
        # 73 days = 1/5 year: the band is chosen on 5 × the period's energy use.
        (39_999, 0.20, "below 200,000"),
        (40_000, 0.20, "200,000-1,000,000 tce/year band"),
        (200_000, 0.20, "200,000-1,000,000 tce/year band"),
        (200_001, 0.30, "above 1,000,000"),
    ],
)
def test_band_edges_on_annualised_energy_use(tce, limit, words):
    result = park_zero_carbon_indicators(0, {"x_tce": tce}, period_days=73, config=ROUND)
    assert result.annual_energy_tce == pytest.approx(tce * 5)
    assert result.carbon_intensity.threshold == limit
    assert words in result.carbon_intensity.basis
