"""Why a settled interval's figures differ from the plan, step by step.

The chain is plan -> market -> dispatch -> delivery -> payment. `reasons_for` gives an
interval the reasons that apply: NOT_OFFERED, then one of NOT_CALLED / PRICE_ABOVE_CAP /
PARTLY_CLEARED at the market, then NOT_DISPATCHED or DISPATCHED_ABOVE_CLEARED (a
curtailment event holds one level, so a load may be sent more than an interval's award),
UNDER_ or OVER_DELIVERY (the assets' cut against the reference baseline, the day's own
load) and BASELINE (the settlement baseline counting another delivery than the
reference), or PAID_AS_CLEARED when a cleared interval went as cleared. Each reason
carries its figures in one sentence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from bidding.intervals import INTERVAL_HOURS, INTERVAL_MINUTES, INTERVALS_PER_DAY
from settlement.exceptions import InvalidInput
from settlement.money import FEN_PER_CNY, energy_value_fen, kwh_to_wh, round_fen

#: Market quantities (offers, awards, instructions) below this differ by float dust only.
MARKET_EPSILON_KW = 0.01
#: Metered quantities differ when apart by more than this share of the larger one and
#: more than DELIVERY_TOLERANCE_KW: meters and baselines are not exact to the watt.
DELIVERY_TOLERANCE_SHARE = 0.02
DELIVERY_TOLERANCE_KW = 1.0


class Reason(Enum):
    """Why an interval's figures differ (the proto's DifferenceReason without prefix)."""

    NOT_OFFERED = "NOT_OFFERED"
    NOT_CALLED = "NOT_CALLED"
    PRICE_ABOVE_CAP = "PRICE_ABOVE_CAP"
    PARTLY_CLEARED = "PARTLY_CLEARED"
    NOT_DISPATCHED = "NOT_DISPATCHED"
    UNDER_DELIVERY = "UNDER_DELIVERY"
    OVER_DELIVERY = "OVER_DELIVERY"
    BASELINE = "BASELINE"
    PAID_AS_CLEARED = "PAID_AS_CLEARED"
    DISPATCHED_ABOVE_CLEARED = "DISPATCHED_ABOVE_CLEARED"


@dataclass(frozen=True)
class IntervalReason:
    reason: Reason
    detail: str


@dataclass(frozen=True)
class IntervalFigures:
    """One interval's figures from plan, market, dispatch and settlement (kW averages).

    `called_kw` and `price_cap_fen_per_mwh` are the grid's invitation (0 and None when
    it did not call the interval); `lowest_offer_fen_per_mwh` is None when nothing was
    offered; `reference_delivered_kw` is delivery against the reference baseline, None
    when it could not be computed. Construction raises InvalidInput for an interval
    outside 0..95 or a quantity that is not a finite number.
    """

    interval: int
    offered_kw: float = 0.0
    lowest_offer_fen_per_mwh: int | None = None
    expected_kw: float = 0.0
    expected_revenue_fen: int = 0
    called_kw: float = 0.0
    price_cap_fen_per_mwh: int | None = None
    event_id: str = ""
    cleared_kw: float = 0.0
    clearing_price_fen_per_mwh: int = 0
    dispatched_kw: float = 0.0
    baseline_kw: float = 0.0
    metered_kw: float = 0.0
    delivered_kw: float = 0.0
    reference_delivered_kw: float | None = None
    paid_fen: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.interval, bool) or not isinstance(self.interval, int):
            raise InvalidInput("interval", f"must be an integer, got {self.interval!r}")
        if not 0 <= self.interval < INTERVALS_PER_DAY:
            raise InvalidInput("interval", f"must be 0..{INTERVALS_PER_DAY - 1}")
        for name in ("offered_kw", "expected_kw", "called_kw", "cleared_kw", "dispatched_kw"):
            _check_kw(name, getattr(self, name))
        for name in ("baseline_kw", "metered_kw", "delivered_kw"):
            _check_kw(name, getattr(self, name), signed=True)
        if self.reference_delivered_kw is not None:
            _check_kw("reference_delivered_kw", self.reference_delivered_kw, signed=True)

    @property
    def cleared_value_fen(self) -> int:
        """cleared kW x clearing price over the interval, rounded to the fen."""
        energy_wh = kwh_to_wh(self.cleared_kw * INTERVAL_HOURS)
        return round_fen(energy_value_fen(self.clearing_price_fen_per_mwh, energy_wh))


def _check_kw(name: str, value: object, signed: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(name, f"must be a finite number, got {value!r}")
    if not signed and value < 0:
        raise InvalidInput(name, f"must be >= 0, got {value!r}")


def time_label(interval: int) -> str:
    """Local clock time of an interval, "18:00-18:15" (the day's last: "23:45-24:00")."""
    start, end = interval * INTERVAL_MINUTES, (interval + 1) * INTERVAL_MINUTES
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def cny(fen: int) -> str:
    """Fen as CNY with thousands separators, e.g. 723449 -> "7,234.49"."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // FEN_PER_CNY:,}.{abs(fen) % FEN_PER_CNY:02d}"


def price_number(price_fen_per_mwh: int) -> str:
    """A price's CNY/MWh figure, e.g. 1300000 -> "13,000" (fen shown only when present)."""
    value = Fraction(price_fen_per_mwh, FEN_PER_CNY)
    return f"{int(value):,}" if value.denominator == 1 else f"{float(value):,.2f}"


def per_mwh(price_fen_per_mwh: int) -> str:
    """A price as CNY/MWh, e.g. 1300000 -> "13,000 CNY/MWh"."""
    return f"{price_number(price_fen_per_mwh)} CNY/MWh"


def _differs(measured: float, target: float) -> bool:
    scale = max(abs(measured), abs(target))
    return abs(measured - target) > max(DELIVERY_TOLERANCE_KW, DELIVERY_TOLERANCE_SHARE * scale)


def _market_reasons(f: IntervalFigures) -> list[IntervalReason]:
    """Offer and market: not offered, not called, above the cap, partly cleared."""
    offered = f.offered_kw > MARKET_EPSILON_KW
    cleared = f.cleared_kw > MARKET_EPSILON_KW
    called = f.called_kw > MARKET_EPSILON_KW
    if not offered:
        if cleared:
            return []  # sold through offers outside the plan: nothing to say of the plan
        if called or f.expected_revenue_fen:
            asked = (
                f"the grid called {f.called_kw:,.0f} kW"
                if called
                else f"the plan expected {f.expected_kw:,.0f} kW"
            )
            return [IntervalReason(Reason.NOT_OFFERED, f"{asked}; nothing was offered")]
        return []
    if not cleared:
        lowest = f.lowest_offer_fen_per_mwh
        if not called:
            return [IntervalReason(Reason.NOT_CALLED, "no buyer: the grid did not call it")]
        cap = f.price_cap_fen_per_mwh
        if cap is not None and lowest is not None and lowest > cap:
            return [
                IntervalReason(
                    Reason.PRICE_ABOVE_CAP,
                    f"the lowest offer, {per_mwh(lowest)}, is above the grid's cap of "
                    f"{per_mwh(cap)}",
                )
            ]
        return [
            IntervalReason(
                Reason.NOT_CALLED,
                f"the grid called {f.called_kw:,.0f} kW but bought none of the offer",
            )
        ]
    if f.cleared_kw < f.offered_kw - MARKET_EPSILON_KW:
        why = f" (it called {f.called_kw:,.0f} kW)" if called else ""
        return [
            IntervalReason(
                Reason.PARTLY_CLEARED,
                f"the grid took {f.cleared_kw:,.0f} of {f.offered_kw:,.0f} kW offered{why}",
            )
        ]
    return []


def _delivery_reasons(f: IntervalFigures) -> list[IntervalReason]:
    """Dispatch, delivery and baseline of a cleared interval; paid as cleared when none.

    The first of them also says what was paid against the cleared value.
    """
    out = []
    if f.dispatched_kw < f.cleared_kw - MARKET_EPSILON_KW:
        out.append(
            IntervalReason(
                Reason.NOT_DISPATCHED,
                f"{f.cleared_kw - f.dispatched_kw:,.0f} of {f.cleared_kw:,.0f} kW cleared "
                "were not dispatched",
            )
        )
    elif f.dispatched_kw > f.cleared_kw + MARKET_EPSILON_KW:
        out.append(
            IntervalReason(
                Reason.DISPATCHED_ABOVE_CLEARED,
                f"{f.dispatched_kw:,.0f} kW were dispatched for {f.cleared_kw:,.0f} kW cleared",
            )
        )
    reference = f.reference_delivered_kw
    cut = f.delivered_kw if reference is None else reference
    performance = f.dispatched_kw > MARKET_EPSILON_KW and _differs(cut, f.dispatched_kw)
    baseline = reference is not None and _differs(f.delivered_kw, reference)
    if (
        not (performance or baseline)
        and f.dispatched_kw > MARKET_EPSILON_KW
        and _differs(f.delivered_kw, f.dispatched_kw)
    ):
        # Each part within the tolerance, together beyond it: name the larger part.
        performance = abs(cut - f.dispatched_kw) >= abs(f.delivered_kw - cut)
        baseline = not performance
    if performance:
        against = "" if reference is None else " against the day's own load"
        out.append(
            IntervalReason(
                Reason.UNDER_DELIVERY if cut < f.dispatched_kw else Reason.OVER_DELIVERY,
                f"the assets cut {cut:,.0f} of {f.dispatched_kw:,.0f} kW dispatched{against} "
                f"({cut / f.dispatched_kw:.0%})",
            )
        )
    if baseline:
        out.append(
            IntervalReason(
                Reason.BASELINE,
                f"the settlement baseline ({f.baseline_kw:,.0f} kW) counts {f.delivered_kw:,.0f}"
                f" kW delivered where the day's own load shows {cut:,.0f} kW",
            )
        )
    if not out:
        return [
            IntervalReason(
                Reason.PAID_AS_CLEARED,
                f"paid {cny(f.paid_fen)} CNY for {f.cleared_kw:,.0f} kW at "
                f"{per_mwh(f.clearing_price_fen_per_mwh)}, as cleared",
            )
        ]
    paid = f"paid {cny(f.paid_fen)} CNY against {cny(f.cleared_value_fen)} CNY cleared"
    out[0] = IntervalReason(out[0].reason, f"{out[0].detail}; {paid}")
    return out


def reasons_for(f: IntervalFigures) -> tuple[IntervalReason, ...]:
    """Why the interval's figures differ, plan -> payment; empty when nothing happened."""
    reasons = _market_reasons(f)
    if f.cleared_kw > MARKET_EPSILON_KW:
        reasons += _delivery_reasons(f)
    return tuple(reasons)


def bucket_of(f: IntervalFigures, reasons: tuple[IntervalReason, ...]) -> str:
    """Where an interval's expected revenue goes in the day's difference: "cleared", or
    the reason it did not clear ("not_offered", "not_called", "price_above_cap")."""
    if f.cleared_kw > MARKET_EPSILON_KW:
        return "cleared"
    if f.offered_kw <= MARKET_EPSILON_KW:
        return "not_offered"
    first = reasons[0].reason if reasons else Reason.NOT_CALLED
    return "price_above_cap" if first == Reason.PRICE_ABOVE_CAP else "not_called"
