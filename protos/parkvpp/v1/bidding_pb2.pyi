import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from parkvpp.v1 import market_pb2 as _market_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GreenProduct(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GREEN_PRODUCT_UNSPECIFIED: _ClassVar[GreenProduct]
    GREEN_PRODUCT_BUNDLED: _ClassVar[GreenProduct]
    GREEN_PRODUCT_CERTIFICATE: _ClassVar[GreenProduct]

class BidPlanStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BID_PLAN_STATUS_UNSPECIFIED: _ClassVar[BidPlanStatus]
    BID_PLAN_STATUS_PREPARED: _ClassVar[BidPlanStatus]
    BID_PLAN_STATUS_SUBMITTED: _ClassVar[BidPlanStatus]

class GreenShortfallReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GREEN_SHORTFALL_REASON_UNSPECIFIED: _ClassVar[GreenShortfallReason]
    GREEN_SHORTFALL_REASON_SUPPLY: _ClassVar[GreenShortfallReason]
    GREEN_SHORTFALL_REASON_PRICE_ABOVE_LIMIT: _ClassVar[GreenShortfallReason]
    GREEN_SHORTFALL_REASON_NO_OFFER: _ClassVar[GreenShortfallReason]
    GREEN_SHORTFALL_REASON_NOT_BOUGHT: _ClassVar[GreenShortfallReason]
    GREEN_SHORTFALL_REASON_NOT_RETIRED: _ClassVar[GreenShortfallReason]
    GREEN_SHORTFALL_REASON_CONSUMPTION_ABOVE_FORECAST: _ClassVar[GreenShortfallReason]

class ProductionPriceSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRODUCTION_PRICE_SOURCE_UNSPECIFIED: _ClassVar[ProductionPriceSource]
    PRODUCTION_PRICE_SOURCE_REQUEST: _ClassVar[ProductionPriceSource]
    PRODUCTION_PRICE_SOURCE_ENERGY_CLEARING: _ClassVar[ProductionPriceSource]
GREEN_PRODUCT_UNSPECIFIED: GreenProduct
GREEN_PRODUCT_BUNDLED: GreenProduct
GREEN_PRODUCT_CERTIFICATE: GreenProduct
BID_PLAN_STATUS_UNSPECIFIED: BidPlanStatus
BID_PLAN_STATUS_PREPARED: BidPlanStatus
BID_PLAN_STATUS_SUBMITTED: BidPlanStatus
GREEN_SHORTFALL_REASON_UNSPECIFIED: GreenShortfallReason
GREEN_SHORTFALL_REASON_SUPPLY: GreenShortfallReason
GREEN_SHORTFALL_REASON_PRICE_ABOVE_LIMIT: GreenShortfallReason
GREEN_SHORTFALL_REASON_NO_OFFER: GreenShortfallReason
GREEN_SHORTFALL_REASON_NOT_BOUGHT: GreenShortfallReason
GREEN_SHORTFALL_REASON_NOT_RETIRED: GreenShortfallReason
GREEN_SHORTFALL_REASON_CONSUMPTION_ABOVE_FORECAST: GreenShortfallReason
PRODUCTION_PRICE_SOURCE_UNSPECIFIED: ProductionPriceSource
PRODUCTION_PRICE_SOURCE_REQUEST: ProductionPriceSource
PRODUCTION_PRICE_SOURCE_ENERGY_CLEARING: ProductionPriceSource

class PriceScenario(_message.Message):
    __slots__ = ("probability", "price_fen_per_mwh")
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    probability: float
    price_fen_per_mwh: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, probability: _Optional[float] = ..., price_fen_per_mwh: _Optional[_Iterable[int]] = ...) -> None: ...

class Commitment(_message.Message):
    __slots__ = ("interval", "min_reduction_kw")
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    MIN_REDUCTION_KW_FIELD_NUMBER: _ClassVar[int]
    interval: int
    min_reduction_kw: float
    def __init__(self, interval: _Optional[int] = ..., min_reduction_kw: _Optional[float] = ...) -> None: ...

class GreenTarget(_message.Message):
    __slots__ = ("enterprise_id", "share", "hourly_matched", "bundled_price_limit_fen_per_mwh", "certificate_price_limit_fen_per_mwh")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    HOURLY_MATCHED_FIELD_NUMBER: _ClassVar[int]
    BUNDLED_PRICE_LIMIT_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_PRICE_LIMIT_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    share: float
    hourly_matched: bool
    bundled_price_limit_fen_per_mwh: int
    certificate_price_limit_fen_per_mwh: int
    def __init__(self, enterprise_id: _Optional[str] = ..., share: _Optional[float] = ..., hourly_matched: _Optional[bool] = ..., bundled_price_limit_fen_per_mwh: _Optional[int] = ..., certificate_price_limit_fen_per_mwh: _Optional[int] = ...) -> None: ...

class PrepareBidsRequest(_message.Message):
    __slots__ = ("market_day", "price_scenarios", "commitments", "green_targets", "time_limit_seconds", "energy_price_scenarios", "green_bundled_price_fen_per_mwh", "certificate_price_fen_per_mwh", "green_supply_park_only", "decided_at")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    PRICE_SCENARIOS_FIELD_NUMBER: _ClassVar[int]
    COMMITMENTS_FIELD_NUMBER: _ClassVar[int]
    GREEN_TARGETS_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ENERGY_PRICE_SCENARIOS_FIELD_NUMBER: _ClassVar[int]
    GREEN_BUNDLED_PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    GREEN_SUPPLY_PARK_ONLY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    price_scenarios: _containers.RepeatedCompositeFieldContainer[PriceScenario]
    commitments: _containers.RepeatedCompositeFieldContainer[Commitment]
    green_targets: _containers.RepeatedCompositeFieldContainer[GreenTarget]
    time_limit_seconds: float
    energy_price_scenarios: _containers.RepeatedCompositeFieldContainer[PriceScenario]
    green_bundled_price_fen_per_mwh: int
    certificate_price_fen_per_mwh: int
    green_supply_park_only: bool
    decided_at: _timestamp_pb2.Timestamp
    def __init__(self, market_day: _Optional[str] = ..., price_scenarios: _Optional[_Iterable[_Union[PriceScenario, _Mapping]]] = ..., commitments: _Optional[_Iterable[_Union[Commitment, _Mapping]]] = ..., green_targets: _Optional[_Iterable[_Union[GreenTarget, _Mapping]]] = ..., time_limit_seconds: _Optional[float] = ..., energy_price_scenarios: _Optional[_Iterable[_Union[PriceScenario, _Mapping]]] = ..., green_bundled_price_fen_per_mwh: _Optional[int] = ..., certificate_price_fen_per_mwh: _Optional[int] = ..., green_supply_park_only: _Optional[bool] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OfferCurve(_message.Message):
    __slots__ = ("interval", "product", "side", "steps")
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    interval: int
    product: _market_pb2.Product
    side: _market_pb2.Side
    steps: _containers.RepeatedCompositeFieldContainer[_market_pb2.PriceStep]
    def __init__(self, interval: _Optional[int] = ..., product: _Optional[_Union[_market_pb2.Product, str]] = ..., side: _Optional[_Union[_market_pb2.Side, str]] = ..., steps: _Optional[_Iterable[_Union[_market_pb2.PriceStep, _Mapping]]] = ...) -> None: ...

class ScenarioRevenue(_message.Message):
    __slots__ = ("scenario", "probability", "revenue_fen")
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    REVENUE_FEN_FIELD_NUMBER: _ClassVar[int]
    scenario: int
    probability: float
    revenue_fen: int
    def __init__(self, scenario: _Optional[int] = ..., probability: _Optional[float] = ..., revenue_fen: _Optional[int] = ...) -> None: ...

class GreenPowerOffer(_message.Message):
    __slots__ = ("enterprise_id", "product", "side", "energy_wh", "price_limit_fen_per_mwh", "period_start", "period_end")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    PRICE_LIMIT_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    product: GreenProduct
    side: _market_pb2.Side
    energy_wh: int
    price_limit_fen_per_mwh: int
    period_start: _timestamp_pb2.Timestamp
    period_end: _timestamp_pb2.Timestamp
    def __init__(self, enterprise_id: _Optional[str] = ..., product: _Optional[_Union[GreenProduct, str]] = ..., side: _Optional[_Union[_market_pb2.Side, str]] = ..., energy_wh: _Optional[int] = ..., price_limit_fen_per_mwh: _Optional[int] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BidPlan(_message.Message):
    __slots__ = ("plan_id", "market_day", "status", "demand_response_offers", "storage_offers", "green_power_offers", "scenario_revenues", "expected_revenue_fen", "objective_fen", "bound_fen", "relative_gap", "solver", "solve_seconds", "prepared_at", "storage_expected_revenue_fen", "storage_relative_gap", "storage_energy_share", "green_power_cost_fen", "green_power_results", "scenario_source", "interval_plans", "answered_event_ids", "skipped_invitations", "invitation_summary", "decided_at", "run_moves")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DEMAND_RESPONSE_OFFERS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_OFFERS_FIELD_NUMBER: _ClassVar[int]
    GREEN_POWER_OFFERS_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_REVENUES_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVENUE_FEN_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FEN_FIELD_NUMBER: _ClassVar[int]
    BOUND_FEN_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_GAP_FIELD_NUMBER: _ClassVar[int]
    SOLVER_FIELD_NUMBER: _ClassVar[int]
    SOLVE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PREPARED_AT_FIELD_NUMBER: _ClassVar[int]
    STORAGE_EXPECTED_REVENUE_FEN_FIELD_NUMBER: _ClassVar[int]
    STORAGE_RELATIVE_GAP_FIELD_NUMBER: _ClassVar[int]
    STORAGE_ENERGY_SHARE_FIELD_NUMBER: _ClassVar[int]
    GREEN_POWER_COST_FEN_FIELD_NUMBER: _ClassVar[int]
    GREEN_POWER_RESULTS_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_SOURCE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_PLANS_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_INVITATIONS_FIELD_NUMBER: _ClassVar[int]
    INVITATION_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    RUN_MOVES_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    market_day: str
    status: BidPlanStatus
    demand_response_offers: _containers.RepeatedCompositeFieldContainer[OfferCurve]
    storage_offers: _containers.RepeatedCompositeFieldContainer[OfferCurve]
    green_power_offers: _containers.RepeatedCompositeFieldContainer[GreenPowerOffer]
    scenario_revenues: _containers.RepeatedCompositeFieldContainer[ScenarioRevenue]
    expected_revenue_fen: int
    objective_fen: float
    bound_fen: float
    relative_gap: float
    solver: str
    solve_seconds: float
    prepared_at: _timestamp_pb2.Timestamp
    storage_expected_revenue_fen: int
    storage_relative_gap: float
    storage_energy_share: float
    green_power_cost_fen: int
    green_power_results: _containers.RepeatedCompositeFieldContainer[GreenPowerResult]
    scenario_source: str
    interval_plans: _containers.RepeatedCompositeFieldContainer[IntervalPlan]
    answered_event_ids: _containers.RepeatedScalarFieldContainer[str]
    skipped_invitations: _containers.RepeatedCompositeFieldContainer[SkippedInvitation]
    invitation_summary: str
    decided_at: _timestamp_pb2.Timestamp
    run_moves: _containers.RepeatedCompositeFieldContainer[RunMove]
    def __init__(self, plan_id: _Optional[str] = ..., market_day: _Optional[str] = ..., status: _Optional[_Union[BidPlanStatus, str]] = ..., demand_response_offers: _Optional[_Iterable[_Union[OfferCurve, _Mapping]]] = ..., storage_offers: _Optional[_Iterable[_Union[OfferCurve, _Mapping]]] = ..., green_power_offers: _Optional[_Iterable[_Union[GreenPowerOffer, _Mapping]]] = ..., scenario_revenues: _Optional[_Iterable[_Union[ScenarioRevenue, _Mapping]]] = ..., expected_revenue_fen: _Optional[int] = ..., objective_fen: _Optional[float] = ..., bound_fen: _Optional[float] = ..., relative_gap: _Optional[float] = ..., solver: _Optional[str] = ..., solve_seconds: _Optional[float] = ..., prepared_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., storage_expected_revenue_fen: _Optional[int] = ..., storage_relative_gap: _Optional[float] = ..., storage_energy_share: _Optional[float] = ..., green_power_cost_fen: _Optional[int] = ..., green_power_results: _Optional[_Iterable[_Union[GreenPowerResult, _Mapping]]] = ..., scenario_source: _Optional[str] = ..., interval_plans: _Optional[_Iterable[_Union[IntervalPlan, _Mapping]]] = ..., answered_event_ids: _Optional[_Iterable[str]] = ..., skipped_invitations: _Optional[_Iterable[_Union[SkippedInvitation, _Mapping]]] = ..., invitation_summary: _Optional[str] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., run_moves: _Optional[_Iterable[_Union[RunMove, _Mapping]]] = ...) -> None: ...

class RunMove(_message.Message):
    __slots__ = ("asset_id", "enterprise_id", "baseline_start_interval", "run_intervals", "scenario_start_intervals", "move_probability")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    BASELINE_START_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    RUN_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_START_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    MOVE_PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    enterprise_id: str
    baseline_start_interval: int
    run_intervals: int
    scenario_start_intervals: _containers.RepeatedScalarFieldContainer[int]
    move_probability: float
    def __init__(self, asset_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., baseline_start_interval: _Optional[int] = ..., run_intervals: _Optional[int] = ..., scenario_start_intervals: _Optional[_Iterable[int]] = ..., move_probability: _Optional[float] = ...) -> None: ...

class IntervalPlan(_message.Message):
    __slots__ = ("interval", "offered_kw", "expected_kw", "expected_revenue_fen", "event_id")
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    OFFERED_KW_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_KW_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVENUE_FEN_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    interval: int
    offered_kw: float
    expected_kw: float
    expected_revenue_fen: int
    event_id: str
    def __init__(self, interval: _Optional[int] = ..., offered_kw: _Optional[float] = ..., expected_kw: _Optional[float] = ..., expected_revenue_fen: _Optional[int] = ..., event_id: _Optional[str] = ...) -> None: ...

class SkippedInvitation(_message.Message):
    __slots__ = ("event_id", "reason")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    reason: str
    def __init__(self, event_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class GreenPowerResult(_message.Message):
    __slots__ = ("enterprise_id", "consumption_kwh", "target_kwh", "onsite_pv_used_kwh", "bundled_wh", "certificate_wh", "surplus_offered_wh", "shortfall_kwh", "achieved_share", "cost_fen", "target_share", "hourly_matched", "shortfall_reason", "shortfall_detail")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    CONSUMPTION_KWH_FIELD_NUMBER: _ClassVar[int]
    TARGET_KWH_FIELD_NUMBER: _ClassVar[int]
    ONSITE_PV_USED_KWH_FIELD_NUMBER: _ClassVar[int]
    BUNDLED_WH_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_WH_FIELD_NUMBER: _ClassVar[int]
    SURPLUS_OFFERED_WH_FIELD_NUMBER: _ClassVar[int]
    SHORTFALL_KWH_FIELD_NUMBER: _ClassVar[int]
    ACHIEVED_SHARE_FIELD_NUMBER: _ClassVar[int]
    COST_FEN_FIELD_NUMBER: _ClassVar[int]
    TARGET_SHARE_FIELD_NUMBER: _ClassVar[int]
    HOURLY_MATCHED_FIELD_NUMBER: _ClassVar[int]
    SHORTFALL_REASON_FIELD_NUMBER: _ClassVar[int]
    SHORTFALL_DETAIL_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    consumption_kwh: float
    target_kwh: float
    onsite_pv_used_kwh: float
    bundled_wh: int
    certificate_wh: int
    surplus_offered_wh: int
    shortfall_kwh: float
    achieved_share: float
    cost_fen: int
    target_share: float
    hourly_matched: bool
    shortfall_reason: GreenShortfallReason
    shortfall_detail: str
    def __init__(self, enterprise_id: _Optional[str] = ..., consumption_kwh: _Optional[float] = ..., target_kwh: _Optional[float] = ..., onsite_pv_used_kwh: _Optional[float] = ..., bundled_wh: _Optional[int] = ..., certificate_wh: _Optional[int] = ..., surplus_offered_wh: _Optional[int] = ..., shortfall_kwh: _Optional[float] = ..., achieved_share: _Optional[float] = ..., cost_fen: _Optional[int] = ..., target_share: _Optional[float] = ..., hourly_matched: _Optional[bool] = ..., shortfall_reason: _Optional[_Union[GreenShortfallReason, str]] = ..., shortfall_detail: _Optional[str] = ...) -> None: ...

class GetBidPlanRequest(_message.Message):
    __slots__ = ("plan_id", "market_day")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    market_day: str
    def __init__(self, plan_id: _Optional[str] = ..., market_day: _Optional[str] = ...) -> None: ...

class SubmitBidsRequest(_message.Message):
    __slots__ = ("plan_id",)
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    def __init__(self, plan_id: _Optional[str] = ...) -> None: ...

class SubmitBidsResponse(_message.Message):
    __slots__ = ("plan_id", "orders_submitted", "batch_id")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    ORDERS_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    orders_submitted: int
    batch_id: str
    def __init__(self, plan_id: _Optional[str] = ..., orders_submitted: _Optional[int] = ..., batch_id: _Optional[str] = ...) -> None: ...

class FixedRunProfile(_message.Message):
    __slots__ = ("power_kw",)
    POWER_KW_FIELD_NUMBER: _ClassVar[int]
    power_kw: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, power_kw: _Optional[_Iterable[float]] = ...) -> None: ...

class EnergyRunProfile(_message.Message):
    __slots__ = ("energy_kwh", "min_intervals", "max_intervals", "baseline_intervals")
    ENERGY_KWH_FIELD_NUMBER: _ClassVar[int]
    MIN_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    MAX_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    BASELINE_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    energy_kwh: float
    min_intervals: int
    max_intervals: int
    baseline_intervals: int
    def __init__(self, energy_kwh: _Optional[float] = ..., min_intervals: _Optional[int] = ..., max_intervals: _Optional[int] = ..., baseline_intervals: _Optional[int] = ...) -> None: ...

class ProcessRun(_message.Message):
    __slots__ = ("fixed", "energy", "earliest_start_interval", "deadline_interval", "baseline_start_interval", "move_cost_fen", "move_cost_fen_per_interval")
    FIXED_FIELD_NUMBER: _ClassVar[int]
    ENERGY_FIELD_NUMBER: _ClassVar[int]
    EARLIEST_START_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    BASELINE_START_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    MOVE_COST_FEN_FIELD_NUMBER: _ClassVar[int]
    MOVE_COST_FEN_PER_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    fixed: FixedRunProfile
    energy: EnergyRunProfile
    earliest_start_interval: int
    deadline_interval: int
    baseline_start_interval: int
    move_cost_fen: int
    move_cost_fen_per_interval: int
    def __init__(self, fixed: _Optional[_Union[FixedRunProfile, _Mapping]] = ..., energy: _Optional[_Union[EnergyRunProfile, _Mapping]] = ..., earliest_start_interval: _Optional[int] = ..., deadline_interval: _Optional[int] = ..., baseline_start_interval: _Optional[int] = ..., move_cost_fen: _Optional[int] = ..., move_cost_fen_per_interval: _Optional[int] = ...) -> None: ...

class ProcessLine(_message.Message):
    __slots__ = ("line_id", "runs")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    runs: _containers.RepeatedCompositeFieldContainer[ProcessRun]
    def __init__(self, line_id: _Optional[str] = ..., runs: _Optional[_Iterable[_Union[ProcessRun, _Mapping]]] = ...) -> None: ...

class RunPrecedence(_message.Message):
    __slots__ = ("before_line", "before_run", "after_line", "after_run", "min_gap_intervals")
    BEFORE_LINE_FIELD_NUMBER: _ClassVar[int]
    BEFORE_RUN_FIELD_NUMBER: _ClassVar[int]
    AFTER_LINE_FIELD_NUMBER: _ClassVar[int]
    AFTER_RUN_FIELD_NUMBER: _ClassVar[int]
    MIN_GAP_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    before_line: str
    before_run: int
    after_line: str
    after_run: int
    min_gap_intervals: int
    def __init__(self, before_line: _Optional[str] = ..., before_run: _Optional[int] = ..., after_line: _Optional[str] = ..., after_run: _Optional[int] = ..., min_gap_intervals: _Optional[int] = ...) -> None: ...

class ThermalUnit(_message.Message):
    __slots__ = ("unit_id", "capacity_kw", "min_load_kw", "ramp_up_kw_per_interval", "ramp_down_kw_per_interval", "start_cost_fen", "fuel", "fuel_units_per_mwh", "initial_on", "initial_output_kw", "initial_intervals_in_state", "min_up_intervals", "min_down_intervals", "startup_kw", "shutdown_kw")
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_KW_FIELD_NUMBER: _ClassVar[int]
    MIN_LOAD_KW_FIELD_NUMBER: _ClassVar[int]
    RAMP_UP_KW_PER_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    RAMP_DOWN_KW_PER_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    START_COST_FEN_FIELD_NUMBER: _ClassVar[int]
    FUEL_FIELD_NUMBER: _ClassVar[int]
    FUEL_UNITS_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    INITIAL_ON_FIELD_NUMBER: _ClassVar[int]
    INITIAL_OUTPUT_KW_FIELD_NUMBER: _ClassVar[int]
    INITIAL_INTERVALS_IN_STATE_FIELD_NUMBER: _ClassVar[int]
    MIN_UP_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    MIN_DOWN_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    STARTUP_KW_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_KW_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    capacity_kw: int
    min_load_kw: int
    ramp_up_kw_per_interval: int
    ramp_down_kw_per_interval: int
    start_cost_fen: int
    fuel: str
    fuel_units_per_mwh: float
    initial_on: bool
    initial_output_kw: int
    initial_intervals_in_state: int
    min_up_intervals: int
    min_down_intervals: int
    startup_kw: int
    shutdown_kw: int
    def __init__(self, unit_id: _Optional[str] = ..., capacity_kw: _Optional[int] = ..., min_load_kw: _Optional[int] = ..., ramp_up_kw_per_interval: _Optional[int] = ..., ramp_down_kw_per_interval: _Optional[int] = ..., start_cost_fen: _Optional[int] = ..., fuel: _Optional[str] = ..., fuel_units_per_mwh: _Optional[float] = ..., initial_on: _Optional[bool] = ..., initial_output_kw: _Optional[int] = ..., initial_intervals_in_state: _Optional[int] = ..., min_up_intervals: _Optional[int] = ..., min_down_intervals: _Optional[int] = ..., startup_kw: _Optional[int] = ..., shutdown_kw: _Optional[int] = ...) -> None: ...

class FuelPrice(_message.Message):
    __slots__ = ("fuel", "price_fen", "unit")
    FUEL_FIELD_NUMBER: _ClassVar[int]
    PRICE_FEN_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    fuel: str
    price_fen: int
    unit: str
    def __init__(self, fuel: _Optional[str] = ..., price_fen: _Optional[int] = ..., unit: _Optional[str] = ...) -> None: ...

class ScheduleProductionRequest(_message.Message):
    __slots__ = ("market_day", "process_lines", "precedences", "thermal_units", "fuel_prices", "prices_fen_per_mwh")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    PROCESS_LINES_FIELD_NUMBER: _ClassVar[int]
    PRECEDENCES_FIELD_NUMBER: _ClassVar[int]
    THERMAL_UNITS_FIELD_NUMBER: _ClassVar[int]
    FUEL_PRICES_FIELD_NUMBER: _ClassVar[int]
    PRICES_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    process_lines: _containers.RepeatedCompositeFieldContainer[ProcessLine]
    precedences: _containers.RepeatedCompositeFieldContainer[RunPrecedence]
    thermal_units: _containers.RepeatedCompositeFieldContainer[ThermalUnit]
    fuel_prices: _containers.RepeatedCompositeFieldContainer[FuelPrice]
    prices_fen_per_mwh: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, market_day: _Optional[str] = ..., process_lines: _Optional[_Iterable[_Union[ProcessLine, _Mapping]]] = ..., precedences: _Optional[_Iterable[_Union[RunPrecedence, _Mapping]]] = ..., thermal_units: _Optional[_Iterable[_Union[ThermalUnit, _Mapping]]] = ..., fuel_prices: _Optional[_Iterable[_Union[FuelPrice, _Mapping]]] = ..., prices_fen_per_mwh: _Optional[_Iterable[int]] = ...) -> None: ...

class ProcessLineSchedule(_message.Message):
    __slots__ = ("line_id", "start_intervals", "baseline_start_intervals", "run_intervals", "reduction_kw", "value_fen", "move_cost_fen")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    START_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    BASELINE_START_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    RUN_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    REDUCTION_KW_FIELD_NUMBER: _ClassVar[int]
    VALUE_FEN_FIELD_NUMBER: _ClassVar[int]
    MOVE_COST_FEN_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    start_intervals: _containers.RepeatedScalarFieldContainer[int]
    baseline_start_intervals: _containers.RepeatedScalarFieldContainer[int]
    run_intervals: _containers.RepeatedScalarFieldContainer[int]
    reduction_kw: _containers.RepeatedScalarFieldContainer[float]
    value_fen: int
    move_cost_fen: int
    def __init__(self, line_id: _Optional[str] = ..., start_intervals: _Optional[_Iterable[int]] = ..., baseline_start_intervals: _Optional[_Iterable[int]] = ..., run_intervals: _Optional[_Iterable[int]] = ..., reduction_kw: _Optional[_Iterable[float]] = ..., value_fen: _Optional[int] = ..., move_cost_fen: _Optional[int] = ...) -> None: ...

class ThermalUnitSchedule(_message.Message):
    __slots__ = ("unit_id", "output_kw", "start_intervals", "margin_fen", "start_costs_fen", "energy_kwh", "fuel", "fuel_unit", "fuel_burned_milli", "emissions_kg_co2", "fuel_cost_fen_per_mwh")
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_KW_FIELD_NUMBER: _ClassVar[int]
    START_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    MARGIN_FEN_FIELD_NUMBER: _ClassVar[int]
    START_COSTS_FEN_FIELD_NUMBER: _ClassVar[int]
    ENERGY_KWH_FIELD_NUMBER: _ClassVar[int]
    FUEL_FIELD_NUMBER: _ClassVar[int]
    FUEL_UNIT_FIELD_NUMBER: _ClassVar[int]
    FUEL_BURNED_MILLI_FIELD_NUMBER: _ClassVar[int]
    EMISSIONS_KG_CO2_FIELD_NUMBER: _ClassVar[int]
    FUEL_COST_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    output_kw: _containers.RepeatedScalarFieldContainer[int]
    start_intervals: _containers.RepeatedScalarFieldContainer[int]
    margin_fen: int
    start_costs_fen: int
    energy_kwh: float
    fuel: str
    fuel_unit: str
    fuel_burned_milli: int
    emissions_kg_co2: float
    fuel_cost_fen_per_mwh: int
    def __init__(self, unit_id: _Optional[str] = ..., output_kw: _Optional[_Iterable[int]] = ..., start_intervals: _Optional[_Iterable[int]] = ..., margin_fen: _Optional[int] = ..., start_costs_fen: _Optional[int] = ..., energy_kwh: _Optional[float] = ..., fuel: _Optional[str] = ..., fuel_unit: _Optional[str] = ..., fuel_burned_milli: _Optional[int] = ..., emissions_kg_co2: _Optional[float] = ..., fuel_cost_fen_per_mwh: _Optional[int] = ...) -> None: ...

class ProductionSchedule(_message.Message):
    __slots__ = ("market_day", "prices_fen_per_mwh", "price_source", "lines", "units", "process_value_fen", "process_status", "generation_margin_fen")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    PRICES_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    PRICE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    PROCESS_VALUE_FEN_FIELD_NUMBER: _ClassVar[int]
    PROCESS_STATUS_FIELD_NUMBER: _ClassVar[int]
    GENERATION_MARGIN_FEN_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    prices_fen_per_mwh: _containers.RepeatedScalarFieldContainer[int]
    price_source: ProductionPriceSource
    lines: _containers.RepeatedCompositeFieldContainer[ProcessLineSchedule]
    units: _containers.RepeatedCompositeFieldContainer[ThermalUnitSchedule]
    process_value_fen: int
    process_status: str
    generation_margin_fen: int
    def __init__(self, market_day: _Optional[str] = ..., prices_fen_per_mwh: _Optional[_Iterable[int]] = ..., price_source: _Optional[_Union[ProductionPriceSource, str]] = ..., lines: _Optional[_Iterable[_Union[ProcessLineSchedule, _Mapping]]] = ..., units: _Optional[_Iterable[_Union[ThermalUnitSchedule, _Mapping]]] = ..., process_value_fen: _Optional[int] = ..., process_status: _Optional[str] = ..., generation_margin_fen: _Optional[int] = ...) -> None: ...
