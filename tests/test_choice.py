"""Route and mode choice: generalised cost, logit splits, a new centre, equilibrium, warnings."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import checkpoint, constant, exponential, flow
from scipy.optimize import brentq

import corridor_sim as cs
from corridor_sim.checks import scenario_warnings
from corridor_sim.choice import assign, candidate_routes, logit_shares, route_table
from corridor_sim.cli import main
from corridor_sim.equilibrium import fit_equilibrium
from corridor_sim.errors import ScenarioError
from corridor_sim.executors import executor_session
from corridor_sim.scenario.loader import scenario_from_dict


def link(a: str, b: str, hours: float, mode: str = "road") -> dict:
    return {"from": a, "to": b, "mode": mode, "travel_time": constant(hours)}


def two_routes(travel_a: float = 1.0, travel_b: float = 1.0, *, per_hour: float = 4.0,
               service_hours: float = 0.1, lanes: int = 4, **top) -> dict:
    """origin → a → destination or origin → b → destination: two parallel checkpoints."""
    return {
        "name": "two_routes", "start": "2025-01-01", "horizon_days": 30.0, "warmup_days": 1.0,
        "nodes": {"origin": {"kind": "city"}, "destination": {"kind": "city"},
                  "a": checkpoint(lanes=lanes, service=exponential(service_hours)),
                  "b": checkpoint(lanes=lanes, service=exponential(service_hours))},
        "links": [link("origin", "a", travel_a), link("a", "destination", 0.0),
                  link("origin", "b", travel_b), link("b", "destination", 0.0)],
        "commodities": {"general": {"unit": "teu"}},
        "demand": [flow("general", per_hour=per_hour)],
        **top,
    }


def binomial_bounds(n: int, p: float, z: float = 4.0) -> tuple[float, float]:
    half = z * math.sqrt(p * (1 - p) / n)
    return p - half, p + half


# --------------------------------------------------------------------------- logit


def test_logit_shares_match_the_closed_form():
    costs = [10.0, 12.0, 15.0]
    expected = np.exp(-np.array(costs) / 2.0)
    assert logit_shares(costs, 2.0) == pytest.approx(expected / expected.sum())


def test_identical_parallel_routes_split_evenly_under_logit():
    sc = scenario_from_dict(two_routes(routing={"choice": "logit", "logit_scale": 1.0}))
    options = assign(sc).flows[0].chosen
    assert [o.share for o in options] == pytest.approx([0.5, 0.5])
    res = cs.run(sc, replications=2, seed=3, keep="all", warmup_check=False, progress=False)
    sh = res.shipments
    n = len(sh)
    share_a = float((sh["route"] == "origin>a>destination").mean())
    lo, hi = binomial_bounds(n, 0.5)
    assert lo < share_a < hi
    # the realised shares are KPIs of the run, with a CI
    row = res.summary().loc["origin>destination:general.route_share[origin>a>destination]"]
    assert row["ci_low"] < 0.5 < row["ci_high"] or abs(row["mean"] - 0.5) < 0.02


def test_a_known_cost_difference_gives_the_logit_share():
    # Route a is 2 h slower; with a scale of 2 h the share of a is 1 / (1 + e).
    sc = scenario_from_dict(two_routes(3.0, 1.0, per_hour=2.0,
                                       routing={"choice": "logit", "logit_scale": 2.0}))
    fc = assign(sc).flows[0]
    by = {o.label: o for o in fc.options}
    diff = by["origin>a>destination"].cost - by["origin>b>destination"].cost
    assert diff == pytest.approx(2.0, abs=0.05)  # travel; the light load adds little
    expected = 1.0 / (1.0 + math.exp(diff / 2.0))
    assert by["origin>a>destination"].share == pytest.approx(expected, rel=1e-9)
    res = cs.run(sc, replications=1, seed=5, keep="all", warmup_check=False, progress=False)
    sh = res.shipments
    lo, hi = binomial_bounds(len(sh), expected)
    assert lo < float((sh["route"] == "origin>a>destination").mean()) < hi


def test_best_sends_everything_by_the_cheaper_route_and_logit_needs_a_scale():
    sc = scenario_from_dict(two_routes(3.0, 1.0))
    assert [o.label for o in assign(sc).flows[0].chosen] == ["origin>b>destination"]
    with pytest.raises(ScenarioError, match=r"routing\.logit_scale.*needs a logit_scale"):
        scenario_from_dict(two_routes(routing={"choice": "logit"}))


def test_the_choice_stream_leaves_demand_and_service_draws_alone():
    best = scenario_from_dict(two_routes(per_hour=1.0))
    logit = scenario_from_dict(two_routes(per_hour=1.0, routing={"choice": "logit",
                                                                 "logit_scale": 1.0}))
    a = cs.run(best, replications=1, seed=2, keep="all", warmup_check=False, progress=False)
    b = cs.run(logit, replications=1, seed=2, keep="all", warmup_check=False, progress=False)
    assert np.array_equal(a.shipments["created_hours"], b.shipments["created_hours"])
    again = cs.run(logit, replications=1, seed=2, keep="all", warmup_check=False,
                   progress=False)
    assert list(again.shipments["route"]) == list(b.shipments["route"])


def test_congestion_estimate_moves_a_flow_off_a_busy_checkpoint():
    # b is 1 h faster at free flow, but with one lane it would be loaded at ρ = 0.9.
    data = two_routes(2.0, 1.0, per_hour=0.9, service_hours=1.0, lanes=1)
    data["nodes"]["a"]["lanes"]["general"] = 3
    fc = assign(scenario_from_dict(data)).flows[0]
    by = {o.label: o for o in fc.options}
    assert by["origin>b>destination"].terms.queue_hours == pytest.approx(9.0, rel=1e-6)  # M/M/1
    assert [o.label for o in fc.chosen] == ["origin>a>destination"]


# --------------------------------------------------------------------------- fixed routes


def test_via_route_and_split_fix_the_routes():
    via = scenario_from_dict(two_routes(3.0, 1.0, demand=[flow("general", via=["a"])]))
    assert [o.label for o in assign(via).flows[0].chosen] == ["origin>a>destination"]
    fixed = scenario_from_dict(two_routes(3.0, 1.0, demand=[
        flow("general", route=["origin", "a", "destination"])]))
    assert [o.label for o in assign(fixed).flows[0].chosen] == ["origin>a>destination"]
    split = scenario_from_dict(two_routes(demand=[flow("general", split=[
        {"route": ["origin", "a", "destination"], "share": 0.25},
        {"route": ["origin", "b", "destination"], "share": 0.75}])]))
    assert [o.share for o in assign(split).flows[0].chosen] == [0.25, 0.75]


@pytest.mark.parametrize(("extra", "message"), [
    ({"via": ["c"]}, r"demand\[0\]\.via\[0\]: unknown node 'c'"),
    ({"route": ["origin", "destination"]}, r"demand\[0\]\.route: no air/rail/road link leads from "
                                           r"'origin' to 'destination'"),
    ({"route": ["a", "destination"]}, r"demand\[0\]\.route: must run from the flow's origin"),
    ({"split": [{"route": ["origin", "a", "destination"], "share": 0.5}]},
     r"split shares must sum to 1, not 0\.5"),
    ({"via": ["a"], "route": ["origin", "a", "destination"]}, r"at most one of via, route"),
])
def test_bad_routes_are_refused_with_their_key_path(extra, message):
    with pytest.raises(ScenarioError, match=message):
        scenario_from_dict(two_routes(demand=[flow("general", **extra)]))


# --------------------------------------------------------------------------- a new centre


def centre_scenario(centre_hours: float) -> dict:
    """origin → border → destination, and a proposed dry port beside the origin.

    The border clears a truck in 3 h, or 0.5 h when a dry port has pre-cleared it.
    """
    border = checkpoint(lanes=4, service=exponential(3.0))
    border["precleared_service_time"] = exponential(0.5)
    return {
        "name": "centre", "start": "2025-01-01", "horizon_days": 20.0, "warmup_days": 1.0,
        "nodes": {"origin": {"kind": "city"}, "destination": {"kind": "city"}, "border": border,
                  "centre": {"kind": "dry_port", "lanes": {"general": 4},
                             "service_time": exponential(centre_hours)}},
        "links": [link("origin", "border", 2.0), link("border", "destination", 2.0),
                  link("origin", "centre", 0.5), link("centre", "border", 2.0)],
        "commodities": {"general": {"unit": "teu"}},
        "demand": [flow("general", per_hour=0.5)],
    }


def test_a_centre_that_saves_time_attracts_the_flow_without_link_edits():
    good = scenario_from_dict(centre_scenario(centre_hours=1.0))
    chosen = assign(good).flows[0].chosen
    assert [o.label for o in chosen] == ["origin>centre>border>destination"]
    assert not [w for w in scenario_warnings(good) if w.startswith("centre:")]
    res = cs.run(good, replications=1, seed=1, warmup_check=False, progress=False)
    assert res.summary().loc["centre.shipments_per_day", "mean"] == pytest.approx(12.0, rel=0.2)


def test_a_centre_that_costs_time_gets_no_traffic_and_validate_says_why():
    slow = scenario_from_dict(centre_scenario(centre_hours=4.0))
    assert [o.label for o in assign(slow).flows[0].chosen] == ["origin>border>destination"]
    warnings = [w for w in scenario_warnings(slow) if w.startswith("centre:")]
    assert len(warnings) == 1
    assert "on no chosen route" in warnings[0]
    assert "origin>destination:general" in warnings[0]


def test_a_facility_off_every_route_is_named():
    data = centre_scenario(1.0)
    data["nodes"]["yard"] = {"kind": "terminal", "lanes": {"general": 1},
                             "service_time": constant(1.0)}
    data["links"].append(link("destination", "yard", 1.0))
    msgs = [w for w in scenario_warnings(scenario_from_dict(data)) if w.startswith("yard:")]
    assert msgs and "no flow's candidate routes pass it" in msgs[0]


# --------------------------------------------------------------------------- equilibrium


def test_equilibrium_reaches_the_wardrop_split_of_two_mm1_routes():
    # Two M/M/1 checkpoints (service 1 h), route a 2 h shorter, 1.2 trucks an hour in all.
    # Wardrop: 2 + Wq(λ_b) = Wq(λ_a), with Wq(λ) = λ / (1 − λ) for μ = 1.
    total = 1.2

    def wq(lam: float) -> float:
        return lam / (1.0 - lam)

    lam_a = brentq(lambda x: wq(x) - wq(total - x) - 2.0, total - 0.999, 0.999)
    data = two_routes(0.0, 2.0, per_hour=total, service_hours=1.0, lanes=1,
                      horizon_days=60.0, warmup_days=5.0,
                      routing={"assignment": "equilibrium",
                               "equilibrium": {"max_iterations": 12, "gap": 0.005,
                                               "replications": 2}})
    sc = scenario_from_dict(data)
    with executor_session("serial") as run_tasks:
        fit = fit_equilibrium(sc, run_tasks, seed=11)
    shares = {tuple(s.route): s.share for s in fit.scenario.demand[0].split}
    assert shares[("origin", "a", "destination")] == pytest.approx(lam_a / total, abs=0.07)
    assert fit.history[-1]["gap"] < fit.history[0]["gap"]
    assert fit.scenario.routing.assignment == "fixed"
    assert fit.scenario.routing.fitted["iterations"] == fit.iterations
    # the fitted scenario reruns the shares without refitting
    again = scenario_from_dict(fit.scenario.to_dict())
    assert [o.share for o in assign(again).flows[0].chosen] == pytest.approx(
        [s.share for s in fit.scenario.demand[0].split])


# --------------------------------------------------------------------------- output


def test_routes_command_prints_costs_and_shares(capsys, tmp_path):
    out = tmp_path / "routes.csv"
    assert main(["routes", "baseline", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "almaty>urumqi:general" in text and "queue_hours" in text
    table = route_table(cs.bundled("baseline"))
    assert out.read_text().splitlines()[0].startswith("flow,method,route")
    # every flow's shares sum to one
    assert table.groupby("flow")["share"].sum().to_numpy() == pytest.approx(1.0)


def test_candidates_include_one_variant_per_parallel_mode():
    data = two_routes()
    data["links"].append(link("origin", "destination", 5.0, mode="rail"))
    data["links"].append(link("origin", "destination", 6.0, mode="road"))
    sc = scenario_from_dict(data)
    routes = candidate_routes(sc, sc.demand[0], k=5)
    direct = [r.modes for r in routes if r.nodes == ("origin", "destination")]
    assert sorted(direct) == [("rail",), ("road",)]


def test_network_map_draws_the_routes_taken_with_width_by_volume():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = two_routes(3.0, 1.0, routing={"choice": "logit", "logit_scale": 2.0})
    data["nodes"]["a"].update(lat=43.0, lon=77.0)
    data["nodes"]["b"].update(lat=44.0, lon=78.0)
    data["nodes"]["origin"].update(lat=43.5, lon=76.0)
    data["nodes"]["destination"].update(lat=43.5, lon=79.0)
    sc = scenario_from_dict(data)
    ax = cs.plot.network(sc, flows=True, borders=False)
    bands = {p.get_gid(): p.get_linewidth() for p in ax.patches
             if (p.get_gid() or "").startswith("flow:")}
    share_a = {o.label: o.share for o in assign(sc).flows[0].chosen}["origin>a>destination"]
    assert set(bands) == {"flow:origin>a:road", "flow:a>destination:road",
                          "flow:origin>b:road", "flow:b>destination:road"}
    # widths grow linearly with volume: 1 + 13 × volume / the largest volume
    assert bands["flow:origin>a:road"] - 1 == pytest.approx(
        (bands["flow:origin>b:road"] - 1) * share_a / (1 - share_a), rel=1e-6)
    plt.close("all")


def test_route_shares_give_planned_and_simulated_shares_and_go_into_the_folder(tmp_path):
    sc = scenario_from_dict(two_routes(routing={"choice": "logit", "logit_scale": 1.0}))
    res = cs.run(sc, replications=3, seed=4, warmup_check=False, progress=False)
    shares = res.route_shares().set_index("route")
    assert list(shares.index) == ["origin>a>destination", "origin>b>destination"]
    assert shares["planned"].tolist() == pytest.approx([0.5, 0.5])
    kpi = res.kpis["origin>destination:general.route_share[origin>a>destination]"]
    assert shares.loc["origin>a>destination", "simulated"] == pytest.approx(kpi.mean())
    assert shares["simulated"].sum() == pytest.approx(1.0)
    assert (shares["ci_low"] < 0.5).all() and (shares["ci_high"] > 0.5).all()
    res.to_dir(tmp_path / "run", plots=False)
    written = (tmp_path / "run" / "route_shares.csv").read_text().splitlines()
    assert written[0].startswith("flow,route,modes,planned,simulated")
    assert len(written) == 3


def test_a_run_with_equilibrium_fits_first_and_keeps_the_shares_in_its_scenario():
    data = two_routes(0.0, 2.0, per_hour=1.2, service_hours=1.0, lanes=1, horizon_days=20.0,
                      routing={"assignment": "equilibrium",
                               "equilibrium": {"max_iterations": 2, "gap": 0.001,
                                               "replications": 1}})
    with pytest.warns(cs.checks.ScenarioWarning, match="stopped after 2 iterations"):
        res = cs.run(scenario_from_dict(data), replications=1, seed=3, warmup_check=False,
                     progress=False)
    sc = res.scenario
    assert sc.routing.assignment == "fixed" and sc.routing.fitted["iterations"] == 2
    assert sum(s.share for s in sc.demand[0].split) == pytest.approx(1.0)
    assert len(sc.demand[0].split) == 2  # MSA moved half the flow after the first round
