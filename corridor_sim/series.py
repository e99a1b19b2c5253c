"""Binned time series of one replication, computed where the replication runs.

A replication's raw columns hold a row per shipment and per visit (about three million rows
for a year of the baseline). Plots, the throughput table and the warm-up check need far less:
how many units left each facility node, and how many waited there, per time bin. This module
reduces the columns to those bins, so that a replication can travel back to the parent as a few
hundred kilobytes instead of tens of megabytes.

Bins are aligned to UTC midnight of the scenario's start, so that any period of whole days
(days, weeks, months) is an exact sum of bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .records import DELIVERED, ReplicationData

__all__ = ["UNITS", "BinnedSeries", "binned_series", "default_bin_hours", "lead_time_quantiles",
           "pooled_box_stats", "time_average_waiting", "QUANTILE_LEVELS"]

UNITS = ("teu", "tonne", "shipments")
"""Units of :attr:`BinnedSeries.throughput`'s last axis."""

QUANTILE_LEVELS = np.linspace(0.0, 1.0, 201)
"""Levels at which lead times are summarised per replication (every half percent)."""


def default_bin_hours(horizon_hours: float) -> float:
    """Width of the stored bins [h]: 1 h for runs up to 120 days, 24 h for longer ones.

    Parameters
    ----------
    horizon_hours : float

    Returns
    -------
    float
    """
    return 1.0 if horizon_hours <= 120 * 24 + 1e-9 else 24.0


@dataclass
class BinnedSeries:
    """Throughput and queue of every facility node per time bin, for one replication.

    Attributes
    ----------
    bin_hours : float
        Width of a bin [h].
    first_edge_hours : float
        Model time of the first bin's start [h] (≤ 0: UTC midnight of the start day).
    nodes : list of str
        Facility nodes (columns); throughput has one more column, ``delivered``.
    throughput : numpy.ndarray
        Shape ``(bins, len(nodes) + 1, 3)``: units leaving each node (and reaching their
        destination) per bin, in TEU, tonnes and shipments (see :data:`UNITS`).
    queue : numpy.ndarray
        Shape ``(bins, len(nodes))``: time-average number waiting at each node in the bin
        [shipments]; the part of a bin outside ``[0, horizon]`` counts as empty.
    """

    bin_hours: float
    first_edge_hours: float
    nodes: list[str]
    throughput: np.ndarray
    queue: np.ndarray

    @property
    def edges(self) -> np.ndarray:
        """Bin edges in model hours, ``bins + 1`` of them."""
        n = self.queue.shape[0]
        return self.first_edge_hours + self.bin_hours * np.arange(n + 1)


def _edges(data: ReplicationData, bin_hours: float) -> np.ndarray:
    start = pd.Timestamp(data.start)
    offset = (start - start.floor("D")) / pd.Timedelta(hours=1)
    first = -(offset % bin_hours)
    n = int(np.ceil((data.horizon_hours - first) / bin_hours - 1e-9))
    return first + bin_hours * np.arange(n + 1)


def time_average_waiting(arrived: np.ndarray, started: np.ndarray, edges: np.ndarray,
                         end: float) -> np.ndarray:
    """Time-average number waiting in each bin: an exact integral of the step function.

    Parameters
    ----------
    arrived, started : numpy.ndarray
        Arrival and service-start times of visits [h]; NaN start means still waiting at ``end``.
    edges : numpy.ndarray
        Increasing bin edges [h].
    end : float
        End of the run [h]; nobody waits after it.

    Returns
    -------
    numpy.ndarray
        Mean number waiting in each of the ``len(edges) - 1`` bins.
    """
    return np.diff(_waiting_area(arrived, started, edges, end)) / np.diff(edges)


def _waiting_area(arrived: np.ndarray, started: np.ndarray, edges: np.ndarray,
                  end: float) -> np.ndarray:
    """Waiting time accumulated by all visits up to each edge [h]."""
    s = np.where(np.isnan(started), end, started)
    waiting = s > arrived
    a_sorted, s_sorted = np.sort(arrived[waiting]), np.sort(s[waiting])
    ca = np.concatenate([[0.0], np.cumsum(a_sorted)])
    cs = np.concatenate([[0.0], np.cumsum(s_sorted)])
    na = np.searchsorted(a_sorted, edges, side="right")
    ns = np.searchsorted(s_sorted, edges, side="right")
    return (na * edges - ca[na]) - (ns * edges - cs[ns])


def binned_series(data: ReplicationData, bin_hours: float | None = None) -> BinnedSeries:
    """Reduce one replication's columns to throughput and queue per bin and facility node.

    Parameters
    ----------
    data : ReplicationData
    bin_hours : float, optional
        Bin width [h], a divisor of 24; default :func:`default_bin_hours`.

    Returns
    -------
    BinnedSeries
    """
    step = default_bin_hours(data.horizon_hours) if bin_hours is None else float(bin_hours)
    edges = _edges(data, step)
    c = data.columns
    present = np.unique(c["v_node"])
    present = present[(present >= 0) & (present < len(data.nodes))]
    names = [data.nodes[i] for i in present.tolist()]
    lookup = np.full(len(data.nodes) + 1, -1, dtype=np.int64)
    lookup[present] = np.arange(present.size)
    n_bins, n_cols = edges.size - 1, len(names) + 1
    flow = c["s_flow"].astype(np.int64)
    flow_units = np.asarray(data.flows["units"], dtype=float)
    flow_teu = np.asarray(data.flows["unit"], dtype=object) == "teu"
    # Units leaving a node (its visits' departures) or reaching their destination, binned
    # by time: bin b of column j is element (b + 1) * n_cols + j of a flat array with one
    # spare row either side, which takes the times before the first edge and after the last
    # (NaN, still there at the end, sorts after every edge) without masking them out first.
    size = (n_bins + 2) * n_cols
    sums = np.zeros((3, size))
    delivered = c["s_status"] == DELIVERED
    for times, col, flows in (
            (c["v_departed"], lookup[c["v_node"]], flow[c["v_sid"]]),
            (np.where(delivered, c["s_end"], np.nan), n_cols - 1, flow)):
        if not flows.size:
            continue
        key = np.searchsorted(edges, times, side="right") * n_cols + col
        u = flow_units[flows]
        teu = flow_teu[flows]
        sums[0] += np.bincount(key, weights=np.where(teu, u, 0.0), minlength=size)
        sums[1] += np.bincount(key, weights=np.where(teu, 0.0, u), minlength=size)
        sums[2] += np.bincount(key, minlength=size)
    throughput = sums[:, n_cols:-n_cols].T.reshape(n_bins, n_cols, 3)
    queue = np.zeros((n_bins, len(names)))
    clipped = np.clip(edges, 0.0, data.horizon_hours)
    widths = np.diff(edges)
    for j, node in enumerate(present.tolist()):
        here = c["v_node"] == node
        area = _waiting_area(c["v_arrived"][here], c["v_started"][here], clipped,
                             data.horizon_hours)
        queue[:, j] = np.diff(area) / widths
    return BinnedSeries(step, float(edges[0]), names, throughput, queue)


def lead_time_quantiles(data: ReplicationData) -> dict[str, tuple[int, np.ndarray]]:
    """Lead times of shipments created after the warm-up and delivered, per commodity.

    Parameters
    ----------
    data : ReplicationData

    Returns
    -------
    dict of str to (int, numpy.ndarray)
        Commodity → (number of shipments, lead times [h] at :data:`QUANTILE_LEVELS`).
    """
    c = data.columns
    flow = c["s_flow"].astype(np.int64)
    done = (c["s_status"] == DELIVERED) & (c["s_created"] >= data.warmup_hours)
    lead = (c["s_end"] - c["s_created"])[done]
    com = np.asarray(data.flows["commodity"], dtype=object)[flow[done]] if flow.size else \
        np.empty(0, dtype=object)
    out = {}
    for name in dict.fromkeys(data.flows["commodity"]):
        vals = lead[com == name]
        if vals.size:
            out[str(name)] = (int(vals.size), np.quantile(vals, QUANTILE_LEVELS))
    return out


def pooled_box_stats(parts: list[tuple[int, np.ndarray]], label: str = "") -> dict | None:
    """Box-plot statistics of lead times pooled over replications, from their quantiles.

    Each replication's distribution is represented by its quantiles at
    :data:`QUANTILE_LEVELS`, weighted by its number of shipments; the pooled quartiles are
    those of the weighted mixture (exact to within the half-percent spacing of the levels).

    Parameters
    ----------
    parts : list of (int, numpy.ndarray)
        (count, quantiles) per replication.
    label : str, default ""

    Returns
    -------
    dict or None
        The keys :meth:`matplotlib.axes.Axes.bxp` takes (``med``, ``q1``, ``q3``, ``whislo``,
        ``whishi``, ``label``); None when no shipment was delivered.
    """
    parts = [(n, q) for n, q in parts if n > 0]
    if not parts:
        return None
    # Each replication's mass sits between consecutive quantile points, spread evenly.
    mids = np.concatenate([(q[1:] + q[:-1]) / 2 for _, q in parts])
    weights = np.concatenate([np.full(q.size - 1, n / (q.size - 1)) for n, q in parts])
    order = np.argsort(mids, kind="stable")
    x, w = mids[order], np.cumsum(weights[order])
    w /= w[-1]

    def quantile(p: float) -> float:
        return float(x[min(np.searchsorted(w, p), x.size - 1)])

    q1, med, q3 = quantile(0.25), quantile(0.5), quantile(0.75)
    iqr = q3 - q1
    lows = np.concatenate([q for _, q in parts])
    lo = float(lows[lows >= q1 - 1.5 * iqr].min())
    hi = float(lows[lows <= q3 + 1.5 * iqr].max())
    return {"med": med, "q1": q1, "q3": q3, "whislo": lo, "whishi": hi, "label": label,
            "fliers": []}
