"""Whole-scenario checks above the loader: what a run would cost, and what is plainly wrong.

Three kinds of checks, all cheap (no simulation):

- :func:`estimate_problems` — refusals: a timetable that would schedule millions of departures,
  an event count or memory the machine cannot hold. Each names the figure and the key to change;
  the loader calls it, so ``validate`` rejects whatever ``run`` would.
- :func:`scenario_warnings` — things that run but give nonsense: a facility never open within
  the horizon or with no lanes, a timetable with no departure in the horizon, a facility or
  link loaded at or beyond its capacity (annual mean load, net of closures and quotas).
- :func:`result_warnings` — after a run, from the per-replication KPI table: a flow with
  nothing delivered, lead-time KPIs censored because most shipments are still in the system.

:func:`warn` emits a list of messages as :class:`ScenarioWarning`, once each.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .choice import route_warnings
from .errors import Problem
from .loads import CalendarStats, FacilityLoads, facility_loads, stage_utilisations
from .network import link_index
from .scenario.loader import register_check

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .scenario.schema import Link, Scenario

__all__ = ["MAX_DEPARTURES", "MAX_EVENTS", "WARN_EVENTS", "Estimate", "ScenarioWarning",
           "estimate", "estimate_problems", "network_problems", "result_warnings",
           "scenario_warnings", "warn"]

MAX_DEPARTURES = 1_000_000
"""Most timetabled departures of one link in one replication."""
MAX_EVENTS = 500_000_000
"""Most simulation events one replication may be expected to take (about an hour of CPU)."""
WARN_EVENTS = 50_000_000
"""Expected events per replication above which a run warns of its cost."""
_EVENTS_PER_SECOND = 200_000  # measured on the baseline, docs/performance.md
_BYTES_PER_VISIT = 90  # recorder columns and lists, docs/performance.md
_BYTES_PER_SHIPMENT = 120
_CENSORED_SHARE = 0.5


class ScenarioWarning(UserWarning):
    """A scenario runs but something in it is plainly wrong, or a result cannot be trusted."""


def warn(messages: list[str]) -> None:
    """Emit each message once as a :class:`ScenarioWarning`.

    Parameters
    ----------
    messages : list of str
    """
    for msg in dict.fromkeys(messages):
        warnings.warn(msg, ScenarioWarning, stacklevel=2)


# --------------------------------------------------------------------------- cost estimates


@dataclass
class Estimate:
    """What one replication of a scenario is expected to cost.

    Attributes
    ----------
    shipments : float
        Shipments created.
    visits : float
        Shipment visits to facility nodes (each a recorded row).
    departures : dict of int to float
        Timetabled departures per link index (``links[i]``), both directions counted.
    events : float
        Simulation events (about 2 per shipment and per visit, 1 per departure).
    memory_bytes : float
        Memory of the replication's records [bytes].
    """

    shipments: float = 0.0
    visits: float = 0.0
    departures: dict[int, float] = field(default_factory=dict)
    events: float = 0.0
    memory_bytes: float = 0.0


def _link_departures(link: Link, horizon_hours: float) -> float:
    dep = link.departures
    if dep is None:
        return 0.0
    per_day = dep.per_day
    if link.max_vehicles_per_day is not None:
        per_day = min(per_day, float(link.max_vehicles_per_day))
    return per_day * horizon_hours / 24.0 * (2 if link.bidirectional else 1)


def estimate(scenario: Scenario) -> Estimate:
    """Expected shipments, visits, departures, events and memory of one replication.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    Estimate
    """
    from .choice import assign
    from .scenario.schema import FACILITY_KINDS

    out = Estimate()
    for flow in scenario.demand:
        out.shipments += flow.expected_shipments(scenario.horizon_hours)
    for f, route, share in assign(scenario).paths():
        n = scenario.demand[f].expected_shipments(scenario.horizon_hours) * share
        out.visits += n * sum(scenario.nodes[v].kind in FACILITY_KINDS for v in route.nodes)
    for i, link in enumerate(scenario.links):
        d = _link_departures(link, scenario.horizon_hours)
        if d:
            out.departures[i] = d
    out.events = 2 * out.shipments + 2 * out.visits + sum(out.departures.values())
    out.memory_bytes = out.visits * _BYTES_PER_VISIT + out.shipments * _BYTES_PER_SHIPMENT
    return out


def estimate_problems(scenario: Scenario) -> list[Problem]:
    """Refuse a scenario whose one replication would take too many departures or events.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    list of Problem
        Each with the figure, the limit and the key to change.
    """
    est = estimate(scenario)
    problems = []
    for i, d in est.departures.items():
        if d > MAX_DEPARTURES:
            dep = scenario.links[i].departures
            key = "every_hours" if dep.every_hours is not None else "times"
            problems.append(Problem(
                f"links[{i}].departures.{key}", f"one replication would schedule about {d:,.0f} "
                f"departures on this link, more than {MAX_DEPARTURES:,}; make the headway "
                "longer or horizon_days shorter"))
    if est.events > MAX_EVENTS and not problems:
        problems.append(Problem(
            "horizon_days", f"one replication would take about {est.events:,.0f} simulation "
            f"events (over {MAX_EVENTS:,}: hours of CPU and about "
            f"{est.memory_bytes / 1e9:,.0f} GB); shorten horizon_days or lower the demand"))
    return problems


def network_problems(scenario: Scenario) -> list[Problem]:
    """The checks that need the network: routes, then the cost estimates.

    Routes are checked by :func:`corridor_sim.choice.route_problems`; if they pass, the cost
    estimates by :func:`estimate_problems`.

    The scenario loader runs this after its own checks (it is registered with
    :func:`corridor_sim.scenario.loader.register_check`), so ``validate`` rejects whatever
    ``run`` would.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    list of Problem
    """
    from .choice import route_problems

    problems = route_problems(scenario)
    return problems or estimate_problems(scenario)


register_check(network_problems)


# --------------------------------------------------------------------------- up-front warnings


def scenario_warnings(scenario: Scenario) -> list[str]:
    """Plain-words warnings about a scenario that runs but cannot give sensible results.

    Checks every facility node (never open within the horizon; no lanes; mean load at or
    beyond its capacity) and every timetabled link (no departure within the horizon; mean load
    at or beyond what its departures carry). Loads are annual (horizon) means net of the
    calendar's closures and of daily quotas, so temporary overloads — a harvest peak, the days
    after a holiday — give no warning. A flow with ``growth_per_year`` counts at its mean over
    its busiest year within the horizon (the first or the last).

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    list of str
        One message per problem, naming the node or link.
    """
    out: list[str] = []
    horizon = scenario.horizon_hours
    stats = CalendarStats(scenario)
    for name, node in scenario.nodes.items():
        cal_name = getattr(node, "calendar", None)
        if cal_name is None:
            continue
        if not stats.open_in_horizon(cal_name):
            out.append(f"{name}: never open within the horizon (calendar {cal_name!r} has no "
                       "open hours between start and start + horizon_days); nothing passes it")
        if node.service_time is not None and not node.directions and \
                node.lanes.general + node.lanes.green == 0:
            out.append(f"{name}: no lanes (lanes.general and lanes.green are 0); nothing can "
                       "be cleared there")
    out += _shift_warnings(scenario)
    for i, link in enumerate(scenario.links):
        dep = link.departures
        if dep is not None and dep.every_hours is not None and dep.offset_hours >= horizon:
            out.append(f"links[{i}] {link.from_} → {link.to}: the first departure "
                       f"(offset_hours = {dep.offset_hours:g}) is after the horizon; nothing "
                       "leaves by it")
    out += _load_warnings(scenario, stats)
    out += route_warnings(scenario)
    est = estimate(scenario)
    if est.events > WARN_EVENTS:
        minutes = est.events / _EVENTS_PER_SECOND / 60.0
        out.append(f"one replication takes about {est.events:,.0f} simulation events (roughly "
                   f"{minutes:,.0f} min of CPU and {est.memory_bytes / 1e9:,.1f} GB of records, "
                   f"times {scenario.replications} replications); shorten horizon_days or "
                   "lower the demand for a quicker look")
    return out


def _shift_warnings(scenario: Scenario) -> list[str]:
    """A shift that opens and closes at the same clock time runs 24 hours: say so."""
    from .scenario.schema import clock_hours

    out = []
    for name, cal in scenario.calendars.items():
        for i, shift in enumerate(cal.shifts):
            if clock_hours(shift.open) == clock_hours(shift.close):
                out.append(f"calendars.{name}.shifts[{i}]: open and close are both "
                           f"{shift.open}, so the shift lasts 24 hours (to {shift.close} the "
                           "next day); if that is meant, write open: \"00:00\" and close: "
                           "\"24:00\" or always_open: true, else fix the times")
    return out


def _load_warnings(scenario: Scenario, stats: CalendarStats) -> list[str]:
    from .choice import assign

    paths = assign(scenario).paths()
    loads = facility_loads(scenario, paths)
    index = link_index(scenario)
    out: list[str] = []
    for (a, b, mode), units in loads.link_units.items():
        out += _link_warning(scenario, index[(a, b, mode)], a, b, units)
    for name in loads.stages:
        out += _stage_warnings(scenario, name, loads, stats)
    return out


def _link_warning(scenario: Scenario, link: Link, a: str, b: str, units: float) -> list[str]:
    per_day = 0.0
    if link.departures is not None and link.dispatch == "schedule":
        per_day = link.departures.per_day
    elif link.dispatch == "when_full":
        per_day = math.inf
    if link.max_vehicles_per_day is not None:
        per_day = min(per_day, float(link.max_vehicles_per_day))
    capacity = per_day * link.capacity
    if capacity <= 0 or units / capacity < 1:
        return []
    unit = "TEU" if link.capacity_unit == "teu" else "t"
    return [f"{link.mode} link {a} → {b}: overloaded — demand routed over it is "
            f"{units:,.1f} {unit}/day, its vehicles carry at most {capacity:,.1f} {unit}/day "
            f"(utilisation {units / capacity:.2f}); the backlog grows without bound"]


def _stage_warnings(scenario: Scenario, name: str, loads: FacilityLoads,
                    stats: CalendarStats) -> list[str]:
    """A warning when a stage of a facility is loaded at or beyond its capacity."""
    share = stats(scenario.nodes[name].calendar)[0]
    worst = max(stage_utilisations(scenario, name, loads, stats), key=lambda s: s.rho,
                default=None)
    if worst is None or worst.rho < 1.0:
        return []
    if math.isinf(worst.rho):
        return [f"{name}: no {worst.what.split(' (')[0]} for the demand routed through "
                f"it ({worst.vehicles:,.1f} vehicles/day); nothing can be cleared there"]
    return [f"{name}: overloaded — {worst.what} at utilisation {worst.rho:.2f} from "
            f"the mean demand routed through it ({worst.vehicles:,.1f} vehicles/day, "
            f"open {share:.0%} of the time over a year); the queue grows without "
            "bound and most KPIs describe a backlog, not a steady state"]


# --------------------------------------------------------------------------- after a run


def result_warnings(kpis: pd.DataFrame, scenario: Scenario) -> list[str]:
    """Warnings about results that cannot be read at face value.

    Parameters
    ----------
    kpis : pandas.DataFrame
        One row per replication, KPI columns as in ``Results.kpis`` (``created``,
        ``delivered``, ``in_system``, ``{flow_key}.lead_time_hours.mean``, …).
    scenario : Scenario

    Returns
    -------
    list of str
        A flow that delivered nothing after the warm-up in any replication (unless a trade
        barrier on its route turns it back, as the scenario says); lead-time KPIs
        censored because more than half the shipments created are still in the system at the
        end (the KPIs then average only the fast ones that got through).
    """
    from .choice import assign

    assignment = assign(scenario)
    out = []
    for flow, fc in zip(scenario.demand, assignment.flows, strict=True):
        col = f"{flow.key}.lead_time_hours.mean"
        if col not in kpis.columns or not kpis[col].isna().all() or flow.shipments_per_day <= 0:
            continue
        if fc.chosen and all(o.barred for o in fc.chosen):
            continue  # turned back by a trade barrier, as the scenario says (``rejected``)
        out.append(f"flow {flow.key}: nothing delivered after the warm-up in any replication; "
                   "its lead-time KPIs are empty (NaN)")
    if {"created", "in_system"} <= set(kpis.columns):
        created = float(np.nansum(kpis["created"]))
        stuck = float(np.nansum(kpis["in_system"]))
        if created > 0 and stuck / created > _CENSORED_SHARE:
            out.append(f"{stuck / created:.0%} of the shipments created are still in the system "
                       "at the end: lead-time KPIs average only those that got through and "
                       "understate the real lead time; look for an overloaded or closed node")
    return out
