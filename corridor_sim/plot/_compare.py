"""Forest plot of the paired differences of a comparison, one panel per KPI family."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from ._base import axes, colour, kpi_unit, plain

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..comparison import Comparison

__all__ = ["DEFAULT_KPIS", "FAMILIES", "compare", "forest_kpis", "kpi_family",
           "throughput_differs"]

DEFAULT_KPIS = ("*.lead_time_hours.mean", "*.wait_hours.mean", "*.queue_length.mean",
                "*.utilisation", "*.throughput_per_day", "spoiled_share")
"""KPI patterns shown by :func:`compare` unless told otherwise.

Per-direction (``NODE.from[…]``), space and crossing KPIs are left out of the default; name
them to see them. Throughput rows appear only where :func:`throughput_differs` says so.
"""

FAMILIES: tuple[tuple[str, str], ...] = (
    ("lead_time_hours", "lead time"),
    ("wait_hours", "wait"),
    ("hours", "time"),
    ("queue_length", "queue"),
    ("queue_km", "queue on the road"),
    ("utilisation", "utilisation"),
    ("fill_rate", "fill rate"),
    ("throughput_per_day", "throughput"),
    ("tonnes_per_day", "throughput"),
    ("vehicles_per_day", "vehicles"),
    ("spoiled_share", "spoilage"),
)
"""KPI measure → family name, in the order the panels are drawn."""


def kpi_family(kpi: str) -> str:
    """The family of a KPI (``"lead time"``, ``"wait"``, …), from its measure.

    Parameters
    ----------
    kpi : str
        A dotted KPI name.

    Returns
    -------
    str
        One of the names in :data:`FAMILIES`, else the KPI's last part that is not a
        statistic (``mean``, ``p95``, …).

    Examples
    --------
    >>> kpi_family("almaty>urumqi:general.lead_time_hours.mean")
    'lead time'
    >>> kpi_family("khorgos_road.wait_hours.p95")
    'wait'
    """
    parts = [p for p in kpi.split(".") if p not in ("mean", "p50", "p95", "max", "min")]
    measure = parts[-1] if parts else kpi
    for key, name in FAMILIES:
        if measure == key or measure.endswith("_" + key):
            return name
    return measure


def _entity(kpi: str) -> str:
    """The node or flow a KPI is about: the name before its measure."""
    return kpi.split(".")[0] if "." in kpi else ""


def throughput_differs(comparison: Comparison, *, confidence: float = 0.95,
                       paired: bool = True, min_share: float = 0.01,
                       large_share: float = 0.10) -> bool:
    """Whether any node's throughput differs materially between the scenarios.

    With fixed demand and no node saturated, every scenario carries the same throughput and
    a throughput plot shows identical bars: the saved plots leave it out then, and the report
    should too. A difference counts when it is at least ``min_share`` of the reference's mean
    and significant (its interval excludes 0), or at least ``large_share`` of it even when too
    few replications make it significant (a saturated node). Tiny significant differences,
    such as a few shipments still on the road at the end of the run, do not count.

    Parameters
    ----------
    comparison : Comparison
    confidence : float, default 0.95
    paired : bool, default True
    min_share : float, default 0.01
        Smallest difference that counts, as a share of the reference's mean.
    large_share : float, default 0.10
        A difference this large counts without being significant.

    Returns
    -------
    bool
        True when some ``NODE.throughput_per_day`` differs as above, or a node has
        throughput in some scenarios only.
    """
    names = [k for k in comparison.kpi_names if k.endswith(".throughput_per_day")]
    if not names:
        return False
    table = comparison.differences(names, confidence=confidence, paired=paired)
    if table["mean"].isna().any():
        return True
    ref = comparison.table(names).xs(comparison.reference, level="scenario")["mean"]
    base = ref.reindex(table.index.get_level_values("kpi")).abs().to_numpy()
    size = table["diff"].abs().to_numpy()
    material = size >= min_share * base
    large = size >= large_share * base
    hit = (material & table["significant"].to_numpy()) | (large & (size > 0))
    return bool(hit.any())


def forest_kpis(comparison: Comparison, kpis: str | Iterable[str] | None = None) -> list[str]:
    """Choose the forest plot's KPIs: the given names/patterns, else the default ones.

    The default is :data:`DEFAULT_KPIS` without per-direction, space and crossing KPIs, and
    without throughput unless :func:`throughput_differs`.
    """
    if kpis is not None:
        return comparison.select(kpis)
    every = comparison.kpi_names
    wanted = [p for p in DEFAULT_KPIS if comparison_has(every, p)]
    if not throughput_differs(comparison):
        wanted = [p for p in wanted if "throughput" not in p]
    chosen = comparison.select(wanted) if wanted else every
    return [k for k in chosen if not re.search(r"\.from\[|space\[|crossing\[", k)] or chosen


def comparison_has(names: list[str], pattern: str) -> bool:
    """Whether a name or shell pattern matches one of ``names``."""
    return bool(fnmatch.filter(names, pattern)) if "*" in pattern else pattern in names


def compare(comparison: Comparison, kpis: str | Iterable[str] | None = None, *,
            relative: bool = False, paired: bool = True, confidence: float = 0.95,
            hide_zero: bool = True, ax: Axes | None = None) -> Axes:
    """Forest plot: each KPI's difference from the reference scenario with its CI.

    One panel per KPI family (lead time, wait, queue, utilisation, …), each on its own axis
    in the family's unit, so that a 0.4 h change in wait reads as 0.4 h. Within a panel, the
    KPIs of the flows and nodes the proposals change come first, above a dotted line; which
    those are is decided from the settings and routes (:func:`corridor_sim.changes.what_changed`),
    not from the results. One marker per compared scenario; a filled marker is a significant
    difference (its interval excludes 0), a hollow one is not.

    Parameters
    ----------
    comparison : Comparison
    kpis : str or iterable of str, optional
        KPI names or patterns; default :data:`DEFAULT_KPIS` (see :func:`forest_kpis`).
    relative : bool, default False
        Differences as % of the reference's mean instead of native units (KPIs whose
        reference mean is 0 are then left out).
    paired : bool, default True
        Paired intervals (common random numbers); ``False``: Welch intervals, as if the
        scenarios had been run independently.
    confidence : float, default 0.95
    hide_zero : bool, default True
        Leave out KPIs whose every difference is exactly 0 with a zero-width interval
        (nothing the proposals touch); the panel's title says how many.
    ax : matplotlib.axes.Axes, optional
        Where to draw; with several families, its area is split into one panel each.

    Returns
    -------
    matplotlib.axes.Axes
        The top panel; every panel is in ``ax.figure.axes`` with the ``gid``
        ``"family:<name>"``.
    """
    from matplotlib.lines import Line2D

    from ..changes import what_changed

    own_figure = ax is None
    chosen = forest_kpis(comparison, kpis)
    table = comparison.table(chosen, confidence=confidence, paired=paired)
    others = [n for n in comparison.names if n != comparison.reference]
    changes = what_changed(comparison)
    changed = set(changes.flows) | set(changes.nodes)
    families: dict[str, list[tuple[str, dict, bool]]] = {}
    hidden: dict[str, int] = {}
    for kpi in chosen:
        fam = kpi_family(kpi)
        base = float(table.loc[(kpi, comparison.reference), "mean"])
        scale = 1.0
        if relative:
            scale = 100.0 / abs(base) if np.isfinite(base) and base != 0 else np.nan
        vals = {}
        for name in others:
            r = table.loc[(kpi, name)]
            if np.isfinite(r["diff"] * scale):
                vals[name] = (r["diff"] * scale, r["diff_ci_low"] * scale,
                              r["diff_ci_high"] * scale, bool(r["significant"]))
        if not vals:
            continue
        if hide_zero and all(v[0] == 0 and v[1] == 0 and v[2] == 0 for v in vals.values()):
            hidden[fam] = hidden.get(fam, 0) + 1
            continue
        families.setdefault(fam, []).append((kpi, vals, _entity(kpi) in changed))
    order = [name for _, name in FAMILIES]
    fams = sorted(families, key=lambda f: (order.index(f) if f in order else len(order), f))
    for f in fams:  # stable: changed first, then in the order of the KPIs
        families[f].sort(key=lambda row: not row[2])
    heights = [len(families[f]) + 1.6 for f in fams] or [1.0]
    panels = _panels(ax, heights)
    top = panels[0]
    scenario_ref = comparison.results[comparison.reference].scenario
    k = len(others)
    step = 0.6 / max(1, k)
    for pax, fam in zip(panels, fams, strict=False):
        rows = families[fam]
        pax.set_gid(f"family:{fam}")
        for i, name in enumerate(others):
            for y, (_, vals, _) in enumerate(rows):
                if name not in vals:
                    continue
                d, lo, hi, sig = vals[name]
                pos = len(rows) - 1 - y + ((k - 1) / 2 - i) * step
                err = np.nan_to_num([[d - lo], [hi - d]])
                pax.errorbar([d], [pos], xerr=err, fmt="o", color=colour(i + 1), capsize=3,
                             markersize=6, markerfacecolor=colour(i + 1) if sig else "white",
                             markeredgewidth=1.5)
        pax.axvline(0.0, color="0.3", lw=1, zorder=0)
        n_changed = sum(r[2] for r in rows)
        if 0 < n_changed < len(rows):
            pax.axhline(len(rows) - n_changed - 0.5, color="0.5", ls=":", lw=1)
        labels = [("▸ " if hit else "") + plain(_row_label(kpi, fam)) for kpi, _, hit in rows]
        pax.set_yticks(range(len(rows) - 1, -1, -1), labels, fontsize="small")
        pax.set_ylim(-0.7, len(rows) - 0.3)
        unit = "%" if relative else (kpi_unit(rows[0][0], scenario_ref) or "KPI unit")
        title = f"{fam} [{unit}]"
        if hidden.get(fam):
            title += f" — {hidden[fam]} with no difference at all not shown"
        pax.set_title(title, fontsize="medium", loc="left")
        pax.grid(axis="x", color="0.9")
    if not fams:
        top.text(0.5, 0.5, "no KPI differs between the scenarios", ha="center",
                 transform=top.transAxes)
        top.set_yticks([])
    kind = "paired" if paired else "independent (Welch)"
    what = "% of the reference mean" if relative else "in each panel's unit"
    unseen = sum(n for f, n in hidden.items() if f not in families)
    note = f"; {unseen} more KPIs with no difference at all not shown" if unseen else ""
    panels[-1].set_xlabel(f"difference from {comparison.reference!r} ({what}; "
                          f"{confidence:.0%} CI, {kind})\n▸ flows and nodes the proposals "
                          f"change (from settings and routes, before the run){note}")
    if own_figure:
        top.figure.suptitle(f"Differences from {plain(comparison.reference)!r}")
    handles = [Line2D([], [], color=colour(i + 1), marker="o", ls="", label=plain(n))
               for i, n in enumerate(others)]
    handles += [Line2D([], [], color="0.3", marker="o", ls="", label="significant"),
                Line2D([], [], color="0.3", marker="o", ls="", markerfacecolor="white",
                       label="not significant")]
    if len(panels) > 1:
        top.legend(handles=handles, fontsize="small", loc="upper left",
                   bbox_to_anchor=(1.01, 1.0))
    else:
        top.legend(handles=handles, fontsize="small", loc="best")
    return top


def _row_label(kpi: str, family: str) -> str:
    """The KPI's name without its family's measure: ``almaty>urumqi:general (mean)``."""
    parts = kpi.split(".")
    stat = parts[-1] if parts[-1] in ("mean", "p50", "p95", "max", "min") else ""
    body = [p for p in parts if p not in ("mean", "p50", "p95", "max", "min")]
    if len(body) > 1 and kpi_family(body[-1]) == family:
        body = body[:-1]
    text = ".".join(body) or kpi
    return f"{text} ({stat})" if stat and stat != "mean" else text


def _panels(ax: Axes | None, heights: list[float]) -> list[Axes]:
    """One axes per family: a new figure, or ``ax``'s area split in rows (``ax`` on top)."""
    if ax is None:
        total = sum(heights)
        ax = axes(None, figsize=(10, min(max(3.0, 0.32 * total + 1.6), 40.0)))
    if len(heights) == 1:
        return [ax]
    spec = ax.get_subplotspec()
    if spec is None:  # an axes placed by hand: split its box
        box = ax.get_position()
        tops = box.y1 - box.height * np.cumsum([0.0, *heights]) / sum(heights)
        out = []
        for i in range(len(heights)):
            rect = (box.x0, tops[i + 1] + 0.04 * box.height, box.width,
                    tops[i] - tops[i + 1] - 0.04 * box.height)
            if i == 0:
                ax.set_position(rect)
                out.append(ax)
            else:
                out.append(ax.figure.add_axes(rect))
        return out
    grid = spec.subgridspec(len(heights), 1, height_ratios=heights, hspace=0.05)
    ax.set_subplotspec(grid[0])
    return [ax] + [ax.figure.add_subplot(grid[i]) for i in range(1, len(heights))]
