"""EnrollmentService over real gRPC: validation names the field, nothing is half-written."""

from __future__ import annotations

import math

import grpc
import pytest

from parkvpp.v1 import enrollment_pb2 as pb


@pytest.fixture(scope="module")
def stack(stack_factory):
    return stack_factory(db=2)


@pytest.fixture(scope="module")
def clients(stack):
    c = stack.clients()
    c.enrollment.RegisterEnterprise(
        pb.RegisterEnterpriseRequest(enterprise_id="ent-a", name="A Works", grid_area="CN-JS")
    )
    yield c
    c.close()


def battery(**changes) -> pb.AssetSpec:
    values = dict(
        energy_capacity_kwh=500.0,
        max_charge_kw=100.0,
        max_discharge_kw=100.0,
        charge_efficiency=0.95,
        discharge_efficiency=0.95,
        soc_min=0.1,
        soc_max=0.9,
        initial_soc=0.5,
        degradation_cost_fen_per_mwh=10_000,
    )
    values.update(changes)
    return pb.AssetSpec(battery=pb.Battery(**values))


def enrol(clients, request_id: str, spec: pb.AssetSpec, **kw) -> pb.Asset:
    return clients.enrollment.EnrollAsset(
        pb.EnrollAssetRequest(
            request_id=request_id, enterprise_id="ent-a", name="asset", spec=spec, **kw
        )
    )


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (battery(soc_min=0.95), "spec.battery.soc_min"),
        (battery(max_charge_kw=math.nan), "spec.battery.max_charge_kw"),
        (battery(energy_capacity_kwh=math.inf), "spec.battery.energy_capacity_kwh"),
        (battery(energy_capacity_kwh=1e300), "spec.battery.energy_capacity_kwh"),
        (battery(initial_soc=0.05), "spec.battery.initial_soc"),
        (battery(charge_efficiency=1.5), "spec.battery.charge_efficiency"),
        (pb.AssetSpec(), "spec"),
        (
            pb.AssetSpec(
                generator=pb.Generator(capacity_kw=100.0, technology=pb.GENERATOR_TECHNOLOGY_PV)
            ),
            "spec.generator.grid_connection_id",
        ),
        (
            pb.AssetSpec(
                curtailable_load=pb.CurtailableLoad(
                    max_curtailment_kw=50.0,
                    min_event_minutes=60,
                    max_event_minutes=30,
                    max_events_per_day=1,
                )
            ),
            "spec.curtailable_load.min_event_minutes",
        ),
    ],
)
def test_bad_limits_are_refused_naming_the_field_and_nothing_is_written(clients, spec, field):
    before = clients.enrollment.ListAssets(pb.ListAssetsRequest(enterprise_id="ent-a"))
    with pytest.raises(grpc.RpcError) as err:
        enrol(clients, f"bad-{field}", spec)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith(field), err.value.details()
    after = clients.enrollment.ListAssets(pb.ListAssetsRequest(enterprise_id="ent-a"))
    assert after == before


def test_the_same_request_id_returns_the_same_asset(clients):
    first = enrol(clients, "req-dup", battery())
    again = enrol(clients, "req-dup", battery())
    assert again == first
    assert first.status == pb.ASSET_STATUS_PENDING and first.version == 1


def test_another_enterprise_reusing_a_request_id_gets_its_own_asset(clients, stack):
    first = enrol(clients, "req-shared", battery())
    clients.enrollment.RegisterEnterprise(
        pb.RegisterEnterpriseRequest(enterprise_id="ent-b", name="B Works", grid_area="CN-JS")
    )
    other = clients.enrollment.EnrollAsset(
        pb.EnrollAssetRequest(
            request_id="req-shared", enterprise_id="ent-b", name="asset", spec=battery()
        ),
        metadata=stack.auth("enterprise:ent-b"),
    )
    assert other.enterprise_id == "ent-b" and other.asset_id != first.asset_id


def test_lifecycle_is_recorded_with_actor_and_version(clients, stack):
    asset = clients.enrollment.EnrollAsset(
        pb.EnrollAssetRequest(
            request_id="req-life",
            enterprise_id="ent-a",
            name="asset",
            spec=battery(),
        ),
        metadata=stack.auth("enterprise:ent-a"),
    )
    life = asset.asset_id  # an enterprise gets an id from the service
    approved = clients.enrollment.ApproveAsset(pb.ApproveAssetRequest(asset_id=life))
    assert approved.status == pb.ASSET_STATUS_ACTIVE and approved.version == 2
    with pytest.raises(grpc.RpcError) as err:
        clients.enrollment.UpdateAsset(
            pb.UpdateAssetRequest(asset_id=life, name="renamed", expected_version=1)
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    updated = clients.enrollment.UpdateAsset(
        pb.UpdateAssetRequest(asset_id=life, spec=battery(max_charge_kw=80.0), expected_version=2)
    )
    assert updated.status == pb.ASSET_STATUS_PENDING, "changed limits need a new approval"
    withdrawn = clients.enrollment.WithdrawAsset(pb.WithdrawAssetRequest(asset_id=life))
    assert withdrawn.status == pb.ASSET_STATUS_WITHDRAWN
    history = clients.enrollment.GetAssetHistory(pb.GetAssetHistoryRequest(asset_id=life))
    assert [c.action for c in history.changes] == ["ENROLLED", "APPROVED", "UPDATED", "WITHDRAWN"]
    assert [c.actor for c in history.changes[:2]] == ["enterprise:ent-a", "operator"]
    assert history.changes[0].asset == asset


def test_kind_cannot_change_on_update(clients):
    enrol(clients, "req-kind", battery(), asset_id="bess-kind")
    gen = pb.AssetSpec(
        generator=pb.Generator(
            capacity_kw=10.0, technology=pb.GENERATOR_TECHNOLOGY_PV, grid_connection_id="gc-1"
        )
    )
    with pytest.raises(grpc.RpcError) as err:
        clients.enrollment.UpdateAsset(pb.UpdateAssetRequest(asset_id="bess-kind", spec=gen))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_list_assets_pages_through_everything_once(clients):
    for n in range(7):
        enrol(clients, f"req-page-{n}", battery(), asset_id=f"page-{n}")
    seen, token = [], ""
    while True:
        page = clients.enrollment.ListAssets(
            pb.ListAssetsRequest(enterprise_id="ent-a", page_size=3, page_token=token)
        )
        seen.extend(a.asset_id for a in page.assets)
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(set(seen))
    assert {f"page-{n}" for n in range(7)} <= set(seen)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (
            pb.RegisterEnterpriseRequest(enterprise_id="", name="x", grid_area="CN-JS"),
            "enterprise_id",
        ),
        (
            pb.RegisterEnterpriseRequest(enterprise_id="{ent}", name="x", grid_area="CN-JS"),
            "enterprise_id",
        ),
        (
            pb.RegisterEnterpriseRequest(enterprise_id="e" * 65, name="x", grid_area="CN-JS"),
            "enterprise_id",
        ),
        (pb.RegisterEnterpriseRequest(enterprise_id="ok", name="", grid_area="CN-JS"), "name"),
    ],
)
def test_bad_enterprise_ids_are_refused(clients, request_, field):
    with pytest.raises(grpc.RpcError) as err:
        clients.enrollment.RegisterEnterprise(request_)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith(field)


def test_unknown_things_are_not_found(clients):
    for call, request in (
        (clients.enrollment.GetAsset, pb.GetAssetRequest(asset_id="nope")),
        (clients.enrollment.GetEnterprise, pb.GetEnterpriseRequest(enterprise_id="nope")),
    ):
        with pytest.raises(grpc.RpcError) as err:
            call(request)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as err:
        clients.enrollment.EnrollAsset(
            pb.EnrollAssetRequest(request_id="r-x", enterprise_id="ghost", name="a", spec=battery())
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
