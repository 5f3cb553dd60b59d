"""Public-format price files: offsets, units, exchange rates, clock changes and gaps, by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bidding.exceptions import InvalidInput
from bidding.price_history import PriceFileError, price_csv_text, sample_price_history
from bidding.price_import import read_price_file

BERLIN = ZoneInfo("Europe/Berlin")
HEADER = "timestamp,price_eur_per_mwh"


def _hours(day: date, values: dict[int, str] | None = None, default: str = "100") -> list[str]:
    """One row per real hour of `day` in Berlin time (23 or 25 on clock-change days)."""
    start = datetime(day.year, day.month, day.day, tzinfo=BERLIN).astimezone(ZoneInfo("UTC"))
    end = (datetime.combine(day + timedelta(1), datetime.min.time(), BERLIN)).astimezone(
        ZoneInfo("UTC")
    )
    rows, n = [], 0
    while start + timedelta(hours=n) < end:
        local = (start + timedelta(hours=n)).astimezone(BERLIN)
        rows.append(f"{local.isoformat()},{(values or {}).get(n, default)}")
        n += 1
    return rows


def _read(lines: list[str], fx: str | None = "7.5", **kw):
    return read_price_file(lines, "p.csv", None if fx is None else Decimal(fx), **kw)


def test_hourly_euro_prices_become_fen_over_four_intervals() -> None:
    # 39.91 EUR x 7.5 = 299.325 yuan = 29,932.5 fen -> 29,933; -5.17 -> -3,877.5 -> -3,878.
    series = _read([HEADER, *_hours(date(2024, 1, 15), {0: "39.91", 23: "-5.17"})])
    (day,) = series.days
    assert day.market_day == date(2024, 1, 15) and series.unit == "EUR/MWh"
    assert day.price_fen_per_mwh[:5].tolist() == [29_933] * 4 + [75_000]
    assert day.price_fen_per_mwh[92:].tolist() == [-3_878] * 4
    assert series.skipped == series.filled == []


@pytest.mark.parametrize(
    ("column", "fx", "fen"),
    [
        ("Day-ahead Price [EUR/MWh]", "7.5", 75_000),
        ("Price (USD/MWh)", "7.1", 71_000),
        ("price_cny_per_mwh", None, 10_000),
        ("Preis [€/MWh]", "7.5", 75_000),
        ("price_fen_per_mwh", None, 100),
    ],
)
def test_units_in_the_column_name(column: str, fx: str | None, fen: int) -> None:
    (day,) = _read(
        [f"Zone,datetime,{column}"] + [f"DE,{r}" for r in _hours(date(2024, 1, 15))], fx
    ).days
    assert day.price_fen_per_mwh.tolist() == [fen] * 96


def test_quarter_hour_prices_cover_one_interval_each() -> None:
    rows = [
        f"{(datetime(2025, 10, 6, tzinfo=BERLIN) + timedelta(minutes=15 * t)).isoformat()},{t}"
        for t in range(96)
    ]
    (day,) = _read(["time,price_cny_per_mwh", *rows], None).days
    assert day.price_fen_per_mwh.tolist() == [100 * t for t in range(96)]


def test_clock_changes_fill_the_missing_hour_and_average_the_repeated_one() -> None:
    spring = _hours(date(2024, 3, 31), {1: "10", 2: "30"})  # 01:00 then 03:00 (+02:00)
    autumn = _hours(date(2024, 10, 27), {2: "10", 3: "30"})  # 02:00 +02:00, 02:00 +01:00
    assert (len(spring), len(autumn)) == (23, 25)
    series = _read(["timestamp,price_cny_per_mwh", *spring, *autumn], None)
    march, october = series.days
    # 01:00-02:00 is 10, 03:00 is 30: the absent 02:00-03:00 takes the line between them.
    assert march.price_fen_per_mwh[4:13].tolist() == [1000] * 4 + [1400, 1800, 2200, 2600, 3000]
    assert october.price_fen_per_mwh[8:12].tolist() == [2000] * 4  # mean of 10 and 30
    assert len(series.skipped) == 209  # April 1 .. October 26: no rows
    assert {n.note for n in series.skipped} == {"no prices in the file"}
    assert [n.note for n in series.filled] == [
        "23-hour day: the skipped hour filled from the neighbours",
        "25-hour day: 4 repeated intervals averaged",
    ]


def test_missing_hours_are_filled_up_to_the_limit_and_longer_gaps_skip_the_day() -> None:
    one_gap = _hours(date(2024, 1, 15), {5: "0", 6: "n/e", 7: "200"})  # 06:00: no value
    del one_gap[3]  # ... and 03:00 has no row at all (between 100 and 100)
    long_gap = _hours(date(2024, 1, 17))
    del long_gap[10:13]  # three hours
    series = _read([HEADER, *one_gap, *long_gap], fx="1", max_missing_hours=2)
    (day,) = series.days
    assert day.price_fen_per_mwh[12:16].tolist() == [10_000] * 4
    assert day.price_fen_per_mwh[24:28].tolist() == [4_000, 8_000, 12_000, 16_000]
    assert [(n.market_day.day, n.note) for n in series.filled] == [
        (15, "2 h missing, filled from the neighbours")
    ]
    assert [(n.market_day.day, n.note) for n in series.skipped] == [
        (16, "no prices in the file"),
        (17, "3 h of prices missing (more than 2)"),
    ]


@pytest.mark.parametrize(
    ("lines", "line", "column", "words"),
    [
        (["when,price_eur_per_mwh"], 1, "timestamp", "missing column"),
        (["timestamp,price"], 1, "", "no price column"),
        (["timestamp,a [EUR/MWh],b [EUR/MWh]"], 1, "", "2 price columns"),
        ([HEADER, "2024-01-01T00:00:00,1"], 2, "timestamp", "UTC offset"),
        ([HEADER, "01.01.2024 00:00,1"], 2, "timestamp", "ISO 8601"),
        ([HEADER, "2024-01-01T00:10:00+01:00,1"], 2, "timestamp", "quarter hour"),
        ([HEADER, "2024-01-01T00:00:00+01:00,1,5"], None, None, None),
        ([HEADER, "2024-01-01T00:00:00+01:00,abc"], 2, "price_eur_per_mwh", "a number"),
        ([HEADER, "2024-01-01T00:00:00+01:00,inf"], 2, "price_eur_per_mwh", "a number"),
        (
            [HEADER, "2024-01-01T00:00:00+01:00,1", "2023-12-31T23:00:00Z,2"],
            3,
            "timestamp",
            "line 2",
        ),
        ([HEADER], 2, "", "no data rows"),
        (
            [HEADER, "2024-01-01T00:00:00+01:00,x", "2024-01-01T00:00:00+01:00,1"],
            2,
            "price_eur_per_mwh",
            "a number",
        ),
    ],
)
def test_bad_files_name_the_first_problem(lines, line, column, words) -> None:
    if line is None:
        assert _read(lines).days == []  # extra cells are ignored; one hour is too little
        return
    with pytest.raises(PriceFileError) as err:
        _read(lines)
    assert err.value.line == line
    if column:
        assert err.value.column == column
    assert words in str(err.value)


def test_exchange_rate_is_required_for_foreign_currency_only() -> None:
    rows = _hours(date(2024, 1, 15))
    with pytest.raises(PriceFileError, match="--fx"):
        _read([HEADER, *rows], fx=None)
    with pytest.raises(InvalidInput, match="fx"):
        _read(["timestamp,price_cny_per_mwh", *rows], fx="7.5")
    with pytest.raises(InvalidInput, match="fx"):
        _read([HEADER, *rows], fx="0")


def test_native_files_read_as_before() -> None:
    days = sample_price_history(days=2)
    series = read_price_file(price_csv_text(days).splitlines(), "native.csv")
    assert [d.market_day for d in series.days] == [d.market_day for d in days]
    assert series.unit == "fen/MWh"
    with pytest.raises(InvalidInput, match="fx"):
        read_price_file(price_csv_text(days).splitlines(), "native.csv", Decimal("7"))
