"""Arrival times of demand flows: Poisson, with optional monthly and weekday profiles."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ..scenario.schema import Demand

__all__ = ["arrival_times"]


def _normalised(factors: list[float] | None) -> np.ndarray | None:
    if factors is None:
        return None
    arr = np.asarray(factors, dtype=float)
    return arr / arr.mean()


def arrival_times(flow: Demand, rng: np.random.Generator, start_utc: dt.datetime,
                  horizon_hours: float) -> np.ndarray:
    """Creation times of a flow's shipments over one replication.

    A Poisson process at ``flow.shipments_per_day``, modulated by the normalised monthly
    ``seasonality`` and ``weekday`` factors (months and weekdays in UTC), drawn by thinning a
    homogeneous process at the peak rate.

    Parameters
    ----------
    flow : Demand
    rng : numpy.random.Generator
        The flow's own stream.
    start_utc : datetime.datetime
        Model time 0.
    horizon_hours : float
        Length of the run [h].

    Returns
    -------
    numpy.ndarray
        Sorted creation times in [0, horizon_hours) [h].

    Examples
    --------
    >>> import datetime as dt, numpy as np
    >>> from corridor_sim.scenario.schema import Demand
    >>> f = Demand(origin="a", destination="b", commodity="c", per_day=24)
    >>> t = arrival_times(f, np.random.default_rng(0),
    ...                   dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc), 1000.0)
    >>> 900 < len(t) < 1100
    True
    """
    rate = flow.shipments_per_day / 24.0
    season, weekday = _normalised(flow.seasonality), _normalised(flow.weekday)
    peak = (season.max() if season is not None else 1.0) * (
        weekday.max() if weekday is not None else 1.0)
    n = rng.poisson(rate * peak * horizon_hours) if rate > 0 else 0
    times = np.sort(rng.uniform(0.0, horizon_hours, n))
    if season is None and weekday is None:
        return times
    base = np.datetime64(start_utc.replace(tzinfo=None), "s")
    stamps = base + (times * 3600.0).astype("timedelta64[s]")
    factor = np.ones(n)
    if season is not None:
        factor *= season[stamps.astype("datetime64[M]").astype(np.int64) % 12]
    if weekday is not None:
        factor *= weekday[(stamps.astype("datetime64[D]").astype(np.int64) + 3) % 7]
    keep = rng.random(n) * peak < factor
    return times[keep]
