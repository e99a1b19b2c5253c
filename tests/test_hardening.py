"""Hostile and broken inputs: each class gets a clean located error or a clear warning.

Structures and files that are not what they seem, values that used to pass ``validate`` and
crash ``run``, runs that succeeded silently with nonsense, output folders, paths that escape,
shared state and messages (issue 13).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import checkpoint, constant, every_day, scenario_dict

import corridor_sim as cs
from corridor_sim import _files
from corridor_sim.checks import result_warnings, scenario_warnings
from corridor_sim.cli import main
from corridor_sim.errors import MAX_SHOWN, OutputError, Problem, ScenarioError
from corridor_sim.scenario import guards, scenario_from_dict
from corridor_sim.scenario.bundled import SCENARIO_DIR
from corridor_sim.warmup import WarmupWarning

SINGLE = (SCENARIO_DIR / "single_checkpoint.yaml").read_text(encoding="utf-8")
SERVICE = "service_time: {dist: exponential, mean_hours: 1.0}"
LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<rest>.+)$")


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def single(**changes: str) -> str:
    """The bundled single-checkpoint scenario with some lines replaced."""
    text = SINGLE
    for old, new in changes.items():
        assert old.replace("_", " ") in text or old in text
        text = text.replace(old, new)
    return text


def validate_error(path: Path, *extra: str) -> str:
    """Validate with the CLI: exit status 2, every line ``FILE[:LINE]: …``, no traceback."""
    code, _, err = run_main(["validate", str(path), *extra])
    assert code == 2, err
    assert "Traceback" not in err
    for line in err.strip().splitlines():
        assert line.startswith(str(path)) or line.startswith(str(path.parent)), line
    return err


def problems(text: str, tmp_path: Path, name: str = "s.yaml") -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        cs.load_scenario(write(tmp_path, name, text))
    return info.value.problems


# --------------------------------------------------------------------------- structures, files


def test_deep_nesting_is_refused_at_its_line(tmp_path):
    flow_style = write(tmp_path, "flow.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested more than" in validate_error(flow_style)
    block = "".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "x: 1\n"
    err = validate_error(write(tmp_path, "block.yaml", block))
    assert f"block.yaml:{guards.MAX_DEPTH}: " in err and "nested more than" in err


def test_alias_bomb_and_recursive_alias_are_refused(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n"
        for i in range(8))
    assert len(bomb) < 1000
    assert "expands to more than" in validate_error(write(tmp_path, "bomb.yaml", bomb))
    assert "recursive alias" in validate_error(write(tmp_path, "rec.yaml", "a: &a [*a]\n"))
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * (guards.MAX_ALIASES + 1)) + "]\n"
    assert "aliases" in validate_error(write(tmp_path, "many.yaml", many))


def test_a_few_aliases_still_work(tmp_path):
    text = single(**{"service_time: {dist: exponential, mean_hours: 1.0}":
                     "service_time: &svc {dist: exponential, mean_hours: 1.0}"})
    text = text.replace("nodes:", "x_unused: null\nnodes:") if False else text
    sc = cs.load_scenario(write(tmp_path, "ok.yaml", text))
    assert sc.nodes["border"].service_time.mean == 1.0


def test_a_large_file_is_refused_before_it_is_parsed(tmp_path):
    path = write(tmp_path, "big.yaml", "# " + "x" * guards.MAX_SCENARIO_BYTES + "\n" + SINGLE)
    err = validate_error(path)
    assert "more than the limit" in err and len(err.splitlines()) == 1


def test_only_regular_files_are_read(tmp_path):
    assert "not a regular file" in validate_error(Path("/dev/zero"))
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    assert "not a regular file" in validate_error(fifo)  # does not block
    write(tmp_path, "ext.yaml", "extends: fifo.yaml\n")
    assert "not a regular file" in validate_error(tmp_path / "ext.yaml")
    os.symlink("loop1", tmp_path / "loop2")
    os.symlink("loop2", tmp_path / "loop1")
    err = validate_error(write(tmp_path, "loop.yaml", "extends: loop1\n"))
    assert "loop" in err.lower()
    with pytest.raises(ScenarioError, match="NUL byte"):
        cs.load_scenario("scen\x00ario.yaml")
    err = validate_error(write(tmp_path, "nul.yaml", 'extends: "base\\0.yaml"\n'))
    assert "nul.yaml:1: extends: the file name contains a NUL byte" in err


def test_csv_guards_name_the_file(tmp_path):
    (tmp_path / "wide.csv").write_text("h\n" + "1" * 200_000 + "\n")
    (tmp_path / "latin.csv").write_bytes("h\n1\n\xe9\n".encode("latin-1"))
    os.mkfifo(tmp_path / "pipe.csv")
    for name, fragment in (("wide.csv", "wide.csv"), ("latin.csv", "not UTF-8"),
                           ("pipe.csv", "not a regular file")):
        text = single(**{SERVICE: f"service_time: {{dist: empirical, csv: {name}}}"})
        err = validate_error(write(tmp_path, f"s-{name}.yaml", text))
        assert fragment in err and name in err and "_csv.Error" not in err


# --------------------------------------------------------------------------- paths


def test_extends_and_csv_stay_inside_the_scenario_folder(tmp_path):
    inner = tmp_path / "project"
    inner.mkdir()
    outside = tmp_path / "secret.csv"
    outside.write_text("root:x:0:0\n1\n")
    cases = {
        "extends: /etc/passwd\n": "absolute path",
        "extends: ../../../../etc/passwd\n": "leads outside",
        single(**{SERVICE: "service_time: {dist: empirical, csv: ../secret.csv}"}):
            "leads outside",
        single(**{SERVICE: f"service_time: {{dist: empirical, csv: {outside}}}"}):
            "absolute path",
    }
    for i, (text, fragment) in enumerate(cases.items()):
        err = validate_error(write(inner, f"s{i}.yaml", text))
        assert fragment in err and "--allow-outside" in err
        assert "root:x" not in err  # never echoes the file it refused
    ok = write(inner, "ok.yaml", single(**{SERVICE: "service_time: {dist: empirical, "
                                                    "csv: ../secret.csv, column: 'root:x:0:0'}"}))
    sc = cs.load_scenario(ok, allow_outside=True)
    assert sc.nodes["border"].service_time.values_hours == [1.0]
    code, out, err = run_main(["validate", str(ok), "--allow-outside"])
    assert code == 0, err


def test_bundled_names_and_files_below_the_folder_stay_allowed(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "waits.csv").write_text("hours\n0.5\n1.5\n")
    write(tmp_path, "sub.yaml", "extends: baseline\nname: sub\n")
    assert cs.load_scenario(tmp_path / "sub.yaml").name == "sub"
    text = single(**{SERVICE: "service_time: {dist: empirical, csv: data/waits.csv}"})
    sc = cs.load_scenario(write(tmp_path, "csv.yaml", text))
    assert sc.nodes["border"].service_time.mean == 1.0
    # the resolved scenario embeds the data, so it loads again from anywhere
    again = write(tmp_path / "data", "resolved.yaml", cs.scenario.to_yaml(sc))
    assert cs.load_scenario(again) == sc


def test_scenario_name_becomes_a_safe_folder_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("../../escaped", "/abs/path"):
        path = write(tmp_path, "n.yaml", single(**{"name: single-checkpoint": f"name: '{name}'",
                                                   "horizon_days: 365": "horizon_days: 3",
                                                   "warmup_days: 30": "warmup_days: 1"}))
        code, _, err = run_main(["run", str(path), "-r", "1", "-q", "--no-plots"])
        assert code == 0, err
    made = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert made == ["abs_path", "escaped"]
    assert not (tmp_path.parent / "escaped").exists()
    assert _files.safe_name("..") == "scenario" and _files.safe_name("") == "scenario"


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("change, key", [
    ({"demand[0].seasonality": [1.0] * 11 + [float("inf")]}, "demand[0].seasonality[11]"),
    ({"demand[0].per_day": float("inf")}, "demand[0].per_day"),
    ({"demand[0].units_per_shipment": float("nan")}, "demand[0].units_per_shipment"),
    ({"horizon_days": float("inf")}, "horizon_days"),
    ({"nodes.border.lat": float("nan")}, "nodes.border.lat"),
])
def test_non_finite_numbers_are_refused_everywhere(change, key):
    sc = cs.bundled("single_checkpoint")
    with pytest.raises(ScenarioError) as info:
        sc.with_changes(change)
    assert any(p.path == key and "must be a finite number" in p.message
               for p in info.value.problems), info.value
    assert "Input should" not in str(info.value)


def test_non_finite_in_a_file_is_located(tmp_path):
    text = single(**{"per_day: 86.4": "per_day: .inf"})
    path = write(tmp_path, "inf.yaml", text)
    err = validate_error(path)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if ".inf" in t)
    assert f"inf.yaml:{line}: demand[0].per_day: must be a finite number, got inf" in err
    assert "about inf" not in err


def test_dates_horizons_and_counts_are_bounded(tmp_path):
    cases = {
        "start: 2025-01-01": ("start: 9999-12-20", "start: must be a date from"),
        "horizon_days: 365": ("horizon_days: 1000000", "horizon_days: must be at most"),
        "replications: 10": ("replications: 1000000000", "replications: must be at most"),
    }
    for old, (new, fragment) in cases.items():
        if old not in SINGLE:  # the key is not in the file: add it
            text = SINGLE.replace("horizon_days: 365", f"horizon_days: 365\n{new}")
        else:
            text = SINGLE.replace(old, new)
        assert fragment in validate_error(write(tmp_path, "d.yaml", text))
    path = write(tmp_path, "ok.yaml", SINGLE)
    code, _, err = run_main(["run", str(path), "-r", "1000000000", "-q", "-o",
                             str(tmp_path / "out")])
    assert code == 2 and "--replications: must be at most" in err
    assert not (tmp_path / "out").exists()


def test_a_tiny_headway_is_refused_with_the_key_to_change():
    data = scenario_dict(horizon_days=5)
    data["links"][0] = {"from": "origin", "to": "border", "mode": "rail",
                        "travel_time": {"dist": "constant", "hours": 1},
                        "departures": {"every_hours": 1e-6}, "capacity_teu": 100}
    data["nodes"]["border"]["mode"] = "rail"
    data["links"][1]["mode"] = "rail"
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    (p,) = [p for p in info.value.problems if "departures" in p.path]
    assert p.path == "links[0].departures.every_hours"
    assert "120,000,000 departures" in p.message


def test_a_shift_that_opens_as_it_closes_is_made_explicit():
    data = scenario_dict(calendars={"odd": {"shifts": [every_day("09:00", "09:00")]}},
                         checkpoints={"border": checkpoint(calendar="odd")})
    (msg,) = scenario_warnings(scenario_from_dict(data))
    assert msg.startswith("calendars.odd.shifts[0]: ") and "lasts 24 hours" in msg
    data["calendars"]["odd"]["shifts"][0]["close"] = "24:00"
    data["calendars"]["odd"]["shifts"][0]["open"] = "00:00"
    assert scenario_warnings(scenario_from_dict(data)) == []


def test_warmup_longer_than_horizon_points_at_warmup_days(tmp_path):
    text = single(**{"warmup_days: 30": "warmup_days: 400"})
    err = validate_error(write(tmp_path, "w.yaml", text))
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "warmup_days" in t)
    assert f"w.yaml:{line}: warmup_days: " in err


def test_many_problems_are_cut_short(tmp_path):
    demand = "".join(f"  - {{origin: nowhere{i}, destination: destination, "
                     "commodity: general, per_day: 1}\n" for i in range(80))
    text = SINGLE.split("demand:")[0] + "demand:\n" + demand
    with pytest.raises(ScenarioError) as info:
        cs.load_scenario(write(tmp_path, "many.yaml", text))
    lines = str(info.value).splitlines()
    assert len(info.value.problems) >= 80
    assert len(lines) == MAX_SHOWN + 1 and "more problems" in lines[-1]


def test_importing_corridor_sim_leaves_pyyaml_alone():
    code = ("import yaml; a = yaml.safe_load('t: 1:30'); import corridor_sim as cs; "
            "cs.bundled('single_checkpoint'); b = yaml.safe_load('t: 1:30'); print(a, b)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "{'t': 90} {'t': 90}"
    assert yaml.safe_load("t: 1:30") == {"t": 90}


def test_dollar_signs_in_names_and_labels_draw(tmp_path):
    sc = cs.bundled("single_checkpoint").with_changes({
        "name": "cost$\\frac$", "nodes.border.label": "A$^$B", "horizon_days": 3,
        "warmup_days": 1})
    ax = cs.plot.network(sc)
    ax.figure.savefig(tmp_path / "map.png")
    res = cs.run(sc, replications=1, progress=False)
    for plot in (cs.plot.throughput, cs.plot.lead_times):
        plot(res).figure.savefig(tmp_path / "p.png")


# --------------------------------------------------------------------------- warnings


def test_never_open_no_lanes_and_no_departures_warn():
    data = scenario_dict(
        horizon_days=10, start="2025-01-01",
        calendars={"shut": {"always_open": True,
                            "closed_dates": [f"2025-01-{d:02d}" for d in range(1, 13)]}},
        checkpoints={"a": checkpoint(calendar="shut"), "b": checkpoint(lanes=0)})
    msgs = scenario_warnings(scenario_from_dict(data))
    assert any(m.startswith("a: never open") for m in msgs), msgs
    assert any(m.startswith("b: no lanes") for m in msgs), msgs


@pytest.mark.parametrize("lanes, per_hour, overloaded", [
    (4, 3.6, False),   # M/M/4 at ρ = 0.9
    (4, 4.0, True),    # ρ = 1
    (2, 3.0, True),
])
def test_overload_warning_follows_the_mean_utilisation(lanes, per_hour, overloaded):
    sc = scenario_from_dict(scenario_dict(checkpoints={"border": checkpoint(lanes=lanes)},
                                          per_hour=per_hour))
    msgs = scenario_warnings(sc)
    assert any("overloaded" in m for m in msgs) == overloaded, msgs


def test_overload_counts_closures_and_quotas():
    shift = {"day": {"shifts": [every_day("08:00", "20:00")]}}
    # 12 h open, 2 lanes of 1 h: about 24 + 2 vehicles a day; 30 a day overload it
    sc = scenario_from_dict(scenario_dict(calendars=shift, per_hour=30 / 24,
                                          checkpoints={"border": checkpoint(lanes=2,
                                                                            calendar="day")}))
    assert any("utilisation 1.15" in m for m in scenario_warnings(sc))
    sc = scenario_from_dict(scenario_dict(calendars=shift, per_hour=20 / 24,
                                          checkpoints={"border": checkpoint(lanes=2,
                                                                            calendar="day")}))
    assert scenario_warnings(sc) == []
    sc = scenario_from_dict(scenario_dict(per_hour=1.0, checkpoints={
        "border": checkpoint(lanes=4, max_vehicles_per_day=20)}))
    assert any("daily limit of lanes (20 vehicles)" in m for m in scenario_warnings(sc))


def test_overload_is_judged_per_direction_with_lanes_of_its_own():
    own = {"origin": {"pool": "own", "lanes": {"general": 1}}}
    sc = scenario_from_dict(scenario_dict(per_hour=1.5, checkpoints={
        "border": checkpoint(lanes=10, directions=own)}))
    (msg,) = scenario_warnings(sc)
    assert "lanes of the direction from origin (1) at utilisation 1.50" in msg
    sc = scenario_from_dict(scenario_dict(per_hour=1.5, checkpoints={
        "border": checkpoint(lanes=1, directions={"origin": {"pool": "own",
                                                             "lanes": {"general": 2}}})}))
    assert scenario_warnings(sc) == []


def test_overload_estimate_matches_a_growing_queue():
    """Where the estimate says ρ ≥ 1 the simulated queue grows; where ρ < 1 it does not."""
    shift = {"day": {"shifts": [every_day("08:00", "20:00")]}}
    grows = {}
    for per_day in (18.0, 34.0):  # estimated utilisation about 0.7 and 1.3
        sc = scenario_from_dict(scenario_dict(
            calendars=shift, per_hour=per_day / 24, horizon_days=120, warmup_days=1,
            checkpoints={"border": checkpoint(lanes=2, calendar="day")}))
        res = cs.run(sc, replications=2, seed=3, progress=False)
        end = res.kpis["in_system"].mean()
        grows[per_day] = (bool(scenario_warnings(sc)), end > 0.1 * res.kpis["created"].mean())
    assert grows == {18.0: (False, False), 34.0: (True, True)}


def test_a_costly_run_warns_with_its_estimate():
    sc = cs.bundled("single_checkpoint").with_changes({
        "horizon_days": 3650, "demand[0].per_day": 8640, "nodes.border.lanes.general": 400,
        "max_shipments": 40_000_000})
    (msg,) = scenario_warnings(sc)
    # 2 events per shipment created and 2 per visit to the checkpoint
    assert f"about {4 * 8640 * 3650:,.0f} simulation events" in msg and "GB" in msg
    assert scenario_warnings(sc.with_changes({"horizon_days": 365})) == []


def test_bundled_scenarios_warn_only_where_something_is_wrong():
    for name in cs.scenario.bundled_names():
        msgs = scenario_warnings(cs.bundled(name))
        if name == "shifts":  # 888 trucks/day on 12 h shifts: the road queue grows
            assert msgs and all("overloaded" in m for m in msgs)
        elif name == "almaty_centre":  # the question's answer: the centre does not pay
            assert len(msgs) == 1 and msgs[0].startswith("almaty_centre: on no chosen route")
        else:
            assert msgs == [], (name, msgs)


def test_result_warnings_name_the_flow_and_the_censoring():
    sc = cs.bundled("single_checkpoint")
    key = sc.demand[0].key
    kpis = pd.DataFrame({"created": [100.0, 100.0], "delivered": [0.0, 0.0],
                         "in_system": [100.0, 100.0], f"{key}.lead_time_hours.mean": np.nan})
    msgs = result_warnings(kpis, sc)
    assert any(key in m and "nothing delivered" in m for m in msgs)
    assert any("100% of the shipments" in m for m in msgs)
    kpis = pd.DataFrame({"created": [100.0], "delivered": [95.0], "in_system": [5.0],
                         f"{key}.lead_time_hours.mean": [3.0]})
    assert result_warnings(kpis, sc) == []
    # a flow turned back by a trade barrier delivers nothing, as the scenario says
    barred = sc.with_changes({"commodities.general.barred_at": ["border"]})
    kpis = pd.DataFrame({"created": [100.0], "delivered": [0.0], "in_system": [0.0],
                         "rejected": [100.0], f"{key}.lead_time_hours.mean": [np.nan]})
    assert result_warnings(kpis, barred) == []


def test_cli_prints_the_warnings_once(tmp_path):
    text = single(**{"horizon_days: 365": "horizon_days: 6", "warmup_days: 30":
                     "warmup_days: 1", "per_day: 86.4": "per_day: 200"})
    path = write(tmp_path, "hot.yaml", text)
    code, _, err = run_main(["run", str(path), "-r", "2", "-q", "--no-plots", "-o",
                             str(tmp_path / "out")])
    assert code == 0, err
    lines = [x for x in err.splitlines() if "border: overloaded" in x]
    assert len(lines) == 1 and lines[0].startswith("warning: ")
    code, _, err = run_main(["validate", str(path)])
    assert code == 0 and "border: overloaded" in err


# --------------------------------------------------------------------------- output folders


def listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


def test_rewrite_replaces_exactly_our_files(tmp_path):
    out = tmp_path / "out"
    with _files.staged_folder(out) as tmp:
        (tmp / "a.csv").write_text("1")
        (tmp / "stale.csv").write_text("old")
    (out / "mine.txt").write_text("the user's")
    with _files.staged_folder(out) as tmp:
        (tmp / "a.csv").write_text("2")
    assert listing(out) == [_files.MANIFEST, "a.csv", "mine.txt"]
    assert (out / "a.csv").read_text() == "2" and (out / "mine.txt").read_text() == "the user's"
    assert json.loads((out / _files.MANIFEST).read_text())["files"] == ["a.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # nothing hidden left


def test_a_foreign_file_that_would_be_overwritten_makes_it_refuse(tmp_path):
    out = tmp_path / "out"
    with _files.staged_folder(out) as tmp:
        (tmp / "a.csv").write_text("1")
    (out / "b.csv").write_text("the user's")
    with pytest.raises(OutputError, match="'b.csv'"), _files.staged_folder(out) as tmp:
        (tmp / "a.csv").write_text("2")
        (tmp / "b.csv").write_text("ours")
    assert (out / "a.csv").read_text() == "1" and (out / "b.csv").read_text() == "the user's"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failure_while_writing_changes_nothing(tmp_path):
    out = tmp_path / "out"
    with _files.staged_folder(out) as tmp:
        (tmp / "a.csv").write_text("1")
    with pytest.raises(RuntimeError), _files.staged_folder(out) as tmp:
        (tmp / "a.csv").write_text("2")
        raise RuntimeError("disk on fire")
    assert (out / "a.csv").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_folders_we_did_not_write_are_refused_and_old_run_folders_recognised(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("x")
    with pytest.raises(OutputError, match="did not write"):
        _files.check_output_folder(home)
    legacy = tmp_path / "results" / "baseline"  # written before manifests existed
    legacy.mkdir(parents=True)
    for name in ("scenario.yaml", "summary.csv", "visits.csv"):
        (legacy / name).write_text("old")
    with _files.staged_folder(legacy) as tmp:
        (tmp / "scenario.yaml").write_text("new")
        (tmp / "summary.csv").write_text("new")
    assert listing(legacy) == [_files.MANIFEST, "scenario.yaml", "summary.csv"]
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        _files.check_output_folder(afile)
    with pytest.raises(OutputError, match="is a file"):
        _files.check_output_folder(afile / "sub")


def test_cli_checks_the_output_path_before_simulating(tmp_path, monkeypatch):
    import corridor_sim.experiment as experiment

    def boom(*args, **kwargs):
        raise AssertionError("simulated before checking the output path")

    monkeypatch.setattr(experiment, "run", boom)
    afile = write(tmp_path, "taken", "x")
    path = write(tmp_path, "s.yaml", SINGLE)
    for argv in (["run", str(path), "-o", str(afile)],
                 ["compare", str(path), str(path), "-o", str(afile)],
                 ["sweep", str(path), "--set", "nodes.border.lanes.general=4,5", "-o",
                  str(afile)]):
        code, _, err = run_main([*argv, "-q"])
        assert code == 2 and "is a file" in err and "Traceback" not in err, err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_output_folder_is_refused_up_front(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="cannot be written"):
            _files.check_output_folder(locked / "out")
    finally:
        locked.chmod(0o700)


def test_sigterm_while_writing_leaves_no_partial_folder(tmp_path):
    script = textwrap.dedent(f"""
        import sys, time
        from corridor_sim._files import staged_folder
        with staged_folder({str(tmp_path / 'out')!r}) as tmp:
            (tmp / "half.csv").write_text("1")
            print("writing", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


def test_staging_left_by_a_killed_run_is_cleaned_up(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".out.staging-{dead.pid}-abc"
    stale.mkdir()
    (stale / "half.csv").write_text("1")
    with _files.staged_folder(tmp_path / "out") as tmp:
        (tmp / "a.csv").write_text("1")
    assert listing(tmp_path) == ["out"]


# --------------------------------------------------------------------------- warm-up check


def test_warmup_check_ignores_a_holiday_backlog():
    """A closure in the first weeks builds a backlog that MSER-5 takes for a transient."""
    from corridor_sim.warmup import check_warmup

    data = scenario_dict(per_hour=3.0, horizon_days=100, warmup_days=5,
                         calendars={"hols": {"always_open": True, "closed_dates": [
                             "2025-01-20", "2025-01-21", "2025-01-22"]}},
                         checkpoints={"border": checkpoint(lanes=4, calendar="hols")})
    with warnings.catch_warnings():
        warnings.simplefilter("error", WarmupWarning)
        res = cs.run(scenario_from_dict(data), replications=4, seed=2, progress=False)
    row = check_warmup(res).loc["border.queue_length"]
    # MSER-5 alone would cut the backlog: it suggests more than the warm-up, and the shift
    # is large; but the early days hold *more* queue, which no empty start can cause.
    assert row["suggested_days"] > 5 and row["bias"] > row["halfwidth"] > 0
    assert not row["too_short"]


def test_warmup_check_still_flags_a_heavy_empty_start():
    """A far node on a shift takes five days to see its first truck, then queues every night."""
    from corridor_sim.warmup import check_warmup

    def scenario(warmup_days: float) -> cs.Scenario:
        return scenario_from_dict(scenario_dict(
            per_hour=2.0, horizon_days=60, warmup_days=warmup_days,
            travel=[constant(0), constant(120), constant(0)],
            calendars={"day": {"shifts": [every_day("08:00", "20:00")]}},
            checkpoints={"first": checkpoint(lanes=4),
                         "second": checkpoint(lanes=8, calendar="day")}))

    with pytest.warns(WarmupWarning, match="second"):
        res = cs.run(scenario(0), replications=4, seed=2, progress=False)
    check = check_warmup(res)
    assert list(check.index[check["too_short"]]) == ["second.throughput_per_day",
                                                      "second.queue_length"]
    assert (check.loc[check["too_short"], "bias"] < 0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", WarmupWarning)
        res = cs.run(scenario(7), replications=4, seed=2, progress=False)
    assert not check_warmup(res)["too_short"].any()


def test_sigterm_to_a_cli_run_leaves_nothing_behind(tmp_path):
    path = write(tmp_path, "s.yaml", SINGLE)
    proc = subprocess.Popen([sys.executable, "-m", "corridor_sim.cli", "run", str(path),
                             "-r", "1000", "-q", "-o", str(tmp_path / "out")],
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        # imported and simulating after 6 s; 1,000 replications of a year take minutes
        proc.wait(timeout=6)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert "Traceback" not in proc.stderr.read()
    assert listing(tmp_path) == ["s.yaml"]
