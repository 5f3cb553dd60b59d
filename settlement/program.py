"""Demand-response program rules as data: payment bands, penalty, fee, cap, capacity payment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

from bidding.baseline import BASELINE_METHODS
from settlement.exceptions import InvalidInput


def _exact(value: Any, field: str) -> Fraction:
    """An exact ratio from an int, a Fraction, a string ("1/2", "0.8") or a config float."""
    if isinstance(value, bool):
        raise InvalidInput(field, f"must be a number, got {value!r}")
    if isinstance(value, int | Fraction):
        return Fraction(value)
    if isinstance(value, float | str):
        try:
            # A float from config is read as its decimal text: 0.8 means 4/5, not 0.800000000004.
            return Fraction(str(value).strip())
        except (ValueError, ZeroDivisionError) as exc:
            raise InvalidInput(field, f"must be a ratio like 1/2 or 0.5, got {value!r}") from exc
    raise InvalidInput(field, f"must be a number or ratio string, got {value!r}")


@dataclass(frozen=True)
class PaymentBand:
    """Response rates in [min_rate, max_rate) are paid `pay_factor` × delivered energy.

    `max_rate` None means no upper bound. Rates are delivered / awarded energy.
    """

    min_rate: Fraction
    max_rate: Fraction | None
    pay_factor: Fraction

    def contains(self, rate: Fraction) -> bool:
        """True when `rate` falls in this band (lower bound inclusive, upper exclusive)."""
        return self.min_rate <= rate and (self.max_rate is None or rate < self.max_rate)


_RATIO_KEYS = ("penalty_threshold", "penalty_factor", "operator_fee_share", "cap_ratio")
_CAPACITY_KEYS = ("capacity_price_fen_per_kw", "capacity_min_rate", "capacity_full_rate")
_CAPACITY_DEFAULTS = {
    "capacity_price_fen_per_kw": Fraction(0),
    "capacity_min_rate": Fraction(1, 2),
    "capacity_full_rate": Fraction(4, 5),
}


@dataclass(frozen=True)
class ProgramRules:
    """One program's settlement rules; construction validates and raises InvalidInput.

    bands: contiguous from rate 0 to unbounded, each paying a factor of delivered energy.
    penalty_threshold: below this response rate the VPP pays a penalty on the shortfall
        to `penalty_threshold` × awarded energy, times the clearing price and `penalty_factor`.
    operator_fee_share: the operator's part of the net pool; enterprises share the rest.
    settle_estimated: whether gap-filled (estimated) meter data may earn payment.
    cap_ratio: paid energy never exceeds `cap_ratio` × awarded energy.
    baseline_method: the customer baseline delivery is measured against, a name of
        bidding.baseline.BASELINE_METHODS ("similar_day", "ten_in_ten_adjusted", "high_4_of_5").
    capacity_price_fen_per_kw: a capacity (availability) payment in fen per awarded kW
        per awarded interval, on top of the energy payment; 0 (the default) pays none.
        A program paying capacity only sets every band's pay_factor to 0.
    capacity_min_rate, capacity_full_rate: the capacity payment of an interval is judged
        by that interval's response rate r: r >= full rate pays it in full, min rate <=
        r < full rate pays the share r / full rate, r < min rate forfeits it. This is the
        shape of Chinese invitation-style capacity compensation (a response-rate floor
        below which it is forfeited, reduced pro rata between the floor and full
        performance); the defaults 1/2 and 4/5 are the band edges of the Jiangsu bands
        of DEFAULT_PROGRAM. It models the shape, not the text of one province's rule.
    """

    name: str
    bands: tuple[PaymentBand, ...]
    penalty_threshold: Fraction
    penalty_factor: Fraction
    operator_fee_share: Fraction
    settle_estimated: bool
    cap_ratio: Fraction
    baseline_method: str = "similar_day"
    capacity_price_fen_per_kw: Fraction = Fraction(0)
    capacity_min_rate: Fraction = Fraction(1, 2)
    capacity_full_rate: Fraction = Fraction(4, 5)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidInput("name", "must be a non-empty string")
        if self.baseline_method not in BASELINE_METHODS:
            known = ", ".join(sorted(BASELINE_METHODS))
            raise InvalidInput("baseline_method", f"must be one of {known}")
        if not isinstance(self.settle_estimated, bool):
            raise InvalidInput(
                "settle_estimated", f"must be true or false, got {self.settle_estimated!r}"
            )
        for key in _RATIO_KEYS + _CAPACITY_KEYS:
            value = getattr(self, key)
            if isinstance(value, float):
                raise InvalidInput(key, f"must be exact (int, Fraction or string), got {value!r}")
            object.__setattr__(self, key, _exact(value, key))
        if not 0 <= self.penalty_threshold <= 1:
            raise InvalidInput("penalty_threshold", "must be between 0 and 1")
        if self.penalty_factor < 0:
            raise InvalidInput("penalty_factor", "must not be negative")
        if not 0 <= self.operator_fee_share <= 1:
            raise InvalidInput("operator_fee_share", "must be between 0 and 1")
        if self.cap_ratio <= 0:
            raise InvalidInput("cap_ratio", "must be positive")
        if self.capacity_price_fen_per_kw < 0:
            raise InvalidInput("capacity_price_fen_per_kw", "must not be negative")
        if not 0 < self.capacity_full_rate <= self.cap_ratio:
            raise InvalidInput("capacity_full_rate", "must be above 0 and at most cap_ratio")
        if not 0 <= self.capacity_min_rate <= self.capacity_full_rate:
            raise InvalidInput("capacity_min_rate", "must be between 0 and capacity_full_rate")
        object.__setattr__(self, "bands", _checked_bands(self.bands))

    def capacity_factor(self, rate: Fraction) -> Fraction:
        """The share of the capacity payment an interval with response `rate` earns (0..1)."""
        if rate >= self.capacity_full_rate:
            return Fraction(1)
        if rate < self.capacity_min_rate:
            return Fraction(0)
        return rate / self.capacity_full_rate

    def band_for(self, rate: Fraction) -> PaymentBand:
        """The band containing `rate`; bands cover every rate >= 0, so it always exists."""
        if rate < 0:
            raise InvalidInput("rate", f"must not be negative, got {rate}")
        return next(band for band in self.bands if band.contains(rate))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProgramRules:
        """Rules from config data (e.g. parsed JSON/YAML); ratios may be "1/2", "0.5" or 0.5.

        Raises InvalidInput naming the offending key for unknown, missing or bad values.
        """
        if not isinstance(data, Mapping):
            raise InvalidInput("program", "must be a mapping")
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise InvalidInput(str(key), "unknown key")
        for key in known - {"baseline_method", *_CAPACITY_KEYS}:
            if key not in data:
                raise InvalidInput(key, "required")
        raw_bands = data["bands"]
        if not isinstance(raw_bands, list | tuple):
            raise InvalidInput("bands", "must be a list of bands")
        bands = []
        for i, raw in enumerate(raw_bands):
            where = f"bands[{i}]"
            if not isinstance(raw, Mapping):
                raise InvalidInput(where, "must be a mapping")
            extra = set(raw) - {"min_rate", "max_rate", "pay_factor"}
            if extra:
                raise InvalidInput(f"{where}.{sorted(extra)[0]}", "unknown key")
            for key in ("min_rate", "max_rate", "pay_factor"):
                if key not in raw:
                    raise InvalidInput(f"{where}.{key}", "required (max_rate may be null)")
            max_rate = raw["max_rate"]
            bands.append(
                PaymentBand(
                    min_rate=_exact(raw["min_rate"], f"{where}.min_rate"),
                    max_rate=None if max_rate is None else _exact(max_rate, f"{where}.max_rate"),
                    pay_factor=_exact(raw["pay_factor"], f"{where}.pay_factor"),
                )
            )
        return cls(
            name=data["name"],
            bands=tuple(bands),
            settle_estimated=data["settle_estimated"],
            baseline_method=data.get("baseline_method", "similar_day"),
            **{key: _exact(data[key], key) for key in _RATIO_KEYS},
            **{key: _exact(data[key], key) for key in _CAPACITY_KEYS if key in data},
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data (ratios as exact strings like "1/2") that `from_dict` reads back equal.

        The capacity keys appear only when one differs from its default, so the rules of
        a program without capacity payment (and the digests of its runs) read as before.
        """
        data: dict[str, Any] = {
            "name": self.name,
            "bands": [
                {
                    "min_rate": str(b.min_rate),
                    "max_rate": None if b.max_rate is None else str(b.max_rate),
                    "pay_factor": str(b.pay_factor),
                }
                for b in self.bands
            ],
            "penalty_threshold": str(self.penalty_threshold),
            "penalty_factor": str(self.penalty_factor),
            "operator_fee_share": str(self.operator_fee_share),
            "settle_estimated": self.settle_estimated,
            "cap_ratio": str(self.cap_ratio),
            "baseline_method": self.baseline_method,
        }
        capacity = {key: getattr(self, key) for key in _CAPACITY_KEYS}
        if capacity != _CAPACITY_DEFAULTS:
            data.update({key: str(value) for key, value in capacity.items()})
        return data


def _checked_bands(bands: Any) -> tuple[PaymentBand, ...]:
    """Bands must run from 0 upwards without gaps or overlaps and end unbounded."""
    if not isinstance(bands, tuple | list) or not bands:
        raise InvalidInput("bands", "must be a non-empty sequence of PaymentBand")
    checked = []
    expected_min = Fraction(0)
    for i, band in enumerate(bands):
        where = f"bands[{i}]"
        if not isinstance(band, PaymentBand):
            raise InvalidInput(where, "must be a PaymentBand")
        min_rate = _exact(band.min_rate, f"{where}.min_rate")
        max_rate = None if band.max_rate is None else _exact(band.max_rate, f"{where}.max_rate")
        pay_factor = _exact(band.pay_factor, f"{where}.pay_factor")
        if min_rate != expected_min:
            raise InvalidInput(
                f"{where}.min_rate", f"must be {expected_min} (bands are contiguous from 0)"
            )
        if max_rate is None and i != len(bands) - 1:
            raise InvalidInput(f"{where}.max_rate", "only the last band may be unbounded")
        if max_rate is not None and max_rate <= min_rate:
            raise InvalidInput(f"{where}.max_rate", "must be greater than min_rate")
        if pay_factor < 0:
            raise InvalidInput(f"{where}.pay_factor", "must not be negative")
        checked.append(PaymentBand(min_rate, max_rate, pay_factor))
        expected_min = max_rate
    if checked[-1].max_rate is not None:
        raise InvalidInput(
            f"bands[{len(checked) - 1}].max_rate", "the last band must be unbounded (null)"
        )
    return tuple(checked)


DEFAULT_PROGRAM = ProgramRules(
    # Jiangsu-style demand response: < 50 % unpaid and penalised, 50-120 % paid for delivered
    # energy, above 120 % paid only up to 120 % of the award.
    name="jiangsu-demand-response",
    bands=(
        PaymentBand(Fraction(0), Fraction(1, 2), Fraction(0)),
        PaymentBand(Fraction(1, 2), Fraction(4, 5), Fraction(1)),
        PaymentBand(Fraction(4, 5), Fraction(6, 5), Fraction(1)),
        PaymentBand(Fraction(6, 5), None, Fraction(1)),
    ),
    penalty_threshold=Fraction(1, 2),
    penalty_factor=Fraction(1, 2),
    operator_fee_share=Fraction(1, 10),
    settle_estimated=False,
    cap_ratio=Fraction(6, 5),
)
