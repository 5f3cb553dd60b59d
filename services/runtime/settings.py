"""Settings read once from the environment into a typed object; bad values stop start-up."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar
from urllib.parse import urlsplit

from bidding.baseline import BASELINE_METHODS
from certificates.carbon import GRID_FACTOR_KG_PER_KWH, RESIDUAL_FACTOR_KG_PER_KWH
from certificates.exceptions import InvalidInput as CertificateInputError
from certificates.factors import (
    GRID_REGIONS,
    ElectricityConversion,
    grid_factor,
    residual_factor,
)
from certificates.ids import ID_RULE, is_id
from services.runtime.auth import MIN_SECRET_BYTES

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


T = TypeVar("T", int, float)


class SettingsError(ValueError):
    """An environment variable holds a value ParkVPP cannot use; names the variable."""


def _number(env: Mapping[str, str], name: str, default: T, low: T, high: T, kind: type[T]) -> T:
    """`kind(env[name])` within [low, high], or `default` when unset or empty."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        what = "an integer" if kind is int else "a number"
        raise SettingsError(f"{name}={raw!r} is not {what}") from exc
    if not low <= value <= high:  # type: ignore[operator]
        raise SettingsError(f"{name}={value} must be between {low} and {high}")
    return value


def _residual_factor(env: Mapping[str, str], region: str, year: int) -> dict[str, object]:
    """The market-based residual factor: PARKVPP_RESIDUAL_FACTOR_KG_PER_KWH if set, else the
    published one of the region (the national one where the region has none) and year."""
    if "PARKVPP_RESIDUAL_FACTOR_KG_PER_KWH" in env:
        value = _float(env, "PARKVPP_RESIDUAL_FACTOR_KG_PER_KWH", 0.0, 0.0, 5.0)
        return {
            "residual_factor_kg_per_kwh": value,
            "residual_factor_basis": "PARKVPP_RESIDUAL_FACTOR_KG_PER_KWH",
        }
    try:
        value, basis = residual_factor(region, year)
    except CertificateInputError as exc:
        raise SettingsError(
            f"PARKVPP_GRID_FACTOR_YEAR={year}: no published residual factor ({exc.rule}); "
            "set PARKVPP_RESIDUAL_FACTOR_KG_PER_KWH"
        ) from exc
    return {"residual_factor_kg_per_kwh": value, "residual_factor_basis": basis}


def _grid_factor(env: Mapping[str, str]) -> dict[str, object]:
    """The location-based factor: PARKVPP_GRID_FACTOR_KG_PER_KWH if set, else the published
    factor of PARKVPP_GRID_REGION (default national) for PARKVPP_GRID_FACTOR_YEAR (2022);
    and the residual factor of the same region and year (_residual_factor)."""
    region = _choice(env, "PARKVPP_GRID_REGION", "national", GRID_REGIONS)
    year = _int(env, "PARKVPP_GRID_FACTOR_YEAR", 2022, 2000, 2100)
    return {**_location_factor(env, region, year), **_residual_factor(env, region, year)}


def _location_factor(env: Mapping[str, str], region: str, year: int) -> dict[str, object]:
    if "PARKVPP_GRID_FACTOR_KG_PER_KWH" in env:
        value = _float(env, "PARKVPP_GRID_FACTOR_KG_PER_KWH", 0.0, 0.0, 5.0)
        return {
            "grid_factor_kg_per_kwh": value,
            "grid_factor_basis": "PARKVPP_GRID_FACTOR_KG_PER_KWH",
        }
    try:
        value = grid_factor(region, year)
    except CertificateInputError as exc:
        raise SettingsError(
            f"PARKVPP_GRID_FACTOR_YEAR={year}: no published factor for the {region} grid "
            f"({exc.rule}); set PARKVPP_GRID_FACTOR_KG_PER_KWH"
        ) from exc
    return {
        "grid_factor_kg_per_kwh": value,
        "grid_factor_basis": f"{region} grid, {year} (MEE/NBS)",
    }


def _topic_prefix(env: Mapping[str, str]) -> str:
    """PARKVPP_KAFKA_TOPIC_PREFIX: letters, digits, '.', '_' and '-' only (Kafka's own rule)."""
    value = env.get("PARKVPP_KAFKA_TOPIC_PREFIX", "")
    if not re.fullmatch(r"[A-Za-z0-9._-]{0,100}", value):
        raise SettingsError(
            f"PARKVPP_KAFKA_TOPIC_PREFIX={value!r} may hold only letters, digits, '.', '_', '-'"
        )
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    return _number(env, name, default, low, high, int)


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    return _number(env, name, default, low, high, float)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A yes/no variable: 1/true/yes/on or 0/false/no/off (any case), `default` when unset."""
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}={raw!r} must be 1/true/yes/on or 0/false/no/off")


def _addr(env: Mapping[str, str], service: str) -> str:
    name = f"PARKVPP_{service.upper()}_ADDR"
    value = env.get(name) or f"127.0.0.1:{DEFAULT_GRPC_PORTS[service]}"
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise SettingsError(f"{name}={value!r} must look like host:port")
    return value


def _id(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, default)
    if not is_id(value):
        raise SettingsError(f"{name}={value!r} {ID_RULE}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: Iterable[str]) -> str:
    value = env.get(name, default)
    if value not in choices:
        raise SettingsError(f"{name}={value!r} must be one of {', '.join(sorted(choices))}")
    return value


#: The placeholder values of the Secret templates in deploy/k8s/secrets/. They are public,
#: so a key equal to one signs tokens anyone can mint; kept here (not read from deploy/,
#: which an installed package lacks), and a test checks every placeholder in deploy/ is one.
PLACEHOLDER_SECRETS = frozenset(
    {
        "REPLACE-with-at-least-32-random-bytes-from-openssl-rand",
        "REPLACE-with-a-random-password-from-openssl-rand",
        "REPLACE with the PEM certificate chain",
        "REPLACE with the PEM private key",
        "REPLACE with the PEM CA certificate",
    }
)


def check_token_secret(secret: str, name: str = "PARKVPP_TOKEN_SECRET") -> None:
    """Refuse a signing key that is unset, shorter than 32 bytes or a deploy/ placeholder.

    Raises SettingsError naming `name`.
    """
    if not secret:
        raise SettingsError(f"{name} must be set: every RPC needs a signed token")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(f"{name} must be at least {MIN_SECRET_BYTES} bytes long")
    if secret.strip() in PLACEHOLDER_SECRETS or secret.strip().upper().startswith("REPLACE"):
        raise SettingsError(
            f"{name} holds the placeholder of a Secret template in deploy/: anyone can mint "
            "tokens with it; make a key with `openssl rand -hex 32`"
        )


def _secret(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if value:
        check_token_secret(value, name)
    return value


def _tls_files(env: Mapping[str, str]) -> dict[str, str]:
    """TLS file paths: certificate and key together or neither; a CA turns on mutual TLS."""
    files = {
        "tls_cert_file": env.get("PARKVPP_TLS_CERT_FILE", ""),
        "tls_key_file": env.get("PARKVPP_TLS_KEY_FILE", ""),
        "tls_ca_file": env.get("PARKVPP_TLS_CA_FILE", ""),
    }
    if bool(files["tls_cert_file"]) != bool(files["tls_key_file"]):
        raise SettingsError("PARKVPP_TLS_CERT_FILE and PARKVPP_TLS_KEY_FILE go together")
    if files["tls_ca_file"] and not files["tls_cert_file"]:
        raise SettingsError("PARKVPP_TLS_CA_FILE (mutual TLS) needs PARKVPP_TLS_CERT_FILE")
    for key, path in files.items():
        if path and not os.path.isfile(path):
            raise SettingsError(f"PARKVPP_{key.upper()}={path!r} is not a readable file")
    return files


def _file(env: Mapping[str, str], name: str) -> str:
    path = env.get(name, "")
    if path and not os.path.isfile(path):
        raise SettingsError(f"{name}={path!r} is not a readable file")
    return path


KAFKA_SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")


def _kafka_security(env: Mapping[str, str], bootstrap: str) -> dict[str, str]:
    """How Kafka clients connect (see kafka_config.py): TLS, mutual TLS or SASL over TLS.

    Settings a protocol would ignore are refused, so a half-configured client fails here.
    """
    protocol = _choice(
        env, "PARKVPP_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT", KAFKA_SECURITY_PROTOCOLS
    )
    values = {
        "kafka_security_protocol": protocol,
        "kafka_sasl_mechanism": _choice(
            env, "PARKVPP_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512", KAFKA_SASL_MECHANISMS
        ),
        "kafka_sasl_username": env.get("PARKVPP_KAFKA_SASL_USERNAME", ""),
        "kafka_sasl_password": env.get("PARKVPP_KAFKA_SASL_PASSWORD", ""),
        "kafka_ca_file": _file(env, "PARKVPP_KAFKA_CA_FILE"),
        "kafka_cert_file": _file(env, "PARKVPP_KAFKA_CERT_FILE"),
        "kafka_key_file": _file(env, "PARKVPP_KAFKA_KEY_FILE"),
    }
    if protocol != "PLAINTEXT" and not bootstrap:
        raise SettingsError(
            f"PARKVPP_KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_BOOTSTRAP_SERVERS "
            "(the embedded broker is plaintext)"
        )
    if bool(values["kafka_cert_file"]) != bool(values["kafka_key_file"]):
        raise SettingsError("PARKVPP_KAFKA_CERT_FILE and PARKVPP_KAFKA_KEY_FILE go together")
    sasl = ("PARKVPP_KAFKA_SASL_USERNAME", "PARKVPP_KAFKA_SASL_PASSWORD")
    if protocol == "SASL_SSL" and not all(env.get(name) for name in sasl):
        raise SettingsError(f"PARKVPP_KAFKA_SECURITY_PROTOCOL=SASL_SSL needs {' and '.join(sasl)}")
    unused = [name for name in (*sasl, "PARKVPP_KAFKA_SASL_MECHANISM") if env.get(name)]
    if protocol != "SASL_SSL" and unused:
        raise SettingsError(
            f"{unused[0]} is used only with PARKVPP_KAFKA_SECURITY_PROTOCOL=SASL_SSL"
        )
    tls = ("PARKVPP_KAFKA_CA_FILE", "PARKVPP_KAFKA_CERT_FILE", "PARKVPP_KAFKA_KEY_FILE")
    unused = [name for name in tls if env.get(name)]
    if protocol == "PLAINTEXT" and unused:
        raise SettingsError(f"{unused[0]} needs PARKVPP_KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL")
    return values


def _redis_security(env: Mapping[str, str], url: str) -> dict[str, str]:
    """PARKVPP_REDIS_PASSWORD (from a Secret, not in the URL) and the CA of a rediss:// server."""
    password = env.get("PARKVPP_REDIS_PASSWORD", "")
    ca_file = _file(env, "PARKVPP_REDIS_CA_FILE")
    if password and not url:
        raise SettingsError("PARKVPP_REDIS_PASSWORD needs REDIS_URL (the embedded Valkey has none)")
    if password and urlsplit(url).password:
        raise SettingsError("PARKVPP_REDIS_PASSWORD is set and REDIS_URL holds a password too")
    if ca_file and not url.startswith("rediss://"):
        raise SettingsError("PARKVPP_REDIS_CA_FILE needs a REDIS_URL that starts with rediss://")
    return {"redis_password": password, "redis_ca_file": ca_file}


def _health_port(env: Mapping[str, str]) -> int:
    """PARKVPP_HEALTH_PORT: a plaintext port serving only grpc.health.v1 (0: none)."""
    port = _int(env, "PARKVPP_HEALTH_PORT", 0, 0, 65535)
    for other in ("PARKVPP_GRPC_PORT", "PARKVPP_METRICS_PORT"):
        if port and port == _int(env, other, 0, 0, 65535):
            raise SettingsError(f"PARKVPP_HEALTH_PORT={port} is {other} too")
    return port


#: Shandong's day-ahead spot bid range, -80..1,300 yuan/MWh, as the ENERGY default.
ENERGY_PRICE_FLOOR_FEN_PER_MWH = -8_000
ENERGY_PRICE_CAP_FEN_PER_MWH = 130_000
#: Invitation-style demand response: 0..15 yuan/kWh.
DR_PRICE_FLOOR_FEN_PER_MWH = 0
DR_PRICE_CAP_FEN_PER_MWH = 1_500_000
#: Outer bound of any configured price (10 million CNY per MWh): keeps sums exact.
MAX_MARKET_PRICE_FEN_PER_MWH = 1_000_000_000


def _price_range(
    env: Mapping[str, str], names: tuple[str, str], floor: int, cap: int
) -> tuple[int, int]:
    """(floor, cap) from the two variables `names`; the floor must lie below the cap."""
    bound = MAX_MARKET_PRICE_FEN_PER_MWH
    low = _int(env, names[0], floor, -bound, bound)
    high = _int(env, names[1], cap, -bound, bound)
    if low >= high:
        raise SettingsError(f"{names[0]}={low} must be below {names[1]}={high}")
    return low, high


#: Green-power trades (certificate + money): 0..2,000 CNY/MWh by default.
GREEN_PRICE_MAX_FEN_PER_MWH = 200_000


def _green_price_band(env: Mapping[str, str]) -> dict[str, int]:
    """PARKVPP_GREEN_PRICE_MIN/MAX_FEN_PER_MWH: the prices a green-power trade may carry."""
    names = ("PARKVPP_GREEN_PRICE_MIN_FEN_PER_MWH", "PARKVPP_GREEN_PRICE_MAX_FEN_PER_MWH")
    low, high = _price_range(env, names, 0, GREEN_PRICE_MAX_FEN_PER_MWH)
    if low < 0:
        raise SettingsError(f"{names[0]}={low} must be >= 0")
    return {"green_price_min_fen_per_mwh": low, "green_price_max_fen_per_mwh": high}


def _stream_limits(env: Mapping[str, str]) -> dict[str, object]:
    """Server threads, the ones kept from streams, and per-tenant stream limits."""
    workers = _int(env, "PARKVPP_GRPC_WORKERS", 16, 2, 512)
    reserved = _int(env, "PARKVPP_GRPC_RESERVED_WORKERS", 4, 1, 511)
    if reserved >= workers:
        raise SettingsError(
            f"PARKVPP_GRPC_RESERVED_WORKERS={reserved} must be below "
            f"PARKVPP_GRPC_WORKERS={workers}: streams need at least one thread"
        )
    return {
        "grpc_workers": workers,
        "grpc_reserved_workers": reserved,
        "streams_per_tenant": _int(env, "PARKVPP_STREAMS_PER_TENANT", 4, 1, 512),
        "stream_idle_timeout_s": _float(env, "PARKVPP_STREAM_IDLE_TIMEOUT_S", 60.0, 0.1, 86400.0),
    }


def _market(env: Mapping[str, str]) -> dict[str, object]:
    """The market gateway, the exchange's price ranges and its synthetic participants."""
    gateway = _choice(env, "PARKVPP_MARKET_GATEWAY", "reference", ("reference", "file"))
    gateway_dir = env.get("PARKVPP_MARKET_GATEWAY_DIR", "")
    if gateway == "file" and not gateway_dir:
        raise SettingsError("PARKVPP_MARKET_GATEWAY=file needs PARKVPP_MARKET_GATEWAY_DIR")
    energy = _price_range(
        env,
        ("PARKVPP_MARKET_PRICE_FLOOR_FEN_PER_MWH", "PARKVPP_MARKET_PRICE_CAP_FEN_PER_MWH"),
        ENERGY_PRICE_FLOOR_FEN_PER_MWH,
        ENERGY_PRICE_CAP_FEN_PER_MWH,
    )
    dr = _price_range(
        env,
        ("PARKVPP_MARKET_DR_PRICE_FLOOR_FEN_PER_MWH", "PARKVPP_MARKET_DR_PRICE_CAP_FEN_PER_MWH"),
        DR_PRICE_FLOOR_FEN_PER_MWH,
        DR_PRICE_CAP_FEN_PER_MWH,
    )
    participants = env.get("PARKVPP_MARKET_PARTICIPANTS_FILE", "")
    if participants and not os.path.isfile(participants):
        raise SettingsError(f"PARKVPP_MARKET_PARTICIPANTS_FILE={participants!r} is not a file")
    return {
        "market_gateway": gateway,
        "market_gateway_dir": gateway_dir,
        "market_price_floor_fen_per_mwh": energy[0],
        "market_price_cap_fen_per_mwh": energy[1],
        "market_dr_price_floor_fen_per_mwh": dr[0],
        "market_dr_price_cap_fen_per_mwh": dr[1],
        "market_participants_file": participants,
    }


@dataclass(frozen=True)
class Settings:
    """Everything a ParkVPP process reads from its environment (see README for the table)."""

    redis_url: str = ""
    kafka_bootstrap_servers: str = ""
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 0
    metrics_port: int = 0
    grpc_workers: int = 16
    #: Server threads no long-lived stream may take: unary calls and health checks use them.
    grpc_reserved_workers: int = 4
    #: Open dispatch streams, and open meter streams, per tenant per server.
    streams_per_tenant: int = 4
    #: A meter stream that sends nothing for this long is ended (DEADLINE_EXCEEDED).
    stream_idle_timeout_s: float = 60.0
    shutdown_grace_s: float = 10.0
    log_level: str = "INFO"
    data_dir: str = ".parkvpp"
    kafka_group_prefix: str = "parkvpp"
    #: Put before every topic name (e.g. "staging." or one per test stack); "" in production.
    kafka_topic_prefix: str = ""
    kafka_rebalance_timeout_ms: int = 10000
    kafka_partitions: int = 3
    kafka_replication: int = 1
    kafka_publish_timeout_s: float = 30.0
    #: Keep published outbox events until every consumer group applied them (a memory-only
    #: broker, e.g. the embedded one); off: delete once Kafka acknowledged them (acks=all).
    outbox_retain: bool = False
    outbox_poll_s: float = 0.05
    outbox_retry_s: float = 60.0
    #: Unpublished events one enterprise's outbox may hold before meters get UNAVAILABLE.
    outbox_max_backlog: int = 100_000
    vpp_participant_id: str = "parkvpp-vpp"
    operator_fee_share_percent: int = 10
    #: DR capacity payment per awarded kW and interval (settlement.program), 0: none.
    capacity_price_fen_per_kw: int = 0
    dispatch_ack_seconds: int = 300
    following_share_percent: int = 50
    following_intervals: int = 2
    following_check_s: int = 300
    baseline_method: str = "similar_day"
    token_secret: str = field(default="", repr=False)
    #: HMAC key of the certificate ledger's audit entries (services/certificates/signing_key.py).
    ledger_signing_key: str = field(default="", repr=False)
    #: Prices a green-power trade may be proposed and settled at.
    green_price_min_fen_per_mwh: int = 0
    green_price_max_fen_per_mwh: int = GREEN_PRICE_MAX_FEN_PER_MWH
    rate_writes_per_s: float = 100.0
    rate_writes_burst: float = 1000.0
    rate_readings_per_s: float = 50000.0
    rate_readings_burst: float = 500000.0
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_ca_file: str = ""
    #: Kafka client security (kafka_config.kafka_client_options): PLAINTEXT, SSL, SASL_SSL.
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = field(default="", repr=False)
    kafka_ca_file: str = ""
    kafka_cert_file: str = ""
    kafka_key_file: str = ""
    redis_password: str = field(default="", repr=False)
    redis_ca_file: str = ""
    #: A plaintext port answering only gRPC health checks (the kubelet's probes under TLS).
    health_port: int = 0
    grid_factor_kg_per_kwh: float = GRID_FACTOR_KG_PER_KWH
    grid_factor_basis: str = "national grid, 2022 (MEE/NBS)"
    residual_factor_kg_per_kwh: float = RESIDUAL_FACTOR_KG_PER_KWH
    residual_factor_basis: str = (
        "national average excluding market-traded non-fossil electricity, 2022 "
        "(MEE/NBS; proxy for a residual mix)"
    )
    electricity_tce_basis: str = ElectricityConversion.EQUIVALENT_VALUE.value
    market_gateway: str = "reference"
    market_gateway_dir: str = ""
    market_price_floor_fen_per_mwh: int = ENERGY_PRICE_FLOOR_FEN_PER_MWH
    market_price_cap_fen_per_mwh: int = ENERGY_PRICE_CAP_FEN_PER_MWH
    market_dr_price_floor_fen_per_mwh: int = DR_PRICE_FLOOR_FEN_PER_MWH
    market_dr_price_cap_fen_per_mwh: int = DR_PRICE_CAP_FEN_PER_MWH
    market_participants_file: str = ""
    storage_energy_share: float = 0.5
    peer_addrs: dict[str, str] = field(default_factory=dict)

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

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from `env` (default os.environ).

    Raises SettingsError naming the variable when a value is malformed or out of range,
    or when only one of REDIS_URL and KAFKA_BOOTSTRAP_SERVERS is set.
    """
    env = os.environ if env is None else env
    redis_url = env.get("REDIS_URL", "")
    kafka = env.get("KAFKA_BOOTSTRAP_SERVERS", "")
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(f"REDIS_URL={redis_url!r} must start with redis://, rediss://")
    log_level = env.get("PARKVPP_LOG_LEVEL", "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(f"PARKVPP_LOG_LEVEL={log_level!r} must be DEBUG/INFO/WARNING/ERROR")
    return Settings(
        redis_url=redis_url,
        kafka_bootstrap_servers=kafka,
        grpc_host=env.get("PARKVPP_GRPC_HOST", "127.0.0.1"),
        grpc_port=_int(env, "PARKVPP_GRPC_PORT", 0, 0, 65535),
        metrics_port=_int(env, "PARKVPP_METRICS_PORT", 0, 0, 65535),
        **_stream_limits(env),
        shutdown_grace_s=_float(env, "PARKVPP_SHUTDOWN_GRACE_S", 10.0, 0.0, 300.0),
        log_level=log_level,
        data_dir=env.get("PARKVPP_DATA_DIR", ".parkvpp"),
        kafka_group_prefix=env.get("PARKVPP_KAFKA_GROUP_PREFIX", "parkvpp"),
        kafka_topic_prefix=_topic_prefix(env),
        kafka_rebalance_timeout_ms=_int(
            env, "PARKVPP_KAFKA_REBALANCE_TIMEOUT_MS", 10000, 1000, 600000
        ),
        kafka_partitions=_int(env, "PARKVPP_KAFKA_PARTITIONS", 3, 1, 1024),
        kafka_replication=_int(env, "PARKVPP_KAFKA_REPLICATION", 1, 1, 16),
        kafka_publish_timeout_s=_float(env, "PARKVPP_KAFKA_PUBLISH_TIMEOUT_S", 30.0, 1.0, 600.0),
        outbox_retain=_flag(env, "PARKVPP_OUTBOX_RETAIN", False),
        outbox_poll_s=_float(env, "PARKVPP_OUTBOX_POLL_S", 0.05, 0.001, 10.0),
        outbox_retry_s=_float(env, "PARKVPP_OUTBOX_RETRY_S", 60.0, 1.0, 86400.0),
        outbox_max_backlog=_int(env, "PARKVPP_OUTBOX_MAX_BACKLOG", 100_000, 1, 100_000_000),
        vpp_participant_id=_id(env, "PARKVPP_VPP_PARTICIPANT_ID", "parkvpp-vpp"),
        operator_fee_share_percent=_int(env, "PARKVPP_OPERATOR_FEE_PERCENT", 10, 0, 100),
        capacity_price_fen_per_kw=_int(env, "PARKVPP_CAPACITY_PRICE_FEN_PER_KW", 0, 0, 1_000_000),
        dispatch_ack_seconds=_int(env, "PARKVPP_DISPATCH_ACK_SECONDS", 300, 1, 86400),
        following_share_percent=_int(env, "PARKVPP_FOLLOWING_SHARE_PERCENT", 50, 1, 100),
        following_intervals=_int(env, "PARKVPP_FOLLOWING_INTERVALS", 2, 1, 96),
        following_check_s=_int(env, "PARKVPP_FOLLOWING_CHECK_S", 300, 0, 86400),
        baseline_method=_choice(env, "PARKVPP_BASELINE_METHOD", "similar_day", BASELINE_METHODS),
        token_secret=_secret(env, "PARKVPP_TOKEN_SECRET"),
        ledger_signing_key=_secret(env, "PARKVPP_LEDGER_SIGNING_KEY"),
        **_green_price_band(env),
        rate_writes_per_s=_float(env, "PARKVPP_RATE_WRITES_PER_S", 100.0, 0.0, 1e6),
        rate_writes_burst=_float(env, "PARKVPP_RATE_WRITES_BURST", 1000.0, 1.0, 1e7),
        rate_readings_per_s=_float(env, "PARKVPP_RATE_READINGS_PER_S", 50000.0, 0.0, 1e8),
        rate_readings_burst=_float(env, "PARKVPP_RATE_READINGS_BURST", 500000.0, 1.0, 1e9),
        **_tls_files(env),
        **_kafka_security(env, kafka),
        **_redis_security(env, redis_url),
        health_port=_health_port(env),
        **_grid_factor(env),
        electricity_tce_basis=_choice(
            env,
            "PARKVPP_ELECTRICITY_TCE_BASIS",
            ElectricityConversion.EQUIVALENT_VALUE.value,
            [basis.value for basis in ElectricityConversion],
        ),
        **_market(env),
        storage_energy_share=_float(env, "PARKVPP_STORAGE_ENERGY_SHARE", 0.5, 0.0, 1.0),
        peer_addrs={name: _addr(env, name) for name in SERVICE_NAMES},
    )
