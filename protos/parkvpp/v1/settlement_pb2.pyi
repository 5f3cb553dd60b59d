import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from parkvpp.v1 import market_pb2 as _market_pb2
from parkvpp.v1 import vpp_pb2 as _vpp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DifferenceReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIFFERENCE_REASON_UNSPECIFIED: _ClassVar[DifferenceReason]
    DIFFERENCE_REASON_NOT_OFFERED: _ClassVar[DifferenceReason]
    DIFFERENCE_REASON_NOT_CALLED: _ClassVar[DifferenceReason]
    DIFFERENCE_REASON_PRICE_ABOVE_CAP: _ClassVar[DifferenceReason]
    DIFFERENCE_REASON_PARTLY_CLEARED: _ClassVar[DifferenceReason]
    DIFFERENCE_REASON_NOT_DISPATCHED: _ClassVar[DifferenceReason]
    DIFFERENCE_REASON_UNDER_DELIVERY: _ClassVar[DifferenceReason]
    DIFFERENCE_REASON_OVER_DELIVERY: _ClassVar[DifferenceReason]
    DIFFERENCE_REASON_BASELINE: _ClassVar[DifferenceReason]
    DIFFERENCE_REASON_PAID_AS_CLEARED: _ClassVar[DifferenceReason]
    DIFFERENCE_REASON_DISPATCHED_ABOVE_CLEARED: _ClassVar[DifferenceReason]
DIFFERENCE_REASON_UNSPECIFIED: DifferenceReason
DIFFERENCE_REASON_NOT_OFFERED: DifferenceReason
DIFFERENCE_REASON_NOT_CALLED: DifferenceReason
DIFFERENCE_REASON_PRICE_ABOVE_CAP: DifferenceReason
DIFFERENCE_REASON_PARTLY_CLEARED: DifferenceReason
DIFFERENCE_REASON_NOT_DISPATCHED: DifferenceReason
DIFFERENCE_REASON_UNDER_DELIVERY: DifferenceReason
DIFFERENCE_REASON_OVER_DELIVERY: DifferenceReason
DIFFERENCE_REASON_BASELINE: DifferenceReason
DIFFERENCE_REASON_PAID_AS_CLEARED: DifferenceReason
DIFFERENCE_REASON_DISPATCHED_ABOVE_CLEARED: DifferenceReason

class RunSettlementRequest(_message.Message):
    __slots__ = ("market_day", "baseline_method")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    BASELINE_METHOD_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    baseline_method: _vpp_pb2.BaselineMethod
    def __init__(self, market_day: _Optional[str] = ..., baseline_method: _Optional[_Union[_vpp_pb2.BaselineMethod, str]] = ...) -> None: ...

class CorrectSettlementRequest(_message.Message):
    __slots__ = ("market_day", "reason", "baseline_method")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    BASELINE_METHOD_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    reason: str
    baseline_method: _vpp_pb2.BaselineMethod
    def __init__(self, market_day: _Optional[str] = ..., reason: _Optional[str] = ..., baseline_method: _Optional[_Union[_vpp_pb2.BaselineMethod, str]] = ...) -> None: ...

class AdjustmentLine(_message.Message):
    __slots__ = ("enterprise_id", "previous_total_fen", "total_fen", "adjustment_fen", "previous_amount_fen", "amount_fen", "previous_energy_market_fen", "energy_market_fen")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_TOTAL_FEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FEN_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_FEN_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_ENERGY_MARKET_FEN_FIELD_NUMBER: _ClassVar[int]
    ENERGY_MARKET_FEN_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    previous_total_fen: int
    total_fen: int
    adjustment_fen: int
    previous_amount_fen: int
    amount_fen: int
    previous_energy_market_fen: int
    energy_market_fen: int
    def __init__(self, enterprise_id: _Optional[str] = ..., previous_total_fen: _Optional[int] = ..., total_fen: _Optional[int] = ..., adjustment_fen: _Optional[int] = ..., previous_amount_fen: _Optional[int] = ..., amount_fen: _Optional[int] = ..., previous_energy_market_fen: _Optional[int] = ..., energy_market_fen: _Optional[int] = ...) -> None: ...

class EnterpriseAmount(_message.Message):
    __slots__ = ("enterprise_id", "delivered_kwh", "amount_fen", "includes_estimated", "previous_amount_fen", "energy_market_fen", "previous_energy_market_fen")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_KWH_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDES_ESTIMATED_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    ENERGY_MARKET_FEN_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_ENERGY_MARKET_FEN_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    delivered_kwh: float
    amount_fen: int
    includes_estimated: bool
    previous_amount_fen: int
    energy_market_fen: int
    previous_energy_market_fen: int
    def __init__(self, enterprise_id: _Optional[str] = ..., delivered_kwh: _Optional[float] = ..., amount_fen: _Optional[int] = ..., includes_estimated: _Optional[bool] = ..., previous_amount_fen: _Optional[int] = ..., energy_market_fen: _Optional[int] = ..., previous_energy_market_fen: _Optional[int] = ...) -> None: ...

class SettlementRun(_message.Message):
    __slots__ = ("run_id", "market_day", "version", "gross_payment_fen", "penalty_fen", "operator_fee_fen", "enterprise_pool_fen", "enterprises", "awarded_kwh", "delivered_kwh", "input_digest", "created_at", "changes_from_previous", "capacity_payment_fen", "energy_market_fen", "dispatch_revision", "corrects_version", "correction_reason", "adjustments")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    GROSS_PAYMENT_FEN_FIELD_NUMBER: _ClassVar[int]
    PENALTY_FEN_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FEE_FEN_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_POOL_FEN_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISES_FIELD_NUMBER: _ClassVar[int]
    AWARDED_KWH_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_KWH_FIELD_NUMBER: _ClassVar[int]
    INPUT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FROM_PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_PAYMENT_FEN_FIELD_NUMBER: _ClassVar[int]
    ENERGY_MARKET_FEN_FIELD_NUMBER: _ClassVar[int]
    DISPATCH_REVISION_FIELD_NUMBER: _ClassVar[int]
    CORRECTS_VERSION_FIELD_NUMBER: _ClassVar[int]
    CORRECTION_REASON_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENTS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    market_day: str
    version: int
    gross_payment_fen: int
    penalty_fen: int
    operator_fee_fen: int
    enterprise_pool_fen: int
    enterprises: _containers.RepeatedCompositeFieldContainer[EnterpriseAmount]
    awarded_kwh: float
    delivered_kwh: float
    input_digest: str
    created_at: _timestamp_pb2.Timestamp
    changes_from_previous: _containers.RepeatedCompositeFieldContainer[EnterpriseAmount]
    capacity_payment_fen: int
    energy_market_fen: int
    dispatch_revision: int
    corrects_version: int
    correction_reason: str
    adjustments: _containers.RepeatedCompositeFieldContainer[AdjustmentLine]
    def __init__(self, run_id: _Optional[str] = ..., market_day: _Optional[str] = ..., version: _Optional[int] = ..., gross_payment_fen: _Optional[int] = ..., penalty_fen: _Optional[int] = ..., operator_fee_fen: _Optional[int] = ..., enterprise_pool_fen: _Optional[int] = ..., enterprises: _Optional[_Iterable[_Union[EnterpriseAmount, _Mapping]]] = ..., awarded_kwh: _Optional[float] = ..., delivered_kwh: _Optional[float] = ..., input_digest: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., changes_from_previous: _Optional[_Iterable[_Union[EnterpriseAmount, _Mapping]]] = ..., capacity_payment_fen: _Optional[int] = ..., energy_market_fen: _Optional[int] = ..., dispatch_revision: _Optional[int] = ..., corrects_version: _Optional[int] = ..., correction_reason: _Optional[str] = ..., adjustments: _Optional[_Iterable[_Union[AdjustmentLine, _Mapping]]] = ...) -> None: ...

class GetStatementRequest(_message.Message):
    __slots__ = ("enterprise_id", "market_day", "version")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    market_day: str
    version: int
    def __init__(self, enterprise_id: _Optional[str] = ..., market_day: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class StatementLine(_message.Message):
    __slots__ = ("asset_id", "interval", "baseline_kw", "metered_kw", "instructed_kw", "delivered_kwh", "clearing_price_fen_per_mwh", "estimated", "amount_fen")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    BASELINE_KW_FIELD_NUMBER: _ClassVar[int]
    METERED_KW_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTED_KW_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_KWH_FIELD_NUMBER: _ClassVar[int]
    CLEARING_PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    interval: int
    baseline_kw: float
    metered_kw: float
    instructed_kw: float
    delivered_kwh: float
    clearing_price_fen_per_mwh: int
    estimated: bool
    amount_fen: int
    def __init__(self, asset_id: _Optional[str] = ..., interval: _Optional[int] = ..., baseline_kw: _Optional[float] = ..., metered_kw: _Optional[float] = ..., instructed_kw: _Optional[float] = ..., delivered_kwh: _Optional[float] = ..., clearing_price_fen_per_mwh: _Optional[int] = ..., estimated: _Optional[bool] = ..., amount_fen: _Optional[int] = ...) -> None: ...

class Statement(_message.Message):
    __slots__ = ("enterprise_id", "market_day", "run_id", "version", "lines", "delivered_kwh", "amount_fen", "includes_estimated", "energy_market_fen", "energy_lines", "total_fen", "adjustment", "correction_reason")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_KWH_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDES_ESTIMATED_FIELD_NUMBER: _ClassVar[int]
    ENERGY_MARKET_FEN_FIELD_NUMBER: _ClassVar[int]
    ENERGY_LINES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FEN_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    CORRECTION_REASON_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    market_day: str
    run_id: str
    version: int
    lines: _containers.RepeatedCompositeFieldContainer[StatementLine]
    delivered_kwh: float
    amount_fen: int
    includes_estimated: bool
    energy_market_fen: int
    energy_lines: _containers.RepeatedCompositeFieldContainer[EnergyMarketLine]
    total_fen: int
    adjustment: AdjustmentLine
    correction_reason: str
    def __init__(self, enterprise_id: _Optional[str] = ..., market_day: _Optional[str] = ..., run_id: _Optional[str] = ..., version: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[StatementLine, _Mapping]]] = ..., delivered_kwh: _Optional[float] = ..., amount_fen: _Optional[int] = ..., includes_estimated: _Optional[bool] = ..., energy_market_fen: _Optional[int] = ..., energy_lines: _Optional[_Iterable[_Union[EnergyMarketLine, _Mapping]]] = ..., total_fen: _Optional[int] = ..., adjustment: _Optional[_Union[AdjustmentLine, _Mapping]] = ..., correction_reason: _Optional[str] = ...) -> None: ...

class EnergyMarketLine(_message.Message):
    __slots__ = ("asset_id", "award_id", "interval", "side", "awarded_kw", "energy_kwh", "price_fen_per_mwh", "amount_fen")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    AWARD_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    AWARDED_KW_FIELD_NUMBER: _ClassVar[int]
    ENERGY_KWH_FIELD_NUMBER: _ClassVar[int]
    PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    award_id: str
    interval: int
    side: _market_pb2.Side
    awarded_kw: float
    energy_kwh: float
    price_fen_per_mwh: int
    amount_fen: int
    def __init__(self, asset_id: _Optional[str] = ..., award_id: _Optional[str] = ..., interval: _Optional[int] = ..., side: _Optional[_Union[_market_pb2.Side, str]] = ..., awarded_kw: _Optional[float] = ..., energy_kwh: _Optional[float] = ..., price_fen_per_mwh: _Optional[int] = ..., amount_fen: _Optional[int] = ...) -> None: ...

class GetDayReportRequest(_message.Message):
    __slots__ = ("market_day", "product")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    product: _market_pb2.Product
    def __init__(self, market_day: _Optional[str] = ..., product: _Optional[_Union[_market_pb2.Product, str]] = ...) -> None: ...

class IntervalReason(_message.Message):
    __slots__ = ("reason", "detail")
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    reason: DifferenceReason
    detail: str
    def __init__(self, reason: _Optional[_Union[DifferenceReason, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class IntervalReport(_message.Message):
    __slots__ = ("interval", "time_label", "offered_kw", "lowest_offer_fen_per_mwh", "expected_kw", "expected_revenue_fen", "called_kw", "price_cap_fen_per_mwh", "event_id", "cleared_kw", "clearing_price_fen_per_mwh", "cleared_value_fen", "dispatched_kw", "baseline_kw", "metered_kw", "delivered_kw", "reference_delivered_kw", "paid_fen", "reasons")
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    TIME_LABEL_FIELD_NUMBER: _ClassVar[int]
    OFFERED_KW_FIELD_NUMBER: _ClassVar[int]
    LOWEST_OFFER_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_KW_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVENUE_FEN_FIELD_NUMBER: _ClassVar[int]
    CALLED_KW_FIELD_NUMBER: _ClassVar[int]
    PRICE_CAP_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLEARED_KW_FIELD_NUMBER: _ClassVar[int]
    CLEARING_PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    CLEARED_VALUE_FEN_FIELD_NUMBER: _ClassVar[int]
    DISPATCHED_KW_FIELD_NUMBER: _ClassVar[int]
    BASELINE_KW_FIELD_NUMBER: _ClassVar[int]
    METERED_KW_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_KW_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_DELIVERED_KW_FIELD_NUMBER: _ClassVar[int]
    PAID_FEN_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    interval: int
    time_label: str
    offered_kw: float
    lowest_offer_fen_per_mwh: int
    expected_kw: float
    expected_revenue_fen: int
    called_kw: float
    price_cap_fen_per_mwh: int
    event_id: str
    cleared_kw: float
    clearing_price_fen_per_mwh: int
    cleared_value_fen: int
    dispatched_kw: float
    baseline_kw: float
    metered_kw: float
    delivered_kw: float
    reference_delivered_kw: float
    paid_fen: int
    reasons: _containers.RepeatedCompositeFieldContainer[IntervalReason]
    def __init__(self, interval: _Optional[int] = ..., time_label: _Optional[str] = ..., offered_kw: _Optional[float] = ..., lowest_offer_fen_per_mwh: _Optional[int] = ..., expected_kw: _Optional[float] = ..., expected_revenue_fen: _Optional[int] = ..., called_kw: _Optional[float] = ..., price_cap_fen_per_mwh: _Optional[int] = ..., event_id: _Optional[str] = ..., cleared_kw: _Optional[float] = ..., clearing_price_fen_per_mwh: _Optional[int] = ..., cleared_value_fen: _Optional[int] = ..., dispatched_kw: _Optional[float] = ..., baseline_kw: _Optional[float] = ..., metered_kw: _Optional[float] = ..., delivered_kw: _Optional[float] = ..., reference_delivered_kw: _Optional[float] = ..., paid_fen: _Optional[int] = ..., reasons: _Optional[_Iterable[_Union[IntervalReason, _Mapping]]] = ...) -> None: ...

class DayReport(_message.Message):
    __slots__ = ("market_day", "product", "plan_id", "run_id", "settlement_version", "intervals", "offered_kwh", "expected_kwh", "expected_revenue_fen", "cleared_kwh", "cleared_value_fen", "dispatched_kwh", "delivered_kwh", "paid_fen", "not_offered_fen", "not_called_fen", "price_above_cap_fen", "market_quantity_fen", "market_price_fen", "delivery_difference_fen", "plan_expected_revenue_fen", "summary")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    INTERVALS_FIELD_NUMBER: _ClassVar[int]
    OFFERED_KWH_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_KWH_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVENUE_FEN_FIELD_NUMBER: _ClassVar[int]
    CLEARED_KWH_FIELD_NUMBER: _ClassVar[int]
    CLEARED_VALUE_FEN_FIELD_NUMBER: _ClassVar[int]
    DISPATCHED_KWH_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_KWH_FIELD_NUMBER: _ClassVar[int]
    PAID_FEN_FIELD_NUMBER: _ClassVar[int]
    NOT_OFFERED_FEN_FIELD_NUMBER: _ClassVar[int]
    NOT_CALLED_FEN_FIELD_NUMBER: _ClassVar[int]
    PRICE_ABOVE_CAP_FEN_FIELD_NUMBER: _ClassVar[int]
    MARKET_QUANTITY_FEN_FIELD_NUMBER: _ClassVar[int]
    MARKET_PRICE_FEN_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_DIFFERENCE_FEN_FIELD_NUMBER: _ClassVar[int]
    PLAN_EXPECTED_REVENUE_FEN_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    product: _market_pb2.Product
    plan_id: str
    run_id: str
    settlement_version: int
    intervals: _containers.RepeatedCompositeFieldContainer[IntervalReport]
    offered_kwh: float
    expected_kwh: float
    expected_revenue_fen: int
    cleared_kwh: float
    cleared_value_fen: int
    dispatched_kwh: float
    delivered_kwh: float
    paid_fen: int
    not_offered_fen: int
    not_called_fen: int
    price_above_cap_fen: int
    market_quantity_fen: int
    market_price_fen: int
    delivery_difference_fen: int
    plan_expected_revenue_fen: int
    summary: str
    def __init__(self, market_day: _Optional[str] = ..., product: _Optional[_Union[_market_pb2.Product, str]] = ..., plan_id: _Optional[str] = ..., run_id: _Optional[str] = ..., settlement_version: _Optional[int] = ..., intervals: _Optional[_Iterable[_Union[IntervalReport, _Mapping]]] = ..., offered_kwh: _Optional[float] = ..., expected_kwh: _Optional[float] = ..., expected_revenue_fen: _Optional[int] = ..., cleared_kwh: _Optional[float] = ..., cleared_value_fen: _Optional[int] = ..., dispatched_kwh: _Optional[float] = ..., delivered_kwh: _Optional[float] = ..., paid_fen: _Optional[int] = ..., not_offered_fen: _Optional[int] = ..., not_called_fen: _Optional[int] = ..., price_above_cap_fen: _Optional[int] = ..., market_quantity_fen: _Optional[int] = ..., market_price_fen: _Optional[int] = ..., delivery_difference_fen: _Optional[int] = ..., plan_expected_revenue_fen: _Optional[int] = ..., summary: _Optional[str] = ...) -> None: ...
