"""Where the certificate service's ledger signing key comes from.

PARKVPP_LEDGER_SIGNING_KEY when set (at least 32 bytes; from a Secret in Kubernetes);
otherwise the embedded default keeps one in the data directory next to the token key,
made on first use with mode 0600, so `parkvpp up` and `parkvpp ledger verify --data-dir`
share it. Redis never sees it: only the signatures it makes are stored.
"""

from __future__ import annotations

from certificates.signing import LedgerSigner
from services.runtime.keys import data_dir_key
from services.runtime.settings import Settings

KEY_FILE = "ledger-signing-key"


def ledger_key_for(settings: Settings, create: bool = True) -> str:
    """PARKVPP_LEDGER_SIGNING_KEY, or the data directory's own key (made when `create`).

    Raises SettingsError when there is none and `create` is False, or the data directory
    cannot hold one.
    """
    return data_dir_key(
        settings.ledger_signing_key,
        settings.data_dir,
        KEY_FILE,
        "PARKVPP_LEDGER_SIGNING_KEY",
        create,
        what="ledger signing",
    )


def ledger_signer(settings: Settings, create: bool = True) -> LedgerSigner:
    """The signer of `ledger_key_for(settings, create)`; raises SettingsError."""
    return LedgerSigner(ledger_key_for(settings, create))
