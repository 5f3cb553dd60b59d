import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from parkvpp.v1 import market_pb2 as _market_pb2
from parkvpp.v1 import vpp_pb2 as _vpp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

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
