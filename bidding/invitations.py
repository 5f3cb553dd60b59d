"""Demand-response invitations: the grid's announced call, and how a bid problem honours it.

Chinese demand response is mostly invitation-based (OpenADR 3 says "program" and
"event"): the grid operator or the trading centre announces, the day before, an event of
a program with a window, the capacity it asks for, a price floor and cap, a deadline
for declarations and the notice it gives before the event starts. Aggregators declare
capacity and price for that window only.

`honour(problem, invitations, decided_at)` turns a bid problem into the problem of
answering those invitations:

- an invitation whose declaration deadline has passed at `decided_at` is dropped (the
  bidder says so: `Honoured.skipped`);
- curtailable loads and batteries may reduce only inside the open windows (their up kW
  is zeroed elsewhere; batteries may still charge anywhere);
- a load whose notification lead time exceeds the invitation's notice cannot take part
  in that window;
- in a window each scenario's price is clipped into the invitation's [floor, cap], and
  the portfolio sells at most the requested kW (`BidProblem.max_sale_kw`);
- outside the windows nothing is sold: rebound and battery charging there cost the
  energy price, the same in every scenario (`rebound_price_fen_per_mwh`, non-anticipative:
  the day's recharge is not priced on a scenario's cheap hours), and no offer is made
  (`BidProblem.offer_mask`).

Without invitations a problem is unchanged: every interval may be offered, uncapped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from bidding.assets import CurtailableLoadSpec
from bidding.exceptions import InvalidInput
from bidding.intervals import INTERVALS_PER_DAY, interval_start
from bidding.offer_model import BidAsset, BidProblem, PriceScenario

T = INTERVALS_PER_DAY


@dataclass(frozen=True)
class DrInvitation:
    """One announced DR event: window [start_interval, end_interval) of the market day."""

    event_id: str
    program: str
    start_interval: int
    end_interval: int
    requested_kw: float
    price_floor_fen_per_mwh: int
    price_cap_fen_per_mwh: int
    #: Declarations (offers) must reach the market before this moment (UTC-aware).
    declaration_deadline: datetime
    #: The grid confirms the call this many minutes before the window starts.
    notice_minutes: int

    @property
    def intervals(self) -> range:
        return range(self.start_interval, self.end_interval)


def validate_invitations(invitations: list[DrInvitation] | tuple[DrInvitation, ...]) -> None:
    """Raises InvalidInput naming e.g. "invitations[1].end_interval"; windows must not overlap."""
    taken = np.zeros(T, dtype=bool)
    for k, inv in enumerate(invitations):
        where = f"invitations[{k}]"
        if not inv.event_id:
            raise InvalidInput(f"{where}.event_id", "must not be empty")
        if not 0 <= inv.start_interval < T:
            raise InvalidInput(f"{where}.start_interval", f"must be 0..{T - 1}")
        if not inv.start_interval < inv.end_interval <= T:
            raise InvalidInput(f"{where}.end_interval", f"must be after start_interval, <= {T}")
        if not (math.isfinite(inv.requested_kw) and inv.requested_kw > 0):
            raise InvalidInput(f"{where}.requested_kw", "must be finite and > 0")
        if inv.price_floor_fen_per_mwh < 0:
            raise InvalidInput(f"{where}.price_floor_fen_per_mwh", "must be >= 0")
        if inv.price_cap_fen_per_mwh < inv.price_floor_fen_per_mwh:
            raise InvalidInput(f"{where}.price_cap_fen_per_mwh", "must be >= the floor")
        if inv.notice_minutes < 0:
            raise InvalidInput(f"{where}.notice_minutes", "must be >= 0")
        if inv.declaration_deadline.tzinfo is None:
            raise InvalidInput(f"{where}.declaration_deadline", "must carry a time zone")
        window = np.zeros(T, dtype=bool)
        window[inv.start_interval : inv.end_interval] = True
        if np.any(taken & window):
            raise InvalidInput(f"{where}", "window overlaps an earlier invitation's")
        taken |= window


@dataclass(frozen=True)
class Honoured:
    """The problem answering the open invitations, and those it could not answer (with why)."""

    problem: BidProblem
    answered: tuple[DrInvitation, ...]
    skipped: tuple[tuple[DrInvitation, str], ...]


def _restrict(asset: BidAsset, allowed: np.ndarray) -> BidAsset:
    env = asset.envelope
    return replace(asset, envelope=replace(env, up_kw=np.where(allowed, env.up_kw, 0.0)))


def honour(
    problem: BidProblem,
    invitations: list[DrInvitation] | tuple[DrInvitation, ...],
    decided_at: datetime | None,
    rebound_price_fen_per_mwh: np.ndarray | None = None,
) -> Honoured:
    """The bid problem for the invitations still open at `decided_at` (see module docstring).

    `rebound_price_fen_per_mwh` (96) prices energy drawn outside the windows; without it
    the scenarios' mean price is used. With no invitation the problem is returned as is.
    Raises InvalidInput for malformed invitations.
    """
    if not invitations:
        return Honoured(problem, (), ())
    validate_invitations(invitations)
    answered, skipped = [], []
    for inv in invitations:
        if decided_at is not None and decided_at >= inv.declaration_deadline:
            deadline = inv.declaration_deadline.isoformat()
            skipped.append((inv, f"declaration deadline {deadline} passed"))
        else:
            answered.append(inv)
    window = np.zeros(T, dtype=bool)
    cap_kw = np.full(T, np.inf)
    floor = np.full(T, -np.inf)
    ceiling = np.full(T, np.inf)
    for inv in answered:
        window[inv.start_interval : inv.end_interval] = True
        cap_kw[inv.start_interval : inv.end_interval] = inv.requested_kw
        floor[inv.start_interval : inv.end_interval] = inv.price_floor_fen_per_mwh
        ceiling[inv.start_interval : inv.end_interval] = inv.price_cap_fen_per_mwh
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float)
    if rebound_price_fen_per_mwh is None:
        outside = np.array([s.probability for s in problem.scenarios]) @ prices
    else:
        outside = np.asarray(rebound_price_fen_per_mwh, dtype=float)
    clipped = np.where(window[None, :], np.clip(prices, floor, ceiling), outside[None, :])
    scenarios = [
        PriceScenario(s.probability, np.rint(row))
        for s, row in zip(problem.scenarios, clipped, strict=True)
    ]
    assets = []
    for asset in problem.assets:
        if not answered:  # nothing can be sold: nothing to prepare (no charging either)
            env = asset.envelope
            assets.append(
                replace(asset, envelope=replace(env, up_kw=env.up_kw * 0, down_kw=env.down_kw * 0))
            )
            continue
        allowed = window.copy()
        if isinstance(asset.spec, CurtailableLoadSpec):
            for inv in answered:
                if asset.spec.notification_lead_minutes > inv.notice_minutes:
                    allowed[inv.start_interval : inv.end_interval] = False
        assets.append(_restrict(asset, allowed))
    honoured = replace(
        problem,
        assets=assets,
        scenarios=scenarios,
        max_sale_kw=cap_kw,
        offer_mask=window,
    )
    return Honoured(honoured, tuple(answered), tuple(skipped))


def notice_time(market_day, inv: DrInvitation) -> datetime:
    """When the grid confirms the call: `notice_minutes` before the window starts (UTC)."""
    return interval_start(market_day, inv.start_interval) - timedelta(minutes=inv.notice_minutes)
