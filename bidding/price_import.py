"""Price files in common public formats (timestamp with UTC offset, price with its unit).

Format: CSV, comma-separated, header first; columns other than these two are ignored.

    timestamp,price_eur_per_mwh
    2024-01-01T00:00:00+01:00,39.91

- **timestamp** (a column named `timestamp`, `time`, `datetime` or `start`): the start of
  the interval, ISO 8601 with its UTC offset (`+01:00`, `Z`; a space may stand for `T`), as
  ENTSO-E and energy-charts exports give it. Without an offset the row is refused: an
  hour of a clock-change day would be ambiguous.
- **price**: exactly one column whose name gives currency and unit, `price_<cur>_per_mwh`
  or any name containing `<CUR>/MWh` (`Price (EUR/MWh)`, `Day-ahead Price [EUR/MWh]`);
  currencies EUR (€), USD ($), CNY (yuan, RMB) and fen. EUR and USD need `fx_cny`, yuan
  per unit. Negative prices are kept. Cells `-`, `n/e`, `N/A`, `nan` or empty are missing.

Rules, in this order:

1. The market day is the timestamp's calendar date in its own offset (local time as
   written), its interval `(hour * 60 + minute) // 15`. Timestamps fall on a quarter hour.
2. A day whose timestamps all start on the hour is hourly: each value covers its four
   15-minute intervals. Otherwise each value covers one quarter hour.
3. 25-hour day (clocks go back): the repeated hour's two values fall on the same
   intervals, which take their mean. 23-hour day (clocks go forward, the offset rises):
   the wall-clock hour that does not exist is filled as in 4 but not counted as missing.
4. Missing intervals (gaps, missing cells) take the straight line between the nearest
   known intervals of the same day (the nearest value at the day's ends) and are counted.
   A day with more than `max_missing_hours` (default 2) missing, and a day between the
   first and the last without any row, is left out and listed with the reason.
5. Prices become whole fen/MWh: value x fx x 100 (EUR, USD), x 100 (CNY), x 1 (fen),
   in exact decimals, rounded to the nearest fen (halves away from zero).

Files in the native format (`date,interval,price_fen_per_mwh`, `bidding.price_history`)
are read as they are.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np

from bidding.exceptions import InvalidInput
from bidding.intervals import INTERVALS_PER_DAY
from bidding.price_history import DayNote, DayPrices, PriceFileError, parse_price_csv

TIME_COLUMNS = ("timestamp", "time", "datetime", "start")
DEFAULT_MAX_MISSING_HOURS = 2.0
_MISSING = {"", "-", "n/e", "n/a", "na", "nan"}
_CURRENCIES = {"eur": "EUR", "€": "EUR", "usd": "USD", "$": "USD", "cny": "CNY"}
_CURRENCIES |= {"rmb": "CNY", "yuan": "CNY", "fen": "fen"}
_SNAKE_UNIT = re.compile(r"^price_(eur|usd|cny|fen)_per_mwh$", re.IGNORECASE)
_UNIT = re.compile(r"(?<![a-z])(eur|€|usd|\$|cny|rmb|yuan|fen)\s*/\s*mwhe?\b", re.IGNORECASE)
_FEN_PER_YUAN = Decimal(100)
_MAX_ABS_FEN = 10**15


@dataclass(frozen=True)
class PriceSeries:
    """Market days read from a price file, and the days it left out or filled in."""

    days: list[DayPrices]
    #: Days in the file's span that are not in `days`, with why.
    skipped: list[DayNote]
    #: Days in `days` with intervals filled or merged (missing values, clock changes).
    filled: list[DayNote]
    #: The price column's unit as read, e.g. "EUR/MWh".
    unit: str


@dataclass(frozen=True)
class _Row:
    line: int
    start: datetime  # local wall time with its offset
    fen: int | None


def read_price_file(
    lines: Iterable[str],
    source: str = "prices",
    fx_cny: Decimal | None = None,
    max_missing_hours: float = DEFAULT_MAX_MISSING_HOURS,
) -> PriceSeries:
    """The market days of a price file in either format; see the module docstring.

    Raises PriceFileError naming the line and column of the first problem in file order
    (header, timestamp, price cell, repeated instant); InvalidInput("fx") when a rate is
    given for a file in CNY or fen, or is not > 0; InvalidInput("max_missing_hours") < 0.
    """
    text = list(lines)
    header = next(csv.reader(text[:1]), [])
    names = [name.strip().lower() for name in header]
    if "date" in names and "interval" in names:
        if fx_cny is not None:
            raise InvalidInput("fx", "the native format is already in fen/MWh")
        return PriceSeries(parse_price_csv(text, source), [], [], "fen/MWh")
    if not max_missing_hours >= 0:
        raise InvalidInput("max_missing_hours", "must be >= 0")
    time_at, price_at, currency = _columns(header, source)
    factor = _fen_per_unit(currency, header[price_at].strip(), fx_cny, source)
    rows = _rows(text, source, time_at, price_at, factor)
    return _series(rows, f"{currency}/MWh", max_missing_hours)


def _columns(header: list[str], source: str) -> tuple[int, int, str]:
    names = [name.strip() for name in header]
    times = [k for k, name in enumerate(names) if name.lower() in TIME_COLUMNS]
    if len(times) != 1:
        rule = "missing column" if not times else "appears twice"
        hint = " (or use the native date,interval,price_fen_per_mwh)" if not times else ""
        raise PriceFileError(source, 1, "timestamp", rule + hint)
    prices = []
    for k, name in enumerate(names):
        found = _SNAKE_UNIT.match(name) or _UNIT.search(name)
        if found:
            prices.append((k, _CURRENCIES[found.group(1).lower()]))
    if len(prices) != 1:
        shown = ", ".join(names[k] for k, _ in prices)
        rule = (
            "no price column: name its unit, price_<cur>_per_mwh or '<CUR>/MWh' with cur EUR, "
            "USD, CNY or fen"
            if not prices
            else f"{len(prices)} price columns ({shown}); keep one"
        )
        raise PriceFileError(source, 1, "", rule)
    return times[0], prices[0][0], prices[0][1]


def _fen_per_unit(currency: str, column: str, fx_cny: Decimal | None, source: str) -> Decimal:
    if currency in ("CNY", "fen"):
        if fx_cny is not None:
            raise InvalidInput("fx", f"prices are already in {currency}/MWh; give no rate")
        return _FEN_PER_YUAN if currency == "CNY" else Decimal(1)
    if fx_cny is None:
        rule = f"{currency}/MWh needs an exchange rate: --fx <yuan per {currency}>"
        raise PriceFileError(source, 1, column, rule)
    if not (fx_cny.is_finite() and fx_cny > 0):
        raise InvalidInput("fx", f"must be a number of yuan per {currency} > 0")
    return fx_cny * _FEN_PER_YUAN


def _rows(text: list[str], source: str, time_at: int, price_at: int, factor: Decimal) -> list[_Row]:
    """Every row parsed; raises PriceFileError for the first bad row (a repeat names both)."""
    reader = csv.reader(text)
    header = next(reader)
    time_name, price_name = header[time_at].strip(), header[price_at].strip()
    rows: list[_Row] = []
    seen: dict[datetime, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(time_at, price_at):
            raise PriceFileError(source, line, "", f"has {len(row)} cells, needs the price")
        start = _timestamp(row[time_at].strip(), source, line, time_name)
        if start in seen:
            rule = f"{start.isoformat()} already given on line {seen[start]}"
            raise PriceFileError(source, line, time_name, rule)
        seen[start] = line
        fen = _fen(row[price_at].strip(), factor, source, line, price_name)
        rows.append(_Row(line, start, fen))
    if not rows:
        raise PriceFileError(source, 2, "", "no data rows")
    return rows


def _timestamp(text: str, source: str, line: int, column: str) -> datetime:
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        rule = f"must be ISO 8601 with a UTC offset, e.g. 2024-01-01T00:00:00+01:00, got {text!r}"
        raise PriceFileError(source, line, column, rule) from None
    if start.tzinfo is None:
        rule = f"needs a UTC offset (e.g. +01:00 or Z), got {text!r}"
        raise PriceFileError(source, line, column, rule)
    if start.minute % 15 or start.second or start.microsecond:
        raise PriceFileError(source, line, column, f"must start a quarter hour, got {text!r}")
    return start


def _fen(text: str, factor: Decimal, source: str, line: int, column: str) -> int | None:
    if text.lower() in _MISSING:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("nan")
    if not value.is_finite():
        rule = f"must be a number (or -, n/e, N/A, empty for missing), got {text!r}"
        raise PriceFileError(source, line, column, rule)
    fen = int((value * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if abs(fen) >= _MAX_ABS_FEN:
        raise PriceFileError(source, line, column, f"out of range: {text!r}")
    return fen


def _series(rows: list[_Row], unit: str, max_missing_hours: float) -> PriceSeries:
    by_day: dict[date, list[_Row]] = defaultdict(list)
    for row in rows:
        by_day[row.start.date()].append(row)
    days, skipped, filled = [], [], []
    first, last = min(by_day), max(by_day)
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        if day not in by_day:
            skipped.append(DayNote(day, "no prices in the file"))
            continue
        prices, missing_hours, notes = _day_prices(by_day[day])
        if prices is None or missing_hours > max_missing_hours:
            reason = f"{missing_hours:g} h of prices missing (more than {max_missing_hours:g})"
            skipped.append(DayNote(day, reason))
            continue
        days.append(DayPrices(day, prices))
        if notes:
            filled.append(DayNote(day, "; ".join(notes)))
    return PriceSeries(days, skipped, filled, unit)


def _day_prices(rows: list[_Row]) -> tuple[np.ndarray | None, float, list[str]]:
    """96 fen prices (None if no value at all), hours missing and what was filled or merged."""
    hourly = all(row.start.minute == 0 for row in rows)
    span = 4 if hourly else 1
    sums = [0] * INTERVALS_PER_DAY
    counts = [0] * INTERVALS_PER_DAY
    for row in rows:
        if row.fen is None:
            continue
        first = (row.start.hour * 60 + row.start.minute) // 15
        for t in range(first, min(first + span, INTERVALS_PER_DAY)):
            sums[t] += row.fen
            counts[t] += 1
    ordered = sorted(rows, key=lambda row: row.start)
    offsets = [row.start.utcoffset() or timedelta(0) for row in ordered]
    rise = (offsets[-1] - offsets[0]) // timedelta(minutes=15)
    empty = [t for t in range(INTERVALS_PER_DAY) if counts[t] == 0]
    missing_hours = max(0, len(empty) - max(rise, 0)) / 4
    known = [t for t in range(INTERVALS_PER_DAY) if counts[t]]
    if not known:
        return None, INTERVALS_PER_DAY / 4, []
    means = [_round_half_away(sums[t], counts[t]) for t in known]
    line = np.interp(np.arange(INTERVALS_PER_DAY), known, means)
    prices = np.array([_round_half_away(v) for v in line], dtype=np.int64)
    prices[known] = means
    return prices, missing_hours, _notes(missing_hours, rise, counts)


def _notes(missing_hours: float, rise: int, counts: list[int]) -> list[str]:
    notes = []
    if missing_hours:
        notes.append(f"{missing_hours:g} h missing, filled from the neighbours")
    if rise > 0:
        notes.append(f"{24 - rise / 4:g}-hour day: the skipped hour filled from the neighbours")
    if rise < 0:
        merged = sum(1 for count in counts if count > 1)
        notes.append(f"{24 - rise / 4:g}-hour day: {merged} repeated intervals averaged")
    return notes


def _round_half_away(numerator: float, denominator: int = 1) -> int:
    """numerator / denominator to the nearest integer, halves away from zero."""
    value = Decimal(numerator) / Decimal(denominator)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
