"""The demo day's production step: melting heats and a gas engine against the ENERGY prices."""

from __future__ import annotations

from itertools import groupby

from bidding.intervals import INTERVAL
from parkvpp.v1 import bidding_pb2, certificates_pb2
from services.demo.park import (
    GAS_ENGINE,
    GAS_ENGINE_OWNER,
    GAS_PRICE,
    MELTING_LINE,
    MELTING_ORDER,
)
from services.units import span
from settlement.interval_reasons import cny, per_mwh

HOURS_PER_INTERVAL = INTERVAL.total_seconds() / 3600


def runs_of(output_kw) -> list[tuple[int, int]]:
    """(first, last) interval of each stretch the unit is on."""
    on = [(t, kw > 0) for t, kw in enumerate(output_kw)]
    stretches = (list(group) for running, group in groupby(on, key=lambda x: x[1]) if running)
    return [(group[0][0], group[-1][0]) for group in stretches]


def _price(prices, first: int, intervals: int) -> str:
    """The mean price over a heat's intervals, as CNY/MWh."""
    return per_mwh(round(sum(prices[first : first + intervals]) / intervals))


class ProductionStep:
    """The production step of MarketDay (uses its clients, day, log, as_, summary)."""

    def production(self) -> None:
        """The foundry's heats move and the gas engine runs where the day's cleared ENERGY
        prices pay for it; the engine's gas goes into the park's carbon accounting."""
        schedule = self.c.bidding.ScheduleProduction(
            bidding_pb2.ScheduleProductionRequest(
                market_day=self.day.isoformat(),
                process_lines=[MELTING_LINE],
                precedences=MELTING_ORDER,
                thermal_units=[GAS_ENGINE],
                fuel_prices=[GAS_PRICE],
            ),
            timeout=120,
        )
        self.summary.production = schedule
        for line in schedule.lines:
            self._log_line(line, schedule.prices_fen_per_mwh)
        for unit in schedule.units:
            self._log_unit(unit)
            self._report_fuel(unit)

    def _log_line(self, line: bidding_pb2.ProcessLineSchedule, prices) -> None:
        heats = zip(
            line.baseline_start_intervals, line.start_intervals, line.run_intervals, strict=True
        )
        moved = 0
        for n, (before, after, length) in enumerate(heats, start=1):
            was = f"{span(before, before + length - 1)} at {_price(prices, before, length)}"
            if before == after:
                self.log(f"   {line.line_id} heat {n}: stays at {was}")
                continue
            moved += 1
            now = f"{span(after, after + length - 1)} at {_price(prices, after, length)}"
            self.log(f"   {line.line_id} heat {n}: {was} -> {now}")
        shifted_kwh = sum(max(0.0, kw) for kw in line.reduction_kw) * HOURS_PER_INTERVAL
        self.log(
            f"   moving {moved} of {len(line.start_intervals)} heats ({shifted_kwh:,.0f} kWh) "
            f"earns {cny(line.value_fen)} CNY against the cleared ENERGY prices, after "
            f"{cny(line.move_cost_fen)} CNY of re-planning"
        )

    def _log_unit(self, unit: bidding_pb2.ThermalUnitSchedule) -> None:
        fuel_cost = per_mwh(unit.fuel_cost_fen_per_mwh)
        runs = runs_of(unit.output_kw)
        if not runs:
            self.log(
                f"   {unit.unit_id} stays off: at a fuel cost of {fuel_cost} no run earns "
                f"its {cny(GAS_ENGINE.start_cost_fen)} CNY start"
            )
            return
        hours = sum(last - first + 1 for first, last in runs) * HOURS_PER_INTERVAL
        starts = len(unit.start_intervals)
        self.log(
            f"   {unit.unit_id} runs {', '.join(span(*run) for run in runs)} ({hours:,.2f} h, "
            f"{starts} start{'' if starts == 1 else 's'}), {unit.energy_kwh:,.0f} kWh at a fuel "
            f"cost of {fuel_cost}: margin {cny(unit.margin_fen)} CNY after "
            f"{cny(unit.start_costs_fen)} CNY of starts"
        )
        self.log(
            f"   {unit.unit_id} burns {unit.fuel_burned_milli / 1000:,.1f} {unit.fuel_unit} of "
            f"{unit.fuel.replace('_', ' ')}: {unit.emissions_kg_co2 / 1000:,.3f} t CO2"
        )

    def _report_fuel(self, unit: bidding_pb2.ThermalUnitSchedule) -> None:
        """The owner reports the engine's gas (whole m3, halves up) as its month's figure:
        the demo park has only this day, so the day's gas is the month's so far."""
        quantity = (unit.fuel_burned_milli + 500) // 1000
        if quantity <= 0:
            return
        month = self.day.strftime("%Y-%m")
        use = self.c.certificates.ReportFuelUse(
            certificates_pb2.ReportFuelUseRequest(
                request_id=f"fuel-{unit.unit_id}-{self.day.isoformat()}",
                enterprise_id=GAS_ENGINE_OWNER,
                month=month,
                fuel=unit.fuel,
                quantity=quantity,
                unit=unit.fuel_unit,
            ),
            metadata=self.as_(f"enterprise:{GAS_ENGINE_OWNER}"),
            timeout=10,
        )
        self.summary.engine_fuel = use
        self.log(
            f"   {GAS_ENGINE_OWNER} reported the engine's {use.quantity:,} {use.unit} of "
            f"{use.fuel.replace('_', ' ')} for {month} to the carbon accounting "
            f"({use.energy_tce:,.3f} tce, {use.g_co2 / 1_000_000:,.3f} t CO2); the park's fuel "
            "and emission figures below count the month's fuels pro rata by day"
        )
