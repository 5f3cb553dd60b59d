"""Green-power contracts: a volume curve over months, a price, and the monthly delivery rule.

A contract is proposed by the seller and binds only once its buyer accepted it
(certificates.contract_ops). Each month of its period is delivered once, in order, after the
month has ended: the seller's certificates produced in that month (local month, Asia/Shanghai;
its own active, unexpired lots, optionally only from the named generators) move to the buyer
against the month's contracted volume, and the buyer owes the contract price for them.

Delivery rule of a month (all energy in integer Wh, all money in integer fen):

1. Contracted: the curve's volume of the month. A monthly curve has one slot (the month);
   an hourly curve one slot per hour, and each hour is served only by certificates of that
   hour (hourly matching: a windy night does not fill a calm afternoon).
2. Base delivery: per slot, min(slot volume, the seller's certificates of the slot), taken
   oldest hour first, then lot by lot in issue order.
3. Carried shortfall (rule CARRY only): the shortfall carried in from the previous month is
   filled next from whatever certificates of the month are left (any hour).
4. Shortfall = contracted + carried in - base - carry filled. COMPENSATE: the seller pays
   the buyer shortfall x shortfall rate (fen/MWh, rounded half up) for it now. CARRY: it is
   carried into the next month; what is still short after the last month is compensated
   at the shortfall rate (0 = no compensation, the buyer simply pays for less).
5. Surplus: certificates of the month beyond the contracted volume stay with the seller
   (REFUSE), unless the contract says TAKE: then the buyer takes up to cap_permille/1000
   of the month's contracted volume more, at the contract price.
6. Money: the buyer pays round_half_up(delivered Wh x price / 1,000,000) fen for the
   month; the month's amount is split over the delivered lots by largest remainder
   (settlement.money), so the lines add up to the fen.

Planning is pure (`plan_delivery`); the ledger applies a plan in one Lua step and its
audit replay plans again from the replayed lots, so a tampered delivery is detected.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from bidding.intervals import MARKET_TZ
from certificates.exceptions import InvalidInput
from certificates.lots import WH_PER_GEC, check_energy, check_id
from settlement.money import largest_remainder

#: Longest contract: three years of months (certificates themselves live 24 months).
MAX_CONTRACT_MONTHS = 36
#: 1 TWh per month: energy x price stays exact in int64 and in Lua's doubles.
MAX_MONTH_WH = 10**12
MAX_GENERATORS = 50
_HOUR_S = 3600


class CurveKind(StrEnum):
    MONTHLY = "monthly"
    HOURLY = "hourly"


class ShortfallRule(StrEnum):
    COMPENSATE = "compensate"
    CARRY = "carry"


class SurplusRule(StrEnum):
    REFUSE = "refuse"
    TAKE = "take"


class ContractState(StrEnum):
    PROPOSED = "PROPOSED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    #: Not accepted by its expiry; computed at read time, nothing is written.
    EXPIRED = "EXPIRED"


def month_index(month: str, field: str) -> int:
    """year x 12 + month - 1 of "YYYY-MM" (ASCII digits, years 2000..2199); raises
    InvalidInput naming `field` otherwise."""
    ok = isinstance(month, str) and month.isascii() and len(month) == 7 and month[4] == "-"
    ok = ok and month[:4].isdigit() and month[5:].isdigit()
    if not ok or not (2000 <= int(month[:4]) <= 2199 and 1 <= int(month[5:]) <= 12):
        raise InvalidInput(field, f"must be a month YYYY-MM in 2000..2199, got {month!r}")
    return int(month[:4]) * 12 + int(month[5:]) - 1


def month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_bounds_s(month: str) -> tuple[int, int]:
    """[start, end) of a local month (Asia/Shanghai) in epoch seconds."""
    index = month_index(month, "month")
    start = datetime(index // 12, index % 12 + 1, 1, tzinfo=MARKET_TZ)
    after = index + 1
    end = datetime(after // 12, after % 12 + 1, 1, tzinfo=MARKET_TZ)
    return int(start.timestamp()), int(end.timestamp())


def months_of(start_month: str, end_month: str) -> list[str]:
    first = month_index(start_month, "start_month")
    last = month_index(end_month, "end_month")
    return [month_name(i) for i in range(first, last + 1)]


def round_fen(energy_wh: int, price_fen_per_mwh: int) -> int:
    """energy_wh x price / 1,000,000, rounded half up to the fen (as green-power trades)."""
    return (energy_wh * price_fen_per_mwh + WH_PER_GEC // 2) // WH_PER_GEC


@dataclass(frozen=True)
class ContractTerms:
    """What both parties sign. `curve_wh` has one value per month (MONTHLY) or one per hour
    of the period in local time from the first month's 00:00 (HOURLY)."""

    contract_id: str
    seller_enterprise_id: str
    buyer_enterprise_id: str
    start_month: str
    end_month: str
    curve_kind: CurveKind
    curve_wh: tuple[int, ...]
    price_fen_per_mwh: int
    shortfall_rule: ShortfallRule
    shortfall_rate_fen_per_mwh: int = 0
    surplus_rule: SurplusRule = SurplusRule.REFUSE
    surplus_cap_permille: int = 0
    generator_asset_ids: tuple[str, ...] = ()

    @property
    def months(self) -> list[str]:
        return months_of(self.start_month, self.end_month)

    def month_slots(self, month: str) -> list[tuple[int, int, int]]:
        """(start_s, end_s, contracted Wh) per slot of `month`: the month, or each hour."""
        start_s, end_s = month_bounds_s(month)
        if self.curve_kind == CurveKind.MONTHLY:
            return [(start_s, end_s, self.curve_wh[self.months.index(month)])]
        offset = (start_s - month_bounds_s(self.start_month)[0]) // _HOUR_S
        hours = (end_s - start_s) // _HOUR_S
        return [
            (start_s + h * _HOUR_S, start_s + (h + 1) * _HOUR_S, self.curve_wh[offset + h])
            for h in range(hours)
        ]

    def contracted_wh(self, month: str) -> int:
        return sum(wh for _, _, wh in self.month_slots(month))

    def to_fields(self) -> dict[str, str]:
        """The contract's terms as the ledger stores them (strings only)."""
        return {
            "contract_id": self.contract_id,
            "seller_enterprise_id": self.seller_enterprise_id,
            "buyer_enterprise_id": self.buyer_enterprise_id,
            "start_month": self.start_month,
            "end_month": self.end_month,
            "curve_kind": str(self.curve_kind),
            "curve_wh": json.dumps(list(self.curve_wh), separators=(",", ":")),
            "price_fen_per_mwh": str(self.price_fen_per_mwh),
            "shortfall_rule": str(self.shortfall_rule),
            "shortfall_rate_fen_per_mwh": str(self.shortfall_rate_fen_per_mwh),
            "surplus_rule": str(self.surplus_rule),
            "surplus_cap_permille": str(self.surplus_cap_permille),
            "generator_asset_ids": ",".join(self.generator_asset_ids),
        }

    @classmethod
    def from_fields(cls, f: Mapping[str, str]) -> ContractTerms:
        generators = f["generator_asset_ids"]
        return cls(
            contract_id=f["contract_id"],
            seller_enterprise_id=f["seller_enterprise_id"],
            buyer_enterprise_id=f["buyer_enterprise_id"],
            start_month=f["start_month"],
            end_month=f["end_month"],
            curve_kind=CurveKind(f["curve_kind"]),
            curve_wh=tuple(json.loads(f["curve_wh"])),
            price_fen_per_mwh=int(f["price_fen_per_mwh"]),
            shortfall_rule=ShortfallRule(f["shortfall_rule"]),
            shortfall_rate_fen_per_mwh=int(f["shortfall_rate_fen_per_mwh"]),
            surplus_rule=SurplusRule(f["surplus_rule"]),
            surplus_cap_permille=int(f["surplus_cap_permille"]),
            generator_asset_ids=tuple(generators.split(",")) if generators else (),
        )


def check_terms(terms: ContractTerms) -> ContractTerms:
    """`terms` when every field keeps its rule; raises InvalidInput naming the first field
    that does not (ids, seller != buyer, period of 1..36 months, one curve value per month
    or hour, each >= 0 and every month <= 1 TWh with some energy in all, a price > 0, a
    shortfall rate > 0 when shortfalls are compensated, a surplus cap of 1..1000 permille
    exactly when surplus is taken, distinct generator ids)."""
    for name in ("contract_id", "seller_enterprise_id", "buyer_enterprise_id"):
        check_id(getattr(terms, name), name)
    if terms.seller_enterprise_id == terms.buyer_enterprise_id:
        raise InvalidInput("buyer_enterprise_id", "must differ from seller_enterprise_id")
    first = month_index(terms.start_month, "start_month")
    last = month_index(terms.end_month, "end_month")
    if not 0 <= last - first < MAX_CONTRACT_MONTHS:
        raise InvalidInput("end_month", f"must be 0..{MAX_CONTRACT_MONTHS - 1} months after start")
    _check_curve(terms)
    if check_energy(terms.price_fen_per_mwh, "price_fen_per_mwh") == 0:
        raise InvalidInput("price_fen_per_mwh", "must be > 0")
    _check_rules(terms)
    if len(terms.generator_asset_ids) > MAX_GENERATORS:
        raise InvalidInput("generator_asset_ids", f"at most {MAX_GENERATORS}")
    for i, generator in enumerate(terms.generator_asset_ids):
        check_id(generator, f"generator_asset_ids[{i}]")
    if len(set(terms.generator_asset_ids)) != len(terms.generator_asset_ids):
        raise InvalidInput("generator_asset_ids", "must be distinct")
    return terms


def _check_curve(terms: ContractTerms) -> None:
    if terms.curve_kind not in set(CurveKind):
        raise InvalidInput("curve_kind", "must be monthly or hourly")
    name = "monthly_wh" if terms.curve_kind == CurveKind.MONTHLY else "hourly_wh"
    months = terms.months
    if terms.curve_kind == CurveKind.MONTHLY:
        want = len(months)
    else:
        want = (month_bounds_s(months[-1])[1] - month_bounds_s(months[0])[0]) // _HOUR_S
    if len(terms.curve_wh) != want:
        raise InvalidInput(
            name, f"must have {want} values (one per {name[:-3]}), got {len(terms.curve_wh)}"
        )
    for i, wh in enumerate(terms.curve_wh):
        check_energy(wh, f"{name}[{i}]")
    for month in months:
        if terms.contracted_wh(month) > MAX_MONTH_WH:
            raise InvalidInput(name, f"{month} exceeds {MAX_MONTH_WH} Wh")
    if not any(terms.curve_wh):
        raise InvalidInput(name, "must contract some energy")


def _check_rules(terms: ContractTerms) -> None:
    if terms.shortfall_rule not in set(ShortfallRule):
        raise InvalidInput("shortfall_rule", "must be compensate or carry")
    rate = check_energy(terms.shortfall_rate_fen_per_mwh, "shortfall_rate_fen_per_mwh")
    if terms.shortfall_rule == ShortfallRule.COMPENSATE and rate == 0:
        raise InvalidInput("shortfall_rate_fen_per_mwh", "must be > 0 when compensated")
    if terms.surplus_rule not in set(SurplusRule):
        raise InvalidInput("surplus_rule", "must be refuse or take")
    cap = terms.surplus_cap_permille
    if terms.surplus_rule == SurplusRule.TAKE and not (isinstance(cap, int) and 1 <= cap <= 1000):
        raise InvalidInput("surplus_cap_permille", "must be 1..1000 when surplus is taken")
    if terms.surplus_rule == SurplusRule.REFUSE and cap != 0:
        raise InvalidInput("surplus_cap_permille", "must be 0 when surplus is refused")


@dataclass(frozen=True)
class AvailableLot:
    """A seller's lot a delivery may take from."""

    lot_id: str
    seq: int
    hour_s: int
    energy_wh: int


def eligible_lots(
    terms: ContractTerms, month: str, lots: Iterable[Mapping[str, str]], at_s: int
) -> list[AvailableLot]:
    """The seller's active lots produced in `month` and still valid at `at_s` (from the
    named generators when the contract names any), oldest hour first, then issue order."""
    start_s, end_s = month_bounds_s(month)
    generators = set(terms.generator_asset_ids)
    found = [
        AvailableLot(
            lot["lot_id"], int(lot["seq"]), int(lot["production_hour_start"]), int(lot["energy_wh"])
        )
        for lot in lots
        if lot["owner_enterprise_id"] == terms.seller_enterprise_id
        and lot["status"] == "ACTIVE"
        and start_s <= int(lot["production_hour_start"]) < end_s
        and int(lot["expires_at"]) > at_s
        and (not generators or lot["generator_asset_id"] in generators)
    ]
    return sorted(found, key=lambda lot: (lot.hour_s, lot.seq))


@dataclass(frozen=True)
class DeliveryLine:
    """Wh of one seller's lot delivered, and its part of the month's amount."""

    source_lot_id: str
    hour_s: int
    energy_wh: int
    amount_fen: int


#: A delivered month's figures, in the order they are listed.
FIGURES = (
    "contracted_wh",
    "carried_in_wh",
    "available_wh",
    "delivered_wh",
    "surplus_wh",
    "shortfall_wh",
    "carried_out_wh",
    "compensated_wh",
    "amount_fen",
    "compensation_fen",
)


@dataclass(frozen=True)
class DeliveryPlan:
    """What delivering one month does, before the ledger applies it."""

    contract_id: str
    month: str
    contracted_wh: int
    carried_in_wh: int
    available_wh: int
    delivered_wh: int
    surplus_wh: int
    shortfall_wh: int
    carried_out_wh: int
    compensated_wh: int
    amount_fen: int
    compensation_fen: int
    lines: tuple[DeliveryLine, ...] = field(default=())

    def numbers(self) -> dict[str, str]:
        """The plan's figures as the ledger records them (strings)."""
        return {name: str(getattr(self, name)) for name in FIGURES}


def _take(
    left: dict[str, int], lots: Sequence[AvailableLot], want: int, got: dict[str, int]
) -> int:
    """Take up to `want` Wh from `lots` in order; the Wh taken."""
    taken = 0
    for lot in lots:
        if taken == want:
            break
        part = min(left[lot.lot_id], want - taken)
        left[lot.lot_id] -= part
        got[lot.lot_id] = got.get(lot.lot_id, 0) + part
        taken += part
    return taken


def plan_delivery(
    terms: ContractTerms, month: str, carried_in_wh: int, lots: Sequence[AvailableLot]
) -> DeliveryPlan:
    """The delivery of `month` under the rule in the module docstring, from the seller's
    eligible lots (see `eligible_lots`). Raises InvalidInput("month") for a month outside
    the contract's period."""
    if month not in terms.months:
        raise InvalidInput("month", f"must be {terms.start_month}..{terms.end_month}")
    left = {lot.lot_id: lot.energy_wh for lot in lots}
    got: dict[str, int] = {}
    by_hour: dict[int, list[AvailableLot]] = {}
    for lot in lots:
        by_hour.setdefault(lot.hour_s, []).append(lot)
    slots = terms.month_slots(month)
    base = sum(
        _take(left, lots if end - start > _HOUR_S else by_hour.get(start, []), wh, got)
        for start, end, wh in slots
    )
    contracted = sum(wh for _, _, wh in slots)
    filled = _take(left, lots, carried_in_wh, got)
    shortfall = contracted + carried_in_wh - base - filled
    surplus = 0
    if terms.surplus_rule == SurplusRule.TAKE:
        surplus = _take(left, lots, contracted * terms.surplus_cap_permille // 1000, got)
    last = month == terms.end_month
    carried_out = shortfall if terms.shortfall_rule == ShortfallRule.CARRY and not last else 0
    compensated = shortfall - carried_out
    delivered = base + filled + surplus
    amount = round_fen(delivered, terms.price_fen_per_mwh)
    taken = [lot for lot in lots if got.get(lot.lot_id)]
    parts = largest_remainder(
        amount, [got[lot.lot_id] for lot in taken], keys=[lot.lot_id for lot in taken]
    )
    lines = tuple(
        DeliveryLine(lot.lot_id, lot.hour_s, got[lot.lot_id], part)
        for lot, part in zip(taken, parts, strict=True)
    )
    return DeliveryPlan(
        contract_id=terms.contract_id,
        month=month,
        contracted_wh=contracted,
        carried_in_wh=carried_in_wh,
        available_wh=sum(lot.energy_wh for lot in lots),
        delivered_wh=delivered,
        surplus_wh=surplus,
        shortfall_wh=shortfall,
        carried_out_wh=carried_out,
        compensated_wh=compensated,
        amount_fen=amount,
        compensation_fen=round_fen(compensated, terms.shortfall_rate_fen_per_mwh),
        lines=lines,
    )


def month_end(month: str) -> datetime:
    """The instant a local month ends (UTC)."""
    return datetime.fromtimestamp(month_bounds_s(month)[1], UTC)
