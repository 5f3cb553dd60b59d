import datetime

from google.protobuf import any_pb2 as _any_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from parkvpp.v1 import certificates_pb2 as _certificates_pb2
from parkvpp.v1 import enrollment_pb2 as _enrollment_pb2
from parkvpp.v1 import market_pb2 as _market_pb2
from parkvpp.v1 import settlement_pb2 as _settlement_pb2
from parkvpp.v1 import telemetry_pb2 as _telemetry_pb2
from parkvpp.v1 import vpp_pb2 as _vpp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventEnvelope(_message.Message):
    __slots__ = ("event_id", "type", "occurred_at", "enterprise_id", "payload")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    type: str
    occurred_at: _timestamp_pb2.Timestamp
    enterprise_id: str
    payload: _any_pb2.Any
    def __init__(self, event_id: _Optional[str] = ..., type: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., enterprise_id: _Optional[str] = ..., payload: _Optional[_Union[_any_pb2.Any, _Mapping]] = ...) -> None: ...

class AssetChanged(_message.Message):
    __slots__ = ("change",)
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    change: _enrollment_pb2.AssetChange
    def __init__(self, change: _Optional[_Union[_enrollment_pb2.AssetChange, _Mapping]] = ...) -> None: ...

class ReadingsAccepted(_message.Message):
    __slots__ = ("asset_id", "readings", "bidirectional")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    READINGS_FIELD_NUMBER: _ClassVar[int]
    BIDIRECTIONAL_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    readings: _containers.RepeatedCompositeFieldContainer[_telemetry_pb2.Reading]
    bidirectional: bool
    def __init__(self, asset_id: _Optional[str] = ..., readings: _Optional[_Iterable[_Union[_telemetry_pb2.Reading, _Mapping]]] = ..., bidirectional: _Optional[bool] = ...) -> None: ...

class BidsSubmitted(_message.Message):
    __slots__ = ("plan_id", "market_day", "batch_id", "orders")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    market_day: str
    batch_id: str
    orders: _containers.RepeatedCompositeFieldContainer[_market_pb2.Order]
    def __init__(self, plan_id: _Optional[str] = ..., market_day: _Optional[str] = ..., batch_id: _Optional[str] = ..., orders: _Optional[_Iterable[_Union[_market_pb2.Order, _Mapping]]] = ...) -> None: ...

class DrEventAnnounced(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _market_pb2.DrEvent
    def __init__(self, event: _Optional[_Union[_market_pb2.DrEvent, _Mapping]] = ...) -> None: ...

class MarketCleared(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _market_pb2.ClearingResult
    def __init__(self, result: _Optional[_Union[_market_pb2.ClearingResult, _Mapping]] = ...) -> None: ...

class DispatchIssued(_message.Message):
    __slots__ = ("market_day", "instructions")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    instructions: _containers.RepeatedCompositeFieldContainer[_vpp_pb2.DispatchInstruction]
    def __init__(self, market_day: _Optional[str] = ..., instructions: _Optional[_Iterable[_Union[_vpp_pb2.DispatchInstruction, _Mapping]]] = ...) -> None: ...

class SettlementCompleted(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: _settlement_pb2.SettlementRun
    def __init__(self, run: _Optional[_Union[_settlement_pb2.SettlementRun, _Mapping]] = ...) -> None: ...

class CertificatesIssued(_message.Message):
    __slots__ = ("lots",)
    LOTS_FIELD_NUMBER: _ClassVar[int]
    lots: _containers.RepeatedCompositeFieldContainer[_certificates_pb2.Lot]
    def __init__(self, lots: _Optional[_Iterable[_Union[_certificates_pb2.Lot, _Mapping]]] = ...) -> None: ...

class CertificatesTransferred(_message.Message):
    __slots__ = ("transferred", "remainder")
    TRANSFERRED_FIELD_NUMBER: _ClassVar[int]
    REMAINDER_FIELD_NUMBER: _ClassVar[int]
    transferred: _certificates_pb2.Lot
    remainder: _certificates_pb2.Lot
    def __init__(self, transferred: _Optional[_Union[_certificates_pb2.Lot, _Mapping]] = ..., remainder: _Optional[_Union[_certificates_pb2.Lot, _Mapping]] = ...) -> None: ...

class CertificatesRetired(_message.Message):
    __slots__ = ("retired", "remainder")
    RETIRED_FIELD_NUMBER: _ClassVar[int]
    REMAINDER_FIELD_NUMBER: _ClassVar[int]
    retired: _certificates_pb2.Lot
    remainder: _certificates_pb2.Lot
    def __init__(self, retired: _Optional[_Union[_certificates_pb2.Lot, _Mapping]] = ..., remainder: _Optional[_Union[_certificates_pb2.Lot, _Mapping]] = ...) -> None: ...

class CertificatesExpired(_message.Message):
    __slots__ = ("lots",)
    LOTS_FIELD_NUMBER: _ClassVar[int]
    lots: _containers.RepeatedCompositeFieldContainer[_certificates_pb2.Lot]
    def __init__(self, lots: _Optional[_Iterable[_Union[_certificates_pb2.Lot, _Mapping]]] = ...) -> None: ...

class GreenTradeProposed(_message.Message):
    __slots__ = ("trade",)
    TRADE_FIELD_NUMBER: _ClassVar[int]
    trade: _certificates_pb2.GreenTrade
    def __init__(self, trade: _Optional[_Union[_certificates_pb2.GreenTrade, _Mapping]] = ...) -> None: ...

class GreenTradeAccepted(_message.Message):
    __slots__ = ("trade",)
    TRADE_FIELD_NUMBER: _ClassVar[int]
    trade: _certificates_pb2.GreenTrade
    def __init__(self, trade: _Optional[_Union[_certificates_pb2.GreenTrade, _Mapping]] = ...) -> None: ...

class GreenTradeRejected(_message.Message):
    __slots__ = ("trade",)
    TRADE_FIELD_NUMBER: _ClassVar[int]
    trade: _certificates_pb2.GreenTrade
    def __init__(self, trade: _Optional[_Union[_certificates_pb2.GreenTrade, _Mapping]] = ...) -> None: ...

class MandateGranted(_message.Message):
    __slots__ = ("mandate",)
    MANDATE_FIELD_NUMBER: _ClassVar[int]
    mandate: _certificates_pb2.Mandate
    def __init__(self, mandate: _Optional[_Union[_certificates_pb2.Mandate, _Mapping]] = ...) -> None: ...

class MandateRevoked(_message.Message):
    __slots__ = ("mandate",)
    MANDATE_FIELD_NUMBER: _ClassVar[int]
    mandate: _certificates_pb2.Mandate
    def __init__(self, mandate: _Optional[_Union[_certificates_pb2.Mandate, _Mapping]] = ...) -> None: ...
