"""Every bundled scenario loads, runs, and answers its question in the right direction."""

import pytest

import corridor_sim as cs
from corridor_sim.calibration import TARGETS, calibration_report

SHORT = {"horizon_days": 40, "warmup_days": 5}


@pytest.mark.parametrize("name", cs.bundled_names())
def test_bundled_scenario_runs_and_conserves(name):
    sc = cs.bundled(name)
    assert sc.description
    k = cs.run(sc.with_changes(SHORT), replications=1, seed=1).kpis
    assert (k["created"] == k["delivered"] + k["in_system"] + k["rejected"]).all()
    assert k["created"].iloc[0] > 0


def test_every_bundled_scenario_states_its_question():
    for name in cs.bundled_names():
        text = cs.scenario.bundled_path(name).read_text()
        assert text.lstrip().startswith("# Question:"), name


def test_shifts_carry_less_than_round_the_clock():
    s = cs.run(cs.bundled("shifts").with_changes(SHORT), replications=1, seed=1).summary()
    r = cs.run(cs.bundled("round_the_clock").with_changes(SHORT), replications=1,
               seed=1).summary()
    assert (s.loc["nur_zholy_road.vehicles_per_day", "mean"]
            < 0.8 * r.loc["nur_zholy_road.vehicles_per_day", "mean"])


def test_green_corridor_speeds_up_fresh_produce():
    on = cs.run(cs.bundled("baseline").with_changes(SHORT), replications=2, seed=1).summary()
    off = cs.run(cs.bundled("no_green_corridor").with_changes(SHORT), replications=2,
                 seed=1).summary()
    assert (on.loc["agri_fresh.lead_time_hours.p95", "mean"]
            < off.loc["agri_fresh.lead_time_hours.p95", "mean"])


def test_old_name_green_corridor_loads_with_a_notice(capsys, tmp_path):
    old = cs.bundled("green_corridor")
    err = capsys.readouterr().err
    assert old == cs.bundled("no_green_corridor")
    assert old.name == "no_green_corridor"
    assert err.count("\n") == 1 and "now called 'no_green_corridor'" in err
    assert "green_corridor" not in cs.bundled_names()
    (tmp_path / "mine.yaml").write_text("extends: green_corridor.yaml\nname: mine\n")
    assert cs.load_scenario(tmp_path / "mine.yaml").nodes["khorgos_road"].lanes.green == 0


def test_baseline_calibration_within_published_ranges():
    """The baseline reproduces the published figures of corridor_facts.md (DESIGN §7.3)."""
    sc = cs.bundled("baseline").with_changes({"horizon_days": 120})
    report = calibration_report(cs.run(sc, replications=2, seed=7))
    assert len(report) == len(TARGETS)
    bad = report[~report["within"]]
    assert bad.empty, bad[["simulated", "low", "high"]].to_string()
