"""Secret keys of the embedded default: from their variable, or a file in the data directory.

`parkvpp up` keeps the keys it signs with (tokens, ledger entries) next to its data, made
on first use with mode 0600, so `parkvpp token`, `parkvpp ledger verify --data-dir` and the
services of one stack share them without a key ever being printed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from services.runtime.settings import SettingsError


def data_dir_key(
    value: str, data_dir: str, file_name: str, variable: str, create: bool, what: str = "signing"
) -> str:
    """`value` when set, else the key in `data_dir/file_name` (made when missing and `create`).

    Raises SettingsError naming `variable` when there is no key and `create` is False, or
    the data directory cannot hold one.
    """
    if value:
        return value
    path = Path(data_dir).resolve() / file_name
    if not path.exists() and not create:
        raise SettingsError(
            f"no {what} key: set {variable} or point --data-dir at the folder of a `parkvpp up` "
            f"({path} does not exist)"
        )
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
        return path.read_text().strip()
    except OSError as exc:
        raise SettingsError(f"{variable} is not set and {path} cannot be used: {exc}") from exc
