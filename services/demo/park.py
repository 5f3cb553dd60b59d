"""The sample park of the demo: three enterprises and their assets, with synthetic meters.

Meter data is synthetic but deterministic (seeded): loads follow a working-day shape
with noise, PV a clear-sky bell scaled by a daily cloud factor, the battery idles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from bidding.intervals import INTERVALS_PER_DAY, hour_of_interval
from parkvpp.v1 import bidding_pb2 as bpb
from parkvpp.v1 import enrollment_pb2 as epb


@dataclass(frozen=True)
class DemoAsset:
    asset_id: str
    enterprise_id: str
    name: str
    spec: epb.AssetSpec
    #: Typical daytime draw of a load (kW), or capacity of a generator.
    base_kw: float
    #: Share of an instruction the asset really delivers on the day.
    compliance: float = 1.0


ENTERPRISES = (
    ("ent-foundry", "Suzhou Precision Foundry Co.", "CN-JS"),
    ("ent-chem", "Wujiang Fine Chemicals Ltd.", "CN-JS"),
    ("ent-logistics", "Yangtze Cold-Chain Logistics", "CN-JS"),
)


def curtailable_spec(max_kw: float, cost_fen_per_mwh: int = 200_000) -> epb.AssetSpec:
    """A working-day curtailable load, available 08:00-22:00 on weekdays."""
    return epb.AssetSpec(
        curtailable_load=epb.CurtailableLoad(
            max_curtailment_kw=max_kw,
            min_event_minutes=30,
            max_event_minutes=120,
            max_events_per_day=2,
            notification_lead_minutes=60,
            rebound_fraction=0.2,
            availability=[
                epb.AvailabilityWindow(weekdays=[1, 2, 3, 4, 5], start_interval=32, end_interval=88)
            ],
            curtailment_cost_fen_per_mwh=cost_fen_per_mwh,
        )
    )


ASSETS = (
    DemoAsset(
        "foundry-furnace-1",
        "ent-foundry",
        "Induction furnace line 1",
        curtailable_spec(600.0, 300_000),
        1500.0,
        compliance=1.0,
    ),
    DemoAsset(
        "chem-chillers",
        "ent-chem",
        "Chiller plant",
        curtailable_spec(300.0, 150_000),
        700.0,
        compliance=0.85,
    ),
    DemoAsset(
        "chem-battery",
        "ent-chem",
        "1 MWh battery",
        epb.AssetSpec(
            battery=epb.Battery(
                energy_capacity_kwh=1000.0,
                max_charge_kw=250.0,
                max_discharge_kw=250.0,
                round_trip_efficiency=0.9,
                soc_min=0.1,
                soc_max=0.95,
                initial_soc=0.6,
                degradation_cost_fen_per_mwh=50_000,
            )
        ),
        0.0,
    ),
    DemoAsset(
        "chem-dryer",
        "ent-chem",
        "Batch dryer (one 2-hour batch a day)",
        epb.AssetSpec(
            shiftable_load=epb.ShiftableLoad(
                energy_per_run_kwh=800.0,
                run_duration_minutes=120,
                earliest_start_interval=40,  # 10:00
                latest_end_interval=88,  # 22:00
                power_kw=400.0,
            )
        ),
        400.0,
    ),
    DemoAsset(
        "logistics-cold-store",
        "ent-logistics",
        "Cold store compressors",
        curtailable_spec(150.0, 100_000),
        400.0,
        compliance=0.6,
    ),
    DemoAsset(
        "logistics-pv",
        "ent-logistics",
        "Rooftop PV 1.2 MW",
        epb.AssetSpec(
            generator=epb.Generator(
                capacity_kw=1200.0,
                technology=epb.GENERATOR_TECHNOLOGY_PV,
                grid_connection_id="JS-SZ-10kV-0417",
            )
        ),
        1200.0,
    ),
)


def _melting_heat(baseline_start_interval: int) -> bpb.ProcessRun:
    """One heat of the foundry's melting line: 1,500 kW for an hour, any time 06:00-22:00;
    re-planning a heat costs 200 CNY plus 1 CNY per quarter hour it moves."""
    return bpb.ProcessRun(
        fixed=bpb.FixedRunProfile(power_kw=[1500.0] * 4),
        earliest_start_interval=24,
        deadline_interval=88,
        baseline_start_interval=baseline_start_interval,
        move_cost_fen=20_000,
        move_cost_fen_per_interval=100,
    )


#: The foundry's melting line: three heats, usually back to back 17:00-20:00 (shiftable
#: process runs, scheduled by BiddingService.ScheduleProduction; not an enrolled asset).
MELTING_LINE = bpb.ProcessLine(
    line_id="foundry-melting", runs=[_melting_heat(68), _melting_heat(72), _melting_heat(76)]
)
#: The heats keep their order (the moulds are prepared in sequence).
MELTING_ORDER = [
    bpb.RunPrecedence(
        before_line="foundry-melting", before_run=n, after_line="foundry-melting", after_run=n + 1
    )
    for n in range(len(MELTING_LINE.runs) - 1)
]
#: The chemical plant's gas engine (an on-site generator, not an enrolled asset): 800 kW,
#: 400 kW minimum load, 200 kW per quarter hour up or down, 500 CNY a start, 230 m3 of
#: natural gas per MWh (about 44% electrical efficiency).
GAS_ENGINE_OWNER = "ent-chem"
GAS_ENGINE = bpb.ThermalUnit(
    unit_id="chem-gas-engine",
    capacity_kw=800,
    min_load_kw=400,
    ramp_up_kw_per_interval=200,
    ramp_down_kw_per_interval=200,
    start_cost_fen=50_000,
    fuel="natural_gas",
    fuel_units_per_mwh=230.0,
)
#: What the park reports paying for natural gas: 3.00 CNY per m3.
GAS_PRICE = bpb.FuelPrice(fuel="natural_gas", price_fen=300, unit="m3")


def _rng(asset_id: str, day: date) -> np.random.Generator:
    return np.random.default_rng([sum(map(ord, asset_id)), day.toordinal()])


def load_kw(asset: DemoAsset, day: date) -> np.ndarray:
    """A working-day load shape: 55% at night, full from 08:00 to 20:00, 70% on weekends."""
    shape = np.array(
        [1.0 if 8 <= hour_of_interval(i) < 20 else 0.55 for i in range(INTERVALS_PER_DAY)]
    )
    level = 0.7 if day.isoweekday() >= 6 else 1.0
    noise = _rng(asset.asset_id, day).normal(1.0, 0.03, INTERVALS_PER_DAY)
    return np.round(asset.base_kw * shape * level * noise, 3)


def pv_kw(asset: DemoAsset, day: date) -> np.ndarray:
    """Clear-sky bell from 06:00 to 18:00 scaled by the day's cloud factor (0.6-1.0)."""
    cloud = 0.6 + 0.4 * _rng(asset.asset_id, day).random()
    hours = (np.arange(INTERVALS_PER_DAY) + 0.5) / 4
    bell = np.clip(np.sin(math.pi * (hours - 6) / 12), 0, None)
    return np.round(asset.base_kw * bell * cloud, 3)


#: Where the chemical plant runs its dryer's daily batch without the VPP: 18:00-20:00.
DRYER_BATCH = range(72, 80)


def batch_kw(asset: DemoAsset, day: date) -> np.ndarray:
    """A shiftable load's daily run where the park has it (DRYER_BATCH) at its power, on top
    of 5 % of that idling all day."""
    idle = 0.05 * asset.base_kw
    kw = idle * _rng(asset.asset_id, day).normal(1.0, 0.05, INTERVALS_PER_DAY)
    kw[DRYER_BATCH.start : DRYER_BATCH.stop] += asset.base_kw
    return np.round(kw, 3)


def meter_kw(asset: DemoAsset, day: date) -> np.ndarray:
    """What the asset's meter shows on `day` without any dispatch."""
    kind = asset.spec.WhichOneof("kind")
    if kind == "generator":
        return pv_kw(asset, day)
    if kind == "battery":
        return np.zeros(INTERVALS_PER_DAY)
    if kind == "shiftable_load":
        return batch_kw(asset, day)
    return load_kw(asset, day)
