"""Sweeps: the full factorial of settings, run with common random numbers."""

from __future__ import annotations

import pytest

import corridor_sim as cs
from corridor_sim.comparison import point_name
from corridor_sim.errors import ScenarioError


@pytest.fixture(scope="module")
def base() -> cs.Scenario:
    return cs.bundled("single_checkpoint").with_changes({"horizon_days": 10, "warmup_days": 1})


@pytest.fixture(scope="module")
def grid(base):
    return cs.sweep(base, {"nodes.border.lanes.general": [4, 5],
                           "demand[0].per_day": [40, 60, 80]}, replications=2, seed=3,
                    warmup_check=False)


def test_two_by_three_factorial_has_six_points(grid):
    assert len(grid.results) == 6
    assert grid.names[0] == "nodes.border.lanes.general=4, demand[0].per_day=40"
    assert grid.reference == grid.names[0]
    assert grid.points.shape == (6, 2)
    assert list(grid.points.columns) == ["nodes.border.lanes.general", "demand[0].per_day"]
    assert sorted(map(tuple, grid.points.to_numpy().tolist())) == [
        (4, 40), (4, 60), (4, 80), (5, 40), (5, 60), (5, 80)]
    for name, row in grid.points.iterrows():
        sc = grid.results[name].scenario
        assert sc.nodes["border"].lanes.general == row["nodes.border.lanes.general"]
        assert sc.demand[0].per_day == row["demand[0].per_day"]
        assert grid.results[name].replications == 2


def test_sweep_points_share_random_numbers(grid):
    # same arrivals wherever demand is the same: the lane count changes nothing upstream
    a = grid.results["nodes.border.lanes.general=4, demand[0].per_day=60"].kpis["created"]
    b = grid.results["nodes.border.lanes.general=5, demand[0].per_day=60"].kpis["created"]
    assert a.tolist() == b.tolist()
    waits = grid.table("border.wait_hours.mean")["mean"]
    assert waits.iloc[0] < waits.iloc[2]  # 40/day waits less than 80/day with 4 lanes


def test_one_factor_names(base):
    cmp = cs.sweep(base, {"nodes.border.lanes.general": [4, 6]}, replications=2,
                   warmup_check=False)
    assert cmp.names == ["nodes.border.lanes.general=4", "nodes.border.lanes.general=6"]
    assert point_name({"a": True, "b": None, "c": "x"}) == "a=true, b=null, c=x"


def test_bad_sweeps_report_every_problem(base):
    with pytest.raises(ScenarioError) as err:
        cs.sweep(base, {"nodes.border.lanes.general": [4, -1, -2]}, replications=2)
    text = str(err.value)
    assert "nodes.border.lanes.general=-1" in text and "nodes.border.lanes.general=-2" in text
    with pytest.raises(ScenarioError, match="non-empty list"):
        cs.sweep(base, {"nodes.border.lanes.general": []})
    with pytest.raises(ScenarioError, match="non-empty list"):
        cs.sweep(base, {"nodes.border.calendar": "round_the_clock"})
    with pytest.raises(ScenarioError, match="lists a value twice"):
        cs.sweep(base, {"nodes.border.lanes.general": [4, 5, 4]})
    with pytest.raises(ScenarioError, match="dict of setting path"):
        cs.sweep(base, {})
    with pytest.raises(ScenarioError, match="links"):
        cs.sweep(base, {"links[7].to": ["border"]})
