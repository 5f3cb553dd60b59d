"""PNG charts for the CLI (matplotlib, Agg backend, no display): lines over days, step curves.

Each chart function takes plain data, writes one PNG and returns its path; `figure()` and
`save_png()` are the shared plumbing for adding more (e.g. settlement statement charts).
Prices on the wire are fen/MWh; charts show CNY/MWh (`YUAN_PER_FEN`), every axis with
thousands separators.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
from matplotlib.dates import DateFormatter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from bidding.intervals import INTERVAL, MARKET_TZ  # noqa: E402

YUAN_PER_FEN = 0.01
DPI = 110
#: The one price unit of every chart and table of the CLI.
PRICE_UNIT = "CNY/MWh"
THOUSANDS = FuncFormatter(lambda value, _: f"{value:,.0f}")
#: Marker shapes in turn, so points at the same place stay distinguishable.
_MARKER_SHAPES = ("X", "o", "s", "^", "D")


def figure(width_in: float = 9.0, height_in: float = 5.0) -> tuple[Figure, plt.Axes]:
    """A new figure with one set of axes and a light grid."""
    fig, ax = plt.subplots(figsize=(width_in, height_in))
    ax.grid(True, alpha=0.3)
    ax.yaxis.set_major_formatter(THOUSANDS)
    return fig, ax


def save_png(fig: Figure, path: str | Path) -> Path:
    """Write `fig` as PNG to `path` (folders made as needed), close it, return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, format="png", dpi=DPI)
    plt.close(fig)
    return out


def line_chart(
    path: str | Path,
    title: str,
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    y_label: str,
) -> Path:
    """One line per series over categorical x labels (e.g. days), with a legend."""
    fig, ax = figure()
    positions = range(len(x_labels))
    for name, values in series.items():
        ax.plot(positions, list(values), marker="o", markersize=3, label=name)
    step = max(1, len(x_labels) // 12)
    ax.set_xticks(list(positions)[::step], list(x_labels)[::step], rotation=45, ha="right")
    ax.set_title(title)
    ax.set_ylabel(y_label)
    ax.legend()
    return save_png(fig, path)


@dataclass(frozen=True)
class StepCurve:
    """Blocks of (price fen/MWh, kW); a sell curve rises with price, a buy curve falls."""

    label: str
    blocks: Sequence[tuple[int, float]]
    side: str = "sell"


@dataclass(frozen=True)
class Marker:
    """A labelled point: kW and price in fen/MWh."""

    label: str
    kw: float
    price_fen_per_mwh: int


def step_points(curve: StepCurve) -> tuple[list[float], list[float]]:
    """Cumulative kW (x) and price in CNY/MWh (y) tracing the curve's steps.

    Sell blocks are stacked cheapest first, buy blocks dearest first; each block is a
    horizontal run at its price, joined by vertical risers.
    """
    blocks = sorted(curve.blocks, key=lambda b: b[0], reverse=curve.side == "buy")
    xs: list[float] = []
    ys: list[float] = []
    cumulative = 0.0
    for price, kw in blocks:
        if kw <= 0:
            continue
        xs += [cumulative, cumulative + kw]
        ys += [price * YUAN_PER_FEN, price * YUAN_PER_FEN]
        cumulative += kw
    return xs, ys


def step_curves_chart(
    path: str | Path,
    title: str,
    curves: Sequence[StepCurve],
    markers: Sequence[Marker] = (),
    note: str = "",
) -> Path:
    """Price-quantity step curves (x: cumulative kW, y: CNY/MWh) and marked points."""
    fig, ax = figure()
    for curve in curves:
        xs, ys = step_points(curve)
        if xs:
            ax.plot(xs, ys, linewidth=2, label=curve.label)
    for n, marker in enumerate(markers):
        ax.plot(
            [marker.kw],
            [marker.price_fen_per_mwh * YUAN_PER_FEN],
            _MARKER_SHAPES[n % len(_MARKER_SHAPES)],
            markersize=12 - 3 * (n % 2),
            label=marker.label,
        )
    ax.xaxis.set_major_formatter(THOUSANDS)
    ax.set_xlabel("cumulative quantity (kW)")
    ax.set_ylabel(f"price ({PRICE_UNIT})")
    ax.set_title(title + (f"\n{note}" if note else ""), fontsize=11)
    if curves or markers:
        ax.legend(loc="best")
    ax.set_xlim(left=0)
    if ax.get_ylim()[0] > 0:
        ax.set_ylim(bottom=0)  # prices from zero, unless some are negative
    return save_png(fig, path)


def interval_steps_chart(
    path: str | Path,
    title: str,
    interval_starts: Sequence[datetime],
    series: Mapping[str, Sequence[float]],
    y_label: str = "kW",
    shaded: Sequence[datetime] = (),
    shaded_label: str = "",
) -> Path:
    """Per-interval values held over each interval (steps), one line per series, against
    the intervals' start times; e.g. a statement's baseline vs metered vs awarded kW.
    The intervals starting at `shaded` are shaded and named `shaded_label` in the legend."""
    fig, ax = figure(width_in=12.0, height_in=4.5)
    for name, values in series.items():
        ax.step(list(interval_starts), list(values), where="post", label=name)
    for n, start in enumerate(shaded):
        ax.axvspan(
            start,
            start + INTERVAL,
            color="tab:gray",
            alpha=0.25,
            linewidth=0,
            label=shaded_label if n == 0 else None,
        )
    ax.set_title(title)
    ax.set_xlabel("interval start (Asia/Shanghai)")
    ax.set_ylabel(y_label)
    ax.xaxis.set_major_formatter(DateFormatter("%m-%d %H:%M", tz=MARKET_TZ))
    ax.legend(loc="upper right")
    fig.autofmt_xdate()
    return save_png(fig, path)
