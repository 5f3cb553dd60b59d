"""Price files: every malformed line is refused naming its line and column; the sample is stable."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bidding.price_history import (
    PriceFileError,
    parse_price_csv,
    price_csv_text,
    sample_price_history,
)

HEADER = "date,interval,price_fen_per_mwh"
SAMPLE_FILE = Path(__file__).parents[2] / "loadtests" / "data" / "dr_prices_sample.csv"


def _day_rows(
    day: str = "2025-07-14", price: int = 100_000, called: str | None = None
) -> list[str]:
    tail = "" if called is None else f",{called}"
    return [f"{day},{t},{price}{tail}" for t in range(96)]


def _parse(lines: list[str]):
    return parse_price_csv(lines, source="prices.csv")


def test_a_day_parses_with_and_without_called_kw() -> None:
    (day,) = _parse([HEADER, *_day_rows()])
    assert day.market_day == date(2025, 7, 14)
    assert day.price_fen_per_mwh.tolist() == [100_000] * 96
    assert day.called_kw is None
    (day,) = _parse([HEADER + ",called_kw", *_day_rows(called="250.5")])
    assert day.called_kw.tolist() == [250.5] * 96


def test_rows_in_any_order_and_days_sorted() -> None:
    rows = _day_rows("2025-07-15", 2) + _day_rows("2025-07-14", 1)
    days = _parse([HEADER, *reversed(rows)])
    assert [d.market_day.day for d in days] == [14, 15]
    assert days[0].price_fen_per_mwh[0] == 1


@pytest.mark.parametrize(
    ("lines", "line", "column", "words"),
    [
        ([], 1, "", "empty file"),
        (["date,interval,price_yuan_per_mwh"], 1, "price_yuan_per_mwh", "fen/MWh"),
        (["date,interval"], 1, "price_fen_per_mwh", "missing column"),
        (["date,interval,price_fen_per_mwh,date"], 1, "date", "twice"),
        ([HEADER], 2, "", "no data rows"),
        ([HEADER, "2025-13-01,0,100"], 2, "date", "YYYY-MM-DD"),
        ([HEADER, "20250714,0,100"], 2, "date", "YYYY-MM-DD"),
        ([HEADER, "2025-07-14,96,100"], 2, "interval", "0..95"),
        ([HEADER, "2025-07-14,1.0,100"], 2, "interval", "whole number"),
        ([HEADER, "2025-07-14,0,12.5"], 2, "price_fen_per_mwh", "whole number"),
        ([HEADER, "2025-07-14,0,-5"], 2, "price_fen_per_mwh", ">= 0"),
        ([HEADER, "2025-07-14,0,"], 2, "price_fen_per_mwh", "empty"),
        ([HEADER, "2025-07-14,0"], 2, "", "2 cells"),
        ([HEADER + ",called_kw", "2025-07-14,0,100,lots"], 2, "called_kw", "number of kW"),
        ([HEADER + ",called_kw", "2025-07-14,0,100,nan"], 2, "called_kw", "number of kW"),
        ([HEADER + ",called_kw", "2025-07-14,0,100,-1"], 2, "called_kw", ">= 0"),
        ([HEADER, *_day_rows(), "2025-07-14,0,200"], 98, "interval", "line 2"),
        ([HEADER, *_day_rows()[:-1]], 2, "interval", "lacks 1 of 96 intervals: 95"),
    ],
)
def test_bad_files_name_the_line_and_column(lines, line, column, words) -> None:
    with pytest.raises(PriceFileError) as err:
        _parse(lines)
    assert (err.value.line, err.value.column) == (line, column)
    where = f"prices.csv line {line}" + (f", column {column}" if column else "")
    assert str(err.value).startswith(where + ": "), str(err.value)
    assert words in str(err.value)


def test_the_first_problem_in_file_order_is_reported() -> None:
    # Day 14 (first row on line 2) lacks interval 95; a bad price follows on line 97.
    # The incomplete day is the earlier problem, though it is only known at the end.
    lines = [HEADER, *_day_rows()[:-1], "2025-07-15,0,x"]
    with pytest.raises(PriceFileError) as err:
        _parse(lines)
    assert (err.value.line, err.value.column) == (2, "interval")
    assert "lacks 1 of 96 intervals: 95" in str(err.value)
    # A day begun above a bad row and completed below it is complete: the bad row is first.
    rows = _day_rows()
    lines = [HEADER, *rows[:10], "2025-07-14,96,1", *rows[10:]]
    with pytest.raises(PriceFileError) as err:
        _parse(lines)
    assert (err.value.line, err.value.column) == (12, "interval")
    # A bad row that leaves its own day incomplete is the problem, not the day.
    lines = [HEADER, *rows[:3], "2025-07-14,x3,100", *rows[4:]]
    with pytest.raises(PriceFileError) as err:
        _parse(lines)
    assert (err.value.line, err.value.column) == (5, "interval")


def test_text_round_trips() -> None:
    days = sample_price_history(days=3)
    again = _parse(price_csv_text(days).splitlines())
    assert [d.market_day for d in again] == [d.market_day for d in days]
    for a, b in zip(days, again, strict=True):
        np.testing.assert_array_equal(a.price_fen_per_mwh, b.price_fen_per_mwh)


def test_the_shipped_sample_is_what_the_generator_makes() -> None:
    assert SAMPLE_FILE.read_text() == price_csv_text(sample_price_history())
    days = _parse(SAMPLE_FILE.read_text().splitlines())
    assert len(days) == 28
    peak = np.mean([d.price_fen_per_mwh[76] for d in days if d.market_day.isoweekday() < 6])
    night = np.mean([d.price_fen_per_mwh[8] for d in days if d.market_day.isoweekday() < 6])
    assert peak > 5 * night  # an evening peak worth curtailing for, cheap nights
