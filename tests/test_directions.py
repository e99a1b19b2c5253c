"""Directions of travel through a node: own or shared servers, limits, calendars, space.

Each direction is named by the node its vehicles arrive from. Validated against Erlang C per
direction (own servers are independent M/M/c queues), daily limits by date, the barred
commodity turned back at the first side of a crossing, and the validator's messages.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from corridor_sim.engine import simulate
from corridor_sim.errors import ScenarioError
from corridor_sim.kpis import replication_kpis
from corridor_sim.records import REJECTED
from corridor_sim.scenario import scenario_from_dict

ZERO = {"dist": "constant", "hours": 0}


def erlang_c_wait(lam: float, mean_service: float, servers: int) -> float:
    a = lam * mean_service
    rho = a / servers
    top = a ** servers / math.factorial(servers) / (1 - rho)
    p_wait = top / (sum(a ** k / math.factorial(k) for k in range(servers)) + top)
    return p_wait * mean_service / (servers - servers * rho)


def two_way(directions: dict | None, per_day_ab: float = 38.4, per_day_ba: float = 57.6,
            days: float = 400, **node) -> dict:
    x = {"kind": "checkpoint", "lanes": {"general": 6},
         "service_time": {"dist": "exponential", "mean_hours": 1.0}, **node}
    if directions is not None:
        x["directions"] = directions
    return {
        "name": "two-way", "horizon_days": days, "warmup_days": 10,
        "nodes": {"a": {"kind": "city"}, "x": x, "b": {"kind": "city"}},
        "links": [{"from": "a", "to": "x", "travel_time": ZERO, "bidirectional": True},
                  {"from": "x", "to": "b", "travel_time": ZERO, "bidirectional": True}],
        "commodities": {"g": {}},
        "demand": [{"origin": "a", "destination": "b", "commodity": "g", "per_day": per_day_ab},
                   {"origin": "b", "destination": "a", "commodity": "g",
                    "per_day": per_day_ba}],
    }


def test_own_servers_per_direction_are_independent_erlang_c_queues():
    sc = scenario_from_dict(two_way({"a": {"pool": "own", "lanes": {"general": 2}},
                                     "b": {"pool": "own", "lanes": {"general": 3}}}))
    waits = {"a": [], "b": []}
    for r in range(6):
        k = replication_kpis(simulate(sc, r, seed=21))
        for src in waits:
            waits[src].append(k[f"x.from[{src}].wait_hours.mean"])
        assert k["x.from[a].vehicles_per_day"] == pytest.approx(38.4, rel=0.1)
        assert 0.7 < k["x.from[b].utilisation"] < 0.9
    for src, lam, servers in (("a", 1.6, 2), ("b", 2.4, 3)):
        v = np.asarray(waits[src])
        exact = erlang_c_wait(lam, 1.0, servers)
        se = v.std(ddof=1) / math.sqrt(v.size)
        assert abs(v.mean() - exact) <= 4 * se + 0.03 * exact, (src, v.mean(), se, exact)


def test_per_direction_kpis_exist_without_directions_settings():
    k = replication_kpis(simulate(scenario_from_dict(two_way(None, days=30)), 0, seed=1))
    assert k["x.from[a].vehicles_per_day"] + k["x.from[b].vehicles_per_day"] == \
        pytest.approx(k["x.shipments_per_day"])
    assert k["x.from[b].queue_length.mean"] >= 0


def test_dated_limit_schedule_for_one_direction_of_a_shared_pool():
    limits = [{"from": "2025-01-01", "per_day": 20}, {"from": "2025-01-21", "per_day": 30}]
    sc = scenario_from_dict(two_way({"a": {"max_vehicles_per_day": limits}},
                                    per_day_ab=48, days=40))
    data = simulate(sc, 0, seed=2)
    c = data.columns
    x = data.nodes.index("x")
    flows = c["s_flow"][c["v_sid"]]
    started = c["v_started"][(c["v_node"] == x) & (flows == 0)]
    per_day = np.bincount((started[~np.isnan(started)] // 24).astype(int), minlength=40)
    assert per_day[:20].max() == 20 and per_day[1:19].min() == 20
    assert per_day[20:39].max() == 30 and per_day[21:39].min() == 30
    # the other direction is not limited
    other = c["v_started"][(c["v_node"] == x) & (flows == 1)]
    assert np.bincount((other // 24).astype(int)).max() > 40


def test_direction_with_its_own_calendar_and_space():
    sc = scenario_from_dict(two_way(
        {"a": {"calendar": "closed_two_days", "space": {"vehicles": 15}}}, days=20,
    ) | {"warmup_days": 0,
         "calendars": {"closed_two_days": {"always_open": True,
                                           "closed_dates": ["2025-01-05", "2025-01-06"]}}})
    data = simulate(sc, 0, seed=3)
    k = replication_kpis(data)
    assert k["x.from[a].space.occupancy.max"] == 15
    assert k["x.from[a].space.approach.max"] > 40  # the two days' backlog waits outside
    c = data.columns
    x, from_b = data.nodes.index("x"), c["s_flow"][c["v_sid"]] == 1
    during = (c["v_node"] == x) & from_b & (c["v_arrived"] > 96) & (c["v_arrived"] < 144)
    assert (c["v_started"] - c["v_arrived"])[during].mean() < 0.5  # b flows on meanwhile


def test_barred_commodity_is_turned_back_at_the_first_side_of_the_crossing():
    sc = scenario_from_dict({
        "name": "barred", "horizon_days": 10,
        "nodes": {"o": {"kind": "city"},
                  "kz": {"kind": "checkpoint",
                         "service_time": {"dist": "constant", "hours": 0.5}},
                  "cn": {"kind": "checkpoint",
                         "service_time": {"dist": "constant", "hours": 0.5}},
                  "d": {"kind": "city"}},
        "links": [{"from": "o", "to": "kz", "travel_time": ZERO},
                  {"from": "kz", "to": "cn", "travel_time": ZERO},
                  {"from": "cn", "to": "d", "travel_time": ZERO}],
        "commodities": {"meat": {"barred_at": ["cn"]}, "g": {}},
        "demand": [{"origin": "o", "destination": "d", "commodity": "meat", "per_day": 5},
                   {"origin": "o", "destination": "d", "commodity": "g", "per_day": 5}],
    })
    data = simulate(sc, 0, seed=1)
    c = data.columns
    meat = c["s_flow"] == 0
    assert (c["s_status"][meat] == REJECTED).all()
    assert (c["s_node"][meat] == data.nodes.index("kz")).all()
    assert not np.isin(c["v_sid"], np.flatnonzero(meat)).any()  # never served at either side


@pytest.mark.parametrize("directions, message", [
    ({"nowhere": {"pool": "own", "lanes": {"general": 1}}}, r"nodes\.x\.directions\.nowhere: "
     r"unknown node"),
    ({"x": {"max_vehicles_per_day": 3}}, r"no link leads from 'x' to 'x'"),
    ({"a": {"pool": "own"}}, r"pool: own needs lanes"),
    ({"a": {"lanes": {"general": 2}}}, r"lanes of a direction need pool: own"),
    ({"a": {"calendar": "nope"}}, r"directions\.a\.calendar: unknown calendar 'nope'"),
    ({"a": {"max_vehicles_per_day": [{"from": "2025-02-01", "per_day": 3},
                                     {"from": "2025-01-01", "per_day": 4}]}},
     r"distinct and in order"),
])
def test_direction_errors(directions, message):
    with pytest.raises(ScenarioError, match=message):
        scenario_from_dict(two_way(directions, days=15))


def test_own_servers_per_direction_break_the_deadlock_cycle():
    def crossing(directions: bool) -> dict:
        side = {"kind": "checkpoint", "lanes": {"general": 4},
                "service_time": {"dist": "exponential", "mean_hours": 0.5}}
        nodes = {"o": {"kind": "city"}, "p": dict(side), "q": dict(side), "d": {"kind": "city"}}
        if directions:
            nodes["p"]["directions"] = {"o": {"pool": "own", "lanes": {"general": 2}},
                                        "q": {"pool": "own", "lanes": {"general": 2}}}
        return {"name": "crossing", "horizon_days": 5, "nodes": nodes,
                "links": [{"from": "o", "to": "p", "travel_time": ZERO, "bidirectional": True},
                          {"from": "p", "to": "q", "travel_time": ZERO, "bidirectional": True,
                           "space": {"vehicles": 5}},
                          {"from": "q", "to": "d", "travel_time": ZERO, "bidirectional": True}],
                "commodities": {"g": {}},
                "demand": [{"origin": "o", "destination": "d", "commodity": "g", "per_day": 50},
                           {"origin": "d", "destination": "o", "commodity": "g",
                            "per_day": 50}]}

    with pytest.raises(ScenarioError, match="deadlock"):
        scenario_from_dict(crossing(directions=False))
    data = simulate(scenario_from_dict(crossing(directions=True)), 0, seed=1)
    assert (data.columns["s_status"] == 1).mean() > 0.9
