"""Signatures that anchor the ledger's audit entries to a key Redis never sees.

Redis Lua cannot compute HMAC-SHA256 with a key it must not hold, so the signature is made
before the script runs, over what the service asks for: the operation and its parameters
(the request, canonical JSON) and the request id. The script writes request and
signature into the audit entry it appends, inside the same atomic step as the change,
so there is never an unsigned entry of the service's own and no second write to lose.

What `verify` then proves: every entry was asked for by a holder of the key with exactly
the recorded parameters, its effects are the ones those parameters call for (the lots,
owners, Wh, beneficiaries, trade and mandate records named in the request), and no
signed request was applied twice. An entry appended by running the ledger's own scripts
straight against Redis, without the key, carries no valid signature and is named. What
it does not prove on its own: that no entry was removed from the tail together with a
consistent rewrite of the state (the SHA-1 chain is unkeyed); copying `audit:head` out
of Redis now and then anchors that too.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from certificates.exceptions import InvalidInput

MIN_KEY_BYTES = 32
_DOMAIN = b"parkvpp-ledger-entry-v1\x00"


def request_json(*parts: object) -> str:
    """The canonical request (operation and parameters) that is signed and audited; its
    SHA-256 is the request fingerprint that makes a reused request_id detectable."""
    return json.dumps(parts, separators=(",", ":"))


class LedgerSigner:
    """HMAC-SHA256 of (request_id, request) with the ledger's signing key.

    Raises InvalidInput("signing_key") for a key shorter than MIN_KEY_BYTES.
    """

    def __init__(self, key: str | bytes) -> None:
        raw = key.encode() if isinstance(key, str) else key
        if len(raw) < MIN_KEY_BYTES:
            raise InvalidInput("signing_key", f"must be at least {MIN_KEY_BYTES} bytes")
        self._key = raw

    def sign(self, request_id: str, request: str) -> str:
        """The hex signature of one request as the audit entry records it."""
        message = _DOMAIN + request_id.encode() + b"\x00" + request.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def verifies(self, request_id: str, request: str, signature: str) -> bool:
        """Whether `signature` is this key's signature of the request (constant time)."""
        return hmac.compare_digest(self.sign(request_id, request), signature)
