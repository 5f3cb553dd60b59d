"""Settings for a Redis and Kafka that want logins and TLS, the Kafka client options built
from them, and `parkvpp serve` refusing a signing key anyone could know."""

from __future__ import annotations

import pytest
import redis

from services.cli import main
from services.runtime.context import Runtime
from services.runtime.embedded import EmbeddedValkey
from services.runtime.health import DependencyUnavailable, RedisPing
from services.runtime.kafka_config import kafka_client_options
from services.runtime.server import create_server
from services.runtime.settings import SettingsError, load_settings
from services.runtime.store import connect

KAFKA = {"REDIS_URL": "redis://redis:6379/0", "KAFKA_BOOTSTRAP_SERVERS": "kafka:9093"}
PLACEHOLDER = "REPLACE-with-at-least-32-random-bytes-from-openssl-rand"


@pytest.fixture()
def pem(tmp_path) -> dict[str, str]:
    """Stand-ins for mounted CA, certificate and key files (the settings check they exist)."""
    files = {}
    for name in ("ca", "cert", "key"):
        path = tmp_path / f"{name}.pem"
        path.write_text("PEM")
        files[name] = str(path)
    return files


def test_plaintext_kafka_needs_no_options():
    assert kafka_client_options(load_settings({})) == {"security_protocol": "PLAINTEXT"}


def test_mutual_tls_kafka_presents_the_client_certificate(pem):
    env = {
        **KAFKA,
        "PARKVPP_KAFKA_SECURITY_PROTOCOL": "SSL",
        "PARKVPP_KAFKA_CA_FILE": pem["ca"],
        "PARKVPP_KAFKA_CERT_FILE": pem["cert"],
        "PARKVPP_KAFKA_KEY_FILE": pem["key"],
    }
    assert kafka_client_options(load_settings(env)) == {
        "security_protocol": "SSL",
        "ssl_cafile": pem["ca"],
        "ssl_certfile": pem["cert"],
        "ssl_keyfile": pem["key"],
    }


def test_scram_over_tls_logs_in_and_keeps_the_password_out_of_the_repr(pem):
    env = {
        **KAFKA,
        "PARKVPP_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "PARKVPP_KAFKA_CA_FILE": pem["ca"],
        "PARKVPP_KAFKA_SASL_USERNAME": "parkvpp-vpp",
        "PARKVPP_KAFKA_SASL_PASSWORD": "kafka-secret-password",
    }
    settings = load_settings(env)
    assert kafka_client_options(settings) == {
        "security_protocol": "SASL_SSL",
        "ssl_cafile": pem["ca"],
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "parkvpp-vpp",
        "sasl_plain_password": "kafka-secret-password",
    }
    assert "kafka-secret-password" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PARKVPP_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}, "PARKVPP_KAFKA_SECURITY_PROTOCOL"),
        ({"PARKVPP_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "PARKVPP_KAFKA_SECURITY_PROTOCOL"),
        ({"PARKVPP_KAFKA_SASL_USERNAME": "u"}, "PARKVPP_KAFKA_SASL_USERNAME"),
        ({"PARKVPP_KAFKA_SASL_MECHANISM": "GSSAPI"}, "PARKVPP_KAFKA_SASL_MECHANISM"),
        ({"PARKVPP_KAFKA_CA_FILE": "/nowhere/ca.crt"}, "PARKVPP_KAFKA_CA_FILE"),
        ({"PARKVPP_REDIS_CA_FILE": "/nowhere/ca.crt"}, "PARKVPP_REDIS_CA_FILE"),
        ({"PARKVPP_REDIS_PASSWORD": "p", "REDIS_URL": "redis://:q@r/0"}, "PARKVPP_REDIS_PASSWORD"),
        ({"PARKVPP_HEALTH_PORT": "50051", "PARKVPP_GRPC_PORT": "50051"}, "PARKVPP_HEALTH_PORT"),
        ({"PARKVPP_TOKEN_SECRET": "too-short"}, "PARKVPP_TOKEN_SECRET"),
        ({"PARKVPP_TOKEN_SECRET": PLACEHOLDER}, "PARKVPP_TOKEN_SECRET"),
        ({"PARKVPP_TOKEN_SECRET": PLACEHOLDER.lower() + "\n"}, "PARKVPP_TOKEN_SECRET"),
    ],
)
def test_a_half_configured_backend_or_a_known_key_stops_start_up(env, variable):
    with pytest.raises(SettingsError) as err:
        load_settings({**KAFKA, **env})
    assert str(err.value).startswith(variable)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PARKVPP_KAFKA_SECURITY_PROTOCOL": "SSL"}, "PARKVPP_KAFKA_SECURITY_PROTOCOL"),
        ({"PARKVPP_REDIS_PASSWORD": "p"}, "PARKVPP_REDIS_PASSWORD"),
        ({"PARKVPP_REDIS_CA_FILE": "x"}, "PARKVPP_REDIS_CA_FILE"),
    ],
)
def test_the_embedded_servers_have_no_tls_or_password(env, variable, pem):
    env = {k: pem["cert"] if k.endswith("_FILE") else v for k, v in env.items()}
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    assert str(err.value).startswith(variable)


def test_the_redis_password_setting_logs_in_to_a_valkey_that_wants_one(tmp_path):
    valkey = EmbeddedValkey(tmp_path)  # its own: the password would lock out the others
    valkey.start()
    try:
        redis.Redis.from_url(valkey.url).config_set("requirepass", "redis-secret-password")
        settings = load_settings(
            {
                "REDIS_URL": valkey.url,
                "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
                "PARKVPP_REDIS_PASSWORD": "redis-secret-password",
            }
        )
        client = connect(settings.redis_url, settings.redis_password, settings.redis_ca_file)
        assert client.ping() is True
        RedisPing(settings).check()
        with pytest.raises(redis.AuthenticationError):
            connect(settings.redis_url).ping()
        with pytest.raises(DependencyUnavailable):
            RedisPing(settings.with_overrides(redis_password="")).check()
    finally:
        valkey.stop()


@pytest.mark.parametrize("secret", ["short", PLACEHOLDER])
def test_parkvpp_serve_refuses_a_short_or_placeholder_token_secret(secret, monkeypatch, capsys):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    monkeypatch.setenv("PARKVPP_TOKEN_SECRET", secret)
    assert main(["serve", "enrollment"]) == 2
    assert "PARKVPP_TOKEN_SECRET" in capsys.readouterr().err


def test_a_server_built_from_settings_made_in_code_refuses_the_placeholder(redis_url):
    settings = load_settings({"REDIS_URL": redis_url, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"})
    runtime = Runtime(settings.with_overrides(token_secret=PLACEHOLDER))
    try:
        with pytest.raises(SettingsError, match="PARKVPP_TOKEN_SECRET"):
            create_server(runtime, [], "127.0.0.1:0")
    finally:
        runtime.close()
