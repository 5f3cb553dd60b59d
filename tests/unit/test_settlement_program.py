"""Program rules come from config data, validated, and map every response rate to one band."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from settlement.exceptions import InvalidInput
from settlement.program import DEFAULT_PROGRAM, PaymentBand, ProgramRules


@pytest.mark.parametrize(
    ("rate", "pay_factor", "min_rate"),
    [
        (Fraction(0), 0, Fraction(0)),
        (Fraction(49, 100), 0, Fraction(0)),
        (Fraction(1, 2), 1, Fraction(1, 2)),  # exactly 50 % is paid
        (Fraction(79, 100), 1, Fraction(1, 2)),
        (Fraction(4, 5), 1, Fraction(4, 5)),
        (Fraction(6, 5), 1, Fraction(6, 5)),
        (Fraction(10), 1, Fraction(6, 5)),
    ],
)
def test_default_program_bands(rate, pay_factor, min_rate):
    band = DEFAULT_PROGRAM.band_for(rate)
    assert band.pay_factor == pay_factor
    assert band.min_rate == min_rate


def test_default_program_round_trips_through_json():
    data = json.loads(json.dumps(DEFAULT_PROGRAM.to_dict()))
    assert ProgramRules.from_dict(data) == DEFAULT_PROGRAM


def test_config_floats_and_decimal_strings_are_read_as_exact_decimals():
    data = DEFAULT_PROGRAM.to_dict()
    data["operator_fee_share"] = 0.1
    data["cap_ratio"] = "1.2"
    data["bands"][1]["max_rate"] = 0.8
    rules = ProgramRules.from_dict(data)
    assert rules.operator_fee_share == Fraction(1, 10)
    assert rules.cap_ratio == Fraction(6, 5)
    assert rules.bands[1].max_rate == Fraction(4, 5)


def _broken(change):
    data = DEFAULT_PROGRAM.to_dict()
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("cap_ratio"), "cap_ratio"),
        (lambda d: d.update(surprise=1), "surprise"),
        (lambda d: d.update(penalty_factor="half"), "penalty_factor"),
        (lambda d: d.update(penalty_factor=-1), "penalty_factor"),
        (lambda d: d.update(operator_fee_share="3/2"), "operator_fee_share"),
        (lambda d: d.update(settle_estimated="yes"), "settle_estimated"),
        (lambda d: d.update(name=""), "name"),
        (lambda d: d.update(bands=[]), "bands"),
        (lambda d: d["bands"][0].update(min_rate="1/10"), "bands[0].min_rate"),
        (lambda d: d["bands"][2].update(min_rate="0.9"), "bands[2].min_rate"),  # gap
        (lambda d: d["bands"][3].update(max_rate="2"), "bands[3].max_rate"),  # bounded end
        (lambda d: d["bands"][1].update(max_rate=None), "bands[1].max_rate"),
        (lambda d: d["bands"][1].pop("pay_factor"), "bands[1].pay_factor"),
        (lambda d: d["bands"][1].update(pay_factor=True), "bands[1].pay_factor"),
    ],
)
def test_bad_config_names_the_key(change, field):
    with pytest.raises(InvalidInput) as err:
        ProgramRules.from_dict(_broken(change))
    assert err.value.field == field


def test_direct_construction_rejects_floats():
    with pytest.raises(InvalidInput) as err:
        ProgramRules(
            name="x",
            bands=(PaymentBand(Fraction(0), None, Fraction(1)),),
            penalty_threshold=Fraction(1, 2),
            penalty_factor=0.5,
            operator_fee_share=Fraction(0),
            settle_estimated=True,
            cap_ratio=Fraction(1),
        )
    assert err.value.field == "penalty_factor"
