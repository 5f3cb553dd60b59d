"""An enterprise's statement shows its own lines, and its amounts add up to what it is paid."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from settlement.exceptions import MissingData
from settlement.performance import MeteredInterval
from settlement.program import DEFAULT_PROGRAM
from settlement.rules import IntervalAward, settle_day
from settlement.statement import STATEMENT_COLUMNS, statement_frame, statement_totals, to_csv

DAY = date(2025, 7, 15)


@pytest.fixture()
def day():
    rows = [
        MeteredInterval("steelworks", "furnace-2", 76, 900.0, 700.0, 200.0),
        MeteredInterval("steelworks", "furnace-1", 76, 1_000.0, 900.0, 100.0),
        MeteredInterval("steelworks", "furnace-1", 75, 1_000.0, 990.0, 0.0),  # not awarded
        MeteredInterval("glassworks", "kiln-1", 76, 600.0, 500.0, 100.0, estimated=True),
    ]
    return settle_day(DAY, rows, {76: IntervalAward(76, 400.0, 412_345)}, DEFAULT_PROGRAM)


def test_statement_lists_only_the_enterprises_own_lines_in_order(day):
    frame = statement_frame(day, "steelworks")
    assert list(frame.columns) == STATEMENT_COLUMNS
    assert list(zip(frame["asset_id"], frame["interval"], strict=True)) == [
        ("furnace-1", 75),
        ("furnace-1", 76),
        ("furnace-2", 76),
    ]
    assert list(frame["delivered_kwh"]) == [0.0, 25.0, 50.0]
    assert frame["amount_fen"].sum() == day.enterprise("steelworks").amount_fen
    assert pd.isna(frame.loc[0, "clearing_price_fen_per_mwh"])
    assert frame.loc[1, "clearing_price_fen_per_mwh"] == 412_345


def test_statement_flags_estimated_lines_that_were_not_paid(day):
    frame = statement_frame(day, "glassworks")
    assert frame.loc[0, "estimated"] and frame.loc[0, "excluded_estimated"]
    assert frame.loc[0, "delivered_kwh"] == 0.0
    assert statement_totals(day, "glassworks")["includes_estimated"] is True


def test_totals_match_the_settlement(day):
    totals = statement_totals(day, "steelworks")
    assert totals["delivered_kwh"] == 75.0
    assert totals["amount_fen"] == day.enterprise("steelworks").amount_fen
    assert totals["market_day"] == "2025-07-15"


def test_unknown_enterprise_has_no_statement(day):
    with pytest.raises(MissingData):
        statement_frame(day, "bakery")


def test_csv_reads_back_with_the_same_figures(day, tmp_path):
    frame = statement_frame(day, "steelworks")
    path = to_csv(frame, tmp_path / "steelworks-2025-07-15.csv")
    back = pd.read_csv(path)
    assert list(back.columns) == STATEMENT_COLUMNS
    assert back["amount_fen"].tolist() == frame["amount_fen"].tolist()
    assert back["delivered_kwh"].tolist() == frame["delivered_kwh"].tolist()
    assert path.read_text(encoding="utf-8").splitlines()[1].startswith("furnace-1,75,")
