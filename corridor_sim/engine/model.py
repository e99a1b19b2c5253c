"""One replication of the corridor: the graph wired into SimPy callbacks.

:func:`simulate` is the single entry point used by every executor: a pure function of
``(scenario, replication, seed)``, so that results are identical in one process, across
processes and on a Dask cluster.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Callable
from heapq import heappush
from zoneinfo import ZoneInfo

import numpy as np
import simpy

from ..choice import assign
from ..costs import cost_inputs
from ..network import Network, Route
from ..scenario.schema import (
    CheckpointNode,
    Demand,
    DryPortNode,
    FacilityNode,
    Scenario,
    TerminalNode,
)
from .calendar import OperatingCalendar
from .demand import arrival_times
from .events import NORMAL, Tick, call_later, run_until
from .facilities import Consolidator, Delay, DirectionRouter, Facility, Job, Quota, Station
from .random import Sampler, UniformSampler, stream
from .recorder import DELIVERED, Recorder, ReplicationData
from .space import Space, SpacedLink, Watchdog
from .transport import Service, Travel, departure_times

__all__ = ["CorridorModel", "simulate"]


class _Instant:
    """A zero-time step: a link of constant zero travel time or a city passed through."""

    __slots__ = ("advance",)

    def __init__(self, advance: Callable[[Job], None]) -> None:
        self.advance = advance

    def enter(self, job: Job) -> None:
        self.advance(job)


class _Deliver:
    __slots__ = ("env", "rec")

    def __init__(self, env: simpy.Environment, rec: Recorder) -> None:
        self.env, self.rec = env, rec

    def enter(self, job: Job) -> None:
        now, rec = self.env._now, self.rec
        end, status = rec.s_end, rec.s_status  # rec.delivered(sid, now), inlined
        for sid in job.sids:
            end[sid] = now
            status[sid] = DELIVERED


class _Reject:
    __slots__ = ("env", "rec", "node")

    def __init__(self, env: simpy.Environment, rec: Recorder, node: int) -> None:
        self.env, self.rec, self.node = env, rec, node

    def enter(self, job: Job) -> None:
        now = self.env.now
        if job.held is not None:  # turned back at the gate: places on the way are freed
            job.release_held()
        for sid in job.sids:
            self.rec.rejected(sid, self.node, now)


_UNLIMITED = 1 << 30
_SHARE = (0.0, 1.0)  # a shipment's pre-cleared flag (0 or 1) as its job's pre-cleared share
STALL_HOURS = 14 * 24.0
"""A full space whose vehicles have not moved for this long while open is deadlocked [h]."""
_WATCH_EVERY_HOURS = 24.0


class _Gate:
    """Entry to a link with a daily quota of vehicles (see ``Link.max_vehicles_per_day``)."""

    __slots__ = ("advance", "regauge", "station")

    def __init__(self, advance: Callable[[Job], None], regauge: bool) -> None:
        self.advance, self.regauge = advance, regauge
        self.station: Station | None = None

    def enter(self, job: Job) -> None:
        self.station.arrive(job)

    def arrived(self, job: Job) -> None:
        job.regauge = self.regauge
        self.advance(job)


class _FromNode:
    """Entry to a node with directions: marks the job with the node it arrives from."""

    __slots__ = ("facility", "came_from")

    def __init__(self, facility: Facility, came_from: int) -> None:
        self.facility, self.came_from = facility, came_from

    def enter(self, job: Job) -> None:
        job.direction = self.came_from
        self.facility.enter(job)


class CorridorModel:
    """The SimPy model of one replication of a scenario.

    Parameters
    ----------
    scenario : Scenario
    replication : int
        Replication number (0-based); selects the random streams.
    seed : int
        Base seed.
    """

    def __init__(self, scenario: Scenario, replication: int, seed: int) -> None:
        self.scenario, self.replication, self.seed = scenario, replication, seed
        self.env = simpy.Environment()
        self.rec = Recorder(scenario.warmup_hours)
        self.network = Network(scenario)
        self.node_names = list(scenario.nodes)
        self.node_index = {n: i for i, n in enumerate(self.node_names)}
        self.commodity_index = {c: i for i, c in enumerate(scenario.commodities)}
        self._pos: list[int] = []
        self._precleared = bytearray()
        self._times: list[np.ndarray] = []
        self._track_clearance = any(isinstance(n, DryPortNode) for n in scenario.nodes.values())
        self._flow_units: list[float] = []
        # units of each shipment (filled by _allocate); its __getitem__ is the ``units``
        # handed to services and consolidators: self.units without a Python call
        self._sid_units = array("d")
        self._flow_teu: list[bool] = []
        self._calendars: dict[str, OperatingCalendar] = {}
        self.stations: dict[str, list] = {k: [] for k in (
            "name", "node", "role", "servers", "open_hours", "capacity")}
        self.spaces: dict[str, list] = {k: [] for k in (
            "name", "kind", "node", "from_node", "capacity", "unit", "prefix")}
        self._space_objs: list[Space] = []
        self._link_spaces: dict[tuple[str, str, str], Space] = {}
        self._yard_of: dict[int, Space] = {}  # shipment id → the TEU yard holding it
        self.facilities = {name: self._build_facility(name, node)
                           for name, node in scenario.nodes.items()
                           if isinstance(node, FacilityNode)}
        self._travel: dict[tuple[str, str, str], Travel | _Instant] = {}
        self._rail_steps: set[int] = set()
        self._entries: dict[tuple[str, str], _FromNode] = {}
        self._services: dict[tuple[str, str, str], Service] = {}
        self.flow_steps: list[tuple] = []
        self.flows: dict[str, list] = {k: [] for k in (
            "key", "origin", "destination", "commodity", "units", "unit", "route", "green",
            "shelf_life_hours", "flow", "share", "path")}
        self._row_routes: list[Route] = []
        self._rows: list[np.ndarray] = []  # per demand flow: the flows row of each shipment
        self.assignment = assign(scenario)
        for f, flow in enumerate(scenario.demand):
            self._add_flow(f, flow)
        if self._space_objs:
            self._wire_spaces()
        self._allocate()

    # -- construction: facilities --------------------------------------------------------
    def _rng(self, name: str):
        return stream(self.seed, self.replication, name)

    def units(self, sid: int) -> float:
        """Units (TEU or tonnes) of shipment ``sid``."""
        return self._flow_units[self.rec.s_flow[sid]]

    def calendar(self, name: str) -> OperatingCalendar:
        """The resolved operating calendar of a given name (built once)."""
        if name not in self._calendars:
            sc = self.scenario
            self._calendars[name] = OperatingCalendar(sc.calendars[name], sc.start_utc,
                                                      sc.horizon_hours)
        return self._calendars[name]

    def _station_row(self, name: str, node: int, role: str, servers: int,
                     cal: OperatingCalendar | None, capacity: float = float("nan")) -> int:
        sc = self.scenario
        row = {"name": name, "node": node, "role": role, "servers": servers,
               "open_hours": cal.open_hours(sc.warmup_hours, sc.horizon_hours)
               if cal is not None else 0.0, "capacity": capacity}
        for key, value in row.items():
            self.stations[key].append(value)
        return len(self.stations["node"]) - 1

    def _inspections(self, name: str, node: FacilityNode) -> list[tuple]:
        """(probability, extra time, uniform draw, commodity or None) of each inspection."""
        out = []
        if node.inspection is not None:
            out.append((node.inspection.probability,
                        Sampler(node.inspection.time, self._rng(f"inspection:{name}")).draw,
                        UniformSampler(self._rng(f"inspection-draw:{name}")).draw, None))
        if isinstance(node, CheckpointNode):
            for cname, com in self.scenario.commodities.items():
                ins = com.inspection
                if ins is not None and (ins.at is None or name in ins.at):
                    tag = f"{name}:{cname}"
                    out.append((ins.probability,
                                Sampler(ins.time, self._rng(f"inspection:{tag}")).draw,
                                UniformSampler(self._rng(f"inspection-draw:{tag}")).draw,
                                self.commodity_index[cname]))
        return out

    def _clearance(self, name: str, node: FacilityNode) -> Callable[[Job], float]:
        """Service time of a vehicle: clearance (pre-cleared or not) plus inspections."""
        base = Sampler(node.service_time, self._rng(f"service:{name}")).draw
        pre = None
        if isinstance(node, CheckpointNode) and node.precleared_service_time is not None:
            pre = Sampler(node.precleared_service_time,
                          self._rng(f"service-precleared:{name}")).draw
        inspections = self._inspections(name, node)
        if pre is None and not inspections:
            return lambda job: base()  # one call: base is the sampler's bound draw

        def service(job: Job) -> float:
            share = job.precleared if pre is not None else 0.0
            if share <= 0.0:
                t = base()
            elif share >= 1.0:
                t = pre()
            else:
                t = share * pre() + (1.0 - share) * base()
            for p, extra, draw, commodity in inspections:
                if (commodity is None or commodity == job.commodity) and draw() < p:
                    t += extra()
            return t

        return service

    def _build_facility(self, name: str, node: FacilityNode) -> Facility:
        env, rec, index = self.env, self.rec, self.node_index[name]
        fac = Facility(env, index, rec, self.advance)
        cal = self.calendar(node.calendar)
        if node.service_time is not None:
            service = self._clearance(name, node)
            lanes = node.lanes
            idx = self._station_row(name, index, "clearance", lanes.general + lanes.green, cal)
            limit = self._daily_limit(node.max_vehicles_per_day, node.calendar)
            if node.directions:
                fac.add_stage(lambda done: self._directed_clearance(
                    name, node, Station(env, idx, cal, lanes.general, lanes.green,
                                        node.green_priority, service, done, rec, limit),
                    service))
            else:
                fac.add_stage(lambda done: Station(
                    env, idx, cal, lanes.general, lanes.green, node.green_priority, service,
                    done, rec, limit))
        if isinstance(node, CheckpointNode) and node.transshipment is not None:
            self._handling_stage(fac, name, "transshipment", node.transshipment, cal,
                                 when=lambda job: job.regauge)
        if node.handling is not None:
            self._handling_stage(fac, name, "handling", node.handling, cal)
        if isinstance(node, CheckpointNode) and node.transload is not None:
            tl = node.transload
            draw = Sampler(tl.time, self._rng(f"transload:{name}")).draw
            when = None
            if tl.arriving_from is not None:
                sources = {self.node_index[n] for n in tl.arriving_from}

                def when(job: Job, sources: set[int] = sources) -> bool:
                    return job.direction in sources
            if tl.bays is None:
                fac.add_stage(lambda done: Delay(env, lambda job: draw(), done, rec), when=when)
            else:
                t_idx = self._station_row(f"{name}.transload", index, "transload", tl.bays, cal)
                fac.add_stage(lambda done: Station(
                    env, t_idx, cal, tl.bays, 0, True, lambda job: draw(), done, rec),
                    when=when)
        if isinstance(node, TerminalNode) and node.consolidation is not None \
                and node.consolidation.enabled:
            con = node.consolidation
            c_idx = self._station_row(f"{name}.consolidation", index, "consolidation", 0, None,
                                      con.train_capacity_teu)
            fac.add_stage(lambda done: Consolidator(
                env, c_idx, con.train_capacity_teu, con.max_wait_hours, self._sid_units.__getitem__,
                self._next_step_key, done, rec))
        if isinstance(node, DryPortNode):
            fac.on_leave = self._mark_precleared
        if node.space is not None or any(d.space is not None
                                         for d in (node.directions or {}).values()):
            self._node_space(fac, name, node, cal)
        return fac

    def _daily_limit(self, value, calendar: str):
        """A station's daily limit: None, a number, or a function of the local day index."""
        if value is None or isinstance(value, int):
            return value
        cal = self.calendar(calendar)
        zone = ZoneInfo(self.scenario.calendars[calendar].timezone)
        start = self.scenario.start_utc
        steps = [(step.from_, step.per_day) for step in value]

        def limit(day: int) -> int | None:
            t = cal.day_start(day)
            if t == float("inf"):
                return steps[-1][1]
            date = (start + dt.timedelta(hours=t + 1.0)).astimezone(zone).date()
            current = None
            for first, per_day in steps:
                if first <= date:
                    current = per_day
            return current

        return limit

    def _directed_clearance(self, name: str, node: FacilityNode, shared: Station,
                            service: Callable[[Job], float]) -> DirectionRouter:
        """Clearance with per-direction lanes, calendars and limits (``directions``)."""
        routes = {}
        for src, d in node.directions.items():
            k = self.node_index[src]
            cal_name = d.calendar or node.calendar
            cal = self.calendar(cal_name)
            limit = self._daily_limit(d.max_vehicles_per_day, cal_name)
            if d.pool == "own":
                idx = self._station_row(f"{name}.from[{src}]", self.node_index[name],
                                        "clearance", d.lanes.general + d.lanes.green, cal)
                routes[k] = Station(self.env, idx, cal, d.lanes.general, d.lanes.green,
                                    node.green_priority, service, shared.done, self.rec, limit)
            elif d.calendar is not None or limit is not None:
                routes[k] = Quota(self.env, -1, cal, _UNLIMITED, 0, True, lambda job: 0.0,
                                  shared.arrive, self.rec, limit)
        return DirectionRouter(routes, shared)

    # -- construction: finite space --------------------------------------------------------
    def _new_space(self, name: str, kind: str, node: str, from_node: str | None,
                   capacity: float, unit: str, cal: OperatingCalendar,
                   prefix: str | None = None) -> Space:
        space = Space(self.env, len(self._space_objs), name, capacity, self.rec,
                      oversize=unit == "teu")
        space.is_open = None if cal.always_open else cal.is_open
        self._space_objs.append(space)
        if prefix is None:
            prefix = f"{node}.space" if kind == "node" else name
        for key, value in (("name", name), ("kind", kind), ("node", self.node_index[node]),
                           ("from_node", -1 if from_node is None
                            else self.node_index[from_node]),
                           ("capacity", capacity), ("unit", unit), ("prefix", prefix)):
            self.spaces[key].append(value)
        return space

    def _node_space(self, fac: Facility, name: str, node: FacilityNode,
                    cal: OperatingCalendar) -> None:
        """Waiting room (vehicles) or container yard (TEU) of a facility node."""
        own = {self.node_index[src]: self._new_space(
            f"space[{name}.from[{src}]]", "node", name, src, float(d.space.vehicles),
            "vehicles", self.calendar(d.calendar or node.calendar), f"{name}.from[{src}].space")
            for src, d in (node.directions or {}).items() if d.space is not None}
        if node.space is None or node.space.vehicles is not None:
            shared = None if node.space is None else self._new_space(
                f"space[{name}]", "node", name, None, float(node.space.vehicles), "vehicles",
                cal)

            def admit(job: Job, proceed: Callable[[Job], None]) -> bool:
                space = own.get(job.direction, shared)
                if space is None:
                    return True
                if space.take(1.0):
                    held = job.held  # self._hold(job, space), inlined
                    if held is None:
                        job.held = [space]
                    else:
                        held.append(space)
                    return True
                space.wait(1.0, lambda: (self._hold(job, space), proceed(job)), False)
                return False
        else:
            space = self._new_space(f"space[{name}]", "node", name, None, node.space.teu,
                                    "teu", cal)

            def admit(job: Job, proceed: Callable[[Job], None]) -> bool:
                teu = self._teu(job.sids)
                if teu <= 0.0 or space.take(teu):
                    self._into_yard(job.sids, space)
                    return True
                space.wait(teu, lambda: (self._into_yard(job.sids, space), proceed(job)),
                           False)
                return False

            previous = fac.on_leave

            def leave(job: Job) -> None:
                if previous is not None:
                    previous(job)
                self._leave_yard([s for s in job.sids if not self._to_service(s)])

            fac.on_leave = leave
        fac.admit_with(admit)

    @staticmethod
    def _hold(job: Job, space: Space) -> None:
        if job.held is None:
            job.held = [space]
        else:
            job.held.append(space)

    def _teu(self, sids: list[int]) -> float:
        flows, units, teu = self.rec.s_flow, self._flow_units, self._flow_teu
        return sum(units[flows[s]] for s in sids if teu[flows[s]])

    def _into_yard(self, sids: list[int], space: Space) -> None:
        for sid in sids:
            if self._flow_teu[self.rec.s_flow[sid]]:
                self._yard_of[sid] = space

    def _leave_yard(self, sids: list[int]) -> None:
        """Containers of these shipments leave their yard (on a vehicle, or by road)."""
        freed: dict[int, list] = {}
        for sid in sids:
            space = self._yard_of.pop(sid, None)
            if space is not None:
                entry = freed.setdefault(space.index, [space, 0.0])
                entry[1] += self._flow_units[self.rec.s_flow[sid]]
        for space, teu in freed.values():
            space.release(teu)

    def _to_service(self, sid: int) -> bool:
        """The shipment's next step is waiting for a scheduled or when-full vehicle."""
        return type(self.flow_steps[self.rec.s_flow[sid]][self._pos[sid] + 1]) is Service

    def _link_space(self, u: str, v: str, mode: str, link) -> Space:
        key = (u, v, mode)
        if key not in self._link_spaces:
            end = self.scenario.nodes[v]
            cal = self.calendar(end.calendar) if isinstance(end, FacilityNode) else \
                self.calendar("round_the_clock")
            self._link_spaces[key] = self._new_space(
                f"space[{u}→{v}]", "link", v, u, float(link.space.vehicles), "vehicles", cal)
        return self._link_spaces[key]

    def _can_leave(self, job: Job, resume: Callable[[object], None], arg: object) -> bool:
        """Room on the job's next link (taken for it), or wait blocked until there is.

        When blocked, ``resume(arg)`` is called once the room is the job's.
        """
        if job.reserved is not None:
            return True
        sid = job.sids[0]
        step = self.flow_steps[self.rec.s_flow[sid]][self._pos[sid] + 1]
        if type(step) is not SpacedLink:
            return True
        space = step.space
        if space.take(1.0):
            job.reserved = space
            return True
        job.blocked_since = self.env.now

        def granted() -> None:
            job.reserved = space
            self.rec.blocked(job.sids, self.env.now - job.blocked_since)
            resume(arg)

        space.wait(1.0, granted, True)
        return False

    def _wire_spaces(self) -> None:
        """Facilities before a link with finite space block after service; watchdog on."""
        blocking = set()
        for steps in self.flow_steps:
            for here, ahead in zip(steps, steps[1:], strict=False):
                if type(here) is _FromNode:
                    here = here.facility
                if isinstance(here, Facility) and type(ahead) is SpacedLink:
                    blocking.add(id(here))
        for fac in self.facilities.values():
            if id(fac) in blocking:
                fac.exit_with(self._can_leave)
        if "teu" in self.spaces["unit"]:
            for service in self._services.values():
                service.on_depart = self._leave_yard
        sc = self.scenario
        Watchdog(self.env, self._space_objs, STALL_HOURS, _WATCH_EVERY_HOURS, sc.horizon_hours)

    def _arrive_release(self, job: Job) -> None:
        """End of a spaced link at a place without servers: its place is given back."""
        if job.held is not None:
            job.release_held()
        self.advance(job)

    def _handling_stage(self, fac: Facility, name: str, role: str, handling,
                        cal: OperatingCalendar, when: Callable[[Job], bool] | None = None
                        ) -> None:
        idx = self._station_row(f"{name}.{role}", fac.index, role, handling.tracks, cal)
        hours = handling.hours
        fac.add_stage(lambda done: Station(
            self.env, idx, cal, handling.tracks, 0, True, lambda job: hours(len(job.sids)),
            done, self.rec), when=when)

    def _mark_precleared(self, job: Job) -> None:
        for sid in job.sids:
            self._precleared[sid] = 1

    def _next_step_key(self, sid: int) -> int | None:
        step = self.flow_steps[self.rec.s_flow[sid]][self._pos[sid] + 1]
        return id(step) if id(step) in self._rail_steps else None

    # -- construction: links and flows ---------------------------------------------------
    def _travel_step(self, u: str, v: str, mode: str, vehicle: bool = False
                     ) -> Travel | _Instant | _Gate | SpacedLink:
        key = (u, v, mode, vehicle)
        if key not in self._travel:
            link = self.network.graph[u][v][mode]["link"]
            dist = link.time
            advance = self.advance
            if link.space is not None and v not in self.facilities:
                advance = self._arrive_release
            if link.max_vehicles_per_day is not None:
                step = self._gate(u, v, mode, link, advance)
            elif getattr(dist, "hours", None) == 0.0 and not (link.break_of_gauge
                                                               or link.scheduled or vehicle):
                step = _Instant(advance)
            else:
                sampler = Sampler(dist, self._rng(f"travel:{u}>{v}:{mode}"))
                step = Travel(self.env, sampler.draw, advance, link.break_of_gauge)
            if link.space is not None:
                step = SpacedLink(self._link_space(u, v, mode, link), step)
            self._travel[key] = step
        return self._travel[key]

    def _gate(self, u: str, v: str, mode: str, link, advance: Callable[[Job], None]) -> _Gate:
        """A link with a daily quota: vehicles queue at its start, then travel."""
        sampler = Sampler(link.time, self._rng(f"travel:{u}>{v}:{mode}"))
        cal = self.calendar("round_the_clock")
        idx = self._station_row(f"{u}>{v}:{mode}", -1, "exchange", 0, None)
        gate = _Gate(advance, link.break_of_gauge)
        draw = sampler.draw
        gate.station = Station(self.env, idx, cal, _UNLIMITED, 0, True, lambda job: draw(),
                               gate.arrived, self.rec, link.max_vehicles_per_day)
        return gate

    def _link_step(self, u: str, v: str, mode: str, consolidated: bool):
        link = self.network.graph[u][v][mode]["link"]
        travel = self._travel_step(u, v, mode, vehicle=consolidated)
        if not link.scheduled or consolidated:
            return travel
        key = (u, v, mode)
        if key not in self._services:
            sc = self.scenario
            name = f"{u}>{v}:{mode}"
            idx = self._station_row(name, -1, "service", 0, None, link.capacity)
            times = (departure_times(link.departures, sc.start_utc, sc.horizon_hours)
                     if link.departures is not None and link.dispatch == "schedule" else None)
            self._services[key] = Service(
                self.env, idx, link.capacity, travel, self._sid_units.__getitem__, self.rec,
                departures=times, when_full=link.dispatch == "when_full",
                max_wait_hours=link.max_wait_hours)
        return self._services[key]

    def _consolidates(self, node: str) -> bool:
        n = self.scenario.nodes[node]
        return isinstance(n, TerminalNode) and n.consolidation is not None \
            and n.consolidation.enabled

    def _turned_back_at(self, route: Route, commodity: str) -> int | None:
        """Route position where a barred commodity is turned back, or None.

        It is turned back where it is first checked: at the first checkpoint of the chain
        of checkpoints (the sides of a border crossing) that ends at a node barring it.
        """
        barred = set(self.scenario.commodities[commodity].barred_at)
        nodes = self.scenario.nodes
        for j, name in enumerate(route.nodes):
            if name in barred:
                while j > 0 and isinstance(nodes[name], CheckpointNode) and isinstance(
                        nodes[route.nodes[j - 1]], CheckpointNode):
                    j -= 1
                    name = route.nodes[j]
                return j
        return None

    def _steps(self, route: Route, commodity: str) -> tuple:
        back = self._turned_back_at(route, commodity)
        steps: list = []
        if back == 0:
            return (_Reject(self.env, self.rec, self.node_index[route.nodes[0]]),)
        if route.nodes[0] in self.facilities:  # loads created at a terminal pass through it
            steps.append(self.facilities[route.nodes[0]])
        for j, (u, v, mode) in enumerate(zip(route.nodes, route.nodes[1:], route.modes,
                                             strict=False)):
            step = self._link_step(u, v, mode, self._consolidates(u))
            if mode == "rail":
                self._rail_steps.add(id(step))
            if not isinstance(step, _Instant):  # zero-time links are no step at all
                steps.append(step)
            if j + 1 == back:
                steps.append(_Reject(self.env, self.rec, self.node_index[v]))
                return tuple(steps)
            if v in self.facilities:
                steps.append(self._entry(v, u))
        steps.append(_Deliver(self.env, self.rec))
        return tuple(steps)

    def _entry(self, node: str, came_from: str):
        """The step into a facility: the facility, or, with directions, one that says whence."""
        fac = self.facilities[node]
        n = self.scenario.nodes[node]
        if not n.directions and getattr(getattr(n, "transload", None), "arriving_from",
                                        None) is None:
            return fac
        key = (node, came_from)
        if key not in self._entries:
            self._entries[key] = _FromNode(fac, self.node_index[came_from])
        return self._entries[key]

    def _add_flow(self, f: int, flow: Demand) -> None:
        """Add a demand flow: one row of ``flows`` per route it takes, and its arrivals.

        A flow split over several routes draws each shipment's route from its own
        ``choice:KEY`` stream, so its demand and every service stream stay as they are.
        """
        sc = self.scenario
        options = self.assignment.flows[f].chosen
        assert options, "routes are checked when the scenario is validated"
        com = sc.commodities[flow.commodity]
        first_row = len(self._row_routes)
        for option in options:
            self._flow_units.append(flow.units_per_shipment)
            self._flow_teu.append(com.unit == "teu")
            self.flow_steps.append(self._steps(option.route, flow.commodity))
            self._row_routes.append(option.route)
            for key, value in (("key", flow.key), ("origin", flow.origin),
                               ("destination", flow.destination),
                               ("commodity", flow.commodity), ("units", flow.units_per_shipment),
                               ("unit", com.unit), ("route", option.label),
                               ("green", com.green_corridor),
                               ("shelf_life_hours", com.shelf_life_hours or float("nan")),
                               ("flow", f), ("share", option.share),
                               ("path", option.route.label)):
                self.flows[key].append(value)
        times = arrival_times(flow, self._rng(f"demand:{flow.key}"), sc.start_utc,
                              sc.horizon_hours)
        self._times.append(times)
        rows = np.full(len(times), first_row, dtype=np.int32)
        if len(options) > 1:
            shares = np.array([o.share for o in options])
            rows += self._rng(f"choice:{flow.key}").choice(
                len(options), size=len(times), p=shares / shares.sum()).astype(np.int32)
        self._rows.append(rows)

    def _allocate(self) -> None:
        """Number every shipment of the run in advance and start the flows' sources.

        Shipment ids run flow by flow (``first id of flow f + k`` for its k-th shipment).
        """
        counts = [len(t) for t in self._times]
        n = sum(counts)
        flows = np.concatenate(self._rows) if n else np.empty(0, dtype=np.int32)
        created = np.concatenate(self._times) if n else np.empty(0)
        self.rec.allocate(flows, created)
        self._flow = self.rec.s_flow  # each shipment's flows row, for advance
        # in place: services and consolidators hold this array's __getitem__
        self._sid_units.frombytes(
            np.asarray(self._flow_units, dtype=np.float64)[flows].tobytes())
        self._pos = [-1] * n
        self._precleared = bytearray(n)
        first = 0
        for flow, times in zip(self.scenario.demand, self._times, strict=True):
            if len(times):
                com = self.scenario.commodities[flow.commodity]
                _Source(self, first, len(times), com.green_corridor,
                        self.commodity_index[flow.commodity])
            first += len(times)
        self._times, self._rows = [], []

    def advance(self, job: Job) -> None:
        """Move a job to the next step of its route (splitting it where routes part)."""
        sids = job.sids
        if len(sids) == 1:
            sid = sids[0]
            pos = self._pos
            pos[sid] = p = pos[sid] + 1
            if self._track_clearance:
                job.precleared = _SHARE[self._precleared[sid]]  # float(0 or 1), no call
            self.flow_steps[self._flow[sid]][p].enter(job)
            return
        pos, flow_steps, flow = self._pos, self.flow_steps, self.rec.s_flow
        targets: list = []  # the next step of each shipment's route, in one pass
        append = targets.append
        for sid in sids:
            p = pos[sid] + 1
            pos[sid] = p
            append(flow_steps[flow[sid]][p])
        first = targets[0]
        if targets.count(first) == len(targets):  # the common case: all go on together
            groups = ((first, sids),)
        else:
            by_step: dict[int, tuple[object, list[int]]] = {}
            for sid, step in zip(sids, targets, strict=True):
                entry = by_step.get(id(step))
                if entry is None:
                    by_step[id(step)] = (step, [sid])
                else:
                    entry[1].append(sid)
            groups = by_step.values()
        held, reserved = job.held, job.reserved
        for step, members in groups:
            part = Job(members, job.green, job.commodity)
            part.regauge = job.regauge
            if held is not None:  # places held on the way in go with the first part
                part.held, held = held, None
            if reserved is not None and getattr(step, "space", None) is reserved:
                part.reserved, reserved = reserved, None
            if self._track_clearance:
                # the share of its loads pre-cleared (a sum of 0/1 flags, without a generator)
                part.precleared = sum(map(self._precleared.__getitem__, members)) / len(members)
            step.enter(part)

    def run(self) -> ReplicationData:
        """Run the replication to the horizon and return what it recorded."""
        sc = self.scenario
        run_until(self.env, sc.horizon_hours)
        return ReplicationData(
            replication=self.replication, seed=self.seed, horizon_hours=sc.horizon_hours,
            warmup_hours=sc.warmup_hours, start=sc.start_utc.isoformat(),
            nodes=self.node_names, flows=self.flows, stations=self.stations,
            columns=self.rec.freeze(), spaces=self.spaces, crossings=self._crossings(),
            road_m_per_vehicle={self.node_index[n]: sc.vehicle_length_m
                                for n, node in sc.nodes.items()
                                if isinstance(node, CheckpointNode) and node.mode == "road"},
            costs=cost_inputs(sc, [(sc.demand[f], r) for f, r in
                                   zip(self.flows["flow"], self._row_routes, strict=True)],
                              self.stations["name"]))

    def _crossings(self) -> list[tuple[int, int]]:
        """Pairs of checkpoints joined by a link, per direction (the sides of a crossing)."""
        nodes, out = self.scenario.nodes, []
        for u, v in self.network.graph.edges():
            if isinstance(nodes[u], CheckpointNode) and isinstance(nodes[v], CheckpointNode):
                pair = (self.node_index[u], self.node_index[v])
                if pair not in out:
                    out.append(pair)
        return out


class _Source:
    """Releases a flow's shipments at their pre-drawn creation times, one event each."""

    __slots__ = ("model", "first", "end", "created", "green", "commodity", "sid", "env",
                 "pos", "flow", "flow_steps", "_next")

    def __init__(self, model: CorridorModel, first: int, count: int, green: bool,
                 commodity: int) -> None:
        self.model, self.first, self.end, self.green = model, first, first + count, green
        self.created = model.rec.s_created  # creation times, drawn before the run
        self.commodity, self.sid = commodity, first
        self.env = model.env
        # for model.advance, inlined in _arrive (the model keeps these lists for the run)
        self.pos, self.flow, self.flow_steps = model._pos, model.rec.s_flow, model.flow_steps
        self._next = self._arrive  # bound once, scheduled for every shipment
        call_later(model.env, self.created[first], self._arrive)

    def _arrive(self, tick: Tick) -> None:
        sid = self.sid
        self.sid = sid + 1
        if sid + 1 < self.end:  # call_later(env, created - now, self._arrive), inlined
            env = self.env
            now = env._now
            heappush(env._queue, (now + (self.created[sid + 1] - now), NORMAL, next(env._eid),
                                  Tick(self._next, None)))
        # model.advance(Job([sid], green, commodity)), inlined: a new shipment goes to the
        # first step of its route (position 0), not pre-cleared (Job's default 0.0)
        self.pos[sid] = 0
        self.flow_steps[self.flow[sid]][0].enter(Job([sid], self.green, self.commodity))


def simulate(scenario: Scenario, replication: int = 0, seed: int | None = None
             ) -> ReplicationData:
    """Run one replication of a scenario.

    Parameters
    ----------
    scenario : Scenario
    replication : int, default 0
        Replication number; with ``seed`` it selects every random stream.
    seed : int, optional
        Base seed; default the scenario's ``seed``.

    Returns
    -------
    ReplicationData
        The recorded columns of this replication.
    """
    seed = scenario.seed if seed is None else seed
    return CorridorModel(scenario, replication, seed).run()
