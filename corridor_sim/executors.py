"""Executors: where replication tasks run — this process, local worker processes, or Dask.

Each task is the pure function :func:`corridor_sim.replication.run_replication` of one
replication task (scenario, replication number, seed, …), so the executor never changes the
results: serial, local processes (``workers=N``) and a Dask distributed cluster
(``executor="dask"``) give identical numbers. The executors pass whatever
``run_replication`` returns back unchanged, in the order of the tasks.

Failures are reported, not waited on:

- a local worker process that dies (killed, out of memory) is replaced, and its task runs
  once more on the new process; if that one dies too, an :class:`ExecutorError` says so;
- a Dask worker that dies has its tasks rerun on other workers by the scheduler (up to
  ``distributed.scheduler.allowed-failures`` times, then an :class:`ExecutorError`), and when
  **no** worker has been alive for ``no_worker_timeout_s`` seconds the run stops with an
  :class:`ExecutorError` instead of waiting forever;
- a Dask scheduler address that is malformed or does not answer is a :class:`ScenarioError`
  naming the address.

Workers never outlive their parent: local worker processes watch the process that started them
and exit when it is gone (even after a ``SIGKILL`` of the parent, which cannot be caught), and
while a pool or a local cluster is open, ``SIGTERM`` unwinds the parent (``SystemExit(143)``)
so that the pool is terminated on the way out.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection, wait
from typing import Any

from .errors import CorridorSimError, Problem, ScenarioError
from .replication import run_replication

__all__ = ["DASK_ADDRESS_ENV", "DASK_NO_WORKER_TIMEOUT_ENV", "DEFAULT_NO_WORKER_TIMEOUT_S",
           "EXECUTORS", "ExecutorError", "Progress", "RunTasks", "Task", "execute",
           "executor_session", "progress_reporter", "show_progress_by_default"]

Task = tuple[Any, ...]
"""One replication task, ``(scenario, replication, seed, …)``, as ``run_replication`` takes it."""
Progress = Callable[[int, int], None]
RunTasks = Callable[[list[Task], "Progress | None"], list[Any]]

EXECUTORS = ("serial", "processes", "dask")
"""Names accepted by ``executor=`` (a ``dask.distributed.Client`` is accepted too)."""

DASK_ADDRESS_ENV = "CORRIDOR_SIM_DASK_ADDRESS"
"""Environment variable with the address of a Dask scheduler (``tcp://host:8786``)."""

DASK_NO_WORKER_TIMEOUT_ENV = "CORRIDOR_SIM_DASK_NO_WORKER_TIMEOUT"
"""Environment variable: seconds a Dask run waits while no worker is alive (default 300)."""

DEFAULT_NO_WORKER_TIMEOUT_S = 300.0
"""Seconds a Dask run waits while the cluster has no worker at all, then gives up."""

CONNECT_TIMEOUT_S = 10.0
"""Seconds to wait for a Dask scheduler to answer when connecting to it."""

PROCESS_RETRIES = 1
"""How many times a task whose local worker process died is run again on a new process."""

PARENT_POLL_S = 0.5
"""Interval [s] at which a local worker process checks that its parent is alive."""

_POLL_S = 1.0  # interval [s] at which a Dask run checks the cluster while nothing finishes


class ExecutorError(CorridorSimError, RuntimeError):
    """Replications could not be run: workers died, or a Dask cluster had no worker left."""


def _describe(task: Task) -> str:
    """``replication 3 of 'baseline'`` for a ``(scenario, replication, …)`` task."""
    try:
        return f"replication {task[1]} of {task[0].name!r}"
    except (AttributeError, IndexError, TypeError):
        return "a replication"


# --------------------------------------------------------------------------- serial


def _run_serial(tasks: list[Task], progress: Progress | None) -> list[Any]:
    out = []
    for i, task in enumerate(tasks):
        out.append(run_replication(task))
        if progress:
            progress(i + 1, len(tasks))
    return out


# --------------------------------------------------------------------------- local processes


def _process_start_time(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _parent_alive(pid: int, direct: bool, started: float | None) -> bool:
    """Whether the process ``pid`` that started this worker still runs.

    A direct child is re-parented the moment its parent dies, so ``os.getppid()`` tells (a
    parent that died but was not yet reaped counts as dead). Otherwise (workers started through
    a fork server) the pid must still exist, with the same start time and not as a zombie.
    """
    if direct:
        return os.getppid() == pid
    import psutil

    try:
        proc = psutil.Process(pid)
        return proc.create_time() == started and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _watch_parent(pid: int, interval_s: float) -> None:
    direct = os.getppid() == pid
    started = None if direct else _process_start_time(pid)
    while _parent_alive(pid, direct, started):
        time.sleep(interval_s)
    os._exit(1)  # the parent is gone: nobody will collect this worker's results


def _start_parent_watch(parent_pid: int, interval_s: float = PARENT_POLL_S) -> None:
    """Start a daemon thread that ends this process when ``parent_pid`` is gone."""
    threading.Thread(target=_watch_parent, args=(parent_pid, interval_s),
                     name="corridor_sim-parent-watch", daemon=True).start()


def _worker_init(parent_pid: int) -> None:
    """Set up a local worker process.

    Ctrl-C reaches the whole process group: the parent handles it and terminates its workers,
    so a worker ignores SIGINT. SIGTERM ends a worker at once (a handler inherited through
    ``fork`` is reset).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _start_parent_watch(parent_pid)


def _portable(err: BaseException) -> BaseException:
    """``err`` with the worker's traceback as a note, or a RuntimeError if it cannot pickle."""
    text = "".join(traceback.format_exception(err))
    try:
        pickle.dumps(err)
    except Exception:  # noqa: BLE001 - any pickling failure
        err = RuntimeError(f"{type(err).__name__}: {err}")
    if hasattr(err, "add_note"):  # Python ≥ 3.11
        err.add_note(f"raised in worker process {os.getpid()}:\n{text}")
    return err


def _worker_main(conn: Connection, parent_pid: int) -> None:
    """A local worker process: run the tasks the parent sends, one at a time, until ``None``."""
    _worker_init(parent_pid)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        i, task = message
        try:
            reply = (i, True, run_replication(task))
        except BaseException as err:  # noqa: BLE001 - sent to the parent, raised there
            reply = (i, False, _portable(err))
        try:
            conn.send(reply)  # pickled whole before anything is written
        except Exception as err:  # noqa: BLE001 - e.g. a result that does not pickle
            conn.send((i, False, _portable(err)))


class _Worker:
    """A local worker process and the parent's end of its pipe."""

    def __init__(self, parent_pid: int) -> None:
        ctx = multiprocessing.get_context()
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_main, args=(child, parent_pid), daemon=True,
                                   name="corridor_sim-worker")
        self.process.start()
        child.close()  # the worker holds the only other end: its death reads as EOF here
        self.task: int | None = None

    def stop(self, now: bool) -> None:
        """Ask the worker to finish (``now=False``) or terminate it; reap it either way."""
        if not now:
            with suppress(OSError):
                self.conn.send(None)
            self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


_MISSING = object()


def _processes(workers: int) -> RunTasks:
    """Local worker processes, each running one task at a time.

    Each worker has a pipe of its own, so a worker that dies, even in the middle of sending a
    result, is seen at once (the pipe reads as closed) and its task runs again on a new
    process, up to ``PROCESS_RETRIES`` times. (``concurrent.futures.ProcessPoolExecutor`` can
    wait forever when a worker is killed while sending a result, as the OOM killer does.)
    """
    log = logging.getLogger(__name__)

    def run_tasks(tasks: list[Task], progress: Progress | None) -> list[Any]:
        if workers == 1 or len(tasks) <= 1:
            return _run_serial(tasks, progress)
        out: list[Any] = [_MISSING] * len(tasks)
        todo = deque(range(len(tasks)))
        deaths = [0] * len(tasks)
        pool: list[_Worker] = []
        done, finished = 0, False

        def start_next(w: _Worker) -> None:
            w.task = todo.popleft() if todo else None
            if w.task is not None:
                w.conn.send((w.task, tasks[w.task]))

        def replace(w: _Worker) -> None:
            pool.remove(w)
            w.stop(now=True)
            i = w.task
            if i is not None:
                deaths[i] += 1
                if deaths[i] > PROCESS_RETRIES:
                    left = sum(d is _MISSING for d in out)
                    raise ExecutorError(
                        f"the worker process running {_describe(tasks[i])} died (killed, or out "
                        f"of memory?) {deaths[i]} time{'s' if deaths[i] > 1 else ''}; {left} of "
                        f"{len(tasks)} replications unfinished; try fewer workers, or check the "
                        f"memory available")
                log.warning("a worker process died while running %s; running it again on a "
                            "new worker process", _describe(tasks[i]))
                todo.appendleft(i)
            else:
                log.warning("a worker process died between replications; starting a new one")
            if todo:
                new = _Worker(os.getpid())
                pool.append(new)
                try:
                    start_next(new)
                except OSError as err:
                    raise ExecutorError("a new worker process died as soon as it started; "
                                        "check the memory available") from err

        try:
            for _ in range(min(workers, len(tasks))):
                pool.append(_Worker(os.getpid()))
            for w in list(pool):
                try:
                    start_next(w)
                except OSError:
                    replace(w)
            while any(w.task is not None for w in pool):
                busy = [w for w in pool if w.task is not None]
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for w in busy:
                    if w.conn not in ready and w.process.sentinel not in ready:
                        continue
                    try:
                        i, ok, value = w.conn.recv()
                    except (EOFError, OSError):
                        replace(w)
                        continue
                    if not ok:
                        raise value
                    out[i] = value
                    done += 1
                    if progress:
                        progress(done, len(tasks))
                    try:
                        start_next(w)
                    except OSError:  # died between tasks: the task it was sent is not its fault
                        todo.appendleft(w.task)
                        w.task = None
                        replace(w)
            finished = True
        finally:
            # done: workers finish; an error, Ctrl-C or SIGTERM: do not wait for running tasks
            for w in pool:
                w.stop(now=not finished)
        return out

    return run_tasks


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """While the body runs, SIGTERM raises ``SystemExit(143)`` so that pools are closed.

    A handler installed before (e.g. by the command line) is called instead, and decides; an
    ignored SIGTERM stays ignored. Only the main thread can set handlers; elsewhere this does
    nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_IGN or previous is None:
        yield
        return

    def unwind(signum: int, frame: Any) -> None:
        if callable(previous):
            previous(signum, frame)
            return
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------- Dask


def _no_worker_timeout(value: float | None) -> float:
    if value is not None:
        return float(value)
    text = os.environ.get(DASK_NO_WORKER_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_NO_WORKER_TIMEOUT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0:
        raise ScenarioError([Problem(DASK_NO_WORKER_TIMEOUT_ENV, f"must be a number of seconds "
                                     f"> 0, got {text!r}")])
    return seconds


def _n_workers(client: Any) -> int:
    try:
        return len(client.nthreads())
    except Exception:  # noqa: BLE001 - a scheduler that cannot be asked has no usable worker
        return 0


def _dask_failure(err: BaseException, task: Task) -> BaseException:
    """The error to raise for a failed Dask task: a lost worker is explained, others kept."""
    from distributed import KilledWorker

    if isinstance(err, KilledWorker):
        return ExecutorError(
            f"{_describe(task)} was running on Dask workers that died each time it was "
            f"tried (killed, or out of memory?): {err}")
    return err


def _dask(client: Any, no_worker_timeout_s: float) -> RunTasks:
    def run_tasks(tasks: list[Task], progress: Progress | None) -> list[Any]:
        if not tasks:
            return []
        finished: queue.SimpleQueue[int] = queue.SimpleQueue()
        futures = client.map(run_replication, tasks, pure=False)
        for i, fut in enumerate(futures):
            fut.add_done_callback(lambda _f, i=i: finished.put(i))
        out: list[Any] = [_MISSING] * len(tasks)
        done, ok = 0, False
        last_worker = time.monotonic()
        try:
            while done < len(tasks):
                try:
                    i = finished.get(timeout=_POLL_S)
                except queue.Empty:
                    now = time.monotonic()
                    if _n_workers(client):
                        last_worker = now
                    elif now - last_worker > no_worker_timeout_s:
                        raise ExecutorError(
                            f"no Dask worker has been alive for {no_worker_timeout_s:g} s "
                            f"({len(tasks) - done} of {len(tasks)} replications unfinished); "
                            f"start workers for the scheduler, or set "
                            f"{DASK_NO_WORKER_TIMEOUT_ENV} to wait longer") from None
                    continue
                last_worker = time.monotonic()  # a task finished: a worker was alive
                fut = futures[i]
                if fut.status == "cancelled":
                    raise ExecutorError(f"{_describe(tasks[i])} was cancelled on the Dask "
                                        f"cluster (scheduler restarted or connection lost?)")
                if fut.status == "error":
                    err = fut.exception()
                    raise _dask_failure(err, tasks[i]) from err
                out[i] = fut.result()
                fut.release()  # the worker's copy is no longer needed
                done += 1
                if progress:
                    progress(done, len(tasks))
            ok = True
        finally:
            if ok:
                for f in futures:
                    f.release()
            else:
                with suppress(Exception):  # the run failed already: report that
                    client.cancel(futures)
        return out

    return run_tasks


def _check_address(address: str) -> str:
    """Parse a scheduler address; a malformed one is a ScenarioError naming it."""
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    example = "expected tcp://HOST:PORT, e.g. tcp://scheduler-host:8786"
    if not isinstance(address, str) or not address.strip():
        raise ScenarioError([Problem("address", f"{example}; got {address!r}")])
    address = address.strip()
    try:
        scheme, location = parse_address(address, strict=False)
        if scheme not in ("tcp", "tls", "ws", "wss", "ucx", "inproc"):
            raise ValueError(f"unknown scheme {scheme!r}")
        if scheme in ("tcp", "tls", "ws", "wss"):
            _, port = parse_host_port(location)
            if not 0 < int(port) < 65536:
                raise ValueError(f"port {port} out of range")
    except (ValueError, TypeError) as err:
        raise ScenarioError([Problem("address", f"not a Dask scheduler address: {address!r} "
                                     f"({err}); {example}")]) from None
    if "://" not in address:
        address = f"{scheme}://{address}"
    return address


async def _identity(address: str, timeout_s: float) -> dict:
    from distributed.comm import connect

    comm = await asyncio.wait_for(connect(address, timeout=timeout_s), timeout_s + 1)
    try:
        await asyncio.wait_for(comm.write({"op": "identity", "reply": True}), timeout_s)
        return await asyncio.wait_for(comm.read(), timeout_s)
    finally:
        comm.abort()


def _probe_scheduler(address: str, timeout_s: float) -> None:
    """Check that a Dask scheduler answers at ``address`` within ``timeout_s``.

    ``distributed.Client`` waits forever on a port where something else listens, and leaves
    a half-built client behind when it fails; a short handshake in a thread of its own (which
    also works where an event loop already runs, as in a notebook) avoids both.
    """
    box: dict[str, Any] = {}

    def ask() -> None:
        try:
            box["identity"] = asyncio.run(_identity(address, timeout_s))
        except BaseException as err:  # noqa: BLE001 - reported below
            box["error"] = err

    thread = threading.Thread(target=ask, name="corridor_sim-dask-probe", daemon=True)
    thread.start()
    thread.join(2 * timeout_s + 2)
    identity = box.get("identity")
    if isinstance(identity, dict) and identity.get("type") == "Scheduler":
        return
    if "error" in box and not isinstance(box["error"], asyncio.TimeoutError | TimeoutError):
        why = f"{box['error']}".strip() or type(box["error"]).__name__
    elif identity is not None:
        why = "something answered there, but not a Dask scheduler"
    else:
        why = f"no answer within {timeout_s:g} s (is something else listening on that port?)"
    raise ScenarioError([Problem("address", f"cannot reach a Dask scheduler at {address!r}: "
                                 f"{why}; check the host, the port (dask-scheduler's default is "
                                 f"8786) and the firewall")])


def _dask_client(workers: int, address: str | None) -> tuple[Any, Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ScenarioError([Problem("executor", "executor='dask' needs dask.distributed: "
                                     "pip install 'corridor_sim[dask]'")]) from None
    if address is None:
        address = os.environ.get(DASK_ADDRESS_ENV) or None
    if address is not None:
        address = _check_address(address)
        _probe_scheduler(address, CONNECT_TIMEOUT_S)
        try:
            return Client(address, timeout=f"{CONNECT_TIMEOUT_S}s",
                          set_as_default=False), None
        except (OSError, TimeoutError) as err:
            raise ScenarioError([Problem("address", f"cannot reach the Dask scheduler at "
                                         f"{address!r}: {err}")]) from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster, set_as_default=False), cluster


# --------------------------------------------------------------------------- sessions


@contextmanager
def executor_session(executor: str | Any | None = None, *, workers: int = 1,
                     address: str | None = None,
                     no_worker_timeout_s: float | None = None) -> Iterator[RunTasks]:
    """Open an executor for one or more batches of replication tasks.

    A Dask cluster or process pool started here is closed on exit, and terminated on an
    error, on Ctrl-C and on SIGTERM; a ``Client`` passed in is left open.

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
    no_worker_timeout_s : float, optional
        Dask only: give up with an :class:`ExecutorError` when no worker has been alive for
        this many seconds [s]; default ``$CORRIDOR_SIM_DASK_NO_WORKER_TIMEOUT``, else 300.
        A long run with live workers never times out.

    Yields
    ------
    callable
        ``run_tasks(tasks, progress)`` → what ``run_replication`` returned for each task, in
        the order of ``tasks``.

    Raises
    ------
    ScenarioError
        Bad settings, or a Dask scheduler address that is malformed or does not answer.
    ExecutorError
        From ``run_tasks``: workers died, or a Dask cluster had no worker left.
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
    if no_worker_timeout_s is not None and not (
            isinstance(no_worker_timeout_s, int | float) and no_worker_timeout_s > 0):
        problems.append(Problem("no_worker_timeout_s", f"must be a number of seconds > 0, got "
                                f"{no_worker_timeout_s!r}"))
    if problems:
        raise ScenarioError(problems)
    name = "client" if is_client else (
        executor or ("dask" if address else "processes" if workers > 1 else "serial"))
    if name == "serial":
        yield _run_serial
        return
    if name == "processes":
        with _sigterm_unwinds():
            yield _processes(workers)
        return
    timeout = _no_worker_timeout(no_worker_timeout_s)
    if name == "client":
        yield _dask(executor, timeout)
        return
    with _sigterm_unwinds():
        client, cluster = _dask_client(workers, address)
        try:
            yield _dask(client, timeout)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def execute(tasks: list[Task], *, workers: int = 1, executor: str | Any | None = None,
            address: str | None = None, progress: Progress | bool | None = False,
            no_worker_timeout_s: float | None = None) -> list[Any]:
    """Run replication tasks on an executor.

    Parameters
    ----------
    tasks : list of tuple
        Replication tasks, ``(scenario, replication, seed, …)`` each.
    workers : int, default 1
        Worker processes; 1 runs in this process.
    executor : {"serial", "processes", "dask"} or dask.distributed.Client, optional
        See :func:`executor_session`.
    address : str, optional
        Dask scheduler address (see :func:`executor_session`).
    progress : bool, callable or None, default False
        See :func:`progress_reporter`; ``None`` shows a bar where a person watches.
    no_worker_timeout_s : float, optional
        See :func:`executor_session`.

    Returns
    -------
    list
        What ``run_replication`` returned for each task, in the order of ``tasks``, whichever
        executor ran them.
    """
    with executor_session(executor, workers=workers, address=address,
                          no_worker_timeout_s=no_worker_timeout_s) as run_tasks:
        return run_tasks(tasks, progress_reporter(progress, "replications"))


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


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001 - an IPython we cannot ask is not a notebook
        return False
    return getattr(shell, "kernel", None) is not None


def show_progress_by_default() -> bool:
    """Whether ``progress=None`` shows a bar: where a person is likely to watch.

    Yes in a notebook (a Jupyter kernel) and when stderr is a terminal; no when the ``CI``
    environment variable is set (to anything but ``0``/``false``/``no``) or when stderr is
    piped or redirected to a file.

    Returns
    -------
    bool
    """
    if _in_ci():
        return False
    if _in_notebook():
        return True
    try:
        return bool(sys.stderr is not None and sys.stderr.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def progress_reporter(progress: Progress | bool | None, label: str) -> Progress | None:
    """Turn a ``progress`` argument into a ``(done, total)`` callback, or ``None``.

    Parameters
    ----------
    progress : bool, callable or None
        ``True`` for a tqdm bar (``tqdm.auto``: a widget in notebooks), a callable to be called
        as is, ``False`` for none, ``None`` for a bar only where a person watches (see
        :func:`show_progress_by_default`).
    label : str
        Description shown on the bar.

    Returns
    -------
    callable or None
    """
    if callable(progress):
        return progress
    if progress is None:
        progress = show_progress_by_default()
    return _Bar(label) if progress else None
