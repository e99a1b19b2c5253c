"""(a) M/M/4 at rho = 0.9 and (b) three of them in series: corridor_sim against raw SimPy and heapq.

About 200,000 shipments through one replication of ``cs.run``, beside an idiomatic raw SimPy
model of the same queue (a process per customer, a ``simpy.Resource`` per checkpoint) and a
bare heapq event loop. The three must agree on the mean wait (Erlang C, within batch-means
error), so none can look fast by doing less work. Target: corridor_sim (``cs.run``, results
and KPIs included) ≤ 0.45 × raw SimPy.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from rawmodels import batch_means, erlang_c_wait, heapq_tandem, simpy_tandem

import corridor_sim as cs
from corridor_sim.engine import CorridorModel, ReplicationData
from corridor_sim.scenario import Scenario, scenario_from_dict

# cs.run's MSER-5 warm-up check is part of the work measured; its verdict on these
# deliberately short warm-ups is not what the benchmark is about.
pytestmark = pytest.mark.filterwarnings("ignore::corridor_sim.WarmupWarning")

PER_DAY = 86.4  # shipments/day: 3.6/h into 4 lanes of 1 h, rho = 0.9
LANES = 4
SERVICE_HOURS = 1.0
SHIPMENTS = 200_000
HORIZON_DAYS = round(SHIPMENTS / PER_DAY)  # 2,315 days
WARMUP_DAYS = 1.0
SEED = 7
ROUNDS = 3  # timed runs of each model, interleaved; the shortest counts
TARGET = "≤ 0.45"  # corridor_sim / raw SimPy


def series_scenario(stations: int, horizon_days: float, warmup_days: float) -> Scenario:
    """``stations`` identical M/M/4 checkpoints in series, built from a plain dict."""
    border = {"kind": "checkpoint", "mode": "road", "calendar": "round_the_clock",
              "lanes": {"general": LANES},
              "service_time": {"dist": "exponential", "mean_hours": SERVICE_HOURS}}
    names = ["origin", *[f"border{i + 1}" for i in range(stations)], "destination"]
    nodes = {n: ({"kind": "city"} if n in ("origin", "destination") else dict(border))
             for n in names}
    zero = {"dist": "constant", "hours": 0}
    return scenario_from_dict({
        "name": f"series-{stations}", "horizon_days": horizon_days,
        "warmup_days": warmup_days, "replications": 1, "nodes": nodes,
        "links": [{"from": u, "to": v, "mode": "road", "travel_time": zero}
                  for u, v in zip(names, names[1:], strict=False)],
        "commodities": {"general": {"unit": "teu"}},
        "demand": [{"origin": "origin", "destination": "destination",
                    "commodity": "general", "per_day": PER_DAY}],
    })


def scenario(stations: int) -> Scenario:
    changes = {"horizon_days": HORIZON_DAYS, "warmup_days": WARMUP_DAYS}
    if stations == 1:
        return cs.bundled("single_checkpoint").with_changes(changes)
    return series_scenario(stations, HORIZON_DAYS, WARMUP_DAYS)


def corridor_waits(data: ReplicationData, stations: list[str]) -> list[np.ndarray]:
    """Waits [h] at each checkpoint, in arrival order, of visits begun after the warm-up."""
    c = data.columns
    out = []
    for name in stations:
        keep = ((c["v_node"] == data.nodes.index(name)) & (c["v_arrived"] >= data.warmup_hours)
                & ~np.isnan(c["v_started"]))
        out.append(c["v_started"][keep] - c["v_arrived"][keep])
    return out


def check_same_queue(waits: dict[str, list[np.ndarray]], customers: dict[str, int],
                     horizon_hours: float) -> dict[str, float]:
    """Assert every model served the expected customers with the Erlang C mean wait."""
    lam = PER_DAY / 24.0
    expected = erlang_c_wait(lam, SERVICE_HOURS, LANES)
    n_expected = lam * horizon_hours
    stats = {name: [batch_means(w) for w in ws] for name, ws in waits.items()}
    for name, n in customers.items():
        assert abs(n - n_expected) < 5 * n_expected ** 0.5, (name, n, n_expected)
        for k, w in enumerate(waits[name]):
            assert w.size > 0.98 * n_expected, f"{name} station {k}: only {w.size} waits"
            m, se = stats[name][k]
            assert abs(m - expected) <= 5 * se + 0.02 * expected, \
                f"{name} station {k}: mean wait {m:.3f} h ± {se:.3f}, Erlang C {expected:.3f} h"
    names = list(stats)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            for (ma, sa), (mb, sb) in zip(stats[a], stats[b], strict=True):
                assert abs(ma - mb) <= 5 * (sa ** 2 + sb ** 2) ** 0.5 + 0.02 * expected, \
                    f"{a} {ma:.3f} h vs {b} {mb:.3f} h"
    return {name: float(np.mean([m for m, _ in s])) for name, s in stats.items()}


@pytest.mark.parametrize("stations", [1, 3], ids=["single_checkpoint", "three_in_series"])
def test_mm4_against_raw_simpy_and_heapq(benchmark, record, stations):
    sc = scenario(stations)
    case = "M/M/4" if stations == 1 else "3 × M/M/4 in series"
    border_names = [n for n, node in sc.nodes.items() if node.kind == "checkpoint"]
    assert len(border_names) == stations
    horizon, warmup = sc.horizon_hours, sc.warmup_hours
    lam = PER_DAY / 24.0

    args = (lam, SERVICE_HOURS, LANES, stations, horizon, warmup)
    wall: dict[str, list[float]] = {"cs": [], "simpy": [], "heapq": []}
    cpu: dict[str, list[float]] = {"cs": [], "simpy": [], "heapq": []}
    runs: dict[str, object] = {}

    def timed(key: str, fn) -> None:
        t0, c0 = time.perf_counter(), time.process_time()
        runs[key] = fn()
        wall[key].append(time.perf_counter() - t0)
        cpu[key].append(time.process_time() - c0)

    def run_references() -> None:
        # pedantic's untimed setup: the reference models run between the corridor_sim
        # rounds, so the three share whatever else the machine is doing at the time.
        timed("simpy", lambda: simpy_tandem(*args, seed=SEED))
        timed("heapq", lambda: heapq_tandem(*args, seed=SEED))

    benchmark.pedantic(timed, args=("cs", lambda: cs.run(sc, replications=1, seed=SEED)),
                       setup=run_references, rounds=ROUNDS, iterations=1)
    t_cs, t_simpy, t_heapq = (min(wall[k]) for k in ("cs", "simpy", "heapq"))
    c_cs, c_simpy, c_heapq = (min(cpu[k]) for k in ("cs", "simpy", "heapq"))
    simpy_run, heapq_run = runs["simpy"], runs["heapq"]
    # Untimed: the same replication again, for its events and its recorded waits (results
    # keep KPIs, not the recorded columns).
    model = CorridorModel(sc, 0, SEED)
    data = model.run()
    cs_events = next(model.env._eid)

    shipments = len(data.columns["s_flow"])
    means = check_same_queue(
        {"corridor_sim": corridor_waits(data, border_names), "simpy": simpy_run.waits,
         "heapq": heapq_run.waits},
        {"corridor_sim": shipments, "simpy": simpy_run.customers,
         "heapq": heapq_run.customers}, horizon)

    record(case, "shipments", shipments)
    record(case, "corridor_sim time [s]", t_cs)
    record(case, "raw SimPy time [s]", t_simpy)
    record(case, "heapq time [s]", t_heapq)
    record(case, "corridor_sim / raw SimPy", t_cs / t_simpy, TARGET)
    record(case, "raw SimPy / heapq", t_simpy / t_heapq)
    record(case, "corridor_sim / heapq", t_cs / t_heapq)
    record(case, "CPU time: corridor_sim / raw SimPy", c_cs / c_simpy, TARGET)
    record(case, "CPU time: raw SimPy / heapq", c_simpy / c_heapq)
    record(case, "corridor_sim shipments/s", shipments / t_cs)
    record(case, "events per shipment: corridor_sim", cs_events / shipments)
    record(case, "events per shipment: raw SimPy", simpy_run.events / simpy_run.customers)
    record(case, "events per shipment: heapq", heapq_run.events / heapq_run.customers)
    record(case, "corridor_sim events/s", cs_events / t_cs)
    record(case, "raw SimPy events/s", simpy_run.events / t_simpy)
    record(case, "mean wait [h]: cs / SimPy / heapq / Erlang C",
           " / ".join(f"{means[k]:.2f}" for k in ("corridor_sim", "simpy", "heapq"))
           + f" / {erlang_c_wait(lam, SERVICE_HOURS, LANES):.2f}")
