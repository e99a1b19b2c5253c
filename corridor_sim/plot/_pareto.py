"""Plots of a capacity-planning search: the Pareto front and the trace of evaluated designs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import PALETTE, axes, plain, with_unit

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..optimise import Optimisation

__all__ = ["optimisation_trace", "pareto"]

_STYLE = {"feasible": (PALETTE[2], "o"), "infeasible": (PALETTE[3], "x"),
          "undecided": (PALETTE[1], "s"), "not checked": ("#999999", ".")}


def pareto(opt: Optimisation, x: str | None = None, y: str | None = None, *,
           ax: Axes | None = None) -> Axes:
    """Every design run, by two KPIs, with the feasible Pareto front joined by a line.

    Parameters
    ----------
    opt : Optimisation
        A search (:func:`corridor_sim.optimise`).
    x, y : str, optional
        KPIs on the axes (means over replications); default the two objectives, or the
        objective and the first constraint's KPI.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    t = opt.trace[opt.trace["replications"] > 0]
    names = [o.kpi for o in opt.spec.objectives] + [
        c for c in opt.trace.columns if any(c.startswith(k.kpi) for k in opt.spec.constraints)]
    x = x or names[0]
    y = y or (names[1] if len(names) > 1 else names[0])
    frame = opt.trace
    if x not in frame.columns or y not in frame.columns:  # a KPI of the runs, not traced
        means = {d: {k: float(np.nanmean(opt.kpis(d)[k])) for k in (x, y)
                     if k in opt.kpis(d)} for d in t.index}
        frame = t.assign(**{k: [means[d].get(k, np.nan) for d in t.index] for k in (x, y)})
    frame = frame.loc[t.index]
    ax = axes(ax, figsize=(8, 5))
    for decision, (colour, marker) in _STYLE.items():
        sel = frame[frame["decision"] == decision]
        if len(sel):
            ax.scatter(sel[x], sel[y], c=colour, marker=marker, label=decision, zorder=3)
    if opt.pareto is not None and len(opt.pareto) and x in opt.pareto and y in opt.pareto:
        front = opt.pareto.sort_values(x)
        ax.plot(front[x], front[y], "-", color=PALETTE[0], lw=1.5, label="Pareto front",
                zorder=2)
    if opt.chosen is not None and opt.chosen in frame.index:
        c = frame.loc[opt.chosen]
        ax.scatter([c[x]], [c[y]], s=180, facecolors="none", edgecolors=PALETTE[7],
                   linewidths=1.5, label="chosen", zorder=4)
    for c in opt.spec.constraints:
        label = c.kpi if c.quantile is None else f"{c.kpi} [share over {c.bound:g} h]"
        bound = c.bound if c.quantile is None else 1 - c.quantile[2] / 100
        if label == y:
            ax.axhline(bound, color="#666666", ls="--", lw=1, label="constraint")
        if label == x:
            ax.axvline(bound, color="#666666", ls="--", lw=1, label="constraint")
    ax.set_xlabel(plain(with_unit(x)))
    ax.set_ylabel(plain(with_unit(y)))
    ax.set_title(plain(f"{opt.spec.name}: designs run"))
    ax.legend(fontsize="small")
    return ax


def optimisation_trace(opt: Optimisation, *, ax: Axes | None = None) -> Axes:
    """The designs in the order they were first run: objective and feasibility decision.

    Parameters
    ----------
    opt : Optimisation
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Objective mean by step, marked by decision; the chosen design circled.
    """
    t = opt.trace[opt.trace["step"].notna()].sort_values("step")
    kpi = opt.spec.objectives[0].kpi
    ax = axes(ax, figsize=(8, 4.5))
    for decision, (colour, marker) in _STYLE.items():
        sel = t[t["decision"] == decision]
        if len(sel):
            ax.scatter(sel["step"], sel[kpi], c=colour, marker=marker, label=decision, zorder=3)
    ax.plot(t["step"], t[kpi], color="#cccccc", lw=0.8, zorder=1)
    if opt.chosen is not None and opt.chosen in t.index:
        ax.scatter([t.loc[opt.chosen, "step"]], [t.loc[opt.chosen, kpi]], s=180,
                   facecolors="none", edgecolors=PALETTE[7], linewidths=1.5, label="chosen",
                   zorder=4)
    ax.set_xlabel("step (order in which designs were first run)")
    ax.set_ylabel(plain(with_unit(kpi)))
    ax.set_title(plain(f"{opt.spec.name}: {int((opt.trace['replications'] > 0).sum())} "
                       f"designs, {int(opt.trace['replications'].sum())} replications"))
    ax.legend(fontsize="small")
    return ax
