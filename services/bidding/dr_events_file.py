"""A trading centre's DR invitations of a day, read from its drop directory's dr_events.json.

The format is in services/bidding/gateway.py's docstring. Every rule a file breaks is a
FailedPrecondition naming the file and the field: the bidder cannot answer a call it
cannot read, and the file is the centre's, not the caller's.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bidding.intervals import INTERVAL_MINUTES, INTERVALS_PER_DAY
from certificates.ids import ID_RULE, is_id
from parkvpp.v1 import market_pb2
from services.runtime.errors import FailedPrecondition
from services.runtime.rpc import to_ts

DR_EVENTS_FILE = "dr_events.json"
DR_EVENTS_FORMAT = "parkvpp.dr-events.v1"
MAX_EVENTS = 96
MAX_REQUESTED_KW = 1e7
MAX_NOTICE_MINUTES = 7 * 24 * 60


class _Bad(ValueError):
    """A rule the file breaks; the message starts with the field."""


def _id(entry: dict, name: str, where: str) -> str:
    value = entry.get(name)
    if not is_id(value):
        raise _Bad(f"{where}.{name}: {ID_RULE}")
    return str(value)


def _interval(entry: dict, name: str, where: str) -> int:
    """ "HH:MM" on the interval grid -> interval index ("24:00" -> 96)."""
    text = entry.get(name)
    ok = isinstance(text, str) and len(text) == 5 and text[2] == ":"
    ok = ok and text[:2].isdigit() and text[3:].isdigit() and int(text[3:]) < 60
    minutes = int(text[:2]) * 60 + int(text[3:]) if ok else -1
    if minutes < 0 or minutes % INTERVAL_MINUTES or minutes > INTERVALS_PER_DAY * INTERVAL_MINUTES:
        raise _Bad(f"{where}.{name}: must be a local time HH:MM on the 15-minute grid, <= 24:00")
    return minutes // INTERVAL_MINUTES


def _whole(entry: dict, name: str, where: str, low: int, high: float) -> int:
    value = entry.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _Bad(f"{where}.{name}: must be a whole number {low}..{high:.0f}")
    return value


def _event(n: int, entry: Any, market_day: str) -> market_pb2.DrEvent:
    where = f"events[{n}]"
    if not isinstance(entry, dict):
        raise _Bad(f"{where}: must be an object")
    start = _interval(entry, "from", where)
    end = _interval(entry, "to", where)
    if not start < end:
        raise _Bad(f"{where}.to: must be after from")
    kw = entry.get("requested_kw")
    if isinstance(kw, bool) or not isinstance(kw, int | float) or not math.isfinite(kw):
        raise _Bad(f"{where}.requested_kw: must be a number")
    if not 0 < kw <= MAX_REQUESTED_KW:
        raise _Bad(f"{where}.requested_kw: must be > 0 and <= {MAX_REQUESTED_KW:.0e}")
    floor = _whole(entry, "price_floor_fen_per_mwh", where, 0, 2**53)
    cap = _whole(entry, "price_cap_fen_per_mwh", where, floor, 2**53)
    try:
        deadline = datetime.fromisoformat(entry.get("declaration_deadline"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        deadline = None
    if deadline is None or deadline.tzinfo is None:
        raise _Bad(f"{where}.declaration_deadline: must be an ISO 8601 time with its offset")
    return market_pb2.DrEvent(
        event_id=_id(entry, "event_id", where),
        program=_id(entry, "program", where),
        issuer_id=_id(entry, "issuer_id", where),
        market_day=market_day,
        start_interval=start,
        end_interval=end,
        requested_kw=float(kw),
        price_floor_fen_per_mwh=floor,
        price_cap_fen_per_mwh=cap,
        declaration_deadline=to_ts(deadline),
        notice_minutes=_whole(entry, "notice_minutes", where, 0, MAX_NOTICE_MINUTES),
    )


def _events(data: Any, market_day: str) -> list[market_pb2.DrEvent]:
    if not isinstance(data, dict) or data.get("format") != DR_EVENTS_FORMAT:
        raise _Bad(f"format: must be {DR_EVENTS_FORMAT!r}")
    if data.get("market_day") != market_day:
        raise _Bad(f"market_day: must be {market_day}, the folder's day")
    entries = data.get("events")
    if not isinstance(entries, list) or len(entries) > MAX_EVENTS:
        raise _Bad(f"events: must be a list of at most {MAX_EVENTS}")
    events = [_event(n, entry, market_day) for n, entry in enumerate(entries)]
    ids = [e.event_id for e in events]
    for n, event_id in enumerate(ids):
        if event_id in ids[:n]:
            raise _Bad(f"events[{n}].event_id: {event_id} is repeated")
    return events


def read_dr_events(path: Path, market_day: str) -> list[market_pb2.DrEvent]:
    """The invitations in `path` for `market_day` (YYYY-MM-DD, the folder's name).

    Raises FailedPrecondition naming the file and the field when it is not readable JSON
    or breaks a rule of the format.
    """
    date.fromisoformat(market_day)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise FailedPrecondition(f"{path}: not readable JSON ({exc})") from exc
    try:
        return _events(data, market_day)
    except _Bad as exc:
        raise FailedPrecondition(f"{path}: {exc}") from exc
