"""Clearing a demand-response day through the real MarketService, as the exchange would."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from parkvpp.v1 import market_pb2 as mpb

#: The buyer whose bids take the VPP's offers.
GRID_BUYER = "grid-dr-desk"


def clear_demand_response(
    clients, seller: str, day: date, intervals: Iterable[int], kw: float, price_fen_per_mwh: int
) -> mpb.ClearingResult:
    """`seller` offers and the grid bids `kw` at `price_fen_per_mwh` in each interval; the
    day's DEMAND_RESPONSE market is then cleared (the VPP is awarded `kw` in each)."""

    def order(participant_id: str, side: int, t: int) -> mpb.Order:
        return mpb.Order(
            participant_id=participant_id,
            market_day=day.isoformat(),
            interval=t,
            product=mpb.PRODUCT_DEMAND_RESPONSE,
            side=side,
            steps=[mpb.PriceStep(price_fen_per_mwh=price_fen_per_mwh, quantity_kw=kw)],
        )

    intervals = list(intervals)
    orders = [order(seller, mpb.SIDE_SELL, t) for t in intervals]
    orders += [order(GRID_BUYER, mpb.SIDE_BUY, t) for t in intervals]
    clients.market.SubmitOrders(
        mpb.SubmitOrdersRequest(batch_id=f"call-{day}", market_day=day.isoformat(), orders=orders),
        timeout=30,
    )
    return clients.market.ClearMarket(
        mpb.ClearMarketRequest(market_day=day.isoformat(), product=mpb.PRODUCT_DEMAND_RESPONSE),
        timeout=60,
    )
