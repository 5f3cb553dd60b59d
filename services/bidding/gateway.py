"""The market gateway: where the bidder sends its orders, and where clearing results come from.

`MarketGateway` is all the bidder knows of a market. Two adapters implement it, chosen
by PARKVPP_MARKET_GATEWAY:

- `reference` (ReferenceExchangeGateway): the built-in MarketService over gRPC;
- `file` (FileDropGateway): a trading centre's drop directory, PARKVPP_MARKET_GATEWAY_DIR.
  Each batch is one JSON file `<dir>/<market_day>/<batch_id>.json` (format below), written
  atomically (temporary file, then rename); writing the same batch again changes
  nothing, a different batch under the same id is refused. The centre (or its upload
  tool) puts the clearing result of a product in `<dir>/<market_day>/results/<PRODUCT>.json`
  as the JSON form of `parkvpp.v1.ClearingResult`.

The batch file, in the shape of a provincial trading centre's day-ahead declaration
(96 periods a day, price-quantity segments per period; prices in fen/MWh, power in kW):

    {"format": "parkvpp.market-batch.v1", "batch_id": "...", "market_day": "2026-01-05",
     "participant_id": "parkvpp-vpp", "price_unit": "fen/MWh", "quantity_unit": "kW",
     "orders": [{"order_id": "...", "product": "DEMAND_RESPONSE", "side": "SELL",
                 "period": 72, "period_start": "18:00", "period_end": "18:15",
                 "segments": [{"price_fen_per_mwh": 900000, "quantity_kw": 120.5}]}]}

The centre's DR invitations of a day are read from `<dir>/<market_day>/dr_events.json`
(no file: no invitations; a file that breaks a rule: FAILED_PRECONDITION naming the
file and the field, e.g. `events[0].to`). Windows are local times on the 15-minute grid
("24:00" ends the day), the deadline an ISO 8601 time with its offset:

    {"format": "parkvpp.dr-events.v1", "market_day": "2026-01-05",
     "events": [{"event_id": "ev-2026-01-05-grid", "program": "peak-shaving",
                 "issuer_id": "grid-operator", "from": "18:00", "to": "20:00",
                 "requested_kw": 1000, "price_floor_fen_per_mwh": 0,
                 "price_cap_fen_per_mwh": 1300000,
                 "declaration_deadline": "2026-01-04T12:00:00+08:00", "notice_minutes": 60}]}
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import grpc
from google.protobuf import json_format

from bidding.intervals import INTERVAL_MINUTES
from parkvpp.v1 import market_pb2, market_pb2_grpc
from services.bidding.dr_events_file import DR_EVENTS_FILE, read_dr_events
from services.runtime.context import Runtime
from services.runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument

BATCH_FORMAT = "parkvpp.market-batch.v1"


@dataclass(frozen=True)
class GatewayReceipt:
    """What the market acknowledged: the batch, how many orders, and where it went."""

    batch_id: str
    orders_accepted: int
    destination: str


class MarketGateway(Protocol):
    """A market the bidder can submit to; adapters raise service errors with the field."""

    def submit(
        self, batch_id: str, market_day: str, orders: Sequence[market_pb2.Order]
    ) -> GatewayReceipt:
        """Send a batch; idempotent by `batch_id` (a resubmission changes nothing)."""
        ...

    def clearing(self, market_day: str, product: int) -> market_pb2.ClearingResult | None:
        """The product's clearing result of the day, or None while there is none."""
        ...

    def dr_events(self, market_day: str) -> list[market_pb2.DrEvent]:
        """The day's DR invitations (empty when none are announced)."""
        ...


class ReferenceExchangeGateway:
    """The built-in reference exchange (MarketService), called with the caller's token."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def _stub(self) -> market_pb2_grpc.MarketServiceStub:
        return market_pb2_grpc.MarketServiceStub(self._runtime.channel("market"))

    def submit(self, batch_id, market_day, orders) -> GatewayReceipt:
        reply = self._stub().SubmitOrders(
            market_pb2.SubmitOrdersRequest(batch_id=batch_id, market_day=market_day, orders=orders),
            timeout=30,
        )
        where = f"reference exchange at {self._runtime.settings.addr_of('market')}"
        return GatewayReceipt(reply.batch_id, reply.orders_accepted, where)

    def clearing(self, market_day, product):
        request = market_pb2.GetClearingResultRequest(market_day=market_day, product=product)
        try:
            return self._stub().GetClearingResult(request, timeout=30)
        except grpc.RpcError as exc:
            if isinstance(exc, grpc.Call) and exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise

    def dr_events(self, market_day):
        request = market_pb2.ListDrEventsRequest(market_day=market_day)
        return list(self._stub().ListDrEvents(request, timeout=30).events)


def _clock(interval: int) -> str:
    minutes = interval * INTERVAL_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def batch_document(
    batch_id: str, market_day: str, participant_id: str, orders: Sequence[market_pb2.Order]
) -> dict:
    """The batch file's content (see the module docstring); deterministic for equal input."""
    return {
        "format": BATCH_FORMAT,
        "batch_id": batch_id,
        "market_day": market_day,
        "participant_id": participant_id,
        "price_unit": "fen/MWh",
        "quantity_unit": "kW",
        "orders": [
            {
                "order_id": o.order_id,
                "product": market_pb2.Product.Name(o.product).removeprefix("PRODUCT_"),
                "side": market_pb2.Side.Name(o.side).removeprefix("SIDE_"),
                "period": o.interval,
                "period_start": _clock(o.interval),
                "period_end": _clock(o.interval + 1),
                "segments": [
                    {"price_fen_per_mwh": s.price_fen_per_mwh, "quantity_kw": s.quantity_kw}
                    for s in o.steps
                ],
            }
            for o in orders
        ],
    }


class FileDropGateway:
    """A trading centre's drop directory: one JSON file per batch, results read back."""

    def __init__(self, directory: str, participant_id: str) -> None:
        self.directory = Path(directory)
        self.participant_id = participant_id

    def batch_path(self, market_day: str, batch_id: str) -> Path:
        if "/" in batch_id or batch_id.startswith("."):
            raise InvalidArgument("batch_id", "must not contain '/' or start with '.'")
        return self.directory / market_day / f"{batch_id}.json"

    def submit(self, batch_id, market_day, orders) -> GatewayReceipt:
        path = self.batch_path(market_day, batch_id)
        document = batch_document(batch_id, market_day, self.participant_id, orders)
        content = (json.dumps(document, indent=1, sort_keys=True) + "\n").encode()
        if path.exists():
            if path.read_bytes() != content:
                raise AlreadyExists(f"batch {batch_id} was already written with other orders")
            return GatewayReceipt(batch_id, len(orders), str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return GatewayReceipt(batch_id, len(orders), str(path))

    def clearing(self, market_day, product):
        name = market_pb2.Product.Name(product).removeprefix("PRODUCT_")
        path = self.directory / market_day / "results" / f"{name}.json"
        if not path.exists():
            return None
        try:
            return json_format.Parse(path.read_text(), market_pb2.ClearingResult())
        except json_format.ParseError as exc:
            raise FailedPrecondition(f"{path} is not a ClearingResult: {exc}") from exc

    def dr_events(self, market_day):
        path = self.directory / market_day / DR_EVENTS_FILE
        if not path.exists():
            return []
        return read_dr_events(path, market_day)


def gateway_for(runtime: Runtime) -> MarketGateway:
    """The adapter the settings choose (PARKVPP_MARKET_GATEWAY)."""
    settings = runtime.settings
    if settings.market_gateway == "file":
        return FileDropGateway(settings.market_gateway_dir, settings.vpp_participant_id)
    return ReferenceExchangeGateway(runtime)
