"""Worker processes never outlive the process that started them.

Each test starts a run with two local worker processes in a subprocess, waits until the workers
exist, signals the parent and checks, within a bounded time, that no process of the tree is left:

- SIGTERM: the parent terminates its pool on the way out (exit status 143);
- SIGKILL: cannot be caught, so each worker's watch of its parent ends it;
- Ctrl-C (SIGINT to the whole process group): the parent alone handles it, the workers print no
  traceback of their own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import suppress
from pathlib import Path

import psutil
import pytest

# long enough never to finish before the signal; the processes are killed long before
SCENARIO = ("single_checkpoint", {"horizon_days": 6000, "warmup_days": 5})
START_TIMEOUT_S = 90  # import and start-up on a busy 2-core machine
EXIT_TIMEOUT_S = 20

SCRIPT = textwrap.dedent("""
    import corridor_sim as cs

    if __name__ == "__main__":
        sc = cs.bundled({name!r}).with_changes({changes!r})
        cs.run(sc, replications=4, seed=1, workers=2, executor={executor!r},
               warmup_check=False)
""")


def script(executor: str) -> str:
    return SCRIPT.format(name=SCENARIO[0], changes=SCENARIO[1], executor=executor)


def start(argv: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def wait_for_workers(proc: subprocess.Popen, n: int) -> list[psutil.Process]:
    """The parent's descendants once ``n`` worker processes run (and have had a moment)."""
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the run ended early: {proc.communicate()}"
        kids = parent.children(recursive=True)
        workers = [k for k in kids if _is_worker(k)]
        if len(workers) >= n:
            time.sleep(1.0)  # let them pick up tasks
            assert proc.poll() is None
            return parent.children(recursive=True)
        time.sleep(0.2)
    pytest.fail(f"{n} worker processes did not start within {START_TIMEOUT_S} s")


def _is_worker(p: psutil.Process) -> bool:
    try:
        return "resource_tracker" not in " ".join(p.cmdline())
    except psutil.Error:
        return False


def alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def assert_all_gone(procs: list[psutil.Process]) -> float:
    """Wait until every process in ``procs`` has exited; the seconds it took."""
    t0 = time.monotonic()
    left = alive(procs)
    while left and time.monotonic() - t0 < EXIT_TIMEOUT_S:
        time.sleep(0.1)
        left = alive(procs)
    for p in left:  # do not leave them behind for the rest of the suite
        p.kill()
    assert not left, f"still running {EXIT_TIMEOUT_S} s after the parent: " \
                     f"{[(p.pid, ' '.join(p.cmdline())[:60]) for p in left]}"
    return time.monotonic() - t0


@pytest.fixture
def cleanup():
    procs: list[subprocess.Popen] = []
    yield procs.append
    for proc in procs:  # whatever the test left: the whole process group (its own session)
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_sigterm_to_the_command_line_ends_its_workers(tmp_path, cleanup):
    name, changes = SCENARIO
    (tmp_path / "long.yaml").write_text(
        f"extends: {name}\nname: long\n" + "".join(f"{k}: {v}\n" for k, v in changes.items()),
        encoding="utf-8")
    proc = start([sys.executable, "-m", "corridor_sim.cli", "run", "long.yaml", "--workers", "2",
                  "--replications", "4", "--no-plots", "-q", "--out", str(tmp_path / "out")],
                 tmp_path)
    cleanup(proc)
    tree = wait_for_workers(proc, 2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=EXIT_TIMEOUT_S)
    assert proc.returncode != 0, err
    assert "Traceback" not in err
    assert_all_gone(tree)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_workers_exit_when_the_parent_is_killed(tmp_path, cleanup, sig):
    proc = start([sys.executable, "-c", script("processes")], tmp_path)
    cleanup(proc)
    tree = wait_for_workers(proc, 2)
    proc.send_signal(sig)
    proc.communicate(timeout=EXIT_TIMEOUT_S)
    assert proc.returncode == (143 if sig == signal.SIGTERM else -signal.SIGKILL)
    assert_all_gone(tree)


def test_ctrl_c_stops_parent_and_workers_without_worker_tracebacks(tmp_path, cleanup):
    proc = start([sys.executable, "-c", script("processes")], tmp_path)
    cleanup(proc)
    tree = wait_for_workers(proc, 2)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    _, err = proc.communicate(timeout=EXIT_TIMEOUT_S)
    assert proc.returncode != 0
    assert_all_gone(tree)
    # the parent's KeyboardInterrupt only: no traceback from inside a worker
    assert "process_worker" not in err and "_process_worker" not in err, err


@pytest.mark.slow
def test_dask_local_cluster_workers_exit_when_the_parent_is_killed(tmp_path, cleanup):
    pytest.importorskip("distributed")
    proc = start([sys.executable, "-c", script("dask")], tmp_path)
    cleanup(proc)
    tree = wait_for_workers(proc, 2)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=EXIT_TIMEOUT_S)
    assert_all_gone(tree)
