"""A period's statement lines: money adds up per day or nothing is built; the chart's profile."""

from __future__ import annotations

from datetime import date

import pytest

from settlement.exceptions import InvalidInput
from settlement.period_statement import (
    EXPORT_COLUMNS,
    DayStatement,
    interval_profile,
    period_frame,
    period_total_fen,
)

D1, D2 = date(2026, 1, 5), date(2026, 1, 6)


def _line(asset_id: str, interval: int, amount_fen: int, **kw) -> dict[str, object]:
    line = dict(
        asset_id=asset_id,
        interval=interval,
        baseline_kw=100.0,
        metered_kw=60.0,
        instructed_kw=50.0,
        delivered_kwh=10.0,
        clearing_price_fen_per_mwh=400_000,
        estimated=False,
        amount_fen=amount_fen,
    )
    line.update(kw)
    return line


def _day(day: date, lines: list[dict[str, object]], amount_fen: int | None = None) -> DayStatement:
    total = sum(int(line["amount_fen"]) for line in lines)  # type: ignore[call-overload]
    return DayStatement("ent-a", day, 1, total if amount_fen is None else amount_fen, lines)


def test_lines_of_several_days_sum_to_the_statements_total():
    days = [
        _day(D2, [_line("b", 72, 1), _line("a", 73, -1), _line("a", 72, 333_333)]),
        _day(D1, [_line("a", 0, 1_000_001, estimated=True)]),
    ]
    frame = period_frame(days)
    assert list(frame.columns) == EXPORT_COLUMNS
    assert list(zip(frame["market_day"], frame["asset_id"], frame["interval"], strict=True)) == [
        ("2026-01-05", "a", 0),
        ("2026-01-06", "a", 72),
        ("2026-01-06", "a", 73),
        ("2026-01-06", "b", 72),
    ]
    assert int(frame["amount_fen"].sum()) == period_total_fen(days) == 1_333_334
    assert frame["interval_start_local"].iloc[0] == "2026-01-05T00:00:00+08:00"
    assert list(frame["awarded_kw"]) == [50.0] * 4
    assert frame["estimated"].tolist() == [True, False, False, False]


def test_a_day_whose_lines_do_not_add_up_is_refused():
    with pytest.raises(InvalidInput) as err:
        period_frame([_day(D1, [_line("a", 1, 10), _line("a", 2, 10)], amount_fen=21)])
    assert err.value.field == "2026-01-05.lines"
    assert "20 fen" in err.value.rule and "21 fen" in err.value.rule


@pytest.mark.parametrize(
    ("days", "field"),
    [
        ([_day(D1, [_line("a", 1, 1)]), _day(D1, [_line("a", 2, 1)])], "days"),
        ([_day(D1, [_line("a", 96, 1)])], "2026-01-05.lines[0].interval"),
        ([_day(D1, [{"asset_id": "a", "interval": 1, "amount_fen": 1}])], "2026-01-05.lines[0]"),
    ],
)
def test_bad_days_name_the_field(days, field):
    with pytest.raises(InvalidInput) as err:
        period_frame(days)
    assert err.value.field == field


def test_the_profile_sums_the_assets_per_interval_in_time_order():
    frame = period_frame(
        [
            _day(D2, [_line("a", 5, 0, metered_kw=1.5), _line("b", 5, 0, metered_kw=2.0)]),
            _day(D1, [_line("a", 95, 0, baseline_kw=7.0)]),
        ]
    )
    profile = interval_profile(frame)
    rows = list(
        zip(
            profile["market_day"],
            profile["interval"],
            profile["baseline_kw"],
            profile["metered_kw"],
            profile["awarded_kw"],
            strict=True,
        )
    )
    assert rows == [("2026-01-05", 95, 7.0, 60.0, 50.0), ("2026-01-06", 5, 200.0, 3.5, 100.0)]
