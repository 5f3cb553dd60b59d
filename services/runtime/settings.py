"""Settings read once from the environment into a typed object; bad values stop start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, Literal, get_origin

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from certificates.factors import ElectricityConversion
from services.runtime.settings_rules import (
    MAX_MARKET_PRICE_FEN_PER_MWH,
    BaselineMethod,
    Factor,
    File,
    Flag,
    Float,
    GridRegion,
    HostPort,
    Int,
    KafkaProtocol,
    ParticipantId,
    ParticipantsFile,
    Port,
    Price,
    RedisUrl,
    SaslMechanism,
    SettingsError,
    TceBasis,
    TopicPrefix,
    check_together,
    check_token_secret,
    location_factor,
    residual_factor_of,
    settings_error,
)

# isort: split
# Not used here: importable from here as before the rules moved to settings_rules.py.
from services.runtime.settings_rules import KAFKA_SASL_MECHANISMS as KAFKA_SASL_MECHANISMS
from services.runtime.settings_rules import KAFKA_SECURITY_PROTOCOLS as KAFKA_SECURITY_PROTOCOLS
from services.runtime.settings_rules import PLACEHOLDER_SECRETS as PLACEHOLDER_SECRETS
from services.runtime.settings_rules import bounds as bounds

SERVICE_NAMES = (
    "enrollment",
    "telemetry",
    "vpp",
    "bidding",
    "market",
    "settlement",
    "certificates",
)

#: Default gRPC and metrics ports of each service when run by `parkvpp up`.
DEFAULT_GRPC_PORTS = {name: 50051 + n for n, name in enumerate(SERVICE_NAMES)}
DEFAULT_METRICS_PORTS = {name: 9101 + n for n, name in enumerate(SERVICE_NAMES)}

#: Shandong's day-ahead spot bid range, -80..1,300 yuan/MWh, as the ENERGY default.
ENERGY_PRICE_FLOOR_FEN_PER_MWH = -8_000
ENERGY_PRICE_CAP_FEN_PER_MWH = 130_000
#: Invitation-style demand response: 0..15 yuan/kWh.
DR_PRICE_FLOOR_FEN_PER_MWH = 0
DR_PRICE_CAP_FEN_PER_MWH = 1_500_000
#: Green-power trades (certificate + money): 0..2,000 CNY/MWh by default.
GREEN_PRICE_MAX_FEN_PER_MWH = 200_000


def setting(env: str, default: Any, *, shown: str | None = None, **rules: Any) -> Any:
    """One setting: its variable and default; the docstring under it says what it means.

    `shown` replaces the default in docs/settings.md where a bare value would mislead;
    `rules` are pydantic's (ge, le, repr).
    """
    extra = {"shown_default": shown} if shown is not None else None
    return Field(default, validation_alias=env, json_schema_extra=extra, **rules)


def _peer(service: str) -> Any:
    default = f"127.0.0.1:{DEFAULT_GRPC_PORTS[service]}"
    return setting(f"PARKVPP_{service.upper()}_ADDR", default)


#: The variables load_settings(env) reads; None: the process environment.
_GIVEN_ENV: ContextVar[Mapping[str, str] | None] = ContextVar("parkvpp_env", default=None)


class _Variables(PydanticBaseSettingsSource):
    """Environment variables from a mapping, each under its setting's name (the alias)."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env = env

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        name = str(field.validation_alias)
        return self.env.get(name), name, False

    def __call__(self) -> dict[str, Any]:
        fields = self.settings_cls.model_fields.items()
        found = (self.get_field_value(field, name)[:2] for name, field in fields)
        return {env: value for value, env in found if value is not None}


class Settings(BaseSettings):
    """Everything a ParkVPP process reads from its environment; docs/settings.md lists it.

    Each field names its variable and default, its docstring says what it means. Use
    load_settings(), which turns pydantic's errors into a SettingsError naming the variable.
    """

    model_config = SettingsConfigDict(
        frozen=True, case_sensitive=True, extra="forbid", use_attribute_docstrings=True
    )

    redis_url: RedisUrl = setting("REDIS_URL", "", shown="unset (embedded)")
    """Redis or Valkey, e.g. `redis://host:6379/0`."""
    kafka_bootstrap_servers: str = setting("KAFKA_BOOTSTRAP_SERVERS", "", shown="unset (embedded)")
    """Kafka bootstrap servers."""
    grpc_host: str = setting("PARKVPP_GRPC_HOST", "127.0.0.1")
    """Address servers bind (`0.0.0.0` in containers)."""
    grpc_port: Port = setting("PARKVPP_GRPC_PORT", 0)
    """gRPC port of `parkvpp serve` (0: a free port)."""
    metrics_port: Port = setting("PARKVPP_METRICS_PORT", 0)
    """Prometheus port of `parkvpp serve` (0: a free port)."""
    health_port: Port = setting("PARKVPP_HEALTH_PORT", 0)
    """Also answer gRPC health checks (only those) in plaintext on this port, as the
    kubelet's gRPC probes cannot speak TLS (0: none)."""
    enrollment_addr: HostPort = _peer("enrollment")
    """Where peers find the enrollment service."""
    telemetry_addr: HostPort = _peer("telemetry")
    """Where peers find the telemetry service."""
    vpp_addr: HostPort = _peer("vpp")
    """Where peers find the VPP (dispatch) service."""
    bidding_addr: HostPort = _peer("bidding")
    """Where peers find the bidding service."""
    market_addr: HostPort = _peer("market")
    """Where peers find the market gateway, e.g. the bidder."""
    settlement_addr: HostPort = _peer("settlement")
    """Where peers find the settlement service."""
    certificates_addr: HostPort = _peer("certificates")
    """Where peers find the certificate service."""
    grpc_workers: Int = setting("PARKVPP_GRPC_WORKERS", 16, ge=2, le=512)
    """Request threads per server."""
    grpc_reserved_workers: Int = setting("PARKVPP_GRPC_RESERVED_WORKERS", 4, ge=1, le=511)
    """Request threads no long-lived stream may take, so unary calls and health checks
    answer while every stream slot is held; below `PARKVPP_GRPC_WORKERS`."""
    streams_per_tenant: Int = setting("PARKVPP_STREAMS_PER_TENANT", 4, ge=1, le=512)
    """Open dispatch streams, and open meter streams, per tenant (an enterprise, or the
    role) per server."""
    stream_idle_timeout_s: Float = setting(
        "PARKVPP_STREAM_IDLE_TIMEOUT_S", 60.0, ge=0.1, le=86400.0
    )
    """A meter stream that sends nothing this long is ended with `DEADLINE_EXCEEDED`."""
    shutdown_grace_s: Float = setting("PARKVPP_SHUTDOWN_GRACE_S", 10.0, ge=0.0, le=300.0)
    """How long in-flight calls may drain on SIGTERM."""
    log_level: str = setting("PARKVPP_LOG_LEVEL", "INFO")
    """`DEBUG`, `INFO`, `WARNING` or `ERROR`; logs are JSON lines on stderr."""
    data_dir: str = setting("PARKVPP_DATA_DIR", ".parkvpp")
    """Embedded data and per-service logs of `parkvpp up`."""
    kafka_group_prefix: str = setting("PARKVPP_KAFKA_GROUP_PREFIX", "parkvpp")
    """Start of the consumer group names."""
    kafka_topic_prefix: TopicPrefix = setting("PARKVPP_KAFKA_TOPIC_PREFIX", "", shown="empty")
    """Put before every topic name, so several stacks can share a broker (the tests give
    each stack its own); letters, digits, `.`, `_` and `-`."""
    kafka_rebalance_timeout_ms: Int = setting(
        "PARKVPP_KAFKA_REBALANCE_TIMEOUT_MS", 10000, ge=1000, le=600000
    )
    """Consumer group rebalance timeout, also the max time one poll's handling may take."""
    kafka_partitions: Int = setting("PARKVPP_KAFKA_PARTITIONS", 3, ge=1, le=1024)
    """Partitions of topics created at start-up."""
    kafka_replication: Int = setting("PARKVPP_KAFKA_REPLICATION", 1, ge=1, le=16)
    """Replication factor of topics created at start-up (existing topics are left alone)."""
    kafka_publish_timeout_s: Float = setting(
        "PARKVPP_KAFKA_PUBLISH_TIMEOUT_S", 30.0, ge=1.0, le=600.0
    )
    """How long the outbox relay waits for the broker to acknowledge a round of events
    before it sends them again."""
    outbox_retain: Flag = setting(
        "PARKVPP_OUTBOX_RETAIN",
        False,
        shown="`0` (`1` under `parkvpp up` with the embedded broker)",
    )
    """Keep published events in Redis until every consumer group applied them, and publish
    them again when an empty broker starts (for a broker that keeps nothing); off: delete
    them once Kafka acknowledged them (acks=all)."""
    outbox_retry_s: Float = setting("PARKVPP_OUTBOX_RETRY_S", 60.0, ge=1.0, le=86400.0)
    """With retain: publish again an event that no consumer group reading its topic
    applied within this time."""
    outbox_poll_s: Float = setting("PARKVPP_OUTBOX_POLL_S", 0.05, ge=0.001, le=10.0)
    """How often an idle relay looks at the outbox (writes in its own process wake it at
    once)."""
    outbox_max_backlog: Int = setting("PARKVPP_OUTBOX_MAX_BACKLOG", 100_000, ge=1, le=10**8)
    """Unpublished events one enterprise's outbox may hold; past it meter streams get
    `UNAVAILABLE` (Kafka unreachable)."""
    vpp_participant_id: ParticipantId = setting("PARKVPP_VPP_PARTICIPANT_ID", "parkvpp-vpp")
    """The VPP's name at the market gateway."""
    market_gateway: Literal["reference", "file"] = setting("PARKVPP_MARKET_GATEWAY", "reference")
    """Where SubmitBids sends orders: `reference` (MarketService) or `file` (a drop
    directory, see [Market](market.md))."""
    market_gateway_dir: str = setting("PARKVPP_MARKET_GATEWAY_DIR", "")
    """The `file` gateway's drop directory (required with it)."""
    market_price_floor_fen_per_mwh: Price = setting(
        "PARKVPP_MARKET_PRICE_FLOOR_FEN_PER_MWH", ENERGY_PRICE_FLOOR_FEN_PER_MWH
    )
    """Lowest ENERGY price of the exchange, e.g. Shandong's spot bid floor −80 yuan/MWh
    (1 yuan/MWh = 100 fen/MWh)."""
    market_price_cap_fen_per_mwh: Price = setting(
        "PARKVPP_MARKET_PRICE_CAP_FEN_PER_MWH", ENERGY_PRICE_CAP_FEN_PER_MWH
    )
    """Highest ENERGY price of the exchange, e.g. Shandong's spot bid cap 1,300 yuan/MWh."""
    market_dr_price_floor_fen_per_mwh: Price = setting(
        "PARKVPP_MARKET_DR_PRICE_FLOOR_FEN_PER_MWH", DR_PRICE_FLOOR_FEN_PER_MWH
    )
    """Lowest DEMAND_RESPONSE price."""
    market_dr_price_cap_fen_per_mwh: Price = setting(
        "PARKVPP_MARKET_DR_PRICE_CAP_FEN_PER_MWH", DR_PRICE_CAP_FEN_PER_MWH
    )
    """Highest DEMAND_RESPONSE price (invitation-style DR pays up to 15 yuan/kWh)."""
    market_participants_file: ParticipantsFile = setting(
        "PARKVPP_MARKET_PARTICIPANTS_FILE", "", shown="unset (built-in)"
    )
    """JSON file of the reference exchange's synthetic participants."""
    storage_energy_share: Float = setting("PARKVPP_STORAGE_ENERGY_SHARE", 0.5, ge=0.0, le=1.0)
    """Share of each battery's power and energy offered on the ENERGY market; the rest
    backs the DR offers."""
    operator_fee_share_percent: Int = setting("PARKVPP_OPERATOR_FEE_PERCENT", 10, ge=0, le=100)
    """Operator's share of settled revenue."""
    capacity_price_fen_per_kw: Int = setting(
        "PARKVPP_CAPACITY_PRICE_FEN_PER_KW", 0, ge=0, le=1_000_000
    )
    """DR capacity payment per awarded kW and interval, paid in full at a response rate of
    80 % or more, pro rata from 50 %, forfeited below (see `settlement/program.py`)."""
    dispatch_ack_seconds: Int = setting("PARKVPP_DISPATCH_ACK_SECONDS", 300, ge=1, le=86400)
    """Time to acknowledge a dispatch instruction."""
    following_share_percent: Int = setting("PARKVPP_FOLLOWING_SHARE_PERCENT", 50, ge=1, le=100)
    """An asset delivering less than this share of its instruction..."""
    following_intervals: Int = setting("PARKVPP_FOLLOWING_INTERVALS", 2, ge=1, le=96)
    """...in this many consecutive ended intervals is treated as failed and re-dispatched."""
    following_check_s: Int = setting("PARKVPP_FOLLOWING_CHECK_S", 300, ge=0, le=86400)
    """How often each VPP process checks the market day in progress (0: only
    `CheckDispatchFollowing`)."""
    baseline_method: BaselineMethod = setting("PARKVPP_BASELINE_METHOD", "similar_day")
    """The DR program's customer baseline."""
    token_secret: str = setting(
        "PARKVPP_TOKEN_SECRET", "", shown="(`parkvpp up`: made in the data dir)", repr=False
    )
    """HS256 key that signs bearer tokens, at least 32 bytes; required by `parkvpp serve`."""
    ledger_signing_key: str = setting(
        "PARKVPP_LEDGER_SIGNING_KEY",
        "",
        shown="(`parkvpp up`: made in the data dir, file `ledger-signing-key`)",
        repr=False,
    )
    """HMAC-SHA256 key of the certificate ledger's audit entries, at least 32 bytes; held
    by the certificate service and `parkvpp ledger verify` only."""
    green_price_min_fen_per_mwh: Int = setting(
        "PARKVPP_GREEN_PRICE_MIN_FEN_PER_MWH", 0, ge=0, le=MAX_MARKET_PRICE_FEN_PER_MWH
    )
    """Lowest price a green-power trade may be proposed and settled at."""
    green_price_max_fen_per_mwh: Price = setting(
        "PARKVPP_GREEN_PRICE_MAX_FEN_PER_MWH", GREEN_PRICE_MAX_FEN_PER_MWH
    )
    """Highest price a green-power trade may be proposed and settled at."""
    rate_writes_per_s: Float = setting("PARKVPP_RATE_WRITES_PER_S", 100.0, ge=0.0, le=1e6)
    """Per-tenant write RPCs a second (0: no limit)."""
    rate_writes_burst: Float = setting("PARKVPP_RATE_WRITES_BURST", 1000.0, ge=1.0, le=1e7)
    """Per-tenant burst of write RPCs."""
    rate_readings_per_s: Float = setting("PARKVPP_RATE_READINGS_PER_S", 50000.0, ge=0.0, le=1e8)
    """Per-tenant ingested readings a second (0: no limit)."""
    rate_readings_burst: Float = setting("PARKVPP_RATE_READINGS_BURST", 500000.0, ge=1.0, le=1e9)
    """Per-tenant burst of ingested readings."""
    tls_cert_file: File = setting("PARKVPP_TLS_CERT_FILE", "")
    """Serve with TLS: the PEM certificate chain (with `PARKVPP_TLS_KEY_FILE`)."""
    tls_key_file: File = setting("PARKVPP_TLS_KEY_FILE", "")
    """Serve with TLS: the PEM private key (with `PARKVPP_TLS_CERT_FILE`)."""
    tls_ca_file: File = setting("PARKVPP_TLS_CA_FILE", "")
    """Require client certificates from this CA (mutual TLS); peers verify servers with it."""
    redis_password: str = setting("PARKVPP_REDIS_PASSWORD", "", repr=False)
    """Redis password (from a Secret; not in `REDIS_URL`)."""
    redis_ca_file: File = setting("PARKVPP_REDIS_CA_FILE", "")
    """CA that signed the Redis server's certificate, with a `rediss://` `REDIS_URL`."""
    kafka_security_protocol: KafkaProtocol = setting("PARKVPP_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    """How Kafka clients connect: `PLAINTEXT`, `SSL` (TLS, with a client certificate:
    mutual TLS) or `SASL_SSL` (TLS and a SASL login)."""
    kafka_sasl_mechanism: SaslMechanism = setting("PARKVPP_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    """The SASL login of `SASL_SSL`."""
    kafka_sasl_username: str = setting("PARKVPP_KAFKA_SASL_USERNAME", "")
    """With `SASL_SSL` (required): the Kafka user, e.g. a Strimzi `KafkaUser`."""
    kafka_sasl_password: str = setting("PARKVPP_KAFKA_SASL_PASSWORD", "", repr=False)
    """With `SASL_SSL` (required): the Kafka user's password."""
    kafka_ca_file: File = setting("PARKVPP_KAFKA_CA_FILE", "", shown="unset (system CAs)")
    """CA of the brokers' certificates (`SSL`, `SASL_SSL`)."""
    kafka_cert_file: File = setting("PARKVPP_KAFKA_CERT_FILE", "")
    """Client certificate for mutual TLS (`SSL`), with `PARKVPP_KAFKA_KEY_FILE`."""
    kafka_key_file: File = setting("PARKVPP_KAFKA_KEY_FILE", "")
    """Client private key for mutual TLS (`SSL`), with `PARKVPP_KAFKA_CERT_FILE`."""
    grid_region: GridRegion = setting("PARKVPP_GRID_REGION", "national")
    """Grid of the location-based factor (MEE/NBS tables in `certificates/factors.py`):
    national for 2021-2023, the seven regional grids for 2023 (Jiangsu is `east`)."""
    grid_factor_year: Int = setting("PARKVPP_GRID_FACTOR_YEAR", 2022, ge=2000, le=2100)
    """Data year of the location-based and residual factors; a region and year with no
    published factor stops start-up."""
    grid_factor_override_kg_per_kwh: Factor = setting("PARKVPP_GRID_FACTOR_KG_PER_KWH", None)
    """Overrides the region/year factor with your own (reported as such)."""
    residual_factor_override_kg_per_kwh: Factor = setting(
        "PARKVPP_RESIDUAL_FACTOR_KG_PER_KWH",
        None,
        shown="unset (the year's: 2022 `0.5856`, 2023 `0.6096`)",
    )
    """Overrides the market-based residual factor, by default the MEE/NBS national average
    excluding market-traded non-fossil electricity of `PARKVPP_GRID_FACTOR_YEAR` (a proxy;
    see [carbon accounting](carbon.md))."""
    electricity_tce_basis: TceBasis = setting(
        "PARKVPP_ELECTRICITY_TCE_BASIS", ElectricityConversion.EQUIVALENT_VALUE.value
    )
    """Electricity to standard coal in the park indicators: `equivalent_value` (0.1229
    kgce/kWh) or `coal_equivalent` (0.300 kgce/kWh)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the variables load_settings was given (else the process's own)."""
        given = _GIVEN_ENV.get()
        return init_settings, _Variables(settings_cls, os.environ if given is None else given)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: Any) -> Any:
        """An empty number, flag or peer address means its default, as if unset."""
        if isinstance(data, Mapping):
            return {k: v for k, v in data.items() if not (v == "" and k in _BLANK_IS_UNSET)}
        return data

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, level: Any) -> Any:
        level = level.upper() if isinstance(level, str) else level
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise SettingsError(f"PARKVPP_LOG_LEVEL={level!r} must be DEBUG/INFO/WARNING/ERROR")
        return level

    @field_validator("token_secret", "ledger_signing_key")
    @classmethod
    def _signing_key(cls, secret: str, info: ValidationInfo) -> str:
        if secret:
            check_token_secret(secret, env_name(info.field_name or ""))
        return secret

    @model_validator(mode="after")
    def _together(self) -> Settings:
        """Settings that contradict each other stop start-up (settings_rules.check_together)."""
        check_together(self)
        return self

    @property
    def grid_factor_kg_per_kwh(self) -> float:
        """Location-based factor: the override, else the region's published one for the year."""
        return location_factor(self)[0]

    @property
    def grid_factor_basis(self) -> str:
        return location_factor(self)[1]

    @property
    def residual_factor_kg_per_kwh(self) -> float:
        """Market-based residual factor: the override, else the published one (national
        where the region has none) for the year."""
        return residual_factor_of(self)[0]

    @property
    def residual_factor_basis(self) -> str:
        return residual_factor_of(self)[1]

    @property
    def peer_addrs(self) -> dict[str, str]:
        """host:port of every service, by its name in SERVICE_NAMES."""
        return {name: getattr(self, f"{name}_addr") for name in SERVICE_NAMES}

    @property
    def embedded(self) -> bool:
        """True when neither Redis nor Kafka is configured: `parkvpp up` starts both."""
        return not self.redis_url and not self.kafka_bootstrap_servers

    def addr_of(self, service: str) -> str:
        """host:port of a peer service, e.g. the market gateway for the bidder."""
        return self.peer_addrs[service]

    def market_price_range(self, product: str) -> tuple[int, int]:
        """(floor, cap) in fen/MWh of a market product: "ENERGY" or "DEMAND_RESPONSE"."""
        if product == "ENERGY":
            return self.market_price_floor_fen_per_mwh, self.market_price_cap_fen_per_mwh
        return self.market_dr_price_floor_fen_per_mwh, self.market_dr_price_cap_fen_per_mwh

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields replaced (not validated again); TypeError on unknown ones."""
        unknown = set(changes) - set(type(self).model_fields)
        if unknown:
            raise TypeError(f"Settings has no field {', '.join(sorted(unknown))}")
        return self.model_copy(update=changes)


#: Variables whose empty value means unset: numbers, flags and peer addresses.
_BLANK_IS_UNSET = {
    str(field.validation_alias)
    for field in Settings.model_fields.values()
    if str(field.validation_alias).endswith("_ADDR")
    or (field.annotation is not str and get_origin(field.annotation) is not Literal)
}


def env_name(field_name: str) -> str:
    """The environment variable of a Settings field, e.g. "PARKVPP_GRPC_PORT"."""
    return str(Settings.model_fields[field_name].validation_alias)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from `env` (default os.environ).

    Raises SettingsError naming the variable when a value is malformed or out of range, or
    when a setting the chosen mode would ignore is set (a line for each such variable).
    """
    given = _GIVEN_ENV.set(env)
    try:
        return Settings()
    except ValidationError as exc:
        raise settings_error(exc, Settings) from exc
    finally:
        _GIVEN_ENV.reset(given)
