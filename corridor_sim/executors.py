"""Executors: where replication tasks run — this process, local worker processes, or Dask.

Each task is the pure function :func:`corridor_sim.replication.run_replication` of
``(scenario, replication, seed, keep)``, so the executor never changes the results: serial, local
processes (``workers=N``) and a Dask distributed cluster (``executor="dask"``) give identical
numbers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any

from .errors import Problem, ScenarioError
from .records import ReplicationData
from .replication import run_replication
from .scenario.schema import Scenario

__all__ = ["DASK_ADDRESS_ENV", "EXECUTORS", "Progress", "RunTasks", "Task", "execute",
           "executor_session", "progress_reporter"]

Task = tuple[Scenario, int, int]
Progress = Callable[[int, int], None]
RunTasks = Callable[[list[Task], "Progress | None"], list[ReplicationData]]

EXECUTORS = ("serial", "processes", "dask")
"""Names accepted by ``executor=`` (a ``dask.distributed.Client`` is accepted too)."""

DASK_ADDRESS_ENV = "CORRIDOR_SIM_DASK_ADDRESS"
"""Environment variable with the address of a Dask scheduler (``tcp://host:8786``)."""




# --------------------------------------------------------------------------- executors


def _run_serial(tasks: list[Task], progress: Progress | None) -> list[ReplicationData]:
    out = []
    for i, task in enumerate(tasks):
        out.append(run_replication(task))
        if progress:
            progress(i + 1, len(tasks))
    return out


def _processes(workers: int) -> RunTasks:
    def run_tasks(tasks: list[Task], progress: Progress | None) -> list[ReplicationData]:
        if workers == 1 or len(tasks) <= 1:
            return _run_serial(tasks, progress)
        out: list[ReplicationData | None] = [None] * len(tasks)
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
            futures = {pool.submit(run_replication, t): i for i, t in enumerate(tasks)}
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
        futures = client.map(run_replication, tasks, pure=False)
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


# --------------------------------------------------------------------------- progress


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


def progress_reporter(progress: Progress | bool, label: str) -> Progress | None:
    """Turn a ``progress`` argument into a ``(done, total)`` callback, or ``None``.

    Parameters
    ----------
    progress : bool or callable
        ``True`` for a tqdm bar, a callable to be called as is, ``False`` for none.
    label : str
        Description shown on the bar.

    Returns
    -------
    callable or None
    """
    if callable(progress):
        return progress
    return _Bar(label) if progress else None
