import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReadingValueKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    READING_VALUE_KIND_UNSPECIFIED: _ClassVar[ReadingValueKind]
    READING_VALUE_KIND_POWER_KW: _ClassVar[ReadingValueKind]
    READING_VALUE_KIND_ENERGY_REGISTER_KWH: _ClassVar[ReadingValueKind]

class ReadingQuality(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    READING_QUALITY_UNSPECIFIED: _ClassVar[ReadingQuality]
    READING_QUALITY_MEASURED: _ClassVar[ReadingQuality]
    READING_QUALITY_ESTIMATED: _ClassVar[ReadingQuality]
    READING_QUALITY_MISSING: _ClassVar[ReadingQuality]
READING_VALUE_KIND_UNSPECIFIED: ReadingValueKind
READING_VALUE_KIND_POWER_KW: ReadingValueKind
READING_VALUE_KIND_ENERGY_REGISTER_KWH: ReadingValueKind
READING_QUALITY_UNSPECIFIED: ReadingQuality
READING_QUALITY_MEASURED: ReadingQuality
READING_QUALITY_ESTIMATED: ReadingQuality
READING_QUALITY_MISSING: ReadingQuality

class Reading(_message.Message):
    __slots__ = ("asset_id", "timestamp", "power_kw", "energy_register_kwh")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    POWER_KW_FIELD_NUMBER: _ClassVar[int]
    ENERGY_REGISTER_KWH_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    timestamp: _timestamp_pb2.Timestamp
    power_kw: float
    energy_register_kwh: float
    def __init__(self, asset_id: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., power_kw: _Optional[float] = ..., energy_register_kwh: _Optional[float] = ...) -> None: ...

class ReadingColumns(_message.Message):
    __slots__ = ("asset_ids", "asset_index", "timestamp_seconds", "values", "kinds")
    ASSET_IDS_FIELD_NUMBER: _ClassVar[int]
    ASSET_INDEX_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_SECONDS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    asset_ids: _containers.RepeatedScalarFieldContainer[str]
    asset_index: _containers.RepeatedScalarFieldContainer[int]
    timestamp_seconds: _containers.RepeatedScalarFieldContainer[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    kinds: _containers.RepeatedScalarFieldContainer[ReadingValueKind]
    def __init__(self, asset_ids: _Optional[_Iterable[str]] = ..., asset_index: _Optional[_Iterable[int]] = ..., timestamp_seconds: _Optional[_Iterable[int]] = ..., values: _Optional[_Iterable[float]] = ..., kinds: _Optional[_Iterable[_Union[ReadingValueKind, str]]] = ...) -> None: ...

class ReadingBatch(_message.Message):
    __slots__ = ("readings", "columns")
    READINGS_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    readings: _containers.RepeatedCompositeFieldContainer[Reading]
    columns: ReadingColumns
    def __init__(self, readings: _Optional[_Iterable[_Union[Reading, _Mapping]]] = ..., columns: _Optional[_Union[ReadingColumns, _Mapping]] = ...) -> None: ...

class ReadingsAcceptedColumns(_message.Message):
    __slots__ = ("columns", "bidirectional")
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    BIDIRECTIONAL_FIELD_NUMBER: _ClassVar[int]
    columns: ReadingColumns
    bidirectional: _containers.RepeatedScalarFieldContainer[bool]
    def __init__(self, columns: _Optional[_Union[ReadingColumns, _Mapping]] = ..., bidirectional: _Optional[_Iterable[bool]] = ...) -> None: ...

class RejectionCount(_message.Message):
    __slots__ = ("reason", "count")
    REASON_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    reason: str
    count: int
    def __init__(self, reason: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class IngestSummary(_message.Message):
    __slots__ = ("accepted", "rejected", "rejections", "batches")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    REJECTIONS_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    rejected: int
    rejections: _containers.RepeatedCompositeFieldContainer[RejectionCount]
    batches: int
    def __init__(self, accepted: _Optional[int] = ..., rejected: _Optional[int] = ..., rejections: _Optional[_Iterable[_Union[RejectionCount, _Mapping]]] = ..., batches: _Optional[int] = ...) -> None: ...

class GetLoadProfileRequest(_message.Message):
    __slots__ = ("asset_id", "enterprise_id", "from_market_day", "to_market_day")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    TO_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    enterprise_id: str
    from_market_day: str
    to_market_day: str
    def __init__(self, asset_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., from_market_day: _Optional[str] = ..., to_market_day: _Optional[str] = ...) -> None: ...

class IntervalEnergy(_message.Message):
    __slots__ = ("market_day", "interval", "average_kw", "energy_kwh", "quality", "reading_count")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_KW_FIELD_NUMBER: _ClassVar[int]
    ENERGY_KWH_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    READING_COUNT_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    interval: int
    average_kw: float
    energy_kwh: float
    quality: ReadingQuality
    reading_count: int
    def __init__(self, market_day: _Optional[str] = ..., interval: _Optional[int] = ..., average_kw: _Optional[float] = ..., energy_kwh: _Optional[float] = ..., quality: _Optional[_Union[ReadingQuality, str]] = ..., reading_count: _Optional[int] = ...) -> None: ...

class LoadProfile(_message.Message):
    __slots__ = ("asset_id", "enterprise_id", "intervals", "measured_intervals", "estimated_intervals", "missing_intervals")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVALS_FIELD_NUMBER: _ClassVar[int]
    MEASURED_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    MISSING_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    enterprise_id: str
    intervals: _containers.RepeatedCompositeFieldContainer[IntervalEnergy]
    measured_intervals: int
    estimated_intervals: int
    missing_intervals: int
    def __init__(self, asset_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., intervals: _Optional[_Iterable[_Union[IntervalEnergy, _Mapping]]] = ..., measured_intervals: _Optional[int] = ..., estimated_intervals: _Optional[int] = ..., missing_intervals: _Optional[int] = ...) -> None: ...
