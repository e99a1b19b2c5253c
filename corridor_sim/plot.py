"""Plots of results. Each function takes ``ax=None`` and returns the matplotlib ``Axes``;
matplotlib is imported only when a plot is drawn, and nothing calls ``plt.show()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .results import Results

__all__ = ["lead_times", "save_run_plots", "throughput"]

# Okabe–Ito, a colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000")


def _axes(ax: Axes | None, figsize: tuple[float, float] = (9, 4.5)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg",) and not _interactive():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _interactive() -> bool:
    import sys

    return "ipykernel" in sys.modules or hasattr(sys, "ps1")


def throughput(results: Results, *, freq: str = "D", ax: Axes | None = None) -> Axes:
    """Units passing each facility node per period over the run.

    Parameters
    ----------
    results : Results
    freq : str, default "D"
        Period of aggregation (pandas alias).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    table = results.throughput(freq)
    for i, col in enumerate(table.columns):
        ax.plot(table.index, table[col], label=col, color=PALETTE[i % len(PALETTE)], lw=1.2)
    warm = table.index[0] + _hours(results.scenario.warmup_hours)
    ax.axvspan(table.index[0], warm, color="0.9", label="warm-up")
    unit = "units"
    ax.set_ylabel(f"{unit} per {_freq_label(freq)} (mean of {results.replications} reps)")
    ax.set_title(f"Throughput — {results.scenario.name}")
    ax.legend(loc="upper left", fontsize="small", ncols=2)
    return ax


def lead_times(results: Results, *, ax: Axes | None = None) -> Axes:
    """Distribution of door-to-door lead times of delivered shipments, per commodity.

    Parameters
    ----------
    results : Results
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    sh = results.shipments
    sh = sh[(sh["status"] == "delivered")
            & (sh["created_hours"] >= results.scenario.warmup_hours)]
    groups = [(str(c), g["lead_time_hours"].to_numpy()) for c, g in
              sh.groupby("commodity", observed=True)]
    if groups:
        parts = ax.boxplot([g for _, g in groups], vert=False, showfliers=False,
                           patch_artist=True, tick_labels=[c for c, _ in groups])
        for i, box in enumerate(parts["boxes"]):
            box.set_facecolor(PALETTE[i % len(PALETTE)])
            box.set_alpha(0.6)
    ax.set_xlabel("lead time [h] (box: quartiles; whiskers: 1.5 IQR)")
    ax.set_title(f"Lead times after warm-up — {results.scenario.name}")
    return ax


def save_run_plots(results: Results, folder: str | Path) -> None:
    """Write ``throughput.png`` and ``lead_times.png`` of a run into ``folder``."""
    import matplotlib.pyplot as plt

    for name, draw in (("throughput", throughput), ("lead_times", lead_times)):
        ax = draw(results)
        ax.figure.savefig(Path(folder) / f"{name}.png", dpi=110)
        plt.close(ax.figure)


def _hours(h: float):
    import pandas as pd

    return pd.Timedelta(hours=h)


def _freq_label(freq: str) -> str:
    return {"h": "hour", "D": "day", "W": "week", "MS": "month", "ME": "month"}.get(freq, freq)
