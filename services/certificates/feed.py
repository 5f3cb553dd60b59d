"""The certificate ledger's change feed as events: the relay's codec for ledger entries.

Every ledger mutation appends its result to the ledger's outbox stream inside its Lua
script (certificates/common.lua), so a reply is never acknowledged without its event. The
relay calls `encode` to turn such an entry into the event the service announces.
"""

from __future__ import annotations

import json

from certificates.consent import MANDATE_STEPS, TRADE_STEPS, mandate_of
from certificates.contract_records import GreenContract
from certificates.store import change_of
from parkvpp.v1 import certificates_pb2 as pb
from parkvpp.v1 import events_pb2
from services.certificates.contract_convert import contract_message, delivered_event
from services.certificates.convert import lot_message, mandate_message, trade_message
from services.runtime.events import TOPIC_CERTIFICATES, envelope

#: The ledger's hash tag (CertificateLedger's default prefix): its outbox shares the slot.
TAG = "ledger"
_CONTRACT_EVENTS = {
    "propose_contract": pb.GreenContractProposed,
    "accept_contract": pb.GreenContractAccepted,
    "reject_contract": pb.GreenContractRejected,
}
_TRADE_EVENTS = {
    "propose": events_pb2.GreenTradeProposed,
    "accept": events_pb2.GreenTradeAccepted,
    "reject": events_pb2.GreenTradeRejected,
}


def encode(fields: dict[bytes, bytes]) -> tuple[str, str, bytes]:
    """(topic, key, envelope bytes) of one change-feed entry (fields o, i, a, d): lots keyed
    by lot id, trade steps before settlement by trade id, mandates by mandate id, contract
    steps and deliveries by contract id.

    Raises ValueError for an unknown operation or a malformed result.
    """
    operation = fields[b"o"].decode()
    event_id = fields[b"i"].decode()
    actor = fields.get(b"a", b"").decode()
    if operation in MANDATE_STEPS:
        mandate = mandate_message(mandate_of(fields[b"d"]))
        step = events_pb2.MandateGranted if operation == "grant" else events_pb2.MandateRevoked
        return (
            TOPIC_CERTIFICATES,
            mandate.mandate_id,
            envelope(step(mandate=mandate), actor, event_id),
        )
    if operation in _CONTRACT_EVENTS:
        contract = contract_message(GreenContract.from_fields(json.loads(fields[b"d"])))
        message = _CONTRACT_EVENTS[operation](contract=contract)
        return TOPIC_CERTIFICATES, contract.contract_id, envelope(message, actor, event_id)
    if operation == "deliver":
        event = delivered_event(json.loads(fields[b"d"]))
        return TOPIC_CERTIFICATES, event.contract_id, envelope(event, actor, event_id)
    lots, trade = change_of(operation, fields[b"d"])
    if operation in TRADE_STEPS:
        assert trade is not None
        step = _TRADE_EVENTS[operation]
        message = step(trade=trade_message(trade, None))
        return TOPIC_CERTIFICATES, trade.trade_id, envelope(message, actor, event_id)
    messages = [lot_message(lot) for lot in lots]
    rest = messages[1] if len(messages) > 1 else None
    if operation == "issue":
        key = lots[0].generator_asset_id
        event = events_pb2.CertificatesIssued(lots=messages)
    elif operation == "expire":
        key = lots[0].lot_id
        event = events_pb2.CertificatesExpired(lots=messages)
    elif operation == "transfer":
        key = lots[0].lot_id
        event = events_pb2.CertificatesTransferred(transferred=messages[0], remainder=rest)
    elif operation == "retire":
        key = lots[0].lot_id
        event = events_pb2.CertificatesRetired(retired=messages[0], remainder=rest)
    else:
        assert trade is not None
        key = lots[0].lot_id
        remainder = lots[1] if len(lots) > 1 else None
        event = pb.GreenTradeSettled(trade=trade_message(trade, lots[0], remainder))
    return TOPIC_CERTIFICATES, key, envelope(event, actor, event_id)
