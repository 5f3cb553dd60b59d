"""EnrollmentService request handling: validate, write the registry, publish changes."""

from __future__ import annotations

import uuid

import grpc

from parkvpp.v1 import enrollment_pb2 as pb
from parkvpp.v1 import enrollment_pb2_grpc, events_pb2
from services.enrollment.convert import KIND_OF, spec_from_proto
from services.enrollment.registry import Registry
from services.runtime.auth import current_caller
from services.runtime.context import Runtime
from services.runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from services.runtime.events import TOPIC_ENROLLMENT
from services.runtime.outbox import OutboxEvent
from services.runtime.rpc import (
    actor,
    decode_page_token,
    encode_page_token,
    now_ts,
    page_size,
    require_id,
    require_text,
)

#: Largest serialised asset spec accepted: keeps each asset and its AssetChanged event far
#: below the broker's 1 MB message limit (the demo's specs are under 100 bytes).
MAX_SPEC_BYTES = 16_384


def _checked_spec(spec: pb.AssetSpec) -> None:
    """Raises InvalidArgument("spec") when too large, else what spec_from_proto raises."""
    if spec.ByteSize() > MAX_SPEC_BYTES:
        raise InvalidArgument("spec", f"must be at most {MAX_SPEC_BYTES} bytes serialised")
    spec_from_proto(spec)


def _chosen_asset_id(value: str) -> str:
    """The asset id the caller chose ("" for none); InvalidArgument("asset_id") when it
    breaks the id rule or an enterprise chose it.

    Asset ids are one namespace shared by every tenant, so only the park operator, who
    sees every asset anyway, chooses them: an enterprise choosing one could squat
    another tenant's id or learn from "taken" that it exists. Enterprises get a random id.
    """
    if not value:
        return ""
    require_id("asset_id", value)
    caller = current_caller()
    if caller is not None and caller.role == "enterprise":
        raise InvalidArgument(
            "asset_id", "is assigned by the service for an enterprise; leave it empty"
        )
    return value


def _same_enrolment(request: pb.EnrollAssetRequest, enrolled: pb.Asset) -> bool:
    """True when `request` asks for what `enrolled` (the asset as first enrolled) is."""
    return (
        request.name == enrolled.name
        and request.spec == enrolled.spec
        and request.asset_id in ("", enrolled.asset_id)
    )


class EnrollmentServicer(enrollment_pb2_grpc.EnrollmentServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = Registry(runtime.redis, runtime.outbox)

    def RegisterEnterprise(self, request, context):  # noqa: N802
        enterprise = pb.Enterprise(
            enterprise_id=require_id("enterprise_id", request.enterprise_id),
            name=require_text("name", request.name),
            grid_area=require_id("grid_area", request.grid_area),
            credit_code=request.credit_code[:32],
            registered_at=now_ts(),
        )
        return self.registry.put_enterprise(enterprise)

    def GetEnterprise(self, request, context):  # noqa: N802
        return self.registry.get_enterprise(require_id("enterprise_id", request.enterprise_id))

    def EnrollAsset(self, request, context):  # noqa: N802
        enterprise_id = require_id("enterprise_id", request.enterprise_id)
        # Request ids are the enterprise's own: another enterprise reusing one enrols anew
        # instead of being handed the first enterprise's asset.
        request_id = f"{enterprise_id}/{require_id('request_id', request.request_id)}"
        chosen = _chosen_asset_id(request.asset_id)
        known = self.registry.asset_id_for_request(request_id)
        if known is not None:
            return self._replayed(request, known)
        name = require_text("name", request.name)
        _checked_spec(request.spec)
        self.registry.get_enterprise(enterprise_id)
        asset_id = chosen or f"ast-{uuid.uuid4().hex}"
        if self.registry.find_asset(asset_id) is not None:  # only the operator chooses ids
            raise AlreadyExists(f"asset_id: {asset_id} is taken")
        now = now_ts()
        asset = pb.Asset(
            asset_id=asset_id,
            enterprise_id=enterprise_id,
            name=name,
            kind=KIND_OF[request.spec.WhichOneof("kind")],
            status=pb.ASSET_STATUS_PENDING,
            spec=request.spec,
            version=1,
            created_at=now,
            updated_at=now,
        )
        stored, created = self._put(asset, "ENROLLED", context, request_id)
        # A concurrent first use of the request id won the race: this is its replay.
        return stored if created else self._replayed(request, stored.asset_id)

    def _replayed(self, request: pb.EnrollAssetRequest, asset_id: str) -> pb.Asset:
        """The asset an earlier EnrollAsset with this request id created, when `request`
        asks for the same; AlreadyExists naming request_id when it asks for something else.
        """
        enrolled = self.registry.enrolled_as(asset_id)
        if enrolled is not None and not _same_enrolment(request, enrolled):
            raise AlreadyExists(
                f"request_id: {request.request_id} was already used to enrol another asset "
                f"({asset_id}); use a new request id"
            )
        return self.registry.get_asset(asset_id)

    def _write(self, asset: pb.Asset, action: str, context: grpc.ServicerContext) -> pb.Asset:
        return self._put(asset, action, context)[0]

    def _put(
        self, asset: pb.Asset, action: str, context: grpc.ServicerContext, request_id: str = ""
    ) -> tuple[pb.Asset, bool]:
        change = pb.AssetChange(
            changed_at=asset.updated_at, actor=actor(context), action=action, asset=asset
        )
        event = OutboxEvent.of(
            TOPIC_ENROLLMENT,
            asset.asset_id,
            events_pb2.AssetChanged(change=change),
            asset.enterprise_id,
        )
        stored, created = self.registry.put_asset(asset, change, request_id, event)
        if created:
            self.runtime.events_written()
        return stored, created

    def _next_version(self, asset_id: str, expected_version: int = 0) -> pb.Asset:
        asset = self.registry.get_asset(require_id("asset_id", asset_id))
        if expected_version and expected_version != asset.version:
            raise FailedPrecondition(
                f"asset {asset_id} is at version {asset.version}, not {expected_version}"
            )
        if asset.status == pb.ASSET_STATUS_WITHDRAWN:
            raise FailedPrecondition(f"asset {asset_id} is withdrawn")
        asset.version += 1
        asset.updated_at.CopyFrom(now_ts())
        return asset

    def UpdateAsset(self, request, context):  # noqa: N802
        asset = self._next_version(request.asset_id, request.expected_version)
        if request.name:
            asset.name = require_text("name", request.name)
        if request.HasField("spec"):
            _checked_spec(request.spec)
            new_kind = KIND_OF[request.spec.WhichOneof("kind")]
            if new_kind != asset.kind:
                raise InvalidArgument("spec", "cannot change the kind of an asset")
            asset.spec.CopyFrom(request.spec)
            asset.status = pb.ASSET_STATUS_PENDING
        return self._write(asset, "UPDATED", context)

    def WithdrawAsset(self, request, context):  # noqa: N802
        asset = self._next_version(request.asset_id)
        asset.status = pb.ASSET_STATUS_WITHDRAWN
        return self._write(asset, "WITHDRAWN", context)

    def ApproveAsset(self, request, context):  # noqa: N802
        asset = self._next_version(request.asset_id)
        if asset.status == pb.ASSET_STATUS_ACTIVE:
            asset.version -= 1
            return self.registry.get_asset(asset.asset_id)
        asset.status = pb.ASSET_STATUS_ACTIVE
        return self._write(asset, "APPROVED", context)

    def GetAsset(self, request, context):  # noqa: N802
        return self.registry.get_asset(require_id("asset_id", request.asset_id))

    def ListAssets(self, request, context):  # noqa: N802
        if request.enterprise_id:
            require_id("enterprise_id", request.enterprise_id)
        size = page_size("page_size", request.page_size)
        after = decode_page_token(request.page_token)
        found: list[pb.Asset] = []
        exhausted = False
        while len(found) < size and not exhausted:
            ids = self.registry.page_asset_ids(request.enterprise_id, after, size)
            exhausted = len(ids) < size
            for asset in self.registry.get_assets(ids):
                after = asset.asset_id
                if request.kind and asset.kind != request.kind:
                    continue
                if request.status and asset.status != request.status:
                    continue
                found.append(asset)
                if len(found) == size:
                    break
        more = len(found) == size
        return pb.ListAssetsResponse(
            assets=found, next_page_token=encode_page_token(after if more else "")
        )

    def GetAssetHistory(self, request, context):  # noqa: N802
        asset = self.registry.get_asset(require_id("asset_id", request.asset_id))
        return pb.AssetHistory(
            asset_id=asset.asset_id, changes=self.registry.history(asset.asset_id)
        )
