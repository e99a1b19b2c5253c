"""Conservation and causality: nothing is lost, nothing is early, time runs forwards."""

from __future__ import annotations

import numpy as np
import pytest

import corridor_sim as cs
from corridor_sim.choice import candidate_routes

SEED = 7


def _two_borders(make_scenario) -> dict:
    """Nur Zholy (KZ, UTC+5) → Khorgos (CN, UTC+8) with everything a checkpoint can do."""
    cp, f = make_scenario.checkpoint, make_scenario.flow
    return make_scenario.dict(
        checkpoints={
            "nur_zholy": cp(lanes=3, green_lanes=1, calendar="kz",
                            service={"dist": "lognormal", "mean_hours": 0.5, "cv": 0.8},
                            inspection={"probability": 0.2,
                                        "time": {"dist": "triangular", "min_hours": 0.5,
                                                 "mode_hours": 1, "max_hours": 3}}),
            "khorgos": cp(lanes=2, calendar="cn", max_vehicles_per_day=60,
                          service={"dist": "uniform", "min_hours": 0.2, "max_hours": 0.6},
                          transload={"time": {"dist": "gamma", "mean_hours": 1.0, "cv": 0.5},
                                     "bays": 2}),
        },
        travel=[{"dist": "uniform", "min_hours": 4, "max_hours": 6},
                {"dist": "constant", "hours": 0.5},
                {"dist": "triangular", "min_hours": 2, "mode_hours": 3, "max_hours": 8}],
        calendars={
            "kz": {"shifts": [make_scenario.every_day("07:00", "23:00")],
                   "timezone": "Asia/Almaty"},
            "cn": {"shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "09:00",
                               "close": "21:00"},
                              {"days": ["sat"], "open": "22:00", "close": "06:00"}],
                   "closed_dates": ["2025-01-05", "2025-01-06"], "timezone": "Asia/Shanghai"},
        },
        commodities={"general": {"unit": "teu"},
                     "agri_fresh": {"unit": "tonne", "green_corridor": True,
                                    "shelf_life_hours": 48},
                     "meat": {"unit": "tonne", "barred_at": ["khorgos"]}},
        demand=[f("general", per_hour=1.5, units_per_shipment=2),
                f("agri_fresh", per_hour=0.4),
                f("meat", per_hour=0.2)],
        horizon_days=12, warmup_days=1,
    )


def _overloaded(make_scenario) -> dict:
    """Demand above capacity and a night closure: many shipments still queue at the end."""
    cp = make_scenario.checkpoint(lanes=2, service=make_scenario.exponential(1.0),
                                  calendar="day")
    return make_scenario.dict(checkpoints={"border": cp}, per_hour=3.0, horizon_days=6,
                              warmup_days=1,
                              calendars={"day": {"shifts": [make_scenario.every_day(
                                  "08:00", "17:00")], "timezone": "Asia/Shanghai"}})


def _mmc(make_scenario) -> dict:
    return make_scenario.dict(checkpoints={"border": make_scenario.checkpoint(lanes=3)},
                              per_hour=2.4, horizon_days=30, warmup_days=2)


SCENARIOS = {"two_borders": _two_borders, "overloaded": _overloaded, "mmc": _mmc}


@pytest.fixture(params=list(SCENARIOS), scope="module")
def results(request, make_scenario):
    data = SCENARIOS[request.param](make_scenario)
    return cs.run(cs.scenario.scenario_from_dict(data), replications=3, seed=SEED, keep="all")


def test_invariants_hold(results, check_invariants):
    check_invariants(results)


def test_created_equals_delivered_plus_in_system_plus_rejected(results):
    k = results.kpis
    assert len(k) == 3
    assert (k["created"] > 0).all()
    np.testing.assert_array_equal(k["created"], k["delivered"] + k["in_system"] + k["rejected"])
    summary = results.summary()
    assert summary.loc["created", "mean"] == pytest.approx(
        summary.loc["delivered", "mean"] + summary.loc["in_system", "mean"]
        + summary.loc["rejected", "mean"])


def test_waits_are_never_negative(results):
    waits = results.visits["wait_hours"].dropna()
    assert len(waits) > 0
    assert (waits >= 0).all()
    for kpi in results.kpis.columns:
        if ".wait_hours." in kpi or ".queue_length." in kpi:
            assert (results.kpis[kpi].dropna() >= 0).all(), kpi


def test_overloaded_run_keeps_its_queue(make_scenario):
    res = cs.run(cs.scenario.scenario_from_dict(_overloaded(make_scenario)), replications=2,
                 seed=SEED, keep="all")
    k = res.kpis
    assert (k["in_system"] > 100).all()
    still = res.visits[res.visits["started_hours"].isna()]
    assert len(still) > 100
    assert still["departed_hours"].isna().all()
    assert (k["border.queue_length.max"] >= k["in_system"] - 2 * 2).all()


def test_two_borders_run_sees_everything(make_scenario):
    res = cs.run(cs.scenario.scenario_from_dict(_two_borders(make_scenario)), replications=2,
                 seed=SEED, keep="all")
    sh = res.shipments
    assert set(sh["status"].astype(str)) == {"delivered", "in_system", "rejected"}
    assert set(res.visits["node"].astype(str)) == {"nur_zholy", "khorgos"}
    assert (sh.loc[sh["commodity"] == "meat", "status"] != "delivered").all()
    assert (sh.loc[sh["commodity"] == "general", "units"] == 2).all()
    assert set(sh.loc[sh["commodity"] == "agri_fresh", "unit"].astype(str)) == {"tonne"}
    fresh = sh[(sh["commodity"] == "agri_fresh") & (sh["status"] == "delivered")]
    np.testing.assert_array_equal(fresh["spoiled"], fresh["lead_time_hours"] > 48)
    assert not sh.loc[sh["commodity"] == "general", "spoiled"].any()


def test_lead_time_is_travel_plus_time_in_nodes(make_scenario):
    """With constant travel times no time is lost or gained between nodes."""
    cp = make_scenario.checkpoint
    sc = make_scenario(checkpoints={"a": cp(lanes=2), "b": cp(lanes=1,
                                                              service=make_scenario.exponential(
                                                                  0.5))},
                       travel=[make_scenario.constant(h) for h in (1.0, 2.5, 0.25)],
                       per_hour=1.2, horizon_days=10, warmup_days=1)
    res = cs.run(sc, replications=2, seed=SEED, keep="all")
    sh = res.shipments
    done = sh[sh["status"] == "delivered"].set_index(["replication", "shipment_id"])
    v = res.visits
    in_nodes = (v["departed_hours"] - v["arrived_hours"]).groupby(
        [v["replication"], v["shipment_id"]]).sum()
    np.testing.assert_allclose(done["lead_time_hours"],
                               3.75 + in_nodes.reindex(done.index), atol=1e-9)


def test_constant_times_make_free_flow_the_least_lead_time(make_scenario, check_invariants):
    cp = make_scenario.checkpoint(lanes=2, service=make_scenario.constant(1.5),
                                  transload={"time": make_scenario.constant(0.5)})
    sc = make_scenario(checkpoints={"border": cp},
                       travel=[make_scenario.constant(3.0), make_scenario.constant(2.0)],
                       per_hour=0.8, horizon_days=10, warmup_days=1)
    free_flow = candidate_routes(sc, sc.demand[0])[0].expected_hours
    assert free_flow == pytest.approx(7.0)
    res = cs.run(sc, replications=2, seed=SEED, keep="all")
    lead = res.shipments["lead_time_hours"].dropna()
    assert lead.min() == pytest.approx(free_flow)
    assert (lead >= free_flow - 1e-9).all()
    assert (lead > free_flow + 1e-6).any()  # some waited
    check_invariants(res)


def _corrupt(res, table: str, change) -> cs.Results:
    """A copy of ``res`` whose cached ``table`` is replaced by ``change(table)``."""
    bad = cs.Results(res.scenario, res.data)
    bad.__dict__[table] = change(getattr(res, table).copy())
    return bad


@pytest.mark.parametrize(("table", "change"), [
    ("kpis", lambda k: k.assign(in_system=k["in_system"] + 1)),
    ("shipments", lambda s: s.drop(index=s.index[0])),
    ("visits", lambda v: v.assign(wait_hours=v["wait_hours"] - 1e3)),
    ("visits", lambda v: v.assign(started_hours=v["arrived_hours"] - 1.0)),
    ("shipments", lambda s: s.assign(
        delivered_hours=s["delivered_hours"] - s["lead_time_hours"] + 0.01,
        lead_time_hours=s["lead_time_hours"] * 0.0 + 0.01)),
    ("shipments", lambda s: s.assign(created_hours=s["created_hours"] + 50.0)),
], ids=["kpi-count", "lost-shipment", "negative-wait", "start-before-arrival", "too-fast",
        "created-after-visit"])
def test_the_invariant_check_has_teeth(make_scenario, check_invariants, table, change):
    res = cs.run(cs.scenario.scenario_from_dict(_two_borders(make_scenario)), replications=1,
                 seed=SEED, keep="all")
    check_invariants(res)
    with pytest.raises(AssertionError):
        check_invariants(_corrupt(res, table, change))
