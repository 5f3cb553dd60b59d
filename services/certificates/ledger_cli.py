"""`parkvpp ledger verify`: audit the certificate ledger of a running stack's Redis.

Exit codes: 0 the ledger is sound, 1 it is broken (the first broken entry is named),
2 it could not be checked (no Redis to reach, no signing key, or the ledger kept changing).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TextIO

import redis

from certificates.exceptions import LedgerBusy
from certificates.store import CertificateLedger
from services.certificates.signing_key import ledger_signer
from services.runtime.settings import Settings, SettingsError
from services.runtime.store import connect
from services.stack_client import StackTarget
from services.stack_file import StackInfo

SOUND, BROKEN, UNCHECKED = 0, 1, 2
_PORT = re.compile(r"^port (\d+)$", re.MULTILINE)


class NoRedis(RuntimeError):
    """There is no Redis to check: none configured and no embedded Valkey running."""


def redis_url_for(settings: Settings, stack: StackInfo | None = None) -> str:
    """REDIS_URL, else the Redis of the running stack (its stack.json), else the port the
    embedded Valkey of `parkvpp up --data-dir` wrote into DATA_DIR/valkey/valkey.conf.

    Raises NoRedis when none of them is there.
    """
    if settings.redis_url:
        return settings.redis_url
    if stack is not None and stack.redis_url:
        return stack.redis_url
    conf = Path(settings.data_dir).resolve() / "valkey" / "valkey.conf"
    match = _PORT.search(conf.read_text()) if conf.exists() else None
    if match is None:
        raise NoRedis(
            f"no REDIS_URL and no embedded Valkey in {conf.parent} "
            "(point --data-dir at the folder of a `parkvpp up`)"
        )
    return f"redis://127.0.0.1:{match.group(1)}/0"


def verify(
    target: StackTarget | Settings, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Verify the ledger (hash chain, signatures, replay, invariants, stored state); the
    exit code. `target` is the stack found by the CLI (or bare settings). Signatures are
    checked with PARKVPP_LEDGER_SIGNING_KEY or the data dir's key; without either the
    ledger is not checked (2).

    The verdict goes to `out` (stdout), why it could not be checked to `err` (stderr).
    """
    out, err = out or sys.stdout, err or sys.stderr
    settings, stack = (
        (target.settings, target.info) if isinstance(target, StackTarget) else (target, None)
    )
    try:
        url = redis_url_for(settings, stack)
        signer = ledger_signer(settings, create=False)
    except (NoRedis, SettingsError) as exc:
        print(f"parkvpp ledger verify: {exc}", file=err)
        return UNCHECKED
    client = connect(url, settings.redis_password, settings.redis_ca_file, socket_timeout=60)
    try:
        client.ping()
    except redis.ConnectionError:
        where = "REDIS_URL" if settings.redis_url else "the embedded Valkey"
        print(f"parkvpp ledger verify: {where} at {url} is not running", file=err)
        return UNCHECKED
    try:
        report = CertificateLedger(client, signer=signer).verify()
    except LedgerBusy as exc:
        print(f"parkvpp ledger verify: {exc}; try again", file=err)
        return UNCHECKED
    except redis.RedisError as exc:
        print(f"parkvpp ledger verify: Redis at {url} failed: {exc}", file=err)
        return UNCHECKED
    finally:
        client.close()
    if report.ok:
        print(
            f"ledger sound: {report.entries:,} entries, chain intact, every entry signed, "
            "invariants hold",
            file=out,
        )
        return SOUND
    print(f"ledger BROKEN: {report.first_problem()}", file=out)
    for line in report.invariant_errors[:20]:
        print(f"  {line}", file=out)
    if len(report.invariant_errors) > 20:
        print(f"  ... {len(report.invariant_errors) - 20} more", file=out)
    return BROKEN
