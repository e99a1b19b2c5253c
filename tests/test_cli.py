"""The ``corridor-sim`` command line: run, validate, list; user mistakes exit 2 cleanly."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import corridor_sim as cs
from corridor_sim.cli import main
from corridor_sim.scenario import load_scenario

PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+\.yaml):(?P<line>\d+): (?P<path>[A-Za-z_][\w\-]*"
                          r"(?:\.[\w\-]+|\[\d+\])*): (?P<message>.+)$")
RUN_FILES = ["summary.csv", "throughput.csv", "node_stats.csv", "scenario.yaml",
             "throughput.png", "lead_times.png"]
SHIPMENT_COLUMNS = ["replication", "shipment_id", "commodity", "origin", "destination",
                    "units", "unit", "route", "created_hours", "delivered_hours",
                    "lead_time_hours", "spoiled"]
SHORT = "extends: single_checkpoint.yaml\nhorizon_days: 12\nwarmup_days: 2\n"
BROKEN = textwrap.dedent("""\
    name: broken
    horizon_days: 12
    nodes:
      origin: {kind: city}
      border:
        kind: checkpoint
        lanes: {general: -2}
        calendar: nightshift
        service_time: {dist: exponential, mean_hours: 1.0}
      destination: {kind: city}
    links:
      - {from: origin, to: border, travel_time: {dist: constant, hours: 1}}
      - {from: border, to: destination, travel_time: {dist: constant, hours: 1}}
    commodities:
      general: {unit: teu}
    demand:
      - {origin: origin, destination: destination, commodity: general, per_day: 86.4,
         modes: [raod]}
    """)



def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def read_table(folder: Path, stem: str) -> pd.DataFrame:
    parquet = folder / f"{stem}.parquet"
    return pd.read_parquet(parquet) if parquet.exists() else pd.read_csv(folder / f"{stem}.csv")


def assert_problem_lines(stderr: str, path: Path, expected_paths: set[str]) -> None:
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr
    assert lines, "no message on stderr"
    seen = set()
    for line in lines:
        m = PROBLEM_LINE.match(line)
        assert m, f"not FILE:LINE: key: message: {line!r}"
        assert m["file"] == str(path)
        assert 1 <= int(m["line"]) <= len(path.read_text().splitlines())
        seen.add(m["path"])
    assert seen == expected_paths


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> tuple[Path, Path, int, str]:
    """One `corridor-sim run` of a short single-checkpoint scenario: (scenario, output, code,
    stdout)."""
    root = tmp_path_factory.mktemp("cli")
    scenario = root / "short.yaml"
    scenario.write_text(SHORT)
    out = root / "out"
    code, stdout, _ = run_main(["run", str(scenario), "--replications", "2", "--seed", "3",
                                "--out", str(out)])
    return scenario, out, code, stdout


def test_run_writes_every_result_file(run_folder):
    _, out, code, stdout = run_folder
    assert code == 0
    for name in RUN_FILES:
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 0, name
    assert (out / "shipments.csv").exists() or (out / "shipments.parquet").exists()
    for png in ("throughput.png", "lead_times.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"results written to {out}" in stdout
    assert "border.wait_hours.mean" in stdout
    assert not list(out.parent.glob(".out*")), "temporary folder left behind"


def test_run_tables_follow_the_result_contract(run_folder):
    _, out, _, _ = run_folder
    summary = pd.read_csv(out / "summary.csv", index_col="kpi")
    assert list(summary.columns) == ["mean", "std", "ci_low", "ci_high", "n"]
    for kpi in ("created", "delivered", "in_system", "rejected", "lead_time_hours.mean",
                "border.wait_hours.mean", "border.utilisation", "border.vehicles_per_day",
                "border.queue_length.mean"):
        assert kpi in summary.index, kpi
    assert (summary.loc["created", "n"]) == 2
    shipments = read_table(out, "shipments")
    assert set(SHIPMENT_COLUMNS) <= set(shipments.columns)
    # by default the folder holds the shipments of the first replication, KPIs of all
    assert set(shipments["replication"]) == {0}
    if (out / "kpis.csv").exists():
        kpis = pd.read_csv(out / "kpis.csv", index_col=0)
        assert len(kpis) == 2
        assert len(shipments) == kpis["created"].iloc[0]
    node_stats = pd.read_csv(out / "node_stats.csv", index_col="node")
    assert list(node_stats.index) == ["border"]
    assert "wait_hours.mean" in node_stats.columns
    throughput = pd.read_csv(out / "throughput.csv", index_col=0)
    assert "border" in throughput.columns
    assert len(throughput) == 12


def test_written_scenario_reloads_to_the_same_scenario(run_folder):
    scenario, out, _, _ = run_folder
    original, written = load_scenario(scenario), load_scenario(out / "scenario.yaml")
    assert written.model_dump(exclude={"start"}) == original.model_dump(exclude={"start"})
    assert written.start_utc == original.start_utc


# Regression test for a bug fixed in 8828995: scenario.yaml holds start: '2025-01-01', which
# reloads as a datetime, not the date of the original (Scenario.start union)
def test_written_scenario_reloads_equal(run_folder):
    scenario, out, _, _ = run_folder
    assert load_scenario(out / "scenario.yaml") == load_scenario(scenario)


def test_results_are_reproducible_from_the_folder_alone(run_folder):
    _, out, _, _ = run_folder
    again = cs.run(load_scenario(out / "scenario.yaml"), replications=2, seed=3, keep="all")
    written = read_table(out, "shipments")
    cols = ["replication", "shipment_id", "created_hours", "delivered_hours"]
    rerun = again.shipments[again.shipments["replication"].isin(set(written["replication"]))]
    pd.testing.assert_frame_equal(written[cols], rerun[cols].reset_index(drop=True),
                                  check_exact=False, rtol=1e-12)
    summary = pd.read_csv(out / "summary.csv", index_col="kpi")
    np.testing.assert_allclose(summary["mean"], again.summary().loc[summary.index, "mean"],
                               rtol=1e-9)


def test_run_can_write_every_replication(write_yaml, tmp_path):
    path = write_yaml(SHORT, "short.yaml")
    out = tmp_path / "out"
    code, _, _ = run_main(["run", str(path), "-q", "-r", "2", "--no-plots", "--tables", "all",
                           "-o", str(out)])
    assert code == 0
    assert not list(out.glob("*.png"))
    assert set(read_table(out, "shipments")["replication"]) == {0, 1}
    visits = read_table(out, "visits")
    assert {"arrived_hours", "started_hours", "departed_hours", "wait_hours"} <= set(
        visits.columns)


def test_run_of_a_broken_file_exits_2_without_writing(write_yaml, tmp_path, monkeypatch):
    path = write_yaml(BROKEN, "broken.yaml")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    code, stdout, stderr = run_main(["run", str(path), "-r", "2", "-o", str(out)])
    assert code == 2
    assert stdout == ""
    assert_problem_lines(stderr, path, {"nodes.border.lanes.general", "nodes.border.calendar",
                                        "demand[0].modes[0]"})
    assert not out.exists()
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(("argv", "fragment"), [
    (["-r", "0"], "replications: must be an integer ≥ 1, got 0"),
    (["-w", "0"], "workers: must be"),
])
def test_run_with_bad_options_exits_2(write_yaml, tmp_path, argv, fragment):
    path = write_yaml(SHORT, "short.yaml")
    out = tmp_path / "out"
    code, _, stderr = run_main(["run", str(path), "-q", "-o", str(out), *argv])
    assert code == 2
    assert fragment in stderr
    assert "Traceback" not in stderr
    assert not out.exists()


def test_validate(write_yaml):
    good = write_yaml(SHORT, "good.yaml")
    bad = write_yaml(BROKEN, "bad.yaml")
    code, stdout, stderr = run_main(["validate", str(good), "single_checkpoint"])
    assert code == 0
    assert stderr == ""
    assert f"{good}: ok" in stdout and "single_checkpoint: ok" in stdout
    code, stdout, stderr = run_main(["validate", str(good), str(bad)])
    assert code == 2
    assert f"{good}: ok" in stdout and str(bad) not in stdout
    assert_problem_lines(stderr, bad, {"nodes.border.lanes.general", "nodes.border.calendar",
                                       "demand[0].modes[0]"})


def test_validate_missing_and_unknown(tmp_path):
    code, _, stderr = run_main(["validate", str(tmp_path / "none.yaml"), "nosuchname"])
    assert code == 2
    assert "no such scenario file" in stderr
    assert "no bundled scenario 'nosuchname'" in stderr


def test_list_shows_the_bundled_scenarios():
    code, stdout, _ = run_main(["list"])
    assert code == 0
    lines = {line.split()[0]: line for line in stdout.strip().splitlines()}
    assert set(lines) == set(cs.bundled_names())
    assert cs.bundled("single_checkpoint").description in lines["single_checkpoint"]


def test_version_and_help():
    code, stdout, _ = run_main(["--version"])
    assert (code, stdout.strip()) == (0, cs.__version__)
    code, stdout, _ = run_main([])
    assert code == 2
    assert "run" in stdout and "validate" in stdout


def test_console_script_reports_a_broken_file(write_yaml, tmp_path):
    exe = shutil.which("corridor-sim")
    cmd = [exe] if exe else [sys.executable, "-m", "corridor_sim.cli"]
    path = write_yaml(BROKEN, "broken.yaml")
    out = tmp_path / "out"
    proc = subprocess.run([*cmd, "run", str(path), "-o", str(out)], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert_problem_lines(proc.stderr, path, {"nodes.border.lanes.general",
                                             "nodes.border.calendar", "demand[0].modes[0]"})
    assert not out.exists()
