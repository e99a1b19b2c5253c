"""(d) Scaling: ``cs.run`` with demand (1×, 4×, 16×) and horizon (1×, 2×, 4×), and the baseline.

Demand is scaled on ``single_checkpoint`` with the lanes, so the load stays at rho = 0.9. Time
per shipment should not grow with size: its CPU time (``time.process_time``, which other work on
a shared machine does not inflate) is asserted to stay within a factor ``LINEAR_TOLERANCE``
across sizes; wall times are reported beside it. The baseline runs
over a quarter, half and a whole year, with its events per shipment.
"""

from __future__ import annotations

import time

import pytest

import corridor_sim as cs
from corridor_sim.engine import CorridorModel

# cs.run's MSER-5 warm-up check is part of the work measured; its verdict on these
# deliberately short warm-ups is not what the benchmark is about.
pytestmark = pytest.mark.filterwarnings("ignore::corridor_sim.WarmupWarning")

LINEAR_TOLERANCE = 1.5
ROUNDS = 2  # each size runs once per round, sizes interleaved; the shortest counts
BASE_PER_DAY, BASE_LANES = 86.4, 4

DEMAND_HORIZON_DAYS = 500  # 16× demand: ~690,000 shipments
HORIZON_DAYS = 1000  # horizon sweep at 1× demand: ~86,000 to ~346,000 shipments
SWEEPS = {
    "demand": [({"demand[0].per_day": BASE_PER_DAY * k, "nodes.border.lanes.general":
                 BASE_LANES * k, "horizon_days": DEMAND_HORIZON_DAYS}, k) for k in (1, 4, 16)],
    "horizon": [({"horizon_days": HORIZON_DAYS * k}, k) for k in (1, 2, 4)],
}


@pytest.mark.parametrize("sweep", list(SWEEPS))
def test_time_per_shipment_is_flat(benchmark, record, sweep):
    base = cs.bundled("single_checkpoint").with_changes({"warmup_days": 5})
    points = [(base.with_changes(changes), k) for changes, k in SWEEPS[sweep]]
    wall: dict[int, float] = {}
    cpu: dict[int, float] = {}
    shipments: dict[int, int] = {}

    def one_round() -> None:
        for sc, k in points:
            t0, c0 = time.perf_counter(), time.process_time()
            res = cs.run(sc, replications=1, seed=1)
            wall[k] = min(wall.get(k, float("inf")), time.perf_counter() - t0)
            cpu[k] = min(cpu.get(k, float("inf")), time.process_time() - c0)
            shipments[k] = int(res.kpis["created"].iloc[0])

    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    case = f"scaling with {sweep}"
    per = {}
    for k in cpu:
        per[k] = cpu[k] / shipments[k] * 1e6
        record(case, f"{k}×: shipments", shipments[k])
        record(case, f"{k}×: wall / CPU time [s]", f"{wall[k]:.2f} / {cpu[k]:.2f}")
        record(case, f"{k}×: CPU µs per shipment", per[k])
    spread = max(per.values()) / min(per.values())
    record(case, "max/min CPU µs per shipment", spread, f"≤ {LINEAR_TOLERANCE}")
    assert spread <= LINEAR_TOLERANCE, f"CPU µs per shipment is not flat: {per}"


def test_baseline_time_per_shipment_with_horizon(benchmark, record):
    """The baseline over a quarter, half and a whole year, through the engine.

    Events per shipment are counted too (``Environment._eid``): work that piles up with model
    time — timers that multiply, queues that grow — shows there first.
    """
    base = cs.bundled("baseline")
    points = [(base.with_changes({"horizon_days": base.horizon_days * k}), k)
              for k in (0.25, 0.5, 1.0)]
    wall: dict[float, float] = {}
    cpu: dict[float, float] = {}
    counts: dict[float, tuple[int, int]] = {}

    def one_round() -> None:
        for sc, k in points:
            t0, c0 = time.perf_counter(), time.process_time()
            model = CorridorModel(sc, 0, sc.seed)
            data = model.run()
            wall[k], cpu[k] = time.perf_counter() - t0, time.process_time() - c0
            counts[k] = (len(data.columns["s_flow"]), next(model.env._eid))

    benchmark.pedantic(one_round, rounds=1, iterations=1)
    case = "baseline, scaling with horizon"
    per = {}
    for k in cpu:
        label = f"{base.horizon_days * k:g} days"
        per[k] = cpu[k] / counts[k][0] * 1e6
        record(case, f"{label}: shipments", counts[k][0])
        record(case, f"{label}: wall / CPU time [s]", f"{wall[k]:.2f} / {cpu[k]:.2f}")
        record(case, f"{label}: CPU µs per shipment", per[k])
        record(case, f"{label}: events per shipment", counts[k][1] / counts[k][0])
    spread = max(per.values()) / min(per.values())
    record(case, "max/min CPU µs per shipment", spread, f"≤ {LINEAR_TOLERANCE}")
    assert spread <= LINEAR_TOLERANCE, f"CPU µs per shipment is not flat: {per}"
