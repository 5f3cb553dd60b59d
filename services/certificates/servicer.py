"""CertificateService request handling: issue from meters, transfer, retire, attribute carbon."""

from __future__ import annotations

from datetime import timedelta

from bidding.intervals import days_between
from certificates.carbon import park_indicators
from certificates.store import CertificateLedger
from parkvpp.v1 import certificates_pb2 as pb
from parkvpp.v1 import certificates_pb2_grpc
from parkvpp.v1 import enrollment_pb2 as epb
from services.certificates import feed
from services.certificates.carbon_rpc import CarbonRpcs, zero_carbon_fields
from services.certificates.contracts_rpc import GreenContractRpcs
from services.certificates.convert import (
    lot_message,
    monthly_message,
    status_filter,
)
from services.certificates.green_target_rpc import GreenTargetRpcs
from services.certificates.metering import day_bounds, hourly_wh, local_days_of, now_utc
from services.certificates.signing_key import ledger_signer
from services.certificates.trades_rpc import GreenTradeRpcs
from services.enrollment.convert import spec_from_proto
from services.enrollment.registry import Registry
from services.runtime.context import Runtime
from services.runtime.errors import FailedPrecondition, InvalidArgument
from services.runtime.metrics import CERTIFICATES_JOULES, JOULES_PER_WH
from services.runtime.rpc import from_ts, market_day, require_id
from services.telemetry.rollups import Rollups

MAX_ISSUE_DAYS = 31
MAX_FOOTPRINT_DAYS = 366
#: 1 TWh: far above any one generator-hour's lot, and energy x price stays inside int64;
#: the bound of every energy_wh a caller sends (Lua holds integers exactly up to 2^53).
MAX_TRADE_WH = 10**12
#: 1,000 CNY per kWh.
MAX_PRICE_FEN_PER_MWH = 10**8


def _lot_energy_wh(value: int) -> int:
    """Wh to transfer or retire (0 = the whole lot); InvalidArgument("energy_wh") outside
    0..MAX_TRADE_WH, so the ledger's Lua, whose numbers are doubles, only sees integers it
    holds exactly and its messages print the Wh asked for."""
    if not 0 <= value <= MAX_TRADE_WH:
        raise InvalidArgument("energy_wh", f"must be 0..{MAX_TRADE_WH} Wh (0 = the whole lot)")
    return value


class CertificateServicer(
    GreenTradeRpcs,
    GreenContractRpcs,
    GreenTargetRpcs,
    CarbonRpcs,
    certificates_pb2_grpc.CertificateServiceServicer,
):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = Registry(runtime.redis)
        self.rollups = Rollups(runtime.redis)
        # Every mutation writes its event to the ledger's outbox in the same Lua step.
        self.ledger = CertificateLedger(
            runtime.redis,
            change_feed=runtime.outbox.register(feed.TAG),
            signer=ledger_signer(runtime.settings),
        )

    def IssueCertificates(self, request, context):  # noqa: N802
        request_id = require_id("request_id", request.request_id)
        asset = self.registry.get_asset(
            require_id("generator_asset_id", request.generator_asset_id)
        )
        if asset.kind != epb.ASSET_KIND_GENERATOR:
            raise InvalidArgument("generator_asset_id", "is not a generator")
        if asset.status != epb.ASSET_STATUS_ACTIVE:
            raise FailedPrecondition(f"generator {asset.asset_id} is not active")
        start = from_ts("period_start", request.period_start)
        end = from_ts("period_end", request.period_end)
        if start.minute or start.second or start.microsecond:
            raise InvalidArgument("period_start", "must be a whole hour")
        if end.minute or end.second or end.microsecond:
            raise InvalidArgument("period_end", "must be a whole hour")
        if not start < end <= start + timedelta(days=MAX_ISSUE_DAYS):
            raise InvalidArgument("period_end", f"must be 1 h..{MAX_ISSUE_DAYS} days after start")
        if end > now_utc():
            raise InvalidArgument("period_end", "must not be in the future")
        metered = hourly_wh(self.rollups, [asset], local_days_of(start, end), floor=True)
        hours = sorted((h, wh) for h, wh in metered.items() if start <= h < end and wh > 0)
        if not hours:
            raise FailedPrecondition(f"no metered generation of {asset.asset_id} in the period")
        spec = spec_from_proto(asset.spec)
        enterprise = self.registry.get_enterprise(asset.enterprise_id)
        lots = self.ledger.issue(
            request_id,
            asset.asset_id,
            spec.technology,  # type: ignore[union-attr]
            enterprise.grid_area,
            asset.enterprise_id,
            hours,
        )
        messages = [lot_message(lot) for lot in lots]
        energy_wh = sum(lot.energy_wh for lot in lots)
        self.runtime.events_written()
        CERTIFICATES_JOULES.labels("issued").inc(energy_wh * JOULES_PER_WH)
        return pb.IssueCertificatesResponse(lots=messages, energy_wh=energy_wh)

    def Transfer(self, request, context):  # noqa: N802
        _lot_energy_wh(request.energy_wh)
        to_enterprise = require_id("to_enterprise_id", request.to_enterprise_id)
        self.registry.get_enterprise(to_enterprise)
        moved, rest = self.ledger.transfer(
            require_id("request_id", request.request_id),
            require_id("lot_id", request.lot_id),
            require_id("from_enterprise_id", request.from_enterprise_id),
            to_enterprise,
            request.energy_wh,
            request.trade_id,
            now_utc(),
        )
        reply = pb.TransferResponse(transferred=lot_message(moved))
        if rest is not None:
            reply.remainder.CopyFrom(lot_message(rest))
        self.runtime.events_written()
        return reply

    def Retire(self, request, context):  # noqa: N802
        _lot_energy_wh(request.energy_wh)
        start, end = self.consumption_period(request)
        beneficiary = require_id("beneficiary_enterprise_id", request.beneficiary_enterprise_id)
        self.registry.get_enterprise(beneficiary)
        retired, rest = self.ledger.retire(
            require_id("request_id", request.request_id),
            require_id("lot_id", request.lot_id),
            require_id("owner_enterprise_id", request.owner_enterprise_id),
            beneficiary,
            request.energy_wh,
            start,
            end,
            now_utc(),
        )
        reply = pb.RetireResponse(retired=lot_message(retired))
        if rest is not None:
            reply.remainder.CopyFrom(lot_message(rest))
        self.runtime.events_written()
        CERTIFICATES_JOULES.labels("retired").inc(retired.energy_wh * JOULES_PER_WH)
        return reply

    def _expire_due(self) -> None:
        """Run the expiry sweep up to now, so what a read reports has no lot past expiry
        counted as active (the sweep writes nothing when nothing is due)."""
        if self.ledger.expire_due(now_utc()):
            self.runtime.events_written()

    def GetBalance(self, request, context):  # noqa: N802
        enterprise_id = require_id("enterprise_id", request.enterprise_id)
        self._expire_due()
        balance = self.ledger.balance(enterprise_id)
        return pb.Balance(
            enterprise_id=balance.enterprise_id,
            active_wh=balance.active_wh,
            retired_wh=balance.retired_wh,
            active_gec=balance.active_gec,
            active_remainder_wh=balance.active_remainder_wh,
            expired_wh=balance.expired_wh,
        )

    def ListLots(self, request, context):  # noqa: N802
        if request.owner_enterprise_id:
            require_id("owner_enterprise_id", request.owner_enterprise_id)
        status = status_filter(request.status)
        self._expire_due()
        lots, token = self.ledger.list_lots(
            request.owner_enterprise_id,
            status,
            request.page_size,
            request.page_token,
        )
        return pb.ListLotsResponse(lots=[lot_message(lot) for lot in lots], next_page_token=token)

    def _period(self, request) -> list:
        first = market_day("from_market_day", request.from_market_day)
        last = market_day("to_market_day", request.to_market_day or request.from_market_day)
        days = days_between(first, last)
        if not 1 <= len(days) <= MAX_FOOTPRINT_DAYS:
            raise InvalidArgument(
                "to_market_day", f"must be 0..{MAX_FOOTPRINT_DAYS - 1} days after from_market_day"
            )
        return days

    def _consumers(self, enterprise_id: str = "") -> list[epb.Asset]:
        return [
            a
            for a in self.registry.iter_assets(enterprise_id)
            if a.kind != epb.ASSET_KIND_GENERATOR
        ]

    def GetCarbonFootprint(self, request, context):  # noqa: N802
        enterprise_id = require_id("enterprise_id", request.enterprise_id)
        self.registry.get_enterprise(enterprise_id)
        days = self._period(request)
        result = self.enterprise_footprint(enterprise_id, days)
        settings = self.runtime.settings
        return pb.CarbonFootprint(
            enterprise_id=enterprise_id,
            from_market_day=days[0].isoformat(),
            to_market_day=days[-1].isoformat(),
            consumption_wh=result.consumption_wh,
            retired_certificate_wh=result.retired_certificate_wh,
            grid_emission_factor_kg_per_kwh=settings.grid_factor_kg_per_kwh,
            grid_factor_basis=settings.grid_factor_basis,
            residual_mix_factor_kg_per_kwh=settings.residual_factor_kg_per_kwh,
            residual_factor_basis=result.residual_factor_source,
            annual_matched_share=result.annual_matched_share,
            location_based_kg_co2e=result.location_based_kg_co2e,
            market_based_kg_co2e=result.market_based_kg_co2e,
            hourly_matched_cfe_share=result.hourly_matched_cfe_share,
            location_based_g_co2e=result.location_based_g_co2e,
            market_based_g_co2e=result.market_based_g_co2e,
            hourly_market_based_g_co2e=result.hourly_market_based_g_co2e,
            claimed_certificate_wh=result.claimed_certificate_wh,
            hourly_matched_wh=result.hourly_matched_wh,
        )

    def GetParkIndicators(self, request, context):  # noqa: N802
        days = self._period(request)
        start, end = day_bounds(days[0], days[-1])
        consumption = sum(hourly_wh(self.rollups, self._consumers(), days, floor=False).values())
        generators = [a for a in self.registry.iter_assets() if a.kind == epb.ASSET_KIND_GENERATOR]
        generation = sum(hourly_wh(self.rollups, generators, days, floor=True).values())
        # Certificates of the park's own generators are already in `generation`; the
        # others count with the part of each retirement attributed to the period.
        own = {a.asset_id for a in generators}
        retired = sum(
            self.attributed_retired_wh(enterprise.enterprise_id, days, own)
            for enterprise in self.registry.list_enterprises()
        )
        settings = self.runtime.settings
        result = park_indicators(
            consumption,
            generation,
            self.ledger.issued_between(start, end),
            retired,
            settings.grid_factor_kg_per_kwh,
            settings.residual_factor_kg_per_kwh,
        )
        reply = pb.ParkIndicators(
            from_market_day=days[0].isoformat(),
            to_market_day=days[-1].isoformat(),
            consumption_wh=result.consumption_wh,
            onsite_renewable_generation_wh=result.onsite_renewable_generation_wh,
            certificates_issued_wh=result.certificates_issued_wh,
            certificates_retired_wh=result.certificates_retired_wh,
            green_power_share=result.green_power_share,
            location_based_kg_co2e=result.location_based_kg_co2e,
            market_based_kg_co2e=result.market_based_kg_co2e,
            location_based_g_co2e=result.location_based_g_co2e,
            market_based_g_co2e=result.market_based_g_co2e,
        )
        zero_carbon = self.park_zero_carbon(days, consumption, generation, retired)
        if zero_carbon is not None:
            zero_carbon_fields(reply, zero_carbon)
        return reply

    def GetMonthlyGec(self, request, context):  # noqa: N802
        enterprise_id = require_id("enterprise_id", request.enterprise_id)
        self.registry.get_enterprise(enterprise_id)
        self._expire_due()
        rows = self.ledger.monthly_gec_rows(enterprise_id, request.from_month, request.to_month)
        return monthly_message(enterprise_id, rows)
