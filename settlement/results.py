"""Settlement data: the market's award per interval, and what a settled day gives whom."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from bidding.intervals import INTERVALS_PER_DAY
from settlement.exceptions import InvalidInput, MissingData


@dataclass(frozen=True)
class IntervalAward:
    """What the market awarded the VPP in one interval: a reduction and its clearing price.

    Construction raises InvalidInput for an interval outside 0..95, a negative or
    non-finite award, or a price that is not a non-negative integer.
    """

    interval: int
    awarded_kw: float
    clearing_price_fen_per_mwh: int

    def __post_init__(self) -> None:
        if isinstance(self.interval, bool) or not isinstance(self.interval, int):
            raise InvalidInput("interval", f"must be an integer, got {self.interval!r}")
        if not 0 <= self.interval < INTERVALS_PER_DAY:
            raise InvalidInput(
                "interval", f"must be 0..{INTERVALS_PER_DAY - 1}, got {self.interval}"
            )
        kw = self.awarded_kw
        if (
            isinstance(kw, bool)
            or not isinstance(kw, int | float)
            or not math.isfinite(kw)
            or kw < 0
        ):
            raise InvalidInput("awarded_kw", f"must be a finite number >= 0, got {kw!r}")
        object.__setattr__(self, "awarded_kw", float(kw) + 0.0)
        price = self.clearing_price_fen_per_mwh
        if isinstance(price, bool) or not isinstance(price, int) or price < 0:
            raise InvalidInput(
                "clearing_price_fen_per_mwh", f"must be an integer >= 0, got {price!r}"
            )


@dataclass(frozen=True)
class EnterpriseResult:
    """One enterprise's share of the day; `includes_estimated` if any of its rows was estimated."""

    enterprise_id: str
    delivered_wh: int
    amount_fen: int
    includes_estimated: bool


@dataclass(frozen=True)
class EnterpriseChange:
    """How one enterprise's result moved between two settlements of the same day."""

    enterprise_id: str
    previous_amount_fen: int
    current_amount_fen: int
    change_fen: int
    previous_delivered_wh: int
    current_delivered_wh: int


@dataclass(frozen=True)
class DaySettlement:
    """The settled day. operator_fee_fen + Σ enterprise amount_fen == net_pool_fen exactly.

    `lines` has one row per metered row (with its `amount_fen` share); `intervals` one
    row per awarded interval. Both are for reading; equality compares the totals only.
    """

    market_day: date
    gross_payment_fen: int
    penalty_fen: int
    operator_fee_fen: int
    enterprise_pool_fen: int
    enterprises: tuple[EnterpriseResult, ...]
    awarded_wh: int
    delivered_wh: int
    lines: pd.DataFrame = field(compare=False, repr=False)
    intervals: pd.DataFrame = field(compare=False, repr=False)
    capacity_payment_fen: int = 0

    @property
    def net_pool_fen(self) -> int:
        """Gross (energy) payment plus capacity payment less penalty; may be negative."""
        return self.gross_payment_fen + self.capacity_payment_fen - self.penalty_fen

    def enterprise(self, enterprise_id: str) -> EnterpriseResult:
        """The result of `enterprise_id`; raises MissingData when it had no rows that day."""
        for result in self.enterprises:
            if result.enterprise_id == enterprise_id:
                return result
        raise MissingData("enterprise", f"{enterprise_id} has no rows on {self.market_day}")
