"""Finite space with blocking after service, validated against exact results.

- Two single-server stations in tandem with a finite room between them: the engine against
  the exact stationary distribution of the continuous-time Markov chain, solved here with
  numpy (the chain is small once the unlimited first queue is truncated far beyond where it
  has any probability mass). No outside simulator is needed for an exact answer.
- An M/M/c whose waiting room is finite, fed by an unlimited approach road: Little's law on
  the occupancy of room and road together, and the exact mean occupancy of the room.
- Conservation with blocked vehicles, a TEU yard that is never over-filled, the validator's
  deadlock check and the run-time watchdog.

Tolerances come from the spread of independent replications, never from seeded snapshots.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from corridor_sim.engine import DeadlockError, simulate
from corridor_sim.errors import ScenarioError
from corridor_sim.records import DELIVERED, IN_SYSTEM, REJECTED
from corridor_sim.scenario import scenario_from_dict
from corridor_sim.scenario.schema import Scenario

ZERO = {"dist": "constant", "hours": 0}


def station(mean_hours: float, servers: int = 1, **extra) -> dict:
    return {"kind": "checkpoint", "lanes": {"general": servers},
            "service_time": {"dist": "exponential", "mean_hours": mean_hours}, **extra}


def tandem(room: int, lam: float, mu1: float, mu2: float, days: float) -> dict:
    return {
        "name": "tandem", "horizon_days": days, "warmup_days": 20,
        "nodes": {"o": {"kind": "city"}, "a": station(1 / mu1), "b": station(1 / mu2),
                  "d": {"kind": "city"}},
        "links": [{"from": "o", "to": "a", "travel_time": ZERO},
                  {"from": "a", "to": "b", "travel_time": ZERO, "space": {"vehicles": room}},
                  {"from": "b", "to": "d", "travel_time": ZERO}],
        "commodities": {"g": {}},
        "demand": [{"origin": "o", "destination": "d", "commodity": "g", "per_day": lam * 24}],
    }


def tandem_ctmc(room: int, lam: float, mu1: float, mu2: float, n_max: int = 160) -> dict:
    """Exact stationary measures of the tandem with blocking after service.

    State (n, j, b): n vehicles at station A (waiting, in service or blocked), j at B (in
    service and waiting, at most ``room + 1``), b = 1 when A's server holds a served vehicle
    that waits for room. The room counts the vehicles waiting in front of B.
    """
    states = [(n, j, b) for n in range(n_max + 1) for j in range(room + 2) for b in (0, 1)
              if not (b and (n == 0 or j < room + 1))]
    pos = {s: i for i, s in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    for (n, j, b), i in pos.items():
        moves = []
        if n < n_max:
            moves.append(((n + 1, j, b), lam))
        if n >= 1 and not b:  # A finishes: to B if there is room, else blocked
            moves.append(((n - 1, j + 1, 0) if j < room + 1 else (n, j, 1), mu1))
        if j >= 1:  # B finishes: the blocked vehicle (if any) moves in
            moves.append(((n - 1, j, 0) if b else (n, j - 1, 0), mu2))
        for target, rate in moves:
            q[i, pos[target]] += rate
            q[i, i] -= rate
    a = np.vstack([q.T, np.ones(len(states))])
    rhs = np.zeros(len(states) + 1)
    rhs[-1] = 1.0
    p = np.linalg.lstsq(a, rhs, rcond=None)[0]
    arr = np.array(states)
    assert p[arr[:, 0] == n_max].sum() < 1e-9, "truncation too tight"
    return {"blocked": float(p[arr[:, 2] == 1].sum()),
            "in_a": float(p @ arr[:, 0]),
            "room": float(p @ np.maximum(arr[:, 1] - 1, 0))}


def _mean_ci(values: list[float]) -> tuple[float, float]:
    v = np.asarray(values)
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))


def _time_average(times: np.ndarray, values: np.ndarray, lo: float, hi: float) -> float:
    """Time-average over [lo, hi] of a step function that is ``values[i]`` from ``times[i]``."""
    before = np.searchsorted(times, lo, side="right") - 1
    start = values[before] if before >= 0 else 0.0
    keep = (times > lo) & (times < hi)
    t = np.concatenate([[lo], times[keep], [hi]])
    v = np.concatenate([[start], values[keep]])
    return float(np.sum(v * np.diff(t)) / (hi - lo))


def _space_series(data, space: int, column: str) -> tuple[np.ndarray, np.ndarray]:
    c = data.columns
    mask = c["o_space"] == space
    return c["o_time"][mask], c[column][mask].astype(float)


@pytest.mark.parametrize("room", [1, 3])
def test_tandem_with_finite_room_matches_the_exact_chain(room):
    lam, mu1, mu2 = 0.6, 1.0, 0.8
    exact = tandem_ctmc(room, lam, mu1, mu2)
    sc = scenario_from_dict(tandem(room, lam, mu1, mu2, days=1500))
    lo, hi = sc.warmup_hours, sc.horizon_hours
    blocked, in_a, occupancy = [], [], []
    for r in range(6):
        data = simulate(sc, r, seed=11)
        c = data.columns
        a = data.nodes.index("a")
        # share of time A's server is blocked: hours blocked of visits ending after warm-up
        rows = c["b_vrow"]
        ended = c["v_departed"][rows]
        keep = (ended >= lo) & (ended <= hi)
        blocked.append(float(c["b_hours"][keep].sum()) / (hi - lo))
        visits = (c["v_node"] == a) & (c["v_arrived"] >= lo) & ~np.isnan(c["v_departed"])
        sojourn = (c["v_departed"] - c["v_arrived"])[visits].mean()
        in_a.append(lam * sojourn)  # Little's law at station A
        t, used = _space_series(data, 0, "o_used")
        occupancy.append(_time_average(t, used, lo, hi))
    for name, values in (("blocked", blocked), ("in_a", in_a), ("room", occupancy)):
        mean, se = _mean_ci(values)
        assert abs(mean - exact[name]) <= 4 * se + 0.02 * exact[name] + 1e-3, \
            f"{name}: simulated {mean:.4f} ± {se:.4f}, exact {exact[name]:.4f}"
    assert exact["blocked"] > 0.05  # the case really blocks


def mmc_with_room(servers: int, room: int, lam: float, mu: float, days: float) -> dict:
    return {
        "name": "mmc-room", "horizon_days": days, "warmup_days": 20,
        "nodes": {"o": {"kind": "city"},
                  "x": station(1 / mu, servers, space={"vehicles": room}),
                  "d": {"kind": "city"}},
        "links": [{"from": "o", "to": "x", "travel_time": ZERO},
                  {"from": "x", "to": "d", "travel_time": ZERO}],
        "commodities": {"g": {}},
        "demand": [{"origin": "o", "destination": "d", "commodity": "g", "per_day": lam * 24}],
    }


def mmc_queue_distribution(servers: int, lam: float, mu: float, n_max: int = 400
                           ) -> np.ndarray:
    """P(k waiting) of an M/M/c queue, k = 0 … n_max."""
    a = lam / mu
    rho = a / servers
    p0 = 1 / (sum(a ** k / math.factorial(k) for k in range(servers))
              + a ** servers / math.factorial(servers) / (1 - rho))
    pc = p0 * a ** servers / math.factorial(servers)  # P(exactly c in system)
    waiting = np.array([pc * rho ** k for k in range(n_max + 1)])
    waiting[0] = 1 - waiting[1:].sum()  # nobody waits: c or fewer in the system
    return waiting


def test_mmc_with_finite_room_and_unlimited_approach():
    servers, room, lam, mu = 3, 4, 2.55, 1.0  # rho = 0.85
    sc = scenario_from_dict(mmc_with_room(servers, room, lam, mu, days=1500))
    lo, hi = sc.warmup_hours, sc.horizon_hours
    dist = mmc_queue_distribution(servers, lam, mu)
    k = np.arange(dist.size)
    exact_room = float(dist @ np.minimum(k, room))
    exact_road = float(dist @ np.maximum(k - room, 0))
    little_gap, in_room, on_road = [], [], []
    for r in range(6):
        data = simulate(sc, r, seed=5)
        c = data.columns
        t, used = _space_series(data, 0, "o_used")
        _, road = _space_series(data, 0, "o_approach")
        assert used.max() <= room and (data.columns["o_blocked"] == 0).all()
        room_avg = _time_average(t, used, lo, hi)
        road_avg = _time_average(t, road, lo, hi)
        in_room.append(room_avg)
        on_road.append(road_avg)
        x = data.nodes.index("x")
        visits = (c["v_node"] == x) & (c["v_arrived"] >= lo) & ~np.isnan(c["v_started"])
        wait = (c["v_started"] - c["v_arrived"])[visits].mean()
        little_gap.append(room_avg + road_avg - lam * wait)  # L = lambda W on room + road
    gap, se = _mean_ci(little_gap)
    assert abs(gap) <= 4 * se + 0.02, f"Little's law off by {gap:.3f} ± {se:.3f}"
    for name, values, exact in (("room", in_room, exact_room), ("road", on_road, exact_road)):
        mean, se = _mean_ci(values)
        assert abs(mean - exact) <= 4 * se + 0.02 * exact, \
            f"{name}: simulated {mean:.3f} ± {se:.3f}, exact {exact:.3f}"
    assert exact_road > 0.3  # the room really overflows onto the road


def closure_scenario(strip: int, parking: int | None = None) -> dict:
    """Two checkpoints joined by a strip; the second closes for two days."""
    first = station(0.5, 4)
    if parking is not None:
        first["space"] = {"vehicles": parking}
    return {
        "name": "closure", "horizon_days": 20, "warmup_days": 0,
        "calendars": {"holiday": {"always_open": True,
                                  "closed_dates": ["2025-01-05", "2025-01-06"]}},
        "nodes": {"o": {"kind": "city"}, "exit": first,
                  "entry": station(0.5, 4, calendar="holiday"), "d": {"kind": "city"}},
        "links": [{"from": "o", "to": "exit", "travel_time": {"dist": "constant", "hours": 2}},
                  {"from": "exit", "to": "entry", "travel_time": {"dist": "constant",
                                                                   "hours": 0.2},
                   "space": {"vehicles": strip}},
                  {"from": "entry", "to": "d", "travel_time": ZERO}],
        "commodities": {"g": {}},
        "demand": [{"origin": "o", "destination": "d", "commodity": "g", "per_day": 100}],
    }


def test_closure_backlog_forms_before_the_strip_and_everything_is_conserved():
    sc = scenario_from_dict(closure_scenario(strip=10, parking=30))
    data = simulate(sc, 0, seed=3)
    c = data.columns
    status = c["s_status"]
    n = status.size
    assert n == (status == DELIVERED).sum() + (status == IN_SYSTEM).sum() \
        + (status == REJECTED).sum()
    names = data.spaces["name"]
    strip, parking = names.index("space[exit→entry]"), names.index("space[exit]")
    t, used = _space_series(data, strip, "o_used")
    assert used.max() == 10  # the strip fills up to its room and no further
    _, blocked = _space_series(data, strip, "o_blocked")
    assert blocked.max() == 4  # every lane of the exit checkpoint held a served truck
    _, road = _space_series(data, parking, "o_approach")
    assert road.max() > 50  # the backlog of two days' closure waits on the approach road
    # Places at the end of the run: vehicles past the exit lanes not yet started at entry.
    exit_, entry = data.nodes.index("exit"), data.nodes.index("entry")
    left_exit = set(c["v_sid"][(c["v_node"] == exit_) & ~np.isnan(c["v_departed"])])
    started_entry = set(c["v_sid"][(c["v_node"] == entry) & ~np.isnan(c["v_started"])])
    assert used[-1] == len(left_exit - started_entry)
    # Hours blocked were recorded per visit of the exit checkpoint, and add up.
    assert (c["v_node"][c["b_vrow"]] == exit_).all()
    assert c["b_hours"].sum() > 4 * 24  # four lanes blocked for much of two days


def test_shared_servers_with_room_both_ways_are_refused():
    data = closure_scenario(strip=10)
    data["links"][1]["bidirectional"] = True
    data["links"][0]["bidirectional"] = True
    data["links"][2]["bidirectional"] = True
    data["demand"].append({"origin": "d", "destination": "o", "commodity": "g",
                           "per_day": 100})
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    text = str(err.value)
    assert "links[1].space" in text and "deadlock" in text and "direction" in text
    assert "'entry'" in text and "'exit'" in text


def test_a_second_stage_breaks_the_cycle():
    data = closure_scenario(strip=10)
    for link in data["links"]:
        link["bidirectional"] = True
    data["demand"].append({"origin": "d", "destination": "o", "commodity": "g",
                           "per_day": 100})
    # Trans-loading bays after clearance at the entry: its lanes are never held.
    data["nodes"]["entry"]["transload"] = {"time": {"dist": "constant", "hours": 0.5},
                                           "bays": 6}
    scenario_from_dict(data)  # accepted


def deadlocking_scenario() -> Scenario:
    """Two-way traffic over a strip of 2 with blocking on both sides: it deadlocks.

    Built from the schema alone: the validator would refuse it.
    """
    data = closure_scenario(strip=2)
    data["horizon_days"] = 60
    for link in data["links"]:
        link["bidirectional"] = True
    data["demand"].append({"origin": "d", "destination": "o", "commodity": "g",
                           "per_day": 100})
    return Scenario.model_validate(data)


def test_watchdog_reports_a_deadlock_instead_of_running_on():
    with pytest.raises(DeadlockError, match=r"no progress .* vehicles waiting at space\["):
        simulate(deadlocking_scenario(), 0, seed=1)


def test_origin_waits_on_the_approach_road():
    data = closure_scenario(strip=5)
    data["links"][0] = {"from": "o", "to": "exit", "travel_time": {"dist": "constant",
                                                                     "hours": 2},
                        "space": {"vehicles": 20}}
    sc = scenario_from_dict(data)
    d = simulate(sc, 0, seed=2)
    road = d.spaces["name"].index("space[o→exit]")
    t, used = _space_series(d, road, "o_used")
    _, approach = _space_series(d, road, "o_approach")
    assert used.max() == 20 and approach.max() > 20
    status = d.columns["s_status"]
    assert status.size == (status == DELIVERED).sum() + (status == IN_SYSTEM).sum()


def yard_scenario(yard_teu: float) -> dict:
    return {
        "name": "yard", "horizon_days": 40, "warmup_days": 0,
        "nodes": {"o": {"kind": "city"},
                  "terminal": {"kind": "terminal",
                               "handling": {"tracks": 2, "cranes": 1, "moves_per_hour": 40},
                               "space": {"teu": yard_teu}},
                  "d": {"kind": "city"}},
        "links": [{"from": "o", "to": "terminal", "mode": "rail",
                   "travel_time": {"dist": "exponential", "mean_hours": 1}},
                  {"from": "terminal", "to": "d", "mode": "rail", "distance_km": 100,
                   "speed_kmh": 50, "capacity_teu": 100,
                   "departures": {"every_hours": 12}}],
        "commodities": {"g": {}},
        "demand": [{"origin": "o", "destination": "d", "commodity": "g", "per_day": 95,
                    "units_per_shipment": 2}],
    }


def test_teu_yard_is_never_overfilled_and_empties_on_departure():
    sc = scenario_from_dict(yard_scenario(110))
    data = simulate(sc, 0, seed=4)
    t, used = _space_series(data, 0, "o_used")
    assert used.max() <= 110 and used.max() >= 100
    _, outside = _space_series(data, 0, "o_approach")
    assert outside.max() > 0  # trucks waited whole outside a full yard
    c = data.columns
    term = data.nodes.index("terminal")
    # Containers in the yard at the end: arrived, admitted, not yet on a train.
    status = c["s_status"]
    assert status.size == (status == DELIVERED).sum() + (status == IN_SYSTEM).sum()
    on_trains = c["j_size"][c["j_station"] == 1].sum()
    admitted = (c["v_node"] == term).sum() - outside[-1]
    assert used[-1] == pytest.approx(2 * (admitted - on_trains))


def test_space_on_a_scheduled_link_is_refused():
    data = yard_scenario(150)
    data["links"][1]["space"] = {"vehicles": 3}
    with pytest.raises(ScenarioError, match=r"links\[1\].*space applies only"):
        scenario_from_dict(data)


def test_space_needs_exactly_one_unit():
    data = mmc_with_room(2, 3, 1.0, 1.0, 10)
    data["nodes"]["x"]["space"] = {"vehicles": 3, "teu": 10}
    with pytest.raises(ScenarioError, match=r"nodes\.x\.space.*exactly one of vehicles or teu"):
        scenario_from_dict(data)


def test_queue_kpis_agree_with_the_records():
    from corridor_sim.kpis import replication_kpis

    sc = scenario_from_dict(closure_scenario(strip=10, parking=30))
    data = simulate(sc, 0, seed=3)
    k = replication_kpis(data)
    lo, hi = sc.warmup_hours, sc.horizon_hours
    names = data.spaces["name"]
    for key, prefix in (("space[exit]", "exit.space"), ("space[exit→entry]",
                                                         "space[exit→entry]")):
        t, used = _space_series(data, names.index(key), "o_used")
        assert k[f"{prefix}.occupancy.mean"] == pytest.approx(_time_average(t, used, lo, hi))
        assert k[f"{prefix}.occupancy.max"] == used.max()
        assert k[f"{prefix}.occupancy.mean"] <= k[f"{prefix}.occupancy.p95"] \
            <= k[f"{prefix}.occupancy.max"]
    assert k["exit.space.approach_km.max"] == pytest.approx(
        k["exit.space.approach.max"] * sc.vehicle_length_m / 1000)
    # Crossing time, shipment by shipment: arrival at exit to departure from entry.
    c = data.columns
    exit_, entry = data.nodes.index("exit"), data.nodes.index("entry")
    rows = list(zip(c["v_sid"], c["v_node"], c["v_arrived"], c["v_departed"], strict=True))
    arr = {s: a for s, n, a, _ in rows if n == exit_}
    times = [d - arr[s] for s, n, _, d in rows
             if n == entry and not np.isnan(d) and d <= hi and arr[s] >= lo]
    assert k["crossing[exit→entry].hours.mean"] == pytest.approx(np.mean(times))
    assert k["crossing[exit→entry].hours.p95"] == pytest.approx(np.percentile(times, 95))
    # Hours blocked: per visit of the exit checkpoint, zeros included.
    assert k["exit.blocked_hours.per_day"] == pytest.approx(
        c["b_hours"][c["v_departed"][c["b_vrow"]] >= lo].sum() / ((hi - lo) / 24))


def test_teu_days_and_waits_for_a_train_have_their_own_names():
    from corridor_sim.kpis import replication_kpis

    sc = scenario_from_dict(yard_scenario(110))
    data = simulate(sc, 0, seed=4)
    k = replication_kpis(data)
    days = (sc.horizon_hours - sc.warmup_hours) / 24
    assert k["terminal.space.teu_days"] == pytest.approx(k["terminal.space.occupancy.mean"]
                                                         * days)
    wait = k["terminal>d:rail.wait_for_vehicle_hours.mean"]
    assert 0 < wait < 48  # trains every 12 h, some loads left for the next one
    c = data.columns
    # Waits for a train are not visits: the terminal's throughput counts each load once.
    assert k["terminal.shipments_per_day"] == pytest.approx(
        ((c["v_node"] == data.nodes.index("terminal"))
         & (c["v_departed"] >= sc.warmup_hours)).sum() / days)
    assert c["w_sid"].size == c["j_size"][c["j_station"] == 1].sum()


def test_a_deadlocked_replication_is_freed_by_the_next():
    import gc
    import weakref

    from corridor_sim.engine import model as engine_model
    from corridor_sim.replication import run_replication

    stuck = deadlocking_scenario()
    models = []
    build = engine_model.CorridorModel.__init__

    def watched(self, *args, **kwargs):
        build(self, *args, **kwargs)
        models.append(weakref.ref(self))

    engine_model.CorridorModel.__init__ = watched
    try:
        with pytest.raises(DeadlockError):
            run_replication((stuck, 0, 1))
        fine = scenario_from_dict(closure_scenario(strip=10))
        run_replication((fine, 0, 1))
    finally:
        engine_model.CorridorModel.__init__ = build
    # the caught error's traceback is gone: neither model is left once the next one has run
    gc.collect(0)
    assert [ref() for ref in models] == [None, None]
