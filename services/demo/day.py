"""One market day of the sample park, step by step, through the real gRPC services."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bidding.intervals import INTERVAL, MARKET_TZ, days_before
from parkvpp.v1 import (
    bidding_pb2,
    certificates_pb2,
    enrollment_pb2,
    market_pb2,
    settlement_pb2,
    telemetry_pb2,
    vpp_pb2,
)
from services.demo.certificates_step import (
    BUNDLED_PRICE_FEN_PER_MWH,
    CERTIFICATE_PRICE_FEN_PER_MWH,
    FOUNDRY_GREEN_TARGET,
    CertificatesStep,
)
from services.demo.clients import Clients
from services.demo.meters import (
    DemoError,
    EnergyRegister,
    readings_of,
    rolled_up,
    stream,
    wait_for,
)
from services.demo.park import ASSETS, ENTERPRISES, meter_kw
from services.demo.production_step import ProductionStep
from services.demo.report_step import ReportStep
from services.units import clock, span
from settlement.interval_reasons import per_mwh, time_label

#: Four weeks: ten working days for the 10-in-10 baseline and held-out days for accuracy.
HISTORY_DAYS = 28
#: Days of the exchange's DR market cleared before the demo day (the bidder's scenarios).
MARKET_HISTORY_DAYS = 10
#: Held-out days of the forecast accuracy report.
HOLDOUT_DAYS = 7
#: The chillers' meter drops 01:30-03:00 of the market day (a long gap, estimated from
#: similar days), outside any instruction.
METER_GAP = {"chem-chillers": range(6, 12)}
#: The PV export meter reports a cumulative kWh register; its reading at the start of history.
PV_REGISTER_START_KWH = 1_250_000.0
BASELINES = (
    ("similar-day", vpp_pb2.BASELINE_METHOD_SIMILAR_DAY),
    ("10-in-10 adj.", vpp_pb2.BASELINE_METHOD_TEN_IN_TEN_ADJUSTED),
    ("high 4 of 5", vpp_pb2.BASELINE_METHOD_HIGH_4_OF_5),
)
VPP_PARTICIPANT = "parkvpp-vpp"


def _run_move(move: bidding_pb2.RunMove) -> str:
    """A shiftable load in the bid, e.g. "chem-dryer (shiftable, 18:00-20:00): the plan
    moves it in 10 of 10 price scenarios, most often to 10:00-12:00"."""
    first = move.baseline_start_interval
    where = span(first, first + move.run_intervals - 1)
    starts = [s for s in move.scenario_start_intervals if s >= 0]
    if not starts:
        return f"{move.asset_id} (shiftable, {where}): the plan leaves it where it is"
    common = max(set(starts), key=starts.count)
    return (
        f"{move.asset_id} (shiftable, {where}): the plan moves it in {len(starts)} of "
        f"{len(move.scenario_start_intervals)} price scenarios, most often to "
        f"{span(common, common + move.run_intervals - 1)}"
    )


def _moved_runs(in_force: dict[str, dict[int, float]], plan) -> list[str]:
    """Each shiftable load the dispatch moved: where it runs instead (its negative setpoints,
    the extra load of the moved run)."""
    lines = []
    for move in plan.run_moves if plan is not None else ():
        added = sorted(t for t, kw in in_force.get(move.asset_id, {}).items() if kw < 0)
        if not added:
            continue
        first = move.baseline_start_interval
        lines.append(
            f"{move.asset_id} runs {span(added[0], added[-1])} instead of "
            f"{span(first, first + move.run_intervals - 1)}: the dispatch moved its start"
        )
    return lines


@dataclass
class DaySummary:
    market_day: date
    readings_accepted: int = 0
    peak_flexibility_kw: float = 0.0
    plan: bidding_pb2.BidPlan | None = None
    clearing: market_pb2.ClearingResult | None = None
    instructions: dict[str, list[vpp_pb2.DispatchInstruction]] = field(default_factory=dict)
    #: kW per interval the re-dispatch could not place (the VPP's plan says it is short).
    shortfall_kw: dict[int, float] = field(default_factory=dict)
    settlement: settlement_pb2.SettlementRun | None = None
    settlement_again: settlement_pb2.SettlementRun | None = None
    statement: settlement_pb2.Statement | None = None
    day_report: settlement_pb2.DayReport | None = None
    issued: certificates_pb2.IssueCertificatesResponse | None = None
    transferred_wh: int = 0
    retired_wh: int = 0
    #: Retired for ent-foundry by others under its retire_for mandate.
    retired_for_wh: int = 0
    balances: dict[str, certificates_pb2.Balance] = field(default_factory=dict)
    footprint: certificates_pb2.CarbonFootprint | None = None
    indicators: certificates_pb2.ParkIndicators | None = None
    green_targets: dict[str, certificates_pb2.GreenTargetStatus] = field(default_factory=dict)
    forecast_accuracy: dict[str, vpp_pb2.ForecastAccuracy] = field(default_factory=dict)
    battery_envelope: vpp_pb2.AssetFlexibility | None = None
    event_baselines: dict[str, vpp_pb2.Baseline] = field(default_factory=dict)
    gap_profile: telemetry_pb2.LoadProfile | None = None
    #: The melting heats and the gas engine against the day's ENERGY prices.
    production: bidding_pb2.ProductionSchedule | None = None
    engine_fuel: certificates_pb2.FuelUse | None = None
    timings_s: dict[str, float] = field(default_factory=dict)


def last_working_day(today: date) -> date:
    """The latest Monday-Friday before `today`: the day whose meters are complete."""
    day = today - timedelta(days=1)
    while day.isoweekday() >= 6:
        day -= timedelta(days=1)
    return day


class MarketDay(CertificatesStep, ReportStep, ProductionStep):
    """Runs the demo's steps in order; each step is a method, timed into the summary."""

    def __init__(
        self,
        clients: Clients,
        market_day: date,
        log: Callable[[str], None],
        token_for: Callable[[str], str],
    ) -> None:
        """`clients` call as the operator; `token_for(role)` signs tokens for the other roles."""
        self.c = clients
        self.day = market_day
        self.log = log
        self._token_for = token_for
        self.summary = DaySummary(market_day)
        pv = next(a for a in ASSETS if a.spec.WhichOneof("kind") == "generator")
        self.pv_meter = EnergyRegister(pv, PV_REGISTER_START_KWH)

    def as_(self, role: str) -> tuple[tuple[str, str], ...]:
        """Metadata making one call as `role`, e.g. "enterprise:ent-chem" or "registry"."""
        return Clients.bearer_metadata(self._token_for(role))

    def _step(self, name: str, fn: Callable[[], None]) -> None:
        started = time.perf_counter()
        fn()
        self.summary.timings_s[name] = time.perf_counter() - started

    def run(self) -> DaySummary:
        for name, fn in (
            ("enrol", self.enrol),
            ("history telemetry", self.history),
            ("flexibility and baselines", self.flexibility),
            ("the exchange's recent days", self.market_history),
            ("bidding", self.bid),
            ("clearing", self.clear),
            ("heats and gas engine", self.production),
            ("dispatch", self.dispatch),
            ("metering the day", self.meter_day),
            ("baselines of the event", self.event_baselines),
            ("settlement", self.settle),
            ("plan versus outcome", self.day_report),
            ("certificates and carbon", self.certificates),
        ):
            self.log(f"-- {name}")
            self._step(name, fn)
        return self.summary

    def enrol(self) -> None:
        # The operator commissions the park's assets under readable ids (only the operator
        # chooses asset ids; an enterprise enrolling on its own gets a random one).
        for enterprise_id, name, area in ENTERPRISES:
            self.c.enrollment.RegisterEnterprise(
                enrollment_pb2.RegisterEnterpriseRequest(
                    enterprise_id=enterprise_id, name=name, grid_area=area
                ),
                timeout=10,
            )
        for asset in ASSETS:
            enrolled = self.c.enrollment.EnrollAsset(
                enrollment_pb2.EnrollAssetRequest(
                    request_id=f"enrol-{asset.asset_id}",
                    enterprise_id=asset.enterprise_id,
                    name=asset.name,
                    spec=asset.spec,
                    asset_id=asset.asset_id,
                ),
                timeout=10,
            )
            self.c.enrollment.ApproveAsset(
                enrollment_pb2.ApproveAssetRequest(asset_id=enrolled.asset_id),
                timeout=10,
            )
        self.log(f"   {len(ENTERPRISES)} enterprises, {len(ASSETS)} assets enrolled and approved")

    def _meter_readings(
        self, day: date, kw_of: Callable[[object], list[float]], gaps: bool = False
    ) -> list[telemetry_pb2.Reading]:
        """The day's readings of every demo meter (PV as an energy register)."""
        readings: list[telemetry_pb2.Reading] = []
        for asset in ASSETS:
            if asset is self.pv_meter.asset:
                readings.extend(self.pv_meter.readings(day, kw_of(asset)))
            else:
                skip = METER_GAP.get(asset.asset_id, ()) if gaps else ()
                readings.extend(readings_of(asset, day, kw_of(asset), skip))
        return readings

    def history(self) -> None:
        days = days_before(self.day, HISTORY_DAYS)
        readings = [self.pv_meter.opening(days[0])]
        for d in days:
            readings.extend(self._meter_readings(d, lambda asset, d=d: meter_kw(asset, d)))
        summary = stream(self.c, readings)
        if summary.rejected:
            raise DemoError(f"history readings rejected: {summary.rejections}")
        self.summary.readings_accepted += summary.accepted
        wait_for("history rollups", lambda: rolled_up(self.c, days[-1]))
        self.log(
            f"   {summary.accepted:,} readings of {HISTORY_DAYS} days streamed and rolled up "
            "(PV as a kWh register)"
        )

    def flexibility(self) -> None:
        envelope = self.c.vpp.GetFlexibility(
            vpp_pb2.GetFlexibilityRequest(market_day=self.day.isoformat(), include_assets=True),
            timeout=30,
        )
        peak = max(envelope.aggregate, key=lambda i: i.up_kw)
        self.summary.peak_flexibility_kw = peak.up_kw
        self.log(f"   peak upward flexibility {peak.up_kw:,.0f} kW at {time_label(peak.interval)}")
        for asset in envelope.assets:
            stored = [(i.stored_energy_min_kwh, i.stored_energy_max_kwh) for i in asset.intervals]
            if any(high > 0 for _, high in stored):
                self.summary.battery_envelope = asset
                out_kw = max(i.up_kw for i in asset.intervals)
                in_kw = max(i.down_kw for i in asset.intervals)
                self.log(
                    f"   battery {asset.asset_id}: up to {out_kw:,.0f} kW out / {in_kw:,.0f} kW "
                    "in, stored "
                    f"energy bounds {min(lo for lo, _ in stored):,.0f}.."
                    f"{max(hi for _, hi in stored):,.0f} kWh over the day"
                )
        for enterprise_id, _, _ in ENTERPRISES:
            accuracy = self.c.vpp.GetForecastAccuracy(
                vpp_pb2.GetForecastAccuracyRequest(
                    market_day=self.day.isoformat(),
                    enterprise_id=enterprise_id,
                    holdout_days=HOLDOUT_DAYS,
                ),
                timeout=30,
            )
            self.summary.forecast_accuracy[enterprise_id] = accuracy
            for row in accuracy.assets:
                if row.days_evaluated and math.isfinite(row.wape_pct):
                    self.log(
                        f"   forecast {row.asset_id}: WAPE {row.wape_pct:.1f}%, MAPE "
                        f"{row.mape_pct:.1f}% on {row.days_evaluated} held-out days"
                    )

    def market_history(self) -> None:
        """The exchange cleared its DR market before the VPP joined: the grid operator's
        evening call against the other sellers. The bidder reads these days' published
        curves as its price scenarios."""
        prices, volumes = [], []
        for past in days_before(self.day, MARKET_HISTORY_DAYS):
            result = self.c.market.ClearMarket(
                market_pb2.ClearMarketRequest(
                    market_day=past.isoformat(),
                    product=market_pb2.PRODUCT_DEMAND_RESPONSE,
                    include_synthetic_participants=True,
                ),
                timeout=60,
            )
            called = [i for i in result.intervals if i.cleared_kw > 0]
            prices.extend(i.clearing_price_fen_per_mwh / 100 for i in called)
            volumes.extend(i.cleared_kw for i in called)
        self.log(
            f"   {MARKET_HISTORY_DAYS} days of the grid's 18:00-20:00 call without the VPP: "
            f"{min(volumes):,.0f}-{max(volumes):,.0f} kW cleared at "
            f"{min(prices):,.0f}-{max(prices):,.0f} CNY/MWh among 5 other sellers"
        )

    def bid(self) -> None:
        # Decided at 09:00 the morning before, ahead of the grid's 12:00 declaration
        # deadline: the demo bids its past day as the VPP would have bid it.
        eve = self.day - timedelta(days=1)
        plan = self.c.bidding.PrepareBids(
            bidding_pb2.PrepareBidsRequest(
                market_day=self.day.isoformat(),
                decided_at=datetime(eve.year, eve.month, eve.day, 9, tzinfo=MARKET_TZ),
                green_targets=[FOUNDRY_GREEN_TARGET],
                green_bundled_price_fen_per_mwh=BUNDLED_PRICE_FEN_PER_MWH,
                certificate_price_fen_per_mwh=CERTIFICATE_PRICE_FEN_PER_MWH,
                # The park's PV is the only seller of green power in the demo.
                green_supply_park_only=True,
            ),
            timeout=300,
        )
        self.summary.plan = plan
        answered = plan.invitation_summary or "none announced, offers over the whole day"
        self.log(f"   DR invitation: {answered}")
        self.log(f"   DR price scenarios: {plan.scenario_source}")
        self.log(
            f"   plan {plan.plan_id}: {len(plan.demand_response_offers)} interval curves, "
            f"expected revenue {plan.expected_revenue_fen / 100:,.2f} CNY, "
            f"{plan.solver} gap {plan.relative_gap:.2%} in {plan.solve_seconds:.1f}s"
        )
        for move in plan.run_moves:
            self.log(f"   {_run_move(move)}")
        sides = defaultdict(list)
        for curve in plan.storage_offers:
            sides[curve.side].append(sum(s.quantity_kw for s in curve.steps))
        self.log(
            f"   storage ({plan.storage_energy_share:.0%} of the battery): ENERGY buy curves in "
            f"{len(sides[market_pb2.SIDE_BUY])} intervals (up to "
            f"{max(sides[market_pb2.SIDE_BUY], default=0):,.0f} kW), sell curves in "
            f"{len(sides[market_pb2.SIDE_SELL])} (up to "
            f"{max(sides[market_pb2.SIDE_SELL], default=0):,.0f} kW), expected "
            f"{plan.storage_expected_revenue_fen / 100:,.2f} CNY"
        )
        for result in plan.green_power_results:
            self.log(
                f"   green power {result.enterprise_id}: target {result.target_kwh:,.0f} of "
                f"{result.consumption_kwh:,.0f} kWh -> on-site {result.onsite_pv_used_kwh:,.0f} "
                f"kWh, bundled {result.bundled_wh / 1000:,.0f} kWh, certificates "
                f"{result.certificate_wh / 1000:,.0f} kWh, surplus for sale "
                f"{result.surplus_offered_wh / 1000:,.0f} kWh, "
                f"cost {result.cost_fen / 100:,.2f} CNY"
                + (
                    f"; short {result.shortfall_kwh:,.0f} kWh: {result.shortfall_detail}"
                    if result.shortfall_kwh
                    else ""
                )
            )
        reply = self.c.bidding.SubmitBids(
            bidding_pb2.SubmitBidsRequest(plan_id=plan.plan_id), timeout=60
        )
        self.log(f"   {reply.orders_submitted} offers submitted to the market gateway")

    def clear(self) -> None:
        """Clear DR, then ENERGY, each with the exchange's synthetic participants."""
        result = self.c.market.ClearMarket(
            market_pb2.ClearMarketRequest(
                market_day=self.day.isoformat(),
                product=market_pb2.PRODUCT_DEMAND_RESPONSE,
                include_synthetic_participants=True,
            ),
            timeout=60,
        )
        self.summary.clearing = result
        traded = [i for i in result.intervals if i.cleared_kw > 0]
        self.log(
            f"   {len(traded)} intervals cleared; "
            + ", ".join(
                f"{clock(i.interval)} {i.cleared_kw:,.0f} kW at "
                f"{per_mwh(i.clearing_price_fen_per_mwh)}"
                for i in traded[:4]
            )
            + (" ..." if len(traded) > 4 else "")
        )
        energy = self.c.market.ClearMarket(
            market_pb2.ClearMarketRequest(
                market_day=self.day.isoformat(),
                product=market_pb2.PRODUCT_ENERGY,
                include_synthetic_participants=True,
            ),
            timeout=60,
        )
        prices = [i.clearing_price_fen_per_mwh for i in energy.intervals]
        vpp = defaultdict(float)
        for award in energy.awards:
            if award.participant_id == VPP_PARTICIPANT:
                vpp[award.side] += award.awarded_kw * INTERVAL.total_seconds() / 3600
        self.log(
            f"   ENERGY: {len(energy.intervals)} intervals cleared at "
            f"{min(prices, default=0) / 100:,.0f}..{max(prices, default=0) / 100:,.0f} "
            f"CNY/MWh; the battery bought {vpp[market_pb2.SIDE_BUY]:,.0f} kWh and sold "
            f"{vpp[market_pb2.SIDE_SELL]:,.0f} kWh"
        )

    def _instructions(self, enterprise_id: str) -> list[vpp_pb2.DispatchInstruction]:
        stream = self.c.vpp.SubscribeDispatch(
            vpp_pb2.SubscribeDispatchRequest(enterprise_id=enterprise_id, until_caught_up=True),
            metadata=self.as_(f"enterprise:{enterprise_id}"),
            timeout=30,
        )
        return list(stream)

    def _listing(self, enterprise_id: str = "") -> vpp_pb2.ListDispatchResponse:
        return self.c.vpp.ListDispatch(
            vpp_pb2.ListDispatchRequest(
                market_day=self.day.isoformat(), enterprise_id=enterprise_id
            ),
            timeout=10,
        )

    @staticmethod
    def _in_force(listing: vpp_pb2.ListDispatchResponse) -> dict[str, dict[int, float]]:
        """kW per asset and interval of the instructions not superseded."""
        out: dict[str, dict[int, float]] = defaultdict(dict)
        for item in listing.instructions:
            if item.status != vpp_pb2.DISPATCH_STATUS_SUPERSEDED:
                out[item.asset_id][item.interval] = item.reduction_kw
        return out

    def _dispatched_kw(self) -> dict[int, float]:
        """Positive setpoints in force per interval, plus what the plan says is short."""
        listing = self._listing()
        total: dict[int, float] = defaultdict(float)
        for per_interval in self._in_force(listing).values():
            for interval, kw in per_interval.items():
                total[interval] += max(0.0, kw)
        for row in listing.shortfall:
            total[row.interval] += row.shortfall_kw
        return total

    def _receive(self, enterprise_id: str) -> str:
        """Stream, acknowledge and resume: what the enterprise's controller does."""
        items = self._instructions(enterprise_id)
        if not items:
            return f"   {enterprise_id}: nothing new"
        reply = self.c.vpp.AcknowledgeDispatch(
            vpp_pb2.AcknowledgeDispatchRequest(
                enterprise_id=enterprise_id, instruction_ids=[i.instruction_id for i in items]
            ),
            metadata=self.as_(f"enterprise:{enterprise_id}"),
            timeout=10,
        )
        resumed = self._instructions(enterprise_id)
        return (
            f"   {enterprise_id}: {len(items)} setpoints received, {reply.acknowledged} "
            f"acknowledged; on reconnect {len(resumed)} new"
        )

    def dispatch(self) -> None:
        awarded: dict[int, float] = defaultdict(float)
        for award in self.summary.clearing.awards:  # type: ignore[union-attr]
            if award.participant_id == VPP_PARTICIPANT:
                awarded[award.interval] += award.awarded_kw
        if not awarded:
            self.log("   the VPP won nothing; no dispatch")
            return

        def complete() -> bool:
            dispatched = self._dispatched_kw()
            return all(abs(dispatched.get(i, 0.0) - kw) < 0.01 for i, kw in awarded.items())

        wait_for("dispatch of every award", complete)
        for enterprise_id, _, _ in ENTERPRISES:
            self.log(self._receive(enterprise_id))
        for line in _moved_runs(self._in_force(self._listing()), self.summary.plan):
            self.log(f"   {line}")
        self._report_failure(sorted(awarded))
        for enterprise_id, _, _ in ENTERPRISES:
            # What each enterprise now has to follow: its instructions not superseded.
            mine = self._listing(enterprise_id).instructions
            self.summary.instructions[enterprise_id] = sorted(
                (i for i in mine if i.status != vpp_pb2.DISPATCH_STATUS_SUPERSEDED),
                key=lambda i: i.sequence,
            )

    def _report_failure(self, call: list[int]) -> None:
        """The chillers trip halfway through the call: their enterprise reports it, the VPP
        re-dispatches the rest of the call to the other assets."""
        before = self._in_force(self._listing())
        failing = "chem-chillers"
        shed = [t for t in call if before.get(failing, {}).get(t, 0.0) > 0]
        if not shed:
            self.log(f"   {failing} has no instruction in the call; no failure to report")
            return
        from_interval = shed[len(shed) // 2]
        reply = self.c.vpp.ReportAssetUnavailable(
            vpp_pb2.ReportAssetUnavailableRequest(
                request_id=f"trip-{failing}-{self.day.isoformat()}",
                asset_id=failing,
                market_day=self.day.isoformat(),
                from_interval=from_interval,
                reason="chiller compressor trip",
            ),
            metadata=self.as_("enterprise:ent-chem"),
            timeout=60,
        )
        after_listing = self._listing()
        after = self._in_force(after_listing)
        hours = INTERVAL / timedelta(hours=1)
        self.log(
            f"   {failing} reports it cannot follow from {clock(from_interval)}: "
            f"revision {reply.revision} re-dispatches {span(reply.from_interval, call[-1])}"
        )
        for asset_id in sorted(set(before) | set(after)):
            old = sum(
                max(0.0, before.get(asset_id, {}).get(t, 0.0)) for t in call if t >= from_interval
            )
            new = sum(
                max(0.0, after.get(asset_id, {}).get(t, 0.0)) for t in call if t >= from_interval
            )
            if abs(new - old) >= 0.01:
                self.log(
                    f"   {asset_id:<20} {old * hours:7,.1f} -> {new * hours:7,.1f} kWh "
                    f"({'took over' if new > old else 'dropped'})"
                )
        for row in after_listing.shortfall:
            self.summary.shortfall_kw[row.interval] = row.shortfall_kw
        short = sum(r.shortfall_kw for r in after_listing.shortfall) * hours
        self.log(f"   shortfall after re-dispatch: {short:,.1f} kWh")
        for enterprise_id, _, _ in ENTERPRISES:
            self.log(self._receive(enterprise_id))

    def meter_day(self) -> None:
        instructed: dict[str, dict[int, float]] = defaultdict(dict)
        for items in self.summary.instructions.values():
            for item in items:
                instructed[item.asset_id][item.interval] = item.reduction_kw

        def delivered_kw(asset) -> list[float]:
            kw = list(meter_kw(asset, self.day))
            for interval, reduction in instructed.get(asset.asset_id, {}).items():
                kw[interval] = round(kw[interval] - reduction * asset.compliance, 3)
            return kw

        summary = stream(self.c, self._meter_readings(self.day, delivered_kw, gaps=True))
        self.summary.readings_accepted += summary.accepted
        wait_for("rollups of the market day", lambda: rolled_up(self.c, self.day, METER_GAP))
        self.log(f"   {summary.accepted:,} readings of the market day streamed and rolled up")
        for asset_id in METER_GAP:
            profile = self.c.telemetry.GetLoadProfile(
                telemetry_pb2.GetLoadProfileRequest(
                    asset_id=asset_id, from_market_day=self.day.isoformat()
                ),
                timeout=10,
            )
            self.summary.gap_profile = profile
            self.log(
                f"   {asset_id} meter gap: {profile.measured_intervals} intervals measured, "
                f"{profile.estimated_intervals} estimated (flagged), "
                f"{profile.missing_intervals} missing"
            )

    def event_baselines(self) -> None:
        """Each instructed asset's baseline by the three methods, around its event."""
        for items in self.summary.instructions.values():
            for asset_id in sorted({i.asset_id for i in items if i.reduction_kw > 0}):
                event = sorted({i.interval for i in items if i.asset_id == asset_id})
                for label, method in BASELINES:
                    baseline = self.c.vpp.GetBaseline(
                        vpp_pb2.GetBaselineRequest(
                            market_day=self.day.isoformat(),
                            asset_id=asset_id,
                            method=method,
                            event_start_interval=event[0],
                            event_intervals=event,
                        ),
                        timeout=30,
                    )
                    self.summary.event_baselines[f"{asset_id}/{label}"] = baseline
                    during = [baseline.baseline_kw[i] for i in event]
                    self.log(
                        f"   {asset_id:<20} {label:<14} {sum(during) / len(during):8,.1f} kW "
                        f"over the event, {len(baseline.days_used)} days, "
                        f"adjustment x{baseline.adjustment:.3f}"
                    )

    def settle(self) -> None:
        if not self.summary.instructions:
            self.log("   nothing dispatched, nothing to settle")
            return
        request = settlement_pb2.RunSettlementRequest(market_day=self.day.isoformat())
        esco = self.as_("esco")
        run = self.c.settlement.RunSettlement(request, metadata=esco, timeout=120)
        self.summary.settlement = run
        self.summary.settlement_again = self.c.settlement.RunSettlement(
            request, metadata=esco, timeout=120
        )
        shares = sum(e.amount_fen for e in run.enterprises)
        self.log(
            f"   run {run.run_id}: gross {run.gross_payment_fen / 100:,.2f} CNY, penalty "
            f"{run.penalty_fen / 100:,.2f}, operator fee {run.operator_fee_fen / 100:,.2f}"
        )
        for e in run.enterprises:
            # Each enterprise reads its own statement with its own token.
            statement = self.c.settlement.GetStatement(
                settlement_pb2.GetStatementRequest(
                    enterprise_id=e.enterprise_id, market_day=self.day.isoformat()
                ),
                metadata=self.as_(f"enterprise:{e.enterprise_id}"),
                timeout=30,
            )
            if self.summary.statement is None:
                self.summary.statement = statement
            lines_fen = sum(line.amount_fen for line in statement.lines)
            estimated = sum(line.estimated for line in statement.lines)
            self.log(
                f"   {e.enterprise_id:<14} statement {statement.run_id}: delivered "
                f"{statement.delivered_kwh:8,.1f} kWh, receives "
                f"{statement.amount_fen / 100:10,.2f} CNY over {len(statement.lines)} lines "
                f"({estimated} estimated; the lines "
                f"{'sum' if lines_fen == statement.amount_fen else 'DO NOT sum'} to the amount)"
            )
        net = run.gross_payment_fen + run.capacity_payment_fen - run.penalty_fen
        check = shares + run.operator_fee_fen == net
        self.log(
            f"   the enterprises' shares and the fee {'add' if check else 'DO NOT add'} up to "
            "gross + capacity - penalty to the fen; "
            f"re-run returned {self.summary.settlement_again.run_id}"
        )
        for e in run.enterprises:
            if e.energy_market_fen:
                self.log(
                    f"   {e.enterprise_id:<14} battery in the ENERGY market: "
                    f"{e.energy_market_fen / 100:+,.2f} CNY (of the VPP's "
                    f"{run.energy_market_fen / 100:+,.2f} CNY)"
                )


def market_day_for(now: datetime | None = None) -> date:
    """The demo's market day: the last working day before today in Asia/Shanghai."""
    now = now or datetime.now(UTC)
    return last_working_day(now.astimezone(MARKET_TZ).date())
