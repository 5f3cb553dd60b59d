"""A green target against what was planned, bought and claimed: met, or missed by how much and why.

The target is `share` of metered consumption, in whole Wh rounded up; what counts is the
certificates claimed for the period as the footprint counts them (annual matching, or
hourly when the target is hourly matched). A missed target names the first cause along
the chain plan -> purchase -> retirement -> consumption:

1. the plan itself fell short (its own reason: supply or price above the limits);
2. less was bought than planned: the park's generators issued less than planned
   (SUPPLY), no seller proposed a trade (NO_OFFER), or trades were not settled
   (NOT_BOUGHT);
3. what was planned was not claimed for the period (NOT_RETIRED);
4. everything planned was claimed, but consumption exceeded the plan's forecast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

#: Shares within this of a whole Wh are that Wh (0.3 x 27,576,700 is not 8,273,010.0000001).
_SLACK_WH = 1e-6


class TargetReason(StrEnum):
    NONE = ""
    SUPPLY = "supply"
    PRICE_ABOVE_LIMIT = "price_above_limit"
    NO_OFFER = "no_offer"
    NOT_BOUGHT = "not_bought"
    NOT_RETIRED = "not_retired"
    CONSUMPTION_ABOVE_FORECAST = "consumption_above_forecast"


@dataclass(frozen=True)
class PlannedTarget:
    """The bid plan's side: the target, what it counts on, and its own shortfall."""

    share: float
    hourly_matched: bool
    planned_wh: int
    planned_purchase_wh: int
    forecast_consumption_wh: int
    target_kwh: float
    shortfall_kwh: float
    shortfall_reason: TargetReason = TargetReason.NONE
    shortfall_detail: str = ""


@dataclass(frozen=True)
class Outcome:
    """What happened: metered consumption and the certificates bought, claimed and issued."""

    consumption_wh: int
    bought_wh: int
    claimed_wh: int
    park_issued_wh: int
    offered: bool


@dataclass(frozen=True)
class TargetStatus:
    target_wh: int
    achieved_share: float
    met: bool
    shortfall_wh: int
    shortfall_points: float
    reason: TargetReason
    reason_detail: str


def _why(plan: PlannedTarget, outcome: Outcome) -> tuple[TargetReason, str]:
    if plan.shortfall_kwh > 0:
        covered_kwh = plan.target_kwh - plan.shortfall_kwh
        return plan.shortfall_reason or TargetReason.SUPPLY, (
            f"the plan covers only {covered_kwh:,.0f} of the target's {plan.target_kwh:,.0f} "
            f"kWh: {plan.shortfall_detail}"
        )
    bought, wanted = outcome.bought_wh, plan.planned_purchase_wh
    if bought < wanted:
        if outcome.park_issued_wh < plan.planned_wh:
            return TargetReason.SUPPLY, (
                f"the park's generators issued only {outcome.park_issued_wh:,} Wh in the "
                f"period for the {plan.planned_wh:,} Wh planned; {bought:,} Wh bought"
            )
        if not outcome.offered:
            return TargetReason.NO_OFFER, (
                f"no seller proposed a trade of the period's certificates; {wanted:,} Wh planned"
            )
        return TargetReason.NOT_BOUGHT, f"only {bought:,} of the {wanted:,} Wh planned were bought"
    if outcome.claimed_wh < plan.planned_wh:
        return TargetReason.NOT_RETIRED, (
            f"only {outcome.claimed_wh:,} of the {plan.planned_wh:,} Wh planned were retired "
            f"for the period"
        )
    return TargetReason.CONSUMPTION_ABOVE_FORECAST, (
        f"metered consumption {outcome.consumption_wh:,} Wh exceeded the plan's forecast "
        f"{plan.forecast_consumption_wh:,} Wh"
    )


def target_status(plan: PlannedTarget, outcome: Outcome) -> TargetStatus:
    """Met when the claimed Wh reach the target's Wh; otherwise the shortfall and its cause."""
    consumption = outcome.consumption_wh
    target_wh = max(0, math.ceil(plan.share * consumption - _SLACK_WH))
    achieved = min(1.0, outcome.claimed_wh / consumption) if consumption > 0 else 0.0
    if outcome.claimed_wh >= target_wh:
        return TargetStatus(target_wh, achieved, True, 0, 0.0, TargetReason.NONE, "")
    reason, detail = _why(plan, outcome)
    return TargetStatus(
        target_wh=target_wh,
        achieved_share=achieved,
        met=False,
        shortfall_wh=target_wh - outcome.claimed_wh,
        shortfall_points=max(0.0, (plan.share - achieved) * 100),
        reason=reason,
        reason_detail=detail,
    )
