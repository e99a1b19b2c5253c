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
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .errors import Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .scenario.schema import Demand, Link, Scenario

__all__ = ["MAX_DEPARTURES", "MAX_EVENTS", "WARN_EVENTS", "Estimate", "ScenarioWarning",
           "estimate", "estimate_problems", "result_warnings", "scenario_warnings", "warn"]

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
    from .network import Network
    from .scenario.schema import FACILITY_KINDS

    net = Network(scenario)
    out = Estimate()
    for flow in scenario.demand:
        n = flow.expected_shipments(scenario.horizon_hours)
        route = net.flow_route(flow)
        stops = sum(scenario.nodes[v].kind in FACILITY_KINDS for v in route.nodes) if route else 0
        out.shipments += n
        out.visits += n * stops
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


# --------------------------------------------------------------------------- up-front warnings


@dataclass
class _Load:
    """Mean load of one facility stage: vehicles and the work they bring [h per day]."""

    vehicles: float = 0.0
    work_hours: float = 0.0
    general_work_hours: float = 0.0
    shipments: float = 0.0


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
    stats = _CalendarStats(scenario)
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
    est = estimate(scenario)
    if est.events > WARN_EVENTS:
        minutes = est.events / _EVENTS_PER_SECOND / 60.0
        out.append(f"one replication takes about {est.events:,.0f} simulation events (roughly "
                   f"{minutes:,.0f} min of CPU and {est.memory_bytes / 1e9:,.1f} GB of records, "
                   f"times {scenario.replications} replications); shorten horizon_days or "
                   "lower the demand for a quicker look")
    return out


class _CalendarStats:
    """Open time of each calendar over a year from the start (or the horizon, if longer).

    Gives the share of the time open, the share of days with any opening, and openings a day.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._cache: dict[str, tuple[float, float, float]] = {}

    def __call__(self, name: str) -> tuple[float, float, float]:
        if name not in self._cache:
            from .engine.calendar import OperatingCalendar

            sc = self.scenario
            span = max(sc.horizon_hours, 365 * 24.0)
            cal = OperatingCalendar(sc.calendars[name], sc.start_utc, span)
            share = cal.open_hours(0.0, span) / span
            days = int(math.ceil(span / 24.0))
            open_days = sum(cal.open_hours(24.0 * d, min(24.0 * (d + 1), span)) > 0
                            for d in range(days)) / max(days, 1)
            starts = 0 if cal.always_open else int(((cal.starts < span) & (cal.ends > 0)).sum())
            self._cache[name] = (share, open_days, starts / (span / 24.0))
        return self._cache[name]

    def open_in_horizon(self, name: str) -> bool:
        """Whether the calendar opens at all within the scenario's horizon."""
        from .engine.calendar import OperatingCalendar

        sc = self.scenario
        cal = OperatingCalendar(sc.calendars[name], sc.start_utc, sc.horizon_hours)
        return cal.open_hours(0.0, sc.horizon_hours) > 0


def _limit(value: object) -> float | None:
    """A daily limit as one number: the int, or the largest step of a dated schedule."""
    if value is None:
        return None
    if isinstance(value, int):
        return float(value)
    return float(max(step.per_day for step in value))


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


def _vehicles(link: Link | None, shipments: float, units: float, con: object = None) -> float:
    """Mean vehicles per day that carry ``shipments`` (``units``) per day over a link."""
    if con is not None:  # a consolidator's block trains
        cap, wait = con.train_capacity_teu, con.max_wait_hours
        full = units / cap
        return max(full, min(shipments, 24.0 / wait)) if wait else full
    if link is None or link.capacity is None:
        return shipments  # each shipment its own vehicle (truck)
    full = units / link.capacity
    if link.dispatch == "when_full":
        v = max(full, min(shipments, 24.0 / link.max_wait_hours)) if link.max_wait_hours else full
    else:
        d = link.departures.per_day
        v = max(full, d * (1.0 - math.exp(-shipments / d))) if d > 0 else 0.0
    if link.max_vehicles_per_day is not None:
        v = min(v, float(link.max_vehicles_per_day))
    return v


def _busiest_year_per_day(flow: Demand, horizon_hours: float) -> float:
    """Mean shipments a day of a flow over its busiest year within the horizon.

    Without growth, ``shipments_per_day``. With ``growth_per_year`` the volume is monotone, so
    the busiest year-long window (or the whole horizon, if shorter) is the first or the last.
    """
    if not flow.growth_per_year:
        return flow.shipments_per_day
    window = min(horizon_hours, 365.0 * 24.0)
    return max(flow.expected_shipments(window),
               flow.expected_shipments(horizon_hours, horizon_hours - window)) / (window / 24.0)


def _load_warnings(scenario: Scenario, stats: _CalendarStats) -> list[str]:
    from .network import Network
    from .scenario.schema import FACILITY_KINDS

    net = Network(scenario)
    # Per directed link / consolidating node: shipments and units per day, by flow.
    groups: dict[tuple, list[tuple[int, float, float]]] = defaultdict(list)
    routes = {}
    for f, flow in enumerate(scenario.demand):
        route = net.flow_route(flow)
        if route is None:
            continue
        routes[f] = route
        s = _busiest_year_per_day(flow, scenario.horizon_hours)
        u = s * flow.units_per_shipment
        group: tuple = ("own", f)
        hops = list(zip(route.nodes, route.nodes[1:], route.modes, strict=False))
        for k, (a, b, mode) in enumerate(hops):
            link = net.graph[a][b][mode]["link"]
            if link.capacity is not None:
                group = ("link", a, b, mode)
            elif mode == "road":
                group = ("own", f)  # trucks: one shipment each
            con = getattr(scenario.nodes[a], "consolidation", None)
            if k > 0 and con is not None and con.enabled:
                group = ("con", a, b, mode)
            groups[group].append((f, s, u))
            routes[(f, b)] = group
    out: list[str] = []
    group_vehicles: dict[tuple, float] = {}
    for key, members in groups.items():
        if key[0] in ("link", "con"):
            s = sum(m[1] for m in members)
            u = sum(m[2] for m in members)
            _, a, b, mode = key
            link = net.graph[a][b][mode]["link"]
            con = scenario.nodes[a].consolidation if key[0] == "con" else None
            group_vehicles[key] = _vehicles(None if con else link, s, u, con)
            if key[0] == "link" and link.capacity is not None:
                out += _link_warning(scenario, link, a, b, u)
    clear: dict[tuple[str, str], _Load] = defaultdict(_Load)  # (node, own direction or "")
    stages: dict[str, _Load] = defaultdict(_Load)
    regauge: dict[str, _Load] = defaultdict(_Load)
    for f, flow in enumerate(scenario.demand):
        if f not in routes:
            continue
        route = routes[f]
        com = scenario.commodities[flow.commodity]
        s = _busiest_year_per_day(flow, scenario.horizon_hours)
        u = s * flow.units_per_shipment
        precleared = False
        for k, b in enumerate(route.nodes[1:], 1):
            node = scenario.nodes[b]
            if node.kind not in FACILITY_KINDS:
                continue
            group = routes[(f, b)]
            if group[0] == "own":
                v = s
            else:
                members = groups[group]
                total = sum(m[2] for m in members) or 1.0
                v = group_vehicles[group] * u / total
            per_vehicle = 0.0
            st = node.service_time
            pre = getattr(node, "precleared_service_time", None)
            if precleared and pre is not None:
                st = pre
            if st is not None:
                per_vehicle += st.mean
            if node.inspection is not None:
                per_vehicle += node.inspection.probability * node.inspection.time.mean
            ins = com.inspection
            if ins is not None and (ins.at is None and node.kind == "checkpoint"
                                    or ins.at is not None and b in ins.at):
                per_vehicle += ins.probability * ins.time.mean
            a, mode = route.nodes[k - 1], route.modes[k - 1]
            d = (node.directions or {}).get(a)
            load = clear[(b, a if d is not None and d.pool == "own" else "")]
            load.vehicles += v
            load.shipments += s
            load.work_hours += v * per_vehicle
            if not com.green_corridor:
                load.general_work_hours += v * per_vehicle
            stages[b].vehicles += v
            stages[b].shipments += s
            if net.graph[a][b][mode]["link"].break_of_gauge:
                regauge[b].vehicles += v
                regauge[b].shipments += s
            if node.kind == "dry_port":
                precleared = True
    for name, load in stages.items():
        pools = {pool: ld for (n, pool), ld in clear.items() if n == name}
        out += _stage_warnings(scenario, name, pools, load, regauge.get(name), stats)
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


def _stage_warnings(scenario: Scenario, name: str, pools: dict[str, _Load], load: _Load,
                    regauge: _Load | None, stats: _CalendarStats) -> list[str]:
    """Utilisation of each stage of a facility from its mean load; a warning at ≥ 1.

    Clearance is judged per pool of lanes: the node's shared lanes, and the lanes of each
    direction that has its own (``directions: {from_node: {pool: own, …}}``), each with its
    calendar and daily limit. A server busy at closing time finishes its vehicle, so each
    opening window of the calendar adds about one mean service time of work per server to
    the open hours.
    """
    node = scenario.nodes[name]
    rhos: list[tuple[str, float, float]] = []  # (what, utilisation, vehicles a day)
    share, days_open, windows = stats(node.calendar)

    def rho(servers: int, vehicles: float, per_vehicle: float,
            cal: tuple[float, float, float] = (share, days_open, windows)) -> float:
        if cal[0] <= 0:
            return 0.0  # never open: warned on its own
        if servers <= 0:
            return math.inf
        return vehicles * per_vehicle / (servers * (24.0 * cal[0] + cal[2] * per_vehicle))

    for pool, ld in pools.items():
        d = (node.directions or {}).get(pool) if pool else None
        lanes = d.lanes if d is not None else node.lanes
        cal = stats(d.calendar or node.calendar) if d is not None else (share, days_open,
                                                                         windows)
        what = f"lanes of the direction from {pool}" if pool else "lanes"
        quota = _limit(d.max_vehicles_per_day) if d is not None else None
        if quota is None:
            quota = _limit(node.max_vehicles_per_day)
        if node.service_time is None or ld.vehicles <= 0 or not node.directions and \
                lanes.general + lanes.green == 0:  # no lanes at all: warned on its own
            continue
        per = ld.work_hours / ld.vehicles
        servers = lanes.general + lanes.green
        rhos.append((f"{what} ({servers})", rho(servers, ld.vehicles, per, cal), ld.vehicles))
        if ld.general_work_hours:
            rhos.append((f"general {what} ({lanes.general})",
                         rho(lanes.general, ld.general_work_hours / per, per, cal),
                         ld.general_work_hours / per))
        if quota is not None and cal[1] > 0:
            rhos.append((f"daily limit of {what} ({quota:g} vehicles)",
                         ld.vehicles / (quota * cal[1]), ld.vehicles))
    if node.handling is not None and load.vehicles > 0:
        per = node.handling.hours(max(1, round(load.shipments / load.vehicles)))
        rhos.append((f"handling tracks ({node.handling.tracks})",
                     rho(node.handling.tracks, load.vehicles, per), load.vehicles))
    trans = getattr(node, "transshipment", None)
    if trans is not None and regauge is not None and regauge.vehicles > 0:
        per = trans.hours(max(1, round(regauge.shipments / regauge.vehicles)))
        rhos.append((f"transshipment tracks ({trans.tracks})",
                     rho(trans.tracks, regauge.vehicles, per), regauge.vehicles))
    transload = getattr(node, "transload", None)
    if transload is not None and transload.bays is not None:
        rhos.append((f"trans-loading bays ({transload.bays})",
                     rho(transload.bays, load.vehicles, transload.time.mean), load.vehicles))
    out = []
    worst = max(rhos, key=lambda r: r[1], default=None)
    if worst is not None and worst[1] >= 1.0:
        if math.isinf(worst[1]):
            out.append(f"{name}: no {worst[0].split(' (')[0]} for the demand routed through "
                       f"it ({worst[2]:,.1f} vehicles/day); nothing can be cleared there")
        else:
            out.append(f"{name}: overloaded — {worst[0]} at utilisation {worst[1]:.2f} from "
                       f"the mean demand routed through it ({worst[2]:,.1f} vehicles/day, "
                       f"open {share:.0%} of the time over a year); the queue grows without "
                       "bound and most KPIs describe a backlog, not a steady state")
    return out


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
    from .network import Network

    net = Network(scenario)
    out = []
    for flow in scenario.demand:
        col = f"{flow.key}.lead_time_hours.mean"
        if col not in kpis.columns or not kpis[col].isna().all() or flow.shipments_per_day <= 0:
            continue
        route = net.flow_route(flow)
        barred = scenario.commodities[flow.commodity].barred_at
        if route is not None and set(route.nodes) & set(barred):
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
