"""Shiftable process runs: placement by price, windows, no-overlap, precedence and move cost,
checked by hand-computed cases and against brute force on short days."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import replace

import pytest

from bidding.exceptions import InvalidInput
from bidding.process_runs import (
    Precedence,
    ProcessLine,
    RunSpec,
    best_line_schedule,
    energy_run,
    fixed_run,
    flexibility_envelope,
    schedule,
)

FLAT_FEN_PER_MWH = 500


def _prices(cheap: dict[int, float], horizon: int = 96) -> list[float]:
    return [cheap.get(t, FLAT_FEN_PER_MWH) for t in range(horizon)]


def _run(power_kw, earliest, deadline, baseline, **costs) -> RunSpec:
    return fixed_run(
        power_kw,
        earliest_start_interval=earliest,
        deadline_interval=deadline,
        baseline_start_interval=baseline,
        **costs,
    )


# Cheap at 40-41 (100 fen/MWh); cheaper still at 10-11 and 80-81, outside the window 20..70.
DIP = _prices({10: 50, 11: 50, 40: 100, 41: 100, 80: 80, 81: 80})


def test_run_moves_to_the_cheapest_slot_inside_its_window() -> None:
    line = ProcessLine("furnace", (_run((400, 400), 20, 70, 30, move_cost_fen=5),))
    result = schedule([line], [], DIP)
    # 400 kW for 0.25 h = 100 kWh per interval. Baseline 30-31: 2 x 100 kWh x 0.5 fen = 100 fen;
    # at 40-41: 2 x 100 kWh x 0.1 fen = 20 fen. Value 100 - 20 - 5 (move) = 75 fen.
    assert result.lines[0].starts == (40,)
    assert result.value_fen == 75
    assert result.status == "OPTIMAL"
    assert result.reduction_kw[30:32] == (400, 400)
    assert result.reduction_kw[40:42] == (-400, -400)
    assert sum(abs(kw) for kw in result.reduction_kw) == 1600
    assert result.baseline_kw[30] == 400 and result.scheduled_kw[40] == 400


def test_runs_of_one_line_do_not_overlap_and_the_bigger_takes_the_cheapest_slot() -> None:
    prices = _prices({40: 100, 41: 100, 44: 200, 45: 200})
    line = ProcessLine("mill", (_run((400, 400), 20, 70, 30), _run((800, 800), 20, 70, 50)))
    result = best_line_schedule(line, [p / 1000 for p in prices])
    # 800 kW at 40-41 saves 2 x 200 kWh x 0.4 fen = 160; 400 kW at 44-45 saves 2 x 100 x 0.3 = 60:
    # 220 fen. The other way round: 80 + 2 x 200 x 0.3 = 200 fen.
    assert result.starts == (44, 40)
    assert result.value_fen == pytest.approx(220)
    assert result.status == "OPTIMAL"


def test_precedence_across_lines_with_a_gap() -> None:
    prices = _prices({40: 100, 41: 100, 42: 150, 43: 150})
    melt = ProcessLine("melt", (_run((400, 400), 20, 70, 30),))
    cast = ProcessLine("cast", (_run((800, 800), 20, 70, 34),))
    after = [Precedence("melt", 0, "cast", 0, min_gap_intervals=2)]
    # Free: melt 40-41 saves 2 x 100 x 0.4 = 80, cast 40-41 saves 2 x 200 x 0.4 = 160: 240 fen.
    assert schedule([melt, cast], [], prices).value_fen == 240
    # Cast starts >= melt's end + 2. Melt 40-41 pushes cast to 44 (no saving): 80. Melt kept at
    # 30-31 lets cast take 40-41: 160 (41-42: 200 x (0.4 + 0.35) = 150). Melt 38-39 and cast
    # 42-43: 0 + 200 x 0.35 x 2 = 140. Melt 39-40 and cast 43-44: 100 x 0.4 + 200 x 0.35 = 110.
    result = schedule([melt, cast], after, prices)
    assert result.value_fen == 160
    assert [ls.starts for ls in result.lines] == [(30,), (40,)]


def test_a_run_that_cannot_move_offers_nothing() -> None:
    stuck = ProcessLine("kiln", (_run((400, 400), 30, 32, 30, move_cost_fen=0),))
    reduction, increase = flexibility_envelope(stuck)
    assert reduction == (0.0,) * 96 and increase == (0.0,) * 96
    result = schedule([stuck], [], DIP)
    assert result.value_fen == 0 and result.lines[0].starts == (30,)
    assert result.reduction_kw == (0.0,) * 96


@pytest.mark.parametrize(
    ("costs", "start", "value_fen"),
    [
        # The move saves 80 fen (see the first test).
        ({"move_cost_fen": 81}, 30, 0),
        ({"move_cost_fen": 79}, 40, 1),
        # 10 intervals moved at 8 fen each costs 80: no gain, and a tie keeps the baseline.
        ({"move_cost_fen_per_interval": 8}, 30, 0),
        ({"move_cost_fen_per_interval": 7}, 40, 10),
    ],
)
def test_move_cost_decides(costs: dict[str, int], start: int, value_fen: int) -> None:
    line = ProcessLine("furnace", (_run((400, 400), 20, 70, 30, **costs),))
    result = schedule([line], [], DIP)
    assert result.lines[0].starts == (start,)
    assert result.value_fen == value_fen


def test_fixed_energy_run_picks_its_length() -> None:
    # 100 kWh in 2, 3 or 4 intervals (200, 133.3 or 100 kW); the park runs 4 intervals at 30.
    run = energy_run(
        100.0,
        min_intervals=2,
        max_intervals=4,
        baseline_intervals=4,
        earliest_start_interval=20,
        deadline_interval=70,
        baseline_start_interval=30,
    )
    assert [len(p) for p in run.profiles_kw] == [2, 3, 4]
    result = schedule([ProcessLine("electrolyser", (run,))], [], DIP)
    # Baseline 100 kWh x 0.5 fen = 50 fen; 2 intervals at 40-41: 100 kWh x 0.1 fen = 10 fen.
    assert result.lines[0].starts == (40,)
    assert result.lines[0].profile_indices == (0,)
    assert result.value_fen == 40


def test_value_is_rounded_half_even_to_whole_fen() -> None:
    # 4 kW for one interval = 1 kWh; 2500 fen/MWh -> 0 saves 2.5 fen (rounds to 2), and
    # 3500 -> 0 saves 3.5 fen (rounds to 4).
    for baseline_price, rounded in [(2500, 2), (3500, 4)]:
        line = ProcessLine("cold-store", (_run((4,), 0, 16, 0),))
        prices = [baseline_price] + [0] * 15
        result = schedule([line], [], prices, horizon_intervals=16)
        assert result.lines[0].value_fen == pytest.approx(baseline_price / 1000)
        assert result.value_fen == rounded


# --- brute force on short days -------------------------------------------------------------

HORIZON = 16


def _placements(run: RunSpec) -> list[tuple[int, int]]:
    return [
        (k, s)
        for k, profile in enumerate(run.profiles_kw)
        for s in range(run.earliest_start_interval, run.deadline_interval - len(profile) + 1)
    ]


def _span(run: RunSpec, placement: tuple[int, int]) -> tuple[int, int]:
    k, s = placement
    return s, s + len(run.profiles_kw[k])


def _kw(lines, choice) -> list[float]:
    kw = [0.0] * HORIZON
    for line, placements in zip(lines, choice, strict=True):
        for run, (k, s) in zip(line.runs, placements, strict=True):
            for i, p in enumerate(run.profiles_kw[k]):
                kw[s + i] += p
    return kw


def _feasible(lines, precedences, choice) -> bool:
    for line, placements in zip(lines, choice, strict=True):
        spans = sorted(_span(r, p) for r, p in zip(line.runs, placements, strict=True))
        if any(a[1] > b[0] for a, b in itertools.pairwise(spans)):
            return False
    index = {line.line_id: n for n, line in enumerate(lines)}
    for pr in precedences:
        a, b = index[pr.before_line], index[pr.after_line]
        end = _span(lines[a].runs[pr.before_run], choice[a][pr.before_run])[1]
        start = _span(lines[b].runs[pr.after_run], choice[b][pr.after_run])[0]
        if start < end + pr.min_gap_intervals:
            return False
    return True


def _move_cost(run: RunSpec, placement: tuple[int, int]) -> int:
    k, s = placement
    moved = (k, s) != (run.baseline_profile_index, run.baseline_start_interval)
    shift = abs(s - run.baseline_start_interval)
    return run.move_cost_fen * moved + run.move_cost_fen_per_interval * shift


def _brute_force(lines, precedences, value_fen_per_kwh) -> tuple[float, list]:
    """Best value (fen) over every combination of placements, and the feasible choices."""
    baseline = [
        [(r.baseline_profile_index, r.baseline_start_interval) for r in line.runs] for line in lines
    ]
    base_kw = _kw(lines, baseline)
    per_line = [itertools.product(*(_placements(r) for r in line.runs)) for line in lines]
    best, feasible = -math.inf, []
    for choice in itertools.product(*per_line):
        if not _feasible(lines, precedences, choice):
            continue
        feasible.append(choice)
        kw = _kw(lines, choice)
        value = sum(
            v * (b - k) * 0.25 for v, b, k in zip(value_fen_per_kwh, base_kw, kw, strict=True)
        )
        value -= sum(
            _move_cost(r, p)
            for line, ps in zip(lines, choice, strict=True)
            for r, p in zip(line.runs, ps, strict=True)
        )
        best = max(best, value)
    return best, feasible


def _random_line(rng: random.Random, name: str, n_runs: int) -> ProcessLine:
    """Runs packed left to right (baselines never overlap), windows up to 5 intervals wider."""
    runs, cursor = [], rng.randrange(0, 4)
    for _ in range(n_runs):
        lengths = rng.sample(range(1, 4), rng.choice([1, 1, 2]))
        profiles = tuple(tuple(50.0 * rng.randrange(0, 9) for _ in range(n)) for n in lengths)
        longest = max(lengths)
        base = rng.randrange(len(profiles))
        start = min(cursor + rng.randrange(0, 3), HORIZON - len(profiles[base]))
        end = start + len(profiles[base])
        earliest = min(max(0, start - rng.randrange(0, 6)), HORIZON - longest)
        deadline = max(min(HORIZON, end + rng.randrange(0, 6)), earliest + longest)
        move_costs = rng.randrange(0, 20), rng.randrange(0, 4)
        runs.append(RunSpec(profiles, earliest, deadline, start, base, *move_costs))
        cursor = end
        if cursor >= HORIZON - 3:
            break
    return ProcessLine(name, tuple(runs))


def _random_case(seed: int):
    rng = random.Random(seed)
    lines = [_random_line(rng, f"L{n}", rng.randint(1, 2)) for n in range(rng.randint(1, 3))]
    precedences = []
    for a, b in itertools.permutations(range(len(lines)), 2):
        i, j = rng.randrange(len(lines[a].runs)), rng.randrange(len(lines[b].runs))
        ra, rb = lines[a].runs[i], lines[b].runs[j]
        end = ra.baseline_start_interval + len(ra.profiles_kw[ra.baseline_profile_index])
        gap = rb.baseline_start_interval - end
        if gap >= 0 and rng.random() < 0.8 and len(precedences) < 2:
            precedences.append(Precedence(f"L{a}", i, f"L{b}", j, rng.randint(0, gap)))
    prices = [float(rng.randrange(-200, 1000)) for _ in range(HORIZON)]
    return lines, precedences, prices


@pytest.mark.parametrize("seed", range(30))
def test_schedule_equals_brute_force(seed: int) -> None:
    lines, precedences, prices = _random_case(seed)
    best, _ = _brute_force(lines, precedences, [p / 1000 for p in prices])
    result = schedule(lines, precedences, prices, horizon_intervals=HORIZON)
    choice = [tuple(zip(ls.profile_indices, ls.starts, strict=True)) for ls in result.lines]
    assert _feasible(lines, precedences, choice)
    assert sum(ls.value_fen for ls in result.lines) == pytest.approx(best, abs=1e-9)
    assert result.value_fen == round(best)
    assert result.status == "OPTIMAL"


@pytest.mark.parametrize("seed", range(10))
def test_best_line_schedule_equals_brute_force_for_dual_values(seed: int) -> None:
    rng = random.Random(1000 + seed)
    line = _random_line(rng, "L", rng.randint(1, 3))
    values = [rng.uniform(-1.0, 1.0) for _ in range(HORIZON)]  # fen per kWh, any sign
    best, _ = _brute_force([line], [], values)
    result = best_line_schedule(line, values, horizon_intervals=HORIZON)
    # Placement values are rounded to 1/4000 fen in the objective: optimal within that.
    assert result.value_fen == pytest.approx(best, abs=len(line.runs) / 4000)
    assert result.value_fen >= 0


@pytest.mark.parametrize("seed", range(12))
def test_envelope_equals_brute_force(seed: int) -> None:
    rng = random.Random(2000 + seed)
    line = _random_line(rng, "L", rng.randint(1, 3))
    _, feasible = _brute_force([line], [], [0.0] * HORIZON)
    base = _kw([line], [[(r.baseline_profile_index, r.baseline_start_interval) for r in line.runs]])
    kws = [_kw([line], choice) for choice in feasible]
    reduction, increase = flexibility_envelope(line, horizon_intervals=HORIZON)
    assert reduction == tuple(max(base[t] - kw[t] for kw in kws) for t in range(HORIZON))
    assert increase == tuple(max(kw[t] - base[t] for kw in kws) for t in range(HORIZON))


# --- validation -----------------------------------------------------------------------------

GOOD = _run((400, 400), 20, 70, 30)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"deadline_interval": 21}, "process_lines[0].runs[1].deadline_interval"),
        ({"deadline_interval": 97}, "process_lines[0].runs[1].deadline_interval"),
        ({"earliest_start_interval": -1}, "process_lines[0].runs[1].earliest_start_interval"),
        ({"baseline_start_interval": 69}, "process_lines[0].runs[1].baseline_start_interval"),
        ({"baseline_start_interval": 30.0}, "process_lines[0].runs[1].baseline_start_interval"),
        ({"baseline_profile_index": 1}, "process_lines[0].runs[1].baseline_profile_index"),
        ({"profiles_kw": ((400, math.nan),)}, "process_lines[0].runs[1].profiles_kw[0][1]"),
        ({"profiles_kw": ((400, -1),)}, "process_lines[0].runs[1].profiles_kw[0][1]"),
        ({"profiles_kw": ((),)}, "process_lines[0].runs[1].profiles_kw[0]"),
        ({"profiles_kw": ()}, "process_lines[0].runs[1].profiles_kw"),
        ({"move_cost_fen": -1}, "process_lines[0].runs[1].move_cost_fen"),
        (
            {"move_cost_fen_per_interval": True},
            "process_lines[0].runs[1].move_cost_fen_per_interval",
        ),
    ],
)
def test_invalid_run_names_the_field(changes: dict, field: str) -> None:
    line = ProcessLine("furnace", (_run((100,), 0, 96, 0), replace(GOOD, **changes)))
    with pytest.raises(InvalidInput) as caught:
        schedule([line], [], DIP)
    assert caught.value.field == field


def _rejects(call) -> str:
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value.field


def test_invalid_lines_prices_and_precedences_name_the_field() -> None:
    a = ProcessLine("a", (GOOD,))
    b = ProcessLine("b", (_run((100,), 0, 96, 40),))
    assert _rejects(lambda: schedule([a, a], [], DIP)) == "process_lines[1].line_id"
    assert _rejects(lambda: schedule([ProcessLine("", (GOOD,))], [], DIP)) == (
        "process_lines[0].line_id"
    )
    assert _rejects(lambda: schedule([ProcessLine("a", ())], [], DIP)) == "process_lines[0].runs"
    overlapping = ProcessLine("a", (GOOD, _run((100,), 0, 96, 31)))
    assert _rejects(lambda: schedule([overlapping], [], DIP)) == (
        "process_lines[0].runs[1].baseline_start_interval"
    )
    assert _rejects(lambda: schedule([a], [], DIP[:95])) == "prices_fen_per_mwh"
    assert _rejects(lambda: schedule([a], [], [math.inf] + DIP[1:])) == "prices_fen_per_mwh[0]"
    assert _rejects(lambda: best_line_schedule(a, [0.0] * 95)) == "value_fen_per_kwh"
    assert _rejects(lambda: schedule([a, b], [("a", 0, "c", 0)], DIP)) == (
        "precedences[0].after_line"
    )
    assert _rejects(lambda: schedule([a, b], [("a", 2, "b", 0)], DIP)) == (
        "precedences[0].before_run"
    )
    # b's baseline starts at 40, 8 intervals after a's baseline ends at 32.
    assert _rejects(lambda: schedule([a, b], [("a", 0, "b", 0, 9)], DIP)) == "precedences[0]"
    assert _rejects(lambda: schedule([a, b], [("a", 0, "b", 0, -1)], DIP)) == (
        "precedences[0].min_gap_intervals"
    )
    assert _rejects(lambda: flexibility_envelope(a, horizon_intervals=0)) == "horizon_intervals"
    with_horizon = ProcessLine("a", (_run((1,), 0, 16, 0),))
    assert _rejects(lambda: flexibility_envelope(with_horizon, horizon_intervals=8)) == (
        "process_line.runs[0].deadline_interval"
    )
    assert (
        _rejects(
            lambda: energy_run(
                10.0,
                min_intervals=3,
                max_intervals=2,
                baseline_intervals=2,
                earliest_start_interval=0,
                deadline_interval=96,
                baseline_start_interval=0,
            )
        )
        == "min_intervals"
    )
