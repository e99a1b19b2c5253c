"""Statistics across replications: confidence intervals and queueing theory references.

The queueing formulas are the yardsticks the validation tests hold the simulation to; they are
public so that planners can check a model of their own the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats as _st

__all__ = ["cobham_wait", "erlang_c", "erlang_c_wait", "mean_ci"]


def mean_ci(values: Sequence[float] | np.ndarray, confidence: float = 0.95
            ) -> tuple[float, float, float, float, int]:
    """Mean with a Student-t confidence interval across independent replications.

    Parameters
    ----------
    values : array_like
        One value per replication; NaNs are ignored.
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    tuple
        ``(mean, std, ci_low, ci_high, n)``; the interval is NaN when ``n < 2``.

    Examples
    --------
    >>> m, s, lo, hi, n = mean_ci([1.0, 2.0, 3.0])
    >>> m, n, round(hi - m, 3)
    (2.0, 3, 2.484)
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    n = int(arr.size)
    if n == 0:
        return (math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(arr.mean())
    if n < 2:
        return (mean, math.nan, math.nan, math.nan, n)
    std = float(arr.std(ddof=1))
    half = float(_st.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)
    return (mean, std, mean - half, mean + half, n)


def erlang_c(arrivals_per_hour: float, service_hours: float, servers: int) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C).

    Parameters
    ----------
    arrivals_per_hour : float
        Arrival rate λ [1/h].
    service_hours : float
        Mean service time 1/μ [h].
    servers : int
        Number of servers c.

    Returns
    -------
    float
        P(wait > 0); 1 when the queue is unstable (ρ ≥ 1).

    Examples
    --------
    >>> round(erlang_c(3.0, 1.0, 4), 4)
    0.5094
    """
    a = arrivals_per_hour * service_hours
    c = servers
    if a >= c:
        return 1.0
    # Erlang B by its stable recursion, then C from B.
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    rho = a / c
    return b / (1 - rho + rho * b)


def erlang_c_wait(arrivals_per_hour: float, service_hours: float, servers: int) -> float:
    """Mean wait in queue of an M/M/c queue [h].

    Parameters
    ----------
    arrivals_per_hour, service_hours, servers
        As in :func:`erlang_c`.

    Returns
    -------
    float
        W_q = C(c, a) / (c μ − λ) [h]; ``inf`` when unstable.

    Examples
    --------
    >>> round(erlang_c_wait(3.0, 1.0, 4), 4)
    0.5094
    """
    mu = 1.0 / service_hours
    if arrivals_per_hour >= servers * mu:
        return math.inf
    return erlang_c(arrivals_per_hour, service_hours, servers) / (servers * mu - arrivals_per_hour)


def cobham_wait(arrivals_per_hour: Sequence[float], service_hours: float, servers: int
                ) -> list[float]:
    """Mean waits per class in a non-preemptive priority M/M/c queue (Cobham's formula).

    All classes share one exponential service time; class 0 has the highest priority.

    Parameters
    ----------
    arrivals_per_hour : sequence of float
        Arrival rate of each class, highest priority first [1/h].
    service_hours : float
        Mean service time [h].
    servers : int
        Number of servers.

    Returns
    -------
    list of float
        Mean wait in queue of each class [h]:
        W_k = C(c, a) / (c μ) / ((1 − σ_{k−1})(1 − σ_k)), with σ_k = Σ_{i≤k} λ_i / (c μ).

    Examples
    --------
    >>> [round(w, 3) for w in cobham_wait([1.0, 2.0], 1.0, 4)]
    [0.17, 0.679]
    """
    mu = 1.0 / service_hours
    total = float(sum(arrivals_per_hour))
    w0 = erlang_c(total, service_hours, servers) / (servers * mu)
    waits, sigma_prev = [], 0.0
    for lam in arrivals_per_hour:
        sigma = sigma_prev + lam / (servers * mu)
        waits.append(w0 / ((1 - sigma_prev) * (1 - sigma)) if sigma < 1 else math.inf)
        sigma_prev = sigma
    return waits
