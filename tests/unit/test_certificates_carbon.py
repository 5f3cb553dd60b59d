"""Pure tests of carbon attribution, checked against figures worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from certificates.carbon import (
    GRID_FACTOR_KG_PER_KWH,
    RESIDUAL_FACTOR_KG_PER_KWH,
    carbon_footprint,
    park_indicators,
)
from certificates.exceptions import InvalidInput
from certificates.lots import Lot, LotStatus, Technology

H0 = datetime(2026, 5, 1, 2, tzinfo=UTC)
H1, H2 = H0 + timedelta(hours=1), H0 + timedelta(hours=2)


def _retired(lot_id: str, hour: datetime, energy_wh: int, beneficiary: str = "ent-a") -> Lot:
    return Lot(
        lot_id=lot_id,
        generator_asset_id="gen-1",
        technology=Technology.WIND,
        grid_area="CN-JS",
        production_hour_start=hour,
        energy_wh=energy_wh,
        serial_start=0,
        serial_end=energy_wh,
        owner_enterprise_id="ent-a",
        status=LotStatus.RETIRED,
        beneficiary_enterprise_id=beneficiary,
        consumption_period_start=H0,
        consumption_period_end=H2,
    )


def test_footprint_by_hand():
    consumption = {H0: 1_000, H1: 3_000}
    lots = [_retired("a", H0, 1_500), _retired("b", H2, 500)]
    result = carbon_footprint("ent-a", consumption, lots, 0.5, 0.6)
    assert result.consumption_wh == 4_000
    assert result.retired_certificate_wh == 2_000
    assert result.location_based_kg_co2e == pytest.approx(4 * 0.5)
    assert result.market_based_kg_co2e == pytest.approx((4 - 2) * 0.6)
    # Hour 0: min(1000, 1500) = 1000; hour 1: no certificate; hour 2: nothing consumed.
    assert result.hourly_matched_cfe_share == pytest.approx(1_000 / 4_000)


def test_surplus_certificates_do_not_make_market_based_negative():
    result = carbon_footprint("ent-a", {H0: 1_000}, [_retired("a", H0, 5_000)], 0.5, 0.6)
    assert result.market_based_kg_co2e == 0
    assert result.hourly_matched_cfe_share == 1


def test_footprint_without_consumption_has_zero_share():
    result = carbon_footprint("ent-a", {}, [])
    assert (result.consumption_wh, result.hourly_matched_cfe_share) == (0, 0.0)


def test_footprint_rejects_lots_retired_for_someone_else():
    with pytest.raises(InvalidInput) as info:
        carbon_footprint("ent-a", {H0: 1}, [_retired("a", H0, 1, beneficiary="ent-b")])
    assert info.value.field == "retired_lots"


@pytest.mark.parametrize(
    "consumption",
    [{H0 + timedelta(minutes=15): 1}, {H0: -1}, {datetime(2026, 5, 1): 1}],
)
def test_footprint_rejects_bad_consumption(consumption):
    with pytest.raises(InvalidInput):
        carbon_footprint("ent-a", consumption, [])


def test_footprint_rejects_negative_factor():
    with pytest.raises(InvalidInput):
        carbon_footprint("ent-a", {H0: 1}, [], -0.1, 0.5)


def test_park_indicators_by_hand():
    result = park_indicators(10_000, 4_000, 3_000, 2_000, 0.5, 0.6)
    assert result.green_power_share == pytest.approx(0.6)
    assert result.location_based_kg_co2e == pytest.approx(6 * 0.5)  # grid supply 6 kWh
    assert result.market_based_kg_co2e == pytest.approx((6 - 2) * 0.6)
    assert result.certificates_issued_wh == 3_000


def test_park_green_share_is_capped_at_one():
    result = park_indicators(10_000, 8_000, 0, 5_000, 0.5, 0.6)
    assert result.green_power_share == 1.0
    assert result.market_based_kg_co2e == 0
    assert park_indicators(0, 0, 0, 0).green_power_share == 0.0


def test_default_factors():
    assert GRID_FACTOR_KG_PER_KWH == 0.5366
    assert 0.5 < RESIDUAL_FACTOR_KG_PER_KWH < 0.7
