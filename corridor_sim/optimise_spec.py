"""The capacity-planning problem: decisions, objective, constraints, budget — from code or YAML.

A spec file sits beside the scenarios::

    scenario: nur_zholy_harvest          # bundled name, or a path relative to this file
    decisions:
      nodes.nur_zholy_road.lanes.general: 6..16     # integers, both ends included
      nodes.nur_zholy_road.lanes.green: [1, 2, 3]   # or a list (any values, e.g. calendars)
    objective: cost_usd_per_year.capacity           # minimised; {kpi: K, sense: max} maximises
    constraints:
      - harvest:nur_zholy_road.wait_hours.p95 <= 4
      - {kpi: nur_zholy_road.space.full_share, max: 0.05, tolerance: 0.02}
    confidence: 0.95
    replications: {first: 10, max: 40}
    budget: {replications: 4000}
    monotone: true
    seed: 1

:func:`load_spec` turns it into the keyword arguments of :func:`corridor_sim.optimise`; the
classes here hold them, validated, with every problem reported at once and located.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import Problem, ScenarioError
from .scenario.schema import Scenario
from .windows import over_kpi, parse_window_kpi

__all__ = ["METHODS", "Constraint", "Objective", "OptimisationSpec", "bundled_specs",
           "load_spec", "make_spec", "parse_constraint", "parse_decision", "spec_path"]

METHODS = ("auto", "scan", "bisection", "all")
"""Search methods: see :func:`corridor_sim.optimise`."""

_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*(?:(?:by|step)\s+(\d+))?\s*$")
_CONSTRAINT = re.compile(r"^\s*(?P<kpi>\S+)\s*(?P<op><=|>=)\s*(?P<bound>\S+)\s*$")
MAX_DESIGNS = 10_000
"""Largest grid of designs a search accepts."""


@dataclass(frozen=True)
class Objective:
    """What the search optimises: a KPI's mean over replications.

    Attributes
    ----------
    kpi : str
        KPI name, e.g. ``"cost_usd_per_year.capacity"``.
    sense : {"min", "max"}
    """

    kpi: str
    sense: str = "min"

    def signed(self, value: float) -> float:
        """The value on the scale where smaller is better."""
        return value if self.sense == "min" else -value


@dataclass(frozen=True)
class Constraint:
    """A target on a KPI, checked with a stated confidence.

    Attributes
    ----------
    kpi : str
        KPI name. A windowed wait percentile (``WINDOW:NODE.wait_hours.p95``) is checked
        **pooled over all replications** (the share of the window's waits over ``bound``);
        any other KPI is checked on its mean over replications.
    sense : {"<=", ">="}
    bound : float
        The target, in the KPI's unit (hours for a wait).
    tolerance : float, optional
        Half-width of the indifference zone: a design whose true value is within it of the
        bound may be declared either way. In the KPI's unit for a mean; for a pooled
        percentile, a share of waits (default 0.01: between 4% and 6% of waits over the bound,
        for a p95). Default for a mean: 5% of ``|bound|`` (1e-6 if the bound is 0).
    """

    kpi: str
    sense: str
    bound: float
    tolerance: float | None = None

    @property
    def quantile(self) -> tuple[str, str, int] | None:
        """``(window, node, q)`` for a pooled windowed percentile, else None."""
        return parse_window_kpi(self.kpi)

    def text(self) -> str:
        """The constraint as written, e.g. ``"harvest:x.wait_hours.p95 <= 4"``."""
        return f"{self.kpi} {self.sense} {self.bound:g}"

    def needed_kpis(self) -> list[str]:
        """KPIs of each replication that the check reads."""
        q = self.quantile
        if q is None:
            return [self.kpi]
        return [f"{q[0]}:{q[1]}.waits", over_kpi(q[0], q[1], self.bound)]

    def observations(self, kpis: Any) -> tuple[np.ndarray, float]:
        """Per-replication values ``Y`` whose mean is ≤ 0 exactly when the target is met.

        Parameters
        ----------
        kpis : pandas.DataFrame
            KPIs per replication of one design.

        Returns
        -------
        y : numpy.ndarray
            For a mean: ``KPI − bound`` (``bound − KPI`` for ``>=``). For a pooled
            percentile ``q`` and bound ``L``: ``over_L − (1 − q/100)·waits`` (its mean ≤ 0
            ⟺ the pooled share of waits over ``L`` ≤ ``1 − q/100`` ⟺ pooled pq ≤ ``L``).
        tolerance : float
            The indifference zone on the scale of ``y``.
        """
        q = self.quantile
        sign = 1.0 if self.sense == "<=" else -1.0
        if q is None:
            y = sign * (kpis[self.kpi].to_numpy(float) - self.bound)
            tol = self.tolerance if self.tolerance is not None else (
                0.05 * abs(self.bound) if self.bound else 1e-6)
            return y, tol
        n = kpis[f"{q[0]}:{q[1]}.waits"].to_numpy(float)
        over = kpis[over_kpi(q[0], q[1], self.bound)].to_numpy(float)
        y = sign * (over - (1.0 - q[2] / 100.0) * n)
        share = self.tolerance if self.tolerance is not None else 0.01
        return y, share * max(float(np.nanmean(n)) if n.size else 1.0, 1.0)

    def estimate(self, kpis: Any) -> float:
        """Point estimate: the pooled share of waits over the bound, or the KPI's mean."""
        q = self.quantile
        if q is None:
            return float(np.nanmean(kpis[self.kpi].to_numpy(float)))
        n = kpis[f"{q[0]}:{q[1]}.waits"].to_numpy(float).sum()
        over = kpis[over_kpi(q[0], q[1], self.bound)].to_numpy(float).sum()
        return float(over / n) if n else math.nan


@dataclass
class OptimisationSpec:
    """A validated capacity-planning problem (see :func:`corridor_sim.optimise`).

    Attributes
    ----------
    scenario : Scenario
    decisions : dict of str to list
        Dotted setting path → candidate values, in the order given (for ``monotone``: from
        least to most capacity).
    objectives : list of Objective
        One, or two for a Pareto front.
    constraints : list of Constraint
    confidence : float
        Probability that every feasibility decision outside the indifference zones is right.
    first_replications, max_replications : int
        Replications of every design in the first stage, and most of one design.
    budget_replications : int or None
        Most replications in all.
    budget_seconds : float or None
        Stop starting new batches after this long (the result then depends on speed).
    seed : int
    monotone : bool
        More of every decision (later in its list) never makes a constraint worse.
    method : str
        One of :data:`METHODS`.
    objective_tolerance : float
        Relative indifference on the objective: runner-ups cost at most this much more.
    name : str
    source : str or None
        The spec file.
    """

    scenario: Scenario
    decisions: dict[str, list]
    objectives: list[Objective]
    constraints: list[Constraint] = field(default_factory=list)
    confidence: float = 0.95
    first_replications: int = 10
    max_replications: int = 40
    budget_replications: int | None = None
    budget_seconds: float | None = None
    seed: int = 1
    monotone: bool = False
    method: str = "auto"
    objective_tolerance: float = 0.05
    name: str = "optimisation"
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (what a YAML file holds), the scenario by name."""
        def obj(o: Objective) -> Any:
            return o.kpi if o.sense == "min" else {"kpi": o.kpi, "sense": o.sense}

        def con(c: Constraint) -> Any:
            out: dict[str, Any] = {"kpi": c.kpi, "max" if c.sense == "<=" else "min": c.bound}
            if c.tolerance is not None:
                out["tolerance"] = c.tolerance
            return out

        return {"name": self.name, "scenario": self.scenario.name,
                "decisions": {k: list(v) for k, v in self.decisions.items()},
                "objective": (obj(self.objectives[0]) if len(self.objectives) == 1
                              else [obj(o) for o in self.objectives]),
                "constraints": [con(c) for c in self.constraints],
                "confidence": self.confidence,
                "replications": {"first": self.first_replications,
                                 "max": self.max_replications},
                "budget": {"replications": self.budget_replications,
                           "seconds": self.budget_seconds},
                "seed": self.seed, "monotone": self.monotone, "method": self.method,
                "objective_tolerance": self.objective_tolerance}


def parse_decision(path: str, values: Any) -> tuple[list, list[Problem]]:
    """Candidate values of one decision: a list, or integers ``"a..b"`` / ``"a..b by s"``.

    Parameters
    ----------
    path : str
        The dotted setting path (for messages).
    values : list or str

    Returns
    -------
    values : list
    problems : list of Problem

    Examples
    --------
    >>> parse_decision("nodes.x.lanes.general", "2..10 by 4")[0]
    [2, 6, 10]
    """
    where = f"decisions.{path}"
    if isinstance(values, str):
        m = _RANGE.match(values)
        if m is None:
            return [], [Problem(where, f"must be a list of values or an integer range "
                                f"'a..b' (or 'a..b by s'), got {values!r}",
                                keys=("decisions", path))]
        a, b, step = int(m[1]), int(m[2]), int(m[3] or 1)
        if b < a or step < 1:
            return [], [Problem(where, f"the range {values!r} is empty",
                                keys=("decisions", path))]
        return list(range(a, b + 1, step)), []
    if isinstance(values, Sequence) and not isinstance(values, bytes) and values:
        vals = list(values)
        if len({repr(v) for v in vals}) < len(vals):
            return [], [Problem(where, f"lists a value twice: {vals!r}", keys=("decisions", path))]
        return vals, []
    return [], [Problem(where, f"needs a non-empty list of values or a range 'a..b', got "
                        f"{values!r}", keys=("decisions", path))]


def parse_constraint(item: Any, i: int) -> tuple[Constraint | None, list[Problem]]:
    """One constraint: ``"KPI <= 4"`` or ``{kpi: KPI, max: 4, tolerance: 0.5}``.

    Parameters
    ----------
    item : str, mapping or Constraint
    i : int
        Its position in the list (for messages).

    Returns
    -------
    constraint : Constraint or None
    problems : list of Problem

    Examples
    --------
    >>> parse_constraint("harvest:b.wait_hours.p95 <= 4", 0)[0]
    Constraint(kpi='harvest:b.wait_hours.p95', sense='<=', bound=4.0, tolerance=None)
    """
    where, keys = f"constraints[{i}]", ("constraints", i)
    if isinstance(item, Constraint):
        return item, []
    if isinstance(item, str):
        m = _CONSTRAINT.match(item)
        if m is None:
            return None, [Problem(where, f"must read 'KPI <= value' or 'KPI >= value', got "
                                  f"{item!r}", keys=keys)]
        kpi, op, bound = m["kpi"], m["op"], m["bound"]
        tol = None
    elif isinstance(item, Mapping):
        extra = set(item) - {"kpi", "max", "min", "tolerance"}
        if extra or "kpi" not in item or ("max" in item) == ("min" in item):
            return None, [Problem(where, "must have 'kpi' and one of 'max' or 'min' (and "
                                  f"optionally 'tolerance'), got {dict(item)!r}", keys=keys)]
        kpi, op = str(item["kpi"]), "<=" if "max" in item else ">="
        bound, tol = item["max"] if "max" in item else item["min"], item.get("tolerance")
    else:
        return None, [Problem(where, f"must be 'KPI <= value' or a mapping, got {item!r}",
                              keys=keys)]
    try:
        b = float(bound)
        t = None if tol is None else float(tol)
    except (TypeError, ValueError):
        return None, [Problem(where, f"bound and tolerance must be numbers, got {bound!r}, "
                              f"{tol!r}", keys=keys)]
    if not math.isfinite(b) or (t is not None and not (math.isfinite(t) and t > 0)):
        return None, [Problem(where, "the bound must be finite and the tolerance > 0",
                              keys=keys)]
    c = Constraint(kpi, op, b, t)
    if c.quantile is not None and c.quantile[2] >= 100:
        return None, [Problem(where, "a percentile must be below 100", keys=keys)]
    return c, []


def _objective(item: Any, where: str) -> tuple[Objective | None, list[Problem]]:
    if isinstance(item, Objective):
        return item, []
    if isinstance(item, str) and item:
        return Objective(item), []
    if isinstance(item, Mapping) and "kpi" in item and set(item) <= {"kpi", "sense"} \
            and item.get("sense", "min") in ("min", "max"):
        return Objective(str(item["kpi"]), str(item.get("sense", "min"))), []
    return None, [Problem(where, f"must be a KPI name or {{kpi: NAME, sense: min|max}}, got "
                          f"{item!r}", keys=tuple(where.replace("[", ".").rstrip("]")
                                                  .split(".")[:1]))]


def _int(value: Any, where: str, keys: tuple, low: int) -> tuple[int | None, list[Problem]]:
    if value is None:
        return None, []
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        return None, [Problem(where, f"must be an integer ≥ {low}, got {value!r}", keys=keys)]
    return value, []


def make_spec(scenario: Scenario, decisions: Mapping[str, Any], objective: Any,
              constraints: Sequence[Any] = (), **options: Any) -> OptimisationSpec:
    """Validate the arguments of :func:`corridor_sim.optimise` into an :class:`OptimisationSpec`.

    Parameters
    ----------
    scenario : Scenario
    decisions, objective, constraints
        As for :func:`corridor_sim.optimise`.
    **options
        The other fields of :class:`OptimisationSpec`.

    Returns
    -------
    OptimisationSpec

    Raises
    ------
    ScenarioError
        Every problem at once.
    """
    problems: list[Problem] = []
    if not isinstance(decisions, Mapping) or not decisions:
        raise ScenarioError([Problem("decisions", "give a mapping of setting path → values, "
                                     f"got {decisions!r}", keys=("decisions",))])
    decs = {}
    for path, values in decisions.items():
        vals, p = parse_decision(str(path), values)
        decs[str(path)] = vals
        problems += p
    items = objective if isinstance(objective, list | tuple) else [objective]
    objs = []
    for i, item in enumerate(items):
        o, p = _objective(item, "objective" if len(items) == 1 else f"objective[{i}]")
        problems += p
        if o is not None:
            objs.append(o)
    if not 1 <= len(items) <= 2:
        problems.append(Problem("objective", f"give one objective, or two for a Pareto front; "
                                f"got {len(items)}", keys=("objective",)))
    cons = []
    if isinstance(constraints, str | Mapping):
        constraints = [constraints]
    for i, item in enumerate(constraints or []):
        c, p = parse_constraint(item, i)
        problems += p
        if c is not None:
            cons.append(c)
    conf = options.get("confidence", 0.95)
    if isinstance(conf, bool) or not isinstance(conf, float | int) or not 0.5 <= conf < 1:
        problems.append(Problem("confidence", f"must be a number in [0.5, 1), got {conf!r}",
                                keys=("confidence",)))
    first, p1 = _int(options.get("first_replications", 10), "replications.first",
                     ("replications", "first"), 3)
    most, p2 = _int(options.get("max_replications", 40), "replications.max",
                    ("replications", "max"), 3)
    budget, p3 = _int(options.get("budget_replications"), "budget.replications",
                      ("budget", "replications"), 1)
    seed, p4 = _int(options.get("seed", 1), "seed", ("seed",), 0)
    problems += p1 + p2 + p3 + p4
    if first and most and most < first:
        problems.append(Problem("replications.max", f"must be ≥ replications.first ({first}), "
                                f"got {most}", keys=("replications", "max")))
    method = options.get("method", "auto")
    if method not in METHODS:
        problems.append(Problem("method", f"must be one of {', '.join(METHODS)}, got "
                                f"{method!r}", keys=("method",)))
    seconds = options.get("budget_seconds")
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int | float)
                                or seconds <= 0):
        problems.append(Problem("budget.seconds", f"must be a number > 0, got {seconds!r}",
                                keys=("budget", "seconds")))
    tol = options.get("objective_tolerance", 0.05)
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 <= tol < 1:
        problems.append(Problem("objective_tolerance", f"must be a number in [0, 1), got "
                                f"{tol!r}", keys=("objective_tolerance",)))
    size = math.prod(len(v) for v in decs.values())
    if size > MAX_DESIGNS:
        problems.append(Problem("decisions", f"{size:,} designs; at most {MAX_DESIGNS:,} "
                                "(narrow the ranges or use 'a..b by s')", keys=("decisions",)))
    if method == "bisection" and (len(decs) != 1 or len(objs) != 1):
        problems.append(Problem("method", "bisection needs one decision and one objective",
                                keys=("method",)))
    if problems:
        raise ScenarioError(problems)
    scenario, more = _with_limits(scenario, cons)
    if more:
        raise ScenarioError(more)
    return OptimisationSpec(
        scenario=scenario, decisions=decs, objectives=objs, constraints=cons,
        confidence=float(conf), first_replications=first or 10, max_replications=most or 40,
        budget_replications=budget, budget_seconds=seconds, seed=seed if seed is not None else 1,
        monotone=bool(options.get("monotone", False)), method=method,
        objective_tolerance=float(tol), name=str(options.get("name") or "optimisation"),
        source=options.get("source"))


def _with_limits(scenario: Scenario, constraints: list[Constraint]
                 ) -> tuple[Scenario, list[Problem]]:
    """Add each pooled-percentile constraint's bound to its window's ``wait_limits_hours``."""
    problems, limits = [], {}
    for i, c in enumerate(constraints):
        q = c.quantile
        if q is None:
            continue
        if q[0] not in scenario.kpi_windows:
            from .scenario.references import suggest

            problems.append(Problem(f"constraints[{i}]", f"no KPI window {q[0]!r} in scenario "
                                    f"{scenario.name!r}; declare it under kpi_windows"
                                    + suggest(q[0], list(scenario.kpi_windows)),
                                    keys=("constraints", i)))
            continue
        have = limits.setdefault(q[0], list(scenario.kpi_windows[q[0]].wait_limits_hours))
        if c.bound not in have:
            have.append(c.bound)
    if problems or not limits:
        return scenario, problems
    return scenario.with_changes({f"kpi_windows.{w}.wait_limits_hours": v
                                  for w, v in limits.items()}), []


def bundled_specs() -> list[str]:
    """Names of the specs shipped with the package (``scenarios/specs/*.yaml``).

    Returns
    -------
    list of str
    """
    from .scenario.bundled import SCENARIO_DIR

    return sorted(p.stem for p in (SCENARIO_DIR / "specs").glob("*.yaml"))


def spec_path(source: str | Path) -> Path:
    """A spec file, or the path of a bundled spec by name (e.g. ``"nur_zholy_capacity"``).

    Parameters
    ----------
    source : str or Path

    Returns
    -------
    Path

    Raises
    ------
    ScenarioError
        If it is neither a file nor a bundled spec.
    """
    from .scenario.bundled import SCENARIO_DIR

    path = Path(source)
    if path.is_file():
        return path
    named = SCENARIO_DIR / "specs" / f"{path.stem}.yaml"
    if len(path.parts) == 1 and named.is_file():
        return named
    from .scenario.references import suggest

    raise ScenarioError([Problem("", f"no spec file {str(source)!r} and no bundled spec of that "
                                 f"name; the bundled ones are {', '.join(bundled_specs())}"
                                 + suggest(path.stem, bundled_specs()))])


def load_spec(path: str | Path) -> OptimisationSpec:
    """Read and validate a spec file (see the module's description).

    Parameters
    ----------
    path : str or Path
        A spec file, or a bundled spec's name (:func:`bundled_specs`).

    Returns
    -------
    OptimisationSpec

    Raises
    ------
    ScenarioError
        Every problem, each with file, line and key path.
    """
    from .scenario.loader import _locate, _read_yaml, load_scenario

    path = spec_path(path)
    label = str(path)
    data, locs, problems = _read_yaml(path)
    if problems:
        raise ScenarioError(problems)
    allowed = {"name", "description", "scenario", "decisions", "objective", "constraints",
               "confidence", "replications", "budget", "seed", "monotone", "method",
               "objective_tolerance"}
    if not isinstance(data, dict):
        raise ScenarioError([Problem("", "a spec is a mapping with scenario, decisions, "
                                     "objective and constraints", label)])
    unknown = [Problem(k, "unknown key; expected one of " + ", ".join(sorted(allowed)),
                       keys=(k,)) for k in data if k not in allowed]
    problems = []
    for key in ("scenario", "decisions", "objective"):
        if key not in data:
            problems.append(Problem(key, "required key is missing", keys=()))
    reps = data.get("replications") or {}
    budget = data.get("budget") or {}
    for key, value in (("replications", reps), ("budget", budget)):
        if not isinstance(value, dict):
            problems.append(Problem(key, f"must be a mapping, got {value!r}", keys=(key,)))
    if problems:
        raise ScenarioError(_locate(unknown + problems, locs, label))
    ref = str(data["scenario"])
    near = path.parent / ref
    try:
        scenario = load_scenario(near if near.suffix == ".yaml" and near.is_file() else ref)
    except ScenarioError as err:
        raise ScenarioError(_locate(unknown + [
            Problem("scenario", f"cannot load {ref!r}: {p}", keys=("scenario",))
            for p in err.problems], locs, label)) from None
    try:
        spec = make_spec(
            scenario, data["decisions"], data["objective"], data.get("constraints") or [],
            confidence=data.get("confidence", 0.95),
            first_replications=reps.get("first", 10), max_replications=reps.get("max", 40),
            budget_replications=budget.get("replications"),
            budget_seconds=budget.get("seconds"), seed=data.get("seed", 1),
            monotone=data.get("monotone", False), method=data.get("method", "auto"),
            objective_tolerance=data.get("objective_tolerance", 0.05),
            name=data.get("name") or path.stem, source=label)
    except ScenarioError as err:
        raise ScenarioError(_locate(unknown + err.problems, locs, label)) from None
    if unknown:
        raise ScenarioError(_locate(unknown, locs, label))
    return spec
