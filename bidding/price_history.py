"""Demand-response price history as CSV text: strict parsing and a deterministic sample.

Format (one row per interval, header first, comma-separated, UTF-8):

    date,interval,price_fen_per_mwh[,called_kw]
    2025-06-02,0,150000[,0]

`date` is the market day YYYY-MM-DD (Asia/Shanghai), `interval` 0..95 (interval 0 starts
at 00:00 local time), `price_fen_per_mwh` the realised demand-response price as a whole
number >= 0 in fen per MWh, `called_kw` (optional column; when present every row needs a
value) the quantity the grid called in that interval, kW >= 0. Every day needs all 96
intervals exactly once; rows may come in any order and days need not be consecutive.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from bidding.exceptions import InvalidInput
from bidding.intervals import INTERVALS_PER_DAY, hour_of_interval
from bidding.offers import default_price_shape

REQUIRED_COLUMNS = ("date", "interval", "price_fen_per_mwh")
OPTIONAL_COLUMNS = ("called_kw",)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^-?\d+$")
#: Sample: the day level varies +-25 %, every interval +-8 %, and on about one working day
#: in four the evening peak (17:00-21:00) spikes to 1.5-2.5 times its level.
_SAMPLE_LEVEL_SPREAD = 0.25
_SAMPLE_NOISE_SD = 0.08
_SAMPLE_SPIKE_CHANCE = 0.25
_SAMPLE_WEEKEND_LEVEL = 0.6


class PriceFileError(InvalidInput):
    """A price file breaks the format; `line` (1-based, header is line 1) and `column` say where."""

    def __init__(self, source: str, line: int, column: str, rule: str) -> None:
        where = f"{source} line {line}" + (f", column {column}" if column else "")
        super().__init__(where, rule)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class DayNote:
    """Something to say about one market day: why it was left out, or what was filled."""

    market_day: date
    note: str


@dataclass(frozen=True)
class DayPrices:
    """One market day of realised prices (fen/MWh, 96 ints) and, if known, called kW (96)."""

    market_day: date
    price_fen_per_mwh: np.ndarray
    called_kw: np.ndarray | None = None


def _header(row: list[str], source: str) -> list[str]:
    names = [name.strip() for name in row]
    for n, name in enumerate(names):
        if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            hint = " (prices are fen/MWh: use price_fen_per_mwh)" if "price" in name else ""
            raise PriceFileError(source, 1, name or f"#{n + 1}", f"unknown column{hint}")
        if names.count(name) > 1:
            raise PriceFileError(source, 1, name, "appears twice")
    for name in REQUIRED_COLUMNS:
        if name not in names:
            raise PriceFileError(source, 1, name, "missing column")
    return names


def _cell(values: dict[str, str], name: str, source: str, line: int) -> str:
    text = values[name].strip()
    if not text:
        raise PriceFileError(source, line, name, "empty")
    return text


def _row(values: dict[str, str], source: str, line: int) -> tuple[date, int, int, float | None]:
    text = _cell(values, "date", source, line)
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise PriceFileError(source, line, "date", f"must be YYYY-MM-DD, got {text!r}") from None
    text = _cell(values, "interval", source, line)
    if not _INTEGER.match(text) or not 0 <= int(text) < INTERVALS_PER_DAY:
        rule = f"must be a whole number 0..{INTERVALS_PER_DAY - 1}, got {text!r}"
        raise PriceFileError(source, line, "interval", rule)
    interval = int(text)
    text = _cell(values, "price_fen_per_mwh", source, line)
    if not _INTEGER.match(text) or int(text) < 0 or len(text) > 15:
        rule = f"must be a whole number of fen/MWh >= 0 (below 10^15), got {text!r}"
        raise PriceFileError(source, line, "price_fen_per_mwh", rule)
    price = int(text)
    called = None
    if "called_kw" in values:
        text = _cell(values, "called_kw", source, line)
        try:
            called = float(text)
        except ValueError:
            called = math.nan
        if not (math.isfinite(called) and 0 <= called < 1e9):
            rule = f"must be a number of kW >= 0 (below 10^9), got {text!r}"
            raise PriceFileError(source, line, "called_kw", rule)
    return day, interval, price, called


def parse_price_csv(lines: Iterable[str], source: str = "prices") -> list[DayPrices]:
    """The days of a price file, sorted by date; see the module docstring for the format.

    Raises PriceFileError naming the line and column of the first problem in file order:
    an unknown, repeated or missing column, an empty cell, a bad date, interval, price or
    called kW, a repeated (date, interval), a row with too many or too few cells, a day
    without all 96 intervals (placed at the day's first row, so it is reported before a
    bad row further down; not when a bad row may belong to that day, since the bad row
    is then the cause), or no data rows at all.
    """
    reader = csv.reader(lines)
    try:
        first = next(reader)
    except StopIteration:
        raise PriceFileError(source, 1, "", "empty file: expected a header row") from None
    names = _header(first, source)
    rows, first_line, row_problem, suspects = _read_rows(reader, names, source)
    if not rows and row_problem is None:
        raise PriceFileError(source, 2, "", "no data rows")
    problems = [] if row_problem is None else [row_problem]
    for day in rows:
        if suspects is None or day in suspects:
            continue  # a bad row may belong to it: that row is the problem to report
        missing = [t for t in range(INTERVALS_PER_DAY) if t not in rows[day]]
        if missing:
            shown = ", ".join(map(str, missing[:8])) + (" ..." if len(missing) > 8 else "")
            rule = f"{day} lacks {len(missing)} of 96 intervals: {shown}"
            problems.append(PriceFileError(source, first_line[day], "interval", rule))
    if problems:
        raise min(problems, key=lambda problem: problem.line)
    return [_day(day, rows[day], "called_kw" in names) for day in sorted(rows)]


_Rows = dict[date, dict[int, tuple[int, float | None]]]


def _read_rows(
    reader, names: list[str], source: str
) -> tuple[_Rows, dict[date, int], PriceFileError | None, set[date] | None]:
    """Every valid row by day and interval, each day's first line, the first bad row, and
    the days bad rows may belong to (None: any day, a bad row's date is unreadable).

    Reading goes on past a bad row, keeping only valid rows, so a day that began above
    it is judged complete or not on all its rows; problems below the first are ignored.
    """
    seen: dict[tuple[date, int], int] = {}
    first_line: dict[date, int] = {}
    rows: _Rows = {}
    problem: PriceFileError | None = None
    suspects: set[date] | None = set()
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        try:
            if len(row) != len(names):
                rule = f"has {len(row)} cells, the header has {len(names)}"
                raise PriceFileError(source, line, "", rule)
            day, interval, price, called = _row(dict(zip(names, row, strict=True)), source, line)
            if (day, interval) in seen:
                rule = f"{day} interval {interval} already given on line {seen[(day, interval)]}"
                raise PriceFileError(source, line, "interval", rule)
        except PriceFileError as exc:
            problem = problem or exc
            at = names.index("date")
            suspects = _add_suspect(suspects, row[at] if len(row) > at else "")
            continue
        seen[(day, interval)] = line
        first_line.setdefault(day, line)
        rows.setdefault(day, {})[interval] = (price, called)
    return rows, first_line, problem, suspects


def _add_suspect(suspects: set[date] | None, text: str) -> set[date] | None:
    """The days bad rows may belong to, adding one bad row's date cell (None: any day)."""
    if suspects is None:
        return None
    try:
        return suspects | {date.fromisoformat(text.strip())}
    except ValueError:
        return None


def _day(day: date, got: dict[int, tuple[int, float | None]], with_called: bool) -> DayPrices:
    prices = np.array([got[t][0] for t in range(INTERVALS_PER_DAY)], dtype=np.int64)
    called = None
    if with_called:
        called = np.array([got[t][1] for t in range(INTERVALS_PER_DAY)], dtype=float)
    return DayPrices(day, prices, called)


def price_csv_text(days: Iterable[DayPrices]) -> str:
    """The CSV text of `days` (called_kw only when every day has it), parseable back."""
    days = list(days)
    with_called = bool(days) and all(d.called_kw is not None for d in days)
    out = ["date,interval,price_fen_per_mwh" + (",called_kw" if with_called else "")]
    for day in days:
        for t in range(INTERVALS_PER_DAY):
            row = f"{day.market_day.isoformat()},{t},{int(day.price_fen_per_mwh[t])}"
            if with_called:
                assert day.called_kw is not None
                row += f",{float(day.called_kw[t]):g}"
            out.append(row)
    return "\n".join(out) + "\n"


SAMPLE_FIRST_DAY = date(2025, 6, 2)
SAMPLE_DAYS = 28
SAMPLE_SEED = 2025


def sample_price_history(
    first_day: date = SAMPLE_FIRST_DAY, days: int = SAMPLE_DAYS, seed: int = SAMPLE_SEED
) -> list[DayPrices]:
    """A deterministic, plausible history of DR prices for trying the backtest.

    Each day is `default_price_shape()` (cheap nights, midday shoulder, evening peak)
    times a day level (0.75-1.25; weekends 0.6 of that), times per-interval noise, with an
    evening spike on about one working day in four. Same arguments, same prices.
    Raises InvalidInput for days < 1 or a negative seed.
    """
    if days < 1:
        raise InvalidInput("days", "must be >= 1")
    if seed < 0:
        raise InvalidInput("seed", "must be >= 0")
    shape = default_price_shape()
    evening = np.array([17 <= hour_of_interval(t) < 21 for t in range(INTERVALS_PER_DAY)])
    out = []
    for n in range(days):
        day = first_day + timedelta(days=n)
        rng = np.random.default_rng([seed, day.toordinal()])
        level = 1 + rng.uniform(-_SAMPLE_LEVEL_SPREAD, _SAMPLE_LEVEL_SPREAD)
        if day.isoweekday() >= 6:
            level *= _SAMPLE_WEEKEND_LEVEL
        factors = level * np.clip(rng.normal(1.0, _SAMPLE_NOISE_SD, INTERVALS_PER_DAY), 0.5, 1.5)
        spike = rng.uniform(1.5, 2.5) if rng.random() < _SAMPLE_SPIKE_CHANCE else 1.0
        if day.isoweekday() < 6:
            factors = np.where(evening, factors * spike, factors)
        # Rounded to 1,000 fen/MWh (10 yuan/MWh), as exchanges quote.
        prices = np.rint(shape * factors / 1000).astype(np.int64) * 1000
        out.append(DayPrices(day, prices))
    return out
