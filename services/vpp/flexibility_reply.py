"""GetFlexibility's reply built from the portfolio's columns: per-asset rows as wire bytes.

A reply with per-asset envelopes holds 96 IntervalFlexibility messages per asset, close
to a million for a park of 10,000 assets; built one message at a time that is about a
second of Python. Here numpy writes the intervals of all assets as protobuf wire records
at once (each field with its tag; a value column all zero for an asset left out), and the
reply parses them in one `MergeFromString`: the same message, built in a tenth of the
time. Tags come from the generated descriptors, and importing this module fails if a
field's type or number no longer fits.
"""

from __future__ import annotations

import numpy as np
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from bidding.flexibility import AggregateEnvelope
from bidding.intervals import INTERVALS_PER_DAY
from parkvpp.v1 import vpp_pb2 as pb
from services.vpp.portfolio import PortfolioFlexibility

_VARINT, _FIXED64, _LENGTH_DELIMITED = 0, 1, 2
_WIRE_TYPE = {
    FieldDescriptor.TYPE_INT32: _VARINT,
    FieldDescriptor.TYPE_DOUBLE: _FIXED64,
    FieldDescriptor.TYPE_STRING: _LENGTH_DELIMITED,
    FieldDescriptor.TYPE_MESSAGE: _LENGTH_DELIMITED,
}
#: IntervalFlexibility's value fields in the order the columns are written.
_VALUES = ("up_kw", "down_kw", "baseline_kw", "stored_energy_min_kwh", "stored_energy_max_kwh")


def _tag(message: Descriptor, field: str, expected: int) -> int:
    """The one-byte key of `field`; fails on import when the field changed type or number,
    or gained presence (a zero left out would then read as unset, not as 0)."""
    descriptor = message.fields_by_name[field]
    wire_type = _WIRE_TYPE.get(descriptor.type)
    if wire_type != expected or descriptor.number > 15 or descriptor.has_presence:
        raise TypeError(f"{message.name}.{field} no longer fits flexibility_reply's layout")
    return descriptor.number << 3 | wire_type


_INTERVAL_FIELDS = pb.IntervalFlexibility.DESCRIPTOR
_ASSET_FIELDS = pb.AssetFlexibility.DESCRIPTOR
_ASSETS_TAG = bytes([_tag(pb.FlexibilityEnvelope.DESCRIPTOR, "assets", _LENGTH_DELIMITED)])
_ASSET_ID_TAG = bytes([_tag(_ASSET_FIELDS, "asset_id", _LENGTH_DELIMITED)])
_ENTERPRISE_ID_TAG = bytes([_tag(_ASSET_FIELDS, "enterprise_id", _LENGTH_DELIMITED)])
_DAILY_TAG = bytes([_tag(_ASSET_FIELDS, "max_daily_up_kwh", _FIXED64)])
_INTERVALS_TAG = _tag(_ASSET_FIELDS, "intervals", _LENGTH_DELIMITED)
_INTERVAL_TAG = _tag(_INTERVAL_FIELDS, "interval", _VARINT)
_VALUE_TAGS = {name: _tag(_INTERVAL_FIELDS, name, _FIXED64) for name in _VALUES}


def _record(values: tuple[str, ...]) -> np.dtype:
    """One interval as written in AssetFlexibility.intervals: key and length of the message,
    then the interval number (a one-byte varint: intervals are < 128) and `values`."""
    return np.dtype(
        [("key", "u1"), ("length", "u1"), ("interval_key", "u1"), ("interval", "u1")]
        + [field for name in values for field in ((f"{name}_key", "u1"), (name, "<f8"))]
    )


if INTERVALS_PER_DAY >= 128 or _record(_VALUES).itemsize - 2 >= 128:
    raise TypeError("an interval or its record no longer fits a one-byte varint")


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _string(key: bytes, text: str) -> bytes:
    data = text.encode()
    return key + _varint(len(data)) + data


def interval_rows(up_kw, down_kw) -> list[pb.IntervalFlexibility]:
    """The aggregate's 96 intervals (up and down kW; no baseline or energy bounds)."""
    return [
        pb.IntervalFlexibility(interval=i, up_kw=u, down_kw=d)
        for i, (u, d) in enumerate(zip(up_kw.tolist(), down_kw.tolist(), strict=True))
    ]


def flexibility_reply(
    market_day: str, total: AggregateEnvelope, flex: PortfolioFlexibility | None
) -> pb.FlexibilityEnvelope:
    """The reply: `total` as the aggregate, and each asset's row of `flex` unless None."""
    reply = pb.FlexibilityEnvelope(
        market_day=market_day, aggregate=interval_rows(total.up_kw, total.down_kw)
    )
    if flex is not None and flex.assets:
        reply.MergeFromString(asset_rows(flex))
    return reply


def asset_rows(flex: PortfolioFlexibility) -> bytes:
    """FlexibilityEnvelope.assets of `flex` as wire bytes: per asset its ids, its 96
    intervals (up, down, baseline, stored-energy bounds) and its daily energy limit.

    A value column that is zero for all of an asset's intervals (a load's energy bounds,
    a battery's baseline) is left out: a field not written reads as zero.
    """
    intervals = _interval_records(flex)
    daily = flex.max_daily_up_kwh.astype("<f8").tobytes()
    parts: list[bytes | memoryview] = []
    for n, asset in enumerate(flex.assets):
        ids = _string(_ASSET_ID_TAG, asset.asset_id) + _string(
            _ENTERPRISE_ID_TAG, asset.enterprise_id
        )
        parts += [
            _ASSETS_TAG + _varint(len(ids) + len(intervals[n]) + 9) + ids,
            intervals[n],
            _DAILY_TAG + daily[8 * n : 8 * n + 8],
        ]
    return b"".join(parts)


def _interval_records(flex: PortfolioFlexibility) -> list[memoryview]:
    """Each asset's 96 interval records, written with numpy for all assets that leave out
    the same value columns at once."""
    columns = [getattr(flex, name) for name in _VALUES]
    # By bits, not by value: a column of -0.0 is written (it is not the field's default).
    written = np.stack([c.view(np.int64).any(axis=1) for c in columns], axis=1)
    layouts = written.astype(np.int64) @ (1 << np.arange(len(_VALUES)))
    out: list[memoryview] = [memoryview(b"")] * len(flex.assets)
    for layout in np.unique(layouts).tolist():
        rows = np.flatnonzero(layouts == layout)
        values = tuple(name for k, name in enumerate(_VALUES) if layout >> k & 1)
        record = _record(values)
        records = np.zeros((len(rows), INTERVALS_PER_DAY), record)
        records["key"] = _INTERVALS_TAG
        records["length"] = record.itemsize - 2
        records["interval_key"] = _INTERVAL_TAG
        records["interval"] = np.arange(INTERVALS_PER_DAY)
        for name in values:
            records[f"{name}_key"] = _VALUE_TAGS[name]
            records[name] = getattr(flex, name)[rows]
        data = memoryview(records.tobytes())
        size = INTERVALS_PER_DAY * record.itemsize
        for k, n in enumerate(rows.tolist()):
            out[n] = data[k * size : (k + 1) * size]
    return out
