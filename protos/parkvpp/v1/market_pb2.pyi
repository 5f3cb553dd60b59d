import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Product(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRODUCT_UNSPECIFIED: _ClassVar[Product]
    PRODUCT_DEMAND_RESPONSE: _ClassVar[Product]
    PRODUCT_ENERGY: _ClassVar[Product]

class Side(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIDE_UNSPECIFIED: _ClassVar[Side]
    SIDE_SELL: _ClassVar[Side]
    SIDE_BUY: _ClassVar[Side]
PRODUCT_UNSPECIFIED: Product
PRODUCT_DEMAND_RESPONSE: Product
PRODUCT_ENERGY: Product
SIDE_UNSPECIFIED: Side
SIDE_SELL: Side
SIDE_BUY: Side

class PriceStep(_message.Message):
    __slots__ = ("price_fen_per_mwh", "quantity_kw")
    PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_KW_FIELD_NUMBER: _ClassVar[int]
    price_fen_per_mwh: int
    quantity_kw: float
    def __init__(self, price_fen_per_mwh: _Optional[int] = ..., quantity_kw: _Optional[float] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("order_id", "participant_id", "market_day", "interval", "product", "side", "steps")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    participant_id: str
    market_day: str
    interval: int
    product: Product
    side: Side
    steps: _containers.RepeatedCompositeFieldContainer[PriceStep]
    def __init__(self, order_id: _Optional[str] = ..., participant_id: _Optional[str] = ..., market_day: _Optional[str] = ..., interval: _Optional[int] = ..., product: _Optional[_Union[Product, str]] = ..., side: _Optional[_Union[Side, str]] = ..., steps: _Optional[_Iterable[_Union[PriceStep, _Mapping]]] = ...) -> None: ...

class SubmitOrdersRequest(_message.Message):
    __slots__ = ("batch_id", "market_day", "orders")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    market_day: str
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    def __init__(self, batch_id: _Optional[str] = ..., market_day: _Optional[str] = ..., orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ...) -> None: ...

class SubmitOrdersResponse(_message.Message):
    __slots__ = ("batch_id", "orders_accepted")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    ORDERS_ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    orders_accepted: int
    def __init__(self, batch_id: _Optional[str] = ..., orders_accepted: _Optional[int] = ...) -> None: ...

class ClearMarketRequest(_message.Message):
    __slots__ = ("market_day", "product", "include_synthetic_participants")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SYNTHETIC_PARTICIPANTS_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    product: Product
    include_synthetic_participants: bool
    def __init__(self, market_day: _Optional[str] = ..., product: _Optional[_Union[Product, str]] = ..., include_synthetic_participants: _Optional[bool] = ...) -> None: ...

class IntervalClearing(_message.Message):
    __slots__ = ("interval", "clearing_price_fen_per_mwh", "cleared_kw", "sell_curve", "buy_curve")
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    CLEARING_PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    CLEARED_KW_FIELD_NUMBER: _ClassVar[int]
    SELL_CURVE_FIELD_NUMBER: _ClassVar[int]
    BUY_CURVE_FIELD_NUMBER: _ClassVar[int]
    interval: int
    clearing_price_fen_per_mwh: int
    cleared_kw: float
    sell_curve: _containers.RepeatedCompositeFieldContainer[PriceStep]
    buy_curve: _containers.RepeatedCompositeFieldContainer[PriceStep]
    def __init__(self, interval: _Optional[int] = ..., clearing_price_fen_per_mwh: _Optional[int] = ..., cleared_kw: _Optional[float] = ..., sell_curve: _Optional[_Iterable[_Union[PriceStep, _Mapping]]] = ..., buy_curve: _Optional[_Iterable[_Union[PriceStep, _Mapping]]] = ...) -> None: ...

class Award(_message.Message):
    __slots__ = ("award_id", "order_id", "participant_id", "market_day", "interval", "product", "side", "awarded_kw", "price_fen_per_mwh")
    AWARD_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    AWARDED_KW_FIELD_NUMBER: _ClassVar[int]
    PRICE_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    award_id: str
    order_id: str
    participant_id: str
    market_day: str
    interval: int
    product: Product
    side: Side
    awarded_kw: float
    price_fen_per_mwh: int
    def __init__(self, award_id: _Optional[str] = ..., order_id: _Optional[str] = ..., participant_id: _Optional[str] = ..., market_day: _Optional[str] = ..., interval: _Optional[int] = ..., product: _Optional[_Union[Product, str]] = ..., side: _Optional[_Union[Side, str]] = ..., awarded_kw: _Optional[float] = ..., price_fen_per_mwh: _Optional[int] = ...) -> None: ...

class ClearingResult(_message.Message):
    __slots__ = ("clearing_id", "market_day", "product", "intervals", "awards", "cleared_at")
    CLEARING_ID_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    INTERVALS_FIELD_NUMBER: _ClassVar[int]
    AWARDS_FIELD_NUMBER: _ClassVar[int]
    CLEARED_AT_FIELD_NUMBER: _ClassVar[int]
    clearing_id: str
    market_day: str
    product: Product
    intervals: _containers.RepeatedCompositeFieldContainer[IntervalClearing]
    awards: _containers.RepeatedCompositeFieldContainer[Award]
    cleared_at: _timestamp_pb2.Timestamp
    def __init__(self, clearing_id: _Optional[str] = ..., market_day: _Optional[str] = ..., product: _Optional[_Union[Product, str]] = ..., intervals: _Optional[_Iterable[_Union[IntervalClearing, _Mapping]]] = ..., awards: _Optional[_Iterable[_Union[Award, _Mapping]]] = ..., cleared_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetClearingResultRequest(_message.Message):
    __slots__ = ("market_day", "product")
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    product: Product
    def __init__(self, market_day: _Optional[str] = ..., product: _Optional[_Union[Product, str]] = ...) -> None: ...

class DrEvent(_message.Message):
    __slots__ = ("event_id", "program", "market_day", "start_interval", "end_interval", "requested_kw", "price_floor_fen_per_mwh", "price_cap_fen_per_mwh", "declaration_deadline", "notice_minutes", "announced_at", "issuer_id", "synthetic")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    START_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    END_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_KW_FIELD_NUMBER: _ClassVar[int]
    PRICE_FLOOR_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    PRICE_CAP_FEN_PER_MWH_FIELD_NUMBER: _ClassVar[int]
    DECLARATION_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    NOTICE_MINUTES_FIELD_NUMBER: _ClassVar[int]
    ANNOUNCED_AT_FIELD_NUMBER: _ClassVar[int]
    ISSUER_ID_FIELD_NUMBER: _ClassVar[int]
    SYNTHETIC_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    program: str
    market_day: str
    start_interval: int
    end_interval: int
    requested_kw: float
    price_floor_fen_per_mwh: int
    price_cap_fen_per_mwh: int
    declaration_deadline: _timestamp_pb2.Timestamp
    notice_minutes: int
    announced_at: _timestamp_pb2.Timestamp
    issuer_id: str
    synthetic: bool
    def __init__(self, event_id: _Optional[str] = ..., program: _Optional[str] = ..., market_day: _Optional[str] = ..., start_interval: _Optional[int] = ..., end_interval: _Optional[int] = ..., requested_kw: _Optional[float] = ..., price_floor_fen_per_mwh: _Optional[int] = ..., price_cap_fen_per_mwh: _Optional[int] = ..., declaration_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., notice_minutes: _Optional[int] = ..., announced_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issuer_id: _Optional[str] = ..., synthetic: _Optional[bool] = ...) -> None: ...

class AnnounceDrEventRequest(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: DrEvent
    def __init__(self, event: _Optional[_Union[DrEvent, _Mapping]] = ...) -> None: ...

class ListDrEventsRequest(_message.Message):
    __slots__ = ("market_day",)
    MARKET_DAY_FIELD_NUMBER: _ClassVar[int]
    market_day: str
    def __init__(self, market_day: _Optional[str] = ...) -> None: ...

class ListDrEventsResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[DrEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[DrEvent, _Mapping]]] = ...) -> None: ...
