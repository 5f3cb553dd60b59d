"""Product footprints: lines sum to the enterprise to the gram, one certificate, one claim."""

from __future__ import annotations

import pytest

from certificates.carbon import Footprint
from certificates.exceptions import InvalidInput
from certificates.factors import FUELS
from certificates.products import (
    EnterpriseEmissions,
    enterprise_emissions,
    fuel_kg_co2,
    split_by_output,
)


def _footprint(consumption_wh: int, retired_wh: int, location_kg: float, market_kg: float):
    """A footprint as carbon_footprint reports it: integer grams, the claim capped at the
    consumption (one hour, so the cap is the whole period's)."""
    location_g, market_g = round(location_kg * 1000), round(market_kg * 1000)
    claimed_wh = min(consumption_wh, retired_wh)
    return Footprint(consumption_wh, retired_wh, location_g, market_g, market_g, claimed_wh, 0)


def test_enterprise_totals_add_fuels_to_scope_2_in_grams():
    # 1,000 kg coal: 1,000 × 0.7143e-3 tce × 2.77250 t/tce = 1.98040 t = 1,980,400 g (±1).
    fuel_kg = fuel_kg_co2({"coal": 1_000})
    assert fuel_kg == pytest.approx(FUELS["coal"].kg_co2_per_unit * 1_000)
    emissions = enterprise_emissions(_footprint(5_000_000, 3_000_000, 2683.0, 1171.2), 1980.4)
    assert emissions.fuel_g_co2e == 1_980_400
    assert emissions.location_based_g_co2e == 2_683_000 + 1_980_400
    assert emissions.market_based_g_co2e == 1_171_200 + 1_980_400
    assert emissions.claimed_certificate_wh == 3_000_000
    # Certificates beyond consumption are not claimed.
    assert enterprise_emissions(_footprint(10, 99, 0.0, 0.0), 0.0).claimed_certificate_wh == 10


def test_two_lines_split_every_column_exactly():
    emissions = EnterpriseEmissions(1_000_001, 400_000, 0, 3_000_001)
    castings, forgings = split_by_output(emissions, {"forgings": 1, "castings": 2})
    # Location 1,000,001 × 2/3 = 666,667.33 and 333,333.67: the spare gram to forgings.
    assert (castings.location_based_g_co2e, forgings.location_based_g_co2e) == (666_667, 333_334)
    # Market 400,000 × 2/3 = 266,666.67 and 133,333.33.
    assert (castings.market_based_g_co2e, forgings.market_based_g_co2e) == (266_667, 133_333)
    # Certificates 3,000,001 Wh: 2,000,000.67 and 1,000,000.33 — each Wh backs one line.
    assert (castings.claimed_certificate_wh, forgings.claimed_certificate_wh) == (
        2_000_001,
        1_000_000,
    )


def test_awkward_split_sums_to_the_gram_and_idle_lines_get_nothing():
    emissions = EnterpriseEmissions(7, 5, 1, 11)
    lines = split_by_output(emissions, {"a": 1, "b": 1, "c": 1, "idle": 0})
    assert [line.product_line for line in lines] == ["a", "b", "c", "idle"]
    assert sum(line.location_based_g_co2e for line in lines) == 7
    assert sum(line.market_based_g_co2e for line in lines) == 5
    assert sum(line.claimed_certificate_wh for line in lines) == 11
    assert lines[-1] == lines[-1].__class__("idle", 0, 0, 0, 0)
    # Ties go to the first name: 7 = 3 + 2 + 2.
    assert [line.location_based_g_co2e for line in lines[:3]] == [3, 2, 2]


@pytest.mark.parametrize(
    ("outputs", "field"),
    [({}, "outputs"), ({"a": 0}, "output_by_product"), ({"a": -1}, "output_by_product[a]")],
)
def test_bad_outputs_name_the_field(outputs, field):
    with pytest.raises(InvalidInput) as info:
        split_by_output(EnterpriseEmissions(10, 10, 0, 0), outputs)
    assert info.value.field == field


def test_unknown_fuel_is_refused():
    with pytest.raises(InvalidInput) as info:
        fuel_kg_co2({"peat": 1})
    assert info.value.field == "fuels[peat]"
