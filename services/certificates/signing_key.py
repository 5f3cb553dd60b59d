"""Where the certificate service's ledger signing key comes from.

PARKVPP_LEDGER_SIGNING_KEY when set (at least 32 bytes; from a Secret in Kubernetes);
otherwise the embedded default keeps one in the data directory next to the token key,
made on first use with mode 0600, so `parkvpp up` and `parkvpp ledger verify --data-dir`
share it. Redis never sees it: only the signatures it makes are stored.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from certificates.signing import LedgerSigner
from services.runtime.settings import Settings, SettingsError

KEY_FILE = "ledger-signing-key"


def ledger_key_for(settings: Settings, create: bool = True) -> str:
    """PARKVPP_LEDGER_SIGNING_KEY, or the data directory's own key (made when `create`).

    Raises SettingsError when there is none and `create` is False, or the data directory
    cannot hold one.
    """
    if settings.ledger_signing_key:
        return settings.ledger_signing_key
    path = Path(settings.data_dir).resolve() / KEY_FILE
    if not path.exists() and not create:
        raise SettingsError(
            f"no ledger signing key: set PARKVPP_LEDGER_SIGNING_KEY or point --data-dir at "
            f"the folder of a `parkvpp up` ({path} does not exist)"
        )
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
        return path.read_text().strip()
    except OSError as exc:
        raise SettingsError(
            f"PARKVPP_LEDGER_SIGNING_KEY is not set and {path} cannot be used: {exc}"
        ) from exc


def ledger_signer(settings: Settings, create: bool = True) -> LedgerSigner:
    """The signer of `ledger_key_for(settings, create)`; raises SettingsError."""
    return LedgerSigner(ledger_key_for(settings, create))
