"""The demo day's certificates and carbon step: issuance, consented green trades, a
retirement under a mandate, the green target, footprints and the park's indicators."""

from __future__ import annotations

from datetime import datetime

from bidding.intervals import INTERVAL, INTERVALS_PER_DAY, interval_start
from parkvpp.v1 import bidding_pb2, certificates_pb2
from services.demo.green import active_lots, match_lots, planned_buys, status_line
from services.demo.park import ENTERPRISES
from services.runtime.rpc import to_ts
from services.units import kg, kwh

#: The foundry's green-power goal: 30% of its consumption, matched over the year (so
#: certificates count), buying at most 450 CNY/MWh bundled and 20 CNY/MWh certificates.
FOUNDRY_GREEN_TARGET = bidding_pb2.GreenTarget(
    enterprise_id="ent-foundry",
    share=0.3,
    hourly_matched=False,
    bundled_price_limit_fen_per_mwh=45_000,
    certificate_price_limit_fen_per_mwh=2_000,
)
#: The price forecasts the plan is made with, and the prices ent-logistics then asks.
BUNDLED_PRICE_FEN_PER_MWH = 41_100
CERTIFICATE_PRICE_FEN_PER_MWH = 500


class CertificatesStep:
    """The certificates-and-carbon step of MarketDay (uses its clients, day, log, as_)."""

    def certificates(self) -> None:
        start = interval_start(self.day, 0)
        end = start + INTERVALS_PER_DAY * INTERVAL
        issued = self.c.certificates.IssueCertificates(
            certificates_pb2.IssueCertificatesRequest(
                request_id=f"issue-logistics-pv-{self.day.isoformat()}",
                generator_asset_id="logistics-pv",
                period_start=to_ts(start),
                period_end=to_ts(end),
            ),
            metadata=self.as_("registry"),
            timeout=30,
        )
        self.summary.issued = issued
        self.log(f"   issued {len(issued.lots)} hourly lots, {kwh(issued.energy_wh)} from PV")
        self._retire_for_foundry(issued.lots, start, end)
        moved, paid_fen = self._green_trades()
        self.summary.transferred_wh = sum(lot.energy_wh for lot in moved)
        self.log(
            f"   {len(moved)} green-power trades ent-logistics -> ent-foundry: "
            f"{kwh(self.summary.transferred_wh)} for {paid_fen / 100:,.2f} CNY"
        )
        for n, lot in enumerate(moved):
            self.c.certificates.Retire(
                certificates_pb2.RetireRequest(
                    request_id=f"retire-foundry-{self.day.isoformat()}-{n}",
                    lot_id=lot.lot_id,
                    owner_enterprise_id="ent-foundry",
                    beneficiary_enterprise_id="ent-foundry",
                    consumption_period_start=to_ts(start),
                    consumption_period_end=to_ts(end),
                ),
                metadata=self.as_("enterprise:ent-foundry"),
                timeout=30,
            )
        self.summary.retired_wh = self.summary.transferred_wh
        self.log(f"   ent-foundry retired the {kwh(self.summary.retired_wh)} it bought")
        day = self.day.isoformat()
        month = self.day.strftime("%Y-%m")
        # The foundry's fuel for the month (furnaces on coal, heat treatment on gas).
        for fuel, quantity, unit in (("coal", 120, "t"), ("natural_gas", 45, "1000 m3")):
            use = self.c.certificates.ReportFuelUse(
                certificates_pb2.ReportFuelUseRequest(
                    request_id=f"fuel-foundry-{month}-{fuel}",
                    enterprise_id="ent-foundry",
                    month=month,
                    fuel=fuel,
                    quantity=quantity,
                    unit=unit,
                ),
                metadata=self.as_("enterprise:ent-foundry"),
                timeout=10,
            )
            self.log(
                f"   ent-foundry reported {month} {fuel.replace('_', ' ')}: "
                f"{use.quantity:,} {use.unit} "
                f"= {use.energy_tce:,.1f} tce, {_t(use.g_co2)} tCO2 "
                f"(revision {use.revision})"
            )
        for enterprise_id, _, _ in ENTERPRISES:
            own = self.as_(f"enterprise:{enterprise_id}")
            balance = self.c.certificates.GetBalance(
                certificates_pb2.GetBalanceRequest(enterprise_id=enterprise_id),
                metadata=own,
                timeout=10,
            )
            self.summary.balances[enterprise_id] = balance
            gec = self.c.certificates.GetMonthlyGec(
                certificates_pb2.GetMonthlyGecRequest(
                    enterprise_id=enterprise_id, from_month=month, to_month=month
                ),
                metadata=own,
                timeout=10,
            )
            f = self.c.certificates.GetCarbonFootprint(
                certificates_pb2.GetCarbonFootprintRequest(
                    enterprise_id=enterprise_id, from_market_day=day, to_market_day=day
                ),
                metadata=own,
                timeout=30,
            )
            if enterprise_id == "ent-foundry":
                self.summary.footprint = f
            carried = gec.months[-1].carried_out_wh if gec.months else 0
            self.log(
                f"   {enterprise_id:<14} certificates: {kwh(balance.active_wh)} active "
                f"({balance.active_gec} GEC + {kwh(balance.active_remainder_wh)}), "
                f"{kwh(balance.retired_wh)} retired; {month} issued {gec.total_gec} GEC, "
                f"{kwh(carried)} carried to next month"
            )
            self.log(
                f"   {enterprise_id:<14} Scope 2 on {day}: consumption "
                f"{f.consumption_wh / 1000:,.1f} kWh, location-based "
                f"{_kg(f.location_based_g_co2e)} kgCO2e, market-based "
                f"{_kg(f.market_based_g_co2e)} kgCO2e annually matched "
                f"({f.annual_matched_share:.1%}) / {_kg(f.hourly_market_based_g_co2e)} kgCO2e "
                f"hourly matched ({f.hourly_matched_cfe_share:.1%}); "
                f"{f.grid_factor_basis}; residual: {f.residual_factor_basis}"
            )
        p = self.c.certificates.GetParkIndicators(
            certificates_pb2.GetParkIndicatorsRequest(from_market_day=day, to_market_day=day),
            timeout=30,
        )
        self.summary.indicators = p
        self.log(
            f"   park on {day}: consumption {p.consumption_wh / 1000:,.1f} kWh, on-site "
            f"renewables {p.onsite_renewable_generation_wh / 1000:,.1f} kWh, green-power "
            f"share {p.green_power_share:.1%}, location-based {_kg(p.location_based_g_co2e)} "
            f"kgCO2e, market-based {_kg(p.market_based_g_co2e)} kgCO2e"
        )
        self._zero_carbon(p)
        self._product_footprint(day)
        self._green_targets()

    def _green_targets(self) -> None:
        """Each target of the plan against what was bought and claimed: met, or missed and why."""
        for result in self.summary.plan.green_power_results:  # type: ignore[union-attr]
            if not result.target_share:
                continue
            status = self.c.certificates.GetGreenTarget(
                certificates_pb2.GetGreenTargetRequest(
                    enterprise_id=result.enterprise_id, market_day=self.day.isoformat()
                ),
                metadata=self.as_(f"enterprise:{result.enterprise_id}"),
                timeout=30,
            )
            self.summary.green_targets[result.enterprise_id] = status
            self.log(status_line(status))

    def _green_trades(self) -> tuple[list, int]:
        """ent-foundry buys what the plan says from ent-logistics' PV lots, lot-hour by
        lot-hour at the plan's forecast prices, as far as the lots go: ent-logistics
        proposes each, the foundry accepts all but the last with its own token and the last
        falls under the buy_green mandate it gave the ESCO (up to 450 CNY/MWh from
        ent-logistics); the ESCO then settles each, certificates and money at once."""
        day = self.day.isoformat()
        foundry = self.as_("enterprise:ent-foundry")
        self.c.certificates.GrantMandate(
            certificates_pb2.GrantMandateRequest(
                request_id=f"grant-mandate-{day}-buy",
                mandate_id=f"mandate-{day}-buy",
                scope=certificates_pb2.MANDATE_SCOPE_BUY_GREEN,
                max_price_fen_per_mwh=45_000,
                counterparty_enterprise_id="ent-logistics",
                valid_for_days=30,
            ),
            metadata=foundry,
            timeout=10,
        )
        buys = planned_buys(self.summary.plan, "ent-foundry")  # type: ignore[arg-type]
        lots = active_lots(self.c, "ent-logistics", self.as_)
        purchases = match_lots(buys, lots, BUNDLED_PRICE_FEN_PER_MWH, CERTIFICATE_PRICE_FEN_PER_MWH)
        moved, paid_fen, how = [], 0, []
        for n, purchase in enumerate(purchases, start=1):
            trade = self._green_trade(n, purchase, mandated=n == len(purchases))
            moved.append(trade.bought)
            paid_fen += trade.amount_fen
            how.append(trade.accepted_by)
        planned_wh = sum(b.energy_wh for b in buys)
        self.log(
            f"   the plan buys {kwh(planned_wh)} for ent-foundry; ent-logistics holds "
            f"{kwh(sum(lot.energy_wh for lot in lots))} in {len(lots)} lots and proposed "
            f"{len(moved)} trades; ent-foundry accepted {how.count('ent-foundry')} itself, "
            f"{len(how) - how.count('ent-foundry')} fell under its mandate mandate-{day}-buy; "
            f"the ESCO settled all {len(moved)}"
        )
        return moved, paid_fen

    def _green_trade(self, n: int, purchase, mandated: bool) -> certificates_pb2.GreenTrade:
        trade_id = f"gpt-{self.day.isoformat()}-{n:03d}"
        self.c.certificates.ProposeGreenTrade(
            certificates_pb2.ProposeGreenTradeRequest(
                request_id=f"propose-{trade_id}",
                trade_id=trade_id,
                lot_id=purchase.lot_id,
                buyer_enterprise_id="ent-foundry",
                energy_wh=purchase.energy_wh,
                price_fen_per_mwh=purchase.price_fen_per_mwh,
            ),
            metadata=self.as_("enterprise:ent-logistics"),
            timeout=30,
        )
        if not mandated:
            self.c.certificates.AcceptGreenTrade(
                certificates_pb2.AcceptGreenTradeRequest(
                    request_id=f"accept-{trade_id}", trade_id=trade_id
                ),
                metadata=self.as_("enterprise:ent-foundry"),
                timeout=30,
            )
        return self.c.certificates.SettleGreenTrade(
            certificates_pb2.SettleGreenTradeRequest(
                request_id=f"settle-{trade_id}", trade_id=trade_id
            ),
            metadata=self.as_("esco"),
            timeout=30,
        )

    def _retire_for_foundry(self, lots, start: datetime, end: datetime) -> None:
        """ent-logistics retires half of its smallest PV hour for the foundry, under the
        retire_for mandate the foundry gave it (before any trade, so the purchases that
        follow see what is left); the foundry lists the retirement."""
        if not lots:
            return
        day = self.day.isoformat()
        lot = min(lots, key=lambda lot: (lot.energy_wh, lot.lot_id))
        energy_wh = max(1, lot.energy_wh // 2)
        foundry = self.as_("enterprise:ent-foundry")
        self.c.certificates.GrantMandate(
            certificates_pb2.GrantMandateRequest(
                request_id=f"grant-mandate-{day}-retire",
                mandate_id=f"mandate-{day}-retire",
                scope=certificates_pb2.MANDATE_SCOPE_RETIRE_FOR,
                grantee_enterprise_id="ent-logistics",
                max_energy_wh=energy_wh,
                valid_for_days=30,
            ),
            metadata=foundry,
            timeout=10,
        )
        self.c.certificates.Retire(
            certificates_pb2.RetireRequest(
                request_id=f"retire-for-foundry-{day}",
                lot_id=lot.lot_id,
                beneficiary_enterprise_id="ent-foundry",
                energy_wh=energy_wh,
                consumption_period_start=to_ts(start),
                consumption_period_end=to_ts(end),
            ),
            metadata=self.as_("enterprise:ent-logistics"),
            timeout=30,
        )
        listed = self.c.certificates.ListRetirements(
            certificates_pb2.ListRetirementsRequest(), metadata=foundry, timeout=10
        )
        by_others = sum(
            lot.energy_wh for lot in listed.lots if lot.owner_enterprise_id != "ent-foundry"
        )
        self.summary.retired_for_wh = by_others
        self.log(
            f"   ent-logistics retired {kwh(energy_wh)} for ent-foundry under its mandate "
            f"mandate-{day}-retire; ent-foundry lists {len(listed.lots)} retirements for it, "
            f"{kwh(by_others)} by others"
        )

    def _zero_carbon(self, p: certificates_pb2.ParkIndicators) -> None:
        self.log(
            f"   park energy use {p.total_energy_tce:,.2f} tce (electricity "
            f"{p.electricity_tce:,.2f} at {p.electricity_kgce_per_kwh} kgce/kWh, fuels "
            f"{p.fuel_tce:,.2f}; {p.annual_energy_tce:,.0f} tce/year annualised), "
            f"emissions {_t(p.emissions_g_co2)} tCO2 (location-based)"
        )
        indicators = (
            ("carbon intensity", p.carbon_intensity, " tCO2/tce"),
            ("clean energy share", p.clean_energy_share, ""),
        )
        for label, ind, unit in indicators:
            verdict = "met" if ind.passed else "not met"
            self.log(
                f"   {label}: {ind.value:.3f}{unit} against {ind.threshold}{unit}: {verdict}, "
                f"gap {ind.gap:+.3f} ({ind.basis})"
            )

    def _product_footprint(self, day: str) -> None:
        outputs = [("castings", 42), ("forgings", 18)]
        f = self.c.certificates.GetProductFootprint(
            certificates_pb2.GetProductFootprintRequest(
                enterprise_id="ent-foundry",
                from_market_day=day,
                to_market_day=day,
                outputs=[
                    certificates_pb2.ProductOutput(product_line=n, output_quantity=q, unit="t")
                    for n, q in outputs
                ],
            ),
            metadata=self.as_("enterprise:ent-foundry"),
            timeout=30,
        )
        for line in f.lines:
            self.log(
                f"   ent-foundry {line.product_line:<9} {line.output_quantity} {line.unit}: "
                f"location-based {kg(line.location_based_g_co2e)}, market-based "
                f"{kg(line.market_based_g_co2e)} CO2e, certificates "
                f"{kwh(line.claimed_certificate_wh)}"
            )
        sums = [
            sum(getattr(line, column) for line in f.lines)
            for column in ("location_based_g_co2e", "market_based_g_co2e")
        ]
        exact = sums == [f.location_based_g_co2e, f.market_based_g_co2e]
        self.log(
            f"   ent-foundry total {kg(f.location_based_g_co2e)} / {kg(f.market_based_g_co2e)} "
            f"CO2e (fuels {kg(f.fuel_g_co2e)}); the lines "
            f"{'sum exactly to these' if exact else 'DO NOT sum to these'}"
        )


def _kg(grams: int) -> str:
    """Integer grams from the wire shown as kg (presentation only)."""
    return f"{grams / 1000:,.1f}"


def _t(grams: int) -> str:
    """Integer grams from the wire shown as tonnes (presentation only)."""
    return f"{grams / 1_000_000:,.2f}"
