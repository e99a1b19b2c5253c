"""Same scenario and seed give identical results in any executor; streams are independent."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

import corridor_sim as cs
from corridor_sim.engine import simulate
from corridor_sim.scenario import scenario_from_dict

SEED = 42


@pytest.fixture(scope="module")
def scenario(make_scenario):
    cp = make_scenario.checkpoint
    return scenario_from_dict(make_scenario.dict(
        checkpoints={
            "nur_zholy": cp(lanes=2, green_lanes=1, calendar="kz",
                            inspection={"probability": 0.3,
                                        "time": make_scenario.exponential(1.0)}),
            "khorgos": cp(lanes=2, calendar="cn", service=make_scenario.exponential(0.7),
                          transload={"time": {"dist": "uniform", "min_hours": 0.2,
                                              "max_hours": 1.0}, "bays": 2}),
        },
        travel=[{"dist": "lognormal", "mean_hours": 3, "cv": 0.3},
                make_scenario.constant(0.5), {"dist": "gamma", "mean_hours": 5, "cv": 0.2}],
        calendars={"kz": {"shifts": [make_scenario.every_day("06:00", "22:00")],
                          "timezone": "Asia/Almaty"},
                   "cn": {"shifts": [make_scenario.every_day("09:00", "21:00")],
                          "timezone": "Asia/Shanghai"}},
        commodities={"general": {"unit": "teu"},
                     "fresh": {"unit": "tonne", "green_corridor": True}},
        demand=[make_scenario.flow("general", per_hour=1.2),
                make_scenario.flow("fresh", per_hour=0.3,
                                   weekday=[1, 1, 1, 1, 1, 0.5, 0.2])],
        horizon_days=15, warmup_days=1))


@pytest.fixture(scope="module")
def serial(scenario):
    return cs.run(scenario, replications=4, seed=SEED, workers=1, keep="all")


def assert_same_results(a, b) -> None:
    pd.testing.assert_frame_equal(a.shipments, b.shipments)
    pd.testing.assert_frame_equal(a.visits, b.visits)
    pd.testing.assert_frame_equal(a.kpis, b.kpis)


def test_same_seed_same_results_serial_and_in_processes(scenario, serial):
    parallel = cs.run(scenario, replications=4, seed=SEED, workers=2, keep="all")
    assert_same_results(serial, parallel)
    pd.testing.assert_frame_equal(serial.summary(), parallel.summary())


def test_same_seed_same_results_when_run_again(scenario, serial):
    assert_same_results(serial, cs.run(scenario, replications=4, seed=SEED, keep="all"))


def test_a_replication_does_not_depend_on_how_many_run(scenario, serial):
    first_two = cs.run(scenario, replications=2, seed=SEED, keep="all")
    sh = serial.shipments
    pd.testing.assert_frame_equal(
        first_two.shipments, sh[sh["replication"] < 2].reset_index(drop=True),
        check_categorical=False)
    one = simulate(scenario, replication=3, seed=SEED)
    np.testing.assert_array_equal(one.columns["s_created"],
                                  sh.loc[sh["replication"] == 3, "created_hours"])


def test_different_seeds_differ(scenario, serial):
    other = cs.run(scenario, replications=4, seed=SEED + 1, keep="all")
    assert not serial.shipments["created_hours"].equals(other.shipments["created_hours"])
    assert not serial.visits["wait_hours"].equals(other.visits["wait_hours"])
    # and replications of one run differ from each other
    created = serial.shipments.groupby("replication")["created_hours"].apply(
        lambda s: tuple(s.head(5)))
    assert created.nunique() == 4


def test_scenario_seed_is_the_default(scenario):
    seeded = scenario.with_changes({"seed": SEED})
    a = cs.run(seeded, replications=1, keep="all")
    b = cs.run(seeded, replications=1, seed=SEED, keep="all")
    pd.testing.assert_frame_equal(a.shipments, b.shipments)


@pytest.mark.parametrize("changes", [
    {"nodes.nur_zholy.lanes.general": 5},
    {"nodes.khorgos.lanes.general": 1, "nodes.khorgos.lanes.green": 1},
    {"nodes.khorgos.calendar": "round_the_clock"},
    {"nodes.nur_zholy.service_time.mean_hours": 0.5},
], ids=["more-lanes", "green-lane", "calendar", "service"])
def test_common_random_numbers_keep_arrivals(scenario, serial, changes):
    changed = cs.run(scenario.with_changes(changes), replications=4, seed=SEED, keep="all")
    a, b = serial.shipments, changed.shipments
    pd.testing.assert_frame_equal(
        a[["replication", "shipment_id", "commodity", "created_hours"]],
        b[["replication", "shipment_id", "commodity", "created_hours"]])
    # the change does change something downstream
    assert not a["delivered_hours"].equals(b["delivered_hours"])


def test_common_random_numbers_keep_other_streams(scenario, serial):
    """More Khorgos lanes leave the clearance draws at Nur Zholy unchanged."""
    changed = cs.run(scenario.with_changes({"nodes.khorgos.lanes.general": 6}),
                     replications=4, seed=SEED, keep="all")

    def nur_zholy_service(res):
        v = res.visits[res.visits["node"] == "nur_zholy"]
        return (v["departed_hours"] - v["started_hours"]).dropna().to_numpy()

    np.testing.assert_array_equal(nur_zholy_service(serial), nur_zholy_service(changed))


def test_no_global_random_state_is_touched(scenario):
    random.seed(5)
    np.random.seed(5)
    py_state, np_state = random.getstate(), np.random.get_state()
    cs.run(scenario, replications=1, seed=SEED, keep="all")
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert after[0] == np_state[0]
    np.testing.assert_array_equal(after[1], np_state[1])
    assert after[2:] == np_state[2:]


def test_results_do_not_depend_on_the_machine_time_zone(scenario, monkeypatch):
    import time

    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is not available on this platform")
    here = cs.run(scenario, replications=1, seed=SEED, keep="all")
    try:
        monkeypatch.setenv("TZ", "America/Los_Angeles")
        time.tzset()
        there = cs.run(scenario, replications=1, seed=SEED, keep="all")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert_same_results(here, there)
