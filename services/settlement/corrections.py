"""A correction against the version it corrects: adjustment lines, changed amounts, statements."""

from __future__ import annotations

from parkvpp.v1 import settlement_pb2 as pb

#: Longest correction reason kept on a version.
MAX_REASON_CHARS = 500


def _totals(run: pb.SettlementRun) -> dict[str, tuple[int, int]]:
    return {e.enterprise_id: (e.amount_fen, e.energy_market_fen) for e in run.enterprises}


def adjustment_lines(previous: pb.SettlementRun, run: pb.SettlementRun) -> list[pb.AdjustmentLine]:
    """One line per enterprise of either version, sorted by id: before, after, difference.

    The lines' adjustment_fen sum to (pool + energy) of `run` minus that of `previous`
    exactly, because each version's amounts sum to its pool and its energy fen.
    """
    before, after = _totals(previous), _totals(run)
    lines = []
    for enterprise_id in sorted(before.keys() | after.keys()):
        old_amount, old_energy = before.get(enterprise_id, (0, 0))
        amount, energy = after.get(enterprise_id, (0, 0))
        lines.append(
            pb.AdjustmentLine(
                enterprise_id=enterprise_id,
                previous_total_fen=old_amount + old_energy,
                total_fen=amount + energy,
                adjustment_fen=(amount + energy) - (old_amount + old_energy),
                previous_amount_fen=old_amount,
                amount_fen=amount,
                previous_energy_market_fen=old_energy,
                energy_market_fen=energy,
            )
        )
    return lines


def changed_amounts(previous: pb.SettlementRun, run: pb.SettlementRun) -> list[pb.EnterpriseAmount]:
    """The run's enterprises whose money differs from `previous` (changes_from_previous)."""
    before = {e.enterprise_id: e for e in previous.enterprises}
    changes = []
    for now in run.enterprises:
        old = before.get(now.enterprise_id)
        if old is None or (old.amount_fen, old.energy_market_fen) != (
            now.amount_fen,
            now.energy_market_fen,
        ):
            change = pb.EnterpriseAmount()
            change.CopyFrom(now)
            change.previous_amount_fen = old.amount_fen if old else 0
            change.previous_energy_market_fen = old.energy_market_fen if old else 0
            changes.append(change)
    return changes


def as_correction(
    run: pb.SettlementRun,
    statements: list[pb.Statement],
    previous: pb.SettlementRun,
    reason: str,
) -> list[pb.Statement]:
    """Mark `run` as the correction of `previous` and return its statements with each
    enterprise's adjustment; an enterprise only in `previous` gets an empty statement
    carrying its (negative) adjustment, so it can read why its money went."""
    run.corrects_version = previous.version
    run.correction_reason = reason
    run.adjustments.extend(adjustment_lines(previous, run))
    run.changes_from_previous.extend(changed_amounts(previous, run))
    by_enterprise = {s.enterprise_id: s for s in statements}
    out = []
    for line in run.adjustments:
        statement = by_enterprise.get(line.enterprise_id) or pb.Statement(
            enterprise_id=line.enterprise_id, market_day=run.market_day
        )
        statement.adjustment.CopyFrom(line)
        statement.correction_reason = reason
        out.append(statement)
    return out
