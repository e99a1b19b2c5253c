"""Every bundled scenario loads, runs, and answers its question in the right direction."""

import pytest

import corridor_sim as cs
from corridor_sim.calibration import FITTED, TARGETS, calibration_report

SHORT = {"horizon_days": 40, "warmup_days": 5}


@pytest.mark.parametrize("name", cs.bundled_names())
def test_bundled_scenario_runs_and_conserves(name):
    sc = cs.bundled(name)
    assert sc.description
    # a shortened run drops the KPI windows, which would lie beyond its end
    short = {**SHORT, "kpi_windows": None} if sc.kpi_windows else SHORT
    k = cs.run(sc.with_changes(short), replications=1, seed=1).kpis
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


def test_calibration_report_states_what_each_figure_is_worth():
    """Every target is reported with its role; the volumes the demand was set from hold."""
    sc = cs.bundled("baseline").with_changes({"start": "2025-03-01", "horizon_days": 45,
                                              "warmup_days": 5})
    report = calibration_report(cs.run(sc, replications=1, seed=7))
    assert len(report) == len(TARGETS)
    assert set(report["role"]) == {"fitted", "check", "input"}
    assert (report.loc[report["role"] == "fitted", "fitted"] != "").all()
    inputs = report[report["role"] == "input"]
    bad = inputs[~inputs["within"]]
    assert bad.empty, bad[["simulated", "low", "high"]].to_string()
    assert set(FITTED) and all(FITTED.values())


@pytest.mark.slow
def test_baseline_year_within_every_range_fitted_or_input():
    """A year of the baseline (DESIGN §7.3): time, queue and volume targets it claims."""
    report = calibration_report(cs.run(cs.bundled("baseline"), replications=3, seed=7))
    claimed = report[report["role"] != "check"]
    bad = claimed[~claimed["within"]]
    assert bad.empty, bad[["simulated", "low", "high"]].to_string()
    checks = report[report["role"] == "check"]
    assert checks["simulated"].notna().all()


def test_parking_scenario_answers_its_question():
    """Unlimited room measures the parking a two-day closure needs; less backs onto the road."""
    sc = cs.bundled("nur_zholy_parking")
    k = cs.run(sc, replications=2, seed=1).summary()["mean"]
    need = k["nur_zholy_road.from[almaty].space.occupancy.max"]
    assert k["nur_zholy_road.from[almaty].space.approach.max"] == 0
    # about 2 days of ~330 trucks a day, less what the strip and lanes hold
    assert 400 < need < 1000
    small = cs.run(sc.with_changes(
        {"nodes.nur_zholy_road.directions.almaty.space.vehicles": int(need / 2)}),
        replications=1, seed=1).summary()["mean"]
    assert small["nur_zholy_road.from[almaty].space.approach.max"] > need / 4
    assert small["nur_zholy_road.from[almaty].space.approach_km.max"] > 0


def test_baseline_holiday_backlog_forms_on_the_approach_not_in_the_strip():
    """Both sides close on holidays: the strip holds at most its room, the rest wait outside."""
    sc = cs.bundled("baseline").with_changes({"start": "2025-09-20", "horizon_days": 30,
                                              "warmup_days": 3})
    k = cs.run(sc, replications=1, seed=3).summary()["mean"]
    assert k["space[nur_zholy_road→khorgos_road].occupancy.max"] <= 60
    assert k["nur_zholy_road.from[almaty].queue_length.max"] > 300
    assert k["nur_zholy_road.from[almaty].space.approach.max"] > 0  # beyond the parking
