"""Who may call what, over real gRPC: every RPC x every role, tokens, tenants, rate limits, mTLS.

The matrix walks services/runtime/permissions.py: a role the table allows is never
refused for its role (the call may still fail on the empty request, with a client
error); a role it does not allow gets PERMISSION_DENIED. An RPC missing from the table
fails the coverage test, so a new RPC cannot ship without a rule.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import time

import grpc
import pytest
from google.protobuf.message_factory import GetMessageClass

from certificates.store import CertificateLedger
from parkvpp.v1 import (
    bidding_pb2,
    certificates_pb2,
    enrollment_pb2,
    market_pb2,
    settlement_pb2,
    telemetry_pb2,
    vpp_pb2,
)
from parkvpp.v1 import enrollment_pb2 as epb
from parkvpp.v1 import telemetry_pb2 as tpb
from services.runtime.auth import issue_token
from services.runtime.channels import open_channel
from services.runtime.local_stack import LocalStack
from services.runtime.permissions import PERMISSIONS
from services.runtime.rpc import to_ts

MODULES = (
    bidding_pb2,
    certificates_pb2,
    enrollment_pb2,
    market_pb2,
    settlement_pb2,
    telemetry_pb2,
    vpp_pb2,
)
ROLES = ("operator", "enterprise:ent-a", "esco", "registry", "monitor")
REFUSED_FOR_ROLE = {grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED}


def every_rpc() -> dict[str, tuple[type, bool, bool]]:
    """Full method name -> (request class, client streaming, server streaming)."""
    out = {}
    for module in MODULES:
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                out[f"/{service.full_name}/{method.name}"] = (
                    GetMessageClass(method.input_type),
                    method.client_streaming,
                    method.server_streaming,
                )
    return out


RPCS = every_rpc()


@pytest.fixture(scope="module")
def park(stack_factory):
    stack = stack_factory(db=11)
    clients = stack.clients()
    for enterprise_id in ("ent-a", "ent-b"):
        clients.enrollment.RegisterEnterprise(
            epb.RegisterEnterpriseRequest(
                enterprise_id=enterprise_id, name=enterprise_id, grid_area="CN-JS"
            )
        )
        clients.enrollment.EnrollAsset(
            epb.EnrollAssetRequest(
                request_id=f"r-{enterprise_id}",
                enterprise_id=enterprise_id,
                name="load",
                asset_id=f"{enterprise_id}-load",
                spec=epb.AssetSpec(
                    curtailable_load=epb.CurtailableLoad(
                        max_curtailment_kw=10.0,
                        min_event_minutes=15,
                        max_event_minutes=60,
                        max_events_per_day=1,
                    )
                ),
            )
        )
    # ent-b holds lot GEC-000000000001 (the first lot of a fresh database).
    hour = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    CertificateLedger(stack.redis).issue(
        "seed-b", "ent-b-pv", "pv", "CN-JS", "ent-b", [(hour - dt.timedelta(days=1), 5_000)]
    )
    channel = open_channel(stack.addr)
    yield stack, channel
    channel.close()
    clients.close()


def call(channel, method: str, request, metadata) -> grpc.StatusCode:
    """Invoke any RPC with `request`; the status code it ends with."""
    request_class, client_streaming, server_streaming = RPCS[method]
    serialize = request_class.SerializeToString
    try:
        if client_streaming:
            channel.stream_unary(method, serialize, lambda b: b)(
                iter([request]), metadata=metadata, timeout=10
            )
        elif server_streaming:
            stream = channel.unary_stream(method, serialize, lambda b: b)(
                request, metadata=metadata, timeout=3
            )
            for _ in stream:
                pass
        else:
            channel.unary_unary(method, serialize, lambda b: b)(
                request, metadata=metadata, timeout=10
            )
    except grpc.RpcError as err:
        return err.code()
    return grpc.StatusCode.OK


def neutral_request(method: str):
    """A request that names ent-a's things where the RPC takes them, otherwise empty.

    Empty or partial requests stop at validation for most writes, so walking the matrix
    changes little; SubscribeDispatch stops when caught up.
    """
    request_class = RPCS[method][0]
    request = request_class()
    fields = request.DESCRIPTOR.fields_by_name
    if "until_caught_up" in fields:
        request.until_caught_up = True
    rule = PERMISSIONS[method]
    for name in rule.enterprise_fields:
        if fields[name].containing_oneof is None:
            setattr(request, name, "ent-a")
    if method.endswith("/StreamReadings"):
        return tpb.ReadingBatch()
    return request


def test_every_rpc_has_a_rule_and_every_rule_an_rpc():
    assert set(RPCS) == set(PERMISSIONS)


@pytest.mark.parametrize("method", sorted(PERMISSIONS))
def test_each_role_is_allowed_or_denied_as_the_table_says(park, method):
    stack, channel = park
    rule = PERMISSIONS[method]
    for role in ROLES:
        code = call(channel, method, neutral_request(method), stack.auth(role))
        allowed = role.split(":")[0] in rule.roles
        if allowed:
            assert code not in REFUSED_FOR_ROLE, (method, role, code)
        else:
            assert code == grpc.StatusCode.PERMISSION_DENIED, (method, role, code)


def test_missing_forged_expired_and_malformed_tokens_are_unauthenticated(park):
    stack, channel = park
    method = "/parkvpp.v1.EnrollmentService/GetEnterprise"
    request = epb.GetEnterpriseRequest(enterprise_id="ent-a")
    secret = stack._env["PARKVPP_TOKEN_SECRET"]
    forged = issue_token("x" * 48, "operator")
    expired = issue_token(secret, "operator", ttl_s=1, now=time.time() - 60)
    for metadata in (
        (),
        (("authorization", f"Bearer {forged}"),),
        (("authorization", f"Bearer {expired}"),),
        (("authorization", "Bearer not-a-jwt"),),
        (("authorization", f"Basic {issue_token(secret, 'operator')}"),),
    ):
        assert call(channel, method, request, metadata) == grpc.StatusCode.UNAUTHENTICATED
    assert call(channel, method, request, stack.auth("operator")) == grpc.StatusCode.OK


def _details(channel, method: str, request, metadata) -> tuple[grpc.StatusCode, str]:
    request_class = RPCS[method][0]
    try:
        channel.unary_unary(method, request_class.SerializeToString, lambda b: b)(
            request, metadata=metadata, timeout=10
        )
    except grpc.RpcError as err:
        return err.code(), err.details()
    return grpc.StatusCode.OK, ""


@pytest.mark.parametrize(
    ("method", "foreign", "unknown", "foreign_id", "unknown_id"),
    [
        (
            "/parkvpp.v1.EnrollmentService/GetAsset",
            epb.GetAssetRequest(asset_id="ent-b-load"),
            epb.GetAssetRequest(asset_id="ent-z-load"),
            "ent-b-load",
            "ent-z-load",
        ),
        (
            "/parkvpp.v1.EnrollmentService/GetEnterprise",
            epb.GetEnterpriseRequest(enterprise_id="ent-b"),
            epb.GetEnterpriseRequest(enterprise_id="ent-z"),
            "ent-b",
            "ent-z",
        ),
        (
            "/parkvpp.v1.TelemetryService/GetLoadProfile",
            tpb.GetLoadProfileRequest(asset_id="ent-b-load", from_market_day="2026-11-20"),
            tpb.GetLoadProfileRequest(asset_id="ent-z-load", from_market_day="2026-11-20"),
            "ent-b-load",
            "ent-z-load",
        ),
        (
            "/parkvpp.v1.EnrollmentService/ListAssets",
            epb.ListAssetsRequest(enterprise_id="ent-b"),
            epb.ListAssetsRequest(enterprise_id="ent-z"),
            "ent-b",
            "ent-z",
        ),
        (
            "/parkvpp.v1.CertificateService/Transfer",
            certificates_pb2.TransferRequest(
                request_id="t1", lot_id="GEC-000000000001", to_enterprise_id="ent-b"
            ),
            certificates_pb2.TransferRequest(
                request_id="t1", lot_id="GEC-000000000999", to_enterprise_id="ent-b"
            ),
            "GEC-000000000001",
            "GEC-000000000999",
        ),
        (
            "/parkvpp.v1.CertificateService/GetBalance",
            certificates_pb2.GetBalanceRequest(enterprise_id="ent-b"),
            certificates_pb2.GetBalanceRequest(enterprise_id="ent-z"),
            "ent-b",
            "ent-z",
        ),
        (
            "/parkvpp.v1.VppService/ReportAssetUnavailable",
            vpp_pb2.ReportAssetUnavailableRequest(
                request_id="r1", asset_id="ent-b-load", market_day="2026-11-20", reason="trip"
            ),
            vpp_pb2.ReportAssetUnavailableRequest(
                request_id="r1", asset_id="ent-z-load", market_day="2026-11-20", reason="trip"
            ),
            "ent-b-load",
            "ent-z-load",
        ),
        (
            "/parkvpp.v1.SettlementService/GetStatement",
            settlement_pb2.GetStatementRequest(enterprise_id="ent-b", market_day="2026-11-20"),
            settlement_pb2.GetStatementRequest(enterprise_id="ent-z", market_day="2026-11-20"),
            "ent-b",
            "ent-z",
        ),
    ],
)
def test_another_enterprises_things_look_exactly_like_unknown_ones(
    park, method, foreign, unknown, foreign_id, unknown_id
):
    stack, channel = park
    as_a = stack.auth("enterprise:ent-a")
    seen = _details(channel, method, foreign, as_a)
    missing = _details(channel, method, unknown, as_a)
    assert seen[0] == missing[0] == grpc.StatusCode.NOT_FOUND
    assert seen[1].replace(foreign_id, "ID") == missing[1].replace(unknown_id, "ID")
    assert "ent-b-load" not in seen[1] or foreign_id == "ent-b-load"


def test_an_enterprise_sees_only_its_own_assets_and_cannot_meter_others(park):
    stack, _ = park
    clients = stack.clients("enterprise:ent-a")
    try:
        listed = clients.enrollment.ListAssets(epb.ListAssetsRequest())
        assert [a.asset_id for a in listed.assets] == ["ent-a-load"]
        at = to_ts(dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
        summary = clients.telemetry.StreamReadings(
            iter(
                [
                    tpb.ReadingBatch(
                        readings=[
                            tpb.Reading(asset_id="ent-a-load", timestamp=at, power_kw=1.0),
                            tpb.Reading(asset_id="ent-b-load", timestamp=at, power_kw=1.0),
                        ]
                    )
                ]
            )
        )
        assert summary.accepted == 1
        assert {r.reason: r.count for r in summary.rejections} == {"unknown_asset": 1}
        history = stack.clients().enrollment.GetAssetHistory(
            epb.GetAssetHistoryRequest(asset_id="ent-a-load")
        )
        assert history.changes[0].actor == "operator"
    finally:
        clients.close()


def test_writes_past_the_rate_limit_are_resource_exhausted_per_tenant(redis_url, kafka_bootstrap):
    env = {"PARKVPP_RATE_WRITES_PER_S": "0.5", "PARKVPP_RATE_WRITES_BURST": "3"}
    stack = LocalStack(redis_url, kafka_bootstrap, db=12, env=env).start()
    operator, enterprise = stack.clients(), stack.clients("enterprise:ent-r")
    try:
        codes = []
        for n in range(5):
            try:
                operator.enrollment.RegisterEnterprise(
                    epb.RegisterEnterpriseRequest(
                        enterprise_id=f"ent-{'r' if n == 0 else n}", name="R", grid_area="CN-JS"
                    )
                )
                codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as err:
                codes.append(err.code())
        assert codes[:3] == [grpc.StatusCode.OK] * 3
        assert codes[3:] == [grpc.StatusCode.RESOURCE_EXHAUSTED] * 2
        # Another tenant has its own bucket; reads are not limited.
        enterprise.enrollment.EnrollAsset(
            epb.EnrollAssetRequest(
                request_id="r-1",
                enterprise_id="ent-r",
                name="gen",
                spec=epb.AssetSpec(
                    generator=epb.Generator(
                        capacity_kw=5.0,
                        technology=epb.GENERATOR_TECHNOLOGY_PV,
                        grid_connection_id="GC-9",
                    )
                ),
            )
        )
        for _ in range(5):
            operator.enrollment.GetEnterprise(epb.GetEnterpriseRequest(enterprise_id="ent-r"))
    finally:
        operator.close()
        enterprise.close()
        stack.stop()


def _certificates(folder) -> dict[str, str]:
    """A CA, and one certificate it signed for 127.0.0.1 usable as server and client."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def pem_key(key) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("parkvpp test CA"))
        .issuer_name(name("parkvpp test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    files = {"ca": ca.public_bytes(serialization.Encoding.PEM)}
    for who in ("service", "intruder"):
        key = ec.generate_private_key(ec.SECP256R1())
        signer_key, issuer = (ca_key, ca.subject) if who == "service" else (key, name(who))
        cert = (
            x509.CertificateBuilder()
            .subject_name(name(who))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName("localhost"),
                        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    ]
                ),
                critical=False,
            )
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .sign(signer_key, hashes.SHA256())
        )
        files[f"{who}_cert"] = cert.public_bytes(serialization.Encoding.PEM)
        files[f"{who}_key"] = pem_key(key)
    paths = {}
    for label, data in files.items():
        path = folder / f"{label}.pem"
        path.write_bytes(data)
        paths[label] = str(path)
    return paths


def test_calls_over_mutual_tls_and_clients_without_a_ca_signed_certificate_are_refused(
    redis_url, kafka_bootstrap, tmp_path
):
    pem = _certificates(tmp_path)
    env = {
        "PARKVPP_TLS_CERT_FILE": pem["service_cert"],
        "PARKVPP_TLS_KEY_FILE": pem["service_key"],
        "PARKVPP_TLS_CA_FILE": pem["ca"],
    }
    stack = LocalStack(redis_url, kafka_bootstrap, db=13, env=env).start()
    token = stack.token("operator")
    request = epb.RegisterEnterpriseRequest(enterprise_id="ent-tls", name="T", grid_area="CN-JS")
    method = "/parkvpp.v1.EnrollmentService/RegisterEnterprise"
    try:
        trusted = open_channel(
            stack.addr, token, pem["service_cert"], pem["service_key"], pem["ca"]
        )
        with trusted:
            assert call(trusted, method, request, ()) == grpc.StatusCode.OK
            # A peer call (settlement -> market) also goes over mutual TLS.
            run = "/parkvpp.v1.SettlementService/RunSettlement"
            peer = settlement_pb2.RunSettlementRequest(market_day="2026-11-20")
            assert call(trusted, run, peer, ()) == grpc.StatusCode.NOT_FOUND  # from the market
        for cert, key in ((pem["intruder_cert"], pem["intruder_key"]), ("", "")):
            with open_channel(stack.addr, token, cert, key, pem["ca"]) as untrusted:
                assert call(untrusted, method, request, ()) == grpc.StatusCode.UNAVAILABLE
        with open_channel(stack.addr, token) as plaintext:
            assert call(plaintext, method, request, ()) == grpc.StatusCode.UNAVAILABLE
    finally:
        stack.stop()
