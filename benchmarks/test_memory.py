"""(f) Memory: peak RSS of the whole process tree (parent and workers), sampled with psutil.

Targets (issue "Memory and scale"):

- the default ``corridor-sim run`` of the baseline (10 replications × 365 days, one
  process: the README's command) ≤ 1 GB; the same with ``--workers 2`` is measured and
  reported beside it (each worker holds its own year-long replication);
- ``corridor-sim compare`` of 3 scenarios × 10 replications ≤ 1.5 GB;
- peak memory of 40 replications at most 10% above that of 10 (120-day baseline, 2 workers).

Each command runs in a subprocess in a temporary folder; results are written as the CLI does.
These runs take minutes: run them with ``pytest benchmarks/test_memory.py --benchmark-only -s``.
"""

from __future__ import annotations

import shutil
import sys

import pytest
from memory import python_command, run_measured

RUN_TARGET_MB = 1000
COMPARE_TARGET_MB = 1500
GROWTH_TARGET = 0.10

CLI = [sys.executable, "-m", "corridor_sim.cli"]


def _cli(*args: str) -> list[str]:
    exe = shutil.which("corridor-sim")
    return [exe, *args] if exe else [*CLI, *args]


@pytest.mark.parametrize("workers", [1, 2])
def test_default_run_memory(benchmark, record, tmp_path, workers):
    case = f"corridor-sim run (baseline, 10 reps × 365 d, --workers {workers})"
    out = benchmark.pedantic(
        lambda: run_measured(_cli("run", "--workers", str(workers), "-q", "--out",
                                  str(tmp_path / "run")), cwd=tmp_path),
        rounds=1, iterations=1)
    target = f"≤ {RUN_TARGET_MB}" if workers == 1 else "(reported)"
    record(case, "peak RSS of the process tree [MB]", out["peak_mb"], target)
    record(case, "peak PSS of the process tree [MB]", out["peak_pss_mb"])
    record(case, "wall time [s]", out["wall_s"])
    record(case, "CPU time of the tree [s]", out["cpu_s"])
    if workers == 1:
        assert out["peak_mb"] <= RUN_TARGET_MB


def test_compare_memory(benchmark, record, tmp_path):
    case = "corridor-sim compare (3 scenarios × 10 reps × 365 d, 2 workers)"
    args = _cli("compare", "baseline", "shifts", "round_the_clock", "--workers", "2", "-q",
                "--replications", "10", "--out", str(tmp_path / "cmp"))
    out = benchmark.pedantic(lambda: run_measured(args, cwd=tmp_path), rounds=1, iterations=1)
    record(case, "peak RSS of the process tree [MB]", out["peak_mb"], f"≤ {COMPARE_TARGET_MB}")
    record(case, "peak PSS of the process tree [MB]", out["peak_pss_mb"])
    record(case, "wall time [s]", out["wall_s"])
    record(case, "CPU time of the tree [s]", out["cpu_s"])
    assert out["peak_mb"] <= COMPARE_TARGET_MB


@pytest.mark.parametrize("replications", [10, 40])
def test_memory_does_not_grow_with_replications(benchmark, record, replications, tmp_path):
    code = ("import corridor_sim as cs\n"
            "sc = cs.bundled('baseline').with_changes({'horizon_days': 120, 'warmup_days': 20})\n"
            f"res = cs.run(sc, replications={replications}, seed=1, workers=2, "
            "progress=False, warmup_check=False)\n"
            "res.summary(); res.throughput('D')\n")
    out = benchmark.pedantic(lambda: run_measured(python_command(code), cwd=tmp_path),
                             rounds=1, iterations=1)
    case = "cs.run, baseline 120 d, 2 workers"
    record(case, f"peak RSS, {replications} replications [MB]", out["peak_mb"])
    record(case, f"peak PSS, {replications} replications [MB]", out["peak_pss_mb"])
    _PEAKS[replications] = out["peak_mb"]
    if len(_PEAKS) == 2:
        growth = _PEAKS[40] / _PEAKS[10] - 1
        record(case, "peak growth, 40 vs 10 replications", growth, f"≤ {GROWTH_TARGET:.0%}")
        assert growth <= GROWTH_TARGET


_PEAKS: dict[int, float] = {}
