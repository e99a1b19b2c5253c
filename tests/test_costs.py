"""Money and carbon KPIs match a hand calculation exactly on a scenario with constant times."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import corridor_sim as cs
from corridor_sim.costs import COST_PARTS, _shipment_costs
from corridor_sim.engine.model import simulate
from corridor_sim.errors import ScenarioError
from corridor_sim.kpis import replication_kpis, shipment_arrays
from corridor_sim.scenario.loader import scenario_from_dict
from corridor_sim.scenario.money import annuity_factor

REL = 1e-9

# Two road checkpoints in series (a border crossing), constant times, lanes to spare: every
# truck takes exactly 2 h + 1 h + 2 h + 0.5 h + 4 h = 9.5 h from origin to destination.
SCENARIO = {
    "name": "cost-hand",
    "horizon_days": 40,
    "warmup_days": 5,
    "nodes": {
        "origin": {"kind": "city"},
        "side_a": {"kind": "checkpoint", "mode": "road", "lanes": {"general": 60},
                   "service_time": {"dist": "constant", "hours": 1.0},
                   "costs": {"handling_fee_per_unit_usd": 10.0,
                             "border_fee_per_vehicle_usd": 100.0,
                             "storage_per_teu_day_usd": 24.0, "co2e_kg_per_unit": 2.0,
                             "capex_usd": 1.0e6, "lifetime_years": 10,
                             "discount_rate": 0.05, "fixed_opex_usd_per_year": 5.0e4,
                             "lane_usd_per_year": 1000.0}},
        "side_b": {"kind": "checkpoint", "mode": "road", "lanes": {"general": 60},
                   "service_time": {"dist": "constant", "hours": 0.5},
                   "costs": {"border_fee_per_vehicle_usd": 40.0,
                             "handling_fee_per_unit_usd": 1.5,
                             "opening_usd_per_hour": 20.0}},
        "destination": {"kind": "city"},
    },
    "links": [
        {"from": "origin", "to": "side_a", "mode": "road", "distance_km": 100,
         "speed_kmh": 50},
        {"from": "side_a", "to": "side_b", "mode": "road", "distance_km": 4, "speed_kmh": 2,
         "cost_per_tonne_km_usd": 0.0},
        {"from": "side_b", "to": "destination", "mode": "road", "distance_km": 200,
         "speed_kmh": 50, "cost_per_trip_usd": 30.0, "co2e_g_per_tonne_km": 60.0},
    ],
    "commodities": {
        "general": {"unit": "teu", "tonnes_per_teu": 10, "value_of_time_per_hour": 5.0,
                    "due_hours": 9.75},
        "fresh": {"unit": "tonne", "shelf_life_hours": 8, "value_lost_per_spoiled_unit_usd": 100,
                  "due_hours": 9.0},
    },
    "demand": [
        {"origin": "origin", "destination": "destination", "commodity": "general",
         "per_day": 20, "units_per_shipment": 2},
        {"origin": "origin", "destination": "destination", "commodity": "fresh",
         "per_day": 6, "units_per_shipment": 20},
    ],
    "money": {"modes": {"road": {"cost_per_tonne_km_usd": 0.1}}},
    "carbon": {"co2e_g_per_tonne_km": {"road": 90.3}, "source": "test"},
    "sections": {"whole": {"nodes": ["origin", "side_a", "side_b", "destination"]}},
}
LEAD_H = 9.5
DAYS_PER_YEAR = 365.0


def per_unit_parts(tonnes_per_unit: float, units: float, teu: bool, vot: float,
                   spoiled_usd: float) -> dict[str, float]:
    """The hand calculation: each cost part of one shipment [USD], from the settings above."""
    return {
        # 0.1 USD/t-km on 100 + 200 km (the 4 km link is free) plus 30 USD a truck
        "transport": 0.1 * 300 * tonnes_per_unit * units + 30.0,
        "handling": (10.0 + 1.5) * units,
        "border": 100.0 + 40.0,
        "storage": 24.0 * (units if teu else 0.0) * 1.0 / 24.0,   # 1 h at side_a
        "time": vot * units * LEAD_H,
        "spoilage": spoiled_usd * units,
    }


def keep_tables() -> dict[str, str]:
    """``keep="all"`` where :func:`cs.run` keeps raw tables only when asked."""
    return {"keep": "all"} if "keep" in inspect.signature(cs.run).parameters else {}


@pytest.fixture(scope="module")
def run() -> cs.Results:
    return cs.run(scenario_from_dict(SCENARIO), replications=2, seed=4, **keep_tables())


def created_after_warmup(res: cs.Results, replication: int, commodity: str) -> int:
    sh = res.shipments
    sel = (sh.replication == replication) & (sh.commodity == commodity) & \
        (sh.created_hours >= SCENARIO["warmup_days"] * 24)
    return int(sel.sum())


def test_cost_per_unit_by_part_matches_hand_calculation(run: cs.Results) -> None:
    kpis = run.kpis
    teu = per_unit_parts(10.0, 2.0, True, 5.0, 0.0)
    tonne = per_unit_parts(1.0, 20.0, False, 0.0, 100.0)
    for part in COST_PARTS:
        assert kpis[f"cost_per_teu_usd.{part}"].to_numpy() == pytest.approx(
            teu[part] / 2.0, rel=REL, abs=1e-12)
        assert kpis[f"general.cost_per_teu_usd.{part}"].to_numpy() == pytest.approx(
            teu[part] / 2.0, rel=REL, abs=1e-12)
        assert kpis[f"fresh.cost_per_tonne_usd.{part}"].to_numpy() == pytest.approx(
            tonne[part] / 20.0, rel=REL, abs=1e-12)
    assert kpis["cost_per_teu_usd.total"].to_numpy() == pytest.approx(
        sum(teu.values()) / 2.0, rel=REL)
    # per tonne over both commodities: weighted by the shipments each delivered
    for r, row in kpis.iterrows():
        sh = run.shipments
        done = sh[(sh.replication == r) & (sh.created_hours >= 120) & sh.delivered_hours.notna()]
        n_teu = int((done.commodity == "general").sum())
        n_t = int((done.commodity == "fresh").sum())
        expect = (n_teu * sum(teu.values()) + n_t * sum(tonne.values())) / (
            n_teu * 20.0 + n_t * 20.0)
        assert row["cost_per_tonne_usd.total"] == pytest.approx(expect, rel=REL)


def test_annual_totals_and_centre_cost_match_hand_calculation(run: cs.Results) -> None:
    window_h = (SCENARIO["horizon_days"] - SCENARIO["warmup_days"]) * 24.0
    scale = DAYS_PER_YEAR * 24.0 / window_h
    teu = per_unit_parts(10.0, 2.0, True, 5.0, 0.0)
    tonne = per_unit_parts(1.0, 20.0, False, 0.0, 100.0)
    centre = 1.0e6 * 0.05 / (1 - 1.05 ** -10) + 5.0e4
    assert annuity_factor(0.05, 10) == pytest.approx(0.05 / (1 - 1.05 ** -10), rel=1e-15)
    lanes = 1000.0 * 60
    opening = 20.0 * window_h * scale     # side_b is always open: 8,760 h a year
    for r, row in run.kpis.iterrows():
        n_g = created_after_warmup(run, r, "general")
        n_f = created_after_warmup(run, r, "fresh")
        variable = 0.0
        for part in COST_PARTS:
            expect = (teu[part] * n_g + tonne[part] * n_f) * scale
            assert row[f"cost_usd_per_year.{part}"] == pytest.approx(expect, rel=REL, abs=1e-9)
            variable += expect
        assert row["side_a.annual_cost_usd"] == pytest.approx(centre + lanes, rel=REL)
        assert row["side_b.annual_cost_usd"] == pytest.approx(opening, rel=REL)
        assert row["cost_usd_per_year.centres"] == pytest.approx(centre, rel=REL)
        assert row["cost_usd_per_year.capacity"] == pytest.approx(lanes + opening, rel=REL)
        assert row["cost_usd_per_year.total"] == pytest.approx(
            variable + centre + lanes + opening, rel=REL)


def test_carbon_distance_and_modal_split_match_hand_calculation(run: cs.Results) -> None:
    window_days = SCENARIO["horizon_days"] - SCENARIO["warmup_days"]
    # 90.3 g/t-km on 100 km (and on the 4 km link), 60 g/t-km on 200 km, plus 2 kg per unit
    per_tonne_kg = (90.3 * 104 + 60.0 * 200) / 1000.0
    per_teu = per_tonne_kg * 10 + 2.0
    per_t = per_tonne_kg + 2.0
    kpis = run.kpis
    assert kpis["co2e_kg_per_teu"].to_numpy() == pytest.approx(per_teu, rel=REL)
    assert kpis["fresh.co2e_kg_per_tonne"].to_numpy() == pytest.approx(per_t, rel=REL)
    assert kpis["origin>destination:fresh.co2e_kg_per_tonne"].to_numpy() == pytest.approx(
        per_t, rel=REL)
    assert kpis["co2e_g_per_teu_km"].to_numpy() == pytest.approx(1000 * per_teu / 304,
                                                                 rel=REL)
    for r, row in kpis.iterrows():
        n_g = created_after_warmup(run, r, "general")
        n_f = created_after_warmup(run, r, "fresh")
        assert row["co2e_t_per_year"] == pytest.approx(
            (n_g * 2 * per_teu + n_f * 20 * per_t) / 1000 * DAYS_PER_YEAR / window_days,
            rel=REL)
        assert row["teu_km_per_day"] == pytest.approx(n_g * 2 * 304 / window_days, rel=REL)
        assert row["tonne_km_per_day"] == pytest.approx(
            (n_g * 20 + n_f * 20) * 304 / window_days, rel=REL)
    assert (kpis["mode[road].tonne_km_share"] == 1.0).all()


def test_reliability_sections_and_crossing_cost(run: cs.Results) -> None:
    kpis = run.kpis
    # general is due in 9.75 h and takes 9.5 h: always on time; fresh is due in 9 h: never
    assert (kpis["general.on_time_share"] == 1.0).all()
    assert (kpis["fresh.on_time_share"] == 0.0).all()
    assert (kpis["general.buffer_index"] == 0.0).all()
    assert (kpis["fresh.cost_per_tonne_usd.spoilage"] == 100.0).all()
    # 304 km in 9.5 h, of which 1 h + 2 h + 0.5 h at the two checkpoints (CPMM: border time
    # is delay)
    assert kpis["section[whole].speed_kmh.with_delay"].to_numpy() == pytest.approx(
        304 / 9.5, rel=REL)
    assert kpis["section[whole].speed_kmh.without_delay"].to_numpy() == pytest.approx(
        304 / (9.5 - 1.0 - 0.5), rel=REL)
    for r, row in kpis.iterrows():
        sh = run.shipments
        sel = (sh.replication == r) & (sh.created_hours + 2.0 >= 120) & (
            sh.created_hours + 5.0 <= 960)
        share_teu = (sh[sel].commodity == "general").mean()
        # fees at both sides: 140 USD a vehicle plus 11.5 USD per unit (2 TEU or 20 t)
        expect = 140.0 + 11.5 * (2.0 * share_teu + 20.0 * (1 - share_teu))
        assert row["crossing[side_a→side_b].cost_usd.mean"] == pytest.approx(expect, rel=REL)


def test_train_trip_cost_is_shared_over_each_departure_exactly() -> None:
    """Every departure's trip cost is charged in full, split over the units it carried."""
    data = dict(SCENARIO, name="train", sections={})
    data["nodes"] = {"origin": {"kind": "city"}, "destination": {"kind": "city"}}
    data["links"] = [{"from": "origin", "to": "destination", "mode": "rail",
                      "distance_km": 500, "speed_kmh": 50, "dispatch": "when_full",
                      "capacity_teu": 9, "max_wait_hours": 30, "cost_per_trip_usd": 900.0}]
    data["commodities"] = {"general": {"unit": "teu", "tonnes_per_teu": 10}}
    data["demand"] = [{"origin": "origin", "destination": "destination",
                       "commodity": "general", "per_day": 12, "units_per_shipment": 2}]
    data["money"] = {"modes": {"rail": {"cost_per_tonne_km_usd": 0.0}}}
    rep = simulate(scenario_from_dict(data), 0, 7)
    sh = shipment_arrays(rep)
    parts = _shipment_costs(rep, sh, rep.costs)
    boarded = np.unique(rep.columns["w_sid"]).astype(int)
    departures = rep.columns["j_station"].size
    assert departures > 10
    assert parts["transport"][boarded].sum() == pytest.approx(900.0 * departures, rel=REL)
    # a full train carries 8 TEU (four 2-TEU boxes; a fifth would not fit in 9)
    per_teu = parts["transport"][boarded] / sh["units"][boarded]
    assert per_teu.min() == pytest.approx(900.0 / 8, rel=REL)


def test_no_money_inputs_adds_no_kpis() -> None:
    sc = cs.bundled("single_checkpoint").with_changes({"horizon_days": 3, "warmup_days": 1})
    rep = simulate(sc, 0, 1)
    assert rep.costs == {}
    names = replication_kpis(rep)
    assert not [k for k in names if "usd" in k or "co2e" in k or "on_time" in k]


def test_bad_money_inputs_name_their_key() -> None:
    data = dict(SCENARIO)
    data["links"] = [dict(SCENARIO["links"][0], vehicle_type="barge")] + SCENARIO["links"][1:]
    data["commodities"] = dict(SCENARIO["commodities"], general={"unit": "teu"})
    data["sections"] = {"bad": {"nodes": ["origin", "side_b"]}}
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    text = str(err.value)
    assert "links[0].vehicle_type: unknown vehicle type 'barge'" in text
    assert "commodities.general.tonnes_per_teu" in text
    assert "sections.bad.nodes[1]: no road link from 'origin' to 'side_b'" in text
    with pytest.raises(ScenarioError, match="lifetime_years"):
        scenario_from_dict(dict(SCENARIO, nodes=dict(
            SCENARIO["nodes"], side_b=dict(SCENARIO["nodes"]["side_b"],
                                           costs={"lifetime_years": 0}))))


def test_baseline_cites_its_money_and_carbon_figures() -> None:
    base = cs.bundled("baseline")
    assert base.carbon.co2e_g_per_tonne_km == {"road": 90.3, "rail": 11.3, "air": 830}
    assert "C34" in base.carbon.source and "C39" in base.carbon.source
    assert math.isclose(base.money.modes["rail"].cost_per_tonne_km_usd, 0.088)
    assert base.commodities["general"].tonnes_per_teu == 10


def test_capacity_cost_counts_a_direction_s_own_lanes_and_space() -> None:
    from corridor_sim.choice import assign
    from corridor_sim.costs import cost_inputs

    nodes = dict(SCENARIO["nodes"])
    nodes["side_a"] = dict(nodes["side_a"], directions={"origin": {
        "pool": "own", "lanes": {"general": 5}, "space": {"vehicles": 40}}},
        costs={"lane_usd_per_year": 1000.0, "space_usd_per_place_year": 10.0})
    sc = scenario_from_dict(dict(SCENARIO, nodes=nodes))
    rows = [(f, o.route) for f, fc in zip(sc.demand, assign(sc).flows, strict=True)
            for o in fc.chosen]
    fixed = cost_inputs(sc, rows, [])["fixed"]
    assert fixed["side_a"] == {"centre": 0.0, "capacity": 1000.0 * 65 + 10.0 * 40,
                               "opening_per_hour": 0.0}
