"""Why a green plan falls short of its target: too little allowed by price, or too little supply.

A shortfall is left only where nothing more may be bought (see `green_offers`). It is
PRICE_ABOVE_LIMIT when the products whose forecast price is within the enterprise's
limits could not cover the target even with unlimited supply (certificates above their
limit or not counted by an hourly-matched target, and bundled power within its limit in
too few hours), otherwise SUPPLY: the sellers' supply, shared by all enterprises, ran out.
"""

from __future__ import annotations

import math
from enum import StrEnum

import numpy as np

from bidding.green_inputs import GreenInputs, GreenTarget


class ShortfallReason(StrEnum):
    """Mirrors GreenShortfallReason (the plan's part: NONE, SUPPLY, PRICE_ABOVE_LIMIT)."""

    NONE = ""
    SUPPLY = "supply"
    PRICE_ABOVE_LIMIT = "price_above_limit"


def _price_text(inputs: GreenInputs, target: GreenTarget, bundled_hours: int) -> str:
    parts = []
    if target.hourly_matched:
        parts.append("an hourly-matched target counts no certificates")
    else:
        parts.append(
            f"certificates forecast at {inputs.certificate_price_fen_per_mwh:,.0f} fen/MWh, "
            f"above the limit of {target.certificate_price_limit_fen_per_mwh:,}"
        )
    above = inputs.hours - bundled_hours
    parts.append(
        f"bundled power forecast above the limit of {target.bundled_price_limit_fen_per_mwh:,} "
        f"fen/MWh in {above} of {inputs.hours} hours"
    )
    return "; ".join(parts)


def _supply_text(inputs: GreenInputs, allowed: np.ndarray) -> str:
    if math.isfinite(inputs.certificate_supply_kwh):
        return (
            f"the park's generators are forecast to offer only "
            f"{inputs.certificate_supply_kwh:,.0f} kWh of certificates in the period"
        )
    bundled = float(np.minimum(inputs.supply_kwh[allowed], 1e18).sum())
    return f"bundled supply is {bundled:,.0f} kWh in the hours within the price limit"


def shortfall_reason(
    inputs: GreenInputs, target: GreenTarget, room_kwh: np.ndarray, needed_kwh: float
) -> tuple[ShortfallReason, str]:
    """(reason, words) for a target planned short of `needed_kwh` beyond on-site PV;
    `room_kwh` is each hour's consumption left after on-site PV."""
    allowed = inputs.bundled_price_fen_per_mwh <= target.bundled_price_limit_fen_per_mwh
    certificates_allowed = (
        not target.hourly_matched
        and inputs.certificate_price_fen_per_mwh <= target.certificate_price_limit_fen_per_mwh
    )
    reachable_kwh = math.inf if certificates_allowed else float(room_kwh[allowed].sum())
    if reachable_kwh < needed_kwh - 1e-6:
        return ShortfallReason.PRICE_ABOVE_LIMIT, _price_text(inputs, target, int(allowed.sum()))
    return ShortfallReason.SUPPLY, _supply_text(inputs, allowed)
