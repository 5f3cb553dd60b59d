import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BaselineMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BASELINE_METHOD_UNSPECIFIED: _ClassVar[BaselineMethod]
    BASELINE_METHOD_SIMILAR_DAY: _ClassVar[BaselineMethod]
    BASELINE_METHOD_TEN_IN_TEN_ADJUSTED: _ClassVar[BaselineMethod]
    BASELINE_METHOD_HIGH_4_OF_5: _ClassVar[BaselineMethod]

class DispatchStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISPATCH_STATUS_UNSPECIFIED: _ClassVar[DispatchStatus]
    DISPATCH_STATUS_SENT: _ClassVar[DispatchStatus]
    DISPATCH_STATUS_ACKNOWLEDGED: _ClassVar[DispatchStatus]
    DISPATCH_STATUS_SUPERSEDED: _ClassVar[DispatchStatus]
BASELINE_METHOD_UNSPECIFIED: BaselineMethod
BASELINE_METHOD_SIMILAR_DAY: BaselineMethod
BASELINE_METHOD_TEN_IN_TEN_ADJUSTED: BaselineMethod
BASELINE_METHOD_HIGH_4_OF_5: BaselineMethod
DISPATCH_STATUS_UNSPECIFIED: DispatchStatus
DISPATCH_STATUS_SENT: DispatchStatus
DISPATCH_STATUS_ACKNOWLEDGED: DispatchStatus
DISPATCH_STATUS_SUPERSEDED: DispatchStatus

class GetFlexibilityRequest(_message.Message):
    __slots__ = ("market_day", "enterprise_id", "include_assets")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ASSETS_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    enterprise_id: str
    include_assets: bool
    def __init__(self, market_day: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., include_assets: _Optional[bool] = ...) -> None: ...

class IntervalFlexibility(_message.Message):
    __slots__ = ("interval", "up_kw", "down_kw", "baseline_kw", "stored_energy_min_kwh", "stored_energy_max_kwh")
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    UP_KW_FIELD_NUMBER: _ClassVar[int]
    DOWN_KW_FIELD_NUMBER: _ClassVar[int]
    BASELINE_KW_FIELD_NUMBER: _ClassVar[int]
    STORED_ENERGY_MIN_KWH_FIELD_NUMBER: _ClassVar[int]
    STORED_ENERGY_MAX_KWH_FIELD_NUMBER: _ClassVar[int]
    interval: int
    up_kw: float
    down_kw: float
    baseline_kw: float
    stored_energy_min_kwh: float
    stored_energy_max_kwh: float
    def __init__(self, interval: _Optional[int] = ..., up_kw: _Optional[float] = ..., down_kw: _Optional[float] = ..., baseline_kw: _Optional[float] = ..., stored_energy_min_kwh: _Optional[float] = ..., stored_energy_max_kwh: _Optional[float] = ...) -> None: ...

class AssetFlexibility(_message.Message):
    __slots__ = ("asset_id", "enterprise_id", "intervals", "max_daily_up_kwh")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVALS_FIELD_NUMBER: _ClassVar[int]
    MAX_DAILY_UP_KWH_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    enterprise_id: str
    intervals: _containers.RepeatedCompositeFieldContainer[IntervalFlexibility]
    max_daily_up_kwh: float
    def __init__(self, asset_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., intervals: _Optional[_Iterable[_Union[IntervalFlexibility, _Mapping]]] = ..., max_daily_up_kwh: _Optional[float] = ...) -> None: ...

class FlexibilityEnvelope(_message.Message):
    __slots__ = ("market_day", "aggregate", "assets")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_FIELD_NUMBER: _ClassVar[int]
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    aggregate: _containers.RepeatedCompositeFieldContainer[IntervalFlexibility]
    assets: _containers.RepeatedCompositeFieldContainer[AssetFlexibility]
    def __init__(self, market_day: _Optional[str] = ..., aggregate: _Optional[_Iterable[_Union[IntervalFlexibility, _Mapping]]] = ..., assets: _Optional[_Iterable[_Union[AssetFlexibility, _Mapping]]] = ...) -> None: ...

class GetBaselineRequest(_message.Message):
    __slots__ = ("market_day", "asset_id", "enterprise_id", "method", "event_start_interval", "event_intervals")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    EVENT_START_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    EVENT_INTERVALS_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    asset_id: str
    enterprise_id: str
    method: BaselineMethod
    event_start_interval: int
    event_intervals: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, market_day: _Optional[str] = ..., asset_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., method: _Optional[_Union[BaselineMethod, str]] = ..., event_start_interval: _Optional[int] = ..., event_intervals: _Optional[_Iterable[int]] = ...) -> None: ...

class Baseline(_message.Message):
    __slots__ = ("market_day", "asset_id", "enterprise_id", "method", "baseline_kw", "days_used", "adjustment", "note", "days_considered")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    BASELINE_KW_FIELD_NUMBER: _ClassVar[int]
    DAYS_USED_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    DAYS_CONSIDERED_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    asset_id: str
    enterprise_id: str
    method: BaselineMethod
    baseline_kw: _containers.RepeatedScalarFieldContainer[float]
    days_used: _containers.RepeatedScalarFieldContainer[str]
    adjustment: float
    note: str
    days_considered: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, market_day: _Optional[str] = ..., asset_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., method: _Optional[_Union[BaselineMethod, str]] = ..., baseline_kw: _Optional[_Iterable[float]] = ..., days_used: _Optional[_Iterable[str]] = ..., adjustment: _Optional[float] = ..., note: _Optional[str] = ..., days_considered: _Optional[_Iterable[str]] = ...) -> None: ...

class DispatchInstruction(_message.Message):
    __slots__ = ("instruction_id", "sequence", "enterprise_id", "asset_id", "market_day", "interval", "interval_start", "reduction_kw", "deadline", "status", "award_id", "revision", "supersedes", "superseded_by")
    INSTRUCTION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_START_FIELD_NUMBER: _ClassVar[int]
    REDUCTION_KW_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    AWARD_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDES_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_BY_FIELD_NUMBER: _ClassVar[int]
    instruction_id: str
    sequence: int
    enterprise_id: str
    asset_id: str
    market_day: str
    interval: int
    interval_start: _timestamp_pb2.Timestamp
    reduction_kw: float
    deadline: _timestamp_pb2.Timestamp
    status: DispatchStatus
    award_id: str
    revision: int
    supersedes: str
    superseded_by: str
    def __init__(self, instruction_id: _Optional[str] = ..., sequence: _Optional[int] = ..., enterprise_id: _Optional[str] = ..., asset_id: _Optional[str] = ..., market_day: _Optional[str] = ..., interval: _Optional[int] = ..., interval_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reduction_kw: _Optional[float] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[DispatchStatus, str]] = ..., award_id: _Optional[str] = ..., revision: _Optional[int] = ..., supersedes: _Optional[str] = ..., superseded_by: _Optional[str] = ...) -> None: ...

class SubscribeDispatchRequest(_message.Message):
    __slots__ = ("enterprise_id", "after_sequence", "until_caught_up")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_CAUGHT_UP_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    after_sequence: int
    until_caught_up: bool
    def __init__(self, enterprise_id: _Optional[str] = ..., after_sequence: _Optional[int] = ..., until_caught_up: _Optional[bool] = ...) -> None: ...

class AcknowledgeDispatchRequest(_message.Message):
    __slots__ = ("enterprise_id", "instruction_ids")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTION_IDS_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    instruction_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, enterprise_id: _Optional[str] = ..., instruction_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class AcknowledgeDispatchResponse(_message.Message):
    __slots__ = ("acknowledged", "last_acknowledged_sequence")
    ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    LAST_ACKNOWLEDGED_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    acknowledged: int
    last_acknowledged_sequence: int
    def __init__(self, acknowledged: _Optional[int] = ..., last_acknowledged_sequence: _Optional[int] = ...) -> None: ...

class ListDispatchRequest(_message.Message):
    __slots__ = ("market_day", "enterprise_id", "only_overdue")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    ONLY_OVERDUE_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    enterprise_id: str
    only_overdue: bool
    def __init__(self, market_day: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., only_overdue: _Optional[bool] = ...) -> None: ...

class ListDispatchResponse(_message.Message):
    __slots__ = ("instructions", "revision", "shortfall")
    INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    SHORTFALL_FIELD_NUMBER: _ClassVar[int]
    instructions: _containers.RepeatedCompositeFieldContainer[DispatchInstruction]
    revision: int
    shortfall: _containers.RepeatedCompositeFieldContainer[IntervalShortfall]
    def __init__(self, instructions: _Optional[_Iterable[_Union[DispatchInstruction, _Mapping]]] = ..., revision: _Optional[int] = ..., shortfall: _Optional[_Iterable[_Union[IntervalShortfall, _Mapping]]] = ...) -> None: ...

class IntervalShortfall(_message.Message):
    __slots__ = ("interval", "awarded_kw", "shortfall_kw")
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    AWARDED_KW_FIELD_NUMBER: _ClassVar[int]
    SHORTFALL_KW_FIELD_NUMBER: _ClassVar[int]
    interval: int
    awarded_kw: float
    shortfall_kw: float
    def __init__(self, interval: _Optional[int] = ..., awarded_kw: _Optional[float] = ..., shortfall_kw: _Optional[float] = ...) -> None: ...

class ReportAssetUnavailableRequest(_message.Message):
    __slots__ = ("request_id", "asset_id", "market_day", "from_interval", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    FROM_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    asset_id: str
    market_day: str
    from_interval: int
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., asset_id: _Optional[str] = ..., market_day: _Optional[str] = ..., from_interval: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class Redispatch(_message.Message):
    __slots__ = ("market_day", "revision", "from_interval", "failed_asset_ids", "instructions", "changes", "shortfall", "note")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    FROM_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    FAILED_ASSET_IDS_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    SHORTFALL_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    revision: int
    from_interval: int
    failed_asset_ids: _containers.RepeatedScalarFieldContainer[str]
    instructions: _containers.RepeatedCompositeFieldContainer[DispatchInstruction]
    changes: _containers.RepeatedCompositeFieldContainer[DispatchChange]
    shortfall: _containers.RepeatedCompositeFieldContainer[IntervalShortfall]
    note: str
    def __init__(self, market_day: _Optional[str] = ..., revision: _Optional[int] = ..., from_interval: _Optional[int] = ..., failed_asset_ids: _Optional[_Iterable[str]] = ..., instructions: _Optional[_Iterable[_Union[DispatchInstruction, _Mapping]]] = ..., changes: _Optional[_Iterable[_Union[DispatchChange, _Mapping]]] = ..., shortfall: _Optional[_Iterable[_Union[IntervalShortfall, _Mapping]]] = ..., note: _Optional[str] = ...) -> None: ...

class DispatchChange(_message.Message):
    __slots__ = ("asset_id", "enterprise_id", "energy_change_kwh")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    ENERGY_CHANGE_KWH_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    enterprise_id: str
    energy_change_kwh: float
    def __init__(self, asset_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., energy_change_kwh: _Optional[float] = ...) -> None: ...

class CheckDispatchFollowingRequest(_message.Message):
    __slots__ = ("market_day",)
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    def __init__(self, market_day: _Optional[str] = ...) -> None: ...

class AssetNotFollowing(_message.Message):
    __slots__ = ("asset_id", "enterprise_id", "intervals", "failed_from_interval")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVALS_FIELD_NUMBER: _ClassVar[int]
    FAILED_FROM_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    enterprise_id: str
    intervals: _containers.RepeatedScalarFieldContainer[int]
    failed_from_interval: int
    def __init__(self, asset_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., intervals: _Optional[_Iterable[int]] = ..., failed_from_interval: _Optional[int] = ...) -> None: ...

class DispatchFollowing(_message.Message):
    __slots__ = ("market_day", "intervals_checked", "not_following", "redispatch", "note")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    INTERVALS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    NOT_FOLLOWING_FIELD_NUMBER: _ClassVar[int]
    REDISPATCH_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    intervals_checked: int
    not_following: _containers.RepeatedCompositeFieldContainer[AssetNotFollowing]
    redispatch: Redispatch
    note: str
    def __init__(self, market_day: _Optional[str] = ..., intervals_checked: _Optional[int] = ..., not_following: _Optional[_Iterable[_Union[AssetNotFollowing, _Mapping]]] = ..., redispatch: _Optional[_Union[Redispatch, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class GetForecastAccuracyRequest(_message.Message):
    __slots__ = ("market_day", "asset_id", "enterprise_id", "holdout_days")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    HOLDOUT_DAYS_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    asset_id: str
    enterprise_id: str
    holdout_days: int
    def __init__(self, market_day: _Optional[str] = ..., asset_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., holdout_days: _Optional[int] = ...) -> None: ...

class AssetForecastAccuracy(_message.Message):
    __slots__ = ("asset_id", "mape_pct", "wape_pct", "days_evaluated", "days_skipped", "note")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    MAPE_PCT_FIELD_NUMBER: _ClassVar[int]
    WAPE_PCT_FIELD_NUMBER: _ClassVar[int]
    DAYS_EVALUATED_FIELD_NUMBER: _ClassVar[int]
    DAYS_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    mape_pct: float
    wape_pct: float
    days_evaluated: int
    days_skipped: int
    note: str
    def __init__(self, asset_id: _Optional[str] = ..., mape_pct: _Optional[float] = ..., wape_pct: _Optional[float] = ..., days_evaluated: _Optional[int] = ..., days_skipped: _Optional[int] = ..., note: _Optional[str] = ...) -> None: ...

class ForecastAccuracy(_message.Message):
    __slots__ = ("market_day", "method", "assets", "wape_pct")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    WAPE_PCT_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    method: str
    assets: _containers.RepeatedCompositeFieldContainer[AssetForecastAccuracy]
    wape_pct: float
    def __init__(self, market_day: _Optional[str] = ..., method: _Optional[str] = ..., assets: _Optional[_Iterable[_Union[AssetForecastAccuracy, _Mapping]]] = ..., wape_pct: _Optional[float] = ...) -> None: ...
