"""Results of a set of replications: tables, KPI summary with confidence intervals, files."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from ._files import staged_folder
from .kpis import replication_kpis, shipment_arrays
from .records import DELIVERED, REJECTED, ReplicationData
from .scenario.loader import to_yaml
from .scenario.schema import Scenario
from .stats import kpi_bounds, mean_ci

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
        self._throughput: dict[tuple[str, str], pd.DataFrame] = {}

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
        rows = {k: mean_ci(self.kpis[k].to_numpy(), confidence, bounds=kpi_bounds(k))
                for k in self.kpis.columns}
        out = pd.DataFrame.from_dict(rows, orient="index",
                                     columns=["mean", "std", "ci_low", "ci_high", "n"])
        out["n"] = out["n"].astype(int)
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
        key = (freq, unit)
        if key not in self._throughput:
            self._throughput[key] = self._throughput_table(freq, unit)
        return self._throughput[key].copy()

    def _throughput_table(self, freq: str, unit: str) -> pd.DataFrame:
        start = pd.Timestamp(self.data[0].start)
        end = start + pd.to_timedelta(self.scenario.horizon_hours, unit="h")
        index = pd.date_range(start.floor("D"), end, freq=freq, inclusive="left")
        if len(index) == 0 or index[0] > start:  # anchored periods (weeks): a first part-period
            index = index.insert(0, start.floor("D"))
        edges = ((index - start) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
        nodes = self.data[0].nodes
        present = sorted({nodes[i] for d in self.data for i in np.unique(d.columns["v_node"])})
        column = {nodes.index(n): j for j, n in enumerate(present)}
        lookup = np.full(len(nodes), -1)
        for i, j in column.items():
            lookup[i] = j
        acc = np.zeros(len(index) * (len(present) + 1))
        for d in self.data:
            sh = shipment_arrays(d)
            if unit == "shipments":
                weight = np.ones(sh["flow"].size)
            else:
                weight = np.where(sh["teu"] == (unit == "teu"), sh["units"], 0.0)
            c = d.columns
            dep = c["v_departed"]
            ok = ~np.isnan(dep)
            cols = np.concatenate([lookup[c["v_node"][ok]],
                                   np.full(int((sh["status"] == DELIVERED).sum()),
                                           len(present))])
            times = np.concatenate([dep[ok], sh["end"][sh["status"] == DELIVERED]])
            weights = np.concatenate([weight[c["v_sid"][ok]],
                                      weight[sh["status"] == DELIVERED]])
            rows = np.searchsorted(edges, times, side="right") - 1
            inside = (rows >= 0) & (rows < len(index))
            acc += np.bincount(rows[inside] * (len(present) + 1) + cols[inside],
                               weights=weights[inside], minlength=acc.size)
        table = pd.DataFrame(acc.reshape(len(index), len(present) + 1) / self.replications,
                             index=index, columns=[*present, "delivered"])
        table = table[sorted(table.columns)]
        table.index.name = "period"
        return table

    # -- files --------------------------------------------------------------------------
    def to_dir(self, path: str | Path, *, plots: bool = True, report: bool = True,
               tables: str = "first") -> Path:
        """Write the results into a folder (created if needed).

        Files: ``summary.csv``, ``kpis.csv`` (per replication), ``shipments.csv`` (or
        ``.parquet`` when pyarrow is installed) and ``visits.csv``/``.parquet`` (see
        ``tables``),
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
        tables : {"first", "all", "none"}, default "first"
            Which per-shipment tables to write: ``"first"`` the shipments of replication 0;
            ``"all"`` the shipments and visits of every replication; ``"none"`` neither. A
            year of the baseline holds about a million shipments and two million visits per
            replication, so the default keeps the folder small; every KPI still covers all
            replications, and ``scenario.yaml`` with the seed reproduces any replication.

        Returns
        -------
        Path
            The folder.
        """
        if tables not in ("first", "all", "none"):
            raise ValueError(f"tables must be 'first', 'all' or 'none', got {tables!r}")
        with staged_folder(path) as tmp:
            self.summary().to_csv(tmp / "summary.csv")
            self.kpis.to_csv(tmp / "kpis.csv")
            self.node_stats().to_csv(tmp / "node_stats.csv")
            self.throughput("D").to_csv(tmp / "throughput.csv")
            if tables == "first":
                _write_table(Results(self.scenario, self.data[:1]).shipments,
                             tmp / "shipments")
            elif tables == "all":
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
        return Path(path)


def _write_table(frame: pd.DataFrame, stem: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        frame.to_csv(stem.with_suffix(".csv"), index=False)
    else:
        frame.to_parquet(stem.with_suffix(".parquet"), index=False)
