"""Kafka client security options from the settings, once for every producer, consumer and admin.

    KafkaProducer(bootstrap_servers=..., **kafka_client_options(settings), ...)

PLAINTEXT (the default and the embedded broker) adds nothing else. SSL verifies the
brokers against PARKVPP_KAFKA_CA_FILE (the system's CAs without it) and, with
PARKVPP_KAFKA_CERT_FILE/_KEY_FILE, presents a client certificate (mutual TLS users).
SASL_SSL is TLS plus a SASL login: PARKVPP_KAFKA_SASL_MECHANISM (SCRAM-SHA-512 by
default, as Strimzi's `scram-sha-512` KafkaUsers), _USERNAME and _PASSWORD.

`NO_CLIENT_METRICS` turns off kafka-python's own metrics in producers and consumers.

`crc32c_implementation` says which CRC-32C kafka-python checks and writes record batches
with: the `crc32c` package's C code (a dependency) or its pure-Python fallback.
"""

from __future__ import annotations

from services.runtime.settings import Settings

#: For every KafkaProducer and KafkaConsumer (admin clients take no such option):
#: kafka-python's own metrics update their sensors on every record, batch and request, and
#: nothing reads them (the services export their own Prometheus metrics).
NO_CLIENT_METRICS: dict[str, object] = {"metrics_enabled": False}


def kafka_client_options(settings: Settings) -> dict[str, object]:
    """The kafka-python keyword arguments for `settings`' Kafka security.

    Only options the protocol uses are present (kafka-python's defaults stand for the
    rest). Never raises: load_settings has already refused inconsistent combinations.
    """
    protocol = settings.kafka_security_protocol
    options: dict[str, object] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        if settings.kafka_ca_file:
            options["ssl_cafile"] = settings.kafka_ca_file
        if settings.kafka_cert_file:
            options["ssl_certfile"] = settings.kafka_cert_file
            options["ssl_keyfile"] = settings.kafka_key_file
    if protocol == "SASL_SSL":
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password
    return options


def crc32c_implementation() -> str:
    """Which CRC-32C kafka-python uses: "c" with the `crc32c` package, "python" with its
    pure-Python fallback (some 7 MB/s, paid on every byte by the relay's producer and by
    every consumer). Never raises."""
    from kafka.record import util  # kafka-python picks the implementation on import

    return "python" if getattr(util, "crc32c_c", None) is None else "c"
