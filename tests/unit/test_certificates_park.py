"""Zero-carbon park indicators and product footprints, checked against hand arithmetic."""

from __future__ import annotations

import pytest

from certificates.carbon import product_footprint
from certificates.exceptions import InvalidInput
from certificates.factors import FUELS, GJ_PER_TCE, ElectricityConversion, Fuel
from certificates.park import ZeroCarbonConfig, park_zero_carbon_indicators

# Round coefficients so the arithmetic below can be done by hand.
ROUND_FUELS = {"coal_t": Fuel("t", 0.7, 2.5, "test"), "x_tce": Fuel("tce", 1.0, 0.0, "test")}
ROUND = ZeroCarbonConfig(fuels=ROUND_FUELS)
COAL_EQUIVALENT = ZeroCarbonConfig(electricity_conversion=ElectricityConversion.COAL_EQUIVALENT)


def test_a_park_in_the_middle_band_failing_both_indicators():
    result = park_zero_carbon_indicators(
        1.5e9,
        {"coal_t": 30_000},
        green_electricity_kwh=1.4e9,
        grid_factor_kg_per_kwh=0.5,
        config=ROUND,
    )
    # Electricity 1.5e9 kWh × 0.1229 kgce/kWh = 184,350 tce; coal 30,000 t × 0.7 = 21,000.
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
    plain = park_zero_carbon_indicators(0, {"gas_m3": 1_000_000})
    assert plain.total_energy_tce == pytest.approx(1_214.3)
    assert plain.clean_energy_share.value == 0
    assert plain.emissions_t_co2 == pytest.approx(1_214.3 * 56.1 * GJ_PER_TCE / 1000)
    gas_clean = ZeroCarbonConfig(clean_fuels=frozenset({"gas_m3"}))
    assert park_zero_carbon_indicators(
        0, {"gas_m3": 1e6}, config=gas_clean
    ).clean_energy_share.passed


def test_default_fuel_coefficients_follow_gb_t_2589():
    assert FUELS["coal_t"].tce_per_unit == 0.7143
    assert FUELS["gas_m3"].tce_per_unit * 10_000 == pytest.approx(12.143)
    assert FUELS["oil_t"].tce_per_unit == 1.4286
    assert FUELS["coal_t"].t_co2_per_tce == pytest.approx(2.7725, abs=1e-4)


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        ((100, {"peat_t": 1}), {}, "fuels[peat_t]"),
        ((100, {"coal_t": -1}), {}, "fuels[coal_t]"),
        ((100, {}), {"green_electricity_kwh": 101}, "green_electricity_kwh"),
        ((float("nan"), {}), {}, "electricity_kwh"),
        ((0, {}), {}, "electricity_kwh"),
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
