"""Fair comparisons of scenarios: common random numbers, paired differences, sweeps.

Every scenario of a comparison runs the same replication numbers with the same base seed, so
replication ``r`` of each sees the same arrivals and service draws wherever the scenarios agree
(common random numbers, DESIGN §5). The difference of a KPI between two scenarios is then
estimated from the per-replication differences — a paired t interval, far narrower than the
interval of two independent runs.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import Problem, ScenarioError
from .results import Results
from .scenario.references import suggest
from .scenario.schema import Scenario
from .stats import kpi_bounds, mean_ci, paired_diff, welch_diff

if TYPE_CHECKING:
    from .scorecard import Scorecard

__all__ = ["TABLE_COLUMNS", "Comparison", "compare", "flatten", "point_name", "sweep"]

TABLE_COLUMNS = ("mean", "ci_low", "ci_high", "n", "diff", "diff_ci_low", "diff_ci_high",
                 "diff_pct", "p_value", "significant")
"""Columns of :meth:`Comparison.table`."""


class Comparison:
    """Results of several scenarios run with common random numbers, compared with the first.

    Build one with :func:`compare` or :func:`sweep`, or from ``Results`` run elsewhere.

    Parameters
    ----------
    results : mapping of str to Results
        Scenario name → its results; the first is the reference.
    points : pandas.DataFrame, optional
        For a sweep: one row per scenario name, one column per swept setting.

    Attributes
    ----------
    results : dict of str to Results
    points : pandas.DataFrame or None
    """

    def __init__(self, results: Mapping[str, Results], *,
                 points: pd.DataFrame | None = None) -> None:
        self.results = dict(results)
        problems = []
        if len(self.results) < 2:
            problems.append(Problem("scenarios", f"a comparison needs at least two scenarios, "
                                    f"got {len(self.results)}"))
        for name, res in self.results.items():
            if not isinstance(res, Results):
                problems.append(Problem(f"results.{name}", f"must be Results, got "
                                        f"{type(res).__name__}"))
        if problems:
            raise ScenarioError(problems)
        self.points = points

    def __repr__(self) -> str:
        reps = sorted({r.replications for r in self.results.values()})
        return (f"<Comparison of {len(self.results)} scenarios against {self.reference!r}, "
                f"{'/'.join(map(str, reps))} replications>")

    @property
    def names(self) -> list[str]:
        """Scenario names, the reference first."""
        return list(self.results)

    @property
    def reference(self) -> str:
        """Name of the reference scenario (the first)."""
        return self.names[0]

    @property
    def kpi_names(self) -> list[str]:
        """Every KPI of any scenario, in the reference's order, then the others' new ones."""
        return list(dict.fromkeys(k for r in self.results.values() for k in r.kpis.columns))

    def select(self, kpis: str | Iterable[str] | None = None) -> list[str]:
        """KPI names matching names or shell-style patterns such as ``"*.wait_hours.mean"``.

        Parameters
        ----------
        kpis : str or iterable of str, optional
            Names or patterns; default every KPI.

        Returns
        -------
        list of str
            In the order asked for (the matches of one pattern in the order of
            :attr:`kpi_names`), each KPI once; every KPI in that order when ``kpis`` is None.

        Raises
        ------
        ScenarioError
            If a name or pattern matches no KPI.
        """
        every = self.kpi_names
        if kpis is None:
            return every
        wanted = [kpis] if isinstance(kpis, str) else list(kpis)
        chosen: dict[str, None] = {}
        problems = []
        for w in wanted:
            if w in every:  # an exact name first: flow names hold "[rail]"
                hits = [w]
            else:
                hits = fnmatch.filter(every, w) if any(c in w for c in "*?[") else []
            if not hits:
                problems.append(Problem(f"kpis.{w}", "no such KPI" + suggest(w, every)))
            chosen.update(dict.fromkeys(hits))
        if problems:
            raise ScenarioError(problems)
        return list(chosen)

    def table(self, kpis: str | Iterable[str] | None = None, *, confidence: float = 0.95,
              paired: bool = True) -> pd.DataFrame:
        """Each KPI per scenario, with its difference from the reference and the CI.

        Parameters
        ----------
        kpis : str or iterable of str, optional
            KPI names or patterns (see :meth:`select`); default all.
        confidence : float, default 0.95
            Level of every interval.
        paired : bool, default True
            Paired t interval over replications with the same number (common random
            numbers). ``False`` treats the scenarios as independent samples (Welch), as for
            runs with different seeds.

        Returns
        -------
        pandas.DataFrame
            Indexed by (``kpi``, ``scenario``); columns ``mean``, ``ci_low``, ``ci_high``,
            ``n`` (the KPI across replications, in its unit), ``diff`` (scenario − reference),
            ``diff_ci_low``, ``diff_ci_high``, ``diff_pct`` (diff as % of the reference mean),
            ``p_value`` and ``significant`` (the interval excludes 0). The difference columns
            are NaN (``significant`` False) on the reference's rows.
        """
        rows = {}
        ref = self.results[self.reference].kpis
        for kpi in self.select(kpis):
            base = ref[kpi] if kpi in ref.columns else None
            for name, res in self.results.items():
                values = res.kpis[kpi] if kpi in res.kpis.columns else None
                m, _, lo, hi, n = mean_ci(values.to_numpy(float) if values is not None
                                          else [], confidence, bounds=kpi_bounds(kpi))
                if name == self.reference or base is None or values is None:
                    d, sig = (np.nan,) * 5, False
                else:
                    d, sig = self._diff(base, values, confidence, paired)
                rows[(kpi, name)] = (m, lo, hi, n, *d, sig)
        out = pd.DataFrame.from_dict(rows, orient="index", columns=list(TABLE_COLUMNS))
        out.index = pd.MultiIndex.from_tuples(out.index, names=["kpi", "scenario"])
        out["n"] = out["n"].astype(int)
        out["significant"] = out["significant"].astype(bool)
        return out

    @staticmethod
    def _diff(base: pd.Series, values: pd.Series, confidence: float, paired: bool
              ) -> tuple[tuple[float, ...], bool]:
        if paired:
            both = pd.concat([base, values], axis=1, join="inner")
            d = paired_diff(both.iloc[:, 0].to_numpy(float), both.iloc[:, 1].to_numpy(float),
                            confidence)
        else:
            d = welch_diff(base.to_numpy(float), values.to_numpy(float), confidence)
        ref_mean = float(np.nanmean(base.to_numpy(float))) if base.notna().any() else np.nan
        pct = 100 * d.diff / abs(ref_mean) if np.isfinite(ref_mean) and ref_mean != 0 else np.nan
        return (d.diff, d.ci_low, d.ci_high, pct, d.p_value), d.significant

    def differences(self, kpis: str | Iterable[str] | None = None, *,
                    confidence: float = 0.95, paired: bool = True) -> pd.DataFrame:
        """Select the rows of :meth:`table` that compare a scenario with the reference.

        Parameters
        ----------
        kpis, confidence, paired
            As in :meth:`table`.

        Returns
        -------
        pandas.DataFrame
        """
        t = self.table(kpis, confidence=confidence, paired=paired)
        return t[t.index.get_level_values("scenario") != self.reference]

    def scorecard(self, criteria: Iterable[Any] | None = None, *, baseline: str | None = None,
                  primary: Any = None, npv_years: int | None = None,
                  discount_rate: float = 0.08, confidence: float = 0.95) -> Scorecard:
        """The decision scorecard: one row per scenario, ranked on total annual cost.

        See :func:`corridor_sim.scorecard.scorecard` for the parameters and the ranking.

        Returns
        -------
        Scorecard
        """
        from .scorecard import scorecard

        return scorecard(self, criteria, baseline=baseline, primary=primary,
                         npv_years=npv_years, discount_rate=discount_rate,
                         confidence=confidence)

    def settings_diff(self) -> pd.DataFrame:
        """List the settings in which the scenarios differ, as dotted key paths.

        Links are matched by what they join, not by their place in the list: a link is named
        ``links[<from>><to>:<mode>]`` (e.g. ``links[almaty>khorgos:road].distance_km``), so
        that a proposal which adds a link or lists them in another order shows only what
        really changed. Every other path is in the syntax of :meth:`Scenario.with_changes`.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``setting`` (e.g. ``"nodes.border.lanes.general"``), one column per
            scenario with its value (NaN where a scenario lacks the key). The scenarios'
            ``name`` and ``description`` are left out.
        """
        flat = {name: _flatten_settings(r.scenario.to_dict()) for name, r in self.results.items()}
        keys = list(dict.fromkeys(k for f in flat.values() for k in f))
        missing = object()
        rows = {}
        for k in keys:
            if k in ("name", "description"):
                continue
            vals = [f.get(k, missing) for f in flat.values()]
            if any(v != vals[0] for v in vals[1:]):
                rows[k] = [_show(v) if v is not missing else np.nan for v in vals]
        out = pd.DataFrame.from_dict(rows, orient="index", columns=self.names, dtype=object)
        out.index.name = "setting"
        return out

    # -- files --------------------------------------------------------------------------
    def to_dir(self, path: str | Path, *, plots: bool = True, report: bool = True) -> Path:
        """Write the comparison into a folder; see :func:`corridor_sim.rundir.write_comparison`."""
        from .rundir import write_comparison

        return write_comparison(self, path, plots=plots, report=report)

    @classmethod
    def from_dir(cls, path: str | Path) -> Comparison:
        """Load a comparison folder; see :func:`corridor_sim.rundir.read_comparison`."""
        from .rundir import read_comparison

        return read_comparison(path)


def scenario_slug(name: str, used: set[str]) -> str:
    """A file-name-safe, unique form of a scenario name (``used`` collects those given).

    Parameters
    ----------
    name : str
    used : set of str
        Slugs already given; the new one is added.

    Returns
    -------
    str
    """
    base = re.sub(r"[^A-Za-z0-9_.=-]+", "_", name).strip("_")[:80] or "scenario"
    slug, i = base, 2
    while slug in used:
        slug, i = f"{base}_{i}", i + 1
    used.add(slug)
    return slug


def link_key(link: Mapping[str, Any]) -> str:
    """Name a link by what it joins: ``"<from>><to>:<mode>"``.

    Parallel links between the same nodes must differ in mode, so the name is unique within
    a scenario.

    Parameters
    ----------
    link : mapping
        One entry of ``Scenario.to_dict()["links"]``.

    Returns
    -------
    str

    Examples
    --------
    >>> link_key({"from": "almaty", "to": "khorgos", "mode": "road"})
    'almaty>khorgos:road'
    """
    return f"{link.get('from')}>{link.get('to')}:{link.get('mode', 'road')}"


def _flatten_settings(data: dict[str, Any]) -> dict[str, Any]:
    """Flatten a scenario dict, with links keyed by :func:`link_key` rather than position."""
    links = data.get("links")
    if not isinstance(links, list) or not links:
        return flatten(data)
    out = flatten({k: v for k, v in data.items() if k != "links"})
    seen: dict[str, int] = {}
    for link in links:
        key = link_key(link) if isinstance(link, Mapping) else "?"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:  # not a valid scenario, but never merge two links silently
            key = f"{key}#{seen[key]}"
        out.update(flatten(link, f"links[{key}]"))
    return out


def _show(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten nested mappings and lists to dotted key paths.

    Parameters
    ----------
    data : dict, list or scalar
        E.g. ``Scenario.to_dict()``.
    prefix : str, default ""
        Path of ``data`` itself.

    Returns
    -------
    dict of str to scalar
        Paths in the syntax of :meth:`Scenario.with_changes` (``links[3].to``); empty
        mappings and lists are kept as values.

    Examples
    --------
    >>> flatten({"nodes": {"b": {"lanes": {"general": 4}}}, "links": [{"to": "b"}]})
    {'nodes.b.lanes.general': 4, 'links[0].to': 'b'}
    """
    out: dict[str, Any] = {}
    if isinstance(data, dict) and data:
        for k, v in data.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(data, list) and data:
        for i, v in enumerate(data):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = data
    return out


# --------------------------------------------------------------------------- running


def _named(scenarios: Mapping[str, Scenario | str | Path] | Sequence[Scenario | str | Path]
           ) -> dict[str, Scenario]:
    from .experiment import _as_scenario

    if isinstance(scenarios, Scenario | str | Path):
        raise ScenarioError([Problem("scenarios", "give a dict of name → scenario, or a list "
                                     "of scenarios, not a single one")])
    if isinstance(scenarios, Mapping):
        return {str(k): _as_scenario(v) for k, v in scenarios.items()}
    out: dict[str, Scenario] = {}
    problems = []
    for item in scenarios:
        sc = _as_scenario(item)
        if sc.name in out:
            problems.append(Problem("scenarios", f"two scenarios are named {sc.name!r}; pass "
                                    "a dict to give them distinct names"))
        out[sc.name] = sc
    if problems:
        raise ScenarioError(problems)
    return out


def _run_many(scenarios: dict[str, Scenario], replications: int | None, seed: int | None,
              workers: int, executor: Any, address: str | None, progress: Any, label: str,
              points: pd.DataFrame | None = None, warmup_check: bool = True,
              keep: str = "none") -> Comparison:
    from .executors import executor_session, progress_reporter
    from .experiment import replication_tasks, warn_warmup

    if len(scenarios) < 2:
        raise ScenarioError([Problem("scenarios", f"a comparison needs at least two "
                                     f"scenarios, got {len(scenarios)}")])
    ref = next(iter(scenarios.values()))
    n = ref.replications if replications is None else replications
    s = ref.seed if seed is None else seed
    from .checks import result_warnings, scenario_warnings, warn

    for sc in scenarios.values():
        warn(scenario_warnings(sc))
    with executor_session(executor, workers=workers, address=address) as run_tasks:
        if any(sc.routing.assignment == "equilibrium" for sc in scenarios.values()):
            from .experiment import fitted_scenario

            scenarios = {name: fitted_scenario(sc, run_tasks, s)
                         if sc.routing.assignment == "equilibrium" else sc
                         for name, sc in scenarios.items()}
        tasks = []
        for sc in scenarios.values():
            tasks += replication_tasks(sc, n, s, keep)
        data = run_tasks(tasks, progress_reporter(progress, label))
    results = {}
    for i, (name, sc) in enumerate(scenarios.items()):
        results[name] = Results.combine(sc, data[i * n:(i + 1) * n])
        warn(result_warnings(results[name].kpis, sc))
        if warmup_check:
            warn_warmup(results[name], stacklevel=3, label=name)
    return Comparison(results, points=points)


def compare(scenarios: Mapping[str, Scenario | str | Path] | Sequence[Scenario | str | Path],
            *, replications: int | None = None, seed: int | None = None, workers: int = 1,
            executor: str | Any | None = None, address: str | None = None,
            progress: Any = None, warmup_check: bool = True, keep: str = "none"
            ) -> Comparison:
    """Run scenarios with common random numbers and compare them with the first.

    Parameters
    ----------
    scenarios : dict of str to Scenario/path, or list of Scenario/path
        The scenarios, the reference first; a list is named by the scenarios' ``name``.
    replications : int, optional
        Replications of each scenario; default the reference scenario's.
    seed : int, optional
        Base seed shared by all; default the reference scenario's. Replication ``r`` of every
        scenario uses the same random streams.
    workers : int, default 1
        Local worker processes (or workers of a local Dask cluster).
    executor : {"serial", "processes", "dask"} or dask.distributed.Client, optional
        Where replications run; see :func:`corridor_sim.experiment.executor_session`.
    address : str, optional
        Address of a running Dask scheduler.
    progress : bool or callable, optional
        ``True`` shows a progress bar over all replications of all scenarios, ``False`` none;
        default a bar where a person watches (notebook, terminal), none in CI or a pipe.
    keep : {"none", "first", "all"}, default "none"
        Which replications of each scenario keep their raw tables (see
        :func:`corridor_sim.run`).
    warmup_check : bool, default True
        Warn when a scenario's warm-up looks too short (see :func:`corridor_sim.run`).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import corridor_sim as cs
    >>> base = cs.bundled("single_checkpoint").with_changes({"horizon_days": 20,
    ...                                                      "warmup_days": 2})
    >>> cmp = cs.compare({"4 lanes": base,
    ...                   "5 lanes": base.with_changes({"nodes.border.lanes.general": 5})},
    ...                  replications=3, seed=1)
    >>> row = cmp.table("border.wait_hours.mean").loc[("border.wait_hours.mean", "5 lanes")]
    >>> bool(row["diff"] < 0)
    True
    """
    named = _named(scenarios)
    return _run_many(named, replications, seed, workers, executor, address, progress,
                     "compare", warmup_check=warmup_check, keep=keep)


def point_name(values: Mapping[str, Any]) -> str:
    """Name of a sweep point: ``"path=value"`` pairs joined by ``", "``.

    Parameters
    ----------
    values : mapping of str to value
        Dotted setting path → value.

    Returns
    -------
    str

    Examples
    --------
    >>> point_name({"nodes.x.lanes.general": 4, "nodes.x.calendar": "day_shift"})
    'nodes.x.lanes.general=4, nodes.x.calendar=day_shift'
    """
    return ", ".join(f"{k}={_scalar_text(v)}" for k, v in values.items())


def _scalar_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    return str(v)


def sweep(scenario: Scenario | str | Path, factors: Mapping[str, Sequence[Any]], *,
          replications: int | None = None, seed: int | None = None, workers: int = 1,
          executor: str | Any | None = None, address: str | None = None,
          progress: Any = None, warmup_check: bool = True, keep: str = "none"
          ) -> Comparison:
    """Run the full factorial of some settings, with common random numbers.

    Parameters
    ----------
    scenario : Scenario, str or Path
        The scenario to vary.
    factors : dict of str to list
        Dotted setting path (as for :meth:`Scenario.with_changes`) → values to try. Every
        combination is run; the first (each setting's first value) is the reference.
    replications, seed, workers, executor, address, progress, warmup_check, keep
        As in :func:`compare`.

    Returns
    -------
    Comparison
        Named by :func:`point_name` (e.g. ``"nodes.x.lanes.general=4"``), with
        :attr:`Comparison.points` holding each point's values.

    Raises
    ------
    ScenarioError
        If a path or value is invalid at some point (every problem at once).

    Examples
    --------
    >>> import corridor_sim as cs
    >>> base = cs.bundled("single_checkpoint").with_changes({"horizon_days": 20,
    ...                                                      "warmup_days": 2})
    >>> cmp = cs.sweep(base, {"nodes.border.lanes.general": [4, 5, 6]}, replications=2)
    >>> cmp.names
    ['nodes.border.lanes.general=4', 'nodes.border.lanes.general=5', 'nodes.border.lanes.general=6']
    """
    from .experiment import _as_scenario

    sc = _as_scenario(scenario)
    problems = []
    if not isinstance(factors, Mapping) or not factors:
        raise ScenarioError([Problem("factors", "give a dict of setting path → list of values, "
                                     f"got {factors!r}")])
    for path, values in factors.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            problems.append(Problem(path, f"needs a non-empty list of values, got {values!r}"))
        elif len({point_name({path: v}) for v in values}) < len(values):
            problems.append(Problem(path, f"lists a value twice: {list(values)!r}"))
    if problems:
        raise ScenarioError(problems)
    scenarios: dict[str, Scenario] = {}
    rows = {}
    for combo in itertools.product(*factors.values()):
        values = dict(zip(factors, combo, strict=True))
        name = point_name(values)
        try:
            scenarios[name] = sc.with_changes(values)
        except ScenarioError as err:
            problems += [Problem(p.path, f"{p.message} (at {name})", p.file, p.line)
                         for p in err.problems]
        rows[name] = combo
    if problems:
        seen: dict[tuple[str, str], Problem] = {}
        for p in problems:
            seen.setdefault((p.path, p.message), p)
        raise ScenarioError(list(seen.values()))
    points = pd.DataFrame.from_dict(rows, orient="index", columns=list(factors))
    points.index.name = "point"
    return _run_many(scenarios, replications, seed, workers, executor, address, progress,
                     "sweep", points=points, warmup_check=warmup_check, keep=keep)
