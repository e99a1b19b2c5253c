"""Running experiments: replications of a scenario on an executor, to a precision, with checks.

Each replication is the pure function :func:`corridor_sim.engine.simulate` of
``(scenario, replication, seed)``, so the executor never changes the results: serial, local
processes (``workers=N``) and a Dask distributed cluster (``executor="dask"``) give identical
numbers.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .engine import ReplicationData, simulate
from .errors import Problem, ScenarioError
from .results import Results
from .scenario.loader import load_scenario
from .scenario.schema import Scenario
from .stats import mean_ci
from .warmup import WarmupWarning, check_warmup, warmup_message

__all__ = ["DASK_ADDRESS_ENV", "EXECUTORS", "PrecisionWarning", "execute", "executor_session",
           "replication_tasks", "replications_needed", "run", "warn_warmup"]

Task = tuple[Scenario, int, int]
Progress = Callable[[int, int], None]
RunTasks = Callable[[list[Task], "Progress | None"], list[ReplicationData]]

EXECUTORS = ("serial", "processes", "dask")
"""Names accepted by ``executor=`` (a ``dask.distributed.Client`` is accepted too)."""

DASK_ADDRESS_ENV = "CORRIDOR_SIM_DASK_ADDRESS"
"""Environment variable with the address of a Dask scheduler (``tcp://host:8786``)."""

DEFAULT_MAX_REPLICATIONS = 200


class PrecisionWarning(UserWarning):
    """``max_replications`` was reached before a KPI's target half-width."""


def replication_tasks(scenario: Scenario, replications: int | None = None,
                      seed: int | None = None) -> list[Task]:
    """List the ``(scenario, replication, seed)`` tasks of a run.

    Parameters
    ----------
    scenario : Scenario
    replications : int, optional
        Default: the scenario's ``replications``.
    seed : int, optional
        Default: the scenario's ``seed``.

    Returns
    -------
    list of tuple
        Replications numbered ``0 … n-1``, all with the same base seed.
    """
    n = scenario.replications if replications is None else replications
    s = scenario.seed if seed is None else seed
    problems = []
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        problems.append(Problem("replications", f"must be an integer ≥ 1, got {n!r}"))
    if isinstance(s, bool) or not isinstance(s, int) or s < 0:
        problems.append(Problem("seed", f"must be an integer ≥ 0, got {s!r}"))
    if problems:
        raise ScenarioError(problems)
    return [(scenario, r, s) for r in range(n)]


def _simulate_task(task: Task) -> ReplicationData:
    return simulate(*task)


# --------------------------------------------------------------------------- executors


def _run_serial(tasks: list[Task], progress: Progress | None) -> list[ReplicationData]:
    out = []
    for i, task in enumerate(tasks):
        out.append(_simulate_task(task))
        if progress:
            progress(i + 1, len(tasks))
    return out


def _processes(workers: int) -> RunTasks:
    def run_tasks(tasks: list[Task], progress: Progress | None) -> list[ReplicationData]:
        if workers == 1 or len(tasks) <= 1:
            return _run_serial(tasks, progress)
        out: list[ReplicationData | None] = [None] * len(tasks)
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
            futures = {pool.submit(_simulate_task, t): i for i, t in enumerate(tasks)}
            for done, fut in enumerate(as_completed(futures), 1):
                out[futures[fut]] = fut.result()
                if progress:
                    progress(done, len(tasks))
        return [d for d in out if d is not None]

    return run_tasks


def _dask(client: Any) -> RunTasks:
    from distributed import as_completed as dask_completed

    def run_tasks(tasks: list[Task], progress: Progress | None) -> list[ReplicationData]:
        if not tasks:
            return []
        futures = client.map(_simulate_task, tasks, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        out: list[ReplicationData | None] = [None] * len(tasks)
        try:
            for done, fut in enumerate(dask_completed(futures), 1):
                out[index[fut.key]] = fut.result()
                if progress:
                    progress(done, len(tasks))
        finally:
            for f in futures:
                f.release()
        return [d for d in out if d is not None]

    return run_tasks


def _dask_client(workers: int, address: str | None) -> tuple[Any, Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ScenarioError([Problem("executor", "executor='dask' needs dask.distributed: "
                                     "pip install 'corridor_sim[dask]'")]) from None
    address = address or os.environ.get(DASK_ADDRESS_ENV) or None
    if address:
        try:
            return Client(address, timeout="10s"), None
        except (OSError, TimeoutError) as err:
            raise ScenarioError([Problem("address", f"cannot reach the Dask scheduler at "
                                         f"{address!r}: {err}")]) from err
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster


@contextmanager
def executor_session(executor: str | Any | None = None, *, workers: int = 1,
                     address: str | None = None) -> Iterator[RunTasks]:
    """Open an executor for one or more batches of replication tasks.

    A Dask cluster started here is closed on exit; a ``Client`` passed in is left open.

    Parameters
    ----------
    executor : {"serial", "processes", "dask"} or dask.distributed.Client, optional
        Default: ``"processes"`` when ``workers > 1``, ``"dask"`` when ``address`` is given,
        otherwise ``"serial"``.
    workers : int, default 1
        Local worker processes (``"processes"``), or workers of the local Dask cluster.
    address : str, optional
        Address of a running Dask scheduler (``"tcp://host:8786"``); default the environment
        variable ``CORRIDOR_SIM_DASK_ADDRESS``, else a new ``LocalCluster``.

    Yields
    ------
    callable
        ``run_tasks(tasks, progress)`` → list of ``ReplicationData`` in the order of
        ``tasks``.
    """
    problems = []
    if isinstance(workers, bool) or not isinstance(workers, int):
        problems.append(Problem("workers", f"must be an integer ≥ 1, got {workers!r}"))
    elif workers < 1:
        problems.append(Problem("workers", f"must be ≥ 1, got {workers!r}"))
    is_client = executor is not None and not isinstance(executor, str)
    if is_client and not (hasattr(executor, "map") and hasattr(executor, "gather")):
        problems.append(Problem("executor", f"must be one of {', '.join(EXECUTORS)} or a "
                                f"dask.distributed.Client, got {executor!r}"))
    elif isinstance(executor, str) and executor not in EXECUTORS:
        from .scenario.references import suggest

        problems.append(Problem("executor", f"must be one of {', '.join(EXECUTORS)}, got "
                                f"{executor!r}" + suggest(executor, list(EXECUTORS))))
    if address is not None and executor not in (None, "dask"):
        problems.append(Problem("address", f"only applies to executor='dask', not "
                                f"{executor!r}"))
    if problems:
        raise ScenarioError(problems)
    if is_client:
        yield _dask(executor)
        return
    name = executor or ("dask" if address else "processes" if workers > 1 else "serial")
    if name == "serial":
        yield _run_serial
    elif name == "processes":
        yield _processes(workers)
    else:
        client, cluster = _dask_client(workers, address)
        try:
            yield _dask(client)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def execute(tasks: list[Task], *, workers: int = 1, executor: str | Any | None = None,
            address: str | None = None, progress: Progress | None = None
            ) -> list[ReplicationData]:
    """Run replication tasks on an executor.

    Parameters
    ----------
    tasks : list of tuple
        ``(scenario, replication, seed)`` each.
    workers : int, default 1
        Worker processes; 1 runs in this process.
    executor : {"serial", "processes", "dask"} or dask.distributed.Client, optional
        See :func:`executor_session`.
    address : str, optional
        Dask scheduler address (see :func:`executor_session`).
    progress : callable, optional
        ``progress(done, total)`` after each finished task.

    Returns
    -------
    list of ReplicationData
        In the order of ``tasks``, whichever executor ran them.
    """
    with executor_session(executor, workers=workers, address=address) as run_tasks:
        return run_tasks(tasks, progress)


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
            or max_replications < first:
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
        address: str | None = None, progress: Progress | bool = False,
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
    progress : bool or callable, default False
        ``True`` shows a progress bar; a callable gets ``(done, total)`` per batch.
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
    tasks = replication_tasks(sc, replications, seed)
    targets = _check_targets(target_halfwidth, max_replications, len(tasks))
    report = _progress(progress, sc.name)
    with executor_session(executor, workers=workers, address=address) as run_tasks:
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
            seed_ = tasks[0][2]
            data = data + run_tasks([(sc, r, seed_) for r in range(n, more)], report)
            res = Results.combine(sc, data)
    if warmup_check:
        warn_warmup(res)
    return res


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


class _Bar:
    """A tqdm progress bar per batch of tasks."""

    def __init__(self, label: str) -> None:
        self.label, self.bar, self.batches = label, None, 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm.auto import tqdm

            self.batches += 1
            desc = self.label if self.batches == 1 else f"{self.label} (more)"
            self.bar = tqdm(total=total, desc=desc, unit="rep")
        self.bar.update(done - self.bar.n)
        if done == total:
            self.bar.close()
            self.bar = None


def _progress(progress: Progress | bool, label: str) -> Progress | None:
    if callable(progress):
        return progress
    return _Bar(label) if progress else None
