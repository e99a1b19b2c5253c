"""The corridor graph and routing: parallel links by mode, fastest allowed route."""

from __future__ import annotations

import networkx as nx
import pytest

import corridor_sim as cs
from corridor_sim.choice import assign, candidate_routes, route_problems
from corridor_sim.network import allowed_modes, build_graph
from corridor_sim.scenario import scenario_from_dict


def link(a: str, b: str, mode: str, hours: float, **extra) -> dict:
    return {"from": a, "to": b, "mode": mode, "travel_time": {"dist": "constant", "hours": hours},
            **extra}


@pytest.fixture
def two_mode_dict(make_scenario) -> dict:
    """almaty → xian by road through a border checkpoint (3 + 2 + 4 h), or by rail (6 h)."""
    data = make_scenario.dict(
        checkpoints={"border": make_scenario.checkpoint(service=make_scenario.constant(2.0))},
        commodities={"general": {"unit": "teu"}, "trucked": {"unit": "teu", "modes": ["road"]}},
        demand=[make_scenario.flow("general"), make_scenario.flow("trucked"),
                make_scenario.flow("general", modes=["road"], origin="destination",
                                   destination="origin")],
    )
    data["links"] = [link("origin", "border", "road", 3.0),
                     link("border", "destination", "road", 4.0, bidirectional=True),
                     link("origin", "destination", "rail", 6.0),
                     link("origin", "destination", "road", 12.0),
                     link("border", "origin", "road", 3.0)]
    return data


def test_graph_is_a_multidigraph_keeping_parallel_links(two_mode_dict):
    g = build_graph(scenario_from_dict(two_mode_dict))
    assert isinstance(g, nx.MultiDiGraph)
    assert g.number_of_edges("origin", "destination") == 2
    assert set(g["origin"]["destination"]) == {"road", "rail"}
    assert g["origin"]["destination"]["rail"]["hours"] == 6.0
    assert g["origin"]["destination"]["road"]["hours"] == 12.0
    # bidirectional adds the reverse link
    assert g.has_edge("destination", "border", key="road")
    assert g.nodes["border"]["kind"] == "checkpoint"
    assert g.nodes["border"]["service_hours"] == 2.0
    assert g.nodes["origin"]["service_hours"] == 0.0


def test_the_first_candidate_is_the_fastest_allowed_route(two_mode_dict):
    sc = scenario_from_dict(two_mode_dict)
    general, trucked, back = (candidate_routes(sc, f)[0] for f in sc.demand)
    assert (general.nodes, general.modes) == (("origin", "destination"), ("rail",))
    assert general.expected_hours == pytest.approx(6.0)
    # road only: via the border (3 + 2 + 4 = 9 h) beats the direct road (12 h)
    assert trucked.label == "origin>border>destination"
    assert trucked.modes == ("road", "road")
    assert trucked.expected_hours == pytest.approx(9.0)
    assert back.label == "destination>border>origin"
    assert back.expected_hours == pytest.approx(4.0 + 2.0 + 3.0)


def test_checkpoint_service_time_counts_in_route_choice(two_mode_dict):
    slow = dict(two_mode_dict)
    slow["nodes"]["border"]["service_time"] = {"dist": "constant", "hours": 6.0}
    sc = scenario_from_dict(slow)
    assert candidate_routes(sc, sc.demand[1])[0].label == "origin>destination"


def test_inspection_and_transload_count_in_expected_time(make_scenario):
    sc = make_scenario(checkpoints={"border": make_scenario.checkpoint(
        service=make_scenario.constant(1.0),
        inspection={"probability": 0.25, "time": make_scenario.exponential(4.0)},
        transload={"time": make_scenario.constant(0.5)})})
    route = candidate_routes(sc, sc.demand[0])[0]
    assert route.expected_hours == pytest.approx(1.0 + 0.25 * 4.0 + 0.5)


def test_demand_modes_restrict_within_commodity_modes(two_mode_dict):
    two_mode_dict["commodities"]["general"]["modes"] = ["road", "rail"]
    two_mode_dict["demand"][0]["modes"] = ["rail", "air"]
    sc = scenario_from_dict(two_mode_dict)
    assert allowed_modes(sc, sc.demand[0]) == frozenset({"rail"})
    assert allowed_modes(sc, sc.demand[1]) == frozenset({"road"})
    assert [r.modes for r in candidate_routes(sc, sc.demand[0])] == [("rail",)]


def test_no_route_by_the_allowed_modes(two_mode_dict):
    sc = scenario_from_dict(two_mode_dict)
    by_air = sc.demand[0].model_copy(update={"modes": ["air"]})
    back_by_rail = sc.demand[2].model_copy(update={"modes": ["rail"]})
    assert candidate_routes(sc, by_air) == []
    assert candidate_routes(sc, back_by_rail) == []
    assert route_problems(sc) == []
    two_mode_dict["demand"][2]["modes"] = ["rail"]    # no rail link back
    two_mode_dict["demand"][1]["modes"] = ["rail"]    # a road-only commodity
    with pytest.raises(cs.ScenarioError) as err:
        scenario_from_dict(two_mode_dict)
    assert [(p.path, p.message) for p in err.value.problems] == [
        ("demand[1]", "no route from 'origin' to 'destination' by no mode for commodity "
         "'trucked'"),
        ("demand[2]", "no route from 'destination' to 'origin' by rail for commodity "
         "'general'"),
    ]


def test_assignments_are_cached_per_scenario(two_mode_dict):
    sc = scenario_from_dict(two_mode_dict)
    assert assign(sc) is assign(sc)
    assert assign(sc) is not assign(scenario_from_dict(two_mode_dict))


def test_simulated_shipments_follow_their_routes(two_mode_dict):
    # A light load: the border's one lane (2 h a truck) is busy a third of the time, so its
    # expected wait (about 1 h) keeps the road through it (9 h) ahead of the direct road (12 h).
    for d in two_mode_dict["demand"]:
        d["per_day"] = 2.0
    sc = scenario_from_dict(two_mode_dict).with_changes({"horizon_days": 40,
                                                         "warmup_days": 1})
    res = cs.run(sc, replications=1, seed=4, keep="all")
    sh = res.shipments
    by_flow = sh.groupby(["commodity", "origin"], observed=True)["route"].unique()
    assert list(by_flow[("general", "origin")]) == ["origin>destination"]
    assert list(by_flow[("trucked", "origin")]) == ["origin>border>destination"]
    assert list(by_flow[("general", "destination")]) == ["destination>border>origin"]
    # the rail shipments never visit the border
    visited = set(res.visits["shipment_id"])
    rail = sh[sh["route"] == "origin>destination"]
    assert not visited & set(rail["shipment_id"])
    done = rail[rail["status"] == "delivered"]
    assert len(done) > 50
    assert done["lead_time_hours"].to_numpy() == pytest.approx(6.0)
