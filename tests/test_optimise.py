"""Capacity planning: known answers from queueing theory, the feasibility guarantee, specs.

The answers are computed here from Erlang C, never copied from a run: the smallest number of
lanes of an M/M/c queue whose p95 wait is at most a target, and a two-decision problem whose
optimum follows from the same formula for two queues in series (Burke: the output of an M/M/c
queue is Poisson, so the second queue is M/M/c too).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

import corridor_sim as cs
from corridor_sim.cli import main
from corridor_sim.optimise import feasibility, pareto_front, stein_replications
from corridor_sim.optimise_spec import load_spec
from corridor_sim.stats import erlang_c, erlang_c_wait

PER_HOUR = 3.6  # single_checkpoint: 86.4 trucks a day, 1 h of exponential service


def p_wait_over(servers: int, t_hours: float, per_hour: float = PER_HOUR) -> float:
    """P(W > t) of an M/M/c queue with unit mean service (Erlang C)."""
    if per_hour >= servers:
        return 1.0
    return erlang_c(per_hour, 1.0, servers) * math.exp(-(servers - per_hour) * t_hours)


def short(days: float = 20, warmup: float = 2, window: bool = True) -> cs.Scenario:
    """single_checkpoint (M/M/4 at 3.6 arrivals/h) over a few weeks, a window from day 3."""
    changes: dict = {"horizon_days": days, "warmup_days": warmup}
    if window:
        end = dt.date(2025, 1, 1) + dt.timedelta(days=days - 1)
        changes["kpi_windows"] = {"peak": {"start": "2025-01-04", "end": end.isoformat()}}
    return cs.bundled("single_checkpoint").with_changes(changes)


def test_smallest_c_of_mmc_p95_wait_is_found_exactly():
    target_hours = 1.0
    lanes = list(range(4, 10))
    answer = min(c for c in lanes if p_wait_over(c, target_hours) <= 0.05)
    # the known answer lies outside the indifference zone (±0.01 share) on both sides
    assert p_wait_over(answer, target_hours) <= 0.05 - 0.02
    assert p_wait_over(answer - 1, target_hours) >= 0.05 + 0.02
    opt = cs.optimise(short(), {"nodes.border.lanes.general": lanes},
                      objective="border.utilisation",
                      constraints=[f"peak:border.wait_hours.p95 <= {target_hours}"],
                      monotone=True, first_replications=5, max_replications=20, seed=7,
                      progress=False)
    assert opt.chosen == f"nodes.border.lanes.general={answer}"
    t = opt.trace
    assert (t["step"].notna()).sum() < len(lanes)  # bisection: not every design run
    ran = t[t["replications"] > 0]
    for name, row in ran.iterrows():
        c = int(row["nodes.border.lanes.general"])
        assert row["decision"] == ("feasible" if c >= answer else "infeasible"), name


def two_queues() -> cs.Scenario:
    """Two round-the-clock checkpoints in series, M/M/c each, lane costs differ."""
    sc = short(days=12, warmup=1, window=False)
    data = sc.to_dict()
    nodes = data["nodes"]
    nodes["border"]["costs"] = {"lane_usd_per_year": 100_000}
    nodes["second"] = {**nodes["border"], "costs": {"lane_usd_per_year": 150_000},
                       "service_time": {"dist": "exponential", "mean_hours": 0.5}}
    data["links"] = [
        {"from": "origin", "to": "border", "mode": "road",
         "travel_time": {"dist": "constant", "hours": 0}},
        {"from": "border", "to": "second", "mode": "road",
         "travel_time": {"dist": "constant", "hours": 0}},
        {"from": "second", "to": "destination", "mode": "road",
         "travel_time": {"dist": "constant", "hours": 0}}]
    return cs.scenario.scenario_from_dict(data)


def test_two_decision_optimum_known_by_enumeration_is_found():
    target_a, target_b, tol = 0.2, 0.5, 0.05  # mean waits [h], indifference zone [h]
    first, second = range(5, 8), range(2, 4)
    wait_a = {a: erlang_c_wait(PER_HOUR, 1.0, a) for a in first}
    wait_b = {b: erlang_c_wait(PER_HOUR, 0.5, b) for b in second}
    # every design is outside the indifference zones, so the guarantee covers them all
    assert all(abs(w - target_a) > tol for w in wait_a.values())
    assert all(abs(w - target_b) > tol for w in wait_b.values())
    cost = {(a, b): 100_000 * a + 150_000 * b for a in first for b in second}
    ok = {(a, b): wait_a[a] <= target_a and wait_b[b] <= target_b
          for a in first for b in second}
    best = min((k for k in cost if ok[k]), key=cost.get)
    opt = cs.optimise(two_queues(), {"nodes.border.lanes.general": list(first),
                                     "nodes.second.lanes.general": list(second)},
                      objective="cost_usd_per_year.capacity",
                      constraints=[{"kpi": "border.wait_hours.mean", "max": target_a,
                                    "tolerance": tol},
                                   {"kpi": "second.wait_hours.mean", "max": target_b,
                                    "tolerance": tol}],
                      first_replications=8, max_replications=24, seed=3, progress=False,
                      objective_tolerance=0.0)
    assert opt.chosen == (f"nodes.border.lanes.general={best[0]}, "
                          f"nodes.second.lanes.general={best[1]}")
    # cheapest first: every cheaper design was checked and declared infeasible
    t = opt.trace
    cheaper = t[t["cost_usd_per_year.capacity"] < cost[best]]
    assert (cheaper["decision"] == "infeasible").all()
    table = opt.table()
    assert table.loc["cost_usd_per_year.capacity", "mean"] == cost[best]


def test_constraint_rejects_designs_that_violate_the_target():
    # 4 lanes at 90% load wait about 2 h on average: far beyond a 0.5 h target
    assert erlang_c_wait(PER_HOUR, 1.0, 4) > 1.0
    opt = cs.optimise(short(window=False), {"nodes.border.lanes.general": [4]},
                      objective="border.utilisation",
                      constraints=["border.wait_hours.mean <= 0.5"], first_replications=4,
                      seed=1, progress=False)
    assert opt.chosen is None
    assert list(opt.trace["decision"]) == ["infeasible"]
    assert opt.runner_ups == []


@pytest.mark.parametrize("mu_sign", [+1, -1])
def test_feasibility_decision_errs_at_most_alpha_outside_the_zone(mu_sign):
    """Stein's procedure on normal data: at ±ε the wrong decision has probability ≤ α."""
    rng = np.random.default_rng(11)
    alpha, eps, sigma, n0, trials = 0.05, 1.0, 3.0, 8, 4000
    wrong = 0
    for _ in range(trials):
        first = rng.normal(mu_sign * eps, sigma, n0)
        need = stein_replications(float(first.std(ddof=1)), eps, n0, alpha)
        y = np.concatenate([first, rng.normal(mu_sign * eps, sigma, need - n0)])
        verdict = feasibility(y, need, alpha)
        wrong += verdict == ("feasible" if mu_sign > 0 else "infeasible")
    # binomial: allow three standard errors above alpha
    assert wrong / trials <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / trials)


def test_capped_replications_give_an_undecided_verdict_not_a_guess():
    y = np.array([0.5, -0.6, 0.4, -0.5, 0.2])
    assert feasibility(y, 100, 0.05) == "undecided"
    assert feasibility(y - 10, 100, 0.05) == "feasible"
    assert feasibility(y + 10, 100, 0.05) == "infeasible"


def test_pareto_front_and_plots(tmp_path):
    opt = cs.optimise(short(), {"nodes.border.lanes.general": "4..6"},
                      objective=["border.utilisation", "peak:border.wait_hours.mean"],
                      first_replications=3, seed=2, progress=False)
    assert opt.chosen is not None and opt.pareto is not None
    # the front holds exactly the designs whose means no other design beats on both
    means = opt.trace[["border.utilisation", "peak:border.wait_hours.mean"]]
    assert set(opt.pareto.index) == set(pareto_front(means))
    ax = cs.plot.pareto(opt)
    assert ax.get_xlabel().startswith("border.utilisation")
    out = opt.to_dir(tmp_path / "opt")
    for f in ("spec.yaml", "trace.csv", "kpis.csv", "pareto.csv", "trace.png", "pareto.png",
              "report.html", "run.json", "chosen.csv", "chosen_scenario.yaml"):
        assert (out / f).is_file(), f
    assert "Pareto front" in (out / "report.html").read_text(encoding="utf-8")
    again = load_spec(out / "spec.yaml")  # the folder holds the whole problem, seed included
    assert again.scenario == opt.spec.scenario and again.seed == opt.spec.seed
    assert again.decisions == opt.spec.decisions and again.objectives == opt.spec.objectives


def test_same_spec_and_seed_reproduce_the_search_on_worker_processes():
    kwargs = {"decisions": {"nodes.border.lanes.general": "5..6"},
              "objective": "border.utilisation",
              "constraints": ["peak:border.wait_hours.p95 <= 1"],
              "first_replications": 4, "max_replications": 6, "seed": 5, "progress": False}
    sc = short(days=10)
    a = cs.optimise(sc, **kwargs)
    b = cs.optimise(sc, workers=2, **kwargs)
    pd.testing.assert_frame_equal(a.trace, b.trace)
    assert a.chosen == b.chosen


@pytest.mark.slow
def test_probability_of_correct_selection_over_many_seeds():
    """The smallest c is found in at least 95% of seeds (the stated confidence)."""
    lanes = list(range(4, 10))
    answer = min(c for c in lanes if p_wait_over(c, 1.0) <= 0.05)
    seeds = range(100, 140)
    correct = sum(
        cs.optimise(short(), {"nodes.border.lanes.general": lanes},
                    objective="border.utilisation",
                    constraints=["peak:border.wait_hours.p95 <= 1"], monotone=True,
                    first_replications=5, max_replications=20, seed=seed,
                    progress=False).chosen == f"nodes.border.lanes.general={answer}"
        for seed in seeds)
    assert correct / len(seeds) >= 0.95


# --------------------------------------------------------------------------- windows


def test_window_kpis_match_the_visits_and_leave_other_kpis_unchanged():
    plain = short(window=False)
    windowed = short(window=True).with_changes(
        {"kpi_windows.peak.wait_limits_hours": [0.5]})
    a = cs.run(plain, replications=2, seed=4, progress=False, warmup_check=False)
    b = cs.run(windowed, replications=2, seed=4, progress=False, keep="all",
               warmup_check=False)
    pd.testing.assert_frame_equal(a.kpis, b.kpis[a.kpis.columns])
    v = b.visits
    lo, hi = 3 * 24.0, 20 * 24.0  # 4 January to the end of 20 January
    for r in range(2):
        w = v[(v["replication"] == r) & (v["arrived_hours"] >= lo) & (v["arrived_hours"] < hi)
              & v["started_hours"].notna()]["wait_hours"]
        k = b.kpis.loc[r]
        assert k["peak:border.waits"] == len(w)
        assert k["peak:border.wait_hours.p95"] == pytest.approx(np.percentile(w, 95))
        assert k["peak:border.wait_hours.over[0.5]"] == (w > 0.5).sum()


@pytest.mark.parametrize("window, message", [
    ({"start": "2025-01-01", "end": "2025-01-10"}, "within the warm-up"),
    ({"start": "2025-01-05", "end": "2025-03-10"}, "after the end of the run"),
    ({"start": "2025-01-10", "end": "2025-01-05"}, "before start"),
])
def test_bad_windows_are_reported_with_their_key(window, message):
    with pytest.raises(cs.ScenarioError, match=message) as err:
        short(window=False).with_changes({"kpi_windows": {"peak": window}})
    assert err.value.problems[0].path.startswith("kpi_windows.peak")


# --------------------------------------------------------------------------- specs and CLI


def write_spec(tmp_path, body: str):
    (tmp_path / "mmc.yaml").write_text(
        (cs.scenario.bundled_path("single_checkpoint")).read_text(encoding="utf-8")
        + "kpi_windows:\n  peak: {start: 2025-02-05, end: 2025-03-01}\n", encoding="utf-8")
    path = tmp_path / "spec.yaml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD = """scenario: mmc.yaml
decisions:
  nodes.border.lanes.general: 5..7
objective: border.utilisation
constraints:
  - peak:border.wait_hours.p95 <= 1
replications: {first: 3, max: 6}
seed: 2
"""


def test_spec_file_loads_and_adds_the_wait_limit_to_its_window(tmp_path):
    spec = load_spec(write_spec(tmp_path, GOOD))
    assert spec.decisions == {"nodes.border.lanes.general": [5, 6, 7]}
    assert spec.scenario.kpi_windows["peak"].wait_limits_hours == [1.0]
    assert spec.first_replications == 3 and spec.seed == 2


def test_spec_mistakes_are_reported_with_file_and_line(tmp_path):
    bad = GOOD.replace("5..7", "7..5").replace("<= 1", "< 1").replace("seed: 2", "sede: 2")
    with pytest.raises(cs.ScenarioError) as err:
        load_spec(write_spec(tmp_path, bad))
    text = str(err.value)
    assert "spec.yaml:3: decisions.nodes.border.lanes.general: the range '7..5' is empty" in text
    assert "spec.yaml:6: constraints[0]: must read 'KPI <= value'" in text
    assert "sede: unknown key" in text


def test_unknown_window_and_kpi_are_named(tmp_path):
    with pytest.raises(cs.ScenarioError, match="no KPI window 'harvest'"):
        load_spec(write_spec(tmp_path, GOOD.replace("peak:", "harvest:")))
    spec = load_spec(write_spec(tmp_path, GOOD.replace("border.utilisation",
                                                       "border.utilization")))
    with pytest.raises(cs.ScenarioError, match="no KPI 'border.utilization'.*utilisation"):
        cs.optimise(spec, progress=False)


def test_cli_optimise_writes_the_folder_and_exits_2_on_mistakes(tmp_path, capsys):
    spec = write_spec(tmp_path, GOOD)
    (tmp_path / "mmc.yaml").write_text((tmp_path / "mmc.yaml").read_text(encoding="utf-8")
                                       .replace("horizon_days: 365", "horizon_days: 60"),
                                       encoding="utf-8")
    out = tmp_path / "out"
    assert main(["optimise", str(spec), "-o", str(out), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "chosen: nodes.border.lanes.general=" in printed
    assert (out / "trace.csv").is_file() and (out / "report.html").is_file()
    assert main(["optimise", str(tmp_path / "nope.yaml")]) == 2
    assert "no spec file" in capsys.readouterr().err


def test_bundled_spec_loads():
    spec = load_spec("nur_zholy_capacity")
    assert spec.scenario.name == "nur_zholy_harvest"
    assert len(list(__import__("itertools").product(*spec.decisions.values()))) <= 60
    assert spec.scenario.kpi_windows["harvest"].wait_limits_hours == [4.0]
