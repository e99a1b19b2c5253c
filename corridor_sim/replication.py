"""One replication, run where the executor runs it: simulate, then reduce to what is kept.

:func:`run_replication` is the task every executor runs. It simulates one replication and,
before returning, reduces the recorded columns to KPI values, binned series and lead-time
quantiles (:class:`ReplicationOutcome`, a few hundred kilobytes), so that what travels back to
the parent and stays there does not grow with the number of shipments. The raw columns come
back only when the task asks for them (``keep``).
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

import numpy as np

from .kpis import replication_kpis
from .records import ReplicationData
from .scenario.schema import Scenario
from .series import BinnedSeries, binned_series, lead_time_quantiles

__all__ = ["KEEP", "ReplicationOutcome", "reduce", "run_replication"]

KEEP = ("none", "first", "all")
"""Choices of which replications keep their raw shipment and visit columns."""


@dataclass
class ReplicationOutcome:
    """What one replication leaves behind once reduced (picklable, small).

    Attributes
    ----------
    replication : int
        Replication number.
    seed : int
        Base seed of the run.
    start : str
        ISO date-time of model time 0 (UTC).
    horizon_hours, warmup_hours : float
        Run length and warm-up [h].
    kpis : dict of str to float
        Every KPI of the replication (:func:`corridor_sim.kpis.replication_kpis`).
    series : BinnedSeries
        Throughput and queue per node and time bin.
    lead_times : dict of str to (int, numpy.ndarray)
        Commodity → (shipments delivered after the warm-up, lead-time quantiles [h]).
    data : ReplicationData or None
        The raw recorded columns, only when the task kept them.
    """

    replication: int
    seed: int
    start: str
    horizon_hours: float
    warmup_hours: float
    kpis: dict[str, float]
    series: BinnedSeries = field(repr=False)
    lead_times: dict[str, tuple[int, np.ndarray]] = field(repr=False)
    data: ReplicationData | None = field(default=None, repr=False)


def reduce(data: ReplicationData, keep: bool = False,
           bin_hours: float | None = None,
           windows: dict[str, tuple[float, float, list[float]]] | None = None
           ) -> ReplicationOutcome:
    """Reduce one replication's records to its outcome.

    Parameters
    ----------
    data : ReplicationData
    keep : bool, default False
        Keep the raw columns in the outcome.
    bin_hours : float, optional
        Width of the series' bins [h]; default :func:`corridor_sim.series.default_bin_hours`.
    windows : dict, optional
        KPI windows: name → (start [h], end [h], wait limits [h]); their KPIs
        (:func:`corridor_sim.windows.window_kpis`) join the replication's.

    Returns
    -------
    ReplicationOutcome
    """
    kpis = replication_kpis(data)
    if windows:
        from .windows import window_kpis

        kpis.update(window_kpis(data, windows))
    return ReplicationOutcome(
        replication=data.replication, seed=data.seed, start=data.start,
        horizon_hours=data.horizon_hours, warmup_hours=data.warmup_hours,
        kpis=kpis, series=binned_series(data, bin_hours),
        lead_times=lead_time_quantiles(data), data=data if keep else None)


_failed_before = False  # whether this process's last replication raised (see run_replication)


def run_replication(task: tuple) -> ReplicationOutcome:
    """Run one task: ``(scenario, replication, seed)`` or ``(scenario, replication, seed, keep)``.

    Parameters
    ----------
    task : tuple
        The scenario, the replication number, the base seed and, optionally, whether to keep
        the raw columns (default False).

    Returns
    -------
    ReplicationOutcome
    """
    from .engine import simulate

    scenario: Scenario = task[0]
    keep = bool(task[3]) if len(task) > 3 else False
    from .windows import scenario_windows

    # A finished model (SimPy environment, stations, callbacks) is a web of reference cycles
    # holding large arrays, which Python's cyclic collector would free only much later: a
    # worker running its next replication would carry both (about 130 MB for a year of the
    # baseline). So the replication ends with a collection. Everything that existed before it
    # is frozen first (gc.freeze), so that this collection, and the automatic ones during the
    # run, look only at what the replication made, not at the hundreds of thousands of objects
    # of pandas, SciPy and the caller (a full collection of those costs about 0.08 s). Where
    # the caller has frozen objects of its own, or another thread is inside a replication,
    # nothing is frozen or unfrozen here and the collection is a full one. After a replication
    # that failed, the next one starts with a full collection: the failed model (kept alive
    # by its traceback until then) would otherwise be frozen with everything else. Cyclic
    # garbage the caller left before a replication is left to Python's own collector.
    global _failed_before
    if _failed_before:
        gc.collect()
        _failed_before = False
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        return reduce(simulate(scenario, task[1], task[2]), keep,
                      windows=scenario_windows(scenario))
    except BaseException:
        _failed_before = True
        raise
    finally:
        gc.collect()
        if freeze:
            gc.unfreeze()
