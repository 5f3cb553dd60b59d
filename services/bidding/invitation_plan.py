"""The market's DR events as the bidder's invitations: which to answer, and the plan's words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from bidding.exceptions import InvalidInput
from bidding.intervals import INTERVAL_MINUTES
from bidding.invitations import DrInvitation, Honoured, validate_invitations
from parkvpp.v1 import bidding_pb2 as pb
from parkvpp.v1 import market_pb2


def _clock(interval: int) -> str:
    minutes = interval * INTERVAL_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def window(invitation: DrInvitation) -> str:
    """ "18:00-20:00": the invitation's window in local time."""
    return f"{_clock(invitation.start_interval)}-{_clock(invitation.end_interval)}"


def to_invitation(event: market_pb2.DrEvent) -> DrInvitation:
    """The domain's view of a market DR event (the deadline as an aware UTC datetime)."""
    return DrInvitation(
        event_id=event.event_id,
        program=event.program,
        start_interval=event.start_interval,
        end_interval=event.end_interval,
        requested_kw=event.requested_kw,
        price_floor_fen_per_mwh=event.price_floor_fen_per_mwh,
        price_cap_fen_per_mwh=event.price_cap_fen_per_mwh,
        declaration_deadline=event.declaration_deadline.ToDatetime(tzinfo=UTC),
        notice_minutes=event.notice_minutes,
    )


def usable(
    events: Sequence[market_pb2.DrEvent],
) -> tuple[list[DrInvitation], list[tuple[str, str]]]:
    """The invitations the bidder can answer together, and (event id, why not) for the rest.

    Announced events come before the synthetic grid operator's standing calls, each by
    start interval; an event whose window overlaps one taken earlier is left out (the same
    kW cannot be declared to two calls), as is one the bid model refuses (its rule named).
    """
    ordered = sorted(events, key=lambda e: (e.synthetic, e.start_interval, e.event_id))
    taken: list[DrInvitation] = []
    left_out: list[tuple[str, str]] = []
    for event in ordered:
        invitation = to_invitation(event)
        try:
            validate_invitations([invitation])
        except InvalidInput as exc:
            left_out.append((event.event_id, f"cannot be answered: {exc}"))
            continue
        clash = next((t for t in taken if set(t.intervals) & set(invitation.intervals)), None)
        if clash is not None:
            reason = f"window {window(invitation)} overlaps {clash.event_id}'s, answered instead"
            left_out.append((event.event_id, reason))
            continue
        taken.append(invitation)
    return taken, left_out


def _cny(fen_per_mwh: int) -> str:
    return f"{fen_per_mwh / 100:,.0f}"


def summary(
    events: Sequence[market_pb2.DrEvent],
    answered: Sequence[DrInvitation],
    skipped: Sequence[tuple[str, str]],
) -> str:
    """One sentence: the calls answered (issuer, id, window, kW, price range) and why not others.

    E.g. "answering grid-operator call ev-2026-12-08-grid-operator 18:00-20:00 up to
    1,000 kW at 0-13,000 CNY/MWh". Empty when no event was announced.
    """
    issuer = {e.event_id: e.issuer_id for e in events}
    parts = [
        f"answering {issuer[inv.event_id]} call {inv.event_id} {window(inv)} up to "
        f"{inv.requested_kw:,.0f} kW at {_cny(inv.price_floor_fen_per_mwh)}-"
        f"{_cny(inv.price_cap_fen_per_mwh)} CNY/MWh"
        for inv in answered
    ]
    parts += [f"not answering {event_id}: {reason}" for event_id, reason in skipped]
    return "; ".join(parts)


def record(
    plan: pb.BidPlan,
    events: Sequence[market_pb2.DrEvent],
    honoured: Honoured,
    left_out: Sequence[tuple[str, str]],
) -> None:
    """Write the answered and skipped invitations and the summary into `plan`."""
    skipped = [(inv.event_id, reason) for inv, reason in honoured.skipped] + list(left_out)
    plan.answered_event_ids.extend(inv.event_id for inv in honoured.answered)
    for event_id, reason in skipped:
        plan.skipped_invitations.add(event_id=event_id, reason=reason)
    plan.invitation_summary = summary(events, honoured.answered, skipped)
