"""Synthetic participants of the reference exchange: orders read from a JSON file (or the default).

The file (PARKVPP_MARKET_PARTICIPANTS_FILE) holds `{"participants": [...]}`; each entry
is one participant's standing order for every market day over a window of local time:

    {"participant_id": "grid-operator", "product": "DEMAND_RESPONSE", "side": "BUY",
     "from": "18:00", "to": "20:00",
     "blocks": [{"price_fen_per_mwh": 1300000, "quantity_kw": 1000}]}

`from`/`to` are local times on the interval grid ("24:00" ends the day); one participant
may have several entries (e.g. a buyer's demand by time of day). Prices must lie within
the exchange's floor and cap of the product. Without a file the exchange uses DEFAULT,
made for the demo's park: the grid operator's 18:00-20:00 call for about 5 MW at up to
13 CNY/kWh, five other demand-response sellers competing for it (4.5-12.5 CNY/kWh), and
an energy market of wind, solar, coal and gas against a retailer's load.

Optional `"vary": {"price": 0.2, "quantity": 0.3}` makes an entry differ from day to
day: each market day its prices are scaled by one factor drawn uniformly from
[1 - price, 1 + price] (whole fen, kept within the floor and cap) and its quantities by
one from [1 - quantity, 1 + quantity], both drawn from the market day and the entry's
position, so the same day always gets the same orders. Fractions are 0..0.9.

A DEMAND_RESPONSE BUY entry is also the grid operator's invitation for every market day
(`dr_events`): its window, its blocks' total kW requested, priced from the exchange's DR
floor up to its highest block price. Optional keys of such an entry: `"program"` (an
id, default "peak-shaving"), `"deadline"` (local time HH:MM on the day before by which
declarations are due, default "12:00") and `"notice_minutes"` (0..10080, default 60).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bidding.intervals import INTERVAL_MINUTES, INTERVALS_PER_DAY, interval_start
from certificates.ids import ID_RULE, is_id
from parkvpp.v1 import market_pb2 as pb
from services.runtime.rpc import to_ts

PriceRange = Callable[[str], tuple[int, int]]

_DAY = "00:00", "24:00"


def _standing(pid: str, product: str, side: str, window: tuple[str, str], *blocks) -> dict:
    return {
        "participant_id": pid,
        "product": product,
        "side": side,
        "from": window[0],
        "to": window[1],
        "blocks": [{"price_fen_per_mwh": p, "quantity_kw": q} for p, q in blocks],
    }


def _varying(entry: dict, price: float, quantity: float) -> dict:
    return {**entry, "vary": {"price": price, "quantity": quantity}}


def _dr_seller(pid: str, kw: float, price: int, price_vary: float = 0.2) -> dict:
    """A competing demand-response seller in the grid operator's evening window."""
    sell = _standing(pid, "DEMAND_RESPONSE", "SELL", ("18:00", "20:00"), (price, kw))
    return _varying(sell, price_vary, 0.3)


def _retail(window: tuple[str, str], kw: float) -> dict:
    """The retailer's load in a window, bid at the ENERGY cap (it takes any price)."""
    return _standing("retailer-load", "ENERGY", "BUY", window, (130_000, kw))


DEFAULT: dict[str, Any] = {
    "participants": [
        _varying(
            _standing(
                "grid-operator", "DEMAND_RESPONSE", "BUY", ("18:00", "20:00"), (1_300_000, 5000)
            ),
            0.0,
            0.2,
        ),
        _dr_seller("aggregator-east", 1500, 450_000),
        _dr_seller("steel-mill-dr", 1200, 650_000),
        _dr_seller("aggregator-west", 1000, 850_000),
        _dr_seller("data-centre-backup", 800, 1_050_000, 0.15),
        _dr_seller("cement-works", 1000, 1_250_000, 0.04),
        _standing("wind-farm", "ENERGY", "SELL", _DAY, (0, 800)),
        _standing("solar-farm", "ENERGY", "SELL", ("10:00", "15:00"), (-5_000, 1500)),
        _standing("coal-unit", "ENERGY", "SELL", _DAY, (32_000, 3000), (45_000, 2000)),
        _standing("gas-peaker", "ENERGY", "SELL", _DAY, (90_000, 1000)),
        _retail(("00:00", "08:00"), 2500),
        _retail(("08:00", "10:00"), 4200),
        _retail(("10:00", "15:00"), 1200),
        _retail(("15:00", "17:00"), 4200),
        _retail(("17:00", "21:00"), 6200),
        _retail(("21:00", "24:00"), 3000),
    ]
}

MAX_ENTRIES = 1000
MAX_BLOCKS = 50
MAX_QUANTITY_KW = 1e7
#: A DR invitation's defaults: program, declarations due at 12:00 local the day before,
#: the call confirmed an hour before its window.
DR_PROGRAM = "peak-shaving"
DR_DEADLINE_MINUTES = 12 * 60
DR_NOTICE_MINUTES = 60
MAX_NOTICE_MINUTES = 7 * 24 * 60


class ParticipantsError(ValueError):
    """The participants data breaks a rule; the message names the entry's field."""


@dataclass(frozen=True)
class StandingOrder:
    participant_id: str
    product: int
    side: int
    intervals: range
    steps: tuple[tuple[int, float], ...]
    #: As a DR invitation (DEMAND_RESPONSE BUY entries): program, deadline in local
    #: minutes of the day before, notice.
    program: str = DR_PROGRAM
    deadline_minutes: int = DR_DEADLINE_MINUTES
    notice_minutes: int = DR_NOTICE_MINUTES
    #: Day-to-day variation (fractions) and the product's floor and cap prices stay in.
    vary_price: float = 0.0
    vary_quantity: float = 0.0
    price_bounds: tuple[int, int] = (-(2**62), 2**62)

    @property
    def is_dr_call(self) -> bool:
        return self.product == pb.PRODUCT_DEMAND_RESPONSE and self.side == pb.SIDE_BUY

    def steps_on(self, market_day: date, position: int) -> tuple[tuple[int, float], ...]:
        """The entry's blocks on `market_day` (see "vary" in the module docstring)."""
        if not (self.vary_price or self.vary_quantity):
            return self.steps
        rng = np.random.default_rng([position, market_day.toordinal()])
        price_factor = 1 + self.vary_price * (2 * rng.random() - 1)
        quantity_factor = 1 + self.vary_quantity * (2 * rng.random() - 1)
        floor, cap = self.price_bounds
        return tuple(
            (min(max(round(price * price_factor), floor), cap), round(kw * quantity_factor, 3))
            for price, kw in self.steps
        )


def _interval(text: object, where: str) -> int:
    """ "HH:MM" on the interval grid -> interval index (24:00 -> 96)."""
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        raise ParticipantsError(f"{where}: must be a time HH:MM")
    hours, minutes = text[:2], text[3:]
    if not (hours.isdigit() and minutes.isdigit()) or int(minutes) >= 60:
        raise ParticipantsError(f"{where}: must be a time HH:MM")
    total = int(hours) * 60 + int(minutes)
    if total % INTERVAL_MINUTES or total > INTERVALS_PER_DAY * INTERVAL_MINUTES:
        raise ParticipantsError(f"{where}: must be on the {INTERVAL_MINUTES}-minute grid, <= 24:00")
    return total // INTERVAL_MINUTES


def _clock(text: object, where: str) -> int:
    """ "HH:MM" local time of day, 00:00..23:59 -> minutes after midnight."""
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        raise ParticipantsError(f"{where}: must be a time HH:MM")
    hours, minutes = text[:2], text[3:]
    if not (hours.isdigit() and minutes.isdigit()) or int(hours) > 23 or int(minutes) >= 60:
        raise ParticipantsError(f"{where}: must be a time HH:MM, 00:00..23:59")
    return int(hours) * 60 + int(minutes)


def _invitation_terms(entry: dict, where: str) -> dict[str, Any]:
    """The optional DR invitation keys of an entry (program, deadline, notice_minutes)."""
    terms: dict[str, Any] = {}
    if "program" in entry:
        if not is_id(entry["program"]):
            raise ParticipantsError(f"{where}.program: {ID_RULE}")
        terms["program"] = entry["program"]
    if "deadline" in entry:
        terms["deadline_minutes"] = _clock(entry["deadline"], f"{where}.deadline")
    if "notice_minutes" in entry:
        notice = entry["notice_minutes"]
        if isinstance(notice, bool) or not isinstance(notice, int):
            raise ParticipantsError(f"{where}.notice_minutes: must be a whole number of minutes")
        if not 0 <= notice <= MAX_NOTICE_MINUTES:
            raise ParticipantsError(f"{where}.notice_minutes: must be 0..{MAX_NOTICE_MINUTES}")
        terms["notice_minutes"] = notice
    return terms


def _enum(value: object, enum, prefix: str, where: str, allowed: tuple[str, ...]) -> int:
    if value not in allowed:
        raise ParticipantsError(f"{where}: must be one of {', '.join(allowed)}")
    return enum.Value(f"{prefix}{value}")


def _steps(blocks: object, where: str, price_range: PriceRange, product: str):
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= MAX_BLOCKS:
        raise ParticipantsError(f"{where}: must be a list of 1..{MAX_BLOCKS} blocks")
    floor, cap = price_range(product)
    out = []
    for k, block in enumerate(blocks):
        at = f"{where}[{k}]"
        price = block.get("price_fen_per_mwh") if isinstance(block, dict) else None
        kw = block.get("quantity_kw") if isinstance(block, dict) else None
        if isinstance(price, bool) or not isinstance(price, int) or not floor <= price <= cap:
            raise ParticipantsError(f"{at}.price_fen_per_mwh: must be a whole {floor}..{cap}")
        if isinstance(kw, bool) or not isinstance(kw, int | float) or not 0 < kw <= MAX_QUANTITY_KW:
            raise ParticipantsError(f"{at}.quantity_kw: must be a number in (0, 1e7]")
        out.append((price, float(kw)))
    return tuple(out)


def _entry(n: int, entry: object, price_range: PriceRange) -> StandingOrder:
    where = f"participants[{n}]"
    if not isinstance(entry, dict):
        raise ParticipantsError(f"{where}: must be an object")
    pid = entry.get("participant_id")
    if not is_id(pid):
        raise ParticipantsError(f"{where}.participant_id: {ID_RULE}")
    product_name = entry.get("product")
    product = _enum(
        product_name, pb.Product, "PRODUCT_", f"{where}.product", ("DEMAND_RESPONSE", "ENERGY")
    )
    side = _enum(entry.get("side"), pb.Side, "SIDE_", f"{where}.side", ("SELL", "BUY"))
    first = _interval(entry.get("from"), f"{where}.from")
    end = _interval(entry.get("to"), f"{where}.to")
    if end <= first:
        raise ParticipantsError(f"{where}.to: must be after from")
    steps = _steps(entry.get("blocks"), f"{where}.blocks", price_range, str(product_name))
    terms = _invitation_terms(entry, where)
    vary = _vary(entry.get("vary", {}), f"{where}.vary")
    return StandingOrder(
        pid,
        product,
        side,
        range(first, end),
        steps,
        **terms,
        **vary,
        price_bounds=price_range(str(product_name)),
    )


def _vary(vary: object, where: str) -> dict[str, float]:
    if not isinstance(vary, dict) or set(vary) - {"price", "quantity"}:
        raise ParticipantsError(f"{where}: must be an object with price and/or quantity")
    out = {}
    for name in ("price", "quantity"):
        value = vary.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 0.9:
            raise ParticipantsError(f"{where}.{name}: must be a fraction 0..0.9")
        out[f"vary_{name}"] = float(value)
    return out


@dataclass(frozen=True)
class SyntheticParticipants:
    """Standing orders of the exchange's synthetic participants, the same every market day."""

    standing: tuple[StandingOrder, ...]
    source: str

    @classmethod
    def parse(cls, data: Mapping[str, Any], price_range: PriceRange, source: str):
        """Check `data` (the file's JSON); raises ParticipantsError naming the field."""
        entries = data.get("participants") if isinstance(data, Mapping) else None
        if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
            raise ParticipantsError(f"participants: must be a list of at most {MAX_ENTRIES}")
        return cls(tuple(_entry(n, e, price_range) for n, e in enumerate(entries)), source)

    @classmethod
    def load(cls, path: str, price_range: PriceRange) -> SyntheticParticipants:
        """From the JSON file at `path`, or DEFAULT when `path` is empty.

        Raises ParticipantsError naming the file and the field for unreadable or bad data.
        """
        if not path:
            return cls.parse(DEFAULT, price_range, "built-in default")
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise ParticipantsError(f"{path}: not readable JSON ({exc})") from exc
        try:
            return cls.parse(data, price_range, path)
        except ParticipantsError as exc:
            raise ParticipantsError(f"{path}: {exc}") from exc

    def orders(self, market_day: date, product: int) -> list[pb.Order]:
        """The day's orders of `product`, one per entry and interval, with stable ids."""
        day = market_day.isoformat()
        out = []
        for n, s in enumerate(self.standing):
            if s.product != product:
                continue
            for interval in s.intervals:
                out.append(
                    pb.Order(
                        order_id=f"synthetic-{n}-{s.participant_id}-{interval:02d}",
                        participant_id=s.participant_id,
                        market_day=day,
                        interval=interval,
                        product=product,
                        side=s.side,
                        steps=[
                            pb.PriceStep(price_fen_per_mwh=p, quantity_kw=q)
                            for p, q in s.steps_on(market_day, n)
                        ],
                    )
                )
        return out

    def dr_events(self, market_day: date, dr_floor_fen_per_mwh: int) -> list[pb.DrEvent]:
        """The day's invitations of the DEMAND_RESPONSE BUY entries (see module docstring).

        Event ids are `ev-<day>-<participant>` (`-<n>` added when a participant has several
        calls, `ev-<day>-synthetic-<n>` when that is longer than an id may be).
        """
        calls = [(n, s) for n, s in enumerate(self.standing) if s.is_dr_call]
        callers = [s.participant_id for _, s in calls]
        day_before = interval_start(market_day - timedelta(days=1), 0)
        events = []
        for n, s in calls:
            steps = s.steps_on(market_day, n)
            event_id = f"ev-{market_day.isoformat()}-{s.participant_id}"
            if callers.count(s.participant_id) > 1:
                event_id += f"-{n}"
            if not is_id(event_id):
                event_id = f"ev-{market_day.isoformat()}-synthetic-{n}"
            events.append(
                pb.DrEvent(
                    event_id=event_id,
                    program=s.program,
                    market_day=market_day.isoformat(),
                    start_interval=s.intervals.start,
                    end_interval=s.intervals.stop,
                    requested_kw=sum(kw for _, kw in steps),
                    price_floor_fen_per_mwh=dr_floor_fen_per_mwh,
                    price_cap_fen_per_mwh=max(price for price, _ in steps),
                    declaration_deadline=to_ts(day_before + timedelta(minutes=s.deadline_minutes)),
                    notice_minutes=s.notice_minutes,
                    issuer_id=s.participant_id,
                    synthetic=True,
                )
            )
        return events
