"""Energy-market settlement of the VPP's storage awards: quantity × price, to the fen."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bidding.intervals import INTERVALS_PER_DAY
from settlement.exceptions import InvalidInput
from settlement.money import energy_value_fen, largest_remainder, round_fen
from settlement.performance import interval_wh

SELL, BUY = "sell", "buy"


@dataclass(frozen=True)
class EnergyAward:
    """One ENERGY award of the VPP: `awarded_kw` for one interval at the award's price.

    A sale earns the VPP money and a purchase costs it; the price may be negative, so a
    sale at a negative price costs and a purchase at one earns. Construction raises
    InvalidInput for an interval outside 0..95, a side other than "sell"/"buy", a
    negative or non-finite quantity, or a price that is not an integer.
    """

    award_id: str
    interval: int
    side: str
    awarded_kw: float
    price_fen_per_mwh: int

    def __post_init__(self) -> None:
        if isinstance(self.interval, bool) or not isinstance(self.interval, int):
            raise InvalidInput("interval", f"must be an integer, got {self.interval!r}")
        if not 0 <= self.interval < INTERVALS_PER_DAY:
            raise InvalidInput("interval", f"must be 0..{INTERVALS_PER_DAY - 1}")
        if self.side not in (SELL, BUY):
            raise InvalidInput("side", f"must be {SELL!r} or {BUY!r}, got {self.side!r}")
        kw = self.awarded_kw
        if isinstance(kw, bool) or not isinstance(kw, int | float) or not math.isfinite(kw):
            raise InvalidInput("awarded_kw", f"must be a finite number, got {kw!r}")
        if kw < 0:
            raise InvalidInput("awarded_kw", f"must be >= 0, got {kw!r}")
        price = self.price_fen_per_mwh
        if isinstance(price, bool) or not isinstance(price, int):
            raise InvalidInput("price_fen_per_mwh", f"must be an integer, got {price!r}")

    @property
    def energy_wh(self) -> int:
        """Whole Wh of the award (nearest Wh of kW × one interval)."""
        return interval_wh(float(self.awarded_kw))

    @property
    def amount_fen(self) -> int:
        """What the award brings the VPP: + for money received, − for money paid.

        Rounding rule: each award is valued exactly (price × Wh / 1,000,000) and rounded
        once to the fen, half away from zero (settlement.money.round_fen), as an exchange
        invoices each trade; the day's amount is the sum of these whole fen.
        """
        value = energy_value_fen(self.price_fen_per_mwh, self.energy_wh)
        return round_fen(value if self.side == SELL else -value)


@dataclass(frozen=True)
class StorageShare:
    """A battery trading in the ENERGY market for the VPP, and its weight in the award.

    `weight` is the battery's energy-market capacity in whole Wh: the portfolio's
    storage offers are built from these batteries' energy parts, so an award of the
    portfolio is attributed to them in proportion to that capacity.
    """

    enterprise_id: str
    asset_id: str
    weight: int


@dataclass(frozen=True)
class EnergyLine:
    """One battery's part of one award; `amount_fen` is its share of the award's fen.

    `awarded_kw`, `energy_wh` and `price_fen_per_mwh` are the whole award's (the
    portfolio's), as the exchange invoiced it.
    """

    enterprise_id: str
    asset_id: str
    award_id: str
    interval: int
    side: str
    awarded_kw: float
    energy_wh: int
    price_fen_per_mwh: int
    amount_fen: int


@dataclass(frozen=True)
class EnergySettlement:
    """The day's ENERGY awards settled: `amount_fen` == Σ lines == Σ by_enterprise."""

    amount_fen: int
    lines: tuple[EnergyLine, ...]

    def of_enterprise(self, enterprise_id: str) -> tuple[EnergyLine, ...]:
        """The lines attributed to `enterprise_id`'s batteries (empty when none)."""
        return tuple(line for line in self.lines if line.enterprise_id == enterprise_id)

    def by_enterprise(self) -> dict[str, int]:
        """Fen per enterprise owning a battery with lines, sorted by enterprise id."""
        totals: dict[str, int] = {}
        for line in sorted(self.lines, key=lambda line: line.enterprise_id):
            totals[line.enterprise_id] = totals.get(line.enterprise_id, 0) + line.amount_fen
        return totals


def settle_energy_awards(
    awards: Sequence[EnergyAward], batteries: Sequence[StorageShare]
) -> EnergySettlement:
    """Value each award (see EnergyAward.amount_fen) and split its fen among the batteries.

    Each award's fen are split by largest remainder of the batteries' weights (a
    negative amount is split as its magnitude, every part negated), so every award's
    parts, every battery's lines and the day all add up to the fen. No operator fee is
    taken: the batteries' owners bear their charging costs and earn their sales.

    Raises InvalidInput("batteries") when there are awards but no battery with a
    positive weight, and InvalidInput for malformed awards or shares.
    """
    for i, award in enumerate(awards):
        if not isinstance(award, EnergyAward):
            raise InvalidInput(f"awards[{i}]", "must be an EnergyAward")
    shares = sorted(batteries, key=lambda b: (b.enterprise_id, b.asset_id))
    for i, share in enumerate(shares):
        if not isinstance(share, StorageShare):
            raise InvalidInput(f"batteries[{i}]", "must be a StorageShare")
        if isinstance(share.weight, bool) or not isinstance(share.weight, int) or share.weight < 0:
            raise InvalidInput(f"batteries[{i}].weight", "must be an integer >= 0")
    ordered = sorted(awards, key=lambda a: (a.interval, a.side, a.award_id))
    if ordered and not any(share.weight > 0 for share in shares):
        raise InvalidInput("batteries", "ENERGY awards need a battery with a positive weight")
    weights = [share.weight for share in shares]
    keys = [share.asset_id for share in shares]
    lines = []
    for award in ordered:
        amount = award.amount_fen
        parts = largest_remainder(amount, weights, keys=keys)
        for share, part in zip(shares, parts, strict=True):
            if share.weight == 0:
                continue
            lines.append(
                EnergyLine(
                    enterprise_id=share.enterprise_id,
                    asset_id=share.asset_id,
                    award_id=award.award_id,
                    interval=award.interval,
                    side=award.side,
                    awarded_kw=float(award.awarded_kw),
                    energy_wh=award.energy_wh,
                    price_fen_per_mwh=award.price_fen_per_mwh,
                    amount_fen=part,
                )
            )
    return EnergySettlement(sum(a.amount_fen for a in ordered), tuple(lines))


def energy_input_digest(
    base_digest: str, awards: Sequence[EnergyAward], batteries: Sequence[StorageShare]
) -> str:
    """The day's input digest extended by its ENERGY awards and battery weights.

    Without awards the base digest is returned unchanged, so a day with no ENERGY
    clearing keeps the digest (and the run version) it had before. Award and battery
    order do not matter, nor do award ids (they carry the bid plan's random id, so the
    same awards from a re-prepared plan must not make a new version): only what each
    award is worth (interval, side, kW, price).
    """
    if not awards:
        return base_digest
    payload = {
        "base": base_digest,
        "awards": sorted(
            [a.interval, a.side, repr(float(a.awarded_kw)), a.price_fen_per_mwh] for a in awards
        ),
        "batteries": sorted([b.enterprise_id, b.asset_id, b.weight] for b in batteries),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
