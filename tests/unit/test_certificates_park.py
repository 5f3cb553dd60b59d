"""Zero-carbon park indicators and product footprints, checked against hand arithmetic."""

from __future__ import annotations

import pytest

from certificates.carbon import product_footprint
from certificates.exceptions import InvalidInput
from certificates.factors import FUELS, GJ_PER_TCE, ElectricityConversion, Fuel
from certificates.park import ZeroCarbonConfig, park_zero_carbon_indicators

# Round coefficients so the arithmetic below can be done by hand.
ROUND_FUELS = {"coal": Fuel("kg", 0.0007, 2.5, "test"), "x_tce": Fuel("tce", 1.0, 0.0, "test")}
ROUND = ZeroCarbonConfig(fuels=ROUND_FUELS)
COAL_EQUIVALENT = ZeroCarbonConfig(electricity_conversion=ElectricityConversion.COAL_EQUIVALENT)


def test_a_park_in_the_middle_band_failing_both_indicators():
    result = park_zero_carbon_indicators(
        1.5e9,
        {"coal": 30_000_000},
        green_electricity_kwh=1.4e9,
        grid_factor_kg_per_kwh=0.5,
        config=ROUND,
    )
    # Electricity 1.5e9 kWh × 0.1229 kgce/kWh = 184,350 tce; coal 30,000,000 kg × 0.0007 = 21,000.
    assert result.electricity_tce == pytest.approx(184_350)
    assert result.total_energy_tce == pytest.approx(205_350)
    # Coal 21,000 tce × 2.5 = 52,500 t; grid 1e8 kWh × 0.5 kg = 50,000 t.
    assert result.emissions_t_co2 == pytest.approx(102_500)
    intensity = result.carbon_intensity
    assert intensity.value == pytest.approx(102_500 / 205_350)
    assert (intensity.threshold, intensity.passed) == (0.20, False)
    assert intensity.gap == pytest.approx(102_500 / 205_350 - 0.20)
    assert "200,000-1,000,000" in intensity.basis
    # Clean: 1.4e9 kWh × 0.1229 kgce/kWh = 172,060 tce of 205,350.
    share = result.clean_energy_share
    assert share.value == pytest.approx(172_060 / 205_350)
    assert (share.threshold, share.passed) == (0.90, False)
    assert share.gap == pytest.approx(0.90 - 172_060 / 205_350)


def test_the_electricity_method_moves_a_park_between_bands():
    kwargs = {"green_electricity_kwh": 3.9e9, "process_emissions_t_co2": 10_000.0}
    coal_eq = park_zero_carbon_indicators(
        4e9, {}, grid_factor_kg_per_kwh=0.5, config=COAL_EQUIVALENT, **kwargs
    )
    # 4e9 kWh × 0.300 kgce/kWh = 1,200,000 tce: above the band, limit 0.30.
    # Emissions: 1e8 kWh × 0.5 kg = 50,000 t + 10,000 t process = 60,000 t → 0.05 t/tce.
    assert coal_eq.total_energy_tce == pytest.approx(1_200_000)
    assert coal_eq.carbon_intensity.threshold == 0.30
    assert coal_eq.carbon_intensity.passed
    assert coal_eq.carbon_intensity.gap == pytest.approx(0.05 - 0.30)
    assert coal_eq.clean_energy_share.value == pytest.approx(0.975)
    assert coal_eq.clean_energy_share.gap == pytest.approx(0.90 - 0.975)
    # Equivalent value: 4e9 × 0.1229 = 491,600 tce, inside the band, limit 0.20.
    equivalent = park_zero_carbon_indicators(4e9, {}, grid_factor_kg_per_kwh=0.5, **kwargs)
    assert equivalent.electricity_conversion is ElectricityConversion.EQUIVALENT_VALUE
    assert equivalent.carbon_intensity.threshold == 0.20
    assert equivalent.carbon_intensity.value == pytest.approx(60_000 / 491_600)


@pytest.mark.parametrize(
    ("tce", "limit", "words"),
    [(199_999, 0.20, "assumption"), (1_000_000, 0.20, "band"), (1_000_001, 0.30, "above")],
)
def test_band_edges(tce, limit, words):
    result = park_zero_carbon_indicators(0, {"x_tce": tce}, config=ROUND)
    assert result.carbon_intensity.threshold == limit
    assert words in result.carbon_intensity.basis


def test_natural_gas_counts_as_clean_only_when_configured():
    # 1,000,000 m3 × 1.2143 kgce/m3 = 1,214.3 tce, all of the park's energy use.
    plain = park_zero_carbon_indicators(0, {"natural_gas": 1_000_000})
    assert plain.total_energy_tce == pytest.approx(1_214.3)
    assert plain.clean_energy_share.value == 0
    assert plain.emissions_t_co2 == pytest.approx(1_214.3 * 56.1 * GJ_PER_TCE / 1000)
    gas_clean = ZeroCarbonConfig(clean_fuels=frozenset({"natural_gas"}))
    assert park_zero_carbon_indicators(
        0, {"natural_gas": 1e6}, config=gas_clean
    ).clean_energy_share.passed


def test_default_fuel_coefficients_follow_gb_t_2589():
    assert FUELS["coal"].tce_per_unit * 1000 == pytest.approx(0.7143)
    assert FUELS["natural_gas"].tce_per_unit * 1000 == pytest.approx(1.2143)
    assert FUELS["fuel_oil"].tce_per_unit * 1000 == pytest.approx(1.4286)
    # IPCC 2006 other bituminous coal 94,600 kg/TJ × 29.3076 GJ/tce = 2.7725 tCO2/tce.
    assert FUELS["coal"].t_co2_per_tce == pytest.approx(2.7725, abs=1e-4)
    # 1 t raw coal: 0.7143 tce × 2.7725 = 1.9804 tCO2; 1 m3 gas: 1.2143 kgce × 1.6442 kg/kgce.
    assert FUELS["coal"].kg_co2_per_unit * 1000 == pytest.approx(1980.4, abs=0.1)
    assert FUELS["natural_gas"].kg_co2_per_unit == pytest.approx(1.9965, abs=1e-4)


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        ((100, {"peat": 1}), {}, "fuels[peat]"),
        ((100, {"coal": -1}), {}, "fuels[coal]"),
        ((100, {}), {"green_electricity_kwh": 101}, "green_electricity_kwh"),
        ((float("nan"), {}), {}, "electricity_kwh"),
        ((0, {}), {}, "electricity_kwh"),
        ((100, {}), {"period_days": 0}, "period_days"),
        ((100, {}), {"certificate_kwh": -1}, "certificate_kwh"),
    ],
)
def test_bad_park_inputs_name_the_field(args, kwargs, field):
    with pytest.raises(InvalidInput) as info:
        park_zero_carbon_indicators(*args, **kwargs)
    assert info.value.field == field


def test_product_split_sums_to_the_gram():
    # 1,000 g over three equal outputs: 333.33 each, the spare gram to the first name.
    assert product_footprint(1_000, {"b": 5, "a": 5, "c": 5}) == {"a": 334, "b": 333, "c": 333}
    # 10 g over outputs 1:2 → 3.33 and 6.67; the spare gram goes to the larger remainder.
    assert product_footprint(10, {"x": 1, "y": 2}) == {"x": 3, "y": 7}
    split = product_footprint(123_456_789, {"steel": 7_919, "wire": 104_729, "bolts": 1, "idle": 0})
    assert sum(split.values()) == 123_456_789 and split["idle"] == 0
    assert product_footprint(0, {}) == {}


@pytest.mark.parametrize(
    ("total", "outputs", "field"),
    [
        (1.5, {"a": 1}, "total_g_co2e"),
        (-1, {"a": 1}, "total_g_co2e"),
        (10, {"a": -1}, "output_by_product[a]"),
        (10, {"a": 0.5}, "output_by_product[a]"),
        (10, {"a": 0}, "output_by_product"),
    ],
)
def test_bad_product_inputs_name_the_field(total, outputs, field):
    with pytest.raises(InvalidInput) as info:
        product_footprint(total, outputs)
    assert info.value.field == field
