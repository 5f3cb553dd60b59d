"""How a client command finds a stack: `--addr`, else DATA_DIR/stack.json, else the settings.

DATA_DIR is `--data-dir`, else PARKVPP_DATA_DIR, else `.parkvpp` (where `parkvpp up`
puts it by default). When a data dir is named (flag or variable) and no `parkvpp up`
runs from it, a command without `--addr` stops with a sentence saying so instead of
dialling default ports; with the default data dir and no stack.json the addresses come
from PARKVPP_<SERVICE>_ADDR or `parkvpp up`'s default ports (a stack elsewhere, e.g. a
port-forwarded Kubernetes one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import grpc

from services.runtime.channels import RETRY_OPTIONS, open_channel
from services.runtime.settings import Settings, load_settings
from services.stack_file import StackInfo, read_stack_file, stack_path


class NoStack(Exception):
    """No running stack where the command looked; the message says where and what to do."""


@dataclass(frozen=True)
class StackTarget:
    """A stack a client command talks to, and the settings it was found with."""

    settings: Settings
    data_dir: Path
    info: StackInfo | None
    #: The data dir was named (--data-dir or PARKVPP_DATA_DIR), not the default.
    named: bool
    #: Why `info` is None when a stack.json was there (its `up` has exited).
    stale_pid: int = 0

    def addr(self, service: str, override: str = "") -> str:
        """host:port of `service`: `override`, stack.json's, or the settings'.

        Raises NoStack when the data dir was named but runs no stack.
        """
        if override:
            return override
        if self.info is not None:
            return self.info.grpc_addrs[service]
        if self.named or self.stale_pid:
            raise NoStack(self.why_none())
        return self.settings.addr_of(service)

    def why_none(self) -> str:
        """A sentence: no stack runs from the data dir, and how to start one or go elsewhere."""
        path = stack_path(self.data_dir)
        if self.stale_pid:
            found = f"{path} was written by `parkvpp up` pid {self.stale_pid}, which has exited"
        else:
            found = f"no {path}"
        return (
            f"no running stack in {self.data_dir} ({found}); start one with "
            f"`parkvpp up --data-dir {self.data_dir}`"
        )

    def describe(self) -> str:
        """Where the addresses come from, for messages."""
        if self.info is not None:
            return f"the stack in {self.data_dir} (parkvpp up pid {self.info.up_pid})"
        return "PARKVPP_<SERVICE>_ADDR or the default ports (no stack.json in " + (
            f"{self.data_dir})"
        )

    @property
    def tls(self) -> tuple[str, str, str]:
        """(cert_file, key_file, ca_file): the settings' when given, else the stack's."""
        s = self.settings
        if s.tls_ca_file or s.tls_cert_file:
            return s.tls_cert_file, s.tls_key_file, s.tls_ca_file
        tls = self.info.tls if self.info is not None else {}
        return tls.get("cert_file", ""), tls.get("key_file", ""), tls.get("ca_file", "")

    def token(self, role: str, ttl_s: int = 600, given: str = "", subject: str = "") -> str:
        """`given`, else a token of `role` signed with the stack's key (SettingsError when
        there is no key: PARKVPP_TOKEN_SECRET unset and no key file in the data dir)."""
        from services.launcher import token_secret_for
        from services.runtime.auth import issue_token

        if given:
            return given
        return issue_token(token_secret_for(self.settings, create=False), role, ttl_s, subject)

    def channel(self, service: str, role: str, addr: str = "", token: str = "") -> grpc.Channel:
        """A channel to `service` carrying `token` or a 10-minute token of `role`; calls
        answered UNAVAILABLE (a service restarting) are retried by gRPC's retry policy."""
        cert, key, ca = self.tls
        return open_channel(
            self.addr(service, addr), self.token(role, given=token), cert, key, ca, RETRY_OPTIONS
        )


def find_stack(data_dir: str = "") -> StackTarget:
    """The stack of `data_dir` (or PARKVPP_DATA_DIR, or `.parkvpp`), running or not.

    Raises SettingsError for a bad setting in the environment.
    """
    settings = load_settings()
    named = bool(data_dir or os.environ.get("PARKVPP_DATA_DIR"))
    if data_dir:
        settings = settings.with_overrides(data_dir=data_dir)
    folder = Path(settings.data_dir).resolve()
    info = read_stack_file(folder)
    if info is not None and not info.running:
        return StackTarget(settings, folder, None, named, stale_pid=info.up_pid)
    return StackTarget(settings, folder, info, named)
