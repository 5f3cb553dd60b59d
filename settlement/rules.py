"""Settle one market day: interval payments, penalties, and the fen for operator and enterprises."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from fractions import Fraction

import numpy as np
import pandas as pd

from bidding.intervals import INTERVALS_PER_DAY
from settlement.exceptions import InvalidInput, MissingData
from settlement.money import (
    energy_value_fen,
    largest_remainder,
    largest_remainder_groups,
    round_fen,
)
from settlement.performance import MeteredColumns, MeteredInterval, interval_wh, settled_lines
from settlement.program import ProgramRules
from settlement.results import DaySettlement, EnterpriseChange, EnterpriseResult, IntervalAward

DIGEST_VERSION = 1
INTERVAL_COLUMNS = [
    "interval",
    "awarded_kw",
    "clearing_price_fen_per_mwh",
    "awarded_wh",
    "delivered_wh",
    "response_rate",
    "pay_factor",
    "paid_wh",
    "payment_fen",
    "penalty_fen",
    "capacity_factor",
    "capacity_fen",
]

__all__ = [
    "DaySettlement",
    "EnterpriseChange",
    "EnterpriseResult",
    "IntervalAward",
    "diff",
    "input_digest",
    "settle_day",
]


def settle_day(
    market_day: date,
    rows: Sequence[MeteredInterval] | MeteredColumns,
    awards: Mapping[int, IntervalAward],
    program: ProgramRules,
) -> DaySettlement:
    """Settle `market_day`: what the market pays, what it fines, and who gets which fen.

    Per awarded interval the portfolio's response rate (delivered / awarded energy)
    picks the program band; paid energy is delivered energy capped at cap_ratio ×
    awarded, times the band's pay factor, valued exactly at the clearing price. Below
    the penalty threshold the shortfall to threshold × awarded is fined at the price ×
    penalty factor. A program with a capacity price also pays price × awarded kW in
    every awarded interval, times program.capacity_factor(rate) (full, pro rata or
    forfeited). Gross, capacity payment and penalty are each rounded once, over the day.

    The net pool (gross + capacity - penalty) is split [operator, enterprises] by
    [fee share, 1 - fee share], then among enterprises and their lines by delivered Wh,
    all with largest_remainder so no fen is lost. Capacity money is in the same pool
    and so shared by delivered Wh too: the portfolio's capacity was earned by the
    enterprises that delivered, not by those that were called and did not. A negative
    pool (a penalty) is shared by instructed Wh instead, so enterprises that were called
    but did not deliver pay too. If nobody has any share basis the operator carries the whole pool.

    `rows` are MeteredIntervals or, for large portfolios, MeteredColumns: the rules run
    on whole columns (int64 Wh and fen), never one Python object per row.

    Raises InvalidInput for malformed inputs and MissingData when an instructed
    interval has no award or an awarded interval has no metered rows at all.
    """
    if isinstance(market_day, datetime) or not isinstance(market_day, date):
        raise InvalidInput("market_day", f"must be a date, got {market_day!r}")
    if not isinstance(program, ProgramRules):
        raise InvalidInput("program", "must be ProgramRules")
    checked_awards = _checked_awards(awards)
    lines = settled_lines(rows, program)
    interval = lines.column("interval")
    _check_coverage(interval, lines.column("instructed_kw") > 0, checked_awards)
    delivered_by_interval = _sum_by_interval(interval, lines.delivered_wh)
    intervals, gross_exact, penalty_exact, capacity_exact = _interval_table(
        delivered_by_interval, checked_awards, program
    )
    gross_fen, penalty_fen = round_fen(gross_exact), round_fen(penalty_exact)
    capacity_fen = round_fen(capacity_exact)

    share = program.operator_fee_share
    operator_fen, pool_fen = largest_remainder(
        gross_fen + capacity_fen - penalty_fen, [share, 1 - share], keys=["operator", "enterprises"]
    )
    bases = {"delivered_wh": lines.delivered_wh, "instructed_wh": lines.instructed_wh}
    names = ["delivered_wh", "instructed_wh"] if pool_fen >= 0 else ["instructed_wh"]
    basis_name = next((b for b in names if int(bases[b].sum()) > 0), None)
    if basis_name is None:
        operator_fen, pool_fen, basis_name = operator_fen + pool_fen, 0, "delivered_wh"
    basis = bases[basis_name]

    starts = np.cumsum(lines.sizes) - lines.sizes
    weights = _group_sums(basis, starts, lines.sizes)
    enterprise_ids = list(lines.enterprise_ids)
    amounts = largest_remainder(pool_fen, weights, keys=enterprise_ids)
    line_amounts = largest_remainder_groups(amounts, basis, lines.sizes, lines.keys)
    delivered = _group_sums(lines.delivered_wh, starts, lines.sizes)
    estimated = _group_sums(lines.column("estimated").astype(np.int64), starts, lines.sizes)
    results = tuple(
        EnterpriseResult(
            enterprise_id=enterprise_id,
            delivered_wh=delivered[k],
            amount_fen=amounts[k],
            includes_estimated=estimated[k] > 0,
        )
        for k, enterprise_id in enumerate(enterprise_ids)
    )
    frame = lines.frame()
    frame["clearing_price_fen_per_mwh"] = _prices(interval, checked_awards)
    frame["amount_fen"] = line_amounts.astype(np.int64)
    return DaySettlement(
        market_day=market_day,
        gross_payment_fen=gross_fen,
        penalty_fen=penalty_fen,
        operator_fee_fen=operator_fen,
        enterprise_pool_fen=pool_fen,
        enterprises=results,
        awarded_wh=int(intervals["awarded_wh"].sum()),
        delivered_wh=int(lines.delivered_wh.sum()),
        lines=frame,
        intervals=intervals,
        capacity_payment_fen=capacity_fen,
    )


def _group_sums(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> list[int]:
    """Sum of each run of `sizes` values (int64 values whose total fits), as ints."""
    cum = np.concatenate(([0], np.cumsum(values, dtype=np.int64)))
    return (cum[starts + sizes] - cum[starts]).tolist()


def _sum_by_interval(interval: np.ndarray, wh: np.ndarray) -> list[int]:
    """Total Wh per interval 0..95 (exact: int64 sums that fit, see settled_lines)."""
    totals = np.zeros(INTERVALS_PER_DAY, dtype=np.int64)
    np.add.at(totals, interval, wh)
    return totals.tolist()


def _prices(interval: np.ndarray, awards: Mapping[int, IntervalAward]) -> pd.arrays.IntegerArray:
    """Each line's clearing price, missing (NA) where its interval was not awarded."""
    price = np.zeros(INTERVALS_PER_DAY, dtype=np.int64)
    awarded = np.zeros(INTERVALS_PER_DAY, dtype=bool)
    for i, award in awards.items():
        price[i], awarded[i] = award.clearing_price_fen_per_mwh, True
    return pd.arrays.IntegerArray(price[interval], ~awarded[interval])


def _checked_awards(awards: Mapping[int, IntervalAward]) -> dict[int, IntervalAward]:
    if not isinstance(awards, Mapping):
        raise InvalidInput("awards", "must be a mapping of interval to IntervalAward")
    for key, award in awards.items():
        if not isinstance(award, IntervalAward):
            raise InvalidInput(f"awards[{key!r}]", "must be an IntervalAward")
        if key != award.interval or isinstance(key, bool):
            raise InvalidInput(f"awards[{key!r}]", f"key must equal its interval {award.interval}")
    return dict(sorted(awards.items()))


def _check_coverage(
    interval: np.ndarray, instructed: np.ndarray, awards: Mapping[int, IntervalAward]
) -> None:
    """An instruction needs an award to be paid from; an award needs meter data to be judged."""
    for i in np.flatnonzero(np.bincount(interval[instructed], minlength=INTERVALS_PER_DAY)):
        if int(i) not in awards:
            raise MissingData("award", f"interval {i} has instructions but no award")
    metered = np.bincount(interval, minlength=INTERVALS_PER_DAY) > 0
    for i, award in awards.items():
        if award.awarded_kw > 0 and not metered[i]:
            raise MissingData("meter data", f"interval {i} is awarded but has no rows")


def _interval_table(
    delivered_by_interval: list[int], awards: Mapping[int, IntervalAward], program: ProgramRules
) -> tuple[pd.DataFrame, Fraction, Fraction, Fraction]:
    """Per awarded interval: rate, band, paid Wh, exact payment, penalty and capacity payment;
    plus the exact totals (payment, penalty, capacity).

    At most 96 rows a day, each exact with Fractions: the money is summed unrounded.
    """
    records = []
    gross, penalty, capacity = Fraction(0), Fraction(0), Fraction(0)
    for interval, award in awards.items():
        awarded = interval_wh(award.awarded_kw)
        delivered = delivered_by_interval[interval]
        price = award.clearing_price_fen_per_mwh
        rate, paid, fine = None, Fraction(0), Fraction(0)
        pay_factor, capacity_factor = None, Fraction(0)
        if awarded > 0:
            rate = Fraction(delivered, awarded)
            pay_factor = program.band_for(rate).pay_factor
            paid = min(Fraction(delivered), program.cap_ratio * awarded) * pay_factor
            if rate < program.penalty_threshold:
                shortfall = program.penalty_threshold * awarded - delivered
                fine = energy_value_fen(price, shortfall) * program.penalty_factor
            capacity_factor = program.capacity_factor(rate)
        # The award's kW read as its decimal text, so 0.1 kW is exactly 1/10.
        standby = program.capacity_price_fen_per_kw * Fraction(repr(award.awarded_kw))
        payment = energy_value_fen(price, paid)
        gross += payment
        penalty += fine
        capacity += standby * capacity_factor
        records.append(
            {
                "interval": interval,
                "awarded_kw": award.awarded_kw,
                "clearing_price_fen_per_mwh": price,
                "awarded_wh": awarded,
                "delivered_wh": delivered,
                "response_rate": math.nan if rate is None else float(rate),
                "pay_factor": math.nan if pay_factor is None else float(pay_factor),
                "paid_wh": float(paid),
                "payment_fen": float(payment),
                "penalty_fen": float(fine),
                "capacity_factor": float(capacity_factor),
                "capacity_fen": float(standby * capacity_factor),
            }
        )
    table = pd.DataFrame.from_records(records, columns=INTERVAL_COLUMNS)
    integer_columns = ("interval", "clearing_price_fen_per_mwh", "awarded_wh", "delivered_wh")
    table = table.astype(
        {c: "int64" if c in integer_columns else "float64" for c in INTERVAL_COLUMNS}
    )
    return table, gross, penalty, capacity


def input_digest(
    market_day: date,
    rows: Sequence[MeteredInterval] | MeteredColumns,
    awards: Mapping[int, IntervalAward],
    program: ProgramRules,
) -> str:
    """sha256 (hex) of the inputs in a canonical form, so a re-run can be told from a correction.

    Row order and award insertion order do not matter, nor whether the rows come as
    MeteredIntervals or MeteredColumns; float values are written as their shortest
    round-trip text, so the same numbers always hash the same.
    Raises InvalidInput when rows or awards are not the settlement types.
    """
    if isinstance(rows, MeteredColumns):
        canonical = rows.digest_rows()
    else:
        for i, row in enumerate(rows):
            if not isinstance(row, MeteredInterval):
                raise InvalidInput(f"rows[{i}]", "must be a MeteredInterval")
        canonical = [
            [
                r.enterprise_id,
                r.asset_id,
                r.interval,
                r.baseline_kw,
                r.metered_kw,
                r.instructed_kw,
                r.estimated,
            ]
            for r in rows
        ]
    checked = _checked_awards(awards)
    payload = {
        "version": DIGEST_VERSION,
        "market_day": market_day.isoformat(),
        "program": program.to_dict(),
        "rows": sorted(canonical),
        "awards": [
            [a.interval, a.awarded_kw, a.clearing_price_fen_per_mwh] for a in checked.values()
        ],
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def diff(previous: DaySettlement, current: DaySettlement) -> list[EnterpriseChange]:
    """Enterprises whose amount or delivered energy changed, sorted by id.

    An enterprise present in only one settlement counts as 0 fen / 0 Wh in the other.
    Raises InvalidInput when the two settlements are for different market days.
    """
    if previous.market_day != current.market_day:
        raise InvalidInput(
            "current.market_day", f"{current.market_day} differs from {previous.market_day}"
        )
    before = {r.enterprise_id: r for r in previous.enterprises}
    after = {r.enterprise_id: r for r in current.enterprises}
    changes = []
    for enterprise_id in sorted(before.keys() | after.keys()):
        old, new = before.get(enterprise_id), after.get(enterprise_id)
        old_fen, new_fen = (old.amount_fen if old else 0), (new.amount_fen if new else 0)
        old_wh, new_wh = (old.delivered_wh if old else 0), (new.delivered_wh if new else 0)
        if old_fen != new_fen or old_wh != new_wh:
            changes.append(
                EnterpriseChange(enterprise_id, old_fen, new_fen, new_fen - old_fen, old_wh, new_wh)
            )
    return changes
