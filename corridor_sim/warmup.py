"""Is the warm-up long enough? MSER-5 on the daily throughput and queue series of a run.

A replication starts with an empty corridor, so its first days are not typical. The scenario's
``warmup_days`` cut them from every KPI; :func:`check_warmup` asks the MSER-5 rule
(:func:`corridor_sim.stats.mser5`) where the daily series of each facility node settle, and
:func:`corridor_sim.run` warns with a :class:`WarmupWarning` when that is later than the
chosen warm-up.

MSER-5 alone cannot tell an empty start from a scheduled closure or a seasonal low: a holiday
backlog in the first weeks also looks like a transient. The check therefore keeps only what an
empty start can cause. An empty corridor has *less* in it than a warm one, so a queue series
is flagged only when the days after the warm-up pull its mean *down* (a backlog after a
closure pushes it up); and a node's throughput lags the start only while shipments are still
on their way to it, so a throughput series is flagged only when the warm-up is shorter than the
free-flow time from the origins to the node (the node's own filling shows in its queue).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .stats import mser5

if TYPE_CHECKING:  # pragma: no cover
    from .records import ReplicationData
    from .results import Results
    from .scenario.schema import Scenario

__all__ = ["MIN_DAYS", "WarmupWarning", "binned_queue", "check_warmup", "daily_series",
           "warmup_message"]

MIN_DAYS = 20
"""Shortest run [days] that :func:`check_warmup` judges; MSER-5 needs several batches."""


class WarmupWarning(UserWarning):
    """The warm-up period looks too short for the run's daily series to have settled."""


def binned_queue(arrived: np.ndarray, started: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Time-average number waiting in each time bin.

    Parameters
    ----------
    arrived, started : numpy.ndarray
        Arrival and service-start times of visits [h]; NaN start means still waiting at the end.
    edges : numpy.ndarray
        Increasing bin edges [h]; the last one is taken as the end of the run.

    Returns
    -------
    numpy.ndarray
        Mean number waiting in each of the ``len(edges) - 1`` bins [shipments].
    """
    edges = np.asarray(edges, dtype=float)
    start = np.where(np.isnan(started), edges[-1], started)
    waiting = start > arrived
    a, s = arrived[waiting], start[waiting]
    # Waiting time inside [0, e] summed over visits, at each edge e: an exact integral of the
    # step function, computed with sorted arrival and start times.
    a_sorted, s_sorted = np.sort(a), np.sort(s)
    ca = np.concatenate([[0.0], np.cumsum(a_sorted)])
    cs = np.concatenate([[0.0], np.cumsum(s_sorted)])
    na = np.searchsorted(a_sorted, edges, side="right")
    ns = np.searchsorted(s_sorted, edges, side="right")
    area = (na * edges - ca[na]) - (ns * edges - cs[ns])
    return np.diff(area) / np.diff(edges)


def daily_series(data: ReplicationData, bin_hours: float = 24.0) -> dict[str, np.ndarray]:
    """Daily throughput and mean queue of every facility node in one replication.

    Parameters
    ----------
    data : ReplicationData
        One replication (``Results.data[i]``).
    bin_hours : float, default 24
        Length of a bin [h]; a last, incomplete bin is dropped.

    Returns
    -------
    dict of str to numpy.ndarray
        ``"{node}.throughput_per_day"`` (units leaving the node per day [units/day]) and
        ``"{node}.queue_length"`` (time-average number waiting [shipments]) per bin, from model
        time 0 (warm-up included).
    """
    c = data.columns
    n_bins = int(np.floor(data.horizon_hours / bin_hours + 1e-9))
    edges = np.arange(n_bins + 1) * bin_hours
    flow = c["s_flow"].astype(np.int64)
    units = np.asarray(data.flows["units"], dtype=float)[flow] if flow.size else np.empty(0)
    out: dict[str, np.ndarray] = {}
    per_day = 24.0 / bin_hours
    nodes = np.unique(c["v_node"])
    for node in nodes[(nodes >= 0) & (nodes < len(data.nodes))].tolist():
        name = data.nodes[node]
        mask = c["v_node"] == node
        departed = c["v_departed"][mask]
        done = ~np.isnan(departed)
        tput, _ = np.histogram(departed[done], bins=edges,
                               weights=units[c["v_sid"][mask][done]])
        out[f"{name}.throughput_per_day"] = tput * per_day
        out[f"{name}.queue_length"] = binned_queue(c["v_arrived"][mask], c["v_started"][mask],
                                                   edges)
    return out


def _series_of(results: Results) -> list[dict[str, np.ndarray]]:
    """Daily series of each replication (computed where the replication ran)."""
    return results.daily_series()


def _fill_days(scenario: Scenario) -> dict[str, float]:
    """Free-flow time [days] from creation to arrival at each node, the longest over flows.

    Travel and the expected wait for a departure on each link, plus the mean service at the
    nodes passed before (the routing estimate of :class:`corridor_sim.network.Network`).
    """
    from .choice import assign
    from .network import Network

    g = Network(scenario).graph
    out: dict[str, float] = {}
    for route in (p[1] for p in assign(scenario).paths()):
        hours = 0.0
        for a, b, mode in zip(route.nodes, route.nodes[1:], route.modes, strict=False):
            hours += g[a][b][mode]["hours"]
            out[b] = max(out.get(b, 0.0), hours / 24.0)
            hours += g.nodes[b]["service_hours"]
    return out


def check_warmup(results: Results, confidence: float = 0.95, alpha: float = 0.01
                 ) -> pd.DataFrame:
    """MSER-5 truncation point of each facility node's daily series, against the warm-up.

    Each series (daily throughput, daily mean queue) is averaged over the replications and
    MSER-5 looks for its truncation point within the first half of the run. MSER-5 on a
    series that has already settled still picks some point at random, so a warm-up counts as
    too short only when the days between it and the suggested point matter: keeping them
    shifts the post-warm-up mean of the series by more than that mean's confidence
    half-width across replications (the precision the KPI is reported at), and the shift is
    clear in a paired test over replications (level ``alpha``). On stationary series this
    flags fewer than 0.5% of series. Only a shift an empty start can cause counts (see the
    module notes): a queue series whose early days are *below* the rest, a throughput series
    of a node that shipments take longer than the warm-up to reach. A backlog after a scheduled
    closure is not the empty start and gives no warning; a seasonal low at the start of the
    run can still look like one.

    Parameters
    ----------
    results : Results
    confidence : float, default 0.95
        Level of the half-width the shift is compared with (that of ``Results.summary``).
    alpha : float, default 0.01
        Level of the paired t test of the shift (not applied with one replication).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``series`` (``"{node}.throughput_per_day"`` [units/day],
        ``"{node}.queue_length"`` [shipments]), columns ``suggested_days`` (MSER-5 truncation
        point [days]), ``warmup_days`` (the scenario's [days]), ``bias`` (post-warm-up mean
        minus the mean after the suggested point, in the series' unit), ``halfwidth`` (CI
        half-width of the post-warm-up mean), ``too_short`` (suggested > warm-up, ``|bias| >
        halfwidth``, the shift is significant and is one an empty start causes) and
        ``unsettled`` (the truncation point is
        at the end of the searched half: the run is too short to see a steady state, or the
        node is overloaded). Empty when the run is shorter than :data:`MIN_DAYS`.
    """
    from scipy import stats as st

    from .stats import mean_ci

    warmup = float(results.scenario.warmup_days)
    columns = ["suggested_days", "warmup_days", "bias", "halfwidth", "too_short", "unsettled"]
    if results.scenario.horizon_days < MIN_DAYS or not results.replications:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="series"))
    series = _series_of(results)
    fill = _fill_days(results.scenario)
    w = int(np.ceil(warmup - 1e-9))
    rows = {}
    for name in series[0]:
        per_rep = np.array([s[name] for s in series])
        mean = per_rep.mean(axis=0)
        days = mser5(mean)
        limit = (mean.size // 5 // 2 - 1) * 5
        kept = mean[w:]
        n = per_rep.shape[0]
        if n > 1:
            _, _, lo, hi, _ = mean_ci(per_rep[:, w:].mean(axis=1), confidence)
        else:  # one replication: batch means of 5 days
            k = kept.size // 5
            _, _, lo, hi, _ = mean_ci(kept[: k * 5].reshape(k, 5).mean(axis=1), confidence)
        half = (hi - lo) / 2
        bias, clear = 0.0, False
        if days > w:
            shifts = per_rep[:, w:].mean(axis=1) - per_rep[:, days:].mean(axis=1)
            bias = float(shifts.mean())
            sd = float(shifts.std(ddof=1)) if n > 1 else 0.0
            clear = n == 1 or sd == 0.0 or abs(bias) > float(
                st.t.ppf(1 - alpha / 2, n - 1)) * sd / np.sqrt(n)
        node, _, kind = name.rpartition(".")
        empty_start = bias < 0 and (kind != "throughput_per_day" or warmup < fill.get(node, 0.0))
        too_short = days > warmup and clear and not abs(bias) <= half and empty_start
        rows[name] = (float(days), warmup, bias, half, bool(too_short), days >= limit)
    out = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    out.index.name = "series"
    return out


def warmup_message(check: pd.DataFrame, scenario_name: str) -> str | None:
    """Write the text of a :class:`WarmupWarning` for a :func:`check_warmup` table (None: fine).

    Parameters
    ----------
    check : pandas.DataFrame
        Output of :func:`check_warmup`.
    scenario_name : str

    Returns
    -------
    str or None
    """
    bad = check[check["too_short"]]
    if bad.empty:
        return None
    worst = (bad["bias"].abs() / bad["halfwidth"]).fillna(np.inf).idxmax()
    row = bad.loc[worst]
    msg = (f"{scenario_name}: MSER-5 on the daily {worst} series suggests a warm-up of about "
           f"{row['suggested_days']:g} days, longer than warmup_days = {row['warmup_days']:g}; "
           f"the days in between shift its mean by {row['bias']:+.3g}, more than its "
           f"confidence half-width {row['halfwidth']:.3g}")
    if len(bad) > 1:
        msg += f" ({len(bad)} series in all)"
    if bad["unsettled"].any():
        msg += ("; some series do not settle within the first half of the run: lengthen "
                "horizon_days, or check whether a node is overloaded")
    else:
        msg += "; KPIs may be biased by the empty start: raise warmup_days"
    return msg + " (see corridor_sim.warmup.check_warmup)"
