"""Gap filling of metered interval series: estimates are always flagged, never passed as measured.

Rules, applied to a series of consecutive intervals (days laid end to end, so a gap may
cross midnight):
- an interval with a measured value keeps it and is MEASURED;
- an interval not yet due (its period has not ended, plus a grace for late readings)
  stays MISSING: it is not a gap yet;
- a gap of at most `MAX_INTERPOLATED` consecutive due intervals with measured values on
  both sides is filled by linear interpolation between those two values: ESTIMATED;
- any other due gap takes the reference profile's value for the interval (the
  similar-day forecast of that day, made from measured history only): ESTIMATED;
- where neither applies (no neighbours, no reference) the interval stays MISSING.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from bidding.exceptions import InvalidInput

#: Longest gap (intervals) bridged by interpolation: one hour of 15-minute intervals.
MAX_INTERPOLATED = 4


class Quality(IntEnum):
    MEASURED = 1
    ESTIMATED = 2
    MISSING = 3


@dataclass(frozen=True)
class FilledSeries:
    """Values (kW, NaN where MISSING) and a Quality code per interval."""

    values: np.ndarray
    quality: np.ndarray

    def count(self, quality: Quality) -> int:
        return int(np.count_nonzero(self.quality == quality))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True in a 1-D boolean array."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def fill_gaps(
    measured: np.ndarray, due: np.ndarray, reference: np.ndarray | None = None
) -> FilledSeries:
    """Fill the due gaps of `measured` (1-D kW, NaN = no reading) by the module's rules.

    `due` marks intervals whose period is over; `reference` (same length, NaN where
    unknown) is the profile long gaps fall back to. Raises InvalidInput on shape mismatch.
    """
    values = np.asarray(measured, dtype=float)
    due = np.asarray(due, dtype=bool)
    if values.ndim != 1 or due.shape != values.shape:
        raise InvalidInput("due", "must have the shape of measured")
    if reference is not None:
        reference = np.asarray(reference, dtype=float)
        if reference.shape != values.shape:
            raise InvalidInput("reference", "must have the shape of measured")
    have = np.isfinite(values)
    out = np.where(have, values, np.nan)
    quality = np.where(have, Quality.MEASURED, Quality.MISSING).astype(np.int8)
    for start, stop in _runs(~have & due):
        bounded = start > 0 and stop < len(values) and have[start - 1] and have[stop]
        if bounded and stop - start <= MAX_INTERPOLATED:
            left, right = values[start - 1], values[stop]
            steps = np.arange(1, stop - start + 1) / (stop - start + 1)
            out[start:stop] = left + (right - left) * steps
            quality[start:stop] = Quality.ESTIMATED
        elif reference is not None:
            span = reference[start:stop]
            known = np.isfinite(span)
            out[start:stop][known] = span[known]
            quality[start:stop][known] = Quality.ESTIMATED
    return FilledSeries(out, quality)
