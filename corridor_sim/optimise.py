"""Capacity planning: the cheapest design that meets service levels, with a stated confidence.

The problem (:func:`optimise`, or ``corridor-sim optimise SPEC.yaml``): a grid of designs —
integer or categorical settings at dotted paths, as for :func:`corridor_sim.sweep` — an
objective KPI (typically the design's annual cost, which is deterministic given the design)
and constraints on noisy KPIs (e.g. the harvest-peak p95 wait ≤ 4 h).

The method is **constrained ranking and selection**:

1. *Common random numbers.* Every design runs replications ``0, 1, …`` with the same seed, so
   design ``a`` and design ``b`` see the same trucks arriving.
2. *Feasibility check per design and constraint* — an early look, then Stein's two-stage
   procedure, each at error ``α'/2``. The early look is a one-sided t test on the first
   ``first`` replications of the per-replication observation ``Y`` (``KPI − bound``, or for a
   pooled percentile ``over − (1−q)·waits``): it settles designs far from the bound at once.
   For a constraint it leaves open, the sample standard deviation ``S₀`` of ``Y`` gives the
   replications needed, ``N = max(first, ⌈(h S₀ / ε)²⌉)`` with ``h`` the Student-t
   quantile at ``1 − α'/2`` and ``ε`` the constraint's tolerance; the design is declared
   feasible for the constraint when the mean of ``Y`` over ``N`` replications is ≤ 0. Then a
   design whose true value is at least ``ε`` inside the bound is declared feasible, and one at
   least ``ε`` outside declared infeasible, each with probability ≥ ``1 − α'``. When ``N``
   would exceed ``replications.max``, the design runs ``max`` and is declared feasible only
   if the one-sided ``1 − α'/2`` upper bound of the mean is ≤ 0, infeasible if the lower
   bound is > 0, and *undecided* otherwise (never chosen).
3. *Bonferroni.* ``α' = (1 − confidence) / (K · m)`` for ``K`` designs in the grid and ``m``
   constraints, so that **all** decisions outside the indifference zones are right at once
   with probability ≥ ``confidence`` — with common random numbers too (Bonferroni needs no
   independence).
4. *Selection.* For a deterministic objective the cheapest design declared feasible is
   chosen: designs are checked in order of cost, cheapest first, and the search stops past the
   chosen one's cost plus ``objective_tolerance``. With probability ≥ ``confidence`` it meets
   every constraint to within its tolerance, and no cheaper design meets them all by more than
   its tolerance. A noisy objective is estimated with common random numbers over every
   feasible design; runner-ups are those not significantly worse (paired one-sided test).
5. *Monotone problems* (``monotone: true``: more of a decision never hurts a constraint, and
   costs more) with a single decision are solved by bisection on the decision's values.

Two objectives give the Pareto front of the feasible designs instead (``Optimisation.pareto``).
See ``docs/background/capacity-planning.md`` for the guarantee in plain words.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st

from .comparison import point_name
from .errors import Problem, ScenarioError
from .optimise_spec import OptimisationSpec, load_spec, make_spec
from .scenario.references import suggest
from .scenario.schema import Scenario
from .stats import kpi_bounds, mean_ci

__all__ = ["DECISIONS", "Optimisation", "feasibility", "optimise", "optimise_file",
           "pareto_front", "stein_replications"]

DECISIONS = ("feasible", "infeasible", "undecided", "not checked")
"""Feasibility decisions of a design in the trace."""


def stein_replications(s0: float, tolerance: float, first: int, alpha: float) -> int:
    """Replications Stein's two-stage procedure needs for a one-sided decision.

    Parameters
    ----------
    s0 : float
        Sample standard deviation of the first ``first`` observations.
    tolerance : float
        Half-width of the indifference zone (same unit as the observations).
    first : int
        First-stage replications (≥ 2).
    alpha : float
        Error probability of the decision.

    Returns
    -------
    int
        ``max(first, ceil((t_{1-alpha, first-1} * s0 / tolerance)²))``.

    Examples
    --------
    >>> stein_replications(0.0, 1.0, 10, 0.05)
    10
    >>> stein_replications(2.0, 1.0, 10, 0.05)
    14
    """
    if not s0 > 0:
        return first
    h = float(_st.t.ppf(1.0 - alpha, first - 1))
    return max(first, math.ceil((h * s0 / tolerance) ** 2))


def feasibility(y: np.ndarray, needed: int, alpha: float) -> str:
    """Decide one constraint of one design from its observations ``y`` (mean ≤ 0 is feasible).

    Parameters
    ----------
    y : numpy.ndarray
        Per-replication observations, all that were run.
    needed : int
        Stein's replications (:func:`stein_replications`); when ``y`` holds at least that
        many, the sign of their mean decides; otherwise a one-sided test at ``alpha`` does.
    alpha : float

    Returns
    -------
    {"feasible", "infeasible", "undecided"}

    Examples
    --------
    >>> feasibility(np.array([-1.0, -2.0, -1.5]), 3, 0.05)
    'feasible'
    """
    y = y[~np.isnan(y)]
    if y.size == 0:
        return "undecided"
    mean = float(y.mean())
    if y.size >= needed:
        return "feasible" if mean <= 0 else "infeasible"
    half = float(_st.t.ppf(1.0 - alpha, y.size - 1)) * float(y.std(ddof=1)) / math.sqrt(y.size)
    if mean + half <= 0:
        return "feasible"
    if mean - half > 0:
        return "infeasible"
    return "undecided"


def pareto_front(values: pd.DataFrame) -> pd.Index:
    """Rows not dominated by any other (every column minimised).

    Parameters
    ----------
    values : pandas.DataFrame
        One row per design, one column per objective (smaller is better).

    Returns
    -------
    pandas.Index
        Labels of the non-dominated rows, in their order.

    Examples
    --------
    >>> df = pd.DataFrame({"cost": [1, 2, 3, 2], "wait": [3, 2, 1, 3]}, index=list("abcd"))
    >>> list(pareto_front(df))
    ['a', 'b', 'c']
    """
    v = values.to_numpy(float)
    keep = []
    for i in range(len(v)):
        dominated = np.all(v <= v[i], axis=1) & np.any(v < v[i], axis=1)
        if not dominated.any() and not np.isnan(v[i]).any():
            keep.append(i)
    return values.index[keep]


@dataclass
class _Design:
    name: str
    values: dict[str, Any]
    scenario: Scenario
    kpis: list[dict[str, float]] = field(default_factory=list)
    step: int | None = None
    decision: str = "not checked"
    needed: int = 0

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.kpis, index=pd.RangeIndex(len(self.kpis), name="replication"))


class Optimisation:
    """The result of :func:`optimise`: the chosen design, runner-ups, Pareto front, trace.

    Attributes
    ----------
    spec : OptimisationSpec
        The problem as solved (with its seed): rerunning it gives the same result.
    chosen : str or None
        Name of the chosen design (``"path=value, …"``), None when no design was declared
        feasible.
    runner_ups : list of str
        Designs declared feasible that are not worse than the chosen by more than the
        objective's tolerance (deterministic objective) or not significantly (noisy).
    pareto : pandas.DataFrame or None
        With two objectives: the feasible designs on the Pareto front and their means.
    trace : pandas.DataFrame
        One row per design of the grid (see :meth:`trace_table`).
    stopped : str
        Why the search ended: ``"done"``, ``"replication budget"`` or ``"time budget"``.
    seconds : float
        Wall-clock time of the search [s].
    """

    def __init__(self, spec: OptimisationSpec, designs: list[_Design], chosen: str | None,
                 runner_ups: list[str], alpha: float, stopped: str, seconds: float) -> None:
        self.spec = spec
        self._designs = {d.name: d for d in designs}
        self.chosen = chosen
        self.runner_ups = runner_ups
        self.alpha = alpha
        self.stopped = stopped
        self.seconds = seconds
        self.trace = self.trace_table()
        self.pareto = self._pareto() if len(spec.objectives) == 2 else None

    def __repr__(self) -> str:
        n = int((self.trace["replications"] > 0).sum())
        return (f"<Optimisation {self.spec.name!r}: {n} of {len(self.trace)} designs run, "
                f"chosen {self.chosen!r}>")

    # -- tables ---------------------------------------------------------------------------
    def kpis(self, design: str | None = None) -> pd.DataFrame:
        """KPIs per replication of a design (default the chosen one).

        Parameters
        ----------
        design : str, optional

        Returns
        -------
        pandas.DataFrame
        """
        return self._design(design).frame()

    def scenario(self, design: str | None = None) -> Scenario:
        """The scenario of a design (default the chosen one).

        Returns
        -------
        Scenario
        """
        return self._design(design).scenario

    def _design(self, design: str | None) -> _Design:
        name = design if design is not None else self.chosen
        if name is None:
            raise ScenarioError([Problem("design", "no design was chosen; name one of "
                                         "the trace's")])
        if name not in self._designs:
            raise ScenarioError([Problem("design", f"no design {name!r}"
                                         + suggest(name, list(self._designs)))])
        return self._designs[name]

    def table(self, design: str | None = None, kpis: Sequence[str] | None = None
              ) -> pd.DataFrame:
        """KPI table of a design with confidence intervals (default the chosen design).

        Parameters
        ----------
        design : str, optional
        kpis : list of str, optional
            Default: the objectives, the constraints' KPIs, and for a pooled percentile
            constraint the pooled share of waits over its bound.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``kpi``; ``mean``, ``ci_low``, ``ci_high`` (at the spec's confidence),
            ``n``.
        """
        frame = self.kpis(design)
        conf = self.spec.confidence
        names = list(kpis) if kpis is not None else list(dict.fromkeys(
            [o.kpi for o in self.spec.objectives] + [c.kpi for c in self.spec.constraints]))
        rows = {}
        for k in names:
            if k in frame.columns:
                m, _, lo, hi, n = mean_ci(frame[k].to_numpy(float), conf, bounds=kpi_bounds(k))
                rows[k] = (m, lo, hi, n)
        if kpis is None:
            for c in self.spec.constraints:
                if c.quantile is None:
                    continue
                y, _ = c.observations(frame)
                n_waits = frame[c.needed_kpis()[0]].to_numpy(float)
                share = c.estimate(frame)
                _, _, lo, hi, n = mean_ci(y, conf)
                scale = float(np.nanmean(n_waits)) or math.nan
                base = 1.0 - c.quantile[2] / 100.0
                rows[f"{c.kpi}: pooled share over {c.bound:g} h"] = (
                    share, base + lo / scale, base + hi / scale, n)
        out = pd.DataFrame.from_dict(rows, orient="index",
                                     columns=["mean", "ci_low", "ci_high", "n"])
        out.index.name = "kpi"
        return out

    def trace_table(self) -> pd.DataFrame:
        """One row per design: its decisions, step, replications, estimates and decision.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``design``; the decisions' columns, ``step`` (order of first run, NaN
            for designs never run), ``replications``, the objectives' means, each
            constraint's estimate (a KPI's mean, or a pooled percentile's share of waits over
            its bound, named ``KPI [share over B h]``) and ``decision``.
        """
        rows = []
        for d in self._designs.values():
            row: dict[str, Any] = {"design": d.name, **d.values, "step": d.step,
                                   "replications": len(d.kpis)}
            frame = d.frame() if d.kpis else None
            for o in self.spec.objectives:
                row[o.kpi] = (float(np.nanmean(frame[o.kpi].to_numpy(float)))
                              if frame is not None and o.kpi in frame else math.nan)
            for c in self.spec.constraints:
                label = c.kpi if c.quantile is None else f"{c.kpi} [share over {c.bound:g} h]"
                ok = frame is not None and all(k in frame for k in c.needed_kpis())
                row[label] = c.estimate(frame) if ok else math.nan
            row["decision"] = d.decision
            rows.append(row)
        out = pd.DataFrame(rows).set_index("design")
        out["step"] = out["step"].astype(float)
        return out

    def _pareto(self) -> pd.DataFrame:
        t = self.trace
        ok = t[(t["decision"] == "feasible") | ((t["decision"] == "not checked")
                                                  & (t["replications"] > 0)
                                                  & (not self.spec.constraints))]
        cols = [o.kpi for o in self.spec.objectives]
        signed = pd.DataFrame({o.kpi: ok[o.kpi] * (1 if o.sense == "min" else -1)
                               for o in self.spec.objectives})
        front = pareto_front(signed)
        return ok.loc[front, cols].sort_values(cols[0])

    def to_dir(self, path: str | Path, *, plots: bool = True, report: bool = True) -> Path:
        """Write the search into a folder (see :func:`corridor_sim.optimise_io.write_optimisation`).

        Returns
        -------
        Path
        """
        from .optimise_io import write_optimisation

        return write_optimisation(self, path, plots=plots, report=report)


# --------------------------------------------------------------------------- the search


class _Search:
    """Runs the designs in batches with common random numbers and keeps count."""

    def __init__(self, spec: OptimisationSpec, run_tasks: Callable, progress: Any) -> None:
        self.spec = spec
        self.run_tasks = run_tasks
        self.progress = progress
        self.used = 0
        self.step = 0
        self.started = time.perf_counter()
        self.stopped = "done"
        self.checked_kpis = False

    def out_of_budget(self) -> bool:
        b, s = self.spec.budget_replications, self.spec.budget_seconds
        if b is not None and self.used >= b:
            self.stopped = "replication budget"
        elif s is not None and time.perf_counter() - self.started >= s:
            self.stopped = "time budget"
        return self.stopped != "done"

    def extend(self, wants: list[tuple[_Design, int]]) -> None:
        """Run each design up to the given number of replications (one batch, fixed order)."""
        from .executors import progress_reporter

        tasks, owners = [], []
        for d, n in wants:
            if d.step is None:
                d.step, self.step = self.step, self.step + 1
            for r in range(len(d.kpis), n):
                tasks.append((d.scenario, r, self.spec.seed, False))
                owners.append(d)
        if not tasks:
            return
        label = "optimise" if len(wants) > 1 else f"optimise: {wants[0][0].name}"[:60]
        outcomes = self.run_tasks(tasks, progress_reporter(self.progress, label))
        for d, o in zip(owners, outcomes, strict=True):
            d.kpis.append(o.kpis)
        self.used += len(tasks)
        if not self.checked_kpis:
            self._check_kpis(outcomes[0].kpis)

    def _check_kpis(self, kpis: Mapping[str, float]) -> None:
        self.checked_kpis = True
        where = {o.kpi: "objective" for o in self.spec.objectives}
        for i, c in enumerate(self.spec.constraints):
            for k in c.needed_kpis():
                where.setdefault(k, f"constraints[{i}]")
        missing = [k for k in where if k not in kpis]
        if missing:
            raise ScenarioError([Problem(where[k], f"no KPI {k!r} in the runs"
                                         + suggest(k, list(kpis))) for k in missing])

    def decide(self, designs: list[_Design], alpha: float) -> None:
        """Decide each design's feasibility: an early look, then Stein's second stage.

        Each constraint gets two looks at error ``alpha / 2`` each: a one-sided t test on the
        first stage (which settles designs far from the bound at once), then, for the
        constraints it left open, Stein's second stage.
        """
        spec = self.spec
        if not spec.constraints:
            for d in designs:
                d.decision = "feasible"
            return
        n0, half = spec.first_replications, alpha / 2.0
        wants, early = [], {}
        for d in designs:
            first = d.frame().iloc[:n0]
            looks = [feasibility(c.observations(first)[0], math.inf, half)
                     for c in spec.constraints]
            d.needed = n0
            if "infeasible" in looks or all(v == "feasible" for v in looks):
                d.decision = "infeasible" if "infeasible" in looks else "feasible"
                continue
            for c, v in zip(spec.constraints, looks, strict=True):
                if v == "undecided":
                    y, tol = c.observations(first)
                    s0 = float(np.nanstd(y, ddof=1)) if np.isfinite(y).sum() > 1 else 0.0
                    d.needed = max(d.needed, stein_replications(s0, tol, n0, half))
            early[d.name] = looks
            wants.append((d, min(d.needed, spec.max_replications)))
        self.extend(wants)
        for d, _ in wants:
            frame = d.frame()
            verdicts = [v if v != "undecided" else
                        feasibility(c.observations(frame)[0], d.needed, half)
                        for c, v in zip(spec.constraints, early[d.name], strict=True)]
            d.decision = ("infeasible" if "infeasible" in verdicts else
                          "undecided" if "undecided" in verdicts else "feasible")


def _designs(spec: OptimisationSpec) -> list[_Design]:
    out, problems = [], []
    for combo in itertools.product(*spec.decisions.values()):
        values = dict(zip(spec.decisions, combo, strict=True))
        name = point_name(values)
        try:
            out.append(_Design(name, values, spec.scenario.with_changes(values)))
        except ScenarioError as err:
            problems += [Problem(f"decisions.{p.path}" if p.path in spec.decisions else p.path,
                                 f"{p.message} (at {name})", keys=("decisions",))
                         for p in err.problems]
    if problems:
        seen: dict[tuple[str, str], Problem] = {}
        for p in problems:
            seen.setdefault((p.path, p.message), p)
        raise ScenarioError(list(seen.values()))
    return out


def _mean(d: _Design, kpi: str, first: int | None = None) -> float:
    vals = [k.get(kpi, math.nan) for k in d.kpis[:first]]
    return float(np.nanmean(vals)) if vals and not np.all(np.isnan(vals)) else math.nan


def _bisection(search: _Search, designs: list[_Design], alpha: float) -> str | None:
    spec = search.spec
    lo, hi, best = 0, len(designs) - 1, None
    while lo <= hi and not search.out_of_budget():
        mid = (lo + hi) // 2
        search.extend([(designs[mid], spec.first_replications)])
        search.decide([designs[mid]], alpha)
        if designs[mid].decision == "feasible":
            best, hi = mid, mid - 1
        else:
            lo = mid + 1
    return designs[best].name if best is not None else None


def _scan(search: _Search, designs: list[_Design], alpha: float, batch: int) -> str | None:
    """Cheapest first: one replication of every design orders them by the objective.

    Replication 0 of every design gives its objective; designs are then checked in that order
    (first stage, Stein's second stage, decision), a batch at a time, until one is declared
    feasible and the next ones cost more than it plus ``objective_tolerance``. If the
    objective turns out to vary between replications, every design is checked instead and
    the best mean among the feasible ones is chosen.
    """
    spec = search.spec
    obj = spec.objectives[0]
    search.extend([(designs[0], 1)])
    search.extend([(d, 1) for d in designs[1:]])
    key = {d.name: obj.signed(_mean(d, obj.kpi)) for d in designs}
    order = sorted(designs, key=lambda d: (math.isnan(key[d.name]), key[d.name]))
    chosen, limit, noisy = None, math.inf, False
    i = 0
    while i < len(order) and not search.out_of_budget():
        group = [d for d in order[i:i + batch] if key[d.name] <= limit]
        if not group:
            break
        search.extend([(d, spec.first_replications) for d in group])
        if any(np.nanstd([k[obj.kpi] for k in d.kpis]) > 0 for d in group):
            noisy = True
            break
        search.decide(group, alpha)
        i += len(group)
        for d in group:
            if chosen is None and d.decision == "feasible":
                chosen = d.name
                limit = key[d.name] + spec.objective_tolerance * abs(key[d.name])
    if noisy and not search.out_of_budget():
        search.extend([(d, spec.first_replications) for d in designs])
        search.decide([d for d in designs if d.decision == "not checked"], alpha)
        feasible = [d for d in designs if d.decision == "feasible"]
        chosen = min(feasible, key=lambda d: obj.signed(_mean(d, obj.kpi))).name \
            if feasible else None
    return chosen


def _runner_ups(spec: OptimisationSpec, designs: list[_Design], chosen: str | None,
                alpha: float) -> list[str]:
    if chosen is None or len(spec.objectives) != 1:
        return []
    obj = spec.objectives[0]
    by = {d.name: d for d in designs}
    best = by[chosen]
    base = np.array([k[obj.kpi] for k in best.kpis], dtype=float)
    out = []
    for d in designs:
        if d.name == chosen or d.decision != "feasible":
            continue
        vals = np.array([k[obj.kpi] for k in d.kpis], dtype=float)
        n = min(vals.size, base.size)
        diff = obj.signed(1.0) * (vals[:n] - base[:n])  # > 0: worse than the chosen
        tol = spec.objective_tolerance * abs(float(np.nanmean(base)))
        if np.nanstd(diff) == 0 or n < 2:
            worse = float(np.nanmean(diff)) > tol
        else:
            low = float(np.nanmean(diff)) - float(_st.t.ppf(1 - alpha, n - 1)) * float(
                np.nanstd(diff, ddof=1)) / math.sqrt(n)
            worse = low > tol
        if not worse:
            out.append(d.name)
    return sorted(out, key=lambda name: obj.signed(_mean(by[name], obj.kpi)))


def optimise(scenario: Scenario | str | Path | OptimisationSpec,
             decisions: Mapping[str, Any] | None = None, objective: Any = None,
             constraints: Sequence[Any] = (), *, confidence: float = 0.95,
             first_replications: int = 10, max_replications: int = 40,
             budget_replications: int | None = None, budget_seconds: float | None = None,
             seed: int | None = None, monotone: bool = False, method: str = "auto",
             objective_tolerance: float = 0.05, name: str | None = None, workers: int = 1,
             executor: str | Any | None = None, address: str | None = None,
             progress: Any = None) -> Optimisation:
    """Find the best design on a grid whose constraints hold with a stated confidence.

    Parameters
    ----------
    scenario : Scenario, str, Path or OptimisationSpec
        The scenario to vary, or a whole problem (a spec file's path ending in ``.yaml`` is
        a scenario; load a spec with :func:`corridor_sim.optimise_spec.load_spec`).
    decisions : dict of str to list or str
        Dotted setting path (as for :meth:`Scenario.with_changes`) → candidate values, a list
        or an integer range ``"a..b"`` / ``"a..b by s"``. Every combination is a design.
    objective : str, dict or list
        KPI to minimise (``{kpi: K, sense: max}`` to maximise); two give a Pareto front.
    constraints : list of str or dict
        ``"KPI <= value"``, ``"KPI >= value"`` or ``{kpi, max|min, tolerance}`` (see
        :class:`corridor_sim.optimise_spec.Constraint`).
    confidence : float, default 0.95
        Probability that every feasibility decision outside the indifference zones is right.
    first_replications : int, default 10
        First-stage replications of each design.
    max_replications : int, default 40
        Most replications of one design.
    budget_replications : int, optional
        Most replications in all; the search stops when it is spent.
    budget_seconds : float, optional
        Stop starting batches after this many seconds (the result then depends on speed).
    seed : int, optional
        Base seed of every design (common random numbers); default the scenario's.
    monotone : bool, default False
        More of each decision (later in its list) never hurts a constraint and costs more.
    method : {"auto", "scan", "bisection", "all"}, default "auto"
        ``"bisection"`` for one monotone decision (``auto`` picks it then), ``"scan"`` checks
        designs cheapest first, ``"all"`` checks every design (``auto`` with two objectives).
    objective_tolerance : float, default 0.05
        Runner-ups may be worse than the chosen by this share of its objective.
    name : str, optional
    workers, executor, address, progress
        As for :func:`corridor_sim.run`.

    Returns
    -------
    Optimisation

    Raises
    ------
    ScenarioError
        For an invalid problem (every problem at once) or a KPI that the runs lack.

    Examples
    --------
    >>> import corridor_sim as cs
    >>> sc = cs.bundled("single_checkpoint").with_changes({"horizon_days": 12,
    ...                                                    "warmup_days": 2})
    >>> opt = cs.optimise(sc, {"nodes.border.lanes.general": "4..7"},
    ...                   objective="border.utilisation", constraints=[], progress=False,
    ...                   first_replications=3, objective_tolerance=0.0)
    >>> opt.chosen
    'nodes.border.lanes.general=7'
    """
    from .executors import executor_session
    from .experiment import _as_scenario

    if isinstance(scenario, OptimisationSpec):
        spec = scenario
    else:
        spec = make_spec(_as_scenario(scenario), decisions or {}, objective, constraints,
                         confidence=confidence, first_replications=first_replications,
                         max_replications=max_replications,
                         budget_replications=budget_replications,
                         budget_seconds=budget_seconds,
                         seed=seed if seed is not None else _as_scenario(scenario).seed,
                         monotone=monotone, method=method,
                         objective_tolerance=objective_tolerance, name=name)
    designs = _designs(spec)
    m = max(len(spec.constraints), 1)
    alpha = (1.0 - spec.confidence) / (len(designs) * m)
    method = spec.method
    if method == "auto":
        method = ("all" if len(spec.objectives) == 2 else
                  "bisection" if spec.monotone and len(spec.decisions) == 1 else "scan")
    started = time.perf_counter()
    with executor_session(executor, workers=workers, address=address) as run_tasks:
        search = _Search(spec, run_tasks, progress)
        if method == "bisection":
            chosen = _bisection(search, designs, alpha)
        elif method == "scan":
            chosen = _scan(search, designs, alpha, batch=max(workers, 2))
        else:
            search.extend([(designs[0], spec.first_replications)])
            search.extend([(d, spec.first_replications) for d in designs[1:]])
            search.decide(designs, alpha)
            feasible = [d for d in designs if d.decision == "feasible"]
            obj = spec.objectives[0]
            chosen = min(feasible, key=lambda d: obj.signed(_mean(d, obj.kpi))).name \
                if feasible else None
    runner_ups = _runner_ups(spec, designs, chosen, alpha)
    return Optimisation(spec, designs, chosen, runner_ups, alpha, search.stopped,
                        time.perf_counter() - started)


def optimise_file(path: str | Path, **kwargs: Any) -> Optimisation:
    """Solve the problem of a spec file (see :mod:`corridor_sim.optimise_spec`).

    Parameters
    ----------
    path : str or Path
    **kwargs
        ``workers``, ``executor``, ``address``, ``progress``.

    Returns
    -------
    Optimisation
    """
    return optimise(load_spec(path), **kwargs)

