"""Pure tests of certificate lots: GEC views, the monthly carry rule, validity and hash form."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from certificates.exceptions import InvalidInput, NotOwner
from certificates.lots import (
    Lot,
    LotStatus,
    Technology,
    expires_at,
    expires_on,
    gec_view,
    is_expired,
    monthly_gec,
)


def _lot(**changes: object) -> Lot:
    fields: dict[str, object] = {
        "lot_id": "GEC-1",
        "generator_asset_id": "gen-1",
        "technology": Technology.PV,
        "grid_area": "CN-JS",
        "production_hour_start": datetime(2026, 3, 10, 4, tzinfo=UTC),
        "energy_wh": 1_500,
        "serial_start": 10,
        "serial_end": 1_510,
        "owner_enterprise_id": "ent-a",
    }
    fields.update(changes)
    return Lot(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("energy_wh", "expected"),
    [(0, (0, 0)), (999_999, (0, 999_999)), (1_000_000, (1, 0)), (2_500_001, (2, 500_001))],
)
def test_gec_view_splits_whole_certificates_and_remainder(energy_wh, expected):
    assert gec_view(energy_wh) == expected


def test_gec_view_rejects_negative_energy():
    with pytest.raises(InvalidInput) as info:
        gec_view(-1)
    assert info.value.field == "energy_wh"
    assert str(info.value) == f"energy_wh: {info.value.rule}"


def test_monthly_gec_carries_remainder_below_one_mwh_into_next_month():
    issued = {"2026-03": 900_000, "2026-01": 2_400_000, "2026-02": 700_000}
    # Jan 2.4 MWh → 2 GEC, carry 0.4; Feb 0.4+0.7 → 1 GEC, carry 0.1; Mar 0.1+0.9 → 1, carry 0.
    assert monthly_gec(issued) == [
        ("2026-01", 2, 400_000),
        ("2026-02", 1, 100_000),
        ("2026-03", 1, 0),
    ]


def test_monthly_gec_carries_across_a_month_without_generation():
    assert monthly_gec({"2025-12": 600_000, "2026-02": 500_000}) == [
        ("2025-12", 0, 600_000),
        ("2026-02", 1, 100_000),
    ]


@pytest.mark.parametrize(("month", "energy_wh"), [("2026-13", 1), ("2026-3", 1), ("2026-03", -1)])
def test_monthly_gec_rejects_bad_months_and_negative_energy(month, energy_wh):
    with pytest.raises(InvalidInput):
        monthly_gec({month: energy_wh})


def test_validity_runs_two_years_from_production_month_through_leap_day():
    produced = datetime(2026, 3, 10, 4, tzinfo=UTC)
    assert expires_on(produced) == date(2028, 3, 1)  # valid through 2028-02-29
    lot = _lot(production_hour_start=produced)
    # Expiry is local (Asia/Shanghai) midnight: 2028-02-29T16:00Z.
    assert not is_expired(lot, datetime(2028, 2, 29, 15, 59, 59, tzinfo=UTC))
    assert is_expired(lot, datetime(2028, 2, 29, 16, tzinfo=UTC))
    assert expires_at(produced) == datetime(2028, 2, 29, 16, tzinfo=UTC)


def test_production_month_is_the_china_local_month():
    assert expires_on(datetime(2026, 12, 31, 15, tzinfo=UTC)) == date(2028, 12, 1)
    assert expires_on(datetime(2026, 12, 31, 16, tzinfo=UTC)) == date(2029, 1, 1)


def test_validity_rejects_naive_datetimes():
    with pytest.raises(InvalidInput):
        expires_on(datetime(2026, 3, 10))
    with pytest.raises(InvalidInput):
        is_expired(_lot(), datetime(2026, 3, 10))


def test_lot_round_trips_through_hash_fields_as_str_and_bytes():
    lot = _lot(
        status=LotStatus.RETIRED,
        beneficiary_enterprise_id="ent-b",
        consumption_period_start=datetime(2026, 3, 1, tzinfo=UTC),
        consumption_period_end=datetime(2026, 4, 1, tzinfo=UTC),
        parent_lot_id="GEC-0",
        trade_id="t-1",
    )
    fields = lot.to_fields()
    assert all(isinstance(value, str) for value in fields.values())
    assert Lot.from_fields(fields) == lot
    as_bytes = {k.encode(): v.encode() for k, v in fields.items()}
    assert Lot.from_fields({**as_bytes, b"seq": b"7"}) == lot
    assert Lot.from_fields(_lot().to_fields()).consumption_period_start is None


@pytest.mark.parametrize(("energy_wh", "serial_end"), [(0, 10), (1_500, 1_509), (-5, 5)])
def test_lot_requires_positive_energy_equal_to_its_serial_span(energy_wh, serial_end):
    with pytest.raises(InvalidInput):
        _lot(energy_wh=energy_wh, serial_end=serial_end)


def test_not_owner_message_names_only_the_lot():
    assert str(NotOwner("GEC-1")) == "lot 'GEC-1' is not owned by the acting enterprise"
