"""Rail, consolidation, transshipment, air, barriers and mode choice (the full corridor)."""

import math

import numpy as np
import pytest

import corridor_sim as cs
from corridor_sim.engine import simulate
from corridor_sim.errors import ScenarioError
from corridor_sim.scenario import scenario_from_dict


def chain(nodes, links, demand, commodities=None, horizon_days=60, warmup_days=5, **extra):
    return scenario_from_dict(dict(
        name="t", horizon_days=horizon_days, warmup_days=warmup_days, nodes=nodes,
        links=links, commodities=commodities or {"general": {"unit": "teu"}}, demand=demand,
        **extra))


def const(h):
    return {"dist": "constant", "hours": h}


def test_consolidation_wait_matches_closed_form():
    """Quantity-threshold dispatch, Poisson arrivals, no timeout: mean wait (N − 1) / (2λ)."""
    n_teu, per_hour = 10, 2.0
    sc = chain(
        {"a": {"kind": "city"},
         "t": {"kind": "terminal", "consolidation": {"train_capacity_teu": n_teu}},
         "b": {"kind": "city"}},
        [{"from": "a", "to": "t", "mode": "rail", "travel_time": const(0)},
         {"from": "t", "to": "b", "mode": "rail", "travel_time": const(5)}],
        [{"origin": "a", "destination": "b", "commodity": "general", "per_day": per_hour * 24}],
        horizon_days=100)
    s = cs.run(sc, replications=6, seed=11, keep="all").summary()
    est = s.loc["t.wait_hours.mean"]
    theory = (n_teu - 1) / (2 * per_hour)
    assert est.ci_low - 0.02 <= theory <= est.ci_high + 0.02
    assert s.loc["t.consolidation.fill_rate", "mean"] == pytest.approx(1.0)


def test_consolidation_timeout_bounds_wait_and_leaves_part_full():
    sc = chain(
        {"a": {"kind": "city"},
         "t": {"kind": "terminal",
               "consolidation": {"train_capacity_teu": 100, "max_wait_hours": 6}},
         "b": {"kind": "city"}},
        [{"from": "a", "to": "t", "mode": "rail", "travel_time": const(0)},
         {"from": "t", "to": "b", "mode": "rail", "travel_time": const(1)}],
        [{"origin": "a", "destination": "b", "commodity": "general", "per_day": 48}])
    res = cs.run(sc, replications=2, seed=1, keep="all")
    waits = res.visits["wait_hours"].dropna()
    assert waits.max() <= 6 + 1e-9
    assert res.summary().loc["t.consolidation.fill_rate", "mean"] < 0.2  # ~12 of 100 TEU


def rail_border(**cn):
    nodes = {
        "a": {"kind": "city"},
        "kz": {"kind": "checkpoint", "mode": "rail", "lanes": {"general": 2},
               "service_time": const(2)},
        "cn": {"kind": "checkpoint", "mode": "rail", "lanes": {"general": 3},
               "service_time": const(3),
               "transshipment": {"tracks": 3, "cranes": 2, "moves_per_hour": 25,
                                 "setup_hours": 1}, **cn},
        "b": {"kind": "city"}}
    links = [
        {"from": "a", "to": "kz", "mode": "rail", "distance_km": 300, "speed_kmh": 50,
         "departures": {"every_hours": 6}, "capacity_teu": 100},
        {"from": "kz", "to": "cn", "mode": "rail", "distance_km": 10, "speed_kmh": 20,
         "break_of_gauge": True},
        {"from": "cn", "to": "b", "mode": "rail", "distance_km": 600, "speed_kmh": 50,
         "dispatch": "when_full", "capacity_teu": 100, "max_wait_hours": 12}]
    demand = [{"origin": "a", "destination": "b", "commodity": "general", "per_day": 150,
               "units_per_shipment": 2}]
    return nodes, links, demand


def test_transshipment_time_matches_formula():
    sc = chain(*rail_border())
    d = simulate(sc, 0, 3)
    c = d.columns
    names = d.stations["name"]
    tr = names.index("cn.transshipment")
    mask = c["j_station"] == tr
    duration = c["j_end"][mask] - c["j_start"][mask]
    expected = 1 + c["j_size"][mask] / (2 * 25)
    assert mask.sum() > 100
    np.testing.assert_allclose(duration, expected, rtol=1e-9)
    # only the trains that changed gauge at cn were transshipped; none at kz
    assert "kz.transshipment" not in names


def test_trains_and_flights_never_exceed_capacity():
    sc = cs.bundled("baseline").with_changes({"horizon_days": 20, "warmup_days": 2})
    d = simulate(sc, 0, 5)
    st, c = d.stations, d.columns
    checked = 0
    for i, role in enumerate(st["role"]):
        if role in ("service", "consolidation"):
            loads = c["j_units"][c["j_station"] == i]
            assert (loads <= st["capacity"][i] + 1e-9).all(), st["name"][i]
            assert (loads > 0).all()  # no empty train or flight runs
            checked += loads.size
    assert checked > 100


def test_timetable_departures_only_at_scheduled_times():
    sc = chain(*rail_border())
    d = simulate(sc, 0, 1)
    i = d.stations["name"].index("a>kz:rail")
    starts = d.columns["j_start"][d.columns["j_station"] == i]
    np.testing.assert_allclose(np.mod(starts, 6.0), 0.0, atol=1e-9)


def test_link_daily_quota_caps_trains():
    nodes, links, demand = rail_border()
    links[1]["max_vehicles_per_day"] = 2
    sc = chain(nodes, links, demand, horizon_days=30)
    s = cs.run(sc, replications=1, seed=2, keep="all").summary()
    assert s.loc["kz>cn:rail.vehicles_per_day", "mean"] <= 2 + 1e-9
    assert s.loc["in_system", "mean"] > 1000  # 3 trains/day demand queue behind a quota of 2


def test_precleared_share_shortens_clearance():
    nodes, links, demand = rail_border(precleared_service_time=const(1))
    nodes["dp"] = {"kind": "dry_port", "lanes": {"general": 50}, "service_time": const(0.1)}
    links[0] = {"from": "a", "to": "dp", "mode": "rail", "travel_time": const(1)}
    links.insert(1, {"from": "dp", "to": "kz", "mode": "rail", "distance_km": 300,
                     "speed_kmh": 50, "departures": {"every_hours": 6}, "capacity_teu": 100})
    pre = cs.run(chain(nodes, links, demand), replications=1, seed=4, keep="all").summary()
    base = cs.run(chain(*rail_border()), replications=1, seed=4, keep="all").summary()
    # every box was pre-cleared: 1 h instead of 3 h of clearance at cn
    assert pre.loc["cn.dwell_hours.mean", "mean"] == pytest.approx(
        base.loc["cn.dwell_hours.mean", "mean"] - 2, abs=0.05)


def test_flights_carry_ecommerce_and_misses_wait_for_next():
    sc = chain(
        {"o": {"kind": "city"}, "ap1": {"kind": "airport"}, "ap2": {"kind": "airport"},
         "d": {"kind": "city"}},
        [{"from": "o", "to": "ap1", "mode": "road", "travel_time": const(1)},
         {"from": "ap1", "to": "ap2", "mode": "air", "travel_time": const(2),
          "capacity_t": 5, "departures": {"times": ["10:00"], "days": ["mon", "thu"]}},
         {"from": "ap2", "to": "d", "mode": "road", "travel_time": const(1)}],
        [{"origin": "o", "destination": "d", "commodity": "ecommerce", "per_day": 2,
          "units_per_shipment": 0.5}],
        commodities={"ecommerce": {"unit": "tonne"}}, horizon_days=120)
    d = simulate(sc, 0, 9)
    i = d.stations["name"].index("ap1>ap2:air")
    starts = d.columns["j_start"][d.columns["j_station"] == i]
    # 2025-01-01 is a Wednesday: flights on Mondays and Thursdays at 10:00 UTC only
    days = (np.floor(starts / 24).astype(int) + 2) % 7  # 0 = Monday
    assert set(days.tolist()) <= {0, 3}
    np.testing.assert_allclose(np.mod(starts, 24), 10.0, atol=1e-9)
    # 7 t/week of demand on 10 t/week of flights: every flight carries at most 5 t
    assert d.columns["j_units"][d.columns["j_station"] == i].max() <= 5


def test_mode_choice_by_time_and_by_cost():
    nodes = {"o": {"kind": "city"}, "d": {"kind": "city"}}
    links = [{"from": "o", "to": "d", "mode": "road", "travel_time": const(30),
              "cost_per_unit": 100},
             {"from": "o", "to": "d", "mode": "air", "travel_time": const(3),
              "cost_per_unit": 2000}]
    demand = [{"origin": "o", "destination": "d", "commodity": "parcels", "per_day": 5}]
    fast = chain(nodes, links, demand, commodities={"parcels": {"unit": "tonne"}})
    cheap = chain(nodes, links, demand, commodities={
        "parcels": {"unit": "tonne", "value_of_time_per_hour": 20}})
    from corridor_sim.choice import assign
    assert [o.route.modes for o in assign(fast).flows[0].chosen] == [("air",)]
    assert [o.route.modes for o in assign(cheap).flows[0].chosen] == [("road",)]
    res = cs.run(cheap, replications=1, seed=1, keep="all")
    assert (res.shipments["route"] == "o>d").all()
    np.testing.assert_allclose(res.shipments["lead_time_hours"].dropna(), 30.0)


def test_meat_barrier_rejects_and_lifting_delivers_with_inspection():
    short = {"horizon_days": 20, "warmup_days": 2}
    barred = cs.run(cs.bundled("baseline").with_changes(short), replications=1, seed=3, keep="all")
    lifted = cs.run(cs.bundled("meat_barrier_lifted").with_changes(short), replications=1,
                    seed=3, keep="all")
    meat_b = barred.shipments[barred.shipments["commodity"] == "meat"]
    assert (meat_b["status"] != "delivered").all()
    # Barred at Khorgos, turned back where first checked: at Nur Zholy, the Kazakh side.
    assert (meat_b.loc[meat_b["status"] == "rejected", "rejected_at"]
            == "nur_zholy_road").all()
    assert barred.summary().loc["rejected", "mean"] > 0
    meat_l = lifted.shipments[lifted.shipments["commodity"] == "meat"]
    assert (meat_l["status"] == "rejected").sum() == 0
    v = lifted.visits
    sh = lifted.shipments
    from_kz = set(sh.loc[sh["origin"] == "almaty", "shipment_id"])  # not trans-loaded
    at_khorgos = v[(v["node"] == "khorgos_road") & v["shipment_id"].isin(from_kz)]
    meat_time = (at_khorgos.loc[at_khorgos["commodity"] == "meat", "departed_hours"]
                 - at_khorgos.loc[at_khorgos["commodity"] == "meat", "started_hours"]).mean()
    other_time = (at_khorgos.loc[at_khorgos["commodity"] == "general", "departed_hours"]
                  - at_khorgos.loc[at_khorgos["commodity"] == "general", "started_hours"]).mean()
    assert meat_time > other_time + 1.0  # ~2 h of veterinary inspection


@pytest.mark.parametrize(("change", "message"), [
    ({"links[1].break_of_gauge": True, "nodes.cn.transshipment": None}, "transshipment"),
    ({"links[0].mode": "road"}, "cannot touch"),
    ({"links[0].capacity_teu": None, "links[0].capacity_t": 100}, "capacity is in tonne"),
    ({"demand[0].units_per_shipment": 150}, "does not fit"),
    ({"links[0].departures": None}, "needs departures"),
])
def test_rail_settings_errors(change, message):
    sc = chain(*rail_border())
    with pytest.raises(ScenarioError, match=message):
        sc.with_changes(change)


def test_conservation_over_the_whole_corridor():
    # March: no holiday closure, whose backlog at the end of a short run would still be in
    # the system (and the door-to-door road time is about a day and a half).
    sc = cs.bundled("baseline").with_changes({"start": "2025-03-01", "horizon_days": 30,
                                              "warmup_days": 3})
    k = cs.run(sc, replications=2, seed=8, keep="all").kpis
    assert (k["created"] == k["delivered"] + k["in_system"] + k["rejected"]).all()
    assert (k["delivered"] > 0.9 * k["created"]).all()


def test_free_flow_lower_bound_on_the_corridor():
    """No delivered shipment beats its route's travel time at full speed."""
    sc = cs.bundled("baseline").with_changes({"horizon_days": 15, "warmup_days": 1})
    res = cs.run(sc, replications=1, seed=2, keep="all")
    sh = res.shipments.dropna(subset=["lead_time_hours"])
    rail_xian = sh[(sh["origin"] == "xian") & (sh["destination"] == "almaty")]
    # 2,550 + 667.5 + 5 + 326.5 km at 50 / 20 km/h plus 6–8 h of customs at Khorgos
    floor = 2550 / 50 + 667.5 / 50 + 5 / 20 + 326.5 / 50 + 6
    assert len(rail_xian) > 0 and rail_xian["lead_time_hours"].min() >= floor
    assert math.isfinite(floor)


def test_cli_calibrate_prints_and_writes_the_table(tmp_path, capsys):
    from corridor_sim.cli import main

    sc = tmp_path / "short.yaml"
    sc.write_text("extends: baseline\nhorizon_days: 30\nwarmup_days: 3\n")
    out = tmp_path / "cal.csv"
    assert main(["calibrate", str(sc), "-r", "1", "-q", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Altynkol–Khorgos container trains per day" in text and "S34" in text
    from corridor_sim.calibration import TARGETS

    assert out.read_text().count("\n") == 1 + len(TARGETS)


def test_compare_selects_flow_kpis_with_brackets_by_exact_name():
    sc = cs.bundled("baseline").with_changes({"horizon_days": 8, "warmup_days": 1})
    cmp = cs.compare({"a": sc, "b": sc}, replications=2, seed=1, warmup_check=False, keep="all")
    name = "xian>almaty:general[rail].lead_time_hours.mean"
    assert cmp.select(name) == [name]
    assert (cmp.differences([name])["diff"].dropna() == 0).all()


def test_a_quota_gate_before_any_facility_marks_no_visit():
    # Trucks meet a daily quota on their first link, before reaching any facility: the
    # gate's start of service belongs to no visit, so no visit row may carry it (two
    # checkpoints, so the visit rows outgrow their first allocation while the run goes).
    sc = chain({"o": {"kind": "city"},
                **{b: {"kind": "checkpoint", "mode": "road", "lanes": {"general": 2},
                       "service_time": {"dist": "exponential", "mean_hours": 0.5}}
                   for b in ("b1", "b2")},
                "d": {"kind": "city"}},
               [{"from": "o", "to": "b1", "mode": "road", "travel_time": const(2),
                 "max_vehicles_per_day": 40},
                {"from": "b1", "to": "b2", "mode": "road", "travel_time": const(1)},
                {"from": "b2", "to": "d", "mode": "road", "travel_time": const(1)}],
               [{"origin": "o", "destination": "d", "commodity": "general", "per_day": 30}],
               horizon_days=20, warmup_days=1)
    c = simulate(sc, 0, 3).columns
    started, arrived = c["v_started"], c["v_arrived"]
    assert c["v_sid"].size > 800
    has = ~np.isnan(started)
    assert (started[has] >= arrived[has]).all()
