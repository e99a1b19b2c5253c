"""(f) Capacity planning: the scale target and the probability of correct selection.

Scale (issue 14): 50 designs × 20 replications of a single-crossing scenario of 120 days
(``nur_zholy_harvest``) on 2 cores, with worker processes and with a local Dask cluster of 2
workers; every design runs every replication (``method="all"`` with
``first_replications = max_replications = 20``), so the work is fixed and the two executors
must give the same trace. Target: minutes. The full network's time is estimated from one
replication of the baseline over the same 120 days.

Probability of correct selection: the smallest number of lanes of an M/M/c queue whose pooled
p95 wait is at most 1 h (known from Erlang C), searched by bisection over many seeds; the
share of seeds that find it must be at least the stated confidence (0.95).
"""

from __future__ import annotations

import math
import os
import time

import pandas as pd
import pytest

import corridor_sim as cs
from corridor_sim.stats import erlang_c

pytestmark = pytest.mark.filterwarnings("ignore::corridor_sim.WarmupWarning")

DECISIONS = {"nodes.nur_zholy_road.lanes.general": "9..18",   # 10 values
             "nodes.nur_zholy_road.lanes.green": "1..5"}      # × 5 = 50 designs
REPLICATIONS = 20


def _search(executor: str) -> cs.Optimisation:
    return cs.optimise(cs.bundled("nur_zholy_harvest"), DECISIONS,
                       objective="nur_zholy_road.annual_cost_usd",
                       constraints=["harvest:nur_zholy_road.wait_hours.p95 <= 4"],
                       first_replications=REPLICATIONS, max_replications=REPLICATIONS,
                       method="all", seed=1, workers=2, executor=executor, progress=False)


def test_fifty_designs_twenty_replications_on_two_cores(benchmark, record):
    case = "optimise 50 designs x 20 reps, 120 days"
    out: dict[str, tuple[float, cs.Optimisation]] = {}

    def run(executor: str) -> None:
        t0 = time.perf_counter()
        opt = _search(executor)
        out[executor] = (time.perf_counter() - t0, opt)

    benchmark.pedantic(run, args=("processes",), rounds=1, iterations=1)
    run("dask")
    pd.testing.assert_frame_equal(out["processes"][1].trace, out["dask"][1].trace)
    opt = out["processes"][1]
    assert int(opt.trace["replications"].sum()) == 50 * REPLICATIONS
    record(case, "usable cores", len(os.sched_getaffinity(0)))
    record(case, "time, 2 worker processes [s]", out["processes"][0], "minutes")
    record(case, "time, Dask LocalCluster 2 workers [s]", out["dask"][0], "minutes")
    record(case, "chosen", str(opt.chosen))
    base = cs.bundled("baseline").with_changes({"start": "2025-07-15", "horizon_days": 120,
                                                "warmup_days": 14})
    t0 = time.perf_counter()
    cs.run(base, replications=1, seed=1, progress=False)
    one = time.perf_counter() - t0
    record(case, "one replication of the full network, 120 days [s]", one)
    record(case, "full network, 1000 replications on 2 cores, estimated [s]", one * 1000 / 2)


def _smallest_c(target_hours: float, lanes: list[int], per_hour: float = 3.6) -> int:
    def over(c: int) -> float:
        return erlang_c(per_hour, 1.0, c) * math.exp(-(c - per_hour) * target_hours)
    return min(c for c in lanes if over(c) <= 0.05)


def pcs_study(seeds: range, horizon_days: float = 20) -> tuple[int, int]:
    """Bisection for the smallest c over many seeds: (correct, total)."""
    lanes = list(range(4, 10))
    answer = _smallest_c(1.0, lanes)
    end = f"2025-01-{int(horizon_days):02d}"
    sc = cs.bundled("single_checkpoint").with_changes({
        "horizon_days": horizon_days, "warmup_days": 2,
        "kpi_windows": {"peak": {"start": "2025-01-04", "end": end}}})
    correct = 0
    for seed in seeds:
        opt = cs.optimise(sc, {"nodes.border.lanes.general": lanes},
                          objective="border.utilisation",
                          constraints=["peak:border.wait_hours.p95 <= 1"], monotone=True,
                          first_replications=5, max_replications=20, seed=seed,
                          progress=False)
        correct += opt.chosen == f"nodes.border.lanes.general={answer}"
    return correct, len(seeds)


def test_probability_of_correct_selection(benchmark, record):
    case = "optimise PCS, M/M/c smallest c"
    result = benchmark.pedantic(pcs_study, args=(range(100, 160),), rounds=1, iterations=1)
    correct, total = result
    record(case, "seeds", total)
    record(case, "correct selections", correct)
    record(case, "PCS", correct / total, "≥ 0.95")
    assert correct / total >= 0.95
