"""The one id rule of ParkVPP: every id on the wire, in Redis keys and in the ledger.

An id is 1..64 characters of A-Z a-z 0-9 `.` `_` `-`, starting with a letter or digit.
It lives here, in the lowest domain package that keeps ids (the ledger), so that the
domain checks it without importing `services`, and `services` imports it from here.
Ids end up inside Redis keys, CSV exports and log lines: braces, colons, slashes,
whitespace (a trailing newline included: the match is `fullmatch`, never `$`) and
look-alike Unicode letters are refused.
"""

from __future__ import annotations

import re

ID_MAX_LEN = 64
ID_PATTERN = rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{ID_MAX_LEN - 1}}}"
#: What a refusal says after the field name, e.g. "asset_id: must be 1-64 characters ...".
ID_RULE = f"must be 1-{ID_MAX_LEN} characters of A-Z a-z 0-9 . _ - starting with a letter or digit"

_ID = re.compile(ID_PATTERN, re.ASCII)


def is_id(value: object) -> bool:
    """True when `value` is a str that is an id by the rule above (the whole string)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None
