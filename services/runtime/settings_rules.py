"""What the settings accept: value types, checks across settings, errors naming the variable.

services/runtime/settings.py defines each setting and re-exports the public names here;
this module never imports it at run time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from annotated_types import Ge, Le
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, ValidationError
from pydantic.fields import FieldInfo

from bidding.baseline import BASELINE_METHODS
from certificates.exceptions import InvalidInput as CertificateInputError
from certificates.factors import (
    GRID_REGIONS,
    ElectricityConversion,
    grid_factor,
    residual_factor,
)
from certificates.ids import ID_RULE, is_id
from services.runtime.auth import MIN_SECRET_BYTES

if TYPE_CHECKING:
    from services.runtime.settings import Settings

KAFKA_SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")

#: Outer bound of any configured price (10 million CNY per MWh): keeps sums exact.
MAX_MARKET_PRICE_FEN_PER_MWH = 1_000_000_000

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


class SettingsError(ValueError):
    """An environment variable holds a value ParkVPP cannot use; names the variable."""


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


def _flag(raw: object) -> object:
    """A yes/no variable: 1/true/yes/on or 0/false/no/off (any case)."""
    if not isinstance(raw, str):
        return raw
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be 1/true/yes/on or 0/false/no/off")


def _rule(holds: Callable[[str], bool], reason: str) -> AfterValidator:
    """A check of a text setting; `reason` follows "NAME=value" in the error."""

    def check(value: str) -> str:
        if not holds(value):
            raise ValueError(reason)
        return value

    return AfterValidator(check)


def _host_port(value: str) -> bool:
    host, sep, port = value.rpartition(":")
    return bool(sep and host and port.isdigit())


def _number(kind: type[int] | type[float]) -> BeforeValidator:
    """`kind(raw)` of a variable's text, as Python reads numbers."""
    what = "an integer" if kind is int else "a number"

    def parse(raw: object) -> object:
        if not isinstance(raw, str):
            return raw
        try:
            return kind(raw)
        except ValueError:
            raise ValueError(f"is not {what}") from None

    return BeforeValidator(parse)


Int = Annotated[int, _number(int)]
Float = Annotated[float, _number(float)]
Flag = Annotated[bool, BeforeValidator(_flag)]
File = Annotated[
    str, _rule(lambda path: not path or os.path.isfile(path), "is not a readable file")
]
HostPort = Annotated[str, _rule(_host_port, "must look like host:port")]
RedisUrl = Annotated[
    str,
    _rule(
        lambda url: not url or url.startswith(("redis://", "rediss://", "unix://")),
        "must start with redis://, rediss://",
    ),
]
#: Letters, digits, '.', '_' and '-' only (Kafka's own rule for topic names).
TopicPrefix = Annotated[
    str,
    _rule(
        lambda prefix: bool(re.fullmatch(r"[A-Za-z0-9._-]{0,100}", prefix)),
        "may hold only letters, digits, '.', '_', '-'",
    ),
]
ParticipantId = Annotated[str, _rule(is_id, ID_RULE)]
ParticipantsFile = Annotated[
    str, _rule(lambda path: not path or os.path.isfile(path), "is not a file")
]
Port = Annotated[Int, Field(ge=0, le=65535)]
Price = Annotated[Int, Field(ge=-MAX_MARKET_PRICE_FEN_PER_MWH, le=MAX_MARKET_PRICE_FEN_PER_MWH)]
Factor = Annotated[Annotated[float, Ge(0.0), Le(5.0)] | None, _number(float)]
BaselineMethod = Literal[tuple(BASELINE_METHODS)]  # type: ignore[valid-type]
GridRegion = Literal[GRID_REGIONS]  # type: ignore[valid-type]
TceBasis = Literal[tuple(basis.value for basis in ElectricityConversion)]  # type: ignore[valid-type]
KafkaProtocol = Literal[KAFKA_SECURITY_PROTOCOLS]  # type: ignore[valid-type]
SaslMechanism = Literal[KAFKA_SASL_MECHANISMS]  # type: ignore[valid-type]


def _env(settings: Settings, field_name: str) -> str:
    return str(type(settings).model_fields[field_name].validation_alias)


def _given(settings: Settings, *names: str) -> list[str]:
    """Variables among `names` set to a non-empty value, in order."""
    return [
        _env(settings, n) for n in names if n in settings.model_fields_set and getattr(settings, n)
    ]


def check_together(settings: Settings) -> None:
    """Refuse settings that contradict each other or that the chosen mode would ignore.

    Raises SettingsError naming the variables, for the first rule broken.
    """
    _check_stream_threads(settings)
    _check_tls_pairs(settings)
    _check_kafka_security(settings)
    _check_redis_security(settings)
    _check_market(settings)
    # A region and year with no published factor (and no override) stop start-up.
    location_factor(settings)
    residual_factor_of(settings)


def _check_stream_threads(s: Settings) -> None:
    if s.grpc_reserved_workers >= s.grpc_workers:
        raise SettingsError(
            f"PARKVPP_GRPC_RESERVED_WORKERS={s.grpc_reserved_workers} must be below "
            f"PARKVPP_GRPC_WORKERS={s.grpc_workers}: streams need at least one thread"
        )
    if s.health_port:
        for other in ("grpc_port", "metrics_port"):
            if s.health_port == getattr(s, other):
                raise SettingsError(f"PARKVPP_HEALTH_PORT={s.health_port} is {_env(s, other)} too")


def _check_tls_pairs(s: Settings) -> None:
    """TLS files: certificate and key together or neither; a CA turns on mutual TLS."""
    if bool(s.tls_cert_file) != bool(s.tls_key_file):
        raise SettingsError("PARKVPP_TLS_CERT_FILE and PARKVPP_TLS_KEY_FILE go together")
    if s.tls_ca_file and not s.tls_cert_file:
        raise SettingsError("PARKVPP_TLS_CA_FILE (mutual TLS) needs PARKVPP_TLS_CERT_FILE")


def _check_kafka_security(s: Settings) -> None:
    """Settings a protocol would ignore are refused, so a half-configured client fails here."""
    protocol = s.kafka_security_protocol
    if protocol != "PLAINTEXT" and not s.kafka_bootstrap_servers:
        raise SettingsError(
            f"PARKVPP_KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_BOOTSTRAP_SERVERS "
            "(the embedded broker is plaintext)"
        )
    if bool(s.kafka_cert_file) != bool(s.kafka_key_file):
        raise SettingsError("PARKVPP_KAFKA_CERT_FILE and PARKVPP_KAFKA_KEY_FILE go together")
    login = ("kafka_sasl_username", "kafka_sasl_password")
    if protocol == "SASL_SSL" and not all(getattr(s, name) for name in login):
        needed = " and ".join(_env(s, name) for name in login)
        raise SettingsError(f"PARKVPP_KAFKA_SECURITY_PROTOCOL=SASL_SSL needs {needed}")
    unused = _given(s, *login, "kafka_sasl_mechanism")
    if protocol != "SASL_SSL" and unused:
        raise SettingsError(
            f"{unused[0]} is used only with PARKVPP_KAFKA_SECURITY_PROTOCOL=SASL_SSL"
        )
    unused = _given(s, "kafka_ca_file", "kafka_cert_file", "kafka_key_file")
    if protocol == "PLAINTEXT" and unused:
        raise SettingsError(f"{unused[0]} needs PARKVPP_KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL")


def _check_redis_security(s: Settings) -> None:
    """The password comes from a Secret, not the URL; a CA only for a rediss:// server."""
    url = s.redis_url
    if s.redis_password and not url:
        raise SettingsError("PARKVPP_REDIS_PASSWORD needs REDIS_URL (the embedded Valkey has none)")
    if s.redis_password and urlsplit(url).password:
        raise SettingsError("PARKVPP_REDIS_PASSWORD is set and REDIS_URL holds a password too")
    if s.redis_ca_file and not url.startswith("rediss://"):
        raise SettingsError("PARKVPP_REDIS_CA_FILE needs a REDIS_URL that starts with rediss://")


def _check_market(s: Settings) -> None:
    """The file gateway needs its directory; each price floor lies below its cap."""
    if s.market_gateway == "file" and not s.market_gateway_dir:
        raise SettingsError("PARKVPP_MARKET_GATEWAY=file needs PARKVPP_MARKET_GATEWAY_DIR")
    for floor, cap in (
        ("market_price_floor_fen_per_mwh", "market_price_cap_fen_per_mwh"),
        ("market_dr_price_floor_fen_per_mwh", "market_dr_price_cap_fen_per_mwh"),
        ("green_price_min_fen_per_mwh", "green_price_max_fen_per_mwh"),
    ):
        low, high = getattr(s, floor), getattr(s, cap)
        if low >= high:
            raise SettingsError(f"{_env(s, floor)}={low} must be below {_env(s, cap)}={high}")


def location_factor(s: Settings) -> tuple[float, str]:
    """(kg CO2/kWh, basis) of the location-based factor: the override, else the published one.

    Raises SettingsError when the region has no published factor for the year.
    """
    if s.grid_factor_override_kg_per_kwh is not None:
        return s.grid_factor_override_kg_per_kwh, "PARKVPP_GRID_FACTOR_KG_PER_KWH"
    region, year = s.grid_region, s.grid_factor_year
    try:
        value = grid_factor(region, year)
    except CertificateInputError as exc:
        raise SettingsError(
            f"PARKVPP_GRID_FACTOR_YEAR={year}: no published factor for the {region} grid "
            f"({exc.rule}); set PARKVPP_GRID_FACTOR_KG_PER_KWH"
        ) from exc
    return value, f"{region} grid, {year} (MEE/NBS)"


def residual_factor_of(s: Settings) -> tuple[float, str]:
    """(kg CO2/kWh, basis) of the market-based residual factor: the override, else published.

    Raises SettingsError when no residual factor is published for the year.
    """
    if s.residual_factor_override_kg_per_kwh is not None:
        return s.residual_factor_override_kg_per_kwh, "PARKVPP_RESIDUAL_FACTOR_KG_PER_KWH"
    try:
        return residual_factor(s.grid_region, s.grid_factor_year)
    except CertificateInputError as exc:
        raise SettingsError(
            f"PARKVPP_GRID_FACTOR_YEAR={s.grid_factor_year}: no published residual "
            f"factor ({exc.rule}); set PARKVPP_RESIDUAL_FACTOR_KG_PER_KWH"
        ) from exc


def bounds(field: FieldInfo) -> tuple[Any, Any] | None:
    """(lowest, highest) value a number setting accepts; None for other settings."""
    rules = [*field.metadata]
    for member in get_args(field.annotation):  # e.g. the float of `float | None`
        rules += getattr(member, "__metadata__", ())
    low = next((rule.ge for rule in rules if isinstance(rule, Ge)), None)
    high = next((rule.le for rule in rules if isinstance(rule, Le)), None)
    return None if low is None or high is None else (low, high)


def _message(error: Any, fields: Mapping[str, FieldInfo]) -> str:
    """One pydantic error as a sentence that starts with the variable's name."""
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, SettingsError) or not error["loc"]:
        return str(cause if cause is not None else error["msg"])
    env, value, kind = str(error["loc"][0]), error["input"], error["type"]
    field = fields[env]
    if kind in {"greater_than_equal", "less_than_equal"}:
        low, high = bounds(field) or ("?", "?")
        return f"{env}={value} must be between {low} and {high}"
    if kind == "literal_error":
        choices = ", ".join(sorted(get_args(field.annotation)))
        return f"{env}={value!r} must be one of {choices}"
    return f"{env}={value!r} {cause if cause is not None else error['msg']}"


def settings_error(exc: ValidationError, model: type[BaseModel]) -> SettingsError:
    """pydantic's errors about `model` as one SettingsError, a line per error naming it."""
    fields = {str(field.validation_alias): field for field in model.model_fields.values()}
    return SettingsError("\n".join(_message(error, fields) for error in exc.errors()))
