"""Write loadtests/data/dr_prices_sample.csv: the 28-day sample DR price history.

Deterministic (`bidding.price_history.sample_price_history` with its defaults); the same
history `parkvpp backtest --sample` uses. Run from the repository root:
`python -m loadtests.make_dr_prices [PATH]`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bidding.price_history import price_csv_text, sample_price_history

SAMPLE_PATH = Path(__file__).parent / "data" / "dr_prices_sample.csv"


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else SAMPLE_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(price_csv_text(sample_price_history()))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
