"""KPI windows: waits over a period declared in the scenario, such as a harvest peak.

A scenario may name periods of its run before the run starts::

    kpi_windows:
      harvest: {start: 2025-08-15, end: 2025-10-31, wait_limits_hours: [4]}

Dates are calendar days in UTC, as the scenario's ``start``; ``end`` is inclusive (the window
runs to midnight after it). Each replication then reports, for every node visited, the waits of
the visits that **arrived** in the window, in the worker that ran it (so the parent holds a few
numbers per window, never the waits themselves):

- ``WINDOW:NODE.wait_hours.mean`` and ``WINDOW:NODE.wait_hours.p95`` — the mean and the 95th
  percentile of the waits of the replication's visits in the window, **pooled over the window**
  (one p95 of every truck that arrived in it, not an average of daily p95s);
- ``WINDOW:NODE.waits`` — how many visits arrived in the window (and started service);
- ``WINDOW:NODE.wait_hours.over[L]`` — how many of those waited more than ``L`` hours, for
  each ``L`` in ``wait_limits_hours``.

``Results.summary()`` averages the per-replication p95 over replications. Constraints of
:func:`corridor_sim.optimise` use the p95 **pooled over all replications** instead: the 95th
percentile of every wait in the window of every replication is at most ``L`` exactly when the
pooled share of waits over ``L`` is at most 5%, which the counts above estimate without bias
(see ``docs/background/capacity-planning.md``).

A scenario without ``kpi_windows`` computes none of this and its KPIs are unchanged.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from .scenario.windows import KpiWindow, window_hours, window_problems

if TYPE_CHECKING:
    from .records import ReplicationData
    from .scenario.schema import Scenario

__all__ = ["KpiWindow", "over_kpi", "parse_window_kpi", "scenario_windows", "window_hours",
           "window_kpis", "window_problems"]

_WINDOW_KPI = re.compile(r"^(?P<window>[A-Za-z][A-Za-z0-9_-]*):(?P<node>[^:]+)\."
                         r"wait_hours\.p(?P<q>\d{1,2})$")


def scenario_windows(scenario: Scenario) -> dict[str, tuple[float, float, list[float]]] | None:
    """The scenario's windows as :func:`window_kpis` takes them, or None without any.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    dict of str to (start_hours, end_hours, limits_hours), or None
    """
    if not scenario.kpi_windows:
        return None
    return {name: (*window_hours(scenario, w), list(w.wait_limits_hours))
            for name, w in scenario.kpi_windows.items()}


def over_kpi(window: str, node: str, limit_hours: float) -> str:
    """Name of the KPI counting a window's waits at a node over a limit.

    Parameters
    ----------
    window, node : str
    limit_hours : float

    Returns
    -------
    str

    Examples
    --------
    >>> over_kpi("harvest", "border", 4.0)
    'harvest:border.wait_hours.over[4]'
    """
    return f"{window}:{node}.wait_hours.over[{limit_hours:g}]"


def parse_window_kpi(kpi: str) -> tuple[str, str, int] | None:
    """Split a windowed wait quantile KPI ``WINDOW:NODE.wait_hours.pQ`` into its parts.

    Parameters
    ----------
    kpi : str

    Returns
    -------
    (window, node, q) or None
        ``q`` is the percentile (e.g. 95); None if ``kpi`` is not of that form.

    Examples
    --------
    >>> parse_window_kpi("harvest:nur_zholy_road.wait_hours.p95")
    ('harvest', 'nur_zholy_road', 95)
    >>> parse_window_kpi("nur_zholy_road.wait_hours.p95") is None
    True
    """
    m = _WINDOW_KPI.match(kpi)
    if m is None:
        return None
    return m["window"], m["node"], int(m["q"])


def window_kpis(data: ReplicationData, windows: dict[str, tuple[float, float, list[float]]]
                ) -> dict[str, float]:
    """The windowed wait KPIs of one replication (see the module's description).

    Parameters
    ----------
    data : ReplicationData
    windows : dict of str to (start_hours, end_hours, limits_hours)
        Each window's model-time bounds ``[start, end)`` and wait limits [h].

    Returns
    -------
    dict of str to float
    """
    out: dict[str, float] = {}
    c = data.columns
    node = c["v_node"]
    arrived, started = c["v_arrived"], c["v_started"]
    waited = ~np.isnan(started)
    for name, (lo, hi, limits) in windows.items():
        inside = (arrived >= lo) & (arrived < hi) & waited
        for n in np.unique(node).tolist():
            if n < 0:
                continue
            waits = (started - arrived)[inside & (node == n)]
            key = f"{name}:{data.nodes[n]}"
            out[f"{key}.waits"] = float(waits.size)
            out[f"{key}.wait_hours.mean"] = float(waits.mean()) if waits.size else np.nan
            out[f"{key}.wait_hours.p95"] = (float(np.percentile(waits, 95)) if waits.size
                                            else np.nan)
            for limit in limits:
                out[over_kpi(name, data.nodes[n], limit)] = float((waits > limit).sum())
    return out
