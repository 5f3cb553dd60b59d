"""A settled day interval by interval: dispatched, baseline, metered, delivered and paid.

Settlement rounds money once over the day; `settled_intervals` gives each interval its
part of the issued version's gross, capacity payment and penalty by largest remainder
over the rules' exact interval values, so the intervals add up to the version exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction

import numpy as np

from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY
from settlement.exceptions import InvalidInput, MissingData
from settlement.money import WH_PER_KWH, largest_remainder
from settlement.performance import MeteredInterval, settled_lines
from settlement.program import ProgramRules
from settlement.results import IntervalAward
from settlement.rules import settle_day


@dataclass(frozen=True)
class IssuedTotals:
    """The money of the issued settlement version the intervals must add up to."""

    gross_payment_fen: int
    capacity_payment_fen: int
    penalty_fen: int


@dataclass(frozen=True)
class SettledInterval:
    """Sums over the assets instructed in one interval (kW averages), and its paid fen.

    `reference_delivered_kw` is None when an instructed asset has no reference baseline.
    """

    interval: int
    dispatched_kw: float
    baseline_kw: float
    metered_kw: float
    delivered_kw: float
    reference_delivered_kw: float | None
    paid_fen: int


def _kw_by_interval(interval: np.ndarray, wh: np.ndarray) -> np.ndarray:
    totals = np.zeros(INTERVALS_PER_DAY, dtype=np.int64)
    np.add.at(totals, interval, wh)
    return totals / (WH_PER_KWH * INTERVAL_HOURS)


def _delivered_kw(rows: Sequence[MeteredInterval], program: ProgramRules) -> np.ndarray:
    """Delivered kW per interval by the settlement's own rule (per asset, never below 0)."""
    lines = settled_lines(rows, program)
    return _kw_by_interval(lines.column("interval"), lines.delivered_wh)


def _reference_kw(
    rows: Sequence[MeteredInterval],
    reference_baseline_kw: Mapping[str, Sequence[float]],
    program: ProgramRules,
) -> list[float | None]:
    """Delivered kW per interval against the reference baselines; None where an instructed
    asset has none."""
    known = [r for r in rows if r.asset_id in reference_baseline_kw]
    unknown = {r.interval for r in rows if r.instructed and r.asset_id not in reference_baseline_kw}
    swapped = [
        replace(r, baseline_kw=float(reference_baseline_kw[r.asset_id][r.interval])) for r in known
    ]
    kw = _delivered_kw(swapped, program) if swapped else np.zeros(INTERVALS_PER_DAY)
    return [None if i in unknown else float(kw[i]) for i in range(INTERVALS_PER_DAY)]


def _paid_fen(
    market_day: date,
    rows: Sequence[MeteredInterval],
    awards: Mapping[int, IntervalAward],
    program: ProgramRules,
    issued: IssuedTotals,
) -> list[int]:
    """Each interval's part of gross + capacity - penalty, summing to the issued totals.

    Raises MissingData when the issued version holds money the rules give no interval
    (e.g. a program changed since so that no interval earns what was paid).
    """
    table = settle_day(market_day, rows, awards, program).intervals
    intervals = table["interval"].tolist()
    paid = [0] * INTERVALS_PER_DAY
    for column, total, sign in (
        ("payment_fen", issued.gross_payment_fen, 1),
        ("capacity_fen", issued.capacity_payment_fen, 1),
        ("penalty_fen", issued.penalty_fen, -1),
    ):
        if not total:
            continue
        weights = [Fraction(v) for v in table[column].tolist()]
        if not any(weights):
            raise MissingData(column, f"{total} fen issued, but no interval earns any")
        keys = [f"{i:02d}" for i in intervals]
        for interval, part in zip(intervals, largest_remainder(total, weights, keys), strict=True):
            paid[interval] += sign * part
    return paid


def settled_intervals(
    market_day: date,
    rows: Sequence[MeteredInterval],
    awards: Mapping[int, IntervalAward],
    program: ProgramRules,
    issued: IssuedTotals,
    reference_baseline_kw: Mapping[str, Sequence[float]] | None = None,
) -> list[SettledInterval]:
    """The 96 intervals of a settled day from its settled rows (one per asset and interval,
    as on the statements), the VPP's awards and the program.

    `reference_baseline_kw` (96 kW per asset id) is the baseline delivery is compared
    with besides the settlement's; without it no reference figures are given. Raises
    InvalidInput for malformed rows (as settle_day does) or a reference of another
    length, MissingData as settle_day and `_paid_fen` do.
    """
    for asset_id, kw in (reference_baseline_kw or {}).items():
        if len(kw) != INTERVALS_PER_DAY:
            raise InvalidInput(
                f"reference_baseline_kw[{asset_id!r}]", f"must hold {INTERVALS_PER_DAY} values"
            )
    instructed = [r for r in rows if r.instructed]
    dispatched = np.zeros(INTERVALS_PER_DAY)
    baseline = np.zeros(INTERVALS_PER_DAY)
    metered = np.zeros(INTERVALS_PER_DAY)
    for r in instructed:
        dispatched[r.interval] += r.instructed_kw
        baseline[r.interval] += r.baseline_kw
        metered[r.interval] += r.metered_kw
    delivered = _delivered_kw(rows, program) if rows else np.zeros(INTERVALS_PER_DAY)
    if reference_baseline_kw is None:
        reference: list[float | None] = [None] * INTERVALS_PER_DAY
    else:
        reference = _reference_kw(rows, reference_baseline_kw, program)
    paid = _paid_fen(market_day, rows, awards, program, issued)
    return [
        SettledInterval(
            interval=i,
            dispatched_kw=float(dispatched[i]),
            baseline_kw=float(baseline[i]),
            metered_kw=float(metered[i]),
            delivered_kw=float(delivered[i]),
            reference_delivered_kw=reference[i],
            paid_fen=paid[i],
        )
        for i in range(INTERVALS_PER_DAY)
    ]
