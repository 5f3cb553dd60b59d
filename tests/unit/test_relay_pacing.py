"""The relay's rounds start at least ROUND_GAP_S apart (a clock the test moves by hand)."""

from __future__ import annotations

from services.runtime.relay import ROUND_GAP_S, RoundPacer


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []
        self.stop = False

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return self.stop


def test_rounds_in_quick_succession_wait_for_the_rest_of_the_gap():
    clock = _Clock()
    pacer = RoundPacer(0.02, clock, clock.wait)
    assert pacer.start_round()  # the first round goes at once
    clock.now += 0.005  # a short round, then a wake
    assert pacer.start_round()
    assert len(clock.waits) == 1 and abs(clock.waits[0] - 0.015) < 1e-9


def test_a_round_after_a_quiet_spell_or_a_long_round_goes_at_once():
    clock = _Clock()
    pacer = RoundPacer(0.02, clock, clock.wait)
    assert pacer.start_round()
    clock.now += 0.5  # idle, or a round of bulk ingest that took longer than the gap
    assert pacer.start_round()
    clock.now += 0.02
    assert pacer.start_round()
    assert clock.waits == []


def test_a_stop_during_the_wait_ends_the_loop():
    clock = _Clock()
    pacer = RoundPacer(ROUND_GAP_S, clock, clock.wait)
    assert pacer.start_round()
    clock.stop = True
    assert not pacer.start_round()


def test_the_round_after_a_bulk_round_goes_at_once():
    clock = _Clock()
    pacer = RoundPacer(ROUND_GAP_S, clock, clock.wait)
    assert pacer.start_round()
    clock.now += 0.001  # a quick round that carried BULK_ROUND events or more
    assert pacer.start_round(bulk=True)
    assert clock.waits == []
    clock.now += 0.001  # a quick small round: the next waits for the rest of the gap
    assert pacer.start_round()
    assert len(clock.waits) == 1 and abs(clock.waits[0] - (ROUND_GAP_S - 0.001)) < 1e-9
