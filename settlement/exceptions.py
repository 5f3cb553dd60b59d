"""Errors of the settlement package.

SettlementError
├── InvalidInput            a field of the input breaks a rule (names the field and the rule)
└── MissingData             data the rules need is absent (names what and where)
"""

from __future__ import annotations


class SettlementError(Exception):
    """Base of every error raised by `settlement`."""


class InvalidInput(SettlementError, ValueError):
    """A field of the input breaks a rule; `field` is its path, `rule` what it broke."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class MissingData(SettlementError):
    """Something the rules need is absent: `subject` says what, `detail` where."""

    def __init__(self, subject: str, detail: str) -> None:
        super().__init__(f"missing {subject}: {detail}")
        self.subject = subject
        self.detail = detail
