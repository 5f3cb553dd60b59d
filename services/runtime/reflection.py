"""Server reflection under grpc.reflection.v1 beside v1alpha.

grpcio-reflection (1.81) serves only grpc.reflection.v1alpha.ServerReflection, while
grpcurl, Postman and grpcui ask for v1 first. The two protocols are the same messages
field for field under another package name, so v1 is served by the v1alpha servicer
with the v1alpha (de)serialisers, and a v1 file descriptor (v1alpha's, renamed) joins
the default pool so that describing the v1 service itself answers too.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc

V1_PACKAGE = "grpc.reflection.v1"
V1_SERVICE_NAME = f"{V1_PACKAGE}.ServerReflection"
V1_FILE = "grpc/reflection/v1/reflection.proto"
_V1ALPHA_PREFIX = f".{reflection_pb2.DESCRIPTOR.package}."


def _renamed(type_name: str) -> str:
    if type_name.startswith(_V1ALPHA_PREFIX):
        return f".{V1_PACKAGE}." + type_name[len(_V1ALPHA_PREFIX) :]
    return type_name


def _rename_messages(messages) -> None:
    for message in messages:
        for field in message.field:
            if field.type_name:  # scalars have none, and setting '' would mark one
                field.type_name = _renamed(field.type_name)
        _rename_messages(message.nested_type)


def v1_file_descriptor() -> descriptor_pb2.FileDescriptorProto:
    """The v1 reflection protocol's file: the v1alpha file under the v1 package."""
    proto = descriptor_pb2.FileDescriptorProto()
    reflection_pb2.DESCRIPTOR.CopyToProto(proto)
    proto.name, proto.package = V1_FILE, V1_PACKAGE
    _rename_messages(proto.message_type)
    for service in proto.service:
        for method in service.method:
            method.input_type = _renamed(method.input_type)
            method.output_type = _renamed(method.output_type)
    return proto


def _register_v1_descriptor() -> None:
    pool = descriptor_pool.Default()
    try:
        pool.FindFileByName(V1_FILE)
    except KeyError:
        pool.AddSerializedFile(v1_file_descriptor().SerializeToString())


def enable_reflection(service_names: Sequence[str], server: grpc.Server) -> None:
    """Serve reflection v1alpha and v1 for `service_names` (both reflection services and
    health are listed by the caller or added here)."""
    _register_v1_descriptor()
    names = [*service_names, reflection.SERVICE_NAME, V1_SERVICE_NAME]
    servicer = reflection.ReflectionServicer(names)
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    v1 = grpc.method_handlers_generic_handler(
        V1_SERVICE_NAME,
        {
            "ServerReflectionInfo": grpc.stream_stream_rpc_method_handler(
                servicer.ServerReflectionInfo,
                request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
                response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
            )
        },
    )
    server.add_generic_rpc_handlers((v1,))
