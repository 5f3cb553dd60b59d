"""docs/api.md rendered from the .proto contract and the permission table.

`python -m services.api_doc > docs/api.md` writes it; tests/test_docs.py fails when the
file is not what this renders, so the reference never drifts from the contract. Each
service's RPCs come with their request and reply types (streams marked), the roles that
may call them and the comment written above them in the .proto file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from services.runtime.permissions import ENT, PERMISSIONS

PROTO_DIR = Path(__file__).resolve().parents[1] / "protos" / "parkvpp" / "v1"
_SERVICE = re.compile(r"^service (\w+) \{$")
_RPC = re.compile(r"^\s*rpc (\w+)\((stream )?([\w.]+)\) returns \((stream )?([\w.]+)\)")

HEADER = """\
# API reference

Generated from `protos/parkvpp/v1/*.proto` and `services/runtime/permissions.py` by
`python -m services.api_doc > docs/api.md`; a test fails when it is stale. Package
`parkvpp.v1`; every service also serves gRPC health checking and server reflection
(`grpc.reflection.v1` and `v1alpha`) without a token, so tools such as grpcurl discover
the messages themselves.

Every RPC needs `authorization: Bearer <token>` in the metadata (`parkvpp token --role
ROLE` prints one for a running stack; see [security](security.md)). "enterprise (own)"
means an enterprise may call it for its own things only. Errors: `INVALID_ARGUMENT`
naming the field, `NOT_FOUND`, `FAILED_PRECONDITION`, `ALREADY_EXISTS`,
`PERMISSION_DENIED`, `UNAUTHENTICATED`, `RESOURCE_EXHAUSTED` (rate and stream limits),
`UNAVAILABLE` (a dependency is down: retry).

A call with grpcurl, for a stack found with `eval "$(parkvpp env)"`:

```sh
grpcurl -plaintext -H "authorization: Bearer $(parkvpp token --role operator)" \\
  -d '{"market_day": "2026-12-04", "product": "PRODUCT_DEMAND_RESPONSE"}' \\
  "$PARKVPP_MARKET_ADDR" parkvpp.v1.MarketService/GetClearingResult
```
"""


@dataclass(frozen=True)
class Rpc:
    service: str
    name: str
    request: str
    reply: str
    comment: str


def _flush(comment: list[str]) -> str:
    return " ".join(line.strip() for line in comment)


def read_rpcs(proto: Path) -> tuple[str, list[Rpc]]:
    """The file's first comment line (what it is about) and its RPCs in order."""
    lines = proto.read_text(encoding="utf-8").splitlines()
    about = lines[0].removeprefix("//").strip() if lines and lines[0].startswith("//") else ""
    rpcs: list[Rpc] = []
    service, comment = "", []
    for line in lines:
        stripped = line.strip()
        if match := _SERVICE.match(stripped):
            service, comment = match.group(1), []
        elif stripped.startswith("//"):
            comment.append(stripped.removeprefix("//"))
        elif service and (match := _RPC.match(line)):
            request = ("stream " if match.group(2) else "") + match.group(3)
            reply = ("stream " if match.group(4) else "") + match.group(5)
            rpcs.append(Rpc(service, match.group(1), request, reply, _flush(comment)))
            comment = []
        elif stripped == "}":
            service, comment = "", []
        elif stripped:
            comment = []
    return about, rpcs


def _roles(rpc: Rpc) -> str:
    rule = PERMISSIONS.get(f"/parkvpp.v1.{rpc.service}/{rpc.name}")
    if rule is None:
        return "nobody (not in the permission table)"
    scoped = bool(rule.enterprise_fields or rule.asset_fields)
    order = ("operator", ENT, "esco", "registry", "monitor")
    names = [
        "enterprise (own)" if role == ENT and scoped else role
        for role in order
        if role in rule.roles
    ]
    return ", ".join(names)


def render() -> str:
    """The whole of docs/api.md."""
    out = [HEADER]
    for proto in sorted(PROTO_DIR.glob("*.proto")):
        about, rpcs = read_rpcs(proto)
        services = dict.fromkeys(rpc.service for rpc in rpcs)
        for service in services:
            out.append(f"## {service}\n")
            out.append(f"`{proto.name}`: {about}\n" if about else f"`{proto.name}`\n")
            out.append("| RPC | request -> reply | who may call | what it does |")
            out.append("|---|---|---|---|")
            for rpc in (r for r in rpcs if r.service == service):
                call = f"`{rpc.request}` -> `{rpc.reply}`"
                text = rpc.comment.replace("|", "\\|")
                out.append(f"| `{rpc.name}` | {call} | {_roles(rpc)} | {text} |")
            out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
