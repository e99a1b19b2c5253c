"""Arrival times of demand flows: Poisson, with optional profiles and growth.

A flow's arrival rate at model time ``t`` [h] is

    shipments_per_day / 24 × S(month) × W(weekday) × H(hour) × G(t)

with ``S``, ``W`` and ``H`` the flow's ``seasonality``, ``weekday`` and ``hourly`` factors,
each normalised to mean 1 (months and weekdays in UTC, hours in ``hourly_timezone``), and ``G``
the growth factor of ``growth_per_year``. The times are drawn before the run, vectorised:

1. growth by *time rescaling*: a process of rate ``shipments_per_day / 24`` on the
   growth-weighted clock ``s = Λ(t)`` (:meth:`Demand.growth_hours`) mapped back by
   ``t = Λ⁻¹(s)`` has rate ``shipments_per_day / 24 × G(t)`` — exact, no draw wasted;
2. the periodic profiles by *thinning* (Lewis and Shedler, 1979): candidates at the peak
   rate, each kept with probability ``S·W·H / max(S)·max(W)·max(H)``.

A flow without growth and hourly profile takes exactly the draws it always took (same
candidates, same thinning), so existing scenarios reproduce their results.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from ..scenario.schema import Demand

__all__ = ["arrival_times", "local_hour_of_day"]

_YEAR_HOURS = 365.0 * 24.0


def _normalised(factors: list[float] | None) -> np.ndarray | None:
    if factors is None:
        return None
    arr = np.asarray(factors, dtype=float)
    return arr / arr.mean()


def _growth_inverse(flow: Demand, s_hours: np.ndarray) -> np.ndarray:
    """Model time [h] at which the growth-weighted time reaches ``s_hours`` (Λ⁻¹)."""
    g = float(flow.growth_per_year)
    return _YEAR_HOURS * np.log1p(g * s_hours / _YEAR_HOURS) / np.log1p(g)


@lru_cache(maxsize=64)
def _zone_steps(zone: str, first_hour: int, hours: int) -> tuple[np.ndarray, np.ndarray]:
    """UTC offsets of ``zone`` over ``hours`` from the UTC hour ``first_hour`` (since 1970).

    Returns the times of the offset changes [h after ``first_hour``] and the offsets [h]
    before the first change and after each. Sampled once a day; a change within a day is
    placed by bisection to the second, so daylight saving (also at half hours) is exact.
    """
    tz = ZoneInfo(zone)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)

    def offset(seconds: int) -> float:
        stamp = epoch + dt.timedelta(hours=first_hour, seconds=seconds)
        return stamp.astimezone(tz).utcoffset().total_seconds() / 3600.0

    day = 86_400
    daily = [offset(day * d) for d in range(hours // 24 + 2)]
    changes, offsets = [], [daily[0]]
    for d in np.flatnonzero(np.diff(daily)):
        lo, hi = day * int(d), day * (int(d) + 1)  # offset(lo) is old, offset(hi) is new
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if offset(mid) == daily[d] else (lo, mid)
        changes.append(hi / 3600.0)
        offsets.append(daily[d + 1])
    return np.asarray(changes), np.asarray(offsets)


def local_hour_of_day(times_hours: np.ndarray, start_utc: dt.datetime,
                      zone: str = "UTC") -> np.ndarray:
    """Hour of the local day (0–23) of model times, on the clock of an IANA time zone.

    Parameters
    ----------
    times_hours : numpy.ndarray
        Model times [h] from ``start_utc``, ≥ 0.
    start_utc : datetime.datetime
        Model time 0 (an aware datetime).
    zone : str, default "UTC"
        IANA time zone name.

    Returns
    -------
    numpy.ndarray of int
        Local hour of each time.

    Examples
    --------
    >>> import datetime as dt, numpy as np
    >>> t0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    >>> local_hour_of_day(np.array([0.0, 4.5, 20.0]), t0, "Asia/Shanghai").tolist()
    [8, 12, 4]
    """
    t = np.asarray(times_hours, dtype=float)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    start_h = (start_utc - epoch).total_seconds() / 3600.0  # exact to the microsecond
    first = int(np.floor(start_h))
    utc = (start_h - first) + t  # hours after the UTC hour ``first``
    if zone == "UTC":
        local = utc
    else:
        # a whole number of years, so that every replication of a run shares the table
        span = int(np.ceil((utc.max() if t.size else 0.0) / _YEAR_HOURS) + 1) * int(_YEAR_HOURS)
        changes, offsets = _zone_steps(zone, first, span)
        local = utc + offsets[np.searchsorted(changes, utc, side="right")]
    return ((np.floor(local).astype(np.int64) + first) % 24).astype(np.int64)


def arrival_times(flow: Demand, rng: np.random.Generator, start_utc: dt.datetime,
                  horizon_hours: float) -> np.ndarray:
    """Creation times of a flow's shipments over one replication.

    A non-homogeneous Poisson process at ``flow.shipments_per_day``, modulated by the
    normalised monthly ``seasonality`` and ``weekday`` factors (UTC months and weekdays), the
    ``hourly`` factors (hours of ``hourly_timezone``) and ``growth_per_year``: growth by time
    rescaling, the profiles by thinning a process at their peak rate (see the module notes).

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
    hourly = _normalised(flow.hourly)
    peak = (season.max() if season is not None else 1.0) * (
        weekday.max() if weekday is not None else 1.0)
    if hourly is not None:
        peak *= hourly.max()
    span = float(flow.growth_hours(horizon_hours))  # the horizon on the growth clock
    n = rng.poisson(rate * peak * span) if rate > 0 else 0
    times = np.sort(rng.uniform(0.0, span, n))
    if flow.growth_per_year:
        times = np.minimum(_growth_inverse(flow, times), np.nextafter(horizon_hours, 0.0))
    if season is None and weekday is None and hourly is None:
        return times
    factor = np.ones(n)
    if season is not None or weekday is not None:
        base = np.datetime64(start_utc.replace(tzinfo=None), "s")
        stamps = base + (times * 3600.0).astype("timedelta64[s]")
        if season is not None:
            factor *= season[stamps.astype("datetime64[M]").astype(np.int64) % 12]
        if weekday is not None:
            factor *= weekday[(stamps.astype("datetime64[D]").astype(np.int64) + 3) % 7]
    if hourly is not None:
        factor *= hourly[local_hour_of_day(times, start_utc, flow.hourly_timezone)]
    keep = rng.random(n) * peak < factor
    return times[keep]
