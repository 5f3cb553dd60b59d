"""Green-power purchase offers on small cases solved by hand: what is bought, where, and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bidding.exceptions import InvalidInput
from bidding.green_offers import (
    GreenPowerOffer,
    GreenProduct,
    GreenTarget,
    Side,
    build_green_offers,
)
from bidding.green_shortfall import ShortfallReason
from bidding.intervals import MARKET_TZ

START = datetime(2025, 7, 16, tzinfo=MARKET_TZ)  # local midnight = 2025-07-15 16:00 UTC
START_UTC = datetime(2025, 7, 15, 16, tzinfo=UTC)
HOUR = timedelta(hours=1)
BUNDLED = [40_000, 46_000, 44_000, 42_000]  # fen/MWh per hour: 400..460 yuan/MWh
CERTIFICATE = 500  # fen/MWh: 5 yuan per certificate
CONSUMPTION = {"ent-a": [100.0, 100.0, 100.0, 100.0]}  # kWh per hour
PV = {"ent-a": [0.0, 50.0, 150.0, 0.0]}  # covers 0 + 50 + 100 = 150 kWh, 50 kWh surplus at 2


def _target(hourly=False, share=0.8, bundled_limit=50_000, certificate_limit=1_000, eid="ent-a"):
    return GreenTarget(eid, share, hourly, bundled_limit, certificate_limit)


def _buys(solution, product):
    return [o for o in solution.offers if o.side is Side.BUY and o.product is product]


def test_period_matching_uses_pv_first_then_cheaper_certificates() -> None:
    solution = build_green_offers(
        [_target()],
        CONSUMPTION,
        PV,
        BUNDLED,
        CERTIFICATE,
        START,
        surplus_reserve_price_fen_per_mwh=30_000,
    )
    # Target 0.8 x 400 = 320 kWh; PV gives 150, certificates the other 170 kWh.
    assert _buys(solution, GreenProduct.CERTIFICATE) == [
        GreenPowerOffer(
            "ent-a",
            GreenProduct.CERTIFICATE,
            Side.BUY,
            170_000,
            1_000,
            START_UTC,
            START_UTC + 4 * HOUR,
        )
    ]
    assert _buys(solution, GreenProduct.BUNDLED) == []
    sells = [o for o in solution.offers if o.side is Side.SELL]
    assert sells == [
        GreenPowerOffer(
            "ent-a",
            GreenProduct.BUNDLED,
            Side.SELL,
            50_000,
            30_000,
            START_UTC + 2 * HOUR,
            START_UTC + 3 * HOUR,
        )
    ]
    plan = solution.enterprises["ent-a"]
    assert plan.onsite_pv_used_kwh == pytest.approx(150.0)
    assert plan.achieved_share == pytest.approx(0.8)
    assert plan.shortfall_kwh == 0.0
    assert plan.cost_fen == 85  # 0.17 MWh x 500 fen/MWh
    assert solution.total_cost_fen == 85


def test_hourly_matching_needs_bundled_power_in_the_cheapest_open_hours() -> None:
    solution = build_green_offers(
        [_target(hourly=True)], CONSUMPTION, PV, BUNDLED, CERTIFICATE, START
    )
    # 170 kWh must come from bundled power where PV leaves room (100, 50, 0, 100 kWh):
    # all of hour 0 at 400 yuan/MWh, then 70 kWh of hour 3 at 420; certificates don't count.
    bundled = _buys(solution, GreenProduct.BUNDLED)
    assert [(o.period_start, o.energy_wh, o.price_limit_fen_per_mwh) for o in bundled] == [
        (START_UTC, 100_000, 50_000),
        (START_UTC + 3 * HOUR, 70_000, 50_000),
    ]
    assert _buys(solution, GreenProduct.CERTIFICATE) == []
    assert solution.enterprises["ent-a"].cost_fen == 4_000 + 2_940
    assert solution.enterprises["ent-a"].achieved_share == pytest.approx(0.8)


def test_price_limits_bind_and_the_rest_is_reported_as_shortfall() -> None:
    hourly = _target(hourly=True, bundled_limit=41_000, eid="ent-a")  # only hour 0 is cheap enough
    period = _target(bundled_limit=30_000, certificate_limit=400, eid="ent-b")  # nothing is
    consumption = {**CONSUMPTION, "ent-b": [100.0] * 4}
    solution = build_green_offers([hourly, period], consumption, PV, BUNDLED, CERTIFICATE, START)
    a, b = solution.enterprises["ent-a"], solution.enterprises["ent-b"]
    assert a.bundled_wh == 100_000 and a.shortfall_kwh == pytest.approx(70.0)
    assert a.achieved_share == pytest.approx(250 / 400)
    assert b.bundled_wh == b.certificate_wh == 0 and b.shortfall_kwh == pytest.approx(320.0)
    assert [o.enterprise_id for o in solution.offers if o.side is Side.BUY] == ["ent-a"]
    for offer in solution.offers:
        assert offer.price_limit_fen_per_mwh <= 41_000


def test_energy_is_rounded_up_for_buys_and_down_for_sells() -> None:
    consumption = {"ent-a": [1.2345678, 2.3456789]}
    pv = {"ent-a": [0.0, 3.0000009]}  # 2.3456789 used, 0.654322 kWh surplus
    solution = build_green_offers([_target(share=0.7)], consumption, pv, 45_000, CERTIFICATE, START)
    # Target 0.7 x 3.5802467 = 2.50617269 kWh; PV covers 2.3456789; 160.49379 Wh left.
    (certificate,) = _buys(solution, GreenProduct.CERTIFICATE)
    assert certificate.energy_wh == 161  # up: the target is met
    (sell,) = [o for o in solution.offers if o.side is Side.SELL]
    assert sell.energy_wh == 654  # down: never more than the forecast surplus
    plan = solution.enterprises["ent-a"]
    assert plan.certificate_wh == 161 and plan.surplus_offered_wh == 654
    assert 2345.6789 + plan.certificate_wh >= 2506.17269
    assert plan.shortfall_kwh == 0.0 and plan.achieved_share >= 0.7


def test_scarce_bundled_power_goes_to_the_hourly_target() -> None:
    consumption = {"hourly": [100.0] * 4, "period": [100.0] * 4}
    targets = [_target(True, 0.5, eid="hourly"), _target(False, 0.5, eid="period")]
    # Against a grid price of 448 yuan/MWh bundled power at 450 costs a 2 yuan premium,
    # cheaper than a 5-yuan certificate: alone, "period" buys bundled power too.
    common = dict(grid_price_fen_per_mwh=44_800)
    plenty = build_green_offers(targets, consumption, {}, 45_000, CERTIFICATE, START, **common)
    assert plenty.enterprises["period"].bundled_wh == 200_000
    # 50 kWh an hour is exactly what "hourly" needs, so "period" turns to certificates.
    scarce = build_green_offers(
        targets, consumption, {}, 45_000, CERTIFICATE, START, bundled_supply_kwh=50.0, **common
    )
    assert scarce.enterprises["hourly"].bundled_wh == 200_000
    assert scarce.enterprises["period"].bundled_wh == 0
    assert scarce.enterprises["period"].certificate_wh == 200_000
    assert (
        scarce.enterprises["hourly"].shortfall_kwh
        == scarce.enterprises["period"].shortfall_kwh
        == 0
    )
    assert scarce.total_cost_fen == 9_000 + 100  # 0.2 MWh at 45,000 + 0.2 MWh at 500


def test_an_enterprise_without_target_only_sells_its_surplus() -> None:
    consumption = {**CONSUMPTION, "ent-c": [10.0] * 4}
    pv = {**PV, "ent-c": [0.0, 30.0, 5.0, 0.0]}
    solution = build_green_offers([_target()], consumption, pv, BUNDLED, CERTIFICATE, START)
    offers = [o for o in solution.offers if o.enterprise_id == "ent-c"]
    assert [(o.side, o.energy_wh, o.period_start) for o in offers] == [
        (Side.SELL, 20_000, START_UTC + HOUR)
    ]
    assert solution.enterprises["ent-c"].achieved_share == pytest.approx(15 / 40)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (dict(targets=[_target(share=1.5)]), "targets[0].share"),
        (dict(targets=[_target(eid="ghost")]), "consumption_kwh[ghost]"),
        (dict(onsite_pv_kwh={"ent-a": [1.0, 2.0]}), "onsite_pv_kwh[ent-a]"),
        (
            dict(bundled_price_fen_per_mwh=[1.0, float("nan"), 1.0, 1.0]),
            "bundled_price_fen_per_mwh",
        ),
        (dict(certificate_price_fen_per_mwh=-1), "certificate_price_fen_per_mwh"),
        (dict(period_start=datetime(2025, 7, 16)), "period_start"),
    ],
)
def test_malformed_inputs_name_the_field(change, field) -> None:
    arguments = dict(
        targets=[_target()],
        consumption_kwh=CONSUMPTION,
        onsite_pv_kwh=PV,
        bundled_price_fen_per_mwh=BUNDLED,
        certificate_price_fen_per_mwh=CERTIFICATE,
        period_start=START,
    )
    with pytest.raises(InvalidInput) as err:
        build_green_offers(**{**arguments, **change})
    assert err.value.field == field


def test_a_certificate_supply_caps_the_plan_and_says_so() -> None:
    # Target 0.8 x 400 = 320 kWh; PV gives 150, and sellers have only 100 kWh of
    # certificates and bundled power together: 70 kWh short, for want of supply.
    solution = build_green_offers(
        [_target()], CONSUMPTION, PV, BUNDLED, CERTIFICATE, START, certificate_supply_kwh=100.0
    )
    plan = solution.enterprises["ent-a"]
    assert plan.certificate_wh + plan.bundled_wh == 100_000
    assert plan.shortfall_kwh == pytest.approx(70.0)
    assert plan.shortfall_reason == ShortfallReason.SUPPLY
    assert plan.shortfall_detail == (
        "the park's generators are forecast to offer only 100 kWh of certificates in the period"
    )


def test_a_target_out_of_reach_at_the_limits_is_short_for_the_price() -> None:
    # Hourly matching counts no certificates; bundled power within 42,000 fen/MWh in hours
    # 0 and 3 only, where PV leaves 100 + 100 kWh: 150 + 200 = 350 kWh of 0.9 x 400 = 360.
    solution = build_green_offers(
        [_target(hourly=True, share=0.9, bundled_limit=42_000)],
        CONSUMPTION,
        PV,
        BUNDLED,
        CERTIFICATE,
        START,
    )
    plan = solution.enterprises["ent-a"]
    assert plan.bundled_wh == 200_000 and plan.shortfall_kwh == pytest.approx(10.0)
    assert plan.shortfall_reason == ShortfallReason.PRICE_ABOVE_LIMIT
    assert plan.shortfall_detail == (
        "an hourly-matched target counts no certificates; bundled power forecast above the "
        "limit of 42,000 fen/MWh in 2 of 4 hours"
    )
