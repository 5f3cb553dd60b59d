"""Market-based Scope 2, hourly vs annual matching and emission factor tables, by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from certificates.carbon import (
    CALLER_RESIDUAL_SOURCE,
    DEFAULT_RESIDUAL_SOURCE,
    RESIDUAL_FACTOR_KG_PER_KWH,
    carbon_footprint,
)
from certificates.exceptions import InvalidInput
from certificates.factors import (
    EXCLUDING_MARKET_NONFOSSIL_KG_PER_KWH,
    GRID_FACTORS_KG_PER_KWH,
    factor_for,
)
from certificates.lots import Lot, LotStatus, Technology

H0 = datetime(2026, 5, 1, 2, tzinfo=UTC)
H1 = H0 + timedelta(hours=1)


def _retired(hour: datetime, energy_wh: int, area: str = "CN-JS", tech=Technology.PV) -> Lot:
    return Lot(
        lot_id=f"{area}-{hour:%H}-{energy_wh}",
        generator_asset_id="gen-1",
        technology=tech,
        grid_area=area,
        production_hour_start=hour,
        energy_wh=energy_wh,
        serial_start=0,
        serial_end=energy_wh,
        owner_enterprise_id="ent-a",
        status=LotStatus.RETIRED,
        beneficiary_enterprise_id="ent-a",
    )


def test_a_surplus_hour_counts_annually_but_never_covers_another_hour():
    consumption = {H0: 1_000, H1: 3_000}
    lots = [_retired(H0, 2_500), _retired(H1, 1_000)]  # H0 has 1,500 Wh too many
    result = carbon_footprint("ent-a", consumption, lots, 0.5, 0.6)
    # Hourly: min(1000, 2500) + min(3000, 1000) = 2000 of 4000; annual: 3500 of 4000.
    assert result.hourly_matched_wh == 2_000
    assert result.hourly_matched_cfe_share == pytest.approx(0.5)
    assert result.annual_matched_share == pytest.approx(0.875)
    # Market-based: 3.5 kWh of pv at 0 + the remaining 0.5 kWh × 0.6.
    assert result.market_based_kg_co2e == pytest.approx(0.3)
    assert result.location_based_kg_co2e == pytest.approx(2.0)


def test_lots_of_another_grid_area_do_not_match_hourly():
    consumption = {H0: 1_000, H1: 3_000}
    lots = [_retired(H0, 1_000), _retired(H1, 3_000, area="CN-ZJ")]
    same_area = carbon_footprint("ent-a", consumption, lots, 0.5, 0.6, grid_area="CN-JS")
    assert same_area.hourly_matched_wh == 1_000
    assert same_area.hourly_matched_cfe_share == pytest.approx(0.25)
    # Annual matching and market-based still count the CN-ZJ certificates.
    assert same_area.annual_matched_share == 1.0
    assert same_area.market_based_kg_co2e == 0
    anywhere = carbon_footprint("ent-a", consumption, lots, 0.5, 0.6)
    assert anywhere.hourly_matched_cfe_share == 1.0


def test_annual_share_is_capped_and_certificates_beyond_consumption_emit_nothing_extra():
    lots = [_retired(H0, 5_000, tech=Technology.WIND)]
    result = carbon_footprint(
        "ent-a", {H0: 1_000}, lots, 0.5, 0.6, certificate_factors_kg_per_kwh={"wind": 0.1}
    )
    assert result.annual_matched_share == 1.0
    # Only the 1 kWh claimed counts, at the certificates' own 0.1 kg/kWh; no residual.
    assert result.market_based_kg_co2e == pytest.approx(0.1)


def test_a_technology_without_factor_is_rejected():
    with pytest.raises(InvalidInput) as info:
        carbon_footprint(
            "ent-a", {H0: 1}, [_retired(H0, 1)], certificate_factors_kg_per_kwh={"wind": 0.0}
        )
    assert info.value.field == "certificate_factors_kg_per_kwh"


def test_footprint_names_the_residual_factor_it_used():
    assert carbon_footprint("ent-a", {H0: 1}, []).residual_factor_source == DEFAULT_RESIDUAL_SOURCE
    caller = carbon_footprint("ent-a", {H0: 1}, [], 0.5, 0.7)
    assert caller.residual_factor_source == CALLER_RESIDUAL_SOURCE
    named = carbon_footprint("ent-a", {H0: 1}, [], 0.5, 0.7, residual_factor_source="JS 2023")
    assert named.residual_factor_source == "JS 2023"


def test_published_factor_tables_and_lookup():
    assert factor_for(2021, GRID_FACTORS_KG_PER_KWH) == 0.5568
    assert factor_for(2023, GRID_FACTORS_KG_PER_KWH) == 0.5306
    assert factor_for(2023, EXCLUDING_MARKET_NONFOSSIL_KG_PER_KWH) == 0.6096
    assert RESIDUAL_FACTOR_KG_PER_KWH == factor_for(2022, EXCLUDING_MARKET_NONFOSSIL_KG_PER_KWH)
    with pytest.raises(InvalidInput) as info:
        factor_for(2021, EXCLUDING_MARKET_NONFOSSIL_KG_PER_KWH)
    assert "2021" in info.value.rule
