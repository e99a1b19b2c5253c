"""Throughput, lead-time and queue plots of one run or of a comparison."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from ._base import (
    as_results_map,
    axes,
    check_choice,
    ci_errors,
    colour,
    freq_label,
    node_label,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..comparison import Comparison
    from ..results import Results
    from ..scenario.schema import Scenario

__all__ = ["SERIES_COLOURS", "holiday_spans", "lead_times", "queue", "throughput",
           "throughput_nodes"]

_SUFFIX = ".throughput_per_day"
_LINESTYLES = ("-", "--", ":", "-.")


def _date_axis(ax: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def throughput_nodes(results: Results) -> list[str]:
    """List the nodes with a ``{node}.throughput_per_day`` KPI, in KPI order."""
    return [k[: -len(_SUFFIX)] for k in results.kpis.columns if k.endswith(_SUFFIX)]


def throughput(results: Results | Comparison, *,
               kind: Literal["auto", "bar", "series"] = "auto", freq: str = "D",
               nodes: list[str] | None = None, confidence: float = 0.95,
               ax: Axes | None = None) -> Axes:
    """Throughput per node: bars with CIs (comparisons) or the time series of a run.

    Parameters
    ----------
    results : Results or Comparison
        One run, or several scenarios to set side by side.
    kind : {"auto", "bar", "series"}, default "auto"
        ``"bar"``: the KPI ``{node}.throughput_per_day`` after warm-up, mean with its CI
        across replications, one group of bars per node and one bar per scenario.
        ``"series"``: units leaving each node per period over the whole run (warm-up
        shaded), mean over replications. ``"auto"`` is ``"series"`` for a Results and
        ``"bar"`` for a Comparison.
    freq : str, default "D"
        Period of the series (pandas alias).
    nodes : list of str, optional
        Nodes to show; default every node with throughput (plus ``delivered`` in series).
    confidence : float, default 0.95
        Level of the bars' intervals.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    runs = as_results_map(results)
    check_choice("kind", kind, ["auto", "bar", "series"])
    if kind == "auto":
        kind = "series" if len(runs) == 1 else "bar"
    ax = axes(ax)
    if kind == "bar":
        return _throughput_bars(runs, nodes, confidence, ax)
    return _throughput_series(runs, nodes, freq, ax)


def _throughput_bars(runs: dict[str, Results], nodes: list[str] | None, confidence: float,
                     ax: Axes) -> Axes:
    first = next(iter(runs.values()))
    every = list(dict.fromkeys(n for r in runs.values() for n in throughput_nodes(r)))
    if nodes is not None:
        for n in nodes:
            check_choice("node", n, every)
    shown = every if nodes is None else list(nodes)
    x = np.arange(len(shown), dtype=float)
    width = 0.8 / max(1, len(runs))
    top = 0.0
    for i, (name, res) in enumerate(runs.items()):
        summary = res.summary(confidence)
        keys = [f"{n}{_SUFFIX}" for n in shown]
        stats = summary.reindex(keys)
        mean = stats["mean"].to_numpy(float)
        ax.bar(x + (i - (len(runs) - 1) / 2) * width, np.nan_to_num(mean), width,
               yerr=ci_errors(mean, stats["ci_low"], stats["ci_high"]), capsize=3,
               color=colour(i), label=name, error_kw={"elinewidth": 1, "ecolor": "0.2"})
        top = max(top, float(np.nanmax(stats["ci_high"].fillna(stats["mean"]), initial=0.0)))
    # a node new in a proposal is labelled from the scenario that has it
    owner = {n: next((r.scenario for r in runs.values() if n in r.scenario.nodes),
                     first.scenario) for n in shown}
    ax.set_xticks(x, [node_label(owner[n], n) for n in shown],
                  rotation=20 if len(shown) > 4 else 0)
    reps = sorted({r.replications for r in runs.values()})
    ax.set_ylabel(f"throughput [TEU/day]\n(mean after warm-up, "
                  f"{confidence:.0%} CI, {'/'.join(map(str, reps))} reps)")
    ax.set_xlabel("node")
    title = "Throughput per node" + (f" — {first.scenario.name}" if len(runs) == 1 else "")
    ax.set_title(title)
    longest = max(len(n) for n in runs)
    ncols = max(1, min(len(runs), 4, 90 // max(longest, 1)))
    rows = -(-len(runs) // ncols)
    ax.set_ylim(0, top * (1.15 + 0.08 * rows) if top > 0 else 1.0)
    ax.legend(loc="upper center", fontsize="small", ncols=ncols,
              title="scenario" if len(runs) > 1 else None)
    return ax


# Paul Tol's "muted" scheme (colour-blind safe, distinct on screen and in print) and black:
# ten colours before a line style has to repeat one.
SERIES_COLOURS = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77",
                  "#CC6677", "#882255", "#AA4499", "#000000")
"""Colours of the lines of a run's time series, in order."""


def _series_style(j: int) -> tuple[str, str]:
    return (SERIES_COLOURS[j % len(SERIES_COLOURS)],
            _LINESTYLES[(j // len(SERIES_COLOURS)) % len(_LINESTYLES)])


def holiday_spans(scenario: Scenario) -> list[tuple[pd.Timestamp, pd.Timestamp, str, list[str]]]:
    """Holiday closures of the scenario's facilities within its run, merged across nodes.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    list of (start, end, label, nodes)
        UTC start and end of each closure (consecutive closed days of one holiday in one
        country), its label such as ``"Spring Festival (CN)"``, and the nodes it closes; in
        time order.
    """
    import datetime as dt
    from zoneinfo import ZoneInfo

    from ..holiday_closures import COUNTRY_ZONES

    start = pd.Timestamp(scenario.start_utc)
    end = start + pd.Timedelta(hours=scenario.horizon_hours)
    years = range(start.year - 1, end.year + 2)
    spans: dict[tuple, list[str]] = {}
    for name, node in scenario.nodes.items():
        cal_name = getattr(node, "calendar", None)
        if cal_name is None or cal_name not in scenario.calendars:
            continue
        for country, days in scenario.calendars[cal_name].holiday_closures(years).items():
            zone = ZoneInfo(COUNTRY_ZONES[country])
            run: list[tuple[dt.date, str]] = []
            for day, holiday in [*days.items(), (None, None)]:
                if run and (day is None or holiday != run[-1][1]
                            or day - run[-1][0] != dt.timedelta(days=1)):
                    a = pd.Timestamp(dt.datetime.combine(run[0][0], dt.time(), zone))
                    b = pd.Timestamp(dt.datetime.combine(run[-1][0] + dt.timedelta(days=1),
                                                         dt.time(), zone))
                    a, b = a.tz_convert("UTC"), b.tz_convert("UTC")
                    if b > start and a < end:
                        spans.setdefault((a, b, f"{run[0][1]} ({country})"), []).append(name)
                    run = []
                if day is not None:
                    run.append((day, holiday))
    return [(a, b, label, nodes) for (a, b, label), nodes in sorted(spans.items())]


def _throughput_series(runs: dict[str, Results], nodes: list[str] | None, freq: str,
                       ax: Axes) -> Axes:
    first = next(iter(runs.values()))
    multi = len(runs) > 1
    sc = first.scenario
    air = [n for n, node in sc.nodes.items() if node.kind == "airport"]
    twin = None
    handles: list = []
    for i, (name, res) in enumerate(runs.items()):
        table = res.throughput(freq)
        cols = list(table.columns)
        if nodes is not None:
            for n in nodes:
                check_choice("node", n, cols)
            cols = list(nodes)
        by_air = [c for c in cols if c in air]
        cols = [c for c in cols if c not in air]
        for j, col in enumerate(cols):
            label = f"{name}: {col}" if multi else node_label(res.scenario, col)
            # colour by scenario and style by node, or (one run) a colour of its own per node
            color, style = ((colour(i), _LINESTYLES[j % len(_LINESTYLES)]) if multi
                            else _series_style(j))
            handles += ax.plot(table.index, table[col], label=label, lw=1.2, color=color,
                               linestyle=style)
        if by_air:
            tonnes = res.throughput(freq, unit="tonne")
            if twin is None:
                twin = ax.twinx()
                twin.set_gid("air-tonnes")
            for j, col in enumerate(by_air, start=len(cols)):
                label = (f"{name}: {col}" if multi else node_label(res.scenario, col)) + " [t]"
                color, _ = (colour(i), "") if multi else _series_style(j)
                handles += twin.plot(tonnes.index, tonnes[col], label=label, lw=1.2,
                                     color=color, linestyle=(0, (4, 1, 1, 1)))
    table = first.throughput(freq)
    if len(table.index):
        warm = table.index[0] + pd.Timedelta(hours=sc.warmup_hours)
        handles.append(ax.axvspan(table.index[0], warm, color="0.9", label="warm-up"))
        _mark_holidays(ax, sc, table.index, handles)
    reps = sorted({r.replications for r in runs.values()})
    ax.set_ylabel(f"throughput [TEU per {freq_label(freq)}]\n"
                  f"(mean of {'/'.join(map(str, reps))} reps)")
    if twin is not None:
        twin.set_ylabel(f"air cargo [t per {freq_label(freq)}]")
        twin.set_ylim(bottom=0)
    ax.set_xlabel("date (UTC)")
    _date_axis(ax)
    ax.set_title("Throughput" + ("" if multi else f" — {sc.name}"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.08 if twin else 1.01, 1.0),
              fontsize="small")
    return ax


def _mark_holidays(ax: Axes, sc: Scenario, index: pd.DatetimeIndex, handles: list) -> None:
    """Shade each holiday closure and write its name at the top of the plot."""
    spans = holiday_spans(sc)
    if not spans:
        return
    tz = index.tz
    shown = False
    for a, b, label, nodes in spans:
        a, b = (a, b) if tz is not None else (a.tz_localize(None), b.tz_localize(None))
        patch = ax.axvspan(a, b, color="#CC6677", alpha=0.15, lw=0, zorder=0,
                           label="holiday closure" if not shown else None)
        patch.set_gid(f"holiday:{label}")
        if not shown:
            handles.append(patch)
            shown = True
        names = [node_label(sc, n) for n in nodes]
        closed = ", ".join(names) if len(names) <= 3 else f"{len(names)} nodes"
        ax.annotate(f"{label}: {closed} closed",
                    (a + (b - a) / 2, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(0, -3), textcoords="offset points", rotation=90, ha="center",
                    va="top", fontsize="x-small", color="#882255")


def lead_times(results: Results | Comparison, *, ax: Axes | None = None) -> Axes:
    """Distribution of door-to-door lead times of delivered shipments, per commodity.

    Shipments created after the warm-up, pooled over replications; a comparison shows one box
    per scenario within each commodity.

    Parameters
    ----------
    results : Results or Comparison
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.patches import Patch

    runs = as_results_map(results)
    ax = axes(ax)
    per_run = {name: res.lead_time_stats() for name, res in runs.items()}
    order = list(dict.fromkeys(c for r in runs.values() for c in r.scenario.commodities))
    found = {c for groups in per_run.values() for c in groups}
    commodities = [c for c in order if c in found]
    k = len(runs)
    width = 0.8 / k
    for i, groups in enumerate(per_run.values()):
        present = [(j, groups[c]) for j, c in enumerate(commodities) if c in groups]
        if not present:
            continue
        pos = [j + (i - (k - 1) / 2) * width for j, _ in present]
        parts = ax.bxp([g for _, g in present], positions=pos, widths=width * 0.9,
                       showfliers=False, patch_artist=True, manage_ticks=False,
                       **_horizontal())
        for box in parts["boxes"]:
            box.set_facecolor(colour(i if k > 1 else 0))
            box.set_alpha(0.7)
        for med in parts["medians"]:
            med.set_color("black")
    ax.set_yticks(range(len(commodities)), commodities)
    ax.set_ylim(-0.6, len(commodities) - 0.4)
    ax.set_ylabel("commodity")
    ax.set_xlabel("lead time [h] (box: quartiles; whiskers: 1.5 IQR)")
    only = next(iter(runs))
    ax.set_title("Lead times after warm-up" + ("" if k > 1 else f" — {only}"))
    if k > 1:
        ax.legend(handles=[Patch(facecolor=colour(i), alpha=0.7, label=n)
                           for i, n in enumerate(runs)], fontsize="small", title="scenario")
    return ax


def _horizontal() -> dict:
    import matplotlib

    major, minor = (int(p) for p in matplotlib.__version__.split(".")[:2])
    return {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}


def _bin_hours(horizon_hours: float) -> float:
    if horizon_hours <= 14 * 24:
        return 1.0
    if horizon_hours <= 90 * 24:
        return 6.0
    return 24.0


def queue_series(results: Results, node: str, bin_hours: float | None = None,
                 confidence: float = 0.95) -> pd.DataFrame:
    """Compute the mean number waiting at a node per time bin, with a CI over replications.

    Parameters
    ----------
    results : Results
    node : str
        A facility node.
    bin_hours : float, optional
        Bin length [h], a multiple of the stored bins (:attr:`Results.bin_hours`: 1 h for
        runs up to 120 days, else 24 h); default 1 h up to 14 days, 6 h up to 90 days, else
        24 h.
    confidence : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        Indexed by bin start (UTC), columns ``mean``, ``ci_low``, ``ci_high`` [shipments].
    """
    from scipy import stats as st

    check_choice("node", node, sorted(n for n in results.scenario.nodes
                                      if f"{n}.wait_hours.mean" in results.kpis.columns))
    step = bin_hours or max(_bin_hours(results.scenario.horizon_hours), results.bin_hours)
    index, arr = results.queue_bins(node, step)
    n = arr.shape[0]
    mean = arr.mean(axis=0)
    if n > 1:
        half = st.t.ppf(0.5 + confidence / 2, n - 1) * arr.std(axis=0, ddof=1) / np.sqrt(n)
    else:
        half = np.full_like(mean, np.nan)
    out = pd.DataFrame({"mean": mean, "ci_low": mean - half, "ci_high": mean + half},
                       index=index)
    out.index.name = "time"
    return out


def queue(results: Results | Comparison, node: str, *, bin_hours: float | None = None,
          confidence: float = 0.95, ax: Axes | None = None) -> Axes:
    """Queue length at a node over time: mean over replications with its CI band.

    Parameters
    ----------
    results : Results or Comparison
        One run, or several scenarios (one line each).
    node : str
        A facility node (checkpoint, terminal, dry port, airport).
    bin_hours : float, optional
        Time-average over bins of this length [h] (see :func:`queue_series`).
    confidence : float, default 0.95
        Level of the band.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    runs = as_results_map(results)
    ax = axes(ax)
    first = next(iter(runs.values()))
    for i, (name, res) in enumerate(runs.items()):
        q = queue_series(res, node, bin_hours, confidence)
        ax.plot(q.index, q["mean"], drawstyle="steps-post", color=colour(i), lw=1.2,
                label=f"{name} (mean of {res.replications} reps)")
        if res.replications > 1:
            ax.fill_between(q.index, q["ci_low"].clip(lower=0), q["ci_high"], step="post",
                            color=colour(i), alpha=0.2, lw=0, label=f"{confidence:.0%} CI")
    start = first.start
    ax.axvspan(start, start + pd.Timedelta(hours=first.scenario.warmup_hours), color="0.9",
               zorder=0, label="warm-up")
    ax.set_ylabel("waiting [shipments]\n(time average per bin)")
    ax.set_xlabel("date (UTC)")
    _date_axis(ax)
    ax.set_ylim(bottom=0)
    ax.set_title(f"Queue at {node_label(first.scenario, node)}"
                 + ("" if len(runs) > 1 else f" — {first.scenario.name}"))
    ax.legend(loc="upper left", fontsize="small")
    return ax
