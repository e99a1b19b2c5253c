"""(e) Replications on 2 worker processes against 1.

Four replications of ``single_checkpoint`` sized to about 30 s of work in all on one core. The
results must be identical (DESIGN §6); the speed-up is reported against a target of ≥ 1.9× on
2 cores, not asserted.
"""

from __future__ import annotations

import os
import resource
import time

import pandas as pd
import pytest

import corridor_sim as cs

# cs.run's MSER-5 warm-up check is part of the work measured; its verdict on these
# deliberately short warm-ups is not what the benchmark is about.
pytestmark = pytest.mark.filterwarnings("ignore::corridor_sim.WarmupWarning")

REPLICATIONS = 4
HORIZON_DAYS = 10_000  # ~860,000 shipments per replication
SPEEDUP_TARGET = 1.9  # issue 12


def test_two_workers_against_one(benchmark, record):
    sc = cs.bundled("single_checkpoint").with_changes({"horizon_days": HORIZON_DAYS,
                                                       "warmup_days": 5})
    case = "4 replications, workers"
    times: dict[int, float] = {}
    results: dict[int, cs.Results] = {}

    cpu: dict[int, tuple[float, float]] = {}  # CPU seconds of this process, of workers

    def cpu_seconds() -> tuple[float, float]:
        me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                      resource.RUSAGE_CHILDREN))
        return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime

    def run(workers: int) -> None:
        t0, (s0, k0) = time.perf_counter(), cpu_seconds()
        results[workers] = cs.run(sc, replications=REPLICATIONS, seed=1, workers=workers)
        times[workers] = time.perf_counter() - t0
        s1, k1 = cpu_seconds()  # the pool's workers have been reaped by now
        cpu[workers] = (s1 - s0, k1 - k0)

    run(1)
    benchmark.pedantic(run, args=(2,), rounds=1, iterations=1)
    pd.testing.assert_frame_equal(results[1].kpis, results[2].kpis)

    record(case, "usable cores", len(os.sched_getaffinity(0)))
    record(case, "shipments per replication", float(results[1].kpis["created"].mean()))
    record(case, "workers=1 time [s]", times[1])
    record(case, "workers=2 time [s]", times[2])
    record(case, "speed-up 2 workers / 1", times[1] / times[2], f"≥ {SPEEDUP_TARGET}")
    (serial, _), (parent, kids) = cpu[1], cpu[2]
    record(case, "CPU [s], workers=1", serial)
    record(case, "CPU [s], workers=2: parent / workers", f"{parent:.1f} / {kids:.1f}")
    # on two idle cores the workers' CPU splits over two, the parent's does not
    record(case, "speed-up expected on 2 idle cores (from CPU)", serial / (parent + kids / 2),
           f"≥ {SPEEDUP_TARGET}")
    record(case, "load average (1 min) after", round(os.getloadavg()[0], 2))
