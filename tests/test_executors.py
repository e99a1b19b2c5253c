"""Executors give identical results: serial, local processes and Dask; run to a precision.

Failures are clean: a lost worker is retried or reported, a Dask cluster without workers times
out, a bad scheduler address is a ScenarioError; ``progress=None`` shows a bar only where a
person watches.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import corridor_sim as cs
from corridor_sim import executors
from corridor_sim.cli import main
from corridor_sim.errors import ScenarioError
from corridor_sim.executors import ExecutorError, progress_reporter, show_progress_by_default
from corridor_sim.experiment import DASK_ADDRESS_ENV, PrecisionWarning, execute, replication_tasks

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scenario() -> cs.Scenario:
    return cs.bundled("single_checkpoint").with_changes({"horizon_days": 12, "warmup_days": 2})


@pytest.fixture(scope="module")
def serial(scenario) -> cs.Results:
    return cs.run(scenario, replications=4, seed=11, warmup_check=False, keep="all")


@pytest.fixture(scope="module")
def longer() -> cs.Scenario:
    """About half a second of work per replication: long enough to lose a worker mid-run."""
    return cs.bundled("single_checkpoint").with_changes({"horizon_days": 600, "warmup_days": 5})


@pytest.fixture(scope="module")
def longer_serial(longer) -> cs.Results:
    return cs.run(longer, replications=4, seed=3, warmup_check=False)


@pytest.fixture(scope="module")
def cluster():
    """A local Dask cluster of two worker processes, shared by the tests that need one."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=logging.ERROR) as c:
        yield c


def assert_identical(a: cs.Results, b: cs.Results) -> None:
    assert [o.replication for o in a.outcomes] == [o.replication for o in b.outcomes]
    pd.testing.assert_frame_equal(a.kpis, b.kpis, check_exact=True)
    for oa, ob in zip(a.outcomes, b.outcomes, strict=True):  # reduced where they ran
        np.testing.assert_array_equal(oa.series.throughput, ob.series.throughput)
        np.testing.assert_array_equal(oa.series.queue, ob.series.queue)
    kept = {d.replication: d for d in b.data}
    for da in a.data:  # raw columns, where both kept them
        if da.replication not in kept:
            continue
        db = kept[da.replication]
        columns = da.columns
        assert columns.keys() == db.columns.keys()
        for key in columns:
            np.testing.assert_array_equal(columns[key], db.columns[key], err_msg=key)


def new_children(before: set[int]) -> list[int]:
    """Pids of this process's child processes started since ``before`` was taken."""
    import psutil

    return [p.pid for p in psutil.Process().children() if p.pid not in before]


def children() -> set[int]:
    import psutil

    return {p.pid for p in psutil.Process().children()}


def test_local_processes_equal_serial(scenario, serial):
    assert_identical(serial, cs.run(scenario, replications=4, seed=11, workers=2,
                                    warmup_check=False, keep="all"))


def test_dask_local_cluster_equals_serial(scenario, serial):
    res = cs.run(scenario, replications=4, seed=11, workers=2, executor="dask",
                 warmup_check=False)
    assert_identical(serial, res)


def test_dask_existing_cluster_by_address_env_and_client(scenario, serial, cluster,
                                                         monkeypatch):
    by_address = cs.run(scenario, replications=4, seed=11, executor="dask",
                        address=cluster.scheduler_address, warmup_check=False)
    assert_identical(serial, by_address)
    monkeypatch.setenv(DASK_ADDRESS_ENV, cluster.scheduler_address)
    by_env = cs.run(scenario, replications=4, seed=11, executor="dask", warmup_check=False)
    assert_identical(serial, by_env)
    with distributed.Client(cluster) as client:
        by_client = cs.run(scenario, replications=4, seed=11, executor=client,
                           warmup_check=False)
        assert_identical(serial, by_client)
        assert client.status == "running"  # a client passed in is left open


def test_dask_sweep_on_a_cluster_of_several_workers(scenario, cluster):
    factors = {"nodes.border.lanes.general": [3, 4]}
    serial = cs.sweep(scenario, factors, replications=3, seed=4, warmup_check=False)
    on_dask = cs.sweep(scenario, factors, replications=3, seed=4, executor="dask",
                       address=cluster.scheduler_address, warmup_check=False)
    assert list(on_dask.results) == list(serial.results)
    for name in serial.results:
        assert_identical(serial.results[name], on_dask.results[name])
    assert len(cluster.scheduler_info["workers"]) == 2


def test_execute_keeps_task_order_and_reports_progress(scenario):
    tasks = replication_tasks(scenario, 3, 5)[::-1]
    seen = []
    out = execute(tasks, workers=2, progress=lambda done, total: seen.append((done, total)))
    assert [d.replication for d in out] == [2, 1, 0]
    assert seen[-1] == (3, 3) and len(seen) == 3


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"executor": "dusk"}, "did you mean 'dask'"),
    ({"executor": "processes", "address": "tcp://x:1"}, "address"),
    ({"workers": 0}, "workers"),
    ({"executor": 3}, "executor"),
])
def test_bad_executor_settings(scenario, kwargs, match):
    with pytest.raises(ScenarioError, match=match):
        cs.run(scenario, replications=2, **kwargs)


def test_target_halfwidth_adds_replications_deterministically(scenario):
    kpi = "border.wait_hours.mean"
    first = cs.run(scenario, replications=3, seed=2, warmup_check=False)
    half0 = first.summary().loc[kpi, ["ci_low", "ci_high"]].diff().iloc[-1] / 2
    target = half0 / 2.5
    a = cs.run(scenario, replications=3, seed=2, target_halfwidth={kpi: target},
               warmup_check=False)
    b = cs.run(scenario, replications=3, seed=2, workers=2, target_halfwidth={kpi: target},
               warmup_check=False)
    assert a.replications > 3
    assert [o.replication for o in a.outcomes] == list(range(a.replications))
    s = a.summary().loc[kpi]
    assert (s["ci_high"] - s["ci_low"]) / 2 <= target
    assert_identical(a, b)
    # the same as asking for that many replications in the first place
    assert_identical(a, cs.run(scenario, replications=a.replications, seed=2,
                               warmup_check=False))


def test_target_halfwidth_stops_at_the_cap_with_a_warning(scenario):
    with pytest.warns(PrecisionWarning, match="max_replications"):
        res = cs.run(scenario, replications=2, seed=2, max_replications=5,
                     target_halfwidth={"border.wait_hours.mean": 1e-6}, warmup_check=False)
    assert res.replications == 5


def test_target_halfwidth_errors(scenario):
    with pytest.raises(ScenarioError, match="did you mean 'border.wait_hours.mean'"):
        cs.run(scenario, replications=2, target_halfwidth={"border.wait_hour.mean": 0.1})
    with pytest.raises(ScenarioError, match="must be a number > 0"):
        cs.run(scenario, replications=2, target_halfwidth={"border.wait_hours.mean": -1})
    with pytest.raises(ScenarioError, match="max_replications"):
        cs.run(scenario, replications=10, max_replications=5,
               target_halfwidth={"border.wait_hours.mean": 0.1})


def test_the_cap_applies_only_with_targets(scenario):
    # max_replications caps the sequential rule; a plain run of more replications ignores it
    res = cs.run(scenario.with_changes({"horizon_days": 10, "warmup_days": 1}),
                 replications=3, seed=2, max_replications=2, warmup_check=False)
    assert res.replications == 3


def test_target_already_met_runs_nothing_more(scenario):
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrecisionWarning)
        res = cs.run(scenario, replications=3, seed=2, warmup_check=False,
                     target_halfwidth={"border.wait_hours.mean": 1e6})
    assert res.replications == 3


# --------------------------------------------------------------------------- lost workers


def test_a_killed_worker_process_is_replaced_and_results_stay_identical(longer, longer_serial,
                                                                        caplog):
    before, killed = children(), []

    def kill_one(done: int, total: int) -> None:
        if not killed:
            killed.append(new_children(before)[0])
            os.kill(killed[0], signal.SIGKILL)

    with caplog.at_level(logging.WARNING, logger="corridor_sim.executors"):
        res = cs.run(longer, replications=4, seed=3, workers=2, progress=kill_one,
                     warmup_check=False)
    assert killed
    assert "worker process died" in caplog.text
    assert_identical(longer_serial, res)


def test_workers_dying_again_are_reported(longer, monkeypatch):
    monkeypatch.setattr(executors, "PROCESS_RETRIES", 0)
    before = children()

    def kill_all(done: int, total: int) -> None:
        for pid in new_children(before):
            os.kill(pid, signal.SIGKILL)

    with pytest.raises(ExecutorError, match=r"the worker process running replication \d of .* "
                                            r"died .* replications unfinished"):
        cs.run(longer, replications=4, seed=3, workers=2, progress=kill_all, warmup_check=False)
    assert not new_children(before)  # the broken pool's processes are reaped


_RUN_REPLICATION = executors.run_replication


def _fails_on_replication_2(task):
    if task[1] == 2:
        raise ScenarioError([executors.Problem("demand", "replication 2 cannot run")])
    return _RUN_REPLICATION(task)


@pytest.mark.skipif(__import__("multiprocessing").get_start_method() != "fork",
                    reason="the patched task function reaches the workers through fork")
def test_an_error_in_a_worker_is_raised_as_it_was(scenario, monkeypatch):
    monkeypatch.setattr(executors, "run_replication", _fails_on_replication_2)
    before = children()
    with pytest.raises(ScenarioError, match="demand: replication 2 cannot run") as info:
        execute(replication_tasks(scenario, 4, 1), workers=2)
    assert any("raised in worker process" in note for note in info.value.__notes__)
    assert not new_children(before)  # the other worker is stopped, not left running


def test_dask_reruns_the_tasks_of_a_lost_worker(longer, longer_serial, cluster):
    """A worker killed mid-task: the scheduler reruns its task; a run longer than the
    no-worker timeout goes on while workers are alive."""
    with distributed.Client(cluster, set_as_default=False) as client:
        killed = []

        def kill_a_busy_worker(done: int, total: int) -> None:
            if killed:
                return
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:
                pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        res = cs.Results.combine(longer, execute(
            replication_tasks(longer, 4, 3), executor=client, progress=kill_a_busy_worker,
            no_worker_timeout_s=0.5))
        assert killed
        assert_identical(longer_serial, res)
        client.wait_for_workers(2, timeout=120)  # the nanny restarts it for the next tests


def test_dask_gives_up_when_no_worker_is_left(longer):
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None, silence_logs=logging.ERROR) as c, \
            distributed.Client(c, set_as_default=False) as client:

        def lose_the_worker(done: int, total: int) -> None:
            if done == 1:
                c.scale(0)

        with pytest.raises(ExecutorError, match=r"no Dask worker has been alive for 1.5 s "
                                                r"\(3 of 4 replications unfinished\)"):
            execute(replication_tasks(longer, 4, 3), executor=client,
                    progress=lose_the_worker, no_worker_timeout_s=1.5)


def test_a_replication_whose_worker_keeps_dying_is_reported(longer):
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     dashboard_address=None, silence_logs=logging.CRITICAL) as c, \
            distributed.Client(c, set_as_default=False) as client:

        def kill_the_worker(done: int, total: int) -> None:
            if done == 1:
                (pid,) = client.run(os.getpid).values()
                os.kill(pid, signal.SIGKILL)

        name = re.escape(repr(longer.name))
        with pytest.raises(ExecutorError, match=rf"replication \d of {name} was running on "
                                                r"Dask workers that died"):
            execute(replication_tasks(longer, 4, 3), executor=client, progress=kill_the_worker)


def test_dask_reports_a_lost_scheduler(longer):
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=None, silence_logs=logging.CRITICAL)

    def stop_the_cluster(done: int, total: int) -> None:
        if done == 1:
            cluster.close()

    try:
        with pytest.raises(ExecutorError, match=r"replication \d of .* was cancelled on the "
                                                r"Dask cluster"):
            execute(replication_tasks(longer, 4, 3), address=cluster.scheduler_address,
                    progress=stop_the_cluster, no_worker_timeout_s=60)
    finally:
        cluster.close()


def test_no_worker_timeout_from_the_environment(monkeypatch):
    monkeypatch.setenv(executors.DASK_NO_WORKER_TIMEOUT_ENV, "12.5")
    assert executors._no_worker_timeout(None) == 12.5
    assert executors._no_worker_timeout(3) == 3
    monkeypatch.setenv(executors.DASK_NO_WORKER_TIMEOUT_ENV, "soon")
    with pytest.raises(ScenarioError, match="CORRIDOR_SIM_DASK_NO_WORKER_TIMEOUT: must be"):
        executors._no_worker_timeout(None)
    monkeypatch.delenv(executors.DASK_NO_WORKER_TIMEOUT_ENV)
    assert executors._no_worker_timeout(None) == executors.DEFAULT_NO_WORKER_TIMEOUT_S
    with pytest.raises(ScenarioError, match="no_worker_timeout_s"):
        execute([], executor="dask", no_worker_timeout_s=-1)


# --------------------------------------------------------------------------- bad addresses


@pytest.mark.parametrize(("address", "match"), [
    ("foo", "missing port"),
    ("http://localhost:8786", "unknown scheme 'http'"),
    ("tcp://localhost:port", "not a Dask scheduler address"),
    ("tcp://localhost:99999", "out of range"),
    ("  ", "expected tcp://HOST:PORT"),
])
def test_a_malformed_address_is_a_scenario_error(scenario, address, match):
    with pytest.raises(ScenarioError, match=match) as info:
        cs.run(scenario, replications=2, executor="dask", address=address)
    assert "address" in str(info.value)


def test_an_address_where_no_scheduler_answers(scenario, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1.0)
    with socket.socket() as closed:  # a free port, nothing listening
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(ScenarioError, match=f"cannot reach a Dask scheduler at "
                                            f"'tcp://127.0.0.1:{port}'"):
        cs.run(scenario, replications=2, executor="dask", address=f"tcp://127.0.0.1:{port}")
    with socket.socket() as silent:  # something listens but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(ScenarioError, match="no answer within 1 s"):
            cs.run(scenario, replications=2, executor="dask", address=address)


def test_the_command_line_reports_a_bad_address_without_a_traceback(tmp_path, capsys,
                                                                    monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1.0)
    for address in ("scheduler-host", "tcp://127.0.0.1:1"):
        code = main(["run", "single_checkpoint", "--executor", "dask", "--address", address,
                     "-r", "2", "-q", "--no-plots", "-o", str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert code == 2
        assert "address: " in err and repr(address) in err
        assert "Traceback" not in err


# --------------------------------------------------------------------------- progress


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


class _Kernel:
    kernel = object()


@pytest.mark.parametrize(("ci", "tty", "notebook", "shown"), [
    (None, True, False, True),  # a terminal
    (None, False, False, False),  # piped or redirected
    (None, False, True, True),  # a notebook (stderr is not a terminal there)
    ("true", True, False, False),  # CI, even with a terminal
    ("1", False, True, False),  # notebooks run in CI
    ("false", True, False, True),  # CI=false is not CI
    ("0", False, False, False),
])
def test_progress_none_shows_a_bar_where_a_person_watches(monkeypatch, ci, tty, notebook,
                                                          shown):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(sys, "stderr", _Stream(tty))
    if notebook:
        fake = type(sys)("IPython")
        fake.get_ipython = _Kernel
        monkeypatch.setitem(sys.modules, "IPython", fake)
    else:
        monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert show_progress_by_default() is shown
    assert (progress_reporter(None, "x") is not None) is shown
    # explicit choices keep their meaning
    assert progress_reporter(True, "x") is not None
    assert progress_reporter(False, "x") is None

    def mine(done: int, total: int) -> None:
        pass

    assert progress_reporter(mine, "x") is mine


def test_terminal_ipython_is_not_a_notebook(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stderr", _Stream(False))
    fake = type(sys)("IPython")
    fake.get_ipython = lambda: object()  # a shell without a kernel
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert show_progress_by_default() is False

