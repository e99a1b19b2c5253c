"""Results of a set of replications: tables, KPI summary with confidence intervals, files."""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .engine.recorder import DELIVERED, REJECTED, ReplicationData
from .kpis import replication_kpis, shipment_arrays
from .scenario.loader import to_yaml
from .scenario.schema import Scenario
from .stats import mean_ci

__all__ = ["Results"]

_STATUS = np.array(["in_system", "delivered", "rejected"], dtype=object)


class Results:
    """The outcome of :func:`corridor_sim.run`: every replication of one scenario.

    Parameters
    ----------
    scenario : Scenario
        The scenario that was run.
    replications : list of ReplicationData
        What each replication recorded.

    Attributes
    ----------
    scenario : Scenario
    data : list of ReplicationData
        Sorted by replication number.
    """

    def __init__(self, scenario: Scenario, replications: list[ReplicationData]) -> None:
        self.scenario = scenario
        self.data = sorted(replications, key=lambda d: d.replication)

    @classmethod
    def combine(cls, scenario: Scenario, replications: list[ReplicationData]) -> Results:
        """Gather replications run separately (in any order) into one ``Results``."""
        return cls(scenario, list(replications))

    def __repr__(self) -> str:
        return (f"<Results {self.scenario.name!r}: {len(self.data)} replications of "
                f"{self.scenario.horizon_days:g} days>")

    @property
    def replications(self) -> int:
        """Number of replications."""
        return len(self.data)

    # -- tables -------------------------------------------------------------------------
    @cached_property
    def shipments(self) -> pd.DataFrame:
        """One row per shipment per replication (see the result contract in DESIGN §8).

        Columns: ``replication``, ``shipment_id``, ``commodity``, ``origin``, ``destination``,
        ``units``, ``unit``, ``route``, ``created_hours``, ``delivered_hours`` (NaN unless
        delivered), ``lead_time_hours``, ``spoiled``, ``status`` (delivered / in_system /
        rejected), ``rejected_at`` (node, or empty).
        """
        frames = []
        for d in self.data:
            sh = shipment_arrays(d)
            flow = sh["flow"]
            f = {k: np.asarray(v, dtype=object) for k, v in d.flows.items()}
            status = sh["status"]
            nodes = np.asarray([*d.nodes, ""], dtype=object)
            frames.append(pd.DataFrame({
                "replication": np.full(flow.size, d.replication),
                "shipment_id": np.arange(flow.size),
                "commodity": f["commodity"][flow], "origin": f["origin"][flow],
                "destination": f["destination"][flow], "units": sh["units"],
                "unit": f["unit"][flow], "route": f["route"][flow],
                "created_hours": sh["created"],
                "delivered_hours": np.where(status == DELIVERED, sh["end"], np.nan),
                "lead_time_hours": sh["lead"], "spoiled": sh["spoiled"],
                "status": _STATUS[status],
                "rejected_at": nodes[np.where(status == REJECTED, d.columns["s_node"], -1)],
            }))
        out = pd.concat(frames, ignore_index=True)
        for col in ("commodity", "origin", "destination", "unit", "route", "status",
                    "rejected_at"):
            out[col] = out[col].astype("category")
        return out

    @cached_property
    def visits(self) -> pd.DataFrame:
        """One row per shipment per facility node passed, per replication.

        Columns: ``replication``, ``shipment_id``, ``node``, ``commodity``, ``arrived_hours``,
        ``started_hours``, ``departed_hours``, ``wait_hours`` (= started − arrived). Visits
        still open at the end of the run have NaN start and/or departure.
        """
        frames = []
        for d in self.data:
            c = d.columns
            sid = c["v_sid"]
            commodity = np.asarray(d.flows["commodity"], dtype=object)[c["s_flow"][sid]]
            frames.append(pd.DataFrame({
                "replication": np.full(sid.size, d.replication),
                "shipment_id": sid,
                "node": np.asarray(d.nodes, dtype=object)[c["v_node"]],
                "commodity": commodity,
                "arrived_hours": c["v_arrived"], "started_hours": c["v_started"],
                "departed_hours": c["v_departed"],
                "wait_hours": c["v_started"] - c["v_arrived"],
            }))
        out = pd.concat(frames, ignore_index=True)
        out["node"] = out["node"].astype("category")
        out["commodity"] = out["commodity"].astype("category")
        return out

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """KPI values per replication: one row per replication, one column per KPI."""
        rows = {d.replication: replication_kpis(d) for d in self.data}
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "replication"
        return frame

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Mean, standard deviation and confidence interval of every KPI across replications.

        Parameters
        ----------
        confidence : float, default 0.95
            Level of the Student-t interval.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``kpi``, columns ``mean``, ``std``, ``ci_low``, ``ci_high``, ``n``.
        """
        rows = {k: mean_ci(self.kpis[k].to_numpy(), confidence) for k in self.kpis.columns}
        out = pd.DataFrame.from_dict(rows, orient="index",
                                     columns=["mean", "std", "ci_low", "ci_high", "n"])
        out.index.name = "kpi"
        return out

    def node_stats(self) -> pd.DataFrame:
        """The mean of each node KPI across replications, one row per facility node.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``node``; columns such as ``wait_hours.mean``, ``utilisation``,
            ``throughput_per_day``, ``vehicles_per_day``, ``queue_length.max``.
        """
        means = self.kpis.mean()
        d = self.data[0]
        nodes = [n for n in d.nodes if f"{n}.wait_hours.mean" in means.index]
        rows = {}
        for node in nodes:
            prefix = f"{node}."
            rows[node] = {k[len(prefix):]: v for k, v in means.items() if k.startswith(prefix)}
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "node"
        return out

    def throughput(self, freq: str = "D", unit: str = "teu") -> pd.DataFrame:
        """Units passing each facility node per period, averaged over replications.

        Parameters
        ----------
        freq : str, default "D"
            A pandas period alias: ``"h"``, ``"D"``, ``"W"``, ``"MS"`` ….
        unit : {"teu", "tonne", "shipments"}, default "teu"
            Count TEU (of commodities counted in TEU), tonnes (of those counted in tonnes),
            or shipments of every commodity.

        Returns
        -------
        pandas.DataFrame
            Indexed by period start (UTC), one column per facility node plus ``delivered``
            (units reaching their destination); the whole run, warm-up included.
        """
        if unit not in ("teu", "tonne", "shipments"):
            raise ValueError(f"unit must be 'teu', 'tonne' or 'shipments', got {unit!r}")
        v = self.visits
        table = self.shipments.set_index(["replication", "shipment_id"])
        if unit == "shipments":
            units = pd.Series(1.0, index=table.index)
        else:
            units = table["units"].where(table["unit"] == unit, 0.0).astype(float)
        start = pd.Timestamp(self.data[0].start)
        done = v.dropna(subset=["departed_hours"])
        key = pd.MultiIndex.from_arrays([done["replication"], done["shipment_id"]])
        frame = pd.DataFrame({
            "node": done["node"].astype(str).to_numpy(),
            "units": units.reindex(key).to_numpy(),
            "time": start + pd.to_timedelta(done["departed_hours"].to_numpy(), unit="h"),
        })
        delivered = (self.shipments["status"] == "delivered").to_numpy()
        sh = self.shipments[delivered]
        frame = pd.concat([frame, pd.DataFrame({
            "node": "delivered", "units": units.to_numpy()[delivered],
            "time": start + pd.to_timedelta(sh["delivered_hours"].to_numpy(), unit="h")})])
        end = start + pd.to_timedelta(self.scenario.horizon_hours, unit="h")
        index = pd.date_range(start.floor("D"), end, freq=freq, inclusive="left")
        table = (frame.groupby([pd.Grouper(key="time", freq=freq), "node"])["units"].sum()
                 .unstack("node").reindex(index).fillna(0.0) / self.replications)
        table.index.name = "period"
        table.columns.name = None
        return table

    # -- files --------------------------------------------------------------------------
    def to_dir(self, path: str | Path, *, plots: bool = True, report: bool = True) -> Path:
        """Write the results into a folder (created if needed).

        Files: ``summary.csv``, ``kpis.csv`` (per replication), ``shipments.csv`` (or
        ``.parquet`` when pyarrow is installed), ``visits.csv``/``.parquet``,
        ``throughput.csv``, ``node_stats.csv``, ``scenario.yaml`` (the resolved scenario) and,
        with ``plots``, ``throughput.png`` and ``lead_times.png``, and with ``report`` the
        self-contained ``report.html``. Everything is written to a temporary folder first, so
        a failure leaves no half-written results.

        Parameters
        ----------
        path : str or Path
            Output folder.
        plots : bool, default True
            Also draw the PNG plots (and embed plots in the report).
        report : bool, default True
            Also write ``report.html`` (see :mod:`corridor_sim.report`).

        Returns
        -------
        Path
            The folder.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
        try:
            self.summary().to_csv(tmp / "summary.csv")
            self.kpis.to_csv(tmp / "kpis.csv")
            self.node_stats().to_csv(tmp / "node_stats.csv")
            self.throughput("D").to_csv(tmp / "throughput.csv")
            _write_table(self.shipments, tmp / "shipments")
            _write_table(self.visits, tmp / "visits")
            (tmp / "scenario.yaml").write_text(to_yaml(self.scenario), encoding="utf-8")
            if plots:
                from . import plot

                plot.save_run_plots(self, tmp)
            if report:
                from .report import run_report

                (tmp / "report.html").write_text(run_report(self, plots=plots),
                                                 encoding="utf-8")
            path.mkdir(exist_ok=True)
            for f in tmp.iterdir():
                os.replace(f, path / f.name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return path


def _write_table(frame: pd.DataFrame, stem: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        frame.to_csv(stem.with_suffix(".csv"), index=False)
    else:
        frame.to_parquet(stem.with_suffix(".parquet"), index=False)
