"""Conversion between enrollment.proto asset specs and the bidding package's dataclasses."""

from __future__ import annotations

from bidding.assets import (
    AssetSpec,
    AvailabilityWindow,
    BatterySpec,
    CurtailableLoadSpec,
    GeneratorSpec,
    ShiftableLoadSpec,
    validate_spec,
)
from parkvpp.v1 import enrollment_pb2 as pb
from services.runtime.errors import InvalidArgument

_TECHNOLOGY = {
    pb.GENERATOR_TECHNOLOGY_PV: "pv",
    pb.GENERATOR_TECHNOLOGY_WIND: "wind",
}
TECHNOLOGY_ENUM = {name: value for value, name in _TECHNOLOGY.items()}

KIND_OF = {
    "curtailable_load": pb.ASSET_KIND_CURTAILABLE_LOAD,
    "shiftable_load": pb.ASSET_KIND_SHIFTABLE_LOAD,
    "battery": pb.ASSET_KIND_BATTERY,
    "generator": pb.ASSET_KIND_GENERATOR,
}


def _battery(msg: pb.Battery) -> BatterySpec:
    common = dict(
        energy_capacity_kwh=msg.energy_capacity_kwh,
        max_charge_kw=msg.max_charge_kw,
        max_discharge_kw=msg.max_discharge_kw,
        soc_min=msg.soc_min,
        soc_max=msg.soc_max,
        initial_soc=msg.initial_soc,
        degradation_cost_fen_per_mwh=msg.degradation_cost_fen_per_mwh,
    )
    if msg.round_trip_efficiency:
        if msg.charge_efficiency or msg.discharge_efficiency:
            raise InvalidArgument(
                "spec.battery.round_trip_efficiency",
                "give either round_trip_efficiency or charge/discharge efficiencies, not both",
            )
        return BatterySpec.from_round_trip(
            round_trip_efficiency=msg.round_trip_efficiency, **common
        )
    return BatterySpec(
        charge_efficiency=msg.charge_efficiency,
        discharge_efficiency=msg.discharge_efficiency,
        **common,
    )


def spec_from_proto(spec: pb.AssetSpec) -> AssetSpec:
    """The validated domain spec of a proto AssetSpec.

    Raises InvalidArgument("spec", ...) when no kind is set, and the domain's InvalidInput
    naming the field path (e.g. "spec.battery.soc_min") when a limit breaks a rule. The
    same stored spec (equal bytes) gives the same frozen object, converted and checked
    once: every GetFlexibility and PrepareBids reads every asset's spec again.
    """
    key = spec.SerializeToString(deterministic=True)
    known = _CONVERTED.get(key)
    if known is None:
        known = _convert(spec)
        if len(_CONVERTED) >= CONVERTED_SPECS_KEPT:
            _CONVERTED.clear()
        _CONVERTED[key] = known
    return known


#: Domain specs by their proto's bytes (spec_from_proto); bounded, cleared when full.
_CONVERTED: dict[bytes, AssetSpec] = {}
CONVERTED_SPECS_KEPT = 200_000


def _convert(spec: pb.AssetSpec) -> AssetSpec:
    kind = spec.WhichOneof("kind")
    domain: AssetSpec
    if kind == "curtailable_load":
        c = spec.curtailable_load
        domain = CurtailableLoadSpec(
            max_curtailment_kw=c.max_curtailment_kw,
            min_event_minutes=c.min_event_minutes,
            max_event_minutes=c.max_event_minutes,
            max_events_per_day=c.max_events_per_day,
            notification_lead_minutes=c.notification_lead_minutes,
            rebound_fraction=c.rebound_fraction,
            availability=tuple(
                AvailabilityWindow(tuple(w.weekdays), w.start_interval, w.end_interval)
                for w in c.availability
            ),
            curtailment_cost_fen_per_mwh=c.curtailment_cost_fen_per_mwh,
        )
    elif kind == "shiftable_load":
        s = spec.shiftable_load
        domain = ShiftableLoadSpec(
            energy_per_run_kwh=s.energy_per_run_kwh,
            run_duration_minutes=s.run_duration_minutes,
            earliest_start_interval=s.earliest_start_interval,
            latest_end_interval=s.latest_end_interval,
            power_kw=s.power_kw,
        )
    elif kind == "battery":
        domain = _battery(spec.battery)
    elif kind == "generator":
        g = spec.generator
        domain = GeneratorSpec(
            capacity_kw=g.capacity_kw,
            technology=_TECHNOLOGY.get(g.technology, ""),
            grid_connection_id=g.grid_connection_id,
        )
    else:
        raise InvalidArgument(
            "spec", "one of curtailable_load, shiftable_load, battery, generator must be set"
        )
    validate_spec(domain, f"spec.{kind}")
    return domain
