"""Running experiments: replications of a scenario, serially or in local processes.

Each replication is the pure function :func:`corridor_sim.engine.simulate` of
``(scenario, replication, seed)``, so the executor never changes the results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from .engine import ReplicationData, simulate
from .errors import Problem, ScenarioError
from .results import Results
from .scenario.loader import load_scenario
from .scenario.schema import Scenario

__all__ = ["execute", "replication_tasks", "run"]

Task = tuple[Scenario, int, int]


def replication_tasks(scenario: Scenario, replications: int | None = None,
                      seed: int | None = None) -> list[Task]:
    """The ``(scenario, replication, seed)`` tasks of a run.

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
    """
    n = scenario.replications if replications is None else replications
    s = scenario.seed if seed is None else seed
    problems = []
    if not isinstance(n, int) or n < 1:
        problems.append(Problem("replications", f"must be an integer ≥ 1, got {n!r}"))
    if not isinstance(s, int) or s < 0:
        problems.append(Problem("seed", f"must be an integer ≥ 0, got {s!r}"))
    if problems:
        raise ScenarioError(problems)
    return [(scenario, r, s) for r in range(n)]


def _simulate_task(task: Task) -> ReplicationData:
    return simulate(*task)


def execute(tasks: list[Task], *, workers: int = 1,
            progress: Callable[[int, int], None] | None = None) -> list[ReplicationData]:
    """Run replication tasks, serially or in local worker processes.

    Parameters
    ----------
    tasks : list of tuple
        ``(scenario, replication, seed)`` each.
    workers : int, default 1
        Worker processes; 1 runs in this process.
    progress : callable, optional
        ``progress(done, total)`` after each finished task.

    Returns
    -------
    list of ReplicationData
        In the order of ``tasks``.
    """
    if workers < 1:
        raise ScenarioError([Problem("workers", f"must be ≥ 1, got {workers!r}")])
    out: list[ReplicationData | None] = [None] * len(tasks)
    if workers == 1 or len(tasks) == 1:
        for i, task in enumerate(tasks):
            out[i] = _simulate_task(task)
            if progress:
                progress(i + 1, len(tasks))
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
            futures = {pool.submit(_simulate_task, t): i for i, t in enumerate(tasks)}
            for done, fut in enumerate(as_completed(futures), 1):
                out[futures[fut]] = fut.result()
                if progress:
                    progress(done, len(tasks))
    return [d for d in out if d is not None]


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def run(scenario: Scenario | str | Path, *, replications: int | None = None,
        seed: int | None = None, workers: int = 1,
        progress: Callable[[int, int], None] | bool = False) -> Results:
    """Run replications of a scenario.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A scenario, a YAML file, or a bundled scenario's name.
    replications : int, optional
        Number of replications; default the scenario's.
    seed : int, optional
        Base seed; default the scenario's. Same scenario and seed give identical results.
    workers : int, default 1
        Local worker processes; the results do not depend on it.
    progress : bool or callable, default False
        ``True`` shows a progress bar; a callable gets ``(done, total)``.

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
    return Results.combine(sc, execute(tasks, workers=workers, progress=_progress(progress,
                                                                              sc.name)))


def _progress(progress: Callable[[int, int], None] | bool, label: str
              ) -> Callable[[int, int], None] | None:
    if callable(progress):
        return progress
    if not progress:
        return None
    from tqdm.auto import tqdm

    bar: list = []

    def update(done: int, total: int) -> None:
        if not bar:
            bar.append(tqdm(total=total, desc=label, unit="rep"))
        bar[0].update(done - bar[0].n)
        if done == total:
            bar[0].close()

    return update


