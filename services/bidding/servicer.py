"""BiddingService request handling: prepare plans with the bid builders, submit them."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import date, datetime

import numpy as np

from bidding.invitations import DrInvitation, Honoured, honour
from bidding.offer_model import BidAsset, BidProblem, PriceScenario
from bidding.offers import (
    BidSolution,
    build_bids,
    default_scenarios,
    history_scenarios,
)
from bidding.storage_offers import (
    StorageOfferSolution,
    build_storage_offers,
    default_energy_scenarios,
    split_portfolio,
)
from parkvpp.v1 import bidding_pb2 as pb
from parkvpp.v1 import bidding_pb2_grpc, events_pb2, market_pb2
from services.bidding import green, invitation_plan, production, requests
from services.bidding.curves import add_curves, orders_of
from services.bidding.gateway import MarketGateway, gateway_for
from services.bidding.history import dr_history
from services.bidding.plan_intervals import add_interval_plans, add_run_moves
from services.bidding.plan_store import TAG, latest_key, plan_key
from services.enrollment.registry import Registry
from services.runtime.context import Runtime
from services.runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from services.runtime.events import TOPIC_BIDS
from services.runtime.metrics import record_bid_plan
from services.runtime.outbox import OutboxEvent
from services.runtime.rpc import market_day, now_ts, require_id, to_ts
from services.telemetry.rollups import Rollups
from services.vpp.portfolio import Portfolio

DEFAULT_TIME_LIMIT_S = 60.0
MAX_TIME_LIMIT_S = 600.0
SCENARIO_COUNT = 10
DR = market_pb2.PRODUCT_DEMAND_RESPONSE
ENERGY = market_pb2.PRODUCT_ENERGY


class BiddingServicer(bidding_pb2_grpc.BiddingServiceServicer):
    def __init__(self, runtime: Runtime, gateway: MarketGateway | None = None) -> None:
        self.runtime = runtime
        self.redis = runtime.redis
        self.registry = Registry(runtime.redis)
        self.portfolio = Portfolio(runtime.redis, self.registry, Rollups(runtime.redis))
        self.gateway = gateway or gateway_for(runtime)

    def _save(self, plan: pb.BidPlan, events: Sequence[OutboxEvent] = ()) -> None:
        """Store the plan as the day's latest, with `events` in the bids outbox, atomically."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(plan_key(plan.plan_id), plan.SerializeToString())
        pipe.set(latest_key(plan.market_day), plan.plan_id)
        self.runtime.outbox.add_to(pipe, TAG, events)
        pipe.execute()
        if events:
            self.runtime.events_written()

    def _load(self, plan_id: str) -> pb.BidPlan:
        raw = self.redis.get(plan_key(plan_id))
        if raw is None:
            raise NotFound(f"bid plan {plan_id} not found")
        return pb.BidPlan.FromString(raw)

    def _demand_response(
        self, problem: BidProblem, limit: float
    ) -> tuple[BidProblem, BidSolution] | None:
        if not problem.assets:
            if problem.commitments:
                raise FailedPrecondition(
                    f"commitments: no demand-response assets on {problem.market_day}"
                )
            return None
        return problem, build_bids(problem, time_limit_seconds=limit)

    def _energy_scenarios(self, day: date, given: list[PriceScenario]) -> list[PriceScenario]:
        """The request's ENERGY price scenarios, else the default time-of-use shape."""
        if given:
            return given
        floor, cap = self.runtime.settings.market_price_range("ENERGY")
        return default_energy_scenarios(day, floor, cap, count=SCENARIO_COUNT)

    def _storage(
        self, day: date, batteries: list[BidAsset], scenarios: list[PriceScenario], limit: float
    ) -> StorageOfferSolution | None:
        if not batteries:
            return None
        return build_storage_offers(day, batteries, scenarios, time_limit_seconds=limit)

    def _dr_scenarios(
        self, day: date, given: list[PriceScenario], dr_assets: list[BidAsset]
    ) -> tuple[list[PriceScenario], str]:
        """The request's scenarios, else recent clearings (with the competition they
        show, `services.bidding.history`), else the default shape."""
        if given:
            return given, "request"
        if not dr_assets:
            return default_scenarios(day, count=SCENARIO_COUNT), "default shape"
        offer_kw = np.sum([a.envelope.up_kw for a in dr_assets], axis=0)
        floor, _ = self.runtime.settings.market_price_range("DEMAND_RESPONSE")
        prices, clearable, curves = dr_history(self.gateway, self.redis, day, offer_kw, floor)
        scenarios = history_scenarios(day, prices, clearable=clearable)
        if scenarios is None:
            return default_scenarios(day, count=SCENARIO_COUNT), "default shape"
        first, last = min(prices), max(prices)
        source = f"history: {len(scenarios)} days {first}..{last}"
        if curves:
            source += ", replayed against the competing offers with all we can offer"
        return scenarios, source

    def _answering(
        self, problem: BidProblem, energy: list[PriceScenario], decided_at: datetime
    ) -> tuple[list[market_pb2.DrEvent], Honoured, list[tuple[str, str]]]:
        """The day's DR events, the problem answering those it can, and the ones left out.

        Energy drawn back outside the answered windows costs the energy price, the same in
        every DR scenario: the energy scenarios' probability-weighted mean.
        """
        events = self.gateway.dr_events(problem.market_day.isoformat())
        invitations, left_out = invitation_plan.usable(events)
        rebound = sum(s.probability * np.asarray(s.price_fen_per_mwh, float) for s in energy)
        return events, honour(problem, invitations, decided_at, rebound), left_out

    def PrepareBids(self, request, context):  # noqa: N802
        # Seconds of solving: at background priority, so the node's reads stay quick.
        return self.runtime.background.run(self._prepare, request)

    def _prepare(self, request: pb.PrepareBidsRequest) -> pb.BidPlan:
        day = market_day("market_day", request.market_day)
        limit = request.time_limit_seconds or DEFAULT_TIME_LIMIT_S
        if not math.isfinite(limit) or not 0 < limit <= MAX_TIME_LIMIT_S:
            raise InvalidArgument("time_limit_seconds", f"must be in (0, {MAX_TIME_LIMIT_S}]")
        dr_scenarios = requests.price_scenarios(request.price_scenarios, "price_scenarios", 0)
        energy_scenarios = requests.price_scenarios(
            request.energy_price_scenarios, "energy_price_scenarios", -requests.MAX_PRICE
        )
        commitments = requests.commitments(request)
        targets = requests.green_targets(request, self.registry)
        bundled, certificate = requests.green_prices(
            request, green.BUNDLED_PRICE_FEN_PER_MWH, green.CERTIFICATE_PRICE_FEN_PER_MWH
        )
        decided_at = requests.decided_at(request)
        share = self.runtime.settings.storage_energy_share
        bid_assets = self.portfolio.bid_assets(day, decision_time=decided_at)
        dr_assets, batteries = split_portfolio(bid_assets, share)
        scenarios, source = self._dr_scenarios(day, dr_scenarios, dr_assets)
        energy = self._energy_scenarios(day, energy_scenarios)
        problem = BidProblem(
            market_day=day, assets=dr_assets, scenarios=scenarios, commitments=commitments
        )
        events, honoured, left_out = self._answering(problem, energy, decided_at)
        demand_response = self._demand_response(honoured.problem, limit)
        storage = self._storage(day, batteries, energy, limit)
        if demand_response is None and storage is None:
            raise FailedPrecondition(f"no active curtailable load or battery for {day}")
        plan = pb.BidPlan(
            plan_id=f"plan-{day.isoformat()}-{uuid.uuid4().hex[:8]}",
            market_day=day.isoformat(),
            status=pb.BID_PLAN_STATUS_PREPARED,
            prepared_at=now_ts(),
            storage_energy_share=share,
            scenario_source=source,
            decided_at=to_ts(decided_at),
        )
        if events:
            invitation_plan.record(plan, events, honoured, left_out)
        if demand_response is not None:
            self._add_demand_response(plan, *demand_response, honoured.answered)
        if storage is not None:
            self._add_storage(plan, storage)
        if targets:
            solution = green.green_offers(
                self.portfolio,
                day,
                targets,
                bundled,
                certificate,
                limit,
                park_only=request.green_supply_park_only,
            )
            green.add_to_plan(plan, solution, targets)
        self._save(plan)
        record_bid_plan(plan)
        return plan

    def _add_storage(self, plan: pb.BidPlan, storage: StorageOfferSolution) -> None:
        energy_range = self.runtime.settings.market_price_range("ENERGY")
        for side, curves in (
            (market_pb2.SIDE_BUY, storage.buy_curves),
            (market_pb2.SIDE_SELL, storage.sell_curves),
        ):
            add_curves(plan.storage_offers, curves, ENERGY, side, energy_range)
        plan.storage_expected_revenue_fen = storage.expected_revenue_fen
        plan.storage_relative_gap = storage.relative_gap

    def _add_demand_response(
        self,
        plan: pb.BidPlan,
        problem: BidProblem,
        solution: BidSolution,
        answered: Sequence[DrInvitation] = (),
    ) -> None:
        plan.expected_revenue_fen = solution.expected_revenue_fen
        plan.objective_fen = solution.objective_fen
        plan.bound_fen = solution.bound_fen
        plan.relative_gap = solution.relative_gap
        plan.solver = solution.solver
        plan.solve_seconds = solution.solve_seconds
        dr_range = self.runtime.settings.market_price_range("DEMAND_RESPONSE")
        add_curves(plan.demand_response_offers, solution.curves, DR, market_pb2.SIDE_SELL, dr_range)
        for n, (scenario, revenue) in enumerate(
            zip(problem.scenarios, solution.scenario_revenue_fen, strict=True)
        ):
            plan.scenario_revenues.add(
                scenario=n, probability=scenario.probability, revenue_fen=revenue
            )
        add_interval_plans(plan, problem, solution, answered)
        add_run_moves(plan, problem, solution)

    def GetBidPlan(self, request, context):  # noqa: N802
        if request.plan_id:
            return self._load(require_id("plan_id", request.plan_id))
        day = market_day("market_day", request.market_day).isoformat()
        latest = self.redis.get(latest_key(day))
        if latest is None:
            raise NotFound(f"no bid plan for {day}")
        return self._load(latest.decode())

    def SubmitBids(self, request, context):  # noqa: N802
        plan = self._load(require_id("plan_id", request.plan_id))
        orders = orders_of(plan, self.runtime.settings.vpp_participant_id)
        if not orders:
            raise FailedPrecondition(f"plan {plan.plan_id} has no offers to submit")
        receipt = self.gateway.submit(plan.plan_id, plan.market_day, orders)
        if plan.status != pb.BID_PLAN_STATUS_SUBMITTED:
            event = OutboxEvent.of(
                TOPIC_BIDS,
                plan.market_day,
                events_pb2.BidsSubmitted(
                    plan_id=plan.plan_id,
                    market_day=plan.market_day,
                    batch_id=receipt.batch_id,
                    orders=orders,
                ),
                event_id=f"bids-submitted-{plan.plan_id}",
            )
            plan.status = pb.BID_PLAN_STATUS_SUBMITTED
            self._save(plan, [event])
        return pb.SubmitBidsResponse(
            plan_id=plan.plan_id, orders_submitted=len(orders), batch_id=receipt.batch_id
        )

    def ScheduleProduction(self, request, context):  # noqa: N802
        return production.schedule_production(request, self.gateway)
