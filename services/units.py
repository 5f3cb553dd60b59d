"""Quantities as a person reads them in CLI and demo output: exact, with units.

Ledger energy is integer Wh and footprints integer grams; shown as kWh and kg with three
decimals they stay exact (1 Wh = 0.001 kWh) and readable. Times are local clock times of
the market day's 15-minute intervals (Asia/Shanghai).
"""

from __future__ import annotations

from settlement.interval_reasons import time_label


def kwh(wh: int) -> str:
    """Integer Wh as exact kWh, e.g. 7323846 -> "7,323.846 kWh"."""
    sign = "-" if wh < 0 else ""
    return f"{sign}{abs(wh) // 1000:,}.{abs(wh) % 1000:03d} kWh"


def kg(grams: int) -> str:
    """Integer grams as exact kg, e.g. 17565480 -> "17,565.480 kg"."""
    sign = "-" if grams < 0 else ""
    return f"{sign}{abs(grams) // 1000:,}.{abs(grams) % 1000:03d} kg"


def clock(interval: int) -> str:
    """The start of an interval, e.g. 76 -> "19:00"."""
    return time_label(interval)[:5]


def span(first: int, last: int) -> str:
    """Intervals first..last (inclusive) as local time, e.g. (76, 79) -> "19:00-20:00"."""
    return f"{time_label(first)[:5]}-{time_label(last)[6:]}"
