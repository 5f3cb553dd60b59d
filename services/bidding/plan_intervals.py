"""A bid plan's demand-response intervals: offered kW, expected kW and revenue, the invitation."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from bidding.intervals import INTERVALS_PER_DAY
from bidding.invitations import DrInvitation
from bidding.offer_model import FEN_PER_KW_INTERVAL, BidProblem
from bidding.offers import BidSolution
from parkvpp.v1 import bidding_pb2 as pb


def add_interval_plans(
    plan: pb.BidPlan,
    problem: BidProblem,
    solution: BidSolution,
    answered: Iterable[DrInvitation] = (),
) -> None:
    """Append all 96 `IntervalPlan`s of the DR offers already in `plan`.

    `offered_kw` is the interval's DR curve total. `expected_kw` weighs each scenario's
    planned quantity by its probability; a scenario's net charge or rebound (a negative
    quantity) counts as 0, since it is never sold. `expected_revenue_fen` is the same
    weighting of price x kW x 0.25 h / 1000 at the problem's (invitation-clipped) prices.
    """
    offered = np.zeros(INTERVALS_PER_DAY)
    for curve in plan.demand_response_offers:
        offered[curve.interval] += sum(step.quantity_kw for step in curve.steps)
    event_ids = [""] * INTERVALS_PER_DAY
    for invitation in answered:
        for interval in invitation.intervals:
            event_ids[interval] = invitation.event_id
    probabilities = np.array([s.probability for s in problem.scenarios])
    prices = np.array([s.price_fen_per_mwh for s in problem.scenarios], dtype=float)
    sold_kw = np.maximum(np.asarray(solution.scenario_quantity_kw, dtype=float), 0.0)
    expected_kw = probabilities @ sold_kw
    expected_fen = probabilities @ (prices * sold_kw) * FEN_PER_KW_INTERVAL
    for interval in range(INTERVALS_PER_DAY):
        plan.interval_plans.add(
            interval=interval,
            offered_kw=round(float(offered[interval]), 3),
            expected_kw=round(float(expected_kw[interval]), 3),
            expected_revenue_fen=round(float(expected_fen[interval])),
            event_id=event_ids[interval],
        )


def add_run_moves(plan: pb.BidPlan, problem: BidProblem, solution: BidSolution) -> None:
    """Append a `RunMove` for each shiftable load of the DR problem: its baseline, and its
    start in each price scenario (-1: stays) with the probability that it moves."""
    probabilities = [s.probability for s in problem.scenarios]
    for asset in problem.assets:
        if asset.run is None:
            continue
        starts = solution.scenario_starts.get(asset.asset_id, [None] * len(probabilities))
        run = asset.run
        plan.run_moves.add(
            asset_id=asset.asset_id,
            enterprise_id=asset.enterprise_id,
            baseline_start_interval=run.baseline_start_interval,
            run_intervals=len(run.profiles_kw[run.baseline_profile_index]),
            scenario_start_intervals=[-1 if s is None else s for s in starts],
            move_probability=sum(
                p for p, s in zip(probabilities, starts, strict=True) if s is not None
            ),
        )
