"""Shared runtime: settings refuse bad values by name; the interceptor maps and counts."""

from __future__ import annotations

import grpc
import pytest

from bidding.exceptions import InvalidInput
from services.runtime.auth import issue_token
from services.runtime.channels import open_channel
from services.runtime.context import Runtime
from services.runtime.embedded import free_port
from services.runtime.metrics import handled_total
from services.runtime.permissions import Rule
from services.runtime.server import ServiceParts, create_server
from services.runtime.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PARKVPP_GRPC_PORT": "http"}, "PARKVPP_GRPC_PORT"),
        ({"PARKVPP_GRPC_PORT": "70000"}, "PARKVPP_GRPC_PORT"),
        ({"PARKVPP_SHUTDOWN_GRACE_S": "-1"}, "PARKVPP_SHUTDOWN_GRACE_S"),
        ({"PARKVPP_LOG_LEVEL": "LOUD"}, "PARKVPP_LOG_LEVEL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"PARKVPP_MARKET_ADDR": "market"}, "PARKVPP_MARKET_ADDR"),
        ({"PARKVPP_GRID_REGION": "jiangsu"}, "PARKVPP_GRID_REGION"),
        ({"PARKVPP_GRID_REGION": "east", "PARKVPP_GRID_FACTOR_YEAR": "2022"}, "PARKVPP_GRID"),
        ({"PARKVPP_KAFKA_TOPIC_PREFIX": "a b"}, "PARKVPP_KAFKA_TOPIC_PREFIX"),
        ({"PARKVPP_CAPACITY_PRICE_FEN_PER_KW": "-1"}, "PARKVPP_CAPACITY_PRICE_FEN_PER_KW"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_variable(env, variable):
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    assert str(err.value).startswith(variable)


def test_the_location_based_factor_follows_region_and_year():
    assert load_settings({}).grid_factor_kg_per_kwh == 0.5366  # national, 2022
    east = load_settings({"PARKVPP_GRID_REGION": "east", "PARKVPP_GRID_FACTOR_YEAR": "2023"})
    assert (east.grid_factor_kg_per_kwh, east.grid_factor_basis) == (
        0.55,
        "east grid, 2023 (MEE/NBS)",
    )
    southwest = {"PARKVPP_GRID_REGION": "southwest", "PARKVPP_GRID_FACTOR_YEAR": "2023"}
    assert load_settings(southwest).grid_factor_kg_per_kwh == 0.2472
    own = load_settings({"PARKVPP_GRID_FACTOR_KG_PER_KWH": "0.61", **southwest})
    assert (own.grid_factor_kg_per_kwh, own.grid_factor_basis) == (
        0.61,
        "PARKVPP_GRID_FACTOR_KG_PER_KWH",
    )


def test_defaults_need_no_environment():
    settings = load_settings({})
    assert settings.embedded
    assert settings.addr_of("market") == "127.0.0.1:50055"
    assert settings.operator_fee_share_percent == 10


def _count(method: str, code: str) -> float:
    return handled_total(method, code)


@pytest.fixture(scope="module")
def probe_server(redis_url, kafka_bootstrap):
    def bug(request, context):
        raise ZeroDivisionError("a bug")

    def bad_input(request, context):
        raise InvalidInput("spec.battery.soc_min", "must be <= soc_max")

    def fine(request, context):
        return b"ok"

    handler = grpc.method_handlers_generic_handler(
        "probe.Probe",
        {
            name: grpc.unary_unary_rpc_method_handler(fn)
            for name, fn in (("Bug", bug), ("Bad", bad_input), ("Fine", fine))
        },
    )
    secret = "s" * 32
    settings = load_settings(
        {
            "REDIS_URL": redis_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "PARKVPP_TOKEN_SECRET": secret,
        }
    )
    parts = ServiceParts("probe.Probe", lambda server: server.add_generic_rpc_handlers((handler,)))
    addr = f"127.0.0.1:{free_port()}"
    rules = {f"/probe.Probe/{n}": Rule(frozenset({"operator"})) for n in ("Bug", "Bad", "Fine")}
    app, _ = create_server(Runtime(settings), [lambda runtime: parts], addr, rules)
    channel = open_channel(addr, token=issue_token(secret, "operator"))
    yield channel
    channel.close()
    app.stop(1.0)


def _call(channel, name):
    return channel.unary_unary(f"/probe.Probe/{name}")(b"", timeout=5)


def test_a_bug_is_internal_without_details_and_is_counted(probe_server, caplog):
    before = _count("/probe.Probe/Bug", "INTERNAL")
    with pytest.raises(grpc.RpcError) as err:
        _call(probe_server, "Bug")
    assert err.value.code() == grpc.StatusCode.INTERNAL
    assert "ZeroDivision" not in err.value.details()
    assert _count("/probe.Probe/Bug", "INTERNAL") == before + 1
    assert any("unhandled error" in r.getMessage() for r in caplog.records)


def test_a_domain_error_is_invalid_argument_naming_the_field(probe_server):
    before = _count("/probe.Probe/Bad", "INVALID_ARGUMENT")
    with pytest.raises(grpc.RpcError) as err:
        _call(probe_server, "Bad")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details() == "spec.battery.soc_min: must be <= soc_max"
    assert _count("/probe.Probe/Bad", "INVALID_ARGUMENT") == before + 1


def test_success_is_counted_as_ok(probe_server):
    before = _count("/probe.Probe/Fine", "OK")
    assert _call(probe_server, "Fine") == b"ok"
    assert _count("/probe.Probe/Fine", "OK") == before + 1


def test_settlement_pays_the_configured_capacity_price(redis_url):
    from fractions import Fraction

    from services.runtime.context import Runtime
    from services.settlement.servicer import SettlementServicer

    env = {
        "REDIS_URL": redis_url,
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
        "PARKVPP_CAPACITY_PRICE_FEN_PER_KW": "300",
        "PARKVPP_OPERATOR_FEE_PERCENT": "15",
    }
    program = SettlementServicer(Runtime(load_settings(env))).program
    assert program.capacity_price_fen_per_kw == Fraction(300)
    assert program.operator_fee_share == Fraction(15, 100)
