"""Green-power purchase offers: an LP meets each enterprise's green target at least cost.

Per enterprise e and hour h, on-site PV covers min(pv, consumption) first, at no cost.
What is left may be covered by bundled green power b[e,h] (energy with its
certificates) up to the consumption PV leaves uncovered, or by unbundled certificates
k[e] over the whole period. A target is `share` x period consumption; hourly matching
counts only PV and bundled power, each capped by that hour's consumption (so the share
equals certificates' hourly-matched share in `certificates.carbon`); period matching
also counts certificates. Unbundled certificates are never counted for hourly matching,
as their production hour is unknown when buying.

A product whose forecast price exceeds the enterprise's limit is not bought at all, so
no offer bids above a limit; a target the allowed products cannot reach is met in part
and the rest reported as shortfall (a penalty above any price makes the LP cover all it
can; `green_shortfall` says why). Bundled power costs its price minus the grid price it
displaces (0 by default), so with a grid price the LP weighs the green premium against
certificates. An optional park-wide supply of bundled power per hour, and of bundled
power and certificates together over the period, is shared by all enterprises. Surplus PV
(pv - consumption > 0) is offered for sale per hour as bundled green power at a
reserve price; it does not count toward its owner's target.

Rounding to ledger Wh: buy offers are rounded UP (the rounded purchase still meets the
target), sell offers DOWN (never promise more than the forecast surplus).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import numpy as np
from ortools.linear_solver import pywraplp

from bidding.exceptions import InvalidInput
from bidding.green_inputs import GreenInputs, GreenTarget, Profile, validate_green_inputs
from bidding.green_shortfall import ShortfallReason, shortfall_reason
from bidding.lp import DEFAULT_SOLVER, DEFAULT_TIME_LIMIT_SECONDS, create_solver, solve

WH_PER_KWH = 1000
#: kWh priced in fen/MWh is worth this many fen per (fen/MWh).
FEN_PER_KWH_AT_FEN_PER_MWH = 1 / 1000
#: LP values within this many Wh of a whole Wh are that Wh (no extra Wh from float dust).
ROUNDING_SLACK_WH = 1e-6
HOUR = timedelta(hours=1)


class GreenProduct(StrEnum):
    BUNDLED = "bundled"
    CERTIFICATE = "certificate"


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True)
class GreenPowerOffer:
    """One order (mirrors GreenPowerOffer): energy over an hour or the period, with a price limit.

    A buy pays at most `price_limit_fen_per_mwh` (the enterprise's limit); a sell
    accepts no less (the reserve price). Times are UTC, end exclusive.
    """

    enterprise_id: str
    product: GreenProduct
    side: Side
    energy_wh: int
    price_limit_fen_per_mwh: int
    period_start: datetime
    period_end: datetime


@dataclass(frozen=True)
class EnterpriseGreenPlan:
    """What the offers achieve for one enterprise if they all clear at the forecast prices.

    `achieved_share` = (PV used + bundled + certificates unless hourly matched) /
    consumption, at most 1 and 0 without consumption; `cost_fen` is what its buy offers
    cost at the forecast prices (the full bundled price, energy included). A shortfall
    carries its reason and the reason in words.
    """

    enterprise_id: str
    consumption_kwh: float
    target_kwh: float
    onsite_pv_used_kwh: float
    bundled_wh: int
    certificate_wh: int
    surplus_offered_wh: int
    shortfall_kwh: float
    achieved_share: float
    cost_fen: int
    shortfall_reason: ShortfallReason = ShortfallReason.NONE
    shortfall_detail: str = ""


@dataclass(frozen=True)
class GreenOfferSolution:
    """All offers, per-enterprise results and the total cost (the sum of the enterprises')."""

    offers: list[GreenPowerOffer]
    enterprises: dict[str, EnterpriseGreenPlan]
    total_cost_fen: int
    solver: str
    solve_seconds: float


@dataclass
class _Purchases:
    """Solved kWh of one enterprise: bundled per hour (0 where not allowed) and certificates."""

    bundled_kwh: np.ndarray
    certificate_kwh: float


def _buy_wh(kwh: float) -> int:
    return max(0, math.ceil(kwh * WH_PER_KWH - ROUNDING_SLACK_WH))


def _sell_wh(kwh: float) -> int:
    return max(0, math.floor(kwh * WH_PER_KWH + ROUNDING_SLACK_WH))


def _target_kwh(inputs: GreenInputs, enterprise_id: str) -> float:
    target = inputs.targets.get(enterprise_id)
    return target.share * float(inputs.consumption_kwh[enterprise_id].sum()) if target else 0.0


def _pv_used_kwh(inputs: GreenInputs, enterprise_id: str) -> np.ndarray:
    return np.minimum(inputs.onsite_pv_kwh[enterprise_id], inputs.consumption_kwh[enterprise_id])


def _penalty_fen_per_mwh(inputs: GreenInputs) -> float:
    """Dearer than any purchase, so shortfall is left only where nothing may be bought."""
    premium = inputs.bundled_price_fen_per_mwh - inputs.grid_price_fen_per_mwh
    largest = max(float(np.abs(premium).max()), inputs.certificate_price_fen_per_mwh)
    return 10 * largest + 100_000


def _add_enterprise(
    lp: pywraplp.Solver,
    inputs: GreenInputs,
    target: GreenTarget,
    supply_rows: list[pywraplp.Constraint],
    certificate_row: pywraplp.Constraint,
) -> tuple[list[pywraplp.Variable | None], pywraplp.Variable | None]:
    eid = target.enterprise_id
    pv_used = _pv_used_kwh(inputs, eid)
    room = inputs.consumption_kwh[eid] - pv_used
    premium = inputs.bundled_price_fen_per_mwh - inputs.grid_price_fen_per_mwh
    objective = lp.Objective()
    needed_kwh = max(_target_kwh(inputs, eid) - float(pv_used.sum()), 0.0)
    cover = lp.Constraint(needed_kwh, lp.infinity())
    bundled: list[pywraplp.Variable | None] = []
    for h in range(inputs.hours):
        allowed = inputs.bundled_price_fen_per_mwh[h] <= target.bundled_price_limit_fen_per_mwh
        if not allowed or room[h] <= 0:
            bundled.append(None)
            continue
        b = lp.NumVar(0.0, float(room[h]), f"b_{eid}_{h}")
        objective.SetCoefficient(b, float(premium[h]) * FEN_PER_KWH_AT_FEN_PER_MWH)
        cover.SetCoefficient(b, 1.0)
        supply_rows[h].SetCoefficient(b, 1.0)
        certificate_row.SetCoefficient(b, 1.0)
        bundled.append(b)
    certificates = None
    price = inputs.certificate_price_fen_per_mwh
    if not target.hourly_matched and price <= target.certificate_price_limit_fen_per_mwh:
        certificates = lp.NumVar(0.0, needed_kwh, f"k_{eid}")
        objective.SetCoefficient(certificates, price * FEN_PER_KWH_AT_FEN_PER_MWH)
        cover.SetCoefficient(certificates, 1.0)
        certificate_row.SetCoefficient(certificates, 1.0)
    shortfall = lp.NumVar(0.0, needed_kwh, f"short_{eid}")
    objective.SetCoefficient(shortfall, _penalty_fen_per_mwh(inputs) * FEN_PER_KWH_AT_FEN_PER_MWH)
    cover.SetCoefficient(shortfall, 1.0)
    return bundled, certificates


def _solve_purchases(
    inputs: GreenInputs, solver: str, time_limit_seconds: float
) -> tuple[dict[str, _Purchases], str, float]:
    lp, name = create_solver(solver, time_limit_seconds)
    supply_rows = [lp.Constraint(0.0, min(float(s), lp.infinity())) for s in inputs.supply_kwh]
    certificate_row = lp.Constraint(0.0, min(inputs.certificate_supply_kwh, lp.infinity()))
    handles = {
        eid: _add_enterprise(lp, inputs, t, supply_rows, certificate_row)
        for eid, t in inputs.targets.items()
    }
    lp.Objective().SetMinimization()
    outcome = solve(lp, name, "green_target", "no mix of purchases fits the limits")
    purchases = {}
    for eid, (bundled, certificates) in handles.items():
        kwh = np.array([max(b.solution_value(), 0.0) if b else 0.0 for b in bundled])
        cert_kwh = max(certificates.solution_value(), 0.0) if certificates else 0.0
        purchases[eid] = _Purchases(kwh, cert_kwh)
    return purchases, outcome.solver, outcome.solve_seconds


def _enterprise_offers(
    inputs: GreenInputs,
    eid: str,
    bought: _Purchases | None,
    period_start: datetime,
    reserve_price_fen_per_mwh: int,
) -> list[GreenPowerOffer]:
    """Surplus sells and, when `bought`, bundled buys per hour, then one certificate buy."""
    hours = [(period_start + h * HOUR, period_start + (h + 1) * HOUR) for h in range(inputs.hours)]
    surplus_kwh = inputs.onsite_pv_kwh[eid] - inputs.consumption_kwh[eid]
    offers = []
    for (start, end), kwh in zip(hours, surplus_kwh, strict=True):
        if energy_wh := _sell_wh(kwh):
            offer = (GreenProduct.BUNDLED, Side.SELL, energy_wh, reserve_price_fen_per_mwh)
            offers.append(GreenPowerOffer(eid, *offer, start, end))
    if bought is None:
        return offers
    target = inputs.targets[eid]
    for (start, end), kwh in zip(hours, bought.bundled_kwh, strict=True):
        if energy_wh := _buy_wh(kwh):
            offer = (
                GreenProduct.BUNDLED,
                Side.BUY,
                energy_wh,
                target.bundled_price_limit_fen_per_mwh,
            )
            offers.append(GreenPowerOffer(eid, *offer, start, end))
    if energy_wh := _buy_wh(bought.certificate_kwh):
        limit = target.certificate_price_limit_fen_per_mwh
        offer = (GreenProduct.CERTIFICATE, Side.BUY, energy_wh, limit)
        offers.append(GreenPowerOffer(eid, *offer, period_start, hours[-1][1]))
    return offers


def _cost_fen(inputs: GreenInputs, offers: list[GreenPowerOffer], period_start: datetime) -> int:
    total = 0.0
    for offer in offers:
        if offer.side is not Side.BUY:
            continue
        if offer.product is GreenProduct.CERTIFICATE:
            price = inputs.certificate_price_fen_per_mwh
        else:
            price = inputs.bundled_price_fen_per_mwh[(offer.period_start - period_start) // HOUR]
        total += offer.energy_wh * price / 1_000_000
    return round(total)


def _plan(
    inputs: GreenInputs, eid: str, offers: list[GreenPowerOffer], cost_fen: int
) -> EnterpriseGreenPlan:
    def wh(product: GreenProduct, side: Side) -> int:
        return sum(o.energy_wh for o in offers if o.product is product and o.side is side)

    target = inputs.targets.get(eid)
    consumption = float(inputs.consumption_kwh[eid].sum())
    pv_used = float(_pv_used_kwh(inputs, eid).sum())
    bundled_wh, certificate_wh = (
        wh(GreenProduct.BUNDLED, Side.BUY),
        wh(GreenProduct.CERTIFICATE, Side.BUY),
    )
    counted_wh = bundled_wh + (0 if target and target.hourly_matched else certificate_wh)
    green_kwh = pv_used + counted_wh / WH_PER_KWH
    target_kwh = _target_kwh(inputs, eid)
    shortfall = target_kwh - green_kwh if target_kwh - green_kwh > ROUNDING_SLACK_WH else 0.0
    reason, detail = ShortfallReason.NONE, ""
    if target and shortfall:
        room = inputs.consumption_kwh[eid] - _pv_used_kwh(inputs, eid)
        reason, detail = shortfall_reason(inputs, target, room, target_kwh - pv_used)
    return EnterpriseGreenPlan(
        enterprise_id=eid,
        consumption_kwh=consumption,
        target_kwh=target_kwh,
        onsite_pv_used_kwh=pv_used,
        bundled_wh=bundled_wh,
        certificate_wh=certificate_wh,
        surplus_offered_wh=wh(GreenProduct.BUNDLED, Side.SELL),
        shortfall_kwh=shortfall,
        achieved_share=min(1.0, green_kwh / consumption) if consumption > 0 else 0.0,
        cost_fen=cost_fen,
        shortfall_reason=reason,
        shortfall_detail=detail,
    )


def build_green_offers(
    targets: Sequence[GreenTarget],
    consumption_kwh: Mapping[str, Profile],
    onsite_pv_kwh: Mapping[str, Profile],
    bundled_price_fen_per_mwh: Profile,
    certificate_price_fen_per_mwh: float,
    period_start: datetime,
    *,
    surplus_reserve_price_fen_per_mwh: int = 0,
    grid_price_fen_per_mwh: Profile = 0.0,
    bundled_supply_kwh: Profile | None = None,
    certificate_supply_kwh: float | None = None,
    solver: str = DEFAULT_SOLVER,
    time_limit_seconds: float = DEFAULT_TIME_LIMIT_SECONDS,
) -> GreenOfferSolution:
    """Buy offers that meet each target at least cost, and sell offers for surplus PV.

    Profiles are hourly kWh from `period_start` (hour h covers [start + h, start + h + 1));
    prices are forecasts, one value or one per hour. Enterprises with consumption but no
    target only sell surplus. `bundled_supply_kwh` caps bundled power per hour and
    `certificate_supply_kwh` bundled power and certificates together over the period (all
    enterprises; None = unlimited). A target out of reach within the price limits (or the
    supply) is reported as `shortfall_kwh` with its reason, never raised. Raises
    InvalidInput naming the field for malformed inputs (see `validate_green_inputs`) or a
    reserve price that is not a whole number >= 0; SolverFailed when the LP stops without
    a solution.
    """
    reserve = surplus_reserve_price_fen_per_mwh
    if not (isinstance(reserve, int) and not isinstance(reserve, bool) and reserve >= 0):
        raise InvalidInput("surplus_reserve_price_fen_per_mwh", "must be a whole number >= 0")
    inputs = validate_green_inputs(
        targets,
        consumption_kwh,
        onsite_pv_kwh,
        bundled_price_fen_per_mwh,
        certificate_price_fen_per_mwh,
        period_start,
        grid_price_fen_per_mwh,
        bundled_supply_kwh,
        certificate_supply_kwh,
    )
    purchases, name, seconds = _solve_purchases(inputs, solver, time_limit_seconds)
    start_utc = period_start.astimezone(UTC)
    offers: list[GreenPowerOffer] = []
    plans = {}
    for eid in inputs.consumption_kwh:
        own = _enterprise_offers(inputs, eid, purchases.get(eid), start_utc, reserve)
        plans[eid] = _plan(inputs, eid, own, _cost_fen(inputs, own, start_utc))
        offers.extend(own)
    total = sum(p.cost_fen for p in plans.values())
    return GreenOfferSolution(offers, plans, total, name, seconds)
