"""(c) The one-year baseline: wall time, shipments/s, events/s and memory of one replication.

One replication of ``cs.bundled("baseline")`` through :func:`corridor_sim.engine.simulate` is
timed. A second, untimed run of the same replication (same seed, so the same events) counts the
events SimPy scheduled (``Environment._eid``, free to read) and measures peak memory with
:mod:`tracemalloc`. Target: the recorder's own storage ≤ 100 bytes per recorded visit.

:func:`test_baseline_replication_cpu` times what a worker does for one replication — build,
simulate, reduce to KPIs, costs and series (:func:`corridor_sim.replication.run_replication`)
— in CPU seconds, best of three. Target: ≤ 10 s.
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import corridor_sim as cs
from corridor_sim.engine import CorridorModel, simulate
from corridor_sim.replication import reduce
from corridor_sim.windows import scenario_windows

BYTES_PER_VISIT_TARGET = 100
REPLICATION_CPU_TARGET_S = 10.0
ROUNDS = 3


def test_baseline_one_year(benchmark, record):
    sc = cs.bundled("baseline")
    case = "baseline, 1 year"
    times: list[tuple[float, float]] = []

    def run():
        t0, c0 = time.perf_counter(), time.process_time()
        out = simulate(sc, 0, sc.seed)
        times.append((time.perf_counter() - t0, time.process_time() - c0))
        return out

    data = benchmark.pedantic(run, rounds=1, iterations=1)
    wall, cpu = times[0]
    cols = data.columns
    shipments, visits, jobs = (len(cols[k]) for k in ("s_flow", "v_sid", "j_station"))
    del data, cols
    gc.collect()

    # untimed: the same replication again, to count events and measure memory
    tracemalloc.start()
    try:
        model = CorridorModel(sc, 0, sc.seed)
        built = tracemalloc.get_traced_memory()[0]
        again = model.run()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    scheduled = next(model.env._eid)
    processed = scheduled - len(model.env._queue)
    assert len(again.columns["v_sid"]) == visits, "the same replication recorded other visits"
    recorder_bytes = sum(a.nbytes for a in again.columns.values())
    visit_bytes = sum(again.columns[k].nbytes for k in again.columns if k.startswith("v_"))

    record(case, "shipments", shipments)
    record(case, "visits recorded", visits)
    record(case, "job rows recorded (trains, flights, departures)", jobs)
    record(case, "wall time [s]", wall)
    record(case, "CPU time [s]", cpu)
    record(case, "shipments/s", shipments / wall)
    record(case, "shipments per CPU second", shipments / cpu)
    record(case, "events processed", processed)
    record(case, "events per shipment", processed / shipments)
    record(case, "events/s", processed / wall)
    record(case, "peak traced memory [MB]", peak / 1e6)
    record(case, "model built, before run [MB]", built / 1e6)
    record(case, "peak memory per visit [B]", peak / visits)
    record(case, "recorder columns [MB]", recorder_bytes / 1e6)
    record(case, "recorder bytes per visit (all columns)", recorder_bytes / visits,
           f"≤ {BYTES_PER_VISIT_TARGET}")
    record(case, "visit columns bytes per visit", visit_bytes / visits)
    assert recorder_bytes / visits <= BYTES_PER_VISIT_TARGET


def test_baseline_replication_cpu(benchmark, record):
    sc = cs.bundled("baseline")
    case = "baseline, 1 year, one replication as a worker runs it"
    parts: list[tuple[float, float, float]] = []

    def run():
        # run_replication, with its two halves timed apart (CPU seconds)
        gc.freeze()
        try:
            c0 = time.process_time()
            data = simulate(sc, 0, sc.seed)
            c1 = time.process_time()
            reduce(data, windows=scenario_windows(sc))
            c2 = time.process_time()
            del data
        finally:
            gc.collect()
            gc.unfreeze()
        parts.append((c1 - c0, c2 - c1, time.process_time() - c0))

    benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    simulating, reducing, total = (min(p[i] for p in parts) for i in range(3))
    record(case, "simulate, best of 3 [s CPU]", simulating)
    record(case, "reduce to KPIs, costs and series, best of 3 [s CPU]", reducing)
    record(case, "total, best of 3 [s CPU]", total, f"≤ {REPLICATION_CPU_TARGET_S:g}")
    record(case, "total, median of 3 [s CPU]", sorted(p[2] for p in parts)[ROUNDS // 2])
