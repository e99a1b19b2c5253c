"""``corridor-sim compare | sweep | map`` and the run options of issue 4; mistakes exit 2."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pandas as pd
import pytest

from corridor_sim.cli import main, parse_set, parse_target
from corridor_sim.errors import ScenarioError

SHORT = "extends: single_checkpoint.yaml\nhorizon_days: 6\nwarmup_days: 1\n"
FIVE_LANES = SHORT + "name: five-lanes\nnodes:\n  border:\n    lanes: {general: 5}\n"
CMP_FILES = ["comparison.csv", "differences.png", "kpis.csv", "lead_times.parquet",
             "report.html", "run.json", "series.parquet", "settings_diff.csv", "throughput.png"]


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path: Path, monkeypatch) -> dict[str, Path]:
    monkeypatch.chdir(tmp_path)
    paths = {}
    for name, text in {"short": SHORT, "five": FIVE_LANES,
                       "broken": SHORT + "nodes:\n  border:\n    lanes: {general: -1}\n"}.items():
        paths[name] = tmp_path / f"{name}.yaml"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def assert_nothing_written(tmp_path: Path, files: dict[str, Path]) -> None:
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in
                                                                files.values())


def test_compare_writes_table_plots_and_report(files, tmp_path):
    code, out, err = run_main(["compare", str(files["short"]), str(files["five"]), "-r", "2",
                               "-o", "cmp", "-q"])
    assert code == 0, err
    assert out == ""
    folder = tmp_path / "cmp"
    written = sorted(p.name for p in folder.iterdir()
                     if not p.name.startswith(("scenario-", ".")))
    assert written == CMP_FILES
    table = pd.read_csv(folder / "comparison.csv", index_col=[0, 1])
    assert list(table.index.get_level_values("scenario").unique()) == ["single-checkpoint",
                                                                        "five-lanes"]
    diff = table.loc[("border.wait_hours.mean", "five-lanes")]
    assert diff["diff"] < 0


def test_compare_prints_the_differences(files):
    code, out, err = run_main(["compare", str(files["short"]), str(files["short"]), "-r", "2"])
    assert code == 0, err
    # the same file twice: named apart, and every difference exactly zero
    assert "differences from 'short'" in out and "short (2)" in out
    assert "results written to results/comparison/" in out
    table = pd.read_csv(Path("results/comparison/comparison.csv"), index_col=[0, 1])
    assert (table.xs("short (2)", level="scenario")["diff"].dropna() == 0).all()


@pytest.mark.parametrize("argv", [
    ["compare", "{short}"],
    ["compare", "{short}", "{broken}"],
    ["compare", "{short}", "{five}", "--workers", "0"],
    ["sweep", "{short}"],
    ["sweep", "{short}", "--set", "nodes.border.lanes.general"],
    ["sweep", "{short}", "--set", "nodes.border.lanes.general=4,,5"],
    ["sweep", "{short}", "--set", "nodes.border.lanes.general=4,-1"],
    ["sweep", "{short}", "--set", "nodes.bordr.lanes.general=4,5"],
    ["map", "{short}", "--out", "map.txt"],
    ["map", "{broken}"],
    ["run", "{short}", "--target-halfwidth", "border.wait_hours.mean"],
    ["run", "{short}", "--target-halfwidth", "border.wait_hour.mean=0.5", "-r", "2"],
])
def test_user_mistakes_exit_2_and_write_nothing(files, tmp_path, argv):
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in argv]
    code, out, err = run_main(argv)
    assert code == 2
    assert err.strip() and "Traceback" not in err
    assert_nothing_written(tmp_path, files)


def test_sweep_runs_the_factorial(files, tmp_path):
    code, out, err = run_main(["sweep", str(files["short"]), "--set",
                               "nodes.border.lanes.general=4,5", "--set",
                               "demand[0].per_day=40,60", "-r", "2", "-q"])
    assert code == 0, err
    folder = tmp_path / "results" / "sweep-single-checkpoint"
    table = pd.read_csv(folder / "comparison.csv", index_col=[0, 1])
    assert table.index.get_level_values("scenario").nunique() == 4
    points = pd.read_csv(folder / "points.csv", index_col=0)
    assert points.shape == (4, 2)
    assert points.index[0] == "nodes.border.lanes.general=4, demand[0].per_day=40"
    assert (folder / "report.html").is_file()


def test_map_draws_the_network(files, tmp_path):
    code, out, err = run_main(["map", str(files["short"]), "--out", "maps/corridor.png"])
    assert code == 0, err
    assert (tmp_path / "maps" / "corridor.png").read_bytes()[:4] == b"\x89PNG"
    code, out, err = run_main(["map", str(files["short"])])
    assert code == 0 and (tmp_path / "results" / "single-checkpoint" / "map.png").is_file()


def test_run_to_a_target_halfwidth_writes_a_report(files, tmp_path):
    code, out, err = run_main(["run", str(files["short"]), "-r", "2", "-q", "--no-plots",
                               "--target-halfwidth", "border.utilisation=0.01", "-o", "run"])
    assert code == 0, err
    kpis = pd.read_csv(tmp_path / "run" / "kpis.csv", index_col=0)
    assert len(kpis) > 2 and list(kpis.index) == list(range(len(kpis)))
    summary = pd.read_csv(tmp_path / "run" / "summary.csv", index_col=0)
    row = summary.loc["border.utilisation"]
    assert (row["ci_high"] - row["ci_low"]) / 2 <= 0.01
    assert (tmp_path / "run" / "report.html").is_file()


def test_warnings_are_printed_on_stderr(files, tmp_path):
    code, out, err = run_main(["run", str(files["short"]), "-r", "2", "-q", "--no-plots",
                               "--max-replications", "3", "--target-halfwidth",
                               "border.utilisation=1e-9", "-o", "run"])
    assert code == 0
    assert err.startswith("warning: ") and "max_replications" in err


def test_parse_set_reads_yaml_scalars():
    assert parse_set(["a.b=4,4.5,true,null,day_shift,09:00"]) == {
        "a.b": [4, 4.5, True, None, "day_shift", "09:00"]}
    with pytest.raises(ScenarioError, match="given twice"):
        parse_set(["a=1", "a=2"])
    with pytest.raises(ScenarioError, match="PATH=V1,V2"):
        parse_set(["=1"])


def test_parse_target():
    assert parse_target(["x.y=0.5", "z=2"]) == {"x.y": 0.5, "z": 2.0}
    for bad in ("x", "x=0", "x=-1", "x=abc", "=1", "x=inf"):
        with pytest.raises(ScenarioError, match="KPI=VALUE"):
            parse_target([bad])
