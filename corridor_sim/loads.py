"""Mean loads of the corridor's facilities and links, and the waits they imply (no simulation).

Both the up-front checks (:mod:`corridor_sim.checks`: "this crossing is overloaded") and route
choice (:mod:`corridor_sim.choice`: "how long will a truck wait there?") need the same picture:
given which routes the flows take, how many vehicles a day reach each stage of each facility,
how much work they bring, and how much capacity the stage has once its calendar's closures
and its daily limits are netted out. This module computes it once, from annual (horizon)
means:

- :func:`facility_loads` adds up vehicles, shipments and work per facility stage and per pool
  of lanes (a node's shared lanes, or a direction's own), and units per link;
- :func:`stage_utilisations` turns a facility's loads into the utilisation of each stage;
- :func:`expected_waits` turns them into the expected queueing wait at each facility.

The wait of a stage with ``c`` servers is the M/M/c (Erlang C) mean wait at the stage's
utilisation ρ, which already counts only open hours; a daily limit of ``Q`` vehicles is treated
as one server with a deterministic service of ``24 / Q`` hours (M/D/1). From ρ = 0.98 on, the
wait grows as a fluid backlog would: by ``(1 − 1/ρ)·T/2`` over a horizon of ``T`` hours on top
of the wait at 0.98, so an overloaded stage is costly but finite. A calendar that closes adds
the wait of a vehicle that arrives while it is closed: ``Σ gap² / (2·span)`` over the gaps
between opening windows in a year. Finite space and blocking are not in these estimates; they
enter route choice through the simulated waits of ``assignment: equilibrium``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .stats import erlang_c_wait

if TYPE_CHECKING:  # pragma: no cover
    from .network import Route
    from .scenario.schema import Demand, Link, Scenario

__all__ = ["CalendarStats", "FacilityLoads", "Load", "Stage", "busiest_year_per_day",
           "clearance_hours", "daily_limit", "expected_waits",
           "facility_loads", "stage_utilisations", "stage_wait_hours", "vehicles_per_day"]

_FLUID_FROM = 0.98  # utilisation from which the wait grows as a fluid backlog


@dataclass
class Load:
    """Mean load of one facility stage: vehicles and the work they bring [h per day]."""

    vehicles: float = 0.0
    work_hours: float = 0.0
    general_work_hours: float = 0.0
    shipments: float = 0.0


@dataclass(frozen=True)
class Stage:
    """The utilisation of one stage of a facility.

    Attributes
    ----------
    what : str
        The stage in words, with its servers (``"lanes (4)"``).
    rho : float
        Utilisation from the mean load (``inf`` with no servers).
    vehicles : float
        Vehicles a day through it.
    servers : int
        Parallel servers; 0 for a daily limit.
    service_hours : float
        Mean work per vehicle [h]; for a daily limit, ``24 / limit``.
    pool : str or None
        For clearance: the direction with its own lanes, or ``""`` for the shared lanes;
        None for the later stages every vehicle passes.
    general : bool
        The stage counts only general (not green-corridor) traffic on the general lanes.
    """

    what: str
    rho: float
    vehicles: float
    servers: int
    service_hours: float
    pool: str | None = None
    general: bool = False


class CalendarStats:
    """Open time of each calendar over a year from the start (or the horizon, if longer).

    Calling it with a calendar's name gives the share of the time open, the share of days with
    any opening, and openings a day.

    Parameters
    ----------
    scenario : Scenario
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._cache: dict[str, tuple[float, float, float]] = {}
        self._closed: dict[str, float] = {}

    def _calendar(self, name: str, span: float):
        from .engine.calendar import OperatingCalendar

        sc = self.scenario
        return OperatingCalendar(sc.calendars[name], sc.start_utc, span)

    def _span(self) -> float:
        return max(self.scenario.horizon_hours, 365 * 24.0)

    def __call__(self, name: str) -> tuple[float, float, float]:
        """(share of the time open, share of days with an opening, openings a day)."""
        if name not in self._cache:
            span = self._span()
            cal = self._calendar(name, span)
            share = cal.open_hours(0.0, span) / span
            days = int(math.ceil(span / 24.0))
            open_days = sum(cal.open_hours(24.0 * d, min(24.0 * (d + 1), span)) > 0
                            for d in range(days)) / max(days, 1)
            starts = 0 if cal.always_open else int(((cal.starts < span) & (cal.ends > 0)).sum())
            self._cache[name] = (share, open_days, starts / (span / 24.0))
        return self._cache[name]

    def closure_wait_hours(self, name: str) -> float:
        """Mean wait of a vehicle for the calendar to open, arriving at a random time [h]."""
        if name not in self._closed:
            span = self._span()
            cal = self._calendar(name, span)
            if cal.always_open or len(cal.starts) == 0:
                self._closed[name] = 0.0 if cal.always_open else math.inf
            else:
                starts = [max(float(s), 0.0) for s in cal.starts]
                ends = [min(float(e), span) for e in cal.ends]
                gaps = [starts[0]] + [max(s - e, 0.0) for s, e in zip(starts[1:], ends[:-1],
                                                                     strict=False)]
                gaps.append(max(span - ends[-1], 0.0))
                self._closed[name] = sum(g * g for g in gaps) / (2.0 * span)
        return self._closed[name]

    def open_in_horizon(self, name: str) -> bool:
        """Whether the calendar opens at all within the scenario's horizon."""
        sc = self.scenario
        cal = self._calendar(name, sc.horizon_hours)
        return cal.open_hours(0.0, sc.horizon_hours) > 0


def daily_limit(value: object) -> float | None:
    """A daily limit as one number: the int, or the largest step of a dated schedule."""
    if value is None:
        return None
    if isinstance(value, int):
        return float(value)
    return float(max(step.per_day for step in value))


def vehicles_per_day(link: Link | None, shipments: float, units: float,
                     con: object = None) -> float:
    """Mean vehicles per day that carry ``shipments`` (``units``) per day over a link.

    Parameters
    ----------
    link : Link or None
        The link; None or without capacity: each shipment is its own vehicle (a truck).
    shipments, units : float
        Shipments and units per day.
    con : Consolidation, optional
        A consolidator whose block trains carry them instead.

    Returns
    -------
    float
    """
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


def busiest_year_per_day(flow: Demand, horizon_hours: float) -> float:
    """Mean shipments a day of a flow over its busiest year within the horizon.

    Without growth, ``shipments_per_day``. With ``growth_per_year`` the volume is monotone, so
    the busiest year-long window (or the whole horizon, if shorter) is the first or the last.

    Parameters
    ----------
    flow : Demand
    horizon_hours : float

    Returns
    -------
    float
    """
    if not flow.growth_per_year:
        return flow.shipments_per_day
    window = min(horizon_hours, 365.0 * 24.0)
    return max(flow.expected_shipments(window),
               flow.expected_shipments(horizon_hours, horizon_hours - window)) / (window / 24.0)


@dataclass
class FacilityLoads:
    """Mean daily loads of a set of routes.

    Attributes
    ----------
    clear : dict
        ``(node, pool)`` → clearance load; the pool is the direction with its own lanes, or
        ``""`` for the node's shared lanes.
    stages : dict
        Node → load of its later stages (handling, trans-loading).
    regauge : dict
        Node → load of its break-of-gauge transshipment.
    link_units : dict
        ``(from, to, mode)`` → units a day over a link with capacity.
    """

    clear: dict[tuple[str, str], Load] = field(default_factory=lambda: defaultdict(Load))
    stages: dict[str, Load] = field(default_factory=lambda: defaultdict(Load))
    regauge: dict[str, Load] = field(default_factory=lambda: defaultdict(Load))
    link_units: dict[tuple[str, str, str], float] = field(
        default_factory=lambda: defaultdict(float))


def facility_loads(scenario: Scenario, paths: Iterable[tuple[int, Route, float]]
                   ) -> FacilityLoads:
    """Vehicles, shipments and work a day at every facility stage, for flows on given routes.

    Parameters
    ----------
    scenario : Scenario
    paths : iterable of (int, Route, float)
        ``(flow index, route, share of the flow)``; a flow split over routes appears once per
        route. A flow's volume is its busiest year's within the horizon (growth).

    Returns
    -------
    FacilityLoads
    """
    from .network import link_index
    from .scenario.schema import FACILITY_KINDS

    links = link_index(scenario)
    paths = [p for p in paths if p[2] > 0]
    # Vehicles are shared by loads on the same capacity link or consolidator: group them.
    groups: dict[tuple, list[tuple[int, float, float]]] = defaultdict(list)
    group_of: dict[tuple[int, int, str], tuple] = {}
    per_day = {f: busiest_year_per_day(scenario.demand[f], scenario.horizon_hours)
               for f, _, _ in paths}
    for p, (f, route, share) in enumerate(paths):
        flow = scenario.demand[f]
        s = per_day[f] * share
        u = s * flow.units_per_shipment
        group: tuple = ("own", p)
        for k, (a, b, mode) in enumerate(zip(route.nodes, route.nodes[1:], route.modes,
                                             strict=False)):
            link = links[(a, b, mode)]
            if link.capacity is not None:
                group = ("link", a, b, mode)
            elif mode == "road":
                group = ("own", p)  # trucks: one shipment each
            con = getattr(scenario.nodes[a], "consolidation", None)
            if k > 0 and con is not None and con.enabled:
                group = ("con", a, b, mode)
            groups[group].append((p, s, u))
            group_of[(p, k, b)] = group
    out = FacilityLoads()
    group_vehicles: dict[tuple, float] = {}
    for key, members in groups.items():
        if key[0] in ("link", "con"):
            s = sum(m[1] for m in members)
            u = sum(m[2] for m in members)
            _, a, b, mode = key
            link = links[(a, b, mode)]
            con = scenario.nodes[a].consolidation if key[0] == "con" else None
            group_vehicles[key] = vehicles_per_day(None if con else link, s, u, con)
            if key[0] == "link":
                out.link_units[(a, b, mode)] += u
    for p, (f, route, share) in enumerate(paths):
        flow = scenario.demand[f]
        com = scenario.commodities[flow.commodity]
        s = per_day[f] * share
        u = s * flow.units_per_shipment
        precleared = False
        for k, b in enumerate(route.nodes[1:], 1):
            node = scenario.nodes[b]
            if node.kind not in FACILITY_KINDS:
                continue
            group = group_of[(p, k - 1, b)]
            if group[0] == "own":
                v = s
            else:
                total = sum(m[2] for m in groups[group]) or 1.0
                v = group_vehicles[group] * u / total
            per_vehicle = clearance_hours(scenario, b, flow.commodity, precleared)
            a, mode = route.nodes[k - 1], route.modes[k - 1]
            d = (node.directions or {}).get(a)
            load = out.clear[(b, a if d is not None and d.pool == "own" else "")]
            load.vehicles += v
            load.shipments += s
            load.work_hours += v * per_vehicle
            if not com.green_corridor:
                load.general_work_hours += v * per_vehicle
            out.stages[b].vehicles += v
            out.stages[b].shipments += s
            if links[(a, b, mode)].break_of_gauge:
                out.regauge[b].vehicles += v
                out.regauge[b].shipments += s
            if node.kind == "dry_port":
                precleared = True
    return out


def clearance_hours(scenario: Scenario, name: str, commodity: str, precleared: bool) -> float:
    """Mean clearance work of one vehicle at a facility [h]: service and inspections.

    Parameters
    ----------
    scenario : Scenario
    name : str
        The facility node.
    commodity : str
        What the vehicle carries (its commodity's inspection may apply here).
    precleared : bool
        A dry port cleared it earlier on its route: the node's ``precleared_service_time``
        applies where it has one.

    Returns
    -------
    float
    """
    node = scenario.nodes[name]
    hours = 0.0
    st = node.service_time
    pre = getattr(node, "precleared_service_time", None)
    if precleared and pre is not None:
        st = pre
    if st is not None:
        hours += st.mean
    if node.inspection is not None:
        hours += node.inspection.probability * node.inspection.time.mean
    ins = scenario.commodities[commodity].inspection
    if ins is not None and (ins.at is None and node.kind == "checkpoint"
                            or ins.at is not None and name in ins.at):
        hours += ins.probability * ins.time.mean
    return hours


def stage_utilisations(scenario: Scenario, name: str, loads: FacilityLoads,
                       stats: CalendarStats) -> list[Stage]:
    """Utilisation of each stage of a facility from its mean load.

    Clearance is judged per pool of lanes: the node's shared lanes, and the lanes of each
    direction that has its own (``directions: {from_node: {pool: own, …}}``), each with its
    calendar and daily limit. A server busy at closing time finishes its vehicle, so each
    opening window of the calendar adds about one mean service time of work per server to
    the open hours.

    Parameters
    ----------
    scenario : Scenario
    name : str
        A facility node.
    loads : FacilityLoads
    stats : CalendarStats

    Returns
    -------
    list of Stage
    """
    node = scenario.nodes[name]
    out: list[Stage] = []
    share, days_open, windows = stats(node.calendar)
    pools = {pool: ld for (n, pool), ld in loads.clear.items() if n == name}
    load = loads.stages.get(name, Load())
    regauge = loads.regauge.get(name)

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
        quota = daily_limit(d.max_vehicles_per_day) if d is not None else None
        if quota is None:
            quota = daily_limit(node.max_vehicles_per_day)
        if node.service_time is None or ld.vehicles <= 0 or not node.directions and \
                lanes.general + lanes.green == 0:  # no lanes at all: warned on its own
            continue
        per = ld.work_hours / ld.vehicles
        servers = lanes.general + lanes.green
        out.append(Stage(f"{what} ({servers})", rho(servers, ld.vehicles, per, cal),
                         ld.vehicles, servers, per, pool))
        if ld.general_work_hours:
            out.append(Stage(f"general {what} ({lanes.general})",
                             rho(lanes.general, ld.general_work_hours / per, per, cal),
                             ld.general_work_hours / per, lanes.general, per, pool, True))
        if quota is not None and cal[1] > 0:
            out.append(Stage(f"daily limit of {what} ({quota:g} vehicles)",
                             ld.vehicles / (quota * cal[1]), ld.vehicles, 0, 24.0 / quota,
                             pool))
    if node.handling is not None and load.vehicles > 0:
        per = node.handling.hours(max(1, round(load.shipments / load.vehicles)))
        out.append(Stage(f"handling tracks ({node.handling.tracks})",
                         rho(node.handling.tracks, load.vehicles, per), load.vehicles,
                         node.handling.tracks, per))
    trans = getattr(node, "transshipment", None)
    if trans is not None and regauge is not None and regauge.vehicles > 0:
        per = trans.hours(max(1, round(regauge.shipments / regauge.vehicles)))
        out.append(Stage(f"transshipment tracks ({trans.tracks})",
                         rho(trans.tracks, regauge.vehicles, per), regauge.vehicles,
                         trans.tracks, per))
    transload = getattr(node, "transload", None)
    if transload is not None and transload.bays is not None and load.vehicles > 0:
        out.append(Stage(f"trans-loading bays ({transload.bays})",
                         rho(transload.bays, load.vehicles, transload.time.mean),
                         load.vehicles, transload.bays, transload.time.mean))
    return out


def stage_wait_hours(stage: Stage, horizon_hours: float) -> float:
    """Expected queueing wait at one stage [h] (see the module's notes for the formulas).

    Parameters
    ----------
    stage : Stage
    horizon_hours : float
        Horizon over which an overload's backlog builds up [h].

    Returns
    -------
    float
    """
    rho = stage.rho
    if rho <= 0 or stage.vehicles <= 0:
        return 0.0
    if math.isinf(rho):
        return horizon_hours / 2.0  # nothing is ever served: half the horizon on average
    capped = min(rho, _FLUID_FROM)
    per = stage.service_hours
    if stage.servers == 0:  # a daily limit: M/D/1 with service 24 / limit
        wait = capped * per / (2.0 * (1.0 - capped))
    else:
        c = stage.servers
        wait = erlang_c_wait(capped * c / per, per, c)
    if rho > _FLUID_FROM:
        wait += max(1.0 - 1.0 / rho, 0.0) * horizon_hours / 2.0 + (rho - _FLUID_FROM) * per
    return wait


def expected_waits(scenario: Scenario, loads: FacilityLoads, stats: CalendarStats
                   ) -> dict[str, float]:
    """Expected queueing wait at every loaded facility [h]: its stages' waits and closures.

    A vehicle waits at its pool of lanes (the general lanes where the pool has them: green
    corridor vehicles are priced with the same wait), at every later stage (handling,
    transshipment, trans-loading) and, arriving while the calendar is closed, for it to open.

    Parameters
    ----------
    scenario : Scenario
    loads : FacilityLoads
    stats : CalendarStats

    Returns
    -------
    dict of str to float
        ``NODE`` → the wait of a vehicle using the node's shared lanes, and
        ``NODE.from[PREV]`` → the wait of one arriving from ``PREV`` at a direction with its
        own lanes (the names of the per-direction KPIs).
    """
    out = {}
    names = {n for n, _ in loads.clear} | set(loads.stages)
    horizon = scenario.horizon_hours
    for name in names:
        node = scenario.nodes[name]
        stages = stage_utilisations(scenario, name, loads, stats)
        later = sum(stage_wait_hours(s, horizon) for s in stages if s.pool is None)
        pools = {s.pool for s in stages if s.pool is not None} | {""}
        for pool in pools:
            mine = [s for s in stages if s.pool == pool]
            lanes = [s for s in mine if s.servers > 0]
            general = [s for s in lanes if s.general] or lanes
            wait = later + sum(stage_wait_hours(s, horizon) for s in general[:1]) + sum(
                stage_wait_hours(s, horizon) for s in mine if s.servers == 0)
            d = (node.directions or {}).get(pool) if pool else None
            closed = stats.closure_wait_hours(d.calendar if d is not None and d.calendar
                                              else node.calendar)
            wait += closed if math.isfinite(closed) else horizon / 2.0
            out[f"{name}.from[{pool}]" if pool else name] = wait
    return out
