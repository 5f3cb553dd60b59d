"""Convert a SMARD.de wholesale price download to the backtest's timestamped price format.

SMARD (Bundesnetzagentur | SMARD.de, CC BY 4.0) exports "Großhandelspreise" as CSV with
`;`, decimal commas, `-` for missing values and local German time without an offset
(`Datum von` = DD.MM.YYYY HH:MM, the repeated hour of a clock change listed twice). This
keeps one column (default `Deutschland/Luxemburg [€/MWh] Originalauflösungen`) and one
year and writes `timestamp,price_eur_per_mwh` with ISO 8601 timestamps carrying the
Europe/Berlin offset; a repeated hour gets +02:00 first, then +01:00. Values are copied
as written (comma turned into a point); missing values stay empty.

    python -m loadtests.convert_smard_prices SMARD.csv 2024 loadtests/data/de_lu_day_ahead_2024.csv
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
DE_LU = "Deutschland/Luxemburg [€/MWh] Originalauflösungen"


def convert(rows: list[list[str]], year: int, column: str = DE_LU) -> list[str]:
    """`timestamp,price_eur_per_mwh` lines of `year` from SMARD rows (header first)."""
    at = rows[0].index(column)
    out = ["timestamp,price_eur_per_mwh"]
    previous: datetime | None = None
    for row in rows[1:]:
        if not row or not row[0].strip():
            continue
        local = datetime.strptime(row[0].strip(), "%d.%m.%Y %H:%M")
        start = local.replace(tzinfo=BERLIN, fold=1 if previous == local else 0)
        previous = local
        if start.year != year:
            continue
        value = row[at].strip()
        out.append(f"{start.isoformat()},{'' if value == '-' else value.replace(',', '.')}")
    return out


def main(argv: list[str]) -> int:
    source, year, target = Path(argv[0]), int(argv[1]), Path(argv[2])
    with source.open(encoding="utf-8-sig", newline="") as lines:
        rows = list(csv.reader(lines, delimiter=";"))
    target.write_text("\n".join(convert(rows, year)) + "\n")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
