"""The demo's green purchases: buy what the bid plan says from the lots on offer, then report
each target met or missed, by how much and why (CertificateService.GetGreenTarget)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from parkvpp.v1 import bidding_pb2, certificates_pb2, market_pb2
from services.demo.clients import Clients

cpb = certificates_pb2
Metadata = Callable[[str], tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class Purchase:
    """One lot-hour to buy: the seller's lot, the Wh and the price forecast in the plan."""

    lot_id: str
    energy_wh: int
    price_fen_per_mwh: int


def planned_buys(
    plan: bidding_pb2.BidPlan, enterprise_id: str
) -> list[bidding_pb2.GreenPowerOffer]:
    return [
        o
        for o in plan.green_power_offers
        if o.enterprise_id == enterprise_id and o.side == market_pb2.SIDE_BUY
    ]


def match_lots(
    buys: list[bidding_pb2.GreenPowerOffer],
    lots: list[cpb.Lot],
    bundled_price_fen_per_mwh: int,
    certificate_price_fen_per_mwh: int,
) -> list[Purchase]:
    """Lot-hours covering the buy offers as far as the lots go: a bundled buy from lots of
    its own hour, then certificates from what is left, largest lots first."""
    left = {lot.lot_id: lot.energy_wh for lot in lots}
    hour_of = {lot.lot_id: lot.production_hour_start.seconds for lot in lots}
    order = sorted(lots, key=lambda lot: (-lot.energy_wh, lot.lot_id))
    out: list[Purchase] = []
    bundled = [b for b in buys if b.product == bidding_pb2.GREEN_PRODUCT_BUNDLED]
    certificates = [b for b in buys if b.product == bidding_pb2.GREEN_PRODUCT_CERTIFICATE]
    for buy in [*bundled, *certificates]:
        wanted = buy.energy_wh
        is_bundled = buy.product == bidding_pb2.GREEN_PRODUCT_BUNDLED
        price = bundled_price_fen_per_mwh if is_bundled else certificate_price_fen_per_mwh
        for lot in order:
            if wanted == 0:
                break
            if is_bundled and hour_of[lot.lot_id] != buy.period_start.seconds:
                continue
            take = min(wanted, left[lot.lot_id])
            if take:
                out.append(Purchase(lot.lot_id, take, price))
                left[lot.lot_id] -= take
                wanted -= take
    return out


def active_lots(clients: Clients, owner: str, metadata: Metadata) -> list[cpb.Lot]:
    lots, token = [], ""
    while True:
        page = clients.certificates.ListLots(
            cpb.ListLotsRequest(
                owner_enterprise_id=owner,
                status=cpb.LOT_STATUS_ACTIVE,
                page_size=1000,
                page_token=token,
            ),
            metadata=metadata(f"enterprise:{owner}"),
            timeout=30,
        )
        lots.extend(page.lots)
        token = page.next_page_token
        if not token:
            return lots


def status_line(status: certificates_pb2.GreenTargetStatus) -> str:
    """ "green target 30%: planned X kWh, bought Y kWh, ... reached Z% — met" (or missed, why)."""
    line = (
        f"   {status.enterprise_id:<14} green target {status.target_share:.0%}: planned "
        f"{status.planned_wh / 1000:,.0f} kWh, bought {status.bought_wh / 1000:,.0f} kWh, "
        f"claimed {status.claimed_wh / 1000:,.0f} kWh of {status.consumption_wh / 1000:,.0f} "
        f"kWh consumed, reached {status.achieved_share:.1%}"
    )
    if status.met:
        return line + " — met"
    return (
        f"{line} — missed by {status.shortfall_points:.1f} points "
        f"({status.shortfall_wh / 1000:,.0f} kWh): {status.reason_detail}"
    )
