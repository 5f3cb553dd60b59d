"""CertificateService carbon RPCs beyond Scope 2: fuel use, park indicators, product lines."""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import cached_property

from bidding.intervals import MARKET_TZ
from certificates.carbon import Footprint, carbon_footprint
from certificates.claims import attribute, check_consumption_period, claim_window
from certificates.exceptions import LotNotFound
from certificates.factors import ELECTRICITY_KGCE_PER_KWH, FUELS, ElectricityConversion
from certificates.fuel import (
    FuelUse,
    fuel_in_period,
    months_between,
    normalise,
    parse_month,
)
from certificates.fuel_store import FuelStore
from certificates.lots import Lot
from certificates.park import ZeroCarbonConfig, ZeroCarbonIndicators, park_zero_carbon_indicators
from certificates.products import enterprise_emissions, fuel_kg_co2, split_by_output
from parkvpp.v1 import certificates_pb2 as pb
from services.certificates.metering import day_bounds, hourly_wh, local_days_of, now_utc
from services.runtime.errors import InvalidArgument
from services.runtime.rpc import from_ts, require_id, require_text, to_ts

MAX_FUEL_MONTHS = 120
MAX_PRODUCT_LINES = 100


def _fuel_g_co2(use: FuelUse) -> int:
    """The use's CO2 in integer grams, half up (kg and t only in presentation)."""
    return math.floor(use.quantity * FUELS[use.fuel].kg_co2_per_unit * 1000 + 0.5)


def _fuel_message(use: FuelUse) -> pb.FuelUse:
    fuel = FUELS[use.fuel]
    return pb.FuelUse(
        enterprise_id=use.enterprise_id,
        month=use.month,
        fuel=use.fuel,
        quantity=use.quantity,
        unit=use.unit,
        revision=use.revision,
        request_id=use.request_id,
        reported_at=to_ts(datetime.fromisoformat(use.reported_at)),
        energy_tce=use.quantity * fuel.tce_per_unit,
        kg_co2=use.quantity * fuel.kg_co2_per_unit,
        g_co2=_fuel_g_co2(use),
    )


def _indicator(message: pb.ZeroCarbonIndicator, indicator) -> None:
    message.name = indicator.name
    message.value = indicator.value
    message.threshold = indicator.threshold
    message.passed = indicator.passed
    message.gap = indicator.gap
    message.basis = indicator.basis


def zero_carbon_fields(reply: pb.ParkIndicators, result: ZeroCarbonIndicators) -> None:
    """Copy the zero-carbon indicators into the ParkIndicators reply."""
    reply.total_energy_tce = result.total_energy_tce
    reply.electricity_tce = result.electricity_tce
    reply.fuel_tce = result.fuel_tce
    reply.clean_energy_tce = result.clean_energy_tce
    reply.emissions_t_co2 = result.emissions_t_co2
    reply.emissions_g_co2 = result.emissions_g_co2
    reply.electricity_conversion = str(result.electricity_conversion)
    reply.electricity_kgce_per_kwh = ELECTRICITY_KGCE_PER_KWH[result.electricity_conversion]
    reply.annual_energy_tce = result.annual_energy_tce
    _indicator(reply.carbon_intensity, result.carbon_intensity)
    _indicator(reply.clean_energy_share, result.clean_energy_share)


class CarbonRpcs:
    """Mixed into CertificateServicer, which provides runtime, registry, ledger, rollups,
    _period and _consumers."""

    @cached_property
    def fuel_store(self) -> FuelStore:
        return FuelStore(self.runtime.redis)  # type: ignore[attr-defined]

    def fuel_in_days(self, days: list[date], enterprise_id: str = "") -> dict[str, float]:
        """Reported fuel (fuel's unit) in the market days, months pro rata by days."""
        uses = self.fuel_store.current(months_between(days[0], days[-1]), enterprise_id)
        return fuel_in_period(uses, days[0], days[-1])

    def park_zero_carbon(
        self, days: list[date], consumption_wh: int, onsite_wh: int, retired_wh: int
    ) -> ZeroCarbonIndicators | None:
        """The park's indicators, or None when it used no energy in the period."""
        fuels = self.fuel_in_days(days)
        basis = self.runtime.settings.electricity_tce_basis  # type: ignore[attr-defined]
        if not consumption_wh and not any(fuels.values()):
            return None
        return park_zero_carbon_indicators(
            consumption_wh / 1000,
            fuels,
            green_electricity_kwh=min(onsite_wh, consumption_wh) / 1000,
            certificate_kwh=retired_wh / 1000,
            grid_factor_kg_per_kwh=self.runtime.settings.grid_factor_kg_per_kwh,  # type: ignore[attr-defined]
            period_days=len(days),
            config=ZeroCarbonConfig(electricity_conversion=ElectricityConversion(basis)),
        )

    def ReportFuelUse(self, request, context):  # noqa: N802
        enterprise_id = require_id("enterprise_id", request.enterprise_id)
        request_id = require_id("request_id", request.request_id)
        month = parse_month(request.month)
        if month > now_utc().astimezone(MARKET_TZ).date():
            raise InvalidArgument("month", "must not be after the current month")
        quantity, unit = normalise(request.fuel, request.quantity, request.unit)
        self.registry.get_enterprise(enterprise_id)  # type: ignore[attr-defined]
        use = FuelUse(
            enterprise_id=enterprise_id,
            month=f"{month.year:04d}-{month.month:02d}",
            fuel=request.fuel,
            quantity=quantity,
            unit=unit,
            revision=0,
            request_id=request_id,
            reported_at=now_utc().isoformat(),
        )
        stored, _replay = self.fuel_store.report(use)
        return _fuel_message(stored)

    def ListFuelUse(self, request, context):  # noqa: N802
        enterprise_id = require_id("enterprise_id", request.enterprise_id)
        first = parse_month(request.from_month, "from_month")
        last = parse_month(request.to_month or request.from_month, "to_month")
        months = months_between(first, last)
        if not 1 <= len(months) <= MAX_FUEL_MONTHS or last < first:
            raise InvalidArgument("to_month", f"must be 0..{MAX_FUEL_MONTHS - 1} months after from")
        self.registry.get_enterprise(enterprise_id)  # type: ignore[attr-defined]
        current = self.fuel_store.current(months, enterprise_id)
        if request.include_corrections:
            wanted = set(months)
            shown = [u for u in self.fuel_store.history(enterprise_id) if u.month in wanted]
        else:
            shown = current
        return pb.ListFuelUseResponse(
            uses=[_fuel_message(use) for use in shown],
            energy_tce=sum(use.quantity * FUELS[use.fuel].tce_per_unit for use in current),
            kg_co2=sum(use.quantity * FUELS[use.fuel].kg_co2_per_unit for use in current),
            g_co2=sum(_fuel_g_co2(use) for use in current),
        )

    def _outputs(self, request) -> tuple[dict[str, int], str]:
        if not 1 <= len(request.outputs) <= MAX_PRODUCT_LINES:
            raise InvalidArgument("outputs", f"must hold 1..{MAX_PRODUCT_LINES} product lines")
        outputs: dict[str, int] = {}
        unit = request.outputs[0].unit
        for n, line in enumerate(request.outputs):
            name = require_text(f"outputs[{n}].product_line", line.product_line, 64)
            if name in outputs:
                raise InvalidArgument(f"outputs[{n}].product_line", f"{name!r} is repeated")
            if line.output_quantity < 0:
                raise InvalidArgument(f"outputs[{n}].output_quantity", "must be >= 0")
            if line.unit != unit:
                raise InvalidArgument(f"outputs[{n}].unit", f"every line must be in {unit!r}")
            outputs[name] = line.output_quantity
        require_text("outputs[0].unit", unit, 32)
        if not any(outputs.values()):
            raise InvalidArgument("outputs", "needs a line with output_quantity > 0")
        return outputs, unit

    def GetProductFootprint(self, request, context):  # noqa: N802
        enterprise_id = require_id("enterprise_id", request.enterprise_id)
        days = self._period(request)  # type: ignore[attr-defined]
        outputs, unit = self._outputs(request)
        self.registry.get_enterprise(enterprise_id)  # type: ignore[attr-defined]
        footprint = self.enterprise_footprint(enterprise_id, days)
        emissions = enterprise_emissions(
            footprint, fuel_kg_co2(self.fuel_in_days(days, enterprise_id))
        )
        lines = split_by_output(emissions, outputs)
        return pb.ProductFootprint(
            enterprise_id=enterprise_id,
            from_market_day=days[0].isoformat(),
            to_market_day=days[-1].isoformat(),
            location_based_g_co2e=emissions.location_based_g_co2e,
            market_based_g_co2e=emissions.market_based_g_co2e,
            fuel_g_co2e=emissions.fuel_g_co2e,
            claimed_certificate_wh=emissions.claimed_certificate_wh,
            lines=[
                pb.ProductLineFootprint(
                    product_line=line.product_line,
                    output_quantity=line.output_quantity,
                    unit=unit,
                    location_based_g_co2e=line.location_based_g_co2e,
                    market_based_g_co2e=line.market_based_g_co2e,
                    claimed_certificate_wh=line.claimed_certificate_wh,
                )
                for line in lines
            ],
        )

    def consumption_period(self, request) -> tuple[datetime, datetime]:
        """The Retire request's consumption period, checked by certificates.claims before
        the ledger's script runs: one calendar year, the certificates' vintage year, not
        before their production month. Raises InvalidArgument naming
        consumption_period_start or consumption_period_end.

        The production rule needs the lot; it is checked when the lot exists and belongs
        to the request's owner (otherwise the ledger answers not-found or replays, and no
        refusal tells a caller anything about another tenant's lot). A lot's production
        hour never changes, and reads clip any period to the rule (claims.claim_window).
        """
        start = from_ts("consumption_period_start", request.consumption_period_start)
        end = from_ts("consumption_period_end", request.consumption_period_end)
        check_consumption_period(start, end)
        lot_id = require_id("lot_id", request.lot_id)
        owner = require_id("owner_enterprise_id", request.owner_enterprise_id)
        try:
            lot = self.ledger.get_lot(lot_id)  # type: ignore[attr-defined]
        except LotNotFound:
            return start, end
        if lot.owner_enterprise_id == owner:
            check_consumption_period(start, end, lot.production_hour_start)
        return start, end

    def _claims_input(
        self, enterprise_id: str, days: list[date]
    ) -> tuple[dict[datetime, int], list[Lot], tuple[datetime, datetime]]:
        """(hourly consumption over the period and the whole claim windows of the lots
        retired for the enterprise that overlap it, those lots, the period's bounds)."""
        period = day_bounds(days[0], days[-1])
        retired = self.ledger.retired_for(enterprise_id, *period)  # type: ignore[attr-defined]
        windows = [window for lot in retired if (window := claim_window(lot))]
        first = min([period[0], *(start for start, _ in windows)])
        last = max([period[1], *(end for _, end in windows)])
        consumers = self._consumers(enterprise_id)  # type: ignore[attr-defined]
        consumption = hourly_wh(self.rollups, consumers, local_days_of(first, last), floor=False)  # type: ignore[attr-defined]
        return consumption, retired, period

    def enterprise_footprint(self, enterprise_id: str, days: list[date]) -> Footprint:
        """Scope 2 footprint of the enterprise over the market days (as GetCarbonFootprint)."""
        consumption, retired, period = self._claims_input(enterprise_id, days)
        settings = self.runtime.settings  # type: ignore[attr-defined]
        return carbon_footprint(
            enterprise_id,
            consumption,
            retired,
            settings.grid_factor_kg_per_kwh,
            settings.residual_factor_kg_per_kwh,
            period=period,
            residual_factor_source=settings.residual_factor_basis,
        )

    def attributed_retired_wh(self, enterprise_id: str, days: list[date], skip: set[str]) -> int:
        """Certificate Wh retired for the enterprise and attributed to the market days'
        hours, leaving out lots of the generators in `skip`."""
        consumption, retired, (start, end) = self._claims_input(enterprise_id, days)
        kept = [lot for lot in retired if lot.generator_asset_id not in skip]
        return sum(
            sum(by_technology.values())
            for hour, by_technology in attribute(kept, consumption).items()
            if start <= hour < end
        )
