import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AssetKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSET_KIND_UNSPECIFIED: _ClassVar[AssetKind]
    ASSET_KIND_CURTAILABLE_LOAD: _ClassVar[AssetKind]
    ASSET_KIND_SHIFTABLE_LOAD: _ClassVar[AssetKind]
    ASSET_KIND_BATTERY: _ClassVar[AssetKind]
    ASSET_KIND_GENERATOR: _ClassVar[AssetKind]

class AssetStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSET_STATUS_UNSPECIFIED: _ClassVar[AssetStatus]
    ASSET_STATUS_PENDING: _ClassVar[AssetStatus]
    ASSET_STATUS_ACTIVE: _ClassVar[AssetStatus]
    ASSET_STATUS_WITHDRAWN: _ClassVar[AssetStatus]

class GeneratorTechnology(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GENERATOR_TECHNOLOGY_UNSPECIFIED: _ClassVar[GeneratorTechnology]
    GENERATOR_TECHNOLOGY_PV: _ClassVar[GeneratorTechnology]
    GENERATOR_TECHNOLOGY_WIND: _ClassVar[GeneratorTechnology]
ASSET_KIND_UNSPECIFIED: AssetKind
ASSET_KIND_CURTAILABLE_LOAD: AssetKind
ASSET_KIND_SHIFTABLE_LOAD: AssetKind
ASSET_KIND_BATTERY: AssetKind
ASSET_KIND_GENERATOR: AssetKind
ASSET_STATUS_UNSPECIFIED: AssetStatus
ASSET_STATUS_PENDING: AssetStatus
ASSET_STATUS_ACTIVE: AssetStatus
ASSET_STATUS_WITHDRAWN: AssetStatus
GENERATOR_TECHNOLOGY_UNSPECIFIED: GeneratorTechnology
GENERATOR_TECHNOLOGY_PV: GeneratorTechnology
GENERATOR_TECHNOLOGY_WIND: GeneratorTechnology

class Enterprise(_message.Message):
    __slots__ = ("enterprise_id", "name", "grid_area", "credit_code", "registered_at")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    GRID_AREA_FIELD_NUMBER: _ClassVar[int]
    CREDIT_CODE_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    name: str
    grid_area: str
    credit_code: str
    registered_at: _timestamp_pb2.Timestamp
    def __init__(self, enterprise_id: _Optional[str] = ..., name: _Optional[str] = ..., grid_area: _Optional[str] = ..., credit_code: _Optional[str] = ..., registered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RegisterEnterpriseRequest(_message.Message):
    __slots__ = ("enterprise_id", "name", "grid_area", "credit_code")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    GRID_AREA_FIELD_NUMBER: _ClassVar[int]
    CREDIT_CODE_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    name: str
    grid_area: str
    credit_code: str
    def __init__(self, enterprise_id: _Optional[str] = ..., name: _Optional[str] = ..., grid_area: _Optional[str] = ..., credit_code: _Optional[str] = ...) -> None: ...

class GetEnterpriseRequest(_message.Message):
    __slots__ = ("enterprise_id",)
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    def __init__(self, enterprise_id: _Optional[str] = ...) -> None: ...

class AvailabilityWindow(_message.Message):
    __slots__ = ("weekdays", "start_interval", "end_interval")
    WEEKDAYS_FIELD_NUMBER: _ClassVar[int]
    START_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    END_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    weekdays: _containers.RepeatedScalarFieldContainer[int]
    start_interval: int
    end_interval: int
    def __init__(self, weekdays: _Optional[_Iterable[int]] = ..., start_interval: _Optional[int] = ..., end_interval: _Optional[int] = ...) -> None: ...

class CurtailableLoad(_message.Message):
    __slots__ = ("max_curtailment_kw", "min_event_minutes", "max_event_minutes", "max_events_per_day", "notification_lead_minutes", "rebound_fraction", "availability", "curtailment_cost_fen_per_mwh")
    MAX_CURTAILMENT_KW_FIELD_NUMBER: _ClassVar[int]
    MIN_EVENT_MINUTES_FIELD_NUMBER: _ClassVar[int]
    MAX_EVENT_MINUTES_FIELD_NUMBER: _ClassVar[int]
    MAX_EVENTS_PER_DAY_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_LEAD_MINUTES_FIELD_NUMBER: _ClassVar[int]
    REBOUND_FRACTION_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    CURTAILMENT_COST_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    max_curtailment_kw: float
    min_event_minutes: int
    max_event_minutes: int
    max_events_per_day: int
    notification_lead_minutes: int
    rebound_fraction: float
    availability: _containers.RepeatedCompositeFieldContainer[AvailabilityWindow]
    curtailment_cost_fen_per_mwh: int
    def __init__(self, max_curtailment_kw: _Optional[float] = ..., min_event_minutes: _Optional[int] = ..., max_event_minutes: _Optional[int] = ..., max_events_per_day: _Optional[int] = ..., notification_lead_minutes: _Optional[int] = ..., rebound_fraction: _Optional[float] = ..., availability: _Optional[_Iterable[_Union[AvailabilityWindow, _Mapping]]] = ..., curtailment_cost_fen_per_mwh: _Optional[int] = ...) -> None: ...

class ShiftableLoad(_message.Message):
    __slots__ = ("energy_per_run_kwh", "run_duration_minutes", "earliest_start_interval", "latest_end_interval", "power_kw")
    ENERGY_PER_RUN_KWH_FIELD_NUMBER: _ClassVar[int]
    RUN_DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    EARLIEST_START_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    LATEST_END_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    POWER_KW_FIELD_NUMBER: _ClassVar[int]
    energy_per_run_kwh: float
    run_duration_minutes: int
    earliest_start_interval: int
    latest_end_interval: int
    power_kw: float
    def __init__(self, energy_per_run_kwh: _Optional[float] = ..., run_duration_minutes: _Optional[int] = ..., earliest_start_interval: _Optional[int] = ..., latest_end_interval: _Optional[int] = ..., power_kw: _Optional[float] = ...) -> None: ...

class Battery(_message.Message):
    __slots__ = ("energy_capacity_kwh", "max_charge_kw", "max_discharge_kw", "round_trip_efficiency", "charge_efficiency", "discharge_efficiency", "soc_min", "soc_max", "initial_soc", "degradation_cost_fen_per_mwh")
    ENERGY_CAPACITY_KWH_FIELD_NUMBER: _ClassVar[int]
    MAX_CHARGE_KW_FIELD_NUMBER: _ClassVar[int]
    MAX_DISCHARGE_KW_FIELD_NUMBER: _ClassVar[int]
    ROUND_TRIP_EFFICIENCY_FIELD_NUMBER: _ClassVar[int]
    CHARGE_EFFICIENCY_FIELD_NUMBER: _ClassVar[int]
    DISCHARGE_EFFICIENCY_FIELD_NUMBER: _ClassVar[int]
    SOC_MIN_FIELD_NUMBER: _ClassVar[int]
    SOC_MAX_FIELD_NUMBER: _ClassVar[int]
    INITIAL_SOC_FIELD_NUMBER: _ClassVar[int]
    DEGRADATION_COST_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    energy_capacity_kwh: float
    max_charge_kw: float
    max_discharge_kw: float
    round_trip_efficiency: float
    charge_efficiency: float
    discharge_efficiency: float
    soc_min: float
    soc_max: float
    initial_soc: float
    degradation_cost_fen_per_mwh: int
    def __init__(self, energy_capacity_kwh: _Optional[float] = ..., max_charge_kw: _Optional[float] = ..., max_discharge_kw: _Optional[float] = ..., round_trip_efficiency: _Optional[float] = ..., charge_efficiency: _Optional[float] = ..., discharge_efficiency: _Optional[float] = ..., soc_min: _Optional[float] = ..., soc_max: _Optional[float] = ..., initial_soc: _Optional[float] = ..., degradation_cost_fen_per_mwh: _Optional[int] = ...) -> None: ...

class Generator(_message.Message):
    __slots__ = ("capacity_kw", "technology", "grid_connection_id")
    CAPACITY_KW_FIELD_NUMBER: _ClassVar[int]
    TECHNOLOGY_FIELD_NUMBER: _ClassVar[int]
    GRID_CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    capacity_kw: float
    technology: GeneratorTechnology
    grid_connection_id: str
    def __init__(self, capacity_kw: _Optional[float] = ..., technology: _Optional[_Union[GeneratorTechnology, str]] = ..., grid_connection_id: _Optional[str] = ...) -> None: ...

class AssetSpec(_message.Message):
    __slots__ = ("curtailable_load", "shiftable_load", "battery", "generator")
    CURTAILABLE_LOAD_FIELD_NUMBER: _ClassVar[int]
    SHIFTABLE_LOAD_FIELD_NUMBER: _ClassVar[int]
    BATTERY_FIELD_NUMBER: _ClassVar[int]
    GENERATOR_FIELD_NUMBER: _ClassVar[int]
    curtailable_load: CurtailableLoad
    shiftable_load: ShiftableLoad
    battery: Battery
    generator: Generator
    def __init__(self, curtailable_load: _Optional[_Union[CurtailableLoad, _Mapping]] = ..., shiftable_load: _Optional[_Union[ShiftableLoad, _Mapping]] = ..., battery: _Optional[_Union[Battery, _Mapping]] = ..., generator: _Optional[_Union[Generator, _Mapping]] = ...) -> None: ...

class Asset(_message.Message):
    __slots__ = ("asset_id", "enterprise_id", "name", "kind", "status", "spec", "version", "created_at", "updated_at")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    enterprise_id: str
    name: str
    kind: AssetKind
    status: AssetStatus
    spec: AssetSpec
    version: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, asset_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[AssetKind, str]] = ..., status: _Optional[_Union[AssetStatus, str]] = ..., spec: _Optional[_Union[AssetSpec, _Mapping]] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EnrollAssetRequest(_message.Message):
    __slots__ = ("request_id", "enterprise_id", "name", "spec", "asset_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    enterprise_id: str
    name: str
    spec: AssetSpec
    asset_id: str
    def __init__(self, request_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., name: _Optional[str] = ..., spec: _Optional[_Union[AssetSpec, _Mapping]] = ..., asset_id: _Optional[str] = ...) -> None: ...

class UpdateAssetRequest(_message.Message):
    __slots__ = ("asset_id", "name", "spec", "expected_version")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    name: str
    spec: AssetSpec
    expected_version: int
    def __init__(self, asset_id: _Optional[str] = ..., name: _Optional[str] = ..., spec: _Optional[_Union[AssetSpec, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class WithdrawAssetRequest(_message.Message):
    __slots__ = ("asset_id", "reason")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    reason: str
    def __init__(self, asset_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ApproveAssetRequest(_message.Message):
    __slots__ = ("asset_id",)
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    def __init__(self, asset_id: _Optional[str] = ...) -> None: ...

class GetAssetRequest(_message.Message):
    __slots__ = ("asset_id",)
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    def __init__(self, asset_id: _Optional[str] = ...) -> None: ...

class ListAssetsRequest(_message.Message):
    __slots__ = ("enterprise_id", "kind", "status", "page_size", "page_token")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    kind: AssetKind
    status: AssetStatus
    page_size: int
    page_token: str
    def __init__(self, enterprise_id: _Optional[str] = ..., kind: _Optional[_Union[AssetKind, str]] = ..., status: _Optional[_Union[AssetStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAssetsResponse(_message.Message):
    __slots__ = ("assets", "next_page_token")
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    assets: _containers.RepeatedCompositeFieldContainer[Asset]
    next_page_token: str
    def __init__(self, assets: _Optional[_Iterable[_Union[Asset, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetAssetHistoryRequest(_message.Message):
    __slots__ = ("asset_id",)
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    def __init__(self, asset_id: _Optional[str] = ...) -> None: ...

class AssetChange(_message.Message):
    __slots__ = ("changed_at", "actor", "action", "asset")
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    changed_at: _timestamp_pb2.Timestamp
    actor: str
    action: str
    asset: Asset
    def __init__(self, changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., asset: _Optional[_Union[Asset, _Mapping]] = ...) -> None: ...

class AssetHistory(_message.Message):
    __slots__ = ("asset_id", "changes")
    ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    asset_id: str
    changes: _containers.RepeatedCompositeFieldContainer[AssetChange]
    def __init__(self, asset_id: _Optional[str] = ..., changes: _Optional[_Iterable[_Union[AssetChange, _Mapping]]] = ...) -> None: ...
