"""Small helpers servicers share: required fields, ids, timestamps, page tokens, actors."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

import grpc
from google.protobuf import timestamp_pb2

from bidding.intervals import parse_market_day
from certificates.ids import ID_RULE, is_id
from services.runtime.auth import current_caller
from services.runtime.errors import InvalidArgument

#: Market days the services accept: date arithmetic around them (history, ranges) cannot
#: leave Python's date range, and a day range stays short enough to list.
FIRST_MARKET_DAY = date(2000, 1, 1)
LAST_MARKET_DAY = date(2099, 12, 31)


def require_id(field: str, value: str) -> str:
    """Return `value` when it is an id by the one id rule (certificates.ids: 1-64 of
    A-Z a-z 0-9 . _ - starting with a letter or digit, the whole string).

    Raises InvalidArgument naming `field` otherwise; ids end up in Redis keys, so
    braces, colons and whitespace (a trailing newline too) are refused.
    """
    if not value:
        raise InvalidArgument(field, "is required")
    if not is_id(value):
        raise InvalidArgument(field, ID_RULE)
    return value


def require_text(field: str, value: str, max_len: int = 200) -> str:
    """Return `value` when non-empty and at most `max_len` characters."""
    if not value.strip():
        raise InvalidArgument(field, "is required")
    if len(value) > max_len:
        raise InvalidArgument(field, f"must be at most {max_len} characters")
    return value


def market_day(field: str, value: str) -> date:
    """Parse a market day; InvalidInput naming `field` when it is not YYYY-MM-DD in 2000-2099."""
    if not value:
        raise InvalidArgument(field, "is required (YYYY-MM-DD)")
    day = parse_market_day(value, field)
    if not FIRST_MARKET_DAY <= day <= LAST_MARKET_DAY:
        raise InvalidArgument(field, f"must be {FIRST_MARKET_DAY}..{LAST_MARKET_DAY}")
    return day


def now_ts() -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.GetCurrentTime()
    return ts


def to_ts(moment: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(moment.astimezone(UTC))
    return ts


def from_ts(field: str, ts: timestamp_pb2.Timestamp) -> datetime:
    """An aware UTC datetime; InvalidArgument naming `field` when unset or out of range."""
    if ts.seconds == 0 and ts.nanos == 0:
        raise InvalidArgument(field, "is required")
    try:
        return ts.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidArgument(field, "is not a valid timestamp") from exc


def encode_page_token(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode() if last_id else ""


def decode_page_token(token: str) -> str:
    """Raises InvalidArgument("page_token") when the token was not made by us."""
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument("page_token", "is not a token this service issued") from exc


def page_size(field: str, value: int, default: int = 100, maximum: int = 1000) -> int:
    if value < 0 or value > maximum:
        raise InvalidArgument(field, f"must be 0..{maximum}")
    return value or default


def actor(context: grpc.ServicerContext) -> str:
    """Who is calling, for audit history: the authenticated caller's label."""
    caller = current_caller()
    return caller.label if caller is not None else "anonymous"
