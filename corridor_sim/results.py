"""Results of a set of replications: KPI summary with confidence intervals, series, tables.

A :class:`Results` holds one :class:`~corridor_sim.replication.ReplicationOutcome` per
replication — KPI values, binned series and lead-time quantiles, reduced where the replication
ran — and the raw shipment and visit columns only of the replications that were asked to keep
them (``keep=`` in :func:`corridor_sim.run`). Its memory therefore does not grow with the
number of shipments, and only slowly (a few hundred kilobytes each) with the number of
replications. Writing and reading run folders lives in :mod:`corridor_sim.rundir`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .kpis import shipment_arrays
from .records import DELIVERED, REJECTED, ReplicationData
from .replication import ReplicationOutcome, reduce
from .scenario.schema import Scenario
from .series import UNITS, pooled_box_stats
from .stats import kpi_bounds, mean_ci

__all__ = ["NoTablesError", "Results"]

_STATUS = np.array(["in_system", "delivered", "rejected"], dtype=object)


class NoTablesError(ValueError):
    """Raw shipment or visit tables were asked for, but no replication kept them."""


class Results:
    """The outcome of :func:`corridor_sim.run`: every replication of one scenario.

    Parameters
    ----------
    scenario : Scenario
        The scenario that was run.
    replications : iterable of ReplicationOutcome or ReplicationData
        What each replication left; raw ``ReplicationData`` is reduced here and kept.
    tables : dict of str to callable, optional
        Loaders of raw tables read back from a run folder (``"shipments"``, ``"visits"``).

    Attributes
    ----------
    scenario : Scenario
    outcomes : list of ReplicationOutcome
        Sorted by replication number.
    """

    def __init__(self, scenario: Scenario,
                 replications: Iterable[ReplicationOutcome | ReplicationData], *,
                 tables: dict | None = None) -> None:
        self.scenario = scenario
        from .windows import scenario_windows

        windows = scenario_windows(scenario)
        outcomes = [r if isinstance(r, ReplicationOutcome) else
                    reduce(r, keep=True, windows=windows) for r in replications]
        self.outcomes = sorted(outcomes, key=lambda o: o.replication)
        self._tables = dict(tables or {})
        self._throughput: dict[tuple[str, str], pd.DataFrame] = {}

    @classmethod
    def combine(cls, scenario: Scenario,
                replications: Iterable[ReplicationOutcome | ReplicationData]) -> Results:
        """Gather replications run separately (in any order) into one ``Results``."""
        return cls(scenario, list(replications))

    @classmethod
    def from_dir(cls, path: str | Path) -> Results:
        """Load a run folder written by :meth:`to_dir` or ``corridor-sim run``.

        See :func:`corridor_sim.rundir.read_run`.
        """
        from .rundir import read_run

        return read_run(path)

    def __repr__(self) -> str:
        return (f"<Results {self.scenario.name!r}: {self.replications} replications of "
                f"{self.scenario.horizon_days:g} days>")

    @property
    def replications(self) -> int:
        """Number of replications."""
        return len(self.outcomes)

    @property
    def seed(self) -> int:
        """Base seed of the run."""
        return self.outcomes[0].seed if self.outcomes else self.scenario.seed

    @property
    def data(self) -> list[ReplicationData]:
        """Raw recorded columns of the replications that kept them (``keep=``), in order."""
        return [o.data for o in self.outcomes if o.data is not None]

    @property
    def kept(self) -> list[int]:
        """Numbers of the replications whose raw tables are available."""
        if self._tables:
            return list(self._tables.get("replications", []))
        return [o.replication for o in self.outcomes if o.data is not None]

    # -- raw tables ---------------------------------------------------------------------
    def _raw(self, name: str) -> list[ReplicationData]:
        data = self.data
        if not data:
            raise NoTablesError(
                f"no replication of {self.scenario.name!r} kept its raw {name} table: run "
                "with keep='first' (replication 0) or keep='all' (cs.run), or --tables "
                "first/all (corridor-sim run); every KPI, summary, series and plot is "
                "available without them")
        return data

    @cached_property
    def shipments(self) -> pd.DataFrame:
        """One row per shipment of each replication that kept its tables (``keep=``).

        Columns (the result contract, DESIGN §8): ``replication``, ``shipment_id``,
        ``commodity``, ``origin``, ``destination``, ``units``, ``unit``, ``route``,
        ``created_hours``, ``delivered_hours`` (NaN unless delivered), ``lead_time_hours``,
        ``spoiled``, ``status`` (delivered / in_system / rejected), ``rejected_at`` (node, or
        empty).

        Raises
        ------
        NoTablesError
            When no replication kept its tables.
        """
        if "shipments" in self._tables:
            return self._tables["shipments"]()
        return _concat([shipments_frame(d) for d in self._raw("shipments")])

    @cached_property
    def visits(self) -> pd.DataFrame:
        """One row per shipment per facility node passed, per replication that kept its tables.

        Columns: ``replication``, ``shipment_id``, ``node``, ``commodity``, ``arrived_hours``,
        ``started_hours``, ``departed_hours``, ``wait_hours`` (= started − arrived). Visits
        still open at the end of the run have NaN start and/or departure.

        Raises
        ------
        NoTablesError
            When no replication kept its tables.
        """
        if "visits" in self._tables:
            return self._tables["visits"]()
        return _concat([visits_frame(d) for d in self._raw("visits")])

    # -- KPIs ---------------------------------------------------------------------------
    @cached_property
    def kpis(self) -> pd.DataFrame:
        """KPI values per replication: one row per replication, one column per KPI."""
        frame = pd.DataFrame.from_dict({o.replication: o.kpis for o in self.outcomes},
                                       orient="index")
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
        nodes = [n for n in self.scenario.nodes if f"{n}.wait_hours.mean" in means.index]
        rows = {}
        for node in nodes:
            prefix = f"{node}."
            rows[node] = {k[len(prefix):]: v for k, v in means.items() if k.startswith(prefix)}
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "node"
        return out

    def route_shares(self, confidence: float = 0.95) -> pd.DataFrame:
        """Each flow's routes: the share planned by route choice and the share simulated.

        Parameters
        ----------
        confidence : float, default 0.95
            Level of the interval of the simulated share.

        Returns
        -------
        pandas.DataFrame
            One row per route a flow takes: ``flow``, ``route``, ``modes``, ``planned``
            (the share route choice gave it), ``simulated`` (share of the flow's shipments
            created after the warm-up that took it, mean over replications) with
            ``ci_low`` / ``ci_high``, ``cost`` of the route and ``cost_unit``. A flow with
            one route has ``simulated`` 1.
        """
        from .choice import assign

        summary = self.summary(confidence)
        rows = []
        for fc in assign(self.scenario).flows:
            for o in fc.chosen:
                kpi = f"{fc.key}.route_share[{o.label}]"
                if kpi in summary.index:
                    mean, lo, hi = summary.loc[kpi, ["mean", "ci_low", "ci_high"]]
                else:
                    mean = lo = hi = 1.0 if len(fc.chosen) == 1 else np.nan
                rows.append({"flow": fc.key, "route": o.label, "modes": "+".join(o.route.modes),
                             "planned": o.share, "simulated": mean, "ci_low": lo, "ci_high": hi,
                             "cost": o.cost, "cost_unit": o.terms.unit})
        return pd.DataFrame(rows, columns=["flow", "route", "modes", "planned", "simulated",
                                           "ci_low", "ci_high", "cost", "cost_unit"])

    # -- series -------------------------------------------------------------------------
    @property
    def start(self) -> pd.Timestamp:
        """Model time 0 (UTC)."""
        return pd.Timestamp(self.outcomes[0].start)

    @property
    def bin_hours(self) -> float:
        """Width of the stored series' bins [h] (1 h up to 120 days, else 24 h)."""
        return self.outcomes[0].series.bin_hours

    def _series_nodes(self) -> list[str]:
        return sorted({n for o in self.outcomes for n in o.series.nodes})

    def _stacked(self, attr: str, nodes: list[str], extra: int = 0) -> np.ndarray:
        """Per-replication series on a common node axis: (replications, bins, nodes + extra…)."""
        first = getattr(self.outcomes[0].series, attr)
        shape = (len(self.outcomes), first.shape[0], len(nodes) + extra, *first.shape[2:])
        out = np.zeros(shape)
        where = {n: j for j, n in enumerate(nodes)}
        for r, o in enumerate(self.outcomes):
            arr = getattr(o.series, attr)
            cols = [where[n] for n in o.series.nodes] + list(range(len(nodes),
                                                                  len(nodes) + extra))
            out[r][:, cols] = arr
        return out

    def queue_bins(self, node: str, bin_hours: float | None = None
                   ) -> tuple[pd.DatetimeIndex, np.ndarray]:
        """Time-average number waiting at a node per bin, per replication.

        Parameters
        ----------
        node : str
            A facility node.
        bin_hours : float, optional
            Bin width [h], a multiple of :attr:`bin_hours`; default the stored bins.

        Returns
        -------
        index : pandas.DatetimeIndex
            Bin starts (UTC).
        values : numpy.ndarray
            Shape ``(replications, bins)`` [shipments].
        """
        nodes = self._series_nodes()
        if node not in nodes:
            raise KeyError(node)
        arr = self._stacked("queue", nodes)[:, :, nodes.index(node)]
        s = self.outcomes[0].series
        edges = s.edges
        factor = _factor(bin_hours, s.bin_hours)
        if factor > 1:
            n = arr.shape[1] // factor * factor
            arr = arr[:, :n].reshape(arr.shape[0], -1, factor).mean(axis=2)
            edges = edges[:n + 1:factor]
        return self.start + pd.to_timedelta(edges[:-1], unit="h"), arr

    def daily_series(self) -> list[dict[str, np.ndarray]]:
        """Daily throughput [units/day] and mean queue [shipments] per node, per replication.

        The series MSER-5 reads (:mod:`corridor_sim.warmup`): whole days from model time 0
        (a last, incomplete day is dropped), keys ``"{node}.throughput_per_day"`` (TEU and
        tonnes together, as units) and ``"{node}.queue_length"``.
        """
        out = []
        for o in self.outcomes:
            s = o.series
            per = round(24.0 / s.bin_hours)
            first = int(round(-s.first_edge_hours / s.bin_hours))  # bins before time 0
            days = int(np.floor(o.horizon_hours / 24.0 + 1e-9))
            tput = s.throughput[first:first + days * per, :len(s.nodes), :2].sum(axis=2)
            queue = s.queue[first:first + days * per]
            tput = tput.reshape(days, per, -1).sum(axis=1)
            queue = queue.reshape(days, per, -1).mean(axis=1)
            series = {}
            for j, node in enumerate(s.nodes):
                series[f"{node}.throughput_per_day"] = tput[:, j]
                series[f"{node}.queue_length"] = queue[:, j]
            out.append(series)
        return out

    def lead_time_stats(self) -> dict[str, dict]:
        """Box-plot statistics of lead times per commodity, pooled over replications.

        Shipments created after the warm-up and delivered; see
        :func:`corridor_sim.series.pooled_box_stats`.

        Returns
        -------
        dict of str to dict
            Commodity → statistics for :meth:`matplotlib.axes.Axes.bxp`.
        """
        out = {}
        for com in self.scenario.commodities:
            parts = [o.lead_times[com] for o in self.outcomes if com in o.lead_times]
            stats = pooled_box_stats(parts, label=com)
            if stats is not None:
                out[com] = stats
        return out

    def throughput(self, freq: str = "D", unit: str = "teu") -> pd.DataFrame:
        """Units passing each facility node per period, averaged over replications.

        Parameters
        ----------
        freq : str, default "D"
            A pandas period alias whose periods are whole bins of the stored series
            (:attr:`bin_hours`): ``"h"`` for runs up to 120 days, ``"D"``, ``"W"``, ``"MS"`` …
            for any run.
        unit : {"teu", "tonne", "shipments"}, default "teu"
            Count TEU (of commodities counted in TEU), tonnes (of those counted in tonnes),
            or shipments of every commodity.

        Returns
        -------
        pandas.DataFrame
            Indexed by period start (UTC), one column per facility node plus ``delivered``
            (units reaching their destination); the whole run, warm-up included.
        """
        if unit not in UNITS:
            raise ValueError(f"unit must be 'teu', 'tonne' or 'shipments', got {unit!r}")
        key = (freq, unit)
        if key not in self._throughput:
            self._throughput[key] = self._throughput_table(freq, unit)
        return self._throughput[key].copy()

    def _throughput_table(self, freq: str, unit: str) -> pd.DataFrame:
        start = self.start
        end = start + pd.to_timedelta(self.scenario.horizon_hours, unit="h")
        index = pd.date_range(start.floor("D"), end, freq=freq, inclusive="left")
        if len(index) == 0 or index[0] > start:  # anchored periods (weeks): a first part-period
            index = index.insert(0, start.floor("D"))
        edges = ((index - start) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
        s = self.outcomes[0].series
        rel = (edges - s.first_edge_hours) / s.bin_hours
        if not np.allclose(rel, np.round(rel), atol=1e-6):
            raise ValueError(f"throughput per {freq!r} needs bins finer than the stored "
                             f"{s.bin_hours:g} h ones (runs over 120 days keep daily bins); "
                             "choose a period of whole bins, such as 'D', 'W' or 'MS'")
        nodes = self._series_nodes()
        arr = self._stacked("throughput", nodes, extra=1)[..., UNITS.index(unit)]
        rows = np.searchsorted(edges, s.edges[:-1] + 1e-9, side="right") - 1
        inside = (rows >= 0) & (rows < len(index))
        acc = np.zeros((len(index), len(nodes) + 1))
        np.add.at(acc, rows[inside], arr.sum(axis=0)[inside])
        table = pd.DataFrame(acc / self.replications, index=index,
                             columns=[*nodes, "delivered"])
        table = table[sorted(table.columns)]
        table.index.name = "period"
        return table

    # -- files --------------------------------------------------------------------------
    def to_dir(self, path: str | Path, *, plots: bool = True, report: bool = True,
               tables: str | None = None, table_format: str = "parquet") -> Path:
        """Write the results into a run folder; see :func:`corridor_sim.rundir.write_run`."""
        from .rundir import write_run

        return write_run(self, path, plots=plots, report=report, tables=tables,
                         table_format=table_format)


def _factor(bin_hours: float | None, stored: float) -> int:
    if bin_hours is None:
        return 1
    factor = bin_hours / stored
    if factor < 1 - 1e-9 or abs(factor - round(factor)) > 1e-9:
        raise ValueError(f"bin_hours must be a multiple of the stored bins ({stored:g} h), "
                         f"got {bin_hours!r}")
    return int(round(factor))


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack per-replication tables; categoricals stay categoricals (union of categories)."""
    if len(frames) == 1:
        return frames[0]
    cats = [c for c in frames[0].columns if isinstance(frames[0][c].dtype, pd.CategoricalDtype)]
    for col in cats:
        union = pd.api.types.union_categoricals([f[col] for f in frames]).categories
        for f in frames:
            f[col] = f[col].cat.set_categories(union)
    return pd.concat(frames, ignore_index=True)


def _coded(values: list, index: np.ndarray) -> pd.Categorical:
    """``values[index]`` as a categorical, built from integer codes (no object array)."""
    categories, codes = np.unique(np.asarray(values, dtype=object).astype(str),
                                  return_inverse=True)
    return pd.Categorical.from_codes(codes[index] if index.size else index.astype(int),
                                     categories=categories.tolist())


def shipments_frame(d: ReplicationData) -> pd.DataFrame:
    """The shipments table of one replication (see :attr:`Results.shipments`).

    Text columns are categoricals built from integer codes, so a year of the baseline (about a
    million shipments) takes about 60 MB rather than several hundred.

    Parameters
    ----------
    d : ReplicationData

    Returns
    -------
    pandas.DataFrame
    """
    sh = shipment_arrays(d)
    flow = sh["flow"]
    status = sh["status"]
    rejected_at = np.where(status == REJECTED, d.columns["s_node"], len(d.nodes))
    return pd.DataFrame({
        "replication": np.full(flow.size, d.replication),
        "shipment_id": np.arange(flow.size),
        "commodity": _coded(d.flows["commodity"], flow),
        "origin": _coded(d.flows["origin"], flow),
        "destination": _coded(d.flows["destination"], flow),
        "units": sh["units"],
        "unit": _coded(d.flows["unit"], flow),
        "route": _coded(d.flows["route"], flow),
        "created_hours": sh["created"],
        "delivered_hours": np.where(status == DELIVERED, sh["end"], np.nan),
        "lead_time_hours": sh["lead"], "spoiled": sh["spoiled"],
        "status": pd.Categorical.from_codes(status.astype(np.int8), categories=_STATUS.tolist()),
        "rejected_at": _coded([*d.nodes, ""], rejected_at),
    })


def visits_frame(d: ReplicationData) -> pd.DataFrame:
    """The visits table of one replication (see :attr:`Results.visits`).

    Parameters
    ----------
    d : ReplicationData

    Returns
    -------
    pandas.DataFrame
    """
    c = d.columns
    sid = c["v_sid"]
    return pd.DataFrame({
        "replication": np.full(sid.size, d.replication),
        "shipment_id": sid,
        "node": _coded(d.nodes, c["v_node"]),
        "commodity": _coded(d.flows["commodity"], c["s_flow"][sid]),
        "arrived_hours": c["v_arrived"], "started_hours": c["v_started"],
        "departed_hours": c["v_departed"],
        "wait_hours": c["v_started"] - c["v_arrived"],
    })
