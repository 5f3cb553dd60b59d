"""Inputs of the stochastic demand-response bid, and their validation.

The model (built in `bidding.cluster_lp`, solved by `bidding.offers.build_bids`) is one
LP over every price scenario s, asset a and interval t:

- curtailable loads are held to event windows chosen before the solve
  (`bidding.event_windows`): one level per window and scenario, so each scenario's
  dispatch obeys min/max event duration, events per day, availability and lead time,
  and draws its rebound (rebound_fraction x the shed energy) right after each event;
- batteries have discharge d and charge c with stored energy
  e[t] = e[t-1] + c*eta_c*h - d/eta_d*h inside the envelope's energy bounds, starting at
  initial_soc and ending no lower (so the battery is not drained for free), with a
  degradation cost per discharged MWh;
- commitments: the portfolio's net reduction Q[s,t] must reach the committed kW in
  every scenario.

Linking (Fleten-Pettersen): in each interval Q[s,t] must not fall as the scenario price
rises, and scenarios with the same price (to the fen) get the same Q, so the scenario
plans form one monotone bid curve per interval. We use this pattern because it gives
the offer curve and the plan behind every point of it from one LP, and the LP's
relaxation (no windows) gives a proven bound on what any event-feasible bid could earn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from bidding.assets import BatterySpec, CurtailableLoadSpec, ShiftableLoadSpec, validate_spec
from bidding.exceptions import InfeasibleProblem, InvalidInput
from bidding.flexibility import AssetEnvelope
from bidding.intervals import INTERVAL_HOURS, INTERVALS_PER_DAY, check_interval
from bidding.process_runs import RunSpec, check_run

PROBABILITY_TOLERANCE = 1e-6
CAPACITY_TOLERANCE_KW = 1e-6
# kW held for one interval, priced in fen/MWh, is worth this many fen per (fen/MWh).
FEN_PER_KW_INTERVAL = INTERVAL_HOURS / 1000


@dataclass(frozen=True)
class BidAsset:
    """An asset that may bid, with its envelope for the day: a curtailable load, a battery,
    or a shiftable load with `run`, the day's run where the park would place it
    (`bidding.shiftable.shiftable_run`)."""

    asset_id: str
    enterprise_id: str
    spec: CurtailableLoadSpec | BatterySpec | ShiftableLoadSpec
    envelope: AssetEnvelope
    run: RunSpec | None = None


@dataclass(frozen=True)
class PriceScenario:
    """One possible day of demand-response prices (fen/MWh per interval) and its probability.

    `clearable_kw` (96, inf = no limit; None = no limit anywhere) is how much the market
    would accept from the portfolio at that price in this scenario: the grid's requested
    kW less what competing offers below the price already cover. The offer curve may offer
    more (it is one curve for every scenario); what clears, is delivered and earns is the
    smaller of the two.
    """

    probability: float
    price_fen_per_mwh: np.ndarray
    clearable_kw: np.ndarray | None = None


@dataclass(frozen=True)
class BidProblem:
    """Everything the bid builder needs; `commitments` maps interval -> kW already promised.

    `max_sale_kw` (96, inf = no limit) caps what the portfolio can sell in each interval
    in every scenario (an invitation's requested kW); `offer_mask` (96 booleans, None =
    every interval) marks the intervals that may be offered at all. Outside it the
    scenarios' prices only value energy drawn back (rebound, charging): those intervals are
    neither linked into a curve nor offered. `bidding.invitations.honour` sets both.
    `shortfall_allowed`: a plan that misses a commitment (at the shortfall penalty) is
    returned instead of refused (dispatch reports what is missing).
    """

    market_day: date
    assets: list[BidAsset]
    scenarios: list[PriceScenario]
    commitments: dict[int, float] = field(default_factory=dict)
    max_sale_kw: np.ndarray | None = None
    offer_mask: np.ndarray | None = None
    shortfall_allowed: bool = False

    def sale_cap_kw(self) -> np.ndarray:
        """Per-interval cap on the portfolio's net reduction (inf where none)."""
        cap = np.full(INTERVALS_PER_DAY, np.inf)
        if self.max_sale_kw is not None:
            cap = np.asarray(self.max_sale_kw, dtype=float)
        if self.offer_mask is not None:
            cap = np.where(np.asarray(self.offer_mask, dtype=bool), cap, 0.0)
        return cap

    def clearable_kw(self) -> np.ndarray | None:
        """Per scenario and interval, what the market accepts (S x 96, inf where no limit);
        None when no scenario limits it."""
        if all(s.clearable_kw is None for s in self.scenarios):
            return None
        rows = [
            np.full(INTERVALS_PER_DAY, np.inf) if s.clearable_kw is None else s.clearable_kw
            for s in self.scenarios
        ]
        return np.array(rows, dtype=float)

    def offered(self) -> np.ndarray:
        """The intervals that may carry an offer (96 booleans)."""
        if self.offer_mask is None:
            return np.ones(INTERVALS_PER_DAY, dtype=bool)
        return np.asarray(self.offer_mask, dtype=bool)


def _check_profile(values: np.ndarray, name: str, non_negative: bool = True) -> None:
    array = np.asarray(values, dtype=float)
    if array.shape != (INTERVALS_PER_DAY,):
        raise InvalidInput(name, f"must have {INTERVALS_PER_DAY} values")
    if not np.all(np.isfinite(array)):
        raise InvalidInput(name, "must be finite")
    if non_negative and np.any(array < 0):
        raise InvalidInput(name, "must be >= 0")


def validate_assets(assets: list[BidAsset]) -> None:
    """Check assets are unique, of a kind that can bid, with sane specs and envelopes.

    Raises InvalidInput naming e.g. "assets[2].envelope.up_kw".
    """
    if not assets:
        raise InvalidInput("assets", "must not be empty")
    seen: set[str] = set()
    for k, asset in enumerate(assets):
        where = f"assets[{k}]"
        if asset.asset_id in seen:
            raise InvalidInput(f"{where}.asset_id", f"duplicate {asset.asset_id!r}")
        seen.add(asset.asset_id)
        movable = isinstance(asset.spec, ShiftableLoadSpec) and asset.run is not None
        if not (isinstance(asset.spec, CurtailableLoadSpec | BatterySpec) or movable):
            raise InvalidInput(
                f"{where}.spec",
                "only curtailable loads, batteries and shiftable loads with a run can bid",
            )
        validate_spec(asset.spec, f"{where}.spec")
        if asset.run is not None:
            if not movable:
                raise InvalidInput(f"{where}.run", "only a shiftable load has a run")
            check_run(asset.run, f"{where}.run", INTERVALS_PER_DAY)
        env = asset.envelope
        if env.asset_id != asset.asset_id:
            raise InvalidInput(f"{where}.envelope.asset_id", "must match the asset's id")
        for name in ("up_kw", "down_kw", "stored_energy_min_kwh", "stored_energy_max_kwh"):
            _check_profile(getattr(env, name), f"{where}.envelope.{name}")
        if np.any(env.stored_energy_min_kwh > env.stored_energy_max_kwh):
            raise InvalidInput(f"{where}.envelope.stored_energy_min_kwh", "must be <= max")
        if not (math.isfinite(env.max_daily_up_kwh) and env.max_daily_up_kwh >= 0):
            raise InvalidInput(f"{where}.envelope.max_daily_up_kwh", "must be finite and >= 0")


def validate_problem(problem: BidProblem) -> None:
    """Reject malformed problems before any model is built.

    Raises InvalidInput for bad assets, no scenarios, probabilities that are negative or
    do not sum to 1 (within 1e-6), price rows that are not 96 finite values, or
    commitments on unknown intervals / negative or non-finite kW. Raises
    InfeasibleProblem("commitment", t) when a commitment exceeds the portfolio's total
    up capacity in interval t.
    """
    validate_assets(problem.assets)
    if not problem.scenarios:
        raise InvalidInput("scenarios", "must hold at least one scenario")
    for k, scenario in enumerate(problem.scenarios):
        p = scenario.probability
        if not (math.isfinite(p) and 0 <= p <= 1):
            raise InvalidInput(f"scenarios[{k}].probability", "must be in [0, 1]")
        _check_profile(scenario.price_fen_per_mwh, f"scenarios[{k}].price_fen_per_mwh", False)
        if scenario.clearable_kw is not None:
            cap = np.asarray(scenario.clearable_kw, dtype=float)
            if cap.shape != (INTERVALS_PER_DAY,) or np.any(np.isnan(cap)) or np.any(cap < 0):
                raise InvalidInput(
                    f"scenarios[{k}].clearable_kw", f"must be {INTERVALS_PER_DAY} values >= 0"
                )
    if problem.max_sale_kw is not None:
        cap = np.asarray(problem.max_sale_kw, dtype=float)
        if cap.shape != (INTERVALS_PER_DAY,) or np.any(np.isnan(cap)) or np.any(cap < 0):
            raise InvalidInput("max_sale_kw", f"must be {INTERVALS_PER_DAY} values >= 0")
    if problem.offer_mask is not None and np.shape(problem.offer_mask) != (INTERVALS_PER_DAY,):
        raise InvalidInput("offer_mask", f"must have {INTERVALS_PER_DAY} values")
    total = sum(s.probability for s in problem.scenarios)
    if abs(total - 1) > PROBABILITY_TOLERANCE:
        raise InvalidInput("scenarios", f"probabilities must sum to 1, got {total:.9f}")
    up_total_kw = np.sum([a.envelope.up_kw for a in problem.assets], axis=0)
    for interval, kw in sorted(problem.commitments.items()):
        check_interval(interval, "commitments")
        if not (math.isfinite(kw) and kw >= 0):
            raise InvalidInput(f"commitments[{interval}]", "must be finite and >= 0")
        if kw > up_total_kw[interval] + CAPACITY_TOLERANCE_KW:
            raise InfeasibleProblem(
                "commitment",
                interval,
                f"committed {kw:.3f} kW but the portfolio can reduce at most "
                f"{up_total_kw[interval]:.3f} kW",
            )
