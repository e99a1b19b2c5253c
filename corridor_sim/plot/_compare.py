"""Forest plot of the paired differences of a comparison."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from ._base import axes, colour, kpi_unit

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..comparison import Comparison

__all__ = ["DEFAULT_KPIS", "compare", "forest_kpis"]

DEFAULT_KPIS = ("lead_time_hours.mean", "lead_time_hours.p95", "*.wait_hours.mean",
                "*.queue_length.mean", "*.utilisation", "*.throughput_per_day",
                "spoiled_share")
"""KPI patterns shown by :func:`compare` unless told otherwise."""


def forest_kpis(comparison: Comparison, kpis: str | Iterable[str] | None = None) -> list[str]:
    """Choose the forest plot's KPIs: the given names/patterns, else the default ones."""
    if kpis is not None:
        return comparison.select(kpis)
    every = comparison.kpi_names
    wanted = [p for p in DEFAULT_KPIS if comparison_has(every, p)]
    return comparison.select(wanted) if wanted else every


def comparison_has(names: list[str], pattern: str) -> bool:
    """Whether a name or shell pattern matches one of ``names``."""
    import fnmatch

    return bool(fnmatch.filter(names, pattern)) if "*" in pattern else pattern in names


def compare(comparison: Comparison, kpis: str | Iterable[str] | None = None, *,
            relative: bool = True, paired: bool = True, confidence: float = 0.95,
            ax: Axes | None = None) -> Axes:
    """Forest plot: each KPI's difference from the reference scenario with its CI.

    One row per KPI, one marker per compared scenario; a filled marker is a significant
    difference (its interval excludes 0), a hollow one is not.

    Parameters
    ----------
    comparison : Comparison
    kpis : str or iterable of str, optional
        KPI names or patterns; default :data:`DEFAULT_KPIS` (those that exist).
    relative : bool, default True
        Differences as % of the reference's mean, so that KPIs of different units share one
        axis (the interval is scaled by the same reference mean); ``False`` plots them in
        their own units (shown in the row labels). KPIs whose reference mean is 0 are left
        out when relative.
    paired : bool, default True
        Paired intervals (common random numbers); ``False``: Welch intervals, as if the
        scenarios had been run independently.
    confidence : float, default 0.95
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.lines import Line2D

    chosen = forest_kpis(comparison, kpis)
    table = comparison.differences(chosen, confidence=confidence, paired=paired)
    ref_means = comparison.table(chosen, confidence=confidence).xs(
        comparison.reference, level="scenario")["mean"]
    others = [n for n in comparison.names if n != comparison.reference]
    rows = []
    for kpi in chosen:
        base = float(ref_means.get(kpi, np.nan))
        scale = 100.0 / abs(base) if relative and np.isfinite(base) and base != 0 else (
            np.nan if relative else 1.0)
        vals = {}
        for name in others:
            r = table.loc[(kpi, name)]
            if np.isfinite(r["diff"] * scale):
                vals[name] = (r["diff"] * scale, r["diff_ci_low"] * scale,
                              r["diff_ci_high"] * scale, bool(r["significant"]))
        if vals:
            rows.append((kpi, vals))
    ax = axes(ax, figsize=(9, max(2.5, 0.45 * len(rows) * max(1, len(others)) ** 0.5 + 1.2)))
    k = len(others)
    step = 0.6 / max(1, k)
    scenario_ref = comparison.results[comparison.reference].scenario
    for i, name in enumerate(others):
        for y, (_, vals) in enumerate(rows):
            if name not in vals:
                continue
            d, lo, hi, sig = vals[name]
            pos = len(rows) - 1 - y + ((k - 1) / 2 - i) * step
            err = np.nan_to_num([[d - lo], [hi - d]])
            ax.errorbar([d], [pos], xerr=err, fmt="o", color=colour(i + 1), capsize=3,
                        markersize=6, markerfacecolor=colour(i + 1) if sig else "white",
                        markeredgewidth=1.5)
    ax.axvline(0.0, color="0.3", lw=1, zorder=0)
    labels = [kpi if relative else f"{kpi} [{kpi_unit(kpi, scenario_ref)}]"
              for kpi, _ in rows]
    ax.set_yticks(range(len(rows) - 1, -1, -1), labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    unit = "% of the reference mean" if relative else "KPI unit"
    kind = "paired" if paired else "independent (Welch)"
    ax.set_xlabel(f"difference from the reference [{unit}]\n"
                  f"({confidence:.0%} CI, {kind}; reference: {comparison.reference})")
    ax.set_title(f"Differences from {comparison.reference!r}")
    handles = [Line2D([], [], color=colour(i + 1), marker="o", ls="", label=n)
               for i, n in enumerate(others)]
    handles += [Line2D([], [], color="0.3", marker="o", ls="", label="significant"),
                Line2D([], [], color="0.3", marker="o", ls="", markerfacecolor="white",
                       label="not significant")]
    ax.legend(handles=handles, fontsize="small", loc="best")
    ax.grid(axis="x", color="0.9")
    return ax
