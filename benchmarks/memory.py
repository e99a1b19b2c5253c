"""Peak memory of a whole process tree, sampled with psutil while a command runs."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

__all__ = ["peak_tree_rss", "run_measured"]


def _tree_rss(proc: psutil.Process, proportional: bool = False) -> int:
    """Resident memory [B] of a process and all of its descendants.

    With ``proportional``, the proportional set size (PSS: pages shared between processes,
    such as those a forked worker shares with its parent, are divided among them) instead of
    the resident set size (RSS: shared pages counted in full in every process).
    """
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_full_info().pss if proportional else p.memory_info().rss
    return total


def peak_tree_rss(proc: psutil.Process, stop: threading.Event,
                  interval_s: float = 0.05) -> list[int]:
    """Sample ``proc``'s tree every ``interval_s`` until ``stop``; the samples [B]."""
    samples: list[int] = []
    while not stop.is_set():
        samples.append(_tree_rss(proc))
        time.sleep(interval_s)
    return samples


def run_measured(args: list[str], cwd: str | Path | None = None,
                 interval_s: float = 0.05) -> dict[str, float]:
    """Run a command; return its wall time [s], CPU time of the tree [s], peak RSS and PSS [MB].

    The peak is that of the whole process tree (the command and every worker it starts),
    sampled every ``interval_s`` seconds.
    """
    env = dict(os.environ, MPLBACKEND="Agg", CI="1")
    t0 = time.perf_counter()
    child = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    proc = psutil.Process(child.pid)
    stop = threading.Event()
    samples: list[int] = []
    pss: list[int] = []
    cpu: dict[int, float] = {}

    def sample() -> None:
        while not stop.is_set():
            samples.append(_tree_rss(proc))
            pss.append(_tree_rss(proc, proportional=True))
            try:
                for p in [proc, *proc.children(recursive=True)]:
                    t = p.cpu_times()
                    cpu[p.pid] = t.user + t.system
            except psutil.Error:
                pass
            time.sleep(interval_s)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    _, err = child.communicate()
    stop.set()
    thread.join()
    wall = time.perf_counter() - t0
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{err.decode(errors='replace')}")
    return {"wall_s": wall, "cpu_s": sum(cpu.values()), "peak_mb": max(samples) / 1e6,
            "peak_pss_mb": max(pss) / 1e6}


def python_command(code: str) -> list[str]:
    """The command line that runs ``code`` in this Python."""
    return [sys.executable, "-c", code]
