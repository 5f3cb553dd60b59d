"""BiddingService request handling: prepare plans with the bid builder, submit them."""

from __future__ import annotations

import math
import uuid

import numpy as np

from bidding.intervals import INTERVALS_PER_DAY
from bidding.offer_model import BidProblem, PriceScenario
from bidding.offers import build_bids, default_scenarios
from parkvpp.v1 import bidding_pb2 as pb
from parkvpp.v1 import bidding_pb2_grpc, events_pb2, market_pb2, market_pb2_grpc
from services.enrollment.registry import Registry
from services.runtime.context import Runtime
from services.runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from services.runtime.events import TOPIC_BIDS
from services.runtime.metrics import record_bid_plan
from services.runtime.rpc import market_day, now_ts, require_id
from services.runtime.store import shared_key
from services.telemetry.rollups import Rollups
from services.vpp.portfolio import Portfolio

DEFAULT_TIME_LIMIT_S = 60.0
MAX_TIME_LIMIT_S = 600.0
SCENARIO_COUNT = 10
MAX_SCENARIOS = 100
#: 10 million CNY per MWh: far above any price cap, small enough for exact LP arithmetic.
MAX_PRICE = 1_000_000_000


def _scenarios(request: pb.PrepareBidsRequest, day) -> list[PriceScenario]:
    if not request.price_scenarios:
        return default_scenarios(day, count=SCENARIO_COUNT)
    if len(request.price_scenarios) > MAX_SCENARIOS:
        raise InvalidArgument("price_scenarios", f"at most {MAX_SCENARIOS} scenarios")
    out = []
    for n, scenario in enumerate(request.price_scenarios):
        field = f"price_scenarios[{n}]"
        if not math.isfinite(scenario.probability) or not 0 < scenario.probability <= 1:
            raise InvalidArgument(f"{field}.probability", "must be in (0, 1]")
        if len(scenario.price_fen_per_mwh) != INTERVALS_PER_DAY:
            raise InvalidArgument(f"{field}.price_fen_per_mwh", "must have 96 prices")
        if min(scenario.price_fen_per_mwh) < 0 or max(scenario.price_fen_per_mwh) > MAX_PRICE:
            raise InvalidArgument(f"{field}.price_fen_per_mwh", f"must be 0..{MAX_PRICE}")
        prices = np.array(scenario.price_fen_per_mwh, dtype=float)
        out.append(PriceScenario(scenario.probability, prices))
    if abs(sum(s.probability for s in out) - 1) > 1e-6:
        raise InvalidArgument("price_scenarios", "probabilities must sum to 1")
    return out


def _commitments(request: pb.PrepareBidsRequest) -> dict[int, float]:
    out: dict[int, float] = {}
    for n, c in enumerate(request.commitments):
        if not 0 <= c.interval < INTERVALS_PER_DAY:
            raise InvalidArgument(f"commitments[{n}].interval", "must be 0..95")
        if not math.isfinite(c.min_reduction_kw) or not 0 <= c.min_reduction_kw <= 1e9:
            raise InvalidArgument(f"commitments[{n}].min_reduction_kw", "must be 0..1e9 kW")
        out[c.interval] = out.get(c.interval, 0.0) + c.min_reduction_kw
    return out


class BiddingServicer(bidding_pb2_grpc.BiddingServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.redis = runtime.redis
        registry = Registry(runtime.redis)
        self.portfolio = Portfolio(runtime.redis, registry, Rollups(runtime.redis))

    @staticmethod
    def _key(*parts: str) -> str:
        return shared_key("bids", *parts)

    def _save(self, plan: pb.BidPlan) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self._key("plan", plan.plan_id), plan.SerializeToString())
        pipe.set(self._key("latest", plan.market_day), plan.plan_id)
        pipe.execute()

    def _load(self, plan_id: str) -> pb.BidPlan:
        raw = self.redis.get(self._key("plan", plan_id))
        if raw is None:
            raise NotFound(f"bid plan {plan_id} not found")
        return pb.BidPlan.FromString(raw)

    def PrepareBids(self, request, context):  # noqa: N802
        day = market_day("market_day", request.market_day)
        if request.green_targets:
            raise InvalidArgument("green_targets", "green-power offers are not offered yet")
        limit = request.time_limit_seconds or DEFAULT_TIME_LIMIT_S
        if not math.isfinite(limit) or not 0 < limit <= MAX_TIME_LIMIT_S:
            raise InvalidArgument("time_limit_seconds", f"must be in (0, {MAX_TIME_LIMIT_S}]")
        problem = BidProblem(
            market_day=day,
            assets=self.portfolio.bid_assets(day),
            scenarios=_scenarios(request, day),
            commitments=_commitments(request),
        )
        if not problem.assets:
            raise FailedPrecondition(f"no active curtailable load or battery for {day}")
        solution = build_bids(problem, time_limit_seconds=limit)
        plan = pb.BidPlan(
            plan_id=f"plan-{day.isoformat()}-{uuid.uuid4().hex[:8]}",
            market_day=day.isoformat(),
            status=pb.BID_PLAN_STATUS_PREPARED,
            expected_revenue_fen=solution.expected_revenue_fen,
            objective_fen=solution.objective_fen,
            bound_fen=solution.bound_fen,
            relative_gap=solution.relative_gap,
            solver=solution.solver,
            solve_seconds=solution.solve_seconds,
            prepared_at=now_ts(),
        )
        for interval, steps in sorted(solution.curves.items()):
            if steps:
                curve = plan.demand_response_offers.add(
                    interval=interval,
                    product=market_pb2.PRODUCT_DEMAND_RESPONSE,
                    side=market_pb2.SIDE_SELL,
                )
                for step in steps:
                    curve.steps.add(
                        price_fen_per_mwh=step.price_fen_per_mwh, quantity_kw=step.quantity_kw
                    )
        for n, (scenario, revenue) in enumerate(
            zip(problem.scenarios, solution.scenario_revenue_fen, strict=True)
        ):
            plan.scenario_revenues.add(
                scenario=n, probability=scenario.probability, revenue_fen=revenue
            )
        self._save(plan)
        record_bid_plan(plan)
        return plan

    def GetBidPlan(self, request, context):  # noqa: N802
        if request.plan_id:
            return self._load(require_id("plan_id", request.plan_id))
        day = market_day("market_day", request.market_day).isoformat()
        latest = self.redis.get(self._key("latest", day))
        if latest is None:
            raise NotFound(f"no bid plan for {day}")
        return self._load(latest.decode())

    def SubmitBids(self, request, context):  # noqa: N802
        plan = self._load(require_id("plan_id", request.plan_id))
        participant = self.runtime.settings.vpp_participant_id
        orders = [
            market_pb2.Order(
                order_id=f"{plan.plan_id}-{curve.interval:02d}",
                participant_id=participant,
                market_day=plan.market_day,
                interval=curve.interval,
                product=curve.product,
                side=curve.side,
                steps=curve.steps,
            )
            for curve in plan.demand_response_offers
        ]
        if not orders:
            raise FailedPrecondition(f"plan {plan.plan_id} has no offers to submit")
        market = market_pb2_grpc.MarketServiceStub(self.runtime.channel("market"))
        reply = market.SubmitOrders(
            market_pb2.SubmitOrdersRequest(
                batch_id=plan.plan_id, market_day=plan.market_day, orders=orders
            ),
            timeout=30,
        )
        if plan.status != pb.BID_PLAN_STATUS_SUBMITTED:
            self.runtime.publisher.publish(
                TOPIC_BIDS,
                plan.market_day,
                events_pb2.BidsSubmitted(
                    plan_id=plan.plan_id,
                    market_day=plan.market_day,
                    batch_id=reply.batch_id,
                    orders=orders,
                ),
            )
            self.runtime.publisher.flush()
            plan.status = pb.BID_PLAN_STATUS_SUBMITTED
            self._save(plan)
        return pb.SubmitBidsResponse(
            plan_id=plan.plan_id, orders_submitted=len(orders), batch_id=reply.batch_id
        )
