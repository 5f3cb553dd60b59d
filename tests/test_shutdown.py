"""Graceful stop: open dispatch streams end cleanly instead of being cut at the grace limit."""

from __future__ import annotations

import threading

import grpc

from parkvpp.v1 import enrollment_pb2, vpp_pb2


def test_an_open_dispatch_stream_ends_normally_when_the_server_stops(stack_factory):
    stack = stack_factory(db=5)
    clients = stack.clients()
    clients.enrollment.RegisterEnterprise(
        enrollment_pb2.RegisterEnterpriseRequest(enterprise_id="ent-s", name="S", grid_area="CN-JS")
    )
    stream = clients.vpp.SubscribeDispatch(vpp_pb2.SubscribeDispatchRequest(enterprise_id="ent-s"))
    outcome: dict[str, object] = {}

    def follow() -> None:
        try:
            outcome["items"] = list(stream)
            outcome["code"] = grpc.StatusCode.OK
        except grpc.RpcError as err:
            outcome["code"] = err.code()

    stream.initial_metadata()  # the server has taken the subscription
    follower = threading.Thread(target=follow)
    follower.start()
    stack.stop()  # grace 1 s; a stream still open then would be CANCELLED
    follower.join(30)
    clients.close()
    assert outcome == {"items": [], "code": grpc.StatusCode.OK}
