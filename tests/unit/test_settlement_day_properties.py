"""Whatever the meter data, a settled day never loses or invents a fen."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.performance import MeteredInterval
from settlement.program import DEFAULT_PROGRAM, ProgramRules
from settlement.rules import IntervalAward, settle_day

kw = st.floats(min_value=0, max_value=2_000, allow_nan=False, allow_infinity=False)


@st.composite
def days(draw):
    intervals = draw(st.lists(st.integers(0, 95), min_size=1, max_size=4, unique=True))
    enterprises = draw(st.integers(1, 4))
    rows = [
        MeteredInterval(
            f"e{e}",
            f"e{e}-a{a}",
            interval,
            draw(kw),
            draw(kw),
            draw(st.sampled_from([0.0, 50.0, 333.3])),
            estimated=draw(st.booleans()),
        )
        for e in range(enterprises)
        for a in range(draw(st.integers(1, 2)))
        for interval in intervals
    ]
    awards = {i: IntervalAward(i, draw(kw), draw(st.integers(0, 2_000_000))) for i in intervals}
    program = ProgramRules.from_dict(
        {
            **DEFAULT_PROGRAM.to_dict(),
            "operator_fee_share": draw(st.fractions(min_value=0, max_value=1, max_denominator=7)),
            "settle_estimated": draw(st.booleans()),
        }
    )
    return rows, awards, program


@settings(max_examples=60, deadline=None)
@given(days())
def test_operator_and_enterprises_share_exactly_the_net_pool(day_input):
    rows, awards, program = day_input
    day = settle_day(date(2025, 7, 15), rows, awards, program)
    amounts = [e.amount_fen for e in day.enterprises]
    assert day.operator_fee_fen + sum(amounts) == day.gross_payment_fen - day.penalty_fen
    assert day.gross_payment_fen >= 0 and day.penalty_fen >= 0
    for result in day.enterprises:
        own = day.lines[day.lines["enterprise_id"] == result.enterprise_id]
        assert int(own["amount_fen"].sum()) == result.amount_fen
        assert int(own["delivered_wh"].sum()) == result.delivered_wh
    # The operator takes its fee share of the net pool, to within a fen, unless nobody
    # could carry the enterprises' part.
    expected_fee = program.operator_fee_share * day.net_pool_fen
    assert abs(day.operator_fee_fen - expected_fee) < 1 or day.enterprise_pool_fen == 0
    # Paid energy never exceeds the cap.
    assert (
        day.intervals["paid_wh"] <= day.intervals["awarded_wh"] * float(Fraction(6, 5)) + 1e-6
    ).all()
