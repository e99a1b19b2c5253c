"""Run and comparison folders: write them, and read them back without rerunning.

A run folder holds everything a :class:`~corridor_sim.results.Results` is made of — KPIs per
replication, binned series, lead-time quantiles, the resolved scenario and the run's metadata —
plus the human-facing summary, tables, plots and report. :func:`read_run` turns it back into a
``Results`` whose KPIs, summary, series and plots equal the original's. Comparison folders work
the same way (:func:`write_comparison`, :func:`read_comparison`).

This module sits above results, comparisons, plots and the report; ``Results.to_dir`` and
``Comparison.to_dir`` delegate to it.

Files of a run folder
---------------------
``run.json``
    Format version, seed, replications, start, horizon, warm-up, bin width, which
    replications' raw tables were written and in which format.
``summary.csv``, ``kpis.csv``, ``node_stats.csv``, ``route_shares.csv``, ``throughput.csv``
    KPI summary with CIs, KPIs per replication, node table, daily TEU per node.
``series.parquet``
    Per replication, bin and node: TEU, tonnes and shipments leaving, mean number waiting.
``lead_times.parquet``
    Per replication and commodity: shipments delivered after the warm-up and their lead-time
    quantiles at every half percent.
``shipments.parquet``, ``visits.parquet`` (or ``.csv``)
    Raw tables of the replications that kept them, streamed one replication at a time.
``scenario.yaml``, ``throughput.png``, ``lead_times.png``, ``report.html``
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._files import staged_folder
from .errors import Problem, ScenarioError
from .replication import ReplicationOutcome
from .results import Results, shipments_frame, visits_frame
from .scenario.loader import load_scenario, to_yaml
from .series import QUANTILE_LEVELS, BinnedSeries

if TYPE_CHECKING:  # pragma: no cover
    from .comparison import Comparison

__all__ = ["FORMAT_VERSION", "TABLES", "TABLE_FORMATS", "read_comparison", "read_run",
           "write_comparison", "write_run"]

FORMAT_VERSION = 1
"""Version of the folder layout written by this module."""

TABLES = ("kept", "first", "all", "none")
"""Choices of ``tables=``: which replications' raw tables a run folder holds."""

TABLE_FORMATS = ("parquet", "csv")
"""File formats of the raw tables."""


# --------------------------------------------------------------------------- writing


def write_run(results: Results, path: str | Path, *, plots: bool = True, report: bool = True,
              tables: str | None = None, table_format: str = "parquet") -> Path:
    """Write a run folder.

    Everything is written into a temporary sibling first and swapped in whole, so a failure
    leaves no half-written folder (see :func:`corridor_sim._files.staged_folder`).

    Parameters
    ----------
    results : Results
    path : str or Path
        The folder (created if needed).
    plots : bool, default True
        Draw ``throughput.png`` and ``lead_times.png`` (and embed plots in the report).
    report : bool, default True
        Write ``report.html``.
    tables : {"kept", "first", "all", "none"}, optional
        Raw ``shipments`` and ``visits`` tables to write: of every replication that kept them
        (``"kept"``, the default), of replication 0, of every replication (each must have kept
        them), or none.
    table_format : {"parquet", "csv"}, default "parquet"
        Format of the raw tables. Parquet is typed, compressed and about ten times smaller.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    ScenarioError
        For an unknown ``tables`` or ``table_format``, or tables that were not kept.
    """
    tables = tables or "kept"
    chosen = _tables_to_write(results, tables, table_format)
    with staged_folder(path) as tmp:
        results.summary().to_csv(tmp / "summary.csv")
        results.kpis.to_csv(tmp / "kpis.csv")
        results.node_stats().to_csv(tmp / "node_stats.csv")
        results.route_shares().to_csv(tmp / "route_shares.csv", index=False)
        results.throughput("D").to_csv(tmp / "throughput.csv")
        _series_frame(results).to_parquet(tmp / "series.parquet", index=False)
        _lead_frame(results).to_parquet(tmp / "lead_times.parquet", index=False)
        files = []
        if chosen:
            files = [_stream(tmp / f"{name}.{table_format}", (make(d) for d in chosen))
                     for name, make in (("shipments", shipments_frame),
                                        ("visits", visits_frame))]
        meta = _meta(results) | {"kind": "run", "tables": {
            "replications": [d.replication for d in chosen], "format": table_format,
            "files": [f.name for f in files]}}
        (tmp / "scenario.yaml").write_text(to_yaml(results.scenario), encoding="utf-8")
        _finish(tmp, results, meta, plots, report)
    return Path(path)


def _finish(folder: Path, subject: Results | Comparison, meta: dict[str, Any], plots: bool,
            report: bool) -> None:
    """Write ``run.json`` and, as asked, the plots and ``report.html`` of a run or comparison."""
    is_run = isinstance(subject, Results)
    (folder / "run.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    if plots:
        from . import plot

        (plot.save_run_plots if is_run else plot.save_comparison_plots)(subject, folder)
    if report:
        from .report import comparison_report, run_report

        page = (run_report if is_run else comparison_report)(subject, plots=plots)
        (folder / "report.html").write_text(page, encoding="utf-8")


def _tables_to_write(results: Results, tables: str, table_format: str) -> list:
    problems = []
    if tables not in TABLES:
        problems.append(Problem("tables", f"must be one of {', '.join(TABLES)}, got "
                                f"{tables!r}"))
    if table_format not in TABLE_FORMATS:
        problems.append(Problem("table_format", f"must be one of {', '.join(TABLE_FORMATS)}, "
                                f"got {table_format!r}"))
    if problems:
        raise ScenarioError(problems)
    data = results.data
    if tables == "none":
        return []
    if tables == "first":
        first = [d for d in data if d.replication == results.outcomes[0].replication]
        if not first:
            raise ScenarioError([Problem("tables", "replication 0 did not keep its raw "
                                         "tables: run with keep='first' or keep='all'")])
        return first
    if tables == "all" and len(data) < results.replications:
        raise ScenarioError([Problem("tables", f"only {len(data)} of {results.replications} "
                                     "replications kept their raw tables: run with "
                                     "keep='all'")])
    return data


def _stream(path: Path, frames: Any) -> Path:
    """Write frames one after another into one Parquet or CSV file."""
    if path.suffix == ".csv":
        for i, frame in enumerate(frames):
            frame.to_csv(path, mode="w" if i == 0 else "a", header=i == 0, index=False)
        return path
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for frame in frames:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()
    return path


def _meta(results: Results) -> dict[str, Any]:
    from . import __version__

    first = results.outcomes[0]
    return {"format": FORMAT_VERSION, "corridor_sim": __version__,
            "scenario": results.scenario.name, "seed": first.seed,
            "replications": results.replications, "start": first.start,
            "horizon_hours": first.horizon_hours, "warmup_hours": first.warmup_hours,
            "bin_hours": first.series.bin_hours,
            "first_edge_hours": first.series.first_edge_hours}


def _series_frame(results: Results) -> pd.DataFrame:
    frames = []
    for o in results.outcomes:
        s = o.series
        bins, cols = s.throughput.shape[:2]
        names = [*s.nodes, "delivered"]
        queue = np.concatenate([s.queue, np.full((bins, 1), np.nan)], axis=1)
        frames.append(pd.DataFrame({
            "replication": np.full(bins * cols, o.replication, dtype=np.int64),
            "bin": np.repeat(np.arange(bins), cols),
            "node": np.tile(np.asarray(names, dtype=object), bins),
            "teu": s.throughput[..., 0].ravel(), "tonne": s.throughput[..., 1].ravel(),
            "shipments": s.throughput[..., 2].ravel(), "queue": queue.ravel()}))
    return pd.concat(frames, ignore_index=True)


def _lead_frame(results: Results) -> pd.DataFrame:
    rows: dict[str, list] = {"replication": [], "commodity": [], "shipments": [],
                             "level": [], "hours": []}
    k = QUANTILE_LEVELS.size
    for o in results.outcomes:
        for com, (n, q) in o.lead_times.items():
            rows["replication"] += [o.replication] * k
            rows["commodity"] += [com] * k
            rows["shipments"] += [n] * k
            rows["level"] += QUANTILE_LEVELS.tolist()
            rows["hours"] += q.tolist()
    return pd.DataFrame(rows)


def write_comparison(comparison: Comparison, path: str | Path, *, plots: bool = True,
                     report: bool = True) -> Path:
    """Write a comparison folder.

    Files: ``comparison.csv`` (:meth:`~corridor_sim.comparison.Comparison.table`),
    ``kpis.csv`` (every KPI per scenario and replication), ``settings_diff.csv``,
    ``points.csv`` (sweeps), ``series.parquet`` and ``lead_times.parquet`` (with a
    ``scenario`` column), ``run.json``, one resolved ``scenario-<name>.yaml`` per scenario and,
    with ``plots``, ``throughput.png`` and ``differences.png``, and with ``report``
    ``report.html``. Written into a temporary sibling and swapped in whole.

    Parameters
    ----------
    comparison : Comparison
    path : str or Path
        The folder (created if needed).
    plots : bool, default True
    report : bool, default True

    Returns
    -------
    Path
        The folder.
    """
    from .comparison import scenario_slug

    with staged_folder(path) as tmp:
        comparison.table().to_csv(tmp / "comparison.csv")
        kpis = pd.concat({n: r.kpis for n, r in comparison.results.items()},
                         names=["scenario"])
        kpis.to_csv(tmp / "kpis.csv")
        comparison.settings_diff().to_csv(tmp / "settings_diff.csv")
        if comparison.points is not None:
            comparison.points.to_csv(tmp / "points.csv")
        used: set[str] = set()
        scenarios = []
        series, leads = [], []
        for name, res in comparison.results.items():
            slug = scenario_slug(name, used)
            (tmp / f"scenario-{slug}.yaml").write_text(to_yaml(res.scenario), encoding="utf-8")
            scenarios.append(_meta(res) | {"name": name, "file": f"scenario-{slug}.yaml",
                                            "kpis": list(res.kpis.columns)})
            series.append(_series_frame(res).assign(scenario=name))
            leads.append(_lead_frame(res).assign(scenario=name))
        pd.concat(series, ignore_index=True).to_parquet(tmp / "series.parquet", index=False)
        pd.concat(leads, ignore_index=True).to_parquet(tmp / "lead_times.parquet", index=False)
        meta = {"format": FORMAT_VERSION, "kind": "comparison", "scenarios": scenarios,
                "sweep": comparison.points is not None}
        _finish(tmp, comparison, meta, plots, report)
    return Path(path)


# --------------------------------------------------------------------------- reading


def _folder_problem(path: Path, message: str) -> ScenarioError:
    return ScenarioError([Problem(str(path), message)])


def _read_meta(path: Path, kind: str) -> dict[str, Any]:
    meta_file = path / "run.json"
    if not path.is_dir():
        raise _folder_problem(path, "no such folder")
    if not meta_file.is_file():
        raise _folder_problem(path, "not a corridor_sim run folder (no run.json); folders "
                              "written before run.json existed cannot be read back — rerun "
                              "the scenario.yaml they hold")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise _folder_problem(meta_file, f"unreadable: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        found = meta.get("format") if isinstance(meta, dict) else meta
        raise _folder_problem(meta_file, f"format {found!r} is not the version this "
                              f"corridor_sim reads ({FORMAT_VERSION})")
    if meta.get("kind") != kind:
        other = "read_comparison / Comparison.from_dir" if kind == "run" else \
            "read_run / Results.from_dir"
        raise _folder_problem(path, f"this is a {meta.get('kind')} folder: use {other}")
    return meta


def _outcomes(meta: dict[str, Any], kpis: pd.DataFrame, series: pd.DataFrame,
              leads: pd.DataFrame) -> list[ReplicationOutcome]:
    out = []
    by_rep_series = dict(tuple(series.groupby("replication", sort=True)))
    by_rep_leads = dict(tuple(leads.groupby("replication", sort=True)))
    for rep, row in kpis.iterrows():
        s = by_rep_series[rep]
        nodes = list(dict.fromkeys(s["node"]))
        bins, cols = int(s["bin"].max()) + 1, len(nodes)
        tput = s[["teu", "tonne", "shipments"]].to_numpy(float).reshape(bins, cols, 3)
        queue = s["queue"].to_numpy(float).reshape(bins, cols)[:, :-1]
        lead = {}
        if rep in by_rep_leads:
            for com, g in by_rep_leads[rep].groupby("commodity", sort=False):
                lead[str(com)] = (int(g["shipments"].iloc[0]), g["hours"].to_numpy(float))
        out.append(ReplicationOutcome(
            replication=int(rep), seed=int(meta["seed"]), start=str(meta["start"]),
            horizon_hours=float(meta["horizon_hours"]),
            warmup_hours=float(meta["warmup_hours"]),
            kpis={k: float(v) for k, v in row.items()},
            series=BinnedSeries(float(meta["bin_hours"]), float(meta["first_edge_hours"]),
                                nodes[:-1], tput, queue),
            lead_times=lead))
    return out


def _table_loader(file: Path) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        frame = pd.read_parquet(file) if file.suffix == ".parquet" else pd.read_csv(file)
        for col in ("commodity", "origin", "destination", "unit", "route", "status",
                    "rejected_at", "node"):
            if col not in frame.columns:
                continue
            if col == "rejected_at":  # empty in CSV reads back as NaN
                frame[col] = frame[col].astype(object).where(frame[col].notna(), "")
            frame[col] = frame[col].astype("category")
        return frame

    return load


def read_run(path: str | Path) -> Results:
    """Load a run folder back into :class:`~corridor_sim.results.Results`, without rerunning.

    KPIs, summary, node table, throughput, queue and lead-time series, plots and reports equal
    those of the run that wrote the folder; raw tables are read when first asked for, and
    only the replications written hold them (``Results.kept``).

    Parameters
    ----------
    path : str or Path
        A folder written by ``Results.to_dir`` or ``corridor-sim run``.

    Returns
    -------
    Results

    Raises
    ------
    ScenarioError
        When the folder is missing, not a run folder, or of another format version.
    """
    path = Path(path)
    meta = _read_meta(path, "run")
    scenario = load_scenario(path / "scenario.yaml")
    kpis = pd.read_csv(path / "kpis.csv", index_col="replication")
    outcomes = _outcomes(meta, kpis, pd.read_parquet(path / "series.parquet"),
                         pd.read_parquet(path / "lead_times.parquet"))
    info = meta.get("tables", {})
    tables: dict[str, Any] = {}
    if info.get("files"):
        tables["replications"] = list(info.get("replications", []))
        for f in info["files"]:
            tables[Path(f).stem] = _table_loader(path / f)
    return Results(scenario, outcomes, tables=tables)


def read_comparison(path: str | Path) -> Comparison:
    """Load a comparison folder back into a :class:`~corridor_sim.comparison.Comparison`.

    Parameters
    ----------
    path : str or Path
        A folder written by ``Comparison.to_dir``, ``corridor-sim compare`` or ``sweep``.

    Returns
    -------
    Comparison

    Raises
    ------
    ScenarioError
        When the folder is missing, not a comparison folder, or of another format version.
    """
    from .comparison import Comparison

    path = Path(path)
    meta = _read_meta(path, "comparison")
    kpis = pd.read_csv(path / "kpis.csv", index_col=["scenario", "replication"])
    series = pd.read_parquet(path / "series.parquet")
    leads = pd.read_parquet(path / "lead_times.parquet")
    results = {}
    for sc_meta in meta["scenarios"]:
        name = sc_meta["name"]
        scenario = load_scenario(path / sc_meta["file"])
        rows = kpis.loc[name][sc_meta["kpis"]]
        results[name] = Results(scenario, _outcomes(
            sc_meta, rows, series[series["scenario"] == name],
            leads[leads["scenario"] == name]))
    points = None
    if meta.get("sweep") and (path / "points.csv").is_file():
        points = pd.read_csv(path / "points.csv", index_col=0)
    return Comparison(results, points=points)
