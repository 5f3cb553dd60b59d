"""Errors of the certificates package.

CertificateError
├── InvalidInput          a field of the input breaks a rule (names the field and the rule)
├── LotNotFound           no lot with that id
├── TradeNotFound         no green-power trade with that id
├── NotOwner              the caller does not own the lot; the service layer reports it as
│                         not-found, so the message never names the real owner
├── InsufficientEnergy    more energy asked for than the lot holds
├── AlreadyRetired        the lot is retired; its serials can never move or retire again
├── LotExpired            the lot is past its two-year validity
├── OverlappingIssuance   the generator already has certificates for one of the hours
├── TradeExists           the trade_id is taken (proposed, or settled by another request)
├── TradeNotAgreed        settling a trade neither accepted by the buyer nor under its mandate
├── TradeExpired          the trade's proposal expired before it was accepted or settled
├── TradeClosed           the trade was rejected (or is otherwise past accepting)
├── MandateExists         the mandate_id is taken
├── MandateNotFound       no mandate with that id granted by the acting enterprise
├── MandateClosed         the mandate was already revoked
├── NoMandate             retiring for another enterprise without its retire_for mandate
├── ContractNotFound      no green-power contract with that id for the acting party
│                         (a TradeNotFound, so the service answers NOT_FOUND)
├── ContractExists        the contract_id is taken (a TradeExists: ALREADY_EXISTS)
├── ContractClosed        the contract is not in the state the step needs
├── ContractExpired       the contract's proposal expired before the buyer accepted it
├── MonthNotDeliverable   the month has not ended, or an earlier month is undelivered
├── DuplicateRequest      a request_id was reused with different parameters
└── LedgerBusy            verify found the ledger changing on every snapshot attempt

An audit that finds the ledger inconsistent is not an error: CertificateLedger.verify
returns a VerifyReport with ok=False.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


class CertificateError(Exception):
    """Base of every error raised by `certificates`."""


class InvalidInput(CertificateError, ValueError):
    """A field of the input breaks a rule; `field` is its path, `rule` what it broke."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class LotNotFound(CertificateError, LookupError):
    """No lot has id `lot_id`."""

    def __init__(self, lot_id: str) -> None:
        super().__init__(f"lot {lot_id!r} not found")
        self.lot_id = lot_id


class TradeNotFound(CertificateError, LookupError):
    """No green-power trade has id `trade_id`."""

    def __init__(self, trade_id: str) -> None:
        super().__init__(f"trade {trade_id!r} not found")
        self.trade_id = trade_id


class NotOwner(CertificateError):
    """The acting enterprise does not own `lot_id`; deliberately silent about who does."""

    def __init__(self, lot_id: str) -> None:
        super().__init__(f"lot {lot_id!r} is not owned by the acting enterprise")
        self.lot_id = lot_id


class InsufficientEnergy(CertificateError):
    """`requested_wh` exceeds the `available_wh` of lot `lot_id`."""

    def __init__(self, lot_id: str, available_wh: int, requested_wh: int) -> None:
        super().__init__(f"lot {lot_id!r} holds {available_wh} Wh, {requested_wh} Wh requested")
        self.lot_id = lot_id
        self.available_wh = available_wh
        self.requested_wh = requested_wh


class AlreadyRetired(CertificateError):
    """Lot `lot_id` is retired and can be neither transferred nor retired again."""

    def __init__(self, lot_id: str) -> None:
        super().__init__(f"lot {lot_id!r} is already retired")
        self.lot_id = lot_id


class LotExpired(CertificateError):
    """Lot `lot_id` was past its validity (ended at `expires_at`, when known) at the time
    of the operation; it can no longer be transferred, traded or retired."""

    def __init__(self, lot_id: str, expires_at: datetime | None = None) -> None:
        when = ""
        if expires_at is not None:
            local = expires_at.astimezone(timezone(timedelta(hours=8)))
            when = f" on {local.date().isoformat()} (00:00 Asia/Shanghai)"
        super().__init__(
            f"lot {lot_id!r} expired{when}: certificates are valid 24 months including "
            "their production month, and an expired lot cannot be transferred, traded or retired"
        )
        self.lot_id = lot_id
        self.expires_at = expires_at


class OverlappingIssuance(CertificateError):
    """Generator `generator_asset_id` already has certificates for hour `hour_start` (ISO)."""

    def __init__(self, generator_asset_id: str, hour_start: str) -> None:
        super().__init__(
            f"generator {generator_asset_id!r} already has certificates for hour {hour_start}"
        )
        self.generator_asset_id = generator_asset_id
        self.hour_start = hour_start


class TradeExists(CertificateError):
    """Trade `trade_id` was already settled by a different request; it settles only once."""

    def __init__(self, trade_id: str) -> None:
        super().__init__(f"trade {trade_id!r} was already settled by another request")
        self.trade_id = trade_id


class TradeNotAgreed(CertificateError):
    """Trade `trade_id` was neither accepted by its buyer nor covered by a mandate the
    buyer gave the ESCO (price cap, seller, Wh left, expiry), so it cannot be settled."""

    def __init__(self, trade_id: str) -> None:
        super().__init__(
            f"trade {trade_id!r} was neither accepted by its buyer nor covered by a "
            "buy_green mandate of the buyer; it cannot be settled"
        )
        self.trade_id = trade_id


class TradeExpired(CertificateError):
    """The proposal of trade `trade_id` expired at `expires_at` unsettled."""

    def __init__(self, trade_id: str, expires_at: datetime) -> None:
        super().__init__(f"trade {trade_id!r} expired at {expires_at.isoformat()} unsettled")
        self.trade_id = trade_id
        self.expires_at = expires_at


class TradeClosed(CertificateError):
    """Trade `trade_id` is in `state` (e.g. REJECTED, or ACCEPTED for a second accept)."""

    def __init__(self, trade_id: str, state: str) -> None:
        super().__init__(f"trade {trade_id!r} is {state}")
        self.trade_id = trade_id
        self.state = state


class MandateExists(CertificateError):
    """Mandate id `mandate_id` is already taken."""

    def __init__(self, mandate_id: str) -> None:
        super().__init__(f"mandate {mandate_id!r} already exists")
        self.mandate_id = mandate_id


class MandateNotFound(CertificateError, LookupError):
    """No mandate `mandate_id` granted by the acting enterprise (worded alike for others')."""

    def __init__(self, mandate_id: str) -> None:
        super().__init__(f"mandate {mandate_id!r} not found")
        self.mandate_id = mandate_id


class MandateClosed(CertificateError):
    """Mandate `mandate_id` is `state` already."""

    def __init__(self, mandate_id: str, state: str) -> None:
        super().__init__(f"mandate {mandate_id!r} is {state}")
        self.mandate_id = mandate_id
        self.state = state


class NoMandate(CertificateError):
    """No active retire_for mandate of `beneficiary` to `owner` covers the retirement."""

    def __init__(self, beneficiary: str, owner: str) -> None:
        super().__init__(
            f"retiring for {beneficiary!r} needs its retire_for mandate to {owner!r} "
            "(active, unexpired, with enough Wh left); none covers this retirement"
        )
        self.beneficiary = beneficiary
        self.owner = owner


class ContractNotFound(TradeNotFound):
    """No green-power contract `contract_id` of the acting party (worded alike for others')."""

    def __init__(self, contract_id: str) -> None:
        CertificateError.__init__(self, f"green contract {contract_id!r} not found")
        self.trade_id = contract_id
        self.contract_id = contract_id


class ContractExists(TradeExists):
    """Contract id `contract_id` is already taken."""

    def __init__(self, contract_id: str) -> None:
        CertificateError.__init__(self, f"green contract {contract_id!r} already exists")
        self.trade_id = contract_id
        self.contract_id = contract_id


class ContractClosed(CertificateError):
    """Contract `contract_id` is `state`: accepting or rejecting needs PROPOSED, delivering
    ACCEPTED."""

    def __init__(self, contract_id: str, state: str) -> None:
        super().__init__(f"green contract {contract_id!r} is {state}")
        self.contract_id = contract_id
        self.state = state


class ContractExpired(CertificateError):
    """The proposal of contract `contract_id` expired at `expires_at` unaccepted."""

    def __init__(self, contract_id: str, expires_at: datetime) -> None:
        super().__init__(
            f"green contract {contract_id!r} expired at {expires_at.isoformat()} unaccepted"
        )
        self.contract_id = contract_id
        self.expires_at = expires_at


class MonthNotDeliverable(CertificateError):
    """Month `month` of contract `contract_id` cannot be delivered yet: `reason`."""

    def __init__(self, contract_id: str, month: str, reason: str) -> None:
        super().__init__(f"green contract {contract_id!r} month {month}: {reason}")
        self.contract_id = contract_id
        self.month = month
        self.reason = reason


class DuplicateRequest(CertificateError):
    """`request_id` was already used for a different operation or different parameters."""

    def __init__(self, request_id: str) -> None:
        super().__init__(f"request_id {request_id!r} was already used with other parameters")
        self.request_id = request_id


class LedgerBusy(CertificateError):
    """The ledger changed during each of `attempts` snapshot reads; retry when quieter."""

    def __init__(self, attempts: int) -> None:
        super().__init__(f"the ledger changed during each of {attempts} snapshot attempts")
        self.attempts = attempts
