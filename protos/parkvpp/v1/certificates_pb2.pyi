import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from parkvpp.v1 import bidding_pb2 as _bidding_pb2
from parkvpp.v1 import enrollment_pb2 as _enrollment_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LotStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOT_STATUS_UNSPECIFIED: _ClassVar[LotStatus]
    LOT_STATUS_ACTIVE: _ClassVar[LotStatus]
    LOT_STATUS_RETIRED: _ClassVar[LotStatus]
    LOT_STATUS_EXPIRED: _ClassVar[LotStatus]

class GreenTradeState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GREEN_TRADE_STATE_UNSPECIFIED: _ClassVar[GreenTradeState]
    GREEN_TRADE_STATE_PROPOSED: _ClassVar[GreenTradeState]
    GREEN_TRADE_STATE_ACCEPTED: _ClassVar[GreenTradeState]
    GREEN_TRADE_STATE_SETTLED: _ClassVar[GreenTradeState]
    GREEN_TRADE_STATE_EXPIRED: _ClassVar[GreenTradeState]
    GREEN_TRADE_STATE_REJECTED: _ClassVar[GreenTradeState]

class MandateScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MANDATE_SCOPE_UNSPECIFIED: _ClassVar[MandateScope]
    MANDATE_SCOPE_BUY_GREEN: _ClassVar[MandateScope]
    MANDATE_SCOPE_RETIRE_FOR: _ClassVar[MandateScope]

class MandateState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MANDATE_STATE_UNSPECIFIED: _ClassVar[MandateState]
    MANDATE_STATE_ACTIVE: _ClassVar[MandateState]
    MANDATE_STATE_REVOKED: _ClassVar[MandateState]
    MANDATE_STATE_EXPIRED: _ClassVar[MandateState]

class ShortfallRule(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SHORTFALL_RULE_UNSPECIFIED: _ClassVar[ShortfallRule]
    SHORTFALL_RULE_COMPENSATE: _ClassVar[ShortfallRule]
    SHORTFALL_RULE_CARRY: _ClassVar[ShortfallRule]

class SurplusRule(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SURPLUS_RULE_UNSPECIFIED: _ClassVar[SurplusRule]
    SURPLUS_RULE_REFUSE: _ClassVar[SurplusRule]
    SURPLUS_RULE_TAKE: _ClassVar[SurplusRule]

class GreenContractCurve(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GREEN_CONTRACT_CURVE_UNSPECIFIED: _ClassVar[GreenContractCurve]
    GREEN_CONTRACT_CURVE_MONTHLY: _ClassVar[GreenContractCurve]
    GREEN_CONTRACT_CURVE_HOURLY: _ClassVar[GreenContractCurve]

class GreenContractState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GREEN_CONTRACT_STATE_UNSPECIFIED: _ClassVar[GreenContractState]
    GREEN_CONTRACT_STATE_PROPOSED: _ClassVar[GreenContractState]
    GREEN_CONTRACT_STATE_ACCEPTED: _ClassVar[GreenContractState]
    GREEN_CONTRACT_STATE_REJECTED: _ClassVar[GreenContractState]
    GREEN_CONTRACT_STATE_EXPIRED: _ClassVar[GreenContractState]
    GREEN_CONTRACT_STATE_COMPLETED: _ClassVar[GreenContractState]
LOT_STATUS_UNSPECIFIED: LotStatus
LOT_STATUS_ACTIVE: LotStatus
LOT_STATUS_RETIRED: LotStatus
LOT_STATUS_EXPIRED: LotStatus
GREEN_TRADE_STATE_UNSPECIFIED: GreenTradeState
GREEN_TRADE_STATE_PROPOSED: GreenTradeState
GREEN_TRADE_STATE_ACCEPTED: GreenTradeState
GREEN_TRADE_STATE_SETTLED: GreenTradeState
GREEN_TRADE_STATE_EXPIRED: GreenTradeState
GREEN_TRADE_STATE_REJECTED: GreenTradeState
MANDATE_SCOPE_UNSPECIFIED: MandateScope
MANDATE_SCOPE_BUY_GREEN: MandateScope
MANDATE_SCOPE_RETIRE_FOR: MandateScope
MANDATE_STATE_UNSPECIFIED: MandateState
MANDATE_STATE_ACTIVE: MandateState
MANDATE_STATE_REVOKED: MandateState
MANDATE_STATE_EXPIRED: MandateState
SHORTFALL_RULE_UNSPECIFIED: ShortfallRule
SHORTFALL_RULE_COMPENSATE: ShortfallRule
SHORTFALL_RULE_CARRY: ShortfallRule
SURPLUS_RULE_UNSPECIFIED: SurplusRule
SURPLUS_RULE_REFUSE: SurplusRule
SURPLUS_RULE_TAKE: SurplusRule
GREEN_CONTRACT_CURVE_UNSPECIFIED: GreenContractCurve
GREEN_CONTRACT_CURVE_MONTHLY: GreenContractCurve
GREEN_CONTRACT_CURVE_HOURLY: GreenContractCurve
GREEN_CONTRACT_STATE_UNSPECIFIED: GreenContractState
GREEN_CONTRACT_STATE_PROPOSED: GreenContractState
GREEN_CONTRACT_STATE_ACCEPTED: GreenContractState
GREEN_CONTRACT_STATE_REJECTED: GreenContractState
GREEN_CONTRACT_STATE_EXPIRED: GreenContractState
GREEN_CONTRACT_STATE_COMPLETED: GreenContractState

class Lot(_message.Message):
    __slots__ = ("lot_id", "generator_asset_id", "technology", "grid_area", "production_hour_start", "energy_wh", "serial_start", "serial_end", "owner_enterprise_id", "status", "beneficiary_enterprise_id", "consumption_period_start", "consumption_period_end", "parent_lot_id", "trade_id", "expires_at")
    LOT_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATOR_ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    TECHNOLOGY_FIELD_NUMBER: _ClassVar[int]
    GRID_AREA_FIELD_NUMBER: _ClassVar[int]
    PRODUCTION_HOUR_START_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    SERIAL_START_FIELD_NUMBER: _ClassVar[int]
    SERIAL_END_FIELD_NUMBER: _ClassVar[int]
    OWNER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BENEFICIARY_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    CONSUMPTION_PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    CONSUMPTION_PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    PARENT_LOT_ID_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    lot_id: str
    generator_asset_id: str
    technology: _enrollment_pb2.GeneratorTechnology
    grid_area: str
    production_hour_start: _timestamp_pb2.Timestamp
    energy_wh: int
    serial_start: int
    serial_end: int
    owner_enterprise_id: str
    status: LotStatus
    beneficiary_enterprise_id: str
    consumption_period_start: _timestamp_pb2.Timestamp
    consumption_period_end: _timestamp_pb2.Timestamp
    parent_lot_id: str
    trade_id: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, lot_id: _Optional[str] = ..., generator_asset_id: _Optional[str] = ..., technology: _Optional[_Union[_enrollment_pb2.GeneratorTechnology, str]] = ..., grid_area: _Optional[str] = ..., production_hour_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., energy_wh: _Optional[int] = ..., serial_start: _Optional[int] = ..., serial_end: _Optional[int] = ..., owner_enterprise_id: _Optional[str] = ..., status: _Optional[_Union[LotStatus, str]] = ..., beneficiary_enterprise_id: _Optional[str] = ..., consumption_period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., consumption_period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., parent_lot_id: _Optional[str] = ..., trade_id: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class IssueCertificatesRequest(_message.Message):
    __slots__ = ("request_id", "generator_asset_id", "period_start", "period_end")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATOR_ASSET_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    generator_asset_id: str
    period_start: _timestamp_pb2.Timestamp
    period_end: _timestamp_pb2.Timestamp
    def __init__(self, request_id: _Optional[str] = ..., generator_asset_id: _Optional[str] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class IssueCertificatesResponse(_message.Message):
    __slots__ = ("lots", "energy_wh")
    LOTS_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    lots: _containers.RepeatedCompositeFieldContainer[Lot]
    energy_wh: int
    def __init__(self, lots: _Optional[_Iterable[_Union[Lot, _Mapping]]] = ..., energy_wh: _Optional[int] = ...) -> None: ...

class TransferRequest(_message.Message):
    __slots__ = ("request_id", "lot_id", "from_enterprise_id", "to_enterprise_id", "energy_wh", "trade_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LOT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    lot_id: str
    from_enterprise_id: str
    to_enterprise_id: str
    energy_wh: int
    trade_id: str
    def __init__(self, request_id: _Optional[str] = ..., lot_id: _Optional[str] = ..., from_enterprise_id: _Optional[str] = ..., to_enterprise_id: _Optional[str] = ..., energy_wh: _Optional[int] = ..., trade_id: _Optional[str] = ...) -> None: ...

class TransferResponse(_message.Message):
    __slots__ = ("transferred", "remainder")
    TRANSFERRED_FIELD_NUMBER: _ClassVar[int]
    REMAINDER_FIELD_NUMBER: _ClassVar[int]
    transferred: Lot
    remainder: Lot
    def __init__(self, transferred: _Optional[_Union[Lot, _Mapping]] = ..., remainder: _Optional[_Union[Lot, _Mapping]] = ...) -> None: ...

class RetireRequest(_message.Message):
    __slots__ = ("request_id", "lot_id", "owner_enterprise_id", "beneficiary_enterprise_id", "energy_wh", "consumption_period_start", "consumption_period_end")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LOT_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    BENEFICIARY_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    CONSUMPTION_PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    CONSUMPTION_PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    lot_id: str
    owner_enterprise_id: str
    beneficiary_enterprise_id: str
    energy_wh: int
    consumption_period_start: _timestamp_pb2.Timestamp
    consumption_period_end: _timestamp_pb2.Timestamp
    def __init__(self, request_id: _Optional[str] = ..., lot_id: _Optional[str] = ..., owner_enterprise_id: _Optional[str] = ..., beneficiary_enterprise_id: _Optional[str] = ..., energy_wh: _Optional[int] = ..., consumption_period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., consumption_period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RetireResponse(_message.Message):
    __slots__ = ("retired", "remainder")
    RETIRED_FIELD_NUMBER: _ClassVar[int]
    REMAINDER_FIELD_NUMBER: _ClassVar[int]
    retired: Lot
    remainder: Lot
    def __init__(self, retired: _Optional[_Union[Lot, _Mapping]] = ..., remainder: _Optional[_Union[Lot, _Mapping]] = ...) -> None: ...

class GetBalanceRequest(_message.Message):
    __slots__ = ("enterprise_id",)
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    def __init__(self, enterprise_id: _Optional[str] = ...) -> None: ...

class Balance(_message.Message):
    __slots__ = ("enterprise_id", "active_wh", "retired_wh", "active_gec", "active_remainder_wh", "expired_wh")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_WH_FIELD_NUMBER: _ClassVar[int]
    RETIRED_WH_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_GEC_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_REMAINDER_WH_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_WH_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    active_wh: int
    retired_wh: int
    active_gec: int
    active_remainder_wh: int
    expired_wh: int
    def __init__(self, enterprise_id: _Optional[str] = ..., active_wh: _Optional[int] = ..., retired_wh: _Optional[int] = ..., active_gec: _Optional[int] = ..., active_remainder_wh: _Optional[int] = ..., expired_wh: _Optional[int] = ...) -> None: ...

class ListLotsRequest(_message.Message):
    __slots__ = ("owner_enterprise_id", "status", "page_size", "page_token")
    OWNER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    owner_enterprise_id: str
    status: LotStatus
    page_size: int
    page_token: str
    def __init__(self, owner_enterprise_id: _Optional[str] = ..., status: _Optional[_Union[LotStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLotsResponse(_message.Message):
    __slots__ = ("lots", "next_page_token")
    LOTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    lots: _containers.RepeatedCompositeFieldContainer[Lot]
    next_page_token: str
    def __init__(self, lots: _Optional[_Iterable[_Union[Lot, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetCarbonFootprintRequest(_message.Message):
    __slots__ = ("enterprise_id", "from_market_day", "to_market_day")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    TO_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    from_market_day: str
    to_market_day: str
    def __init__(self, enterprise_id: _Optional[str] = ..., from_market_day: _Optional[str] = ..., to_market_day: _Optional[str] = ...) -> None: ...

class CarbonFootprint(_message.Message):
    __slots__ = ("enterprise_id", "from_market_day", "to_market_day", "consumption_wh", "retired_certificate_wh", "grid_emission_factor_kg_per_kwh", "residual_mix_factor_kg_per_kwh", "location_based_kg_co2e", "market_based_kg_co2e", "hourly_matched_cfe_share", "annual_matched_share", "grid_factor_basis", "location_based_g_co2e", "market_based_g_co2e", "hourly_market_based_g_co2e", "claimed_certificate_wh", "hourly_matched_wh", "residual_factor_basis")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    TO_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    CONSUMPTION_WH_FIELD_NUMBER: _ClassVar[int]
    RETIRED_CERTIFICATE_WH_FIELD_NUMBER: _ClassVar[int]
    GRID_EMISSION_FACTOR_KG_PER_KWH_FIELD_NUMBER: _ClassVar[int]
    RESIDUAL_MIX_FACTOR_KG_PER_KWH_FIELD_NUMBER: _ClassVar[int]
    LOCATION_BASED_KG_CO2E_FIELD_NUMBER: _ClassVar[int]
    MARKET_BASED_KG_CO2E_FIELD_NUMBER: _ClassVar[int]
    HOURLY_MATCHED_CFE_SHARE_FIELD_NUMBER: _ClassVar[int]
    ANNUAL_MATCHED_SHARE_FIELD_NUMBER: _ClassVar[int]
    GRID_FACTOR_BASIS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_BASED_G_CO2E_FIELD_NUMBER: _ClassVar[int]
    MARKET_BASED_G_CO2E_FIELD_NUMBER: _ClassVar[int]
    HOURLY_MARKET_BASED_G_CO2E_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_CERTIFICATE_WH_FIELD_NUMBER: _ClassVar[int]
    HOURLY_MATCHED_WH_FIELD_NUMBER: _ClassVar[int]
    RESIDUAL_FACTOR_BASIS_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    from_market_day: str
    to_market_day: str
    consumption_wh: int
    retired_certificate_wh: int
    grid_emission_factor_kg_per_kwh: float
    residual_mix_factor_kg_per_kwh: float
    location_based_kg_co2e: float
    market_based_kg_co2e: float
    hourly_matched_cfe_share: float
    annual_matched_share: float
    grid_factor_basis: str
    location_based_g_co2e: int
    market_based_g_co2e: int
    hourly_market_based_g_co2e: int
    claimed_certificate_wh: int
    hourly_matched_wh: int
    residual_factor_basis: str
    def __init__(self, enterprise_id: _Optional[str] = ..., from_market_day: _Optional[str] = ..., to_market_day: _Optional[str] = ..., consumption_wh: _Optional[int] = ..., retired_certificate_wh: _Optional[int] = ..., grid_emission_factor_kg_per_kwh: _Optional[float] = ..., residual_mix_factor_kg_per_kwh: _Optional[float] = ..., location_based_kg_co2e: _Optional[float] = ..., market_based_kg_co2e: _Optional[float] = ..., hourly_matched_cfe_share: _Optional[float] = ..., annual_matched_share: _Optional[float] = ..., grid_factor_basis: _Optional[str] = ..., location_based_g_co2e: _Optional[int] = ..., market_based_g_co2e: _Optional[int] = ..., hourly_market_based_g_co2e: _Optional[int] = ..., claimed_certificate_wh: _Optional[int] = ..., hourly_matched_wh: _Optional[int] = ..., residual_factor_basis: _Optional[str] = ...) -> None: ...

class GetParkIndicatorsRequest(_message.Message):
    __slots__ = ("from_market_day", "to_market_day")
    FROM_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    TO_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    from_market_day: str
    to_market_day: str
    def __init__(self, from_market_day: _Optional[str] = ..., to_market_day: _Optional[str] = ...) -> None: ...

class ParkIndicators(_message.Message):
    __slots__ = ("from_market_day", "to_market_day", "consumption_wh", "onsite_renewable_generation_wh", "certificates_issued_wh", "certificates_retired_wh", "green_power_share", "location_based_kg_co2e", "market_based_kg_co2e", "total_energy_tce", "electricity_tce", "fuel_tce", "clean_energy_tce", "emissions_t_co2", "electricity_conversion", "electricity_kgce_per_kwh", "annual_energy_tce", "carbon_intensity", "clean_energy_share", "location_based_g_co2e", "market_based_g_co2e", "emissions_g_co2")
    FROM_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    TO_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    CONSUMPTION_WH_FIELD_NUMBER: _ClassVar[int]
    ONSITE_RENEWABLE_GENERATION_WH_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATES_ISSUED_WH_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATES_RETIRED_WH_FIELD_NUMBER: _ClassVar[int]
    GREEN_POWER_SHARE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_BASED_KG_CO2E_FIELD_NUMBER: _ClassVar[int]
    MARKET_BASED_KG_CO2E_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ENERGY_TCE_FIELD_NUMBER: _ClassVar[int]
    ELECTRICITY_TCE_FIELD_NUMBER: _ClassVar[int]
    FUEL_TCE_FIELD_NUMBER: _ClassVar[int]
    CLEAN_ENERGY_TCE_FIELD_NUMBER: _ClassVar[int]
    EMISSIONS_T_CO2_FIELD_NUMBER: _ClassVar[int]
    ELECTRICITY_CONVERSION_FIELD_NUMBER: _ClassVar[int]
    ELECTRICITY_KGCE_PER_KWH_FIELD_NUMBER: _ClassVar[int]
    ANNUAL_ENERGY_TCE_FIELD_NUMBER: _ClassVar[int]
    CARBON_INTENSITY_FIELD_NUMBER: _ClassVar[int]
    CLEAN_ENERGY_SHARE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_BASED_G_CO2E_FIELD_NUMBER: _ClassVar[int]
    MARKET_BASED_G_CO2E_FIELD_NUMBER: _ClassVar[int]
    EMISSIONS_G_CO2_FIELD_NUMBER: _ClassVar[int]
    from_market_day: str
    to_market_day: str
    consumption_wh: int
    onsite_renewable_generation_wh: int
    certificates_issued_wh: int
    certificates_retired_wh: int
    green_power_share: float
    location_based_kg_co2e: float
    market_based_kg_co2e: float
    total_energy_tce: float
    electricity_tce: float
    fuel_tce: float
    clean_energy_tce: float
    emissions_t_co2: float
    electricity_conversion: str
    electricity_kgce_per_kwh: float
    annual_energy_tce: float
    carbon_intensity: ZeroCarbonIndicator
    clean_energy_share: ZeroCarbonIndicator
    location_based_g_co2e: int
    market_based_g_co2e: int
    emissions_g_co2: int
    def __init__(self, from_market_day: _Optional[str] = ..., to_market_day: _Optional[str] = ..., consumption_wh: _Optional[int] = ..., onsite_renewable_generation_wh: _Optional[int] = ..., certificates_issued_wh: _Optional[int] = ..., certificates_retired_wh: _Optional[int] = ..., green_power_share: _Optional[float] = ..., location_based_kg_co2e: _Optional[float] = ..., market_based_kg_co2e: _Optional[float] = ..., total_energy_tce: _Optional[float] = ..., electricity_tce: _Optional[float] = ..., fuel_tce: _Optional[float] = ..., clean_energy_tce: _Optional[float] = ..., emissions_t_co2: _Optional[float] = ..., electricity_conversion: _Optional[str] = ..., electricity_kgce_per_kwh: _Optional[float] = ..., annual_energy_tce: _Optional[float] = ..., carbon_intensity: _Optional[_Union[ZeroCarbonIndicator, _Mapping]] = ..., clean_energy_share: _Optional[_Union[ZeroCarbonIndicator, _Mapping]] = ..., location_based_g_co2e: _Optional[int] = ..., market_based_g_co2e: _Optional[int] = ..., emissions_g_co2: _Optional[int] = ...) -> None: ...

class ZeroCarbonIndicator(_message.Message):
    __slots__ = ("name", "value", "threshold", "passed", "gap", "basis")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    GAP_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: float
    threshold: float
    passed: bool
    gap: float
    basis: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[float] = ..., threshold: _Optional[float] = ..., passed: _Optional[bool] = ..., gap: _Optional[float] = ..., basis: _Optional[str] = ...) -> None: ...

class ReportFuelUseRequest(_message.Message):
    __slots__ = ("request_id", "enterprise_id", "month", "fuel", "quantity", "unit")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    FUEL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    enterprise_id: str
    month: str
    fuel: str
    quantity: int
    unit: str
    def __init__(self, request_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., month: _Optional[str] = ..., fuel: _Optional[str] = ..., quantity: _Optional[int] = ..., unit: _Optional[str] = ...) -> None: ...

class FuelUse(_message.Message):
    __slots__ = ("enterprise_id", "month", "fuel", "quantity", "unit", "revision", "request_id", "reported_at", "energy_tce", "kg_co2", "g_co2")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    FUEL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENERGY_TCE_FIELD_NUMBER: _ClassVar[int]
    KG_CO2_FIELD_NUMBER: _ClassVar[int]
    G_CO2_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    month: str
    fuel: str
    quantity: int
    unit: str
    revision: int
    request_id: str
    reported_at: _timestamp_pb2.Timestamp
    energy_tce: float
    kg_co2: float
    g_co2: int
    def __init__(self, enterprise_id: _Optional[str] = ..., month: _Optional[str] = ..., fuel: _Optional[str] = ..., quantity: _Optional[int] = ..., unit: _Optional[str] = ..., revision: _Optional[int] = ..., request_id: _Optional[str] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., energy_tce: _Optional[float] = ..., kg_co2: _Optional[float] = ..., g_co2: _Optional[int] = ...) -> None: ...

class ListFuelUseRequest(_message.Message):
    __slots__ = ("enterprise_id", "from_month", "to_month", "include_corrections")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_MONTH_FIELD_NUMBER: _ClassVar[int]
    TO_MONTH_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CORRECTIONS_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    from_month: str
    to_month: str
    include_corrections: bool
    def __init__(self, enterprise_id: _Optional[str] = ..., from_month: _Optional[str] = ..., to_month: _Optional[str] = ..., include_corrections: _Optional[bool] = ...) -> None: ...

class ListFuelUseResponse(_message.Message):
    __slots__ = ("uses", "energy_tce", "kg_co2", "g_co2")
    USES_FIELD_NUMBER: _ClassVar[int]
    ENERGY_TCE_FIELD_NUMBER: _ClassVar[int]
    KG_CO2_FIELD_NUMBER: _ClassVar[int]
    G_CO2_FIELD_NUMBER: _ClassVar[int]
    uses: _containers.RepeatedCompositeFieldContainer[FuelUse]
    energy_tce: float
    kg_co2: float
    g_co2: int
    def __init__(self, uses: _Optional[_Iterable[_Union[FuelUse, _Mapping]]] = ..., energy_tce: _Optional[float] = ..., kg_co2: _Optional[float] = ..., g_co2: _Optional[int] = ...) -> None: ...

class ProductOutput(_message.Message):
    __slots__ = ("product_line", "output_quantity", "unit")
    PRODUCT_LINE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    product_line: str
    output_quantity: int
    unit: str
    def __init__(self, product_line: _Optional[str] = ..., output_quantity: _Optional[int] = ..., unit: _Optional[str] = ...) -> None: ...

class GetProductFootprintRequest(_message.Message):
    __slots__ = ("enterprise_id", "from_market_day", "to_market_day", "outputs")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    TO_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    from_market_day: str
    to_market_day: str
    outputs: _containers.RepeatedCompositeFieldContainer[ProductOutput]
    def __init__(self, enterprise_id: _Optional[str] = ..., from_market_day: _Optional[str] = ..., to_market_day: _Optional[str] = ..., outputs: _Optional[_Iterable[_Union[ProductOutput, _Mapping]]] = ...) -> None: ...

class ProductLineFootprint(_message.Message):
    __slots__ = ("product_line", "output_quantity", "unit", "location_based_g_co2e", "market_based_g_co2e", "claimed_certificate_wh")
    PRODUCT_LINE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    LOCATION_BASED_G_CO2E_FIELD_NUMBER: _ClassVar[int]
    MARKET_BASED_G_CO2E_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_CERTIFICATE_WH_FIELD_NUMBER: _ClassVar[int]
    product_line: str
    output_quantity: int
    unit: str
    location_based_g_co2e: int
    market_based_g_co2e: int
    claimed_certificate_wh: int
    def __init__(self, product_line: _Optional[str] = ..., output_quantity: _Optional[int] = ..., unit: _Optional[str] = ..., location_based_g_co2e: _Optional[int] = ..., market_based_g_co2e: _Optional[int] = ..., claimed_certificate_wh: _Optional[int] = ...) -> None: ...

class ProductFootprint(_message.Message):
    __slots__ = ("enterprise_id", "from_market_day", "to_market_day", "location_based_g_co2e", "market_based_g_co2e", "fuel_g_co2e", "claimed_certificate_wh", "lines")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    TO_MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    LOCATION_BASED_G_CO2E_FIELD_NUMBER: _ClassVar[int]
    MARKET_BASED_G_CO2E_FIELD_NUMBER: _ClassVar[int]
    FUEL_G_CO2E_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_CERTIFICATE_WH_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    from_market_day: str
    to_market_day: str
    location_based_g_co2e: int
    market_based_g_co2e: int
    fuel_g_co2e: int
    claimed_certificate_wh: int
    lines: _containers.RepeatedCompositeFieldContainer[ProductLineFootprint]
    def __init__(self, enterprise_id: _Optional[str] = ..., from_market_day: _Optional[str] = ..., to_market_day: _Optional[str] = ..., location_based_g_co2e: _Optional[int] = ..., market_based_g_co2e: _Optional[int] = ..., fuel_g_co2e: _Optional[int] = ..., claimed_certificate_wh: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[ProductLineFootprint, _Mapping]]] = ...) -> None: ...

class ProposeGreenTradeRequest(_message.Message):
    __slots__ = ("request_id", "trade_id", "lot_id", "seller_enterprise_id", "buyer_enterprise_id", "energy_wh", "price_fen_per_mwh", "valid_for_s")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    LOT_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    VALID_FOR_S_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    trade_id: str
    lot_id: str
    seller_enterprise_id: str
    buyer_enterprise_id: str
    energy_wh: int
    price_fen_per_mwh: int
    valid_for_s: int
    def __init__(self, request_id: _Optional[str] = ..., trade_id: _Optional[str] = ..., lot_id: _Optional[str] = ..., seller_enterprise_id: _Optional[str] = ..., buyer_enterprise_id: _Optional[str] = ..., energy_wh: _Optional[int] = ..., price_fen_per_mwh: _Optional[int] = ..., valid_for_s: _Optional[int] = ...) -> None: ...

class AcceptGreenTradeRequest(_message.Message):
    __slots__ = ("request_id", "trade_id", "buyer_enterprise_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    trade_id: str
    buyer_enterprise_id: str
    def __init__(self, request_id: _Optional[str] = ..., trade_id: _Optional[str] = ..., buyer_enterprise_id: _Optional[str] = ...) -> None: ...

class RejectGreenTradeRequest(_message.Message):
    __slots__ = ("request_id", "trade_id", "buyer_enterprise_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    trade_id: str
    buyer_enterprise_id: str
    def __init__(self, request_id: _Optional[str] = ..., trade_id: _Optional[str] = ..., buyer_enterprise_id: _Optional[str] = ...) -> None: ...

class SettleGreenTradeRequest(_message.Message):
    __slots__ = ("request_id", "trade_id", "lot_id", "seller_enterprise_id", "buyer_enterprise_id", "energy_wh", "price_fen_per_mwh")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    LOT_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    trade_id: str
    lot_id: str
    seller_enterprise_id: str
    buyer_enterprise_id: str
    energy_wh: int
    price_fen_per_mwh: int
    def __init__(self, request_id: _Optional[str] = ..., trade_id: _Optional[str] = ..., lot_id: _Optional[str] = ..., seller_enterprise_id: _Optional[str] = ..., buyer_enterprise_id: _Optional[str] = ..., energy_wh: _Optional[int] = ..., price_fen_per_mwh: _Optional[int] = ...) -> None: ...

class GreenTrade(_message.Message):
    __slots__ = ("trade_id", "request_id", "seller_enterprise_id", "buyer_enterprise_id", "source_lot_id", "bought", "energy_wh", "price_fen_per_mwh", "amount_fen", "settled_at", "remainder", "state", "proposed_at", "expires_at", "accepted_at", "accepted_by", "mandate_id", "settled_by", "proposal_request_id")
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LOT_ID_FIELD_NUMBER: _ClassVar[int]
    BOUGHT_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    SETTLED_AT_FIELD_NUMBER: _ClassVar[int]
    REMAINDER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_AT_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_BY_FIELD_NUMBER: _ClassVar[int]
    MANDATE_ID_FIELD_NUMBER: _ClassVar[int]
    SETTLED_BY_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    trade_id: str
    request_id: str
    seller_enterprise_id: str
    buyer_enterprise_id: str
    source_lot_id: str
    bought: Lot
    energy_wh: int
    price_fen_per_mwh: int
    amount_fen: int
    settled_at: _timestamp_pb2.Timestamp
    remainder: Lot
    state: GreenTradeState
    proposed_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    accepted_at: _timestamp_pb2.Timestamp
    accepted_by: str
    mandate_id: str
    settled_by: str
    proposal_request_id: str
    def __init__(self, trade_id: _Optional[str] = ..., request_id: _Optional[str] = ..., seller_enterprise_id: _Optional[str] = ..., buyer_enterprise_id: _Optional[str] = ..., source_lot_id: _Optional[str] = ..., bought: _Optional[_Union[Lot, _Mapping]] = ..., energy_wh: _Optional[int] = ..., price_fen_per_mwh: _Optional[int] = ..., amount_fen: _Optional[int] = ..., settled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., remainder: _Optional[_Union[Lot, _Mapping]] = ..., state: _Optional[_Union[GreenTradeState, str]] = ..., proposed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., accepted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., accepted_by: _Optional[str] = ..., mandate_id: _Optional[str] = ..., settled_by: _Optional[str] = ..., proposal_request_id: _Optional[str] = ...) -> None: ...

class Mandate(_message.Message):
    __slots__ = ("mandate_id", "grantor_enterprise_id", "grantee", "scope", "max_price_fen_per_mwh", "max_energy_wh", "used_wh", "counterparty_enterprise_id", "granted_at", "expires_at", "state", "revoked_at", "request_id")
    MANDATE_ID_FIELD_NUMBER: _ClassVar[int]
    GRANTOR_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    GRANTEE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    MAX_ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    USED_WH_FIELD_NUMBER: _ClassVar[int]
    COUNTERPARTY_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    GRANTED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    mandate_id: str
    grantor_enterprise_id: str
    grantee: str
    scope: MandateScope
    max_price_fen_per_mwh: int
    max_energy_wh: int
    used_wh: int
    counterparty_enterprise_id: str
    granted_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    state: MandateState
    revoked_at: _timestamp_pb2.Timestamp
    request_id: str
    def __init__(self, mandate_id: _Optional[str] = ..., grantor_enterprise_id: _Optional[str] = ..., grantee: _Optional[str] = ..., scope: _Optional[_Union[MandateScope, str]] = ..., max_price_fen_per_mwh: _Optional[int] = ..., max_energy_wh: _Optional[int] = ..., used_wh: _Optional[int] = ..., counterparty_enterprise_id: _Optional[str] = ..., granted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[MandateState, str]] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GrantMandateRequest(_message.Message):
    __slots__ = ("request_id", "mandate_id", "grantor_enterprise_id", "scope", "grantee_enterprise_id", "max_price_fen_per_mwh", "max_energy_wh", "counterparty_enterprise_id", "valid_for_days")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MANDATE_ID_FIELD_NUMBER: _ClassVar[int]
    GRANTOR_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    GRANTEE_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    MAX_ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    COUNTERPARTY_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    VALID_FOR_DAYS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    mandate_id: str
    grantor_enterprise_id: str
    scope: MandateScope
    grantee_enterprise_id: str
    max_price_fen_per_mwh: int
    max_energy_wh: int
    counterparty_enterprise_id: str
    valid_for_days: int
    def __init__(self, request_id: _Optional[str] = ..., mandate_id: _Optional[str] = ..., grantor_enterprise_id: _Optional[str] = ..., scope: _Optional[_Union[MandateScope, str]] = ..., grantee_enterprise_id: _Optional[str] = ..., max_price_fen_per_mwh: _Optional[int] = ..., max_energy_wh: _Optional[int] = ..., counterparty_enterprise_id: _Optional[str] = ..., valid_for_days: _Optional[int] = ...) -> None: ...

class RevokeMandateRequest(_message.Message):
    __slots__ = ("request_id", "mandate_id", "grantor_enterprise_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MANDATE_ID_FIELD_NUMBER: _ClassVar[int]
    GRANTOR_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    mandate_id: str
    grantor_enterprise_id: str
    def __init__(self, request_id: _Optional[str] = ..., mandate_id: _Optional[str] = ..., grantor_enterprise_id: _Optional[str] = ...) -> None: ...

class ListMandatesRequest(_message.Message):
    __slots__ = ("enterprise_id", "page_size", "page_token")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    page_size: int
    page_token: str
    def __init__(self, enterprise_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListMandatesResponse(_message.Message):
    __slots__ = ("mandates", "next_page_token")
    MANDATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    mandates: _containers.RepeatedCompositeFieldContainer[Mandate]
    next_page_token: str
    def __init__(self, mandates: _Optional[_Iterable[_Union[Mandate, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListRetirementsRequest(_message.Message):
    __slots__ = ("beneficiary_enterprise_id", "page_size", "page_token")
    BENEFICIARY_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    beneficiary_enterprise_id: str
    page_size: int
    page_token: str
    def __init__(self, beneficiary_enterprise_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRetirementsResponse(_message.Message):
    __slots__ = ("lots", "next_page_token")
    LOTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    lots: _containers.RepeatedCompositeFieldContainer[Lot]
    next_page_token: str
    def __init__(self, lots: _Optional[_Iterable[_Union[Lot, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetGreenTradeRequest(_message.Message):
    __slots__ = ("trade_id", "enterprise_id")
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    trade_id: str
    enterprise_id: str
    def __init__(self, trade_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ...) -> None: ...

class ListGreenTradesRequest(_message.Message):
    __slots__ = ("enterprise_id", "page_size", "page_token")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    page_size: int
    page_token: str
    def __init__(self, enterprise_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListGreenTradesResponse(_message.Message):
    __slots__ = ("trades", "next_page_token")
    TRADES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    trades: _containers.RepeatedCompositeFieldContainer[GreenTrade]
    next_page_token: str
    def __init__(self, trades: _Optional[_Iterable[_Union[GreenTrade, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GreenTradeSettled(_message.Message):
    __slots__ = ("trade",)
    TRADE_FIELD_NUMBER: _ClassVar[int]
    trade: GreenTrade
    def __init__(self, trade: _Optional[_Union[GreenTrade, _Mapping]] = ...) -> None: ...

class GetMonthlyGecRequest(_message.Message):
    __slots__ = ("enterprise_id", "from_month", "to_month")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_MONTH_FIELD_NUMBER: _ClassVar[int]
    TO_MONTH_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    from_month: str
    to_month: str
    def __init__(self, enterprise_id: _Optional[str] = ..., from_month: _Optional[str] = ..., to_month: _Optional[str] = ...) -> None: ...

class MonthlyGecRow(_message.Message):
    __slots__ = ("month", "issued_wh", "carried_in_wh", "gec", "carried_out_wh", "expired_wh", "expires_on")
    MONTH_FIELD_NUMBER: _ClassVar[int]
    ISSUED_WH_FIELD_NUMBER: _ClassVar[int]
    CARRIED_IN_WH_FIELD_NUMBER: _ClassVar[int]
    GEC_FIELD_NUMBER: _ClassVar[int]
    CARRIED_OUT_WH_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_WH_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_ON_FIELD_NUMBER: _ClassVar[int]
    month: str
    issued_wh: int
    carried_in_wh: int
    gec: int
    carried_out_wh: int
    expired_wh: int
    expires_on: str
    def __init__(self, month: _Optional[str] = ..., issued_wh: _Optional[int] = ..., carried_in_wh: _Optional[int] = ..., gec: _Optional[int] = ..., carried_out_wh: _Optional[int] = ..., expired_wh: _Optional[int] = ..., expires_on: _Optional[str] = ...) -> None: ...

class MonthlyGec(_message.Message):
    __slots__ = ("enterprise_id", "months", "total_gec", "expired_wh")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    MONTHS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_GEC_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_WH_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    months: _containers.RepeatedCompositeFieldContainer[MonthlyGecRow]
    total_gec: int
    expired_wh: int
    def __init__(self, enterprise_id: _Optional[str] = ..., months: _Optional[_Iterable[_Union[MonthlyGecRow, _Mapping]]] = ..., total_gec: _Optional[int] = ..., expired_wh: _Optional[int] = ...) -> None: ...

class GetGreenTargetRequest(_message.Message):
    __slots__ = ("enterprise_id", "market_day")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    market_day: str
    def __init__(self, enterprise_id: _Optional[str] = ..., market_day: _Optional[str] = ...) -> None: ...

class GreenTargetStatus(_message.Message):
    __slots__ = ("enterprise_id", "market_day", "plan_id", "target_share", "hourly_matched", "consumption_wh", "target_wh", "planned_wh", "planned_purchase_wh", "forecast_consumption_wh", "bought_wh", "claimed_wh", "park_issued_wh", "achieved_share", "met", "shortfall_wh", "shortfall_points", "reason", "reason_detail")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_SHARE_FIELD_NUMBER: _ClassVar[int]
    HOURLY_MATCHED_FIELD_NUMBER: _ClassVar[int]
    CONSUMPTION_WH_FIELD_NUMBER: _ClassVar[int]
    TARGET_WH_FIELD_NUMBER: _ClassVar[int]
    PLANNED_WH_FIELD_NUMBER: _ClassVar[int]
    PLANNED_PURCHASE_WH_FIELD_NUMBER: _ClassVar[int]
    FORECAST_CONSUMPTION_WH_FIELD_NUMBER: _ClassVar[int]
    BOUGHT_WH_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_WH_FIELD_NUMBER: _ClassVar[int]
    PARK_ISSUED_WH_FIELD_NUMBER: _ClassVar[int]
    ACHIEVED_SHARE_FIELD_NUMBER: _ClassVar[int]
    MET_FIELD_NUMBER: _ClassVar[int]
    SHORTFALL_WH_FIELD_NUMBER: _ClassVar[int]
    SHORTFALL_POINTS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REASON_DETAIL_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    market_day: str
    plan_id: str
    target_share: float
    hourly_matched: bool
    consumption_wh: int
    target_wh: int
    planned_wh: int
    planned_purchase_wh: int
    forecast_consumption_wh: int
    bought_wh: int
    claimed_wh: int
    park_issued_wh: int
    achieved_share: float
    met: bool
    shortfall_wh: int
    shortfall_points: float
    reason: _bidding_pb2.GreenShortfallReason
    reason_detail: str
    def __init__(self, enterprise_id: _Optional[str] = ..., market_day: _Optional[str] = ..., plan_id: _Optional[str] = ..., target_share: _Optional[float] = ..., hourly_matched: _Optional[bool] = ..., consumption_wh: _Optional[int] = ..., target_wh: _Optional[int] = ..., planned_wh: _Optional[int] = ..., planned_purchase_wh: _Optional[int] = ..., forecast_consumption_wh: _Optional[int] = ..., bought_wh: _Optional[int] = ..., claimed_wh: _Optional[int] = ..., park_issued_wh: _Optional[int] = ..., achieved_share: _Optional[float] = ..., met: _Optional[bool] = ..., shortfall_wh: _Optional[int] = ..., shortfall_points: _Optional[float] = ..., reason: _Optional[_Union[_bidding_pb2.GreenShortfallReason, str]] = ..., reason_detail: _Optional[str] = ...) -> None: ...

class ProposeGreenContractRequest(_message.Message):
    __slots__ = ("request_id", "contract_id", "seller_enterprise_id", "buyer_enterprise_id", "start_month", "end_month", "monthly_wh", "hourly_wh", "price_fen_per_mwh", "shortfall_rule", "shortfall_rate_fen_per_mwh", "surplus_rule", "surplus_cap_permille", "generator_asset_ids", "valid_for_s")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRACT_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    START_MONTH_FIELD_NUMBER: _ClassVar[int]
    END_MONTH_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_WH_FIELD_NUMBER: _ClassVar[int]
    HOURLY_WH_FIELD_NUMBER: _ClassVar[int]
    PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    SHORTFALL_RULE_FIELD_NUMBER: _ClassVar[int]
    SHORTFALL_RATE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    SURPLUS_RULE_FIELD_NUMBER: _ClassVar[int]
    SURPLUS_CAP_PERMILLE_FIELD_NUMBER: _ClassVar[int]
    GENERATOR_ASSET_IDS_FIELD_NUMBER: _ClassVar[int]
    VALID_FOR_S_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    contract_id: str
    seller_enterprise_id: str
    buyer_enterprise_id: str
    start_month: str
    end_month: str
    monthly_wh: _containers.RepeatedScalarFieldContainer[int]
    hourly_wh: _containers.RepeatedScalarFieldContainer[int]
    price_fen_per_mwh: int
    shortfall_rule: ShortfallRule
    shortfall_rate_fen_per_mwh: int
    surplus_rule: SurplusRule
    surplus_cap_permille: int
    generator_asset_ids: _containers.RepeatedScalarFieldContainer[str]
    valid_for_s: int
    def __init__(self, request_id: _Optional[str] = ..., contract_id: _Optional[str] = ..., seller_enterprise_id: _Optional[str] = ..., buyer_enterprise_id: _Optional[str] = ..., start_month: _Optional[str] = ..., end_month: _Optional[str] = ..., monthly_wh: _Optional[_Iterable[int]] = ..., hourly_wh: _Optional[_Iterable[int]] = ..., price_fen_per_mwh: _Optional[int] = ..., shortfall_rule: _Optional[_Union[ShortfallRule, str]] = ..., shortfall_rate_fen_per_mwh: _Optional[int] = ..., surplus_rule: _Optional[_Union[SurplusRule, str]] = ..., surplus_cap_permille: _Optional[int] = ..., generator_asset_ids: _Optional[_Iterable[str]] = ..., valid_for_s: _Optional[int] = ...) -> None: ...

class AcceptGreenContractRequest(_message.Message):
    __slots__ = ("request_id", "contract_id", "buyer_enterprise_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRACT_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    contract_id: str
    buyer_enterprise_id: str
    def __init__(self, request_id: _Optional[str] = ..., contract_id: _Optional[str] = ..., buyer_enterprise_id: _Optional[str] = ...) -> None: ...

class RejectGreenContractRequest(_message.Message):
    __slots__ = ("request_id", "contract_id", "buyer_enterprise_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRACT_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    contract_id: str
    buyer_enterprise_id: str
    def __init__(self, request_id: _Optional[str] = ..., contract_id: _Optional[str] = ..., buyer_enterprise_id: _Optional[str] = ...) -> None: ...

class DeliverGreenContractMonthRequest(_message.Message):
    __slots__ = ("request_id", "contract_id", "month", "seller_enterprise_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRACT_ID_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    SELLER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    contract_id: str
    month: str
    seller_enterprise_id: str
    def __init__(self, request_id: _Optional[str] = ..., contract_id: _Optional[str] = ..., month: _Optional[str] = ..., seller_enterprise_id: _Optional[str] = ...) -> None: ...

class GreenContractLine(_message.Message):
    __slots__ = ("source_lot_id", "lot_id", "production_hour_start", "energy_wh", "amount_fen")
    SOURCE_LOT_ID_FIELD_NUMBER: _ClassVar[int]
    LOT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCTION_HOUR_START_FIELD_NUMBER: _ClassVar[int]
    ENERGY_WH_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    source_lot_id: str
    lot_id: str
    production_hour_start: _timestamp_pb2.Timestamp
    energy_wh: int
    amount_fen: int
    def __init__(self, source_lot_id: _Optional[str] = ..., lot_id: _Optional[str] = ..., production_hour_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., energy_wh: _Optional[int] = ..., amount_fen: _Optional[int] = ...) -> None: ...

class GreenContractMonth(_message.Message):
    __slots__ = ("month", "contracted_wh", "delivered", "carried_in_wh", "available_wh", "delivered_wh", "surplus_wh", "shortfall_wh", "carried_out_wh", "compensated_wh", "amount_fen", "compensation_fen", "net_fen", "delivered_at", "request_id", "lines")
    MONTH_FIELD_NUMBER: _ClassVar[int]
    CONTRACTED_WH_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    CARRIED_IN_WH_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_WH_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_WH_FIELD_NUMBER: _ClassVar[int]
    SURPLUS_WH_FIELD_NUMBER: _ClassVar[int]
    SHORTFALL_WH_FIELD_NUMBER: _ClassVar[int]
    CARRIED_OUT_WH_FIELD_NUMBER: _ClassVar[int]
    COMPENSATED_WH_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_FEN_FIELD_NUMBER: _ClassVar[int]
    NET_FEN_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    month: str
    contracted_wh: int
    delivered: bool
    carried_in_wh: int
    available_wh: int
    delivered_wh: int
    surplus_wh: int
    shortfall_wh: int
    carried_out_wh: int
    compensated_wh: int
    amount_fen: int
    compensation_fen: int
    net_fen: int
    delivered_at: _timestamp_pb2.Timestamp
    request_id: str
    lines: _containers.RepeatedCompositeFieldContainer[GreenContractLine]
    def __init__(self, month: _Optional[str] = ..., contracted_wh: _Optional[int] = ..., delivered: _Optional[bool] = ..., carried_in_wh: _Optional[int] = ..., available_wh: _Optional[int] = ..., delivered_wh: _Optional[int] = ..., surplus_wh: _Optional[int] = ..., shortfall_wh: _Optional[int] = ..., carried_out_wh: _Optional[int] = ..., compensated_wh: _Optional[int] = ..., amount_fen: _Optional[int] = ..., compensation_fen: _Optional[int] = ..., net_fen: _Optional[int] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[GreenContractLine, _Mapping]]] = ...) -> None: ...

class GreenContract(_message.Message):
    __slots__ = ("contract_id", "seller_enterprise_id", "buyer_enterprise_id", "start_month", "end_month", "curve", "price_fen_per_mwh", "shortfall_rule", "shortfall_rate_fen_per_mwh", "surplus_rule", "surplus_cap_permille", "generator_asset_ids", "state", "proposed_at", "expires_at", "accepted_at", "proposal_request_id", "contracted_wh", "delivered_wh", "compensated_wh", "amount_fen", "compensation_fen", "net_fen", "next_month", "carry_wh", "months")
    CONTRACT_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    START_MONTH_FIELD_NUMBER: _ClassVar[int]
    END_MONTH_FIELD_NUMBER: _ClassVar[int]
    CURVE_FIELD_NUMBER: _ClassVar[int]
    PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    SHORTFALL_RULE_FIELD_NUMBER: _ClassVar[int]
    SHORTFALL_RATE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    SURPLUS_RULE_FIELD_NUMBER: _ClassVar[int]
    SURPLUS_CAP_PERMILLE_FIELD_NUMBER: _ClassVar[int]
    GENERATOR_ASSET_IDS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_AT_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRACTED_WH_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_WH_FIELD_NUMBER: _ClassVar[int]
    COMPENSATED_WH_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_FEN_FIELD_NUMBER: _ClassVar[int]
    NET_FEN_FIELD_NUMBER: _ClassVar[int]
    NEXT_MONTH_FIELD_NUMBER: _ClassVar[int]
    CARRY_WH_FIELD_NUMBER: _ClassVar[int]
    MONTHS_FIELD_NUMBER: _ClassVar[int]
    contract_id: str
    seller_enterprise_id: str
    buyer_enterprise_id: str
    start_month: str
    end_month: str
    curve: GreenContractCurve
    price_fen_per_mwh: int
    shortfall_rule: ShortfallRule
    shortfall_rate_fen_per_mwh: int
    surplus_rule: SurplusRule
    surplus_cap_permille: int
    generator_asset_ids: _containers.RepeatedScalarFieldContainer[str]
    state: GreenContractState
    proposed_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    accepted_at: _timestamp_pb2.Timestamp
    proposal_request_id: str
    contracted_wh: int
    delivered_wh: int
    compensated_wh: int
    amount_fen: int
    compensation_fen: int
    net_fen: int
    next_month: str
    carry_wh: int
    months: _containers.RepeatedCompositeFieldContainer[GreenContractMonth]
    def __init__(self, contract_id: _Optional[str] = ..., seller_enterprise_id: _Optional[str] = ..., buyer_enterprise_id: _Optional[str] = ..., start_month: _Optional[str] = ..., end_month: _Optional[str] = ..., curve: _Optional[_Union[GreenContractCurve, str]] = ..., price_fen_per_mwh: _Optional[int] = ..., shortfall_rule: _Optional[_Union[ShortfallRule, str]] = ..., shortfall_rate_fen_per_mwh: _Optional[int] = ..., surplus_rule: _Optional[_Union[SurplusRule, str]] = ..., surplus_cap_permille: _Optional[int] = ..., generator_asset_ids: _Optional[_Iterable[str]] = ..., state: _Optional[_Union[GreenContractState, str]] = ..., proposed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., accepted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., proposal_request_id: _Optional[str] = ..., contracted_wh: _Optional[int] = ..., delivered_wh: _Optional[int] = ..., compensated_wh: _Optional[int] = ..., amount_fen: _Optional[int] = ..., compensation_fen: _Optional[int] = ..., net_fen: _Optional[int] = ..., next_month: _Optional[str] = ..., carry_wh: _Optional[int] = ..., months: _Optional[_Iterable[_Union[GreenContractMonth, _Mapping]]] = ...) -> None: ...

class GreenContractDelivery(_message.Message):
    __slots__ = ("contract", "month")
    CONTRACT_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    contract: GreenContract
    month: GreenContractMonth
    def __init__(self, contract: _Optional[_Union[GreenContract, _Mapping]] = ..., month: _Optional[_Union[GreenContractMonth, _Mapping]] = ...) -> None: ...

class GetGreenContractRequest(_message.Message):
    __slots__ = ("contract_id", "enterprise_id", "include_lines")
    CONTRACT_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_LINES_FIELD_NUMBER: _ClassVar[int]
    contract_id: str
    enterprise_id: str
    include_lines: bool
    def __init__(self, contract_id: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., include_lines: _Optional[bool] = ...) -> None: ...

class ListGreenContractsRequest(_message.Message):
    __slots__ = ("enterprise_id", "page_size", "page_token")
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    enterprise_id: str
    page_size: int
    page_token: str
    def __init__(self, enterprise_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListGreenContractsResponse(_message.Message):
    __slots__ = ("contracts", "next_page_token")
    CONTRACTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    contracts: _containers.RepeatedCompositeFieldContainer[GreenContract]
    next_page_token: str
    def __init__(self, contracts: _Optional[_Iterable[_Union[GreenContract, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GreenContractProposed(_message.Message):
    __slots__ = ("contract",)
    CONTRACT_FIELD_NUMBER: _ClassVar[int]
    contract: GreenContract
    def __init__(self, contract: _Optional[_Union[GreenContract, _Mapping]] = ...) -> None: ...

class GreenContractAccepted(_message.Message):
    __slots__ = ("contract",)
    CONTRACT_FIELD_NUMBER: _ClassVar[int]
    contract: GreenContract
    def __init__(self, contract: _Optional[_Union[GreenContract, _Mapping]] = ...) -> None: ...

class GreenContractRejected(_message.Message):
    __slots__ = ("contract",)
    CONTRACT_FIELD_NUMBER: _ClassVar[int]
    contract: GreenContract
    def __init__(self, contract: _Optional[_Union[GreenContract, _Mapping]] = ...) -> None: ...

class GreenContractMonthDelivered(_message.Message):
    __slots__ = ("contract_id", "seller_enterprise_id", "buyer_enterprise_id", "month")
    CONTRACT_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    contract_id: str
    seller_enterprise_id: str
    buyer_enterprise_id: str
    month: GreenContractMonth
    def __init__(self, contract_id: _Optional[str] = ..., seller_enterprise_id: _Optional[str] = ..., buyer_enterprise_id: _Optional[str] = ..., month: _Optional[_Union[GreenContractMonth, _Mapping]] = ...) -> None: ...
