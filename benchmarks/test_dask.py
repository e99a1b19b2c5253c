"""(f) Scaling on a Dask ``LocalCluster``: the same replications on 1, 2 and 4 worker processes.

Four replications of ``single_checkpoint`` over 5,000 days (about 430,000 shipments each), run
through ``execute(..., executor=client)`` on a fresh local cluster of one worker process per
size (one thread each). Each cluster is started and has ``corridor_sim`` imported on every
worker before the clock starts, so the times are those of a cluster that is already up, as on a
real one. The results must be identical on every size (DESIGN §6).

Besides wall times, the CPU seconds of the client process and of each worker process (read
with psutil inside the workers) are recorded: on a shared machine the wall times are inflated by
other work, while the CPU times show what an idle machine would give. With ``n`` workers on ``c``
idle cores (``n <= c``), the speed-up to expect from CPU times lies between two bounds, both
over the CPU of the client and the worker with one worker: *at least*, over the client's and the
busiest worker's CPU with ``n`` (as if the client's own work, receiving and unpickling results,
never overlapped the workers'); *at most*, over all CPU with ``n`` spread evenly on ``n`` cores.
Four workers on two cores show the cost of oversubscription.
"""

from __future__ import annotations

import logging
import os
import time

import pandas as pd
import psutil
import pytest

import corridor_sim as cs
from corridor_sim.executors import execute
from corridor_sim.experiment import replication_tasks

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.filterwarnings("ignore::corridor_sim.WarmupWarning")

REPLICATIONS = 4
HORIZON_DAYS = 5_000
SIZES = (1, 2, 4)


def _worker_cpu_seconds() -> float:
    """CPU seconds of this (worker) process so far."""
    t = psutil.Process().cpu_times()
    return t.user + t.system


def _warm(_: int) -> int:
    import corridor_sim  # noqa: F401 - import once, before the clock starts

    return os.getpid()


def test_dask_local_cluster_scaling(benchmark, record):
    sc = cs.bundled("single_checkpoint").with_changes({"horizon_days": HORIZON_DAYS,
                                                       "warmup_days": 5})
    tasks = replication_tasks(sc, REPLICATIONS, 1)
    case = f"{REPLICATIONS} replications, Dask LocalCluster"
    wall: dict[int, float] = {}
    busiest: dict[int, float] = {}
    client_cpu: dict[int, float] = {}
    all_cpu: dict[int, float] = {}
    kpis: dict[int, pd.DataFrame] = {}

    def run(n: int) -> None:
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                      dashboard_address=None, silence_logs=logging.ERROR) as c, \
                distributed.Client(c, set_as_default=False) as client:
            client.wait_for_workers(n)
            client.gather(client.map(_warm, range(n), pure=False))
            cpu0 = client.run(_worker_cpu_seconds)
            me0, t0 = time.process_time(), time.perf_counter()
            data = execute(tasks, executor=client)
            wall[n] = time.perf_counter() - t0
            parent = time.process_time() - me0
            cpu1 = client.run(_worker_cpu_seconds)
        per_worker = [cpu1[w] - cpu0[w] for w in cpu1]
        busiest[n], client_cpu[n], all_cpu[n] = max(per_worker), parent, sum(per_worker)
        kpis[n] = cs.Results.combine(sc, data).kpis
        record(case, f"{n} workers: time [s]", wall[n])
        record(case, f"{n} workers: CPU [s] client / busiest worker / all workers",
               f"{parent:.1f} / {busiest[n]:.1f} / {sum(per_worker):.1f}")

    for n in SIZES[:-1]:
        run(n)
    benchmark.pedantic(run, args=(SIZES[-1],), rounds=1, iterations=1)
    for n in SIZES[1:]:
        pd.testing.assert_frame_equal(kpis[SIZES[0]], kpis[n], check_exact=True)

    cores = len(os.sched_getaffinity(0))
    record(case, "usable cores", cores)
    for n in SIZES[1:]:
        record(case, f"speed-up {n} workers / 1 (wall)", wall[1] / wall[n])
        if n <= cores:
            one = client_cpu[1] + all_cpu[1]
            record(case, f"speed-up {n} workers / 1 on idle cores from CPU, at least",
                   one / (client_cpu[n] + busiest[n]), "≥ 1.9" if n == 2 else "")
            record(case, f"speed-up {n} workers / 1 on idle cores from CPU, at most",
                   one / ((client_cpu[n] + all_cpu[n]) / n), "≥ 1.9" if n == 2 else "")
    record(case, "load average (1 min) after", round(os.getloadavg()[0], 2))
