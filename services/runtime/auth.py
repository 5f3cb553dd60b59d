"""Who is calling: signed bearer tokens, roles, and the caller of the RPC in progress.

A token is a JWT (HS256) signed with the key in PARKVPP_TOKEN_SECRET (a Kubernetes
Secret in production). Its claims: `role` (operator, esco, registry, monitor or
enterprise:<enterprise id>), `sub` (who it was issued to, for audit history), `iss`
("parkvpp"), `iat` and `exp`. Callers send it as gRPC metadata
`authorization: Bearer <token>`; the server interceptor verifies it and sets the Caller
for the duration of the call (see `current_caller`).
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import jwt

from certificates.ids import is_id
from services.runtime.errors import InvalidArgument, NotFound, Unauthenticated

ISSUER = "parkvpp"
ALGORITHM = "HS256"
ROLES = ("operator", "enterprise", "esco", "registry", "monitor")
#: Longest lifetime `issue_token` accepts: a year (long-lived tokens are for meter gateways).
MAX_TTL_S = 366 * 24 * 3600
#: Shortest signing key accepted: 32 bytes, the HS256 output size.
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: `role` one of ROLES; `enterprise_id` set for enterprises."""

    role: str
    enterprise_id: str
    subject: str

    @property
    def label(self) -> str:
        """How the caller appears in audit history, e.g. "enterprise:ent-1 (gateway-7)"."""
        who = f"enterprise:{self.enterprise_id}" if self.role == "enterprise" else self.role
        return who if self.subject in ("", who) else f"{who} ({self.subject})"


def parse_role(text: str) -> tuple[str, str]:
    """(role, enterprise id) of "operator" or "enterprise:<id>"; InvalidArgument("role").

    The enterprise id follows the one id rule (certificates.ids), so no token can stand
    for a look-alike such as "ent-a\\n".
    """
    role, _, enterprise_id = text.partition(":")
    if role not in ROLES or (role == "enterprise") != is_id(enterprise_id):
        raise InvalidArgument(
            "role", "must be operator, esco, registry, monitor or enterprise:<enterprise id>"
        )
    return role, enterprise_id


def _check_secret(secret: str) -> bytes:
    key = secret.encode()
    if len(key) < MIN_SECRET_BYTES:
        raise InvalidArgument("secret", f"must be at least {MIN_SECRET_BYTES} bytes")
    return key


def issue_token(
    secret: str, role: str, ttl_s: int = 3600, subject: str = "", now: float | None = None
) -> str:
    """A signed token for `role` (e.g. "enterprise:ent-1") valid for `ttl_s` seconds."""
    parse_role(role)
    if not 1 <= ttl_s <= MAX_TTL_S:
        raise InvalidArgument("ttl_s", f"must be 1..{MAX_TTL_S}")
    issued = int(time.time() if now is None else now)
    claims = {"role": role, "sub": subject or role, "iss": ISSUER, "iat": issued}
    claims["exp"] = issued + ttl_s
    return jwt.encode(claims, _check_secret(secret), algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Caller:
    """The caller a token stands for; Unauthenticated if forged, expired or malformed.

    The error text never says which check failed beyond "expired" vs "invalid".
    """
    return _verified(secret, token)[0]


def _verified(secret: str, token: str) -> tuple[Caller, float]:
    """(caller, expiry epoch second) of a token; Unauthenticated as `verify_token`."""
    try:
        claims = jwt.decode(
            token,
            _check_secret(secret),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "role"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("token expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated("invalid token") from exc
    try:
        role, enterprise_id = parse_role(str(claims["role"]))
    except InvalidArgument as exc:
        raise Unauthenticated("invalid token") from exc
    return Caller(role, enterprise_id, str(claims.get("sub", ""))[:100]), float(claims["exp"])


class TokenCache:
    """`verify_token` remembered per token until the token expires: the signature check
    and claim parsing (tens of microseconds) run once per token, not once per call.

    Only tokens that verified are kept, with their expiry, which is checked on every
    use; at most `size` of them (the cache starts over when full). One cache serves one
    signing key.
    """

    def __init__(self, secret: str, size: int = 4096) -> None:
        self._secret = secret
        self._size = size
        self._known: dict[str, tuple[Caller, float]] = {}
        self._lock = threading.Lock()

    def verify(self, token: str, now: float | None = None) -> Caller:
        """The caller of `token`; Unauthenticated as `verify_token` (also once it expired)."""
        known = self._known.get(token)
        moment = time.time() if now is None else now
        if known is not None and moment < known[1]:
            return known[0]
        caller, expires = _verified(self._secret, token)
        with self._lock:
            if len(self._known) >= self._size:
                self._known.clear()
            self._known[token] = (caller, expires)
        return caller


def bearer(metadata: object) -> str | None:
    """The token of an `authorization: Bearer <token>` entry of gRPC metadata, if any."""
    for key, value in metadata or ():  # type: ignore[attr-defined]
        if key == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


_CALLER: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("caller", default=None)
_TOKEN: contextvars.ContextVar[str | None] = contextvars.ContextVar("token", default=None)


@contextmanager
def calling_as(caller: Caller, token: str | None = None) -> Iterator[None]:
    """Make `caller` (and the token it came with) current for the block."""
    caller_mark, token_mark = _CALLER.set(caller), _TOKEN.set(token)
    try:
        yield
    finally:
        _CALLER.reset(caller_mark)
        _TOKEN.reset(token_mark)


def current_caller() -> Caller | None:
    """The authenticated caller of the RPC in progress, or None outside an RPC."""
    return _CALLER.get()


def forwarded_metadata() -> tuple[tuple[str, str], ...]:
    """Metadata that makes a peer call on behalf of the current caller (its own token)."""
    token = _TOKEN.get()
    return (("authorization", f"Bearer {token}"),) if token else ()


def own_enterprise(enterprise_id: str, what: str = "enterprise") -> str:
    """The enterprise a request may address: for an enterprise caller its own.

    An empty id becomes the caller's own; another enterprise's id is answered exactly
    like an unknown one (NotFound, no existence oracle). Other roles pass unchanged.
    """
    caller = current_caller()
    if caller is None or caller.role != "enterprise":
        return enterprise_id
    if enterprise_id in ("", caller.enterprise_id):
        return caller.enterprise_id
    raise NotFound(f"{what} {enterprise_id} not found")


def may_see(enterprise_id: str) -> bool:
    """False when the current caller is an enterprise other than `enterprise_id`."""
    caller = current_caller()
    return caller is None or caller.role != "enterprise" or caller.enterprise_id == enterprise_id
