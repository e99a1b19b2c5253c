"""Congestion feedback: route shares fitted to simulated waits (``assignment: equilibrium``).

The fixed assignment (:func:`corridor_sim.choice.assign`) prices routes with waits estimated
from loads. With ``routing.assignment: equilibrium`` the model instead repeats, by the method
of successive averages (MSA):

1. simulate ``equilibrium.replications`` replications with the current shares, on seeds of
   their own (the base seed plus ``seed_offset``), never the seeds of the evaluation;
2. measure each facility's wait: the mean wait before service (per direction where vehicles
   arrive from several nodes), plus the time spent there beyond the mean service (later
   stages, blocking by a full space downstream); a facility no vehicle visited keeps the
   wait estimated from its current load (a route nobody takes is priced as it is now);
3. price every candidate with those waits and find the target shares (all to the cheapest for
   ``best``; the logit split for ``logit``);
4. move the shares a step ``1/(n+1)`` towards the target.

It stops when the **relative gap** — the extra cost of the shares taken over the cheapest
routes, ``Σ_f v_f Σ_r s_r (c_r − c_f,min) / Σ_f v_f c_f,min`` with ``v_f`` the flow's units a
day — falls to ``equilibrium.gap``, or after ``max_iterations``. For logit the gap is measured
against the logit shares instead (the distance of a stochastic equilibrium). The shares found
are written into the scenario as each flow's ``split`` and the assignment set to ``fixed``, so
the run folder's ``scenario.yaml`` reruns them without refitting; ``routing.fitted`` records
the gap, the iterations and the replications.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .choice import Assignment, assign, logit_shares

if TYPE_CHECKING:  # pragma: no cover
    from .scenario.schema import Scenario

__all__ = ["EquilibriumFit", "fit_equilibrium", "measured_waits", "relative_gap"]


@dataclass(frozen=True)
class EquilibriumFit:
    """The outcome of an equilibrium fit.

    Attributes
    ----------
    scenario : Scenario
        The scenario with the fitted shares as ``split`` on every flow with a choice, and
        ``routing.assignment: fixed``.
    gap : float
        Relative gap at the end.
    iterations : int
        Rounds simulated.
    converged : bool
        Whether the gap reached ``equilibrium.gap``.
    history : list of dict
        Per round: ``iteration``, ``gap`` and the shares (flow key → route label → share).
    """

    scenario: Scenario
    gap: float
    iterations: int
    converged: bool
    history: list[dict[str, Any]]


def measured_waits(scenario: Scenario, kpis: dict[str, float]) -> dict[str, float]:
    """Each facility's simulated wait [h] from mean KPIs, in the keys route pricing reads.

    Parameters
    ----------
    scenario : Scenario
    kpis : dict of str to float
        KPI means over replications (``NODE.wait_hours.mean``, ``NODE.dwell_hours.mean``,
        ``NODE.from[PREV].wait_hours.mean``).

    Returns
    -------
    dict of str to float
        ``NODE`` and ``NODE.from[PREV]`` → hours; facilities no vehicle visited are left out
        (their estimate from loads stands).
    """
    from .network import node_service_hours

    out: dict[str, float] = {}
    for name in scenario.nodes:
        wait = kpis.get(f"{name}.wait_hours.mean", math.nan)
        if not math.isfinite(wait):
            continue
        dwell = kpis.get(f"{name}.dwell_hours.mean", math.nan)
        later = dwell - wait - node_service_hours(scenario, name) if math.isfinite(dwell) else 0
        later = max(later, 0.0)
        out[name] = wait + later
        prefix = f"{name}.from["
        for key, value in kpis.items():
            if key.startswith(prefix) and key.endswith("].wait_hours.mean") and \
                    math.isfinite(value):
                out[key[: -len(".wait_hours.mean")]] = value + later
    return out


def _volumes(scenario: Scenario) -> list[float]:
    return [f.shipments_per_day * f.units_per_shipment for f in scenario.demand]


def relative_gap(scenario: Scenario, assignment: Assignment,
                 shares: dict[int, np.ndarray]) -> float:
    """Relative gap of ``shares`` against the costs in ``assignment`` (see the module notes).

    Parameters
    ----------
    scenario : Scenario
    assignment : Assignment
        Candidates priced at the current waits (options in their stable order).
    shares : dict of int to numpy.ndarray
        Flow index → current share of each option.

    Returns
    -------
    float
    """
    volume = _volumes(scenario)
    extra = base = 0.0
    for f, s in shares.items():
        fc = assignment.flows[f]
        costs = np.array([o.cost for o in fc.options])
        if fc.method == "logit" and fc.scale is not None:
            target = logit_shares(costs, fc.scale)
            extra += volume[f] * float(np.abs(s - target).sum()) / 2 * float(costs.min())
        else:
            extra += volume[f] * float(np.dot(s, costs - costs.min()))
        base += volume[f] * float(costs.min())
    return extra / base if base > 0 else 0.0


def _target(fc, costs: np.ndarray) -> np.ndarray:  # noqa: ANN001 - FlowChoice
    if fc.method == "logit" and fc.scale is not None:
        return logit_shares(costs, fc.scale)
    t = np.zeros(costs.size)
    t[int(np.argmin(costs))] = 1.0
    return t


def _with_shares(scenario: Scenario, base: Assignment, shares: dict[int, np.ndarray],
                 fitted: dict[str, float] | None = None) -> Scenario:
    from .choice import MIN_SHARE

    changes: dict[str, Any] = {"routing.assignment": "fixed"}
    for f, s in shares.items():
        kept = np.where(s < MIN_SHARE, 0.0, s)
        kept = kept / kept.sum()
        changes[f"demand[{f}].split"] = [
            {"route": list(o.route.nodes), "modes": list(o.route.modes),
             "share": float(round(v, 6))}
            for o, v in zip(base.flows[f].options, kept, strict=True) if v > 0]
    # Shares rounded to 6 places must still sum to 1.
    for f in shares:
        parts = changes[f"demand[{f}].split"]
        parts[0]["share"] = float(round(1.0 - sum(p["share"] for p in parts[1:]), 6))
        changes[f"demand[{f}].via"] = None
        changes[f"demand[{f}].route"] = None
    if fitted is not None:
        changes["routing.fitted"] = fitted
    return scenario.with_changes(changes)


def fit_equilibrium(scenario: Scenario, run_tasks: Callable, seed: int | None = None,
                    report: Callable[[int, int], None] | None = None) -> EquilibriumFit:
    """Fit route shares to simulated waits by the method of successive averages.

    Parameters
    ----------
    scenario : Scenario
        With ``routing.assignment: equilibrium``.
    run_tasks : callable
        Runs replication tasks (an executor session's runner, as in
        :func:`corridor_sim.experiment.run`).
    seed : int, optional
        Base seed of the evaluation; the fit uses ``seed + equilibrium.seed_offset``.
    report : callable, optional
        Progress callback ``(done, total)``.

    Returns
    -------
    EquilibriumFit
    """
    from .experiment import replication_tasks
    from .results import Results

    eq = scenario.routing.equilibrium
    seed = scenario.seed if seed is None else seed
    fit_seed = seed + eq.seed_offset
    base = assign(scenario)
    shares = {fc.index: np.array([o.share for o in fc.options]) for fc in base.flows
              if len(fc.options) > 1 and fc.method in ("best", "logit", "via")}
    history: list[dict[str, Any]] = []
    if not shares:
        fitted = {"gap": 0.0, "iterations": 0.0, "replications": float(eq.replications)}
        sc = scenario.with_changes({"routing.assignment": "fixed", "routing.fitted": fitted})
        return EquilibriumFit(sc, 0.0, 0, True, history)
    gap = math.inf
    n = 0
    for n in range(1, eq.max_iterations + 1):
        current = _with_shares(scenario, base, shares)
        tasks = replication_tasks(current, eq.replications, fit_seed, "none")
        res = Results.combine(current, run_tasks(tasks, report))
        means = res.kpis.mean(numeric_only=True).to_dict()
        # Facilities no vehicle visited keep the estimate at the current loads (an unused
        # route is priced at the wait it has now, as Wardrop's principle asks).
        waits = {**assign(current).waits, **measured_waits(scenario, means)}
        priced = assign(scenario, waits=waits)
        gap = relative_gap(scenario, priced, shares)
        history.append({"iteration": n, "gap": gap, "shares": {
            base.flows[f].key: {o.label: float(v) for o, v in zip(base.flows[f].options, s,
                                                                  strict=True)}
            for f, s in shares.items()}})
        if gap <= eq.gap:
            break
        for f in shares:
            costs = np.array([o.cost for o in priced.flows[f].options])
            shares[f] = shares[f] + (_target(priced.flows[f], costs) - shares[f]) / (n + 1)
    fitted = {"gap": float(gap), "iterations": float(n), "replications": float(eq.replications)}
    return EquilibriumFit(_with_shares(scenario, base, shares, fitted), float(gap), n,
                          gap <= eq.gap, history)
