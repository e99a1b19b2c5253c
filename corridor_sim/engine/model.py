"""One replication of the corridor: the graph wired into SimPy callbacks.

:func:`simulate` is the single entry point used by every executor: a pure function of
``(scenario, replication, seed)``, so that results are identical in one process, across
processes and on a Dask cluster.
"""

from __future__ import annotations

import simpy

from ..network import Network, Route
from ..scenario.schema import CheckpointNode, Demand, Scenario
from .calendar import OperatingCalendar
from .demand import arrival_times
from .facilities import Delay, Facility, Job, Station
from .random import Sampler, UniformSampler, stream
from .recorder import Recorder, ReplicationData

__all__ = ["CorridorModel", "simulate"]


class _Travel:
    """A link traversed by each vehicle on its own after a sampled travel time."""

    __slots__ = ("env", "sample", "advance", "const")

    def __init__(self, env: simpy.Environment, sample: Sampler, advance) -> None:
        self.env, self.sample, self.advance = env, sample, advance

    def enter(self, job: Job) -> None:
        ev = self.env.timeout(self.sample(), job)
        ev.callbacks.append(self._arrive)

    def _arrive(self, ev: simpy.Event) -> None:
        self.advance(ev._value)


class _Instant:
    """A zero-time step: a link of constant zero travel time or a city passed through."""

    __slots__ = ("advance",)

    def __init__(self, advance) -> None:
        self.advance = advance

    def enter(self, job: Job) -> None:
        self.advance(job)


class _Deliver:
    __slots__ = ("env", "rec")

    def __init__(self, env: simpy.Environment, rec: Recorder) -> None:
        self.env, self.rec = env, rec

    def enter(self, job: Job) -> None:
        now = self.env.now
        for sid in job.sids:
            self.rec.delivered(sid, now)


class _Reject:
    __slots__ = ("env", "rec", "node")

    def __init__(self, env: simpy.Environment, rec: Recorder, node: int) -> None:
        self.env, self.rec, self.node = env, rec, node

    def enter(self, job: Job) -> None:
        now = self.env.now
        for sid in job.sids:
            self.rec.rejected(sid, self.node, now)


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
        self.rec = Recorder()
        self.network = Network(scenario)
        self.node_names = list(scenario.nodes)
        self.node_index = {n: i for i, n in enumerate(self.node_names)}
        self._pos: list[int] = []
        self._calendars: dict[str, OperatingCalendar] = {}
        self.stations: dict[str, list] = {"node": [], "role": [], "servers": [],
                                          "open_hours": []}
        self.facilities = {name: self._build_facility(name, node)
                           for name, node in scenario.nodes.items()
                           if isinstance(node, CheckpointNode)}
        self._travel: dict[tuple[str, str, str], _Travel | _Instant] = {}
        self.flow_steps: list[tuple] = []
        self.flows: dict[str, list] = {k: [] for k in (
            "origin", "destination", "commodity", "units", "unit", "route", "green",
            "shelf_life_hours")}
        for flow in scenario.demand:
            self._add_flow(flow)

    # -- construction -------------------------------------------------------------------
    def _rng(self, name: str):
        return stream(self.seed, self.replication, name)

    def calendar(self, name: str) -> OperatingCalendar:
        """The resolved operating calendar of a given name (built once)."""
        if name not in self._calendars:
            sc = self.scenario
            self._calendars[name] = OperatingCalendar(sc.calendars[name], sc.start_utc,
                                                      sc.horizon_hours)
        return self._calendars[name]

    def _station_row(self, node: str, role: str, servers: int | None,
                     cal: OperatingCalendar | None) -> int:
        sc = self.scenario
        self.stations["node"].append(self.node_index[node])
        self.stations["role"].append(role)
        self.stations["servers"].append(servers if servers is not None else 0)
        self.stations["open_hours"].append(
            cal.open_hours(sc.warmup_hours, sc.horizon_hours) if cal is not None else 0.0)
        return len(self.stations["node"]) - 1

    def _build_facility(self, name: str, node: CheckpointNode) -> Facility:
        env, rec = self.env, self.rec
        fac = Facility(env, self.node_index[name], rec, self.advance)
        cal = self.calendar(node.calendar)
        clearance = Sampler(node.service_time, self._rng(f"service:{name}"))
        service = _with_inspection(clearance, node, name, self._rng)
        idx = self._station_row(name, "clearance", node.lanes.general + node.lanes.green, cal)
        fac.add_stage(lambda done, first: Station(
            env, idx, cal, node.lanes.general, node.lanes.green, node.green_priority,
            service, done, rec, first, node.max_vehicles_per_day))
        if node.transload is not None:
            tl = node.transload
            draw = Sampler(tl.time, self._rng(f"transload:{name}"))
            if tl.bays is None:
                fac.add_stage(lambda done, first: Delay(env, lambda job: draw(), done, rec, first))
            else:
                t_idx = self._station_row(name, "transload", tl.bays, cal)
                fac.add_stage(lambda done, first: Station(
                    env, t_idx, cal, tl.bays, 0, True, lambda job: draw(), done, rec, first))
        return fac

    def _link_step(self, u: str, v: str, mode: str) -> _Travel | _Instant:
        key = (u, v, mode)
        if key not in self._travel:
            link = self.network.graph[u][v][mode]["link"]
            dist = link.time
            if getattr(dist, "hours", None) == 0.0:
                self._travel[key] = _Instant(self.advance)
            else:
                rng = self._rng(f"travel:{u}>{v}:{mode}")
                self._travel[key] = _Travel(self.env, Sampler(dist, rng), self.advance)
        return self._travel[key]

    def _steps(self, route: Route, commodity: str) -> tuple:
        barred = set(self.scenario.commodities[commodity].barred_at)
        steps: list = []
        for u, v, mode in zip(route.nodes, route.nodes[1:], route.modes):
            steps.append(self._link_step(u, v, mode))
            if v in barred:
                steps.append(_Reject(self.env, self.rec, self.node_index[v]))
                return tuple(steps)
            if v in self.facilities:
                steps.append(self.facilities[v])
            elif v != route.nodes[-1]:
                steps.append(_Instant(self.advance))
        steps.append(_Deliver(self.env, self.rec))
        return tuple(steps)

    def _add_flow(self, flow: Demand) -> None:
        sc = self.scenario
        route = self.network.flow_route(flow)
        assert route is not None, "routes are checked when the scenario is validated"
        com = sc.commodities[flow.commodity]
        index = len(self.flow_steps)
        self.flow_steps.append(self._steps(route, flow.commodity))
        for key, value in (("origin", flow.origin), ("destination", flow.destination),
                           ("commodity", flow.commodity), ("units", flow.units_per_shipment),
                           ("unit", com.unit), ("route", route.label),
                           ("green", com.green_corridor),
                           ("shelf_life_hours", com.shelf_life_hours or float("nan"))):
            self.flows[key].append(value)
        name = f"demand:{flow.origin}→{flow.destination}:{flow.commodity}"
        times = arrival_times(flow, self._rng(name), sc.start_utc, sc.horizon_hours).tolist()
        if times:
            _Source(self, index, times, com.green_corridor)

    # -- running ------------------------------------------------------------------------
    def new_shipment(self, flow: int, green: bool) -> Job:
        """Create a shipment of a flow now, as a one-shipment job at its origin."""
        sid = self.rec.new_shipment(flow, self.env.now)
        self._pos.append(-1)
        return Job([sid], green)

    def advance(self, job: Job) -> None:
        """Move a job to the next step of its route."""
        sids = job.sids
        if len(sids) == 1:
            sid = sids[0]
            p = self._pos[sid] + 1
            self._pos[sid] = p
            self.flow_steps[self.rec.s_flow[sid]][p].enter(job)
            return
        groups: dict[int, list[int]] = {}
        for sid in sids:
            self._pos[sid] += 1
            step = self.flow_steps[self.rec.s_flow[sid]][self._pos[sid]]
            groups.setdefault(id(step), []).append(sid)
        for members in groups.values():
            sid = members[0]
            step = self.flow_steps[self.rec.s_flow[sid]][self._pos[sid]]
            step.enter(Job(members, job.green))

    def run(self) -> ReplicationData:
        """Run the replication to the horizon and return what it recorded."""
        sc = self.scenario
        self.env.run(until=sc.horizon_hours)
        return ReplicationData(
            replication=self.replication, seed=self.seed, horizon_hours=sc.horizon_hours,
            warmup_hours=sc.warmup_hours, start=sc.start_utc.isoformat(),
            nodes=self.node_names, flows=self.flows, stations=self.stations,
            columns=self.rec.freeze())


class _Source:
    """Creates a flow's shipments at pre-drawn times, one event per shipment."""

    __slots__ = ("model", "flow", "times", "green", "i")

    def __init__(self, model: CorridorModel, flow: int, times: list[float], green: bool) -> None:
        self.model, self.flow, self.times, self.green, self.i = model, flow, times, green, 0
        ev = model.env.timeout(times[0])
        ev.callbacks.append(self._arrive)

    def _arrive(self, ev: simpy.Event) -> None:
        model = self.model
        job = model.new_shipment(self.flow, self.green)
        self.i += 1
        if self.i < len(self.times):
            nxt = model.env.timeout(self.times[self.i] - model.env.now)
            nxt.callbacks.append(self._arrive)
        model.advance(job)


def _with_inspection(clearance: Sampler, node: CheckpointNode, name: str, rng_for):
    """Service time of a vehicle: clearance, plus inspection for a random share."""
    if node.inspection is None:
        return lambda job: clearance()
    p = node.inspection.probability
    extra = Sampler(node.inspection.time, rng_for(f"inspection:{name}"))
    draw = UniformSampler(rng_for(f"inspection-draw:{name}"))

    def service(job: Job) -> float:
        t = clearance()
        if draw() < p:
            t += extra()
        return t

    return service


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
