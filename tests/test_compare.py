"""Comparisons with common random numbers: paired differences, their CIs, the table."""

from __future__ import annotations

import numpy as np
import pytest

import corridor_sim as cs
from corridor_sim.comparison import TABLE_COLUMNS, Comparison, flatten
from corridor_sim.errors import ScenarioError
from corridor_sim.stats import paired_diff, welch_diff

REPS = 10


@pytest.fixture(scope="module")
def high_load() -> cs.Scenario:
    """M/M/4 at 90% load (single_checkpoint), shortened."""
    return cs.bundled("single_checkpoint").with_changes({"horizon_days": 40, "warmup_days": 5})


@pytest.fixture(scope="module")
def lanes(high_load) -> Comparison:
    five = high_load.with_changes({"nodes.border.lanes.general": 5})
    return cs.compare({"4 lanes": high_load, "5 lanes": five}, replications=REPS, seed=1,
                      warmup_check=False)


@pytest.fixture(scope="module")
def independent(high_load) -> cs.Results:
    """The 5-lane scenario with another seed: what an unpaired comparison would see."""
    five = high_load.with_changes({"nodes.border.lanes.general": 5})
    return cs.run(five, replications=REPS, seed=2, warmup_check=False)


@pytest.mark.parametrize("kpi", ["border.utilisation", "border.throughput_per_day",
                                 "lead_time_hours.mean", "border.queue_length.mean"])
def test_common_random_numbers_narrow_the_interval(lanes, independent, kpi):
    base = lanes.results["4 lanes"].kpis[kpi]
    paired = paired_diff(base, lanes.results["5 lanes"].kpis[kpi])
    unpaired = welch_diff(base, independent.kpis[kpi])
    same_data = welch_diff(base, lanes.results["5 lanes"].kpis[kpi])
    # the comparison's table reports exactly the paired interval
    row = lanes.table(kpi).loc[(kpi, "5 lanes")]
    assert row["diff_ci_low"] == paired.ci_low and row["diff_ci_high"] == paired.ci_high
    assert paired.halfwidth < same_data.halfwidth
    if kpi in ("border.utilisation", "border.throughput_per_day"):
        # what both scenarios share (arrivals, service draws) cancels almost entirely:
        # measured ratios about 0.15–0.2
        assert paired.halfwidth < 0.3 * unpaired.halfwidth
    else:
        # waits: the 5-lane waits are small and only partly follow the 4-lane congestion
        # episodes, so pairing gains little here (measured ratio about 0.96); never worse
        assert paired.halfwidth < 1.1 * unpaired.halfwidth


def test_more_lanes_cut_the_wait_significantly(lanes):
    row = lanes.table("border.wait_hours.mean").loc[("border.wait_hours.mean", "5 lanes")]
    assert row["diff"] < 0 and row["diff_ci_high"] < 0 and row["significant"]
    assert row["diff_pct"] < -50
    # throughput is set by demand, not lanes: no significant difference
    t = lanes.table("border.throughput_per_day").loc[("border.throughput_per_day", "5 lanes")]
    assert not t["significant"]


def test_identical_scenarios_give_exactly_zero_differences(high_load):
    cmp = cs.compare({"a": high_load, "b": high_load.with_changes({})}, replications=3,
                     seed=5, warmup_check=False)
    diffs = cmp.differences()
    finite = diffs["mean"].notna()
    assert finite.sum() > 10
    assert (diffs.loc[finite, ["diff", "diff_ci_low", "diff_ci_high"]] == 0.0).all().all()
    assert not diffs["significant"].any()
    assert (diffs.loc[finite, "p_value"] == 1.0).all()
    assert cmp.settings_diff().empty


def test_table_layout(lanes):
    t = lanes.table()
    assert list(t.columns) == list(TABLE_COLUMNS)
    assert t.index.names == ["kpi", "scenario"]
    assert list(t.index.get_level_values("scenario")[:2]) == ["4 lanes", "5 lanes"]
    ref = t.xs("4 lanes", level="scenario")
    assert ref["diff"].isna().all() and not ref["significant"].any()
    assert (t.loc[t["mean"].notna(), "n"] == REPS).all()
    summary = lanes.results["5 lanes"].summary()
    five = t.xs("5 lanes", level="scenario")
    np.testing.assert_array_equal(five["mean"], summary.loc[five.index, "mean"])


def test_select_names_and_patterns(lanes):
    assert lanes.select("border.wait_hours.*") == ["border.wait_hours.mean",
                                                   "border.wait_hours.p95"]
    assert lanes.select(["created", "border.utilisation"]) == ["created", "border.utilisation"]
    with pytest.raises(ScenarioError, match="did you mean 'border.utilisation'"):
        lanes.table("border.utilization")
    with pytest.raises(ScenarioError, match="no such KPI"):
        lanes.table("nothing.*")


def test_unpaired_table_is_wider(lanes):
    kpi = "border.utilisation"
    paired = lanes.table(kpi).loc[(kpi, "5 lanes")]
    welch = lanes.table(kpi, paired=False).loc[(kpi, "5 lanes")]
    assert paired["diff"] == pytest.approx(welch["diff"])
    assert (welch["diff_ci_high"] - welch["diff_ci_low"]) > 3 * (
        paired["diff_ci_high"] - paired["diff_ci_low"])


def test_settings_diff_lists_the_changed_paths(lanes):
    diff = lanes.settings_diff()
    assert list(diff.index) == ["nodes.border.lanes.general"]
    assert diff.loc["nodes.border.lanes.general"].tolist() == [4, 5]


def test_a_list_is_named_by_scenario_name(high_load):
    other = high_load.with_changes({"name": "five-lanes", "nodes.border.lanes.general": 5})
    cmp = cs.compare([high_load, other], replications=2, seed=1, warmup_check=False)
    assert cmp.names == ["single-checkpoint", "five-lanes"]
    assert cmp.reference == "single-checkpoint"
    with pytest.raises(ScenarioError, match="pass a dict"):
        cs.compare([high_load, high_load], replications=2)


def test_bad_comparisons(high_load, lanes):
    with pytest.raises(ScenarioError, match="at least two"):
        cs.compare({"only": high_load}, replications=2)
    with pytest.raises(ScenarioError, match="not a single one"):
        cs.compare(high_load, replications=2)
    with pytest.raises(ScenarioError, match="must be Results"):
        Comparison({"a": lanes.results["4 lanes"], "b": "nope"})


def test_comparison_of_results_run_elsewhere(lanes, independent):
    cmp = Comparison({"4 lanes": lanes.results["4 lanes"], "5 lanes (seed 2)": independent})
    row = cmp.table("border.utilisation").loc[("border.utilisation", "5 lanes (seed 2)")]
    assert row["diff"] < 0 and row["significant"]
    assert "2 scenarios" in repr(cmp)


def test_scenarios_may_be_files(tmp_path, high_load):
    from corridor_sim.scenario import to_yaml

    path = tmp_path / "five.yaml"
    path.write_text(to_yaml(high_load.with_changes({"nodes.border.lanes.general": 5})))
    cmp = cs.compare({"base": high_load, "file": path}, replications=2, seed=1,
                     warmup_check=False)
    assert cmp.results["file"].scenario.nodes["border"].lanes.general == 5


def test_flatten_round_trips_with_with_changes(high_load):
    flat = flatten(high_load.to_dict())
    assert flat["nodes.border.lanes.general"] == 4
    assert flat["links[1].to"] == "destination"
    same = high_load.with_changes({k: v for k, v in flat.items()
                                   if k.startswith("nodes.border.")})
    assert same == high_load
