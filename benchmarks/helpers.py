"""Small helpers shared by the benchmarks: timing and a description of the machine."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import simpy

__all__ = ["best_of", "machine"]


def machine() -> dict[str, str]:
    """Cores, CPU model, Python and SimPy versions, and the commit measured."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                                capture_output=True, text=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "corridor_sim"], cwd=root,
                               capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        commit, dirty = "unknown", ""
    return {"cores": str(os.cpu_count()), "cpu": cpu,
            "python": platform.python_version(), "simpy": simpy.__version__,
            "commit": commit + (" (corridor_sim/ modified)" if dirty else "")}


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Shortest wall time [s] of ``repeats`` calls of ``fn``, and the last call's result."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out
