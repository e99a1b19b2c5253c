"""Statistics across replications: intervals, paired differences, warm-up, queueing theory.

Confidence intervals of means and of paired differences (common random numbers), the MSER
warm-up truncation rule, and queueing formulas. The queueing formulas are the yardsticks the
validation tests hold the simulation to; they are public so that planners can check a model of
their own the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import stats as _st

from .errors import Problem, ScenarioError

__all__ = ["DiffCI", "cobham_wait", "erlang_c", "erlang_c_wait", "kpi_bounds", "mean_ci", "mser",
           "mser5", "paired_diff", "welch_diff"]


def mean_ci(values: Sequence[float] | np.ndarray, confidence: float = 0.95, *,
            bounds: tuple[float, float] = (-math.inf, math.inf)
            ) -> tuple[float, float, float, float, int]:
    """Mean with a Student-t confidence interval across independent replications.

    Parameters
    ----------
    values : array_like
        One value per replication; NaNs are ignored.
    confidence : float, default 0.95
        Confidence level of the interval.
    bounds : (float, float), default (-inf, inf)
        Values the KPI's true mean cannot leave, e.g. ``(0, inf)`` for a wait or
        ``(0, 1)`` for a share (see :func:`kpi_bounds`). The t interval is cut at them.

    Returns
    -------
    tuple
        ``(mean, std, ci_low, ci_high, n)``; the interval is NaN when ``n < 2``.

    Notes
    -----
    **Bounded KPIs.** A t interval around a small non-negative mean (a wait of a few minutes,
    a spoiled share near 0) can reach below 0. We cut it at the bound rather than compute it
    on a transformed scale: the true mean lies within the bounds, so the part of the interval
    beyond them holds no possible value of it, and the cut interval covers the true mean in
    exactly the replications where the t interval does. Coverage is therefore unchanged and
    the interval only gets shorter. A log or logit scale would instead describe the
    geometric mean, or fail on replications with a value of exactly 0 (no waiting at all),
    which are common. A cut interval can be lopsided around the mean: that is where the data
    show the mean is close to the bound.

    Examples
    --------
    >>> m, s, lo, hi, n = mean_ci([1.0, 2.0, 3.0])
    >>> m, n, round(hi - m, 3)
    (2.0, 3, 2.484)
    >>> mean_ci([0.0, 0.0, 0.3], bounds=(0.0, math.inf))[2]
    0.0
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
    low, high = bounds
    return (mean, std, max(mean - half, low), min(mean + half, high), n)


_SHARE_TOKENS = ("share", "fill_rate")
_NONNEG_TOKENS = ("hours", "per_day", "queue_length", "queue_km", "km", "kg", "usd", "tonnes",
                  "teu", "teu_days", "utilisation", "occupancy", "approach", "blocked",
                  "approach_km", "created", "delivered", "in_system", "rejected")
_STATISTICS = ("mean", "p50", "p95", "max", "min")


def kpi_bounds(kpi: str) -> tuple[float, float]:
    """The values a KPI cannot leave, from its name: ``(0, 1)``, ``(0, inf)`` or unbounded.

    The measure is the last part of the dotted name that is not a statistic (``mean``,
    ``p50``, ``p95``, ``max``, ``min``). Shares and fill rates lie in [0, 1]; times
    (``…hours``), rates (``…per_day``), queue lengths, occupancies, counts, and quantities in
    km, kg, USD, tonnes or TEU are never negative. Utilisation is only bounded below: work
    that started before a closing can run past it, so busy time can exceed open time. Any
    other name (a difference, an index that can be negative) is unbounded.

    Parameters
    ----------
    kpi : str
        A dotted KPI name such as ``"khorgos_road.wait_hours.mean"``.

    Returns
    -------
    (float, float)
        Lower and upper bound of the KPI's true mean.

    Examples
    --------
    >>> kpi_bounds("khorgos_road.wait_hours.p95")
    (0.0, inf)
    >>> kpi_bounds("spoiled_share")
    (0.0, 1.0)
    >>> kpi_bounds("space[a→b].full_share")
    (0.0, 1.0)
    >>> kpi_bounds("some.buffer_index")
    (-inf, inf)
    """
    parts = [p for p in kpi.split(".") if p not in _STATISTICS]
    measure = parts[-1] if parts else kpi
    if measure == "share" or measure.endswith(_SHARE_TOKENS):
        return (0.0, 1.0)
    if measure in _NONNEG_TOKENS or measure.endswith(tuple("_" + t for t in _NONNEG_TOKENS)):
        return (0.0, math.inf)
    return (-math.inf, math.inf)


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


# --------------------------------------------------------------------------- differences


class DiffCI(NamedTuple):
    """A difference of means ``b − a`` with its confidence interval.

    Attributes
    ----------
    diff : float
        Estimated difference of the means (same unit as the data).
    std : float
        Standard deviation of the paired differences (paired), or the standard error of the
        difference times √n (independent).
    ci_low, ci_high : float
        Confidence interval of ``diff``; NaN when there are too few values.
    n : int
        Pairs used (paired) or the smaller sample size (independent).
    p_value : float
        Two-sided p-value of "no difference"; 1 when every difference is exactly 0.
    """

    diff: float
    std: float
    ci_low: float
    ci_high: float
    n: int
    p_value: float

    @property
    def halfwidth(self) -> float:
        """Half-width of the confidence interval (same unit as the data)."""
        return (self.ci_high - self.ci_low) / 2

    @property
    def significant(self) -> bool:
        """Whether the interval excludes 0 (False when it is NaN)."""
        return bool(self.ci_low > 0 or self.ci_high < 0)


_NAN_DIFF = DiffCI(math.nan, math.nan, math.nan, math.nan, 0, math.nan)


def paired_diff(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray,
                confidence: float = 0.95) -> DiffCI:
    """Mean of the paired differences ``b[i] − a[i]`` with a paired Student-t interval.

    Pairs are the same replication of two scenarios run with the same seed, so that common
    random numbers cancel most of the noise both share. Pairs with a NaN on either side are
    dropped.

    Parameters
    ----------
    a, b : array_like
        One value per replication, in the same order; ``a`` is the reference.
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    DiffCI

    Examples
    --------
    >>> d = paired_diff([1.0, 2.0, 3.0], [1.5, 2.4, 3.6])
    >>> round(d.diff, 3), d.n, d.significant
    (0.5, 3, True)
    >>> paired_diff([1.0, 2.0], [1.0, 2.0]).ci_high
    0.0
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ScenarioError([Problem("b", f"paired values need the same length; got {x.size} "
                                     f"and {y.size}")])
    d = y - x
    d = d[~np.isnan(d)]
    n = int(d.size)
    if n == 0:
        return _NAN_DIFF
    mean = float(d.mean())
    if n < 2:
        return DiffCI(mean, math.nan, math.nan, math.nan, n, math.nan)
    std = float(d.std(ddof=1))
    if std == 0.0:
        return DiffCI(mean, 0.0, mean, mean, n, 1.0 if mean == 0.0 else 0.0)
    se = std / math.sqrt(n)
    half = float(_st.t.ppf(0.5 + confidence / 2, n - 1)) * se
    p = float(2 * _st.t.sf(abs(mean) / se, n - 1))
    return DiffCI(mean, std, mean - half, mean + half, n, p)


def welch_diff(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray,
               confidence: float = 0.95) -> DiffCI:
    """Difference of means ``mean(b) − mean(a)`` of independent samples (Welch's interval).

    The interval an unpaired comparison would give: use it for runs with different seeds, or
    to see how much common random numbers gain over independent runs.

    Parameters
    ----------
    a, b : array_like
        Independent samples (NaNs are ignored); ``a`` is the reference.
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    DiffCI
        ``std`` is the standard error of the difference times √n, ``n`` the smaller sample.

    Examples
    --------
    >>> d = welch_diff([1.0, 2.0, 3.0], [1.5, 2.4, 3.6])
    >>> round(d.diff, 3), d.significant
    (0.5, False)
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if x.size == 0 or y.size == 0:
        return _NAN_DIFF
    mean = float(y.mean() - x.mean())
    n = int(min(x.size, y.size))
    if n < 2:
        return DiffCI(mean, math.nan, math.nan, math.nan, n, math.nan)
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = math.sqrt(vx + vy)
    if se == 0.0:
        return DiffCI(mean, 0.0, mean, mean, n, 1.0 if mean == 0.0 else 0.0)
    df = (vx + vy) ** 2 / (vx ** 2 / (x.size - 1) + vy ** 2 / (y.size - 1))
    half = float(_st.t.ppf(0.5 + confidence / 2, df)) * se
    p = float(2 * _st.t.sf(abs(mean) / se, df))
    return DiffCI(mean, se * math.sqrt(n), mean - half, mean + half, n, p)


# --------------------------------------------------------------------------- warm-up


def mser(series: Sequence[float] | np.ndarray, batch_size: int = 5, *,
         max_fraction: float = 0.5) -> int:
    """Find the truncation point of a series by the marginal standard error rule (MSER).

    The series is cut into batches of ``batch_size`` consecutive observations (a last,
    incomplete batch is dropped); the truncation ``d`` (in batches) minimises
    ``MSER(d) = Σ_{i>d} (Z_i − Z̄_d)² / (k − d)²`` over the batch means ``Z`` of the ``k``
    batches, searching only the first ``max_fraction`` of them (White 1997). A minimum at the
    end of the search range means the run is too short to tell.

    Parameters
    ----------
    series : array_like
        Observations in time order (e.g. daily throughput or mean queue length), no NaNs.
    batch_size : int, default 5
        Observations per batch.
    max_fraction : float, default 0.5
        Share of the batches that may be truncated, in (0, 1].

    Returns
    -------
    int
        Number of leading observations to discard (a multiple of ``batch_size``).

    Raises
    ------
    ScenarioError
        If the series holds NaNs or fewer than two batches, or an argument is out of range.

    References
    ----------
    K. P. White Jr., "An effective truncation heuristic for bias reduction in simulation
    output", Simulation 69(6), 1997, doi:10.1177/003754979706900601.
    """
    x = np.asarray(series, dtype=float).ravel()
    problems = []
    if not isinstance(batch_size, int | np.integer) or batch_size < 1:
        problems.append(Problem("batch_size", f"must be an integer ≥ 1, got {batch_size!r}"))
    elif x.size < 2 * batch_size:
        problems.append(Problem("series", f"needs at least {2 * batch_size} observations "
                                f"(two batches), got {x.size}"))
    if np.isnan(x).any():
        problems.append(Problem("series", "must not contain NaN"))
    if not 0 < max_fraction <= 1:
        problems.append(Problem("max_fraction", f"must be in (0, 1], got {max_fraction!r}"))
    if problems:
        raise ScenarioError(problems)
    k = x.size // batch_size
    z = x[: k * batch_size].reshape(k, batch_size).mean(axis=1)
    z = z - z.mean()  # centred: a constant series gives exactly zero statistics
    # Sums over the tail z[d:], for every d, from reversed cumulative sums.
    tail_n = np.arange(k, 0, -1, dtype=float)
    tail_sum = np.cumsum(z[::-1])[::-1]
    tail_sq = np.cumsum((z * z)[::-1])[::-1]
    sse = np.maximum(tail_sq - tail_sum ** 2 / tail_n, 0.0)
    stat = sse / tail_n ** 2
    last = max(1, min(k - 1, int(math.floor(max_fraction * k))))
    stat = stat[:last]
    # the first of the minima, allowing for rounding in the cumulative sums
    best = int(np.flatnonzero(stat <= stat.min() + 1e-12 * stat.max())[0])
    return best * batch_size


def mser5(series: Sequence[float] | np.ndarray, *, max_fraction: float = 0.5) -> int:
    """MSER-5 truncation point: :func:`mser` with batches of 5 observations.

    Parameters
    ----------
    series : array_like
        Observations in time order, e.g. daily throughput [units/day] averaged over
        replications; at least 10.
    max_fraction : float, default 0.5
        Share of the series that may be truncated.

    Returns
    -------
    int
        Number of leading observations to discard, in original observations (a multiple of 5).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([np.linspace(0, 10, 40), 10 + rng.normal(0, 1, 360)])
    >>> 30 <= mser5(x) <= 50
    True
    """
    return mser(series, 5, max_fraction=max_fraction)
