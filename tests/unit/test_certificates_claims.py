"""Each Wh is claimed once: the consumption-period rule, proportional attribution, and
footprints that add up over any partition of a year (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bidding.intervals import MARKET_TZ
from certificates.carbon import carbon_footprint
from certificates.claims import attribute, check_consumption_period, claim_window
from certificates.exceptions import InvalidInput
from certificates.lots import Lot, LotStatus, Technology

HOUR = timedelta(hours=1)


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=MARKET_TZ).astimezone(UTC)


YEAR_START, YEAR_END = _local(2025, 1, 1), _local(2026, 1, 1)
YEAR_HOURS = (YEAR_END - YEAR_START) // HOUR
#: The finding: a certificate produced on 2026-12-04 offset consumption on 2026-11-10.
PRODUCED = _local(2026, 12, 4, 10)


def _retired(
    lot_id: str,
    produced: datetime,
    energy_wh: int,
    start: datetime | None,
    end: datetime | None,
    technology: Technology = Technology.PV,
) -> Lot:
    return Lot(
        lot_id=lot_id,
        generator_asset_id="gen-1",
        technology=technology,
        grid_area="CN-JS",
        production_hour_start=produced,
        energy_wh=energy_wh,
        serial_start=0,
        serial_end=energy_wh,
        owner_enterprise_id="ent-a",
        status=LotStatus.RETIRED,
        beneficiary_enterprise_id="ent-a",
        consumption_period_start=start,
        consumption_period_end=end,
    )


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        # Before the production month (the finding).
        (_local(2026, 11, 10), _local(2026, 11, 11), "consumption_period_start"),
        (_local(2026, 11, 30, 23), _local(2026, 12, 2), "consumption_period_start"),
        # After the vintage year, though the GEC would still be valid.
        (_local(2027, 1, 1), _local(2027, 1, 2), "consumption_period_start"),
        # Across a year boundary.
        (_local(2026, 12, 31), _local(2027, 1, 1, 1), "consumption_period_end"),
        # The finding's 0001-01-01 .. 9999-12-31.
        (
            datetime(1, 1, 1, tzinfo=UTC),
            datetime(9999, 12, 31, tzinfo=UTC),
            "consumption_period_start",
        ),
        (_local(2026, 12, 5), _local(2026, 12, 5), "consumption_period_end"),
    ],
)
def test_a_period_breaking_the_rule_is_refused_naming_the_field(start, end, field):
    with pytest.raises(InvalidInput) as info:
        check_consumption_period(start, end, PRODUCED)
    assert info.value.field == field


def test_the_production_month_and_the_rest_of_its_year_are_claimable():
    assert check_consumption_period(_local(2026, 12, 1), _local(2026, 12, 2), PRODUCED) == 2026
    assert check_consumption_period(_local(2026, 12, 1), _local(2027, 1, 1), PRODUCED) == 2026
    # Without the lot only the one-year rule applies.
    assert check_consumption_period(_local(2026, 1, 1), _local(2027, 1, 1)) == 2026


def test_an_old_or_stray_period_is_clipped_to_what_the_rule_allows():
    huge = _retired(
        "a", PRODUCED, 10, datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)
    )
    assert claim_window(huge) == (_local(2026, 12, 1), _local(2027, 1, 1))
    before = _retired("b", PRODUCED, 10, _local(2026, 11, 10), _local(2026, 11, 11))
    assert claim_window(before) is None


def test_attribution_by_hand_follows_consumption_with_the_largest_remainder():
    h0 = _local(2025, 3, 10, 8)
    consumption = {h0: 1_000, h0 + HOUR: 2_000, h0 + 2 * HOUR: 4_000}
    lot = _retired("a", h0, 1_000, h0, h0 + 3 * HOUR)
    # 1000 × 1/7, 2/7, 4/7 = 142.86, 285.71, 571.43: floors 142 + 285 + 571 = 998, the
    # two Wh left go to the largest remainders (.86, .71).
    parts = attribute([lot], consumption)
    assert [parts[h]["pv"] for h in sorted(parts)] == [143, 286, 571]
    # The middle hour's footprint claims its 286 Wh only: 1,714 Wh × 0.6 g/Wh residual.
    middle = carbon_footprint(
        "ent-a", consumption, [lot], 0.5, 0.6, period=(h0 + HOUR, h0 + 2 * HOUR)
    )
    assert (middle.retired_certificate_wh, middle.claimed_certificate_wh) == (286, 286)
    assert middle.market_based_g_co2e == 1_028  # 1,714 × 0.6 = 1,028.4
    assert middle.location_based_g_co2e == 1_000  # 2,000 × 0.5


def test_without_metered_consumption_a_retirement_is_spread_evenly_and_claims_nothing():
    h0 = _local(2025, 3, 10, 8)
    lot = _retired("a", h0, 10, h0, h0 + 4 * HOUR)
    assert [part["pv"] for _, part in sorted(attribute([lot], {}).items())] == [3, 3, 2, 2]
    footprint = carbon_footprint("ent-a", {}, [lot], period=(h0, h0 + 4 * HOUR))
    assert (footprint.retired_certificate_wh, footprint.claimed_certificate_wh) == (10, 0)


def test_hourly_market_based_for_the_findings_example():
    # Load [10, 10, 10, 10] MWh, certificates [0, 20, 10, 5] MWh from the same hours, all
    # retired for the four hours; residual 0.6096 (2023).
    h0 = _local(2025, 6, 1, 10)
    hours = [h0 + n * HOUR for n in range(4)]
    consumption = dict.fromkeys(hours, 10_000_000)
    lots = [
        _retired(f"l{n}", hours[n], wh, h0, h0 + 4 * HOUR)
        for n, wh in ((1, 20_000_000), (2, 10_000_000), (3, 5_000_000))
    ]
    result = carbon_footprint("ent-a", consumption, lots, 0.5306, 0.6096)
    assert result.hourly_matched_wh == 25_000_000
    assert result.hourly_matched_cfe_share == 0.625
    assert result.annual_matched_share == 0.875
    assert result.market_based_g_co2e == 3_048_000  # 5 MWh × 0.6096 t/MWh
    assert result.hourly_market_based_g_co2e == 9_144_000  # 15 MWh × 0.6096
    assert result.location_based_g_co2e == 21_224_000  # 40 MWh × 0.5306


# --- property: any partition of a year adds up to the year, each Wh claimed once -----

_offsets = st.integers(0, YEAR_HOURS - 1)


@st.composite
def _retirements(draw) -> list[Lot]:
    lots = []
    for n in range(draw(st.integers(0, 6))):
        produced = YEAR_START + draw(_offsets) * HOUR
        month = produced.astimezone(MARKET_TZ)
        earliest = _local(month.year, month.month, 1)
        first = (earliest - YEAR_START) // HOUR
        start_h = draw(st.integers(first, YEAR_HOURS - 1))
        end_h = draw(st.integers(start_h + 1, YEAR_HOURS))
        start, end = YEAR_START + start_h * HOUR, YEAR_START + end_h * HOUR
        check_consumption_period(start, end, produced)
        technology = draw(st.sampled_from(list(Technology)))
        energy_wh = draw(st.integers(1, 5_000_000))
        lots.append(_retired(f"lot-{n}", produced, energy_wh, start, end, technology))
    return lots


_consumption = st.dictionaries(
    _offsets.map(lambda h: YEAR_START + h * HOUR), st.integers(0, 3_000_000), max_size=60
)
_cuts = st.lists(_offsets, max_size=6).map(lambda cuts: sorted(set(cuts)))
_COLUMNS = (
    "consumption_wh",
    "retired_certificate_wh",
    "claimed_certificate_wh",
    "hourly_matched_wh",
    "location_based_g_co2e",
    "market_based_g_co2e",
    "hourly_market_based_g_co2e",
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lots=_retirements(), consumption=_consumption, cuts=_cuts)
def test_footprints_over_any_partition_of_a_year_sum_to_the_year(lots, consumption, cuts):
    # An arbitrary non-zero wind factor exercises the pro-rata mix of certificate factors.
    factors = {"pv": 0.0, "wind": 0.0117}

    def footprint(start: datetime, end: datetime):
        return carbon_footprint(
            "ent-a",
            consumption,
            lots,
            0.5306,
            0.6096,
            period=(start, end),
            certificate_factors_kg_per_kwh=factors,
        )

    year = footprint(YEAR_START, YEAR_END)
    bounds = [YEAR_START, *(YEAR_START + h * HOUR for h in cuts if h), YEAR_END]
    parts = [footprint(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
    for column in _COLUMNS:
        assert sum(getattr(part, column) for part in parts) == getattr(year, column), column
    # No Wh is claimed twice: the parts hold exactly the Wh retired, no more.
    assert year.retired_certificate_wh == sum(lot.energy_wh for lot in lots)
    assert year.claimed_certificate_wh <= min(year.consumption_wh, year.retired_certificate_wh)
    assert year.hourly_matched_wh <= min(year.consumption_wh, year.retired_certificate_wh)
