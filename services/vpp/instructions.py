"""From a plan revision to dispatch instructions: what changed, per enterprise, superseding."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date

import numpy as np
from google.protobuf import json_format, timestamp_pb2

from bidding.intervals import INTERVALS_PER_DAY, interval_start
from certificates.ids import ID_MAX_LEN
from parkvpp.v1 import vpp_pb2 as pb
from services.runtime.rpc import to_ts
from services.vpp.plans import InForce

#: Setpoints below this are not sent (meter noise is larger).
MIN_SETPOINT_KW = 0.01
#: Instructions carry kW to the watt.
DECIMALS = 3


def instruction_id(day: str, asset_id: str, interval: int, revision: int) -> str:
    """Revision 1 keeps the original form; later revisions add -r<n>.

    Instruction ids follow the one id rule (certificates.ids) like every id a client sends
    back: when the readable form would be longer than ID_MAX_LEN, the asset id in it is
    replaced by the first 16 hex digits of its SHA-256.
    """
    suffix = f"-{interval:02d}" + ("" if revision == 1 else f"-r{revision}")
    readable = f"{day}-{asset_id}{suffix}"
    if len(readable) <= ID_MAX_LEN:
        return readable
    return f"{day}-{hashlib.sha256(asset_id.encode()).hexdigest()[:16]}{suffix}"


def changed_instructions(
    day: date,
    setpoints_kw: dict[str, np.ndarray],
    owners: dict[str, str],
    in_force: InForce,
    revision: int,
    from_interval: int,
    award_id: str,
    deadline: timestamp_pb2.Timestamp,
) -> tuple[dict[str, list[pb.DispatchInstruction]], InForce]:
    """New instructions per enterprise from `from_interval` on, and what is in force after.

    An asset-interval gets an instruction when its rounded setpoint differs from the one
    in force (a setpoint that drops to zero is sent as 0 kW, superseding the old one);
    setpoints below MIN_SETPOINT_KW with nothing in force are not sent. Assets in force
    but absent from `setpoints_kw` (withdrawn) get 0 kW.
    """
    after: InForce = {a: dict(per) for a, per in in_force.items()}
    by_enterprise: dict[str, list[pb.DispatchInstruction]] = defaultdict(list)
    for asset_id in sorted(set(setpoints_kw) | set(in_force)):
        values = setpoints_kw.get(asset_id, np.zeros(INTERVALS_PER_DAY))
        for interval in range(from_interval, INTERVALS_PER_DAY):
            kw = round(float(values[interval]), DECIMALS)
            old = in_force.get(asset_id, {}).get(interval)
            if old is None and abs(kw) < MIN_SETPOINT_KW:
                continue
            if old is not None and abs(old[1] - kw) < 10**-DECIMALS / 2:
                continue
            if abs(kw) < MIN_SETPOINT_KW:
                kw = 0.0
            new_id = instruction_id(day.isoformat(), asset_id, interval, revision)
            enterprise_id = owners[asset_id]
            by_enterprise[enterprise_id].append(
                pb.DispatchInstruction(
                    instruction_id=new_id,
                    enterprise_id=enterprise_id,
                    asset_id=asset_id,
                    market_day=day.isoformat(),
                    interval=interval,
                    interval_start=to_ts(interval_start(day, interval)),
                    reduction_kw=kw,
                    deadline=deadline,
                    status=pb.DISPATCH_STATUS_SENT,
                    award_id=award_id,
                    revision=revision,
                    supersedes=old[0] if old else "",
                )
            )
            after.setdefault(asset_id, {})[interval] = (new_id, kw)
    return dict(by_enterprise), after


def to_plain(items: list[pb.DispatchInstruction]) -> list[dict]:
    return [json_format.MessageToDict(i, preserving_proto_field_name=True) for i in items]


def from_plain(items: list[dict]) -> list[pb.DispatchInstruction]:
    return [json_format.ParseDict(i, pb.DispatchInstruction()) for i in items]
