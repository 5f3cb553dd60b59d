"""The monthly GEC view (remainder below 1 MWh carried on) and a trade's amount, by hand."""

from __future__ import annotations

import pytest

from certificates.exceptions import InvalidInput
from certificates.lots import MonthlyGec, monthly_gec_rows
from certificates.trades import trade_amount_fen


def _rows(issued, *window):
    return [
        (r.month, r.issued_wh, r.carried_in_wh, r.gec, r.carried_out_wh)
        for r in monthly_gec_rows(issued, *window)
    ]


def test_the_remainder_carries_across_three_months():
    issued = {"2026-04": 700_000, "2026-05": 800_000, "2026-06": 600_000}
    assert _rows(issued) == [
        ("2026-04", 700_000, 0, 0, 700_000),
        ("2026-05", 800_000, 700_000, 1, 500_000),
        ("2026-06", 600_000, 500_000, 1, 100_000),
    ]


def test_exact_multiples_carry_nothing():
    issued = {"2026-04": 3_000_000, "2026-05": 1_000_000}
    assert _rows(issued) == [
        ("2026-04", 3_000_000, 0, 3, 0),
        ("2026-05", 1_000_000, 0, 1, 0),
    ]


def test_the_carry_crosses_the_year_boundary_and_empty_months():
    issued = {"2025-11": 400_000, "2025-12": 400_000, "2026-02": 250_000}
    assert _rows(issued) == [
        ("2025-11", 400_000, 0, 0, 400_000),
        ("2025-12", 400_000, 400_000, 0, 800_000),
        ("2026-01", 0, 800_000, 0, 800_000),
        ("2026-02", 250_000, 800_000, 1, 50_000),
    ]


def test_a_window_shows_months_without_changing_their_carry():
    issued = {"2025-12": 600_000, "2026-01": 700_000}
    assert monthly_gec_rows(issued, "2026-01", "2026-03") == [
        MonthlyGec("2026-01", 700_000, 600_000, 1, 300_000),
        MonthlyGec("2026-02", 0, 300_000, 0, 300_000),
        MonthlyGec("2026-03", 0, 300_000, 0, 300_000),
    ]
    assert monthly_gec_rows({}) == []
    assert _rows({}, "2026-01", "2026-01") == [("2026-01", 0, 0, 0, 0)]


@pytest.mark.parametrize(
    ("issued", "window", "field"),
    [
        ({"2026-13": 1}, (), "issued_wh_by_month['2026-13']"),
        ({"2026-01": -1}, (), "issued_wh_by_month[2026-01]"),
        ({}, ("1999-12", ""), "from_month"),
        ({}, ("2026-03", "2026-02"), "to_month"),
        ({}, ("", "26-02"), "to_month"),
    ],
)
def test_bad_months_name_the_field(issued, window, field):
    with pytest.raises(InvalidInput) as err:
        monthly_gec_rows(issued, *window)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("energy_wh", "price", "amount_fen"),
    [
        (1_000_000, 42_000, 42_000),  # 1 MWh at 420 CNY/MWh
        (1_500_000, 1, 2),  # 1.5 fen rounds half up
        (1_499_999, 1, 1),
        (1, 499_999, 0),
        (1, 500_000, 1),
        (0, 42_000, 0),
    ],
)
def test_a_trades_amount_is_energy_times_price_half_up(energy_wh, price, amount_fen):
    assert trade_amount_fen(energy_wh, price) == amount_fen


def test_a_trades_amount_refuses_negative_inputs():
    with pytest.raises(InvalidInput):
        trade_amount_fen(1, -1)
