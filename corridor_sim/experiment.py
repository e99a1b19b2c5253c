"""Running experiments: replications of a scenario on an executor, to a precision, with checks.

Where the replications run is :mod:`corridor_sim.executors`; the executor never changes the
results.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .checks import result_warnings, scenario_warnings, warn
from .errors import Problem, ScenarioError
from .executors import (
    DASK_ADDRESS_ENV,
    EXECUTORS,
    Progress,
    Task,
    execute,
    executor_session,
    progress_reporter,
)
from .replication import KEEP
from .results import Results
from .scenario.guards import MAX_REPLICATIONS
from .scenario.loader import load_scenario
from .scenario.schema import Scenario
from .stats import mean_ci
from .warmup import WarmupWarning, check_warmup, warmup_message

__all__ = ["DASK_ADDRESS_ENV", "EXECUTORS", "PrecisionWarning", "execute", "executor_session",
           "replication_tasks", "replications_needed", "run", "warn_warmup"]

DEFAULT_MAX_REPLICATIONS = 200


class PrecisionWarning(UserWarning):
    """``max_replications`` was reached before a KPI's target half-width."""


def replication_tasks(scenario: Scenario, replications: int | None = None,
                      seed: int | None = None, keep: str = "none", first: int = 0
                      ) -> list[Task]:
    """List the ``(scenario, replication, seed, keep)`` tasks of a run.

    Parameters
    ----------
    scenario : Scenario
    replications : int, optional
        Default: the scenario's ``replications``.
    seed : int, optional
        Default: the scenario's ``seed``.
    keep : {"none", "first", "all"}, default "none"
        Which replications bring back their raw shipment and visit columns.
    first : int, default 0
        Number of the first replication (a later batch of the same run starts after the
        earlier ones).

    Returns
    -------
    list of tuple
        Replications numbered ``first … first+n-1``, all with the same base seed.
    """
    n = scenario.replications if replications is None else replications
    s = scenario.seed if seed is None else seed
    problems = []
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        problems.append(Problem("replications", f"must be an integer ≥ 1, got {n!r}"))
    if isinstance(s, bool) or not isinstance(s, int) or s < 0:
        problems.append(Problem("seed", f"must be an integer ≥ 0, got {s!r}"))
    if not problems and n > MAX_REPLICATIONS:
        problems.append(Problem("replications", f"must be at most {MAX_REPLICATIONS:,}, got "
                                f"{n:,}"))
    if keep not in KEEP:
        from .scenario.references import suggest

        problems.append(Problem("keep", f"must be one of {', '.join(KEEP)}, got {keep!r}"
                                + suggest(str(keep), list(KEEP))))
    if problems:
        raise ScenarioError(problems)
    return [(scenario, r, s, keep == "all" or (keep == "first" and r == 0))
            for r in range(first, first + n)]


# --------------------------------------------------------------------------- run


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def _check_targets(target: Mapping[str, float] | None, max_replications: int,
                   first: int) -> dict[str, float]:
    problems = []
    out: dict[str, float] = {}
    for kpi, value in (target or {}).items():
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value <= 0:
            problems.append(Problem(f"target_halfwidth.{kpi}",
                                    f"must be a number > 0, got {value!r}"))
        else:
            out[str(kpi)] = float(value)
    if isinstance(max_replications, bool) or not isinstance(max_replications, int) \
            or (target and max_replications < first):  # a cap only with targets
        problems.append(Problem("max_replications", f"must be an integer ≥ replications "
                                f"({first}), got {max_replications!r}"))
    if problems:
        raise ScenarioError(problems)
    return out


def replications_needed(results: Results, target_halfwidth: Mapping[str, float],
                        confidence: float = 0.95) -> int:
    """Replications that should bring each KPI's CI half-width down to its target.

    Uses the usual estimate ``n · (h / target)²`` from the current half-width ``h`` of the
    ``n`` replications run so far; the result is at least the current number.

    Parameters
    ----------
    results : Results
    target_halfwidth : dict of str to float
        KPI name → largest acceptable half-width (in the KPI's unit).
    confidence : float, default 0.95

    Returns
    -------
    int

    Raises
    ------
    ScenarioError
        If a KPI does not exist or has no values.
    """
    from .scenario.references import suggest

    kpis = results.kpis
    n = len(kpis)
    problems, need = [], n
    for kpi, target in target_halfwidth.items():
        if kpi not in kpis.columns:
            problems.append(Problem(f"target_halfwidth.{kpi}", "no such KPI"
                                    + suggest(kpi, list(kpis.columns))))
            continue
        values = kpis[kpi].to_numpy(dtype=float)
        _, _, lo, hi, m = mean_ci(values, confidence)
        if m == 0:
            problems.append(Problem(f"target_halfwidth.{kpi}", "the KPI has no values in "
                                    "this scenario (e.g. no perishables, or no traffic)"))
            continue
        half = (hi - lo) / 2
        if m < 2 or not math.isfinite(half):
            need = max(need, n + 1)
        elif half > target:
            need = max(need, math.ceil(n * (half / target) ** 2), n + 1)
    if problems:
        raise ScenarioError(problems)
    return need


def run(scenario: Scenario | str | Path, *, replications: int | None = None,
        seed: int | None = None, workers: int = 1, executor: str | Any | None = None,
        address: str | None = None, progress: Progress | bool | None = None,
        keep: str = "none",
        target_halfwidth: Mapping[str, float] | None = None,
        max_replications: int = DEFAULT_MAX_REPLICATIONS,
        warmup_check: bool = True) -> Results:
    """Run replications of a scenario.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A scenario, a YAML file, or a bundled scenario's name.
    replications : int, optional
        Number of replications; default the scenario's. With ``target_halfwidth``, the first
        batch.
    seed : int, optional
        Base seed; default the scenario's. Same scenario and seed give identical results.
    workers : int, default 1
        Local worker processes (or Dask workers of a local cluster); results do not depend on it.
    executor : {"serial", "processes", "dask"} or dask.distributed.Client, optional
        Where replications run (see :func:`executor_session`); results do not depend on it.
    address : str, optional
        Address of a running Dask scheduler; default ``$CORRIDOR_SIM_DASK_ADDRESS``, else a
        local cluster.
    progress : bool or callable, optional
        ``True`` shows a progress bar, ``False`` none; a callable gets ``(done, total)`` per
        batch. Default: a bar where a person watches (a notebook or a terminal), none in CI
        or when output is piped.
    keep : {"none", "first", "all"}, default "none"
        Which replications keep their raw shipment and visit tables
        (:attr:`Results.shipments`, :attr:`Results.visits`): none, replication 0, or all.
        Every KPI, summary, series and plot is available without them; a year of the baseline
        holds about a million shipments and two million visits (about 160 MB) per replication
        kept.
    target_halfwidth : dict of str to float, optional
        KPI name → largest acceptable 95% CI half-width (in the KPI's unit, e.g.
        ``{"border.wait_hours.mean": 0.1}`` [h]). Replications are added (numbered on from the
        first batch, same seed, so the outcome is deterministic) until every target is met or
        ``max_replications`` is reached (then a :class:`PrecisionWarning`).
    max_replications : int, default 200
        Cap on replications with ``target_halfwidth``.
    warmup_check : bool, default True
        Warn (:class:`~corridor_sim.warmup.WarmupWarning`) when MSER-5 on the daily
        throughput or queue series suggests the warm-up is too short.

    Returns
    -------
    Results

    Examples
    --------
    >>> import corridor_sim as cs
    >>> sc = cs.bundled("single_checkpoint").with_changes({"horizon_days": 20,
    ...                                                    "warmup_days": 2})
    >>> res = cs.run(sc, replications=2, seed=1)
    >>> kpi = res.summary().loc["created"]
    >>> bool(kpi["mean"] == res.kpis["delivered"].mean() + res.kpis["in_system"].mean())
    True
    """
    sc = _as_scenario(scenario)
    tasks = replication_tasks(sc, replications, seed, keep)
    targets = _check_targets(target_halfwidth, max_replications, len(tasks))
    warn(scenario_warnings(sc))
    report = progress_reporter(progress, sc.name)
    with executor_session(executor, workers=workers, address=address) as run_tasks:
        if sc.routing.assignment == "equilibrium":
            sc = fitted_scenario(sc, run_tasks, seed)
            tasks = replication_tasks(sc, replications, seed, keep)
        data = run_tasks(tasks, report)
        res = Results.combine(sc, data)
        while targets:
            n = len(data)
            need = replications_needed(res, targets)
            if need <= n:
                break
            if n >= max_replications:
                warnings.warn(f"{sc.name}: {n} replications (max_replications) did not bring "
                              f"every KPI to its target half-width "
                              f"{_halfwidths(res, targets)}", PrecisionWarning, stacklevel=2)
                break
            more = min(max_replications, need, 4 * n)
            data = data + run_tasks(replication_tasks(sc, more - n, tasks[0][2], keep, first=n),
                                    report)
            res = Results.combine(sc, data)
    warn(result_warnings(res.kpis, sc))
    if warmup_check:
        warn_warmup(res)
    return res


def fitted_scenario(scenario: Scenario, run_tasks: Callable, seed: int | None = None
                    ) -> Scenario:
    """The scenario with its equilibrium route shares fitted (see :mod:`corridor_sim.equilibrium`).

    Parameters
    ----------
    scenario : Scenario
        With ``routing.assignment: equilibrium``.
    run_tasks : callable
        An executor session's runner.
    seed : int, optional
        The evaluation's base seed (the fit uses seeds of its own, offset from it).

    Returns
    -------
    Scenario
        With every choosing flow's ``split`` and ``routing.fitted``; a
        :class:`~corridor_sim.checks.ScenarioWarning` says when the gap was not reached.
    """
    from .equilibrium import fit_equilibrium

    fit = fit_equilibrium(scenario, run_tasks, seed)
    if not fit.converged:
        warn([f"{scenario.name}: the route-choice equilibrium stopped after {fit.iterations} "
              f"iterations at a relative gap of {fit.gap:.3f} (target "
              f"{scenario.routing.equilibrium.gap:g}); raise routing.equilibrium."
              "max_iterations or replications for a closer fit"])
    return fit.scenario


def _halfwidths(res: Results, targets: Mapping[str, float]) -> str:
    summary = res.summary()
    parts = []
    for kpi, target in targets.items():
        half = (summary.loc[kpi, "ci_high"] - summary.loc[kpi, "ci_low"]) / 2
        parts.append(f"{kpi}: {half:.3g} (target {target:g})")
    return "; ".join(parts)


def warn_warmup(results: Results, stacklevel: int = 2, label: str | None = None) -> None:
    """Issue a :class:`~corridor_sim.warmup.WarmupWarning` if the warm-up looks too short.

    Parameters
    ----------
    results : Results
    stacklevel : int, default 2
        Frame the warning points at, counted from the caller of this function (2: the
        caller's caller, as :func:`warnings.warn` counts).
    label : str, optional
        Name of the run in the message; default the scenario's name.
    """
    msg = warmup_message(check_warmup(results), label or results.scenario.name)
    if msg:
        warnings.warn(msg, WarmupWarning, stacklevel=stacklevel + 1)
