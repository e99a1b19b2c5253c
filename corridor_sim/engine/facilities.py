"""Facilities where shipments queue and are served: lanes, calendars, priority, quotas.

The engine is built from callbacks on SimPy events rather than a process per shipment: a
:class:`Station` is a group of servers (lanes, tracks, bays) with two queues, and a served job
costs one scheduled callback. A :class:`Job` is one vehicle — a truck with one shipment, or later a
train with many — so a train is one entity at a border, not one per container.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from heapq import heappush

import simpy

from .calendar import OperatingCalendar
from .events import NORMAL, Tick, call_later
from .recorder import Recorder

__all__ = ["Consolidator", "Delay", "DirectionRouter", "Facility", "Job", "Quota", "Station"]

_NEVER = float("inf")


class Job:
    """One vehicle load moving through the corridor.

    Attributes
    ----------
    sids : list of int
        Shipment ids it carries.
    green : bool
        Whether it is entitled to green-corridor lanes and priority.
    commodity : int
        Commodity index of its (first) shipment, for commodity-specific inspection.
    arrived : float
        Model time it arrived at its current node [h].
    queued : float
        Model time it joined its current queue [h].
    begun : bool
        Service has begun at the current node.
    regauge : bool
        It arrived over a break-of-gauge link and must be transshipped.
    precleared : float
        Share of its loads already cleared by customs at an inland dry port.
    held : list of Space or None
        Vehicle places it holds (link and node spaces), given back when its service starts.
    reserved : Space or None
        A place on its next link, taken while it still held its server.
    blocked_since : float
        Model time it began to wait, blocked, for room ahead [h].
    direction : int
        Number of the node it arrived from, at a node with directions (else -1).
    """

    __slots__ = ("sids", "green", "commodity", "arrived", "queued", "begun", "regauge",
                 "precleared", "held", "reserved", "blocked_since", "direction")

    def __init__(self, sids: list[int], green: bool, commodity: int = -1) -> None:
        self.sids = sids
        self.green = green
        self.commodity = commodity
        self.arrived = self.queued = 0.0
        self.begun = self.regauge = False
        self.precleared = 0.0
        self.held = self.reserved = None
        self.blocked_since = 0.0
        self.direction = -1

    def begin(self, rec: Recorder, now: float) -> None:
        """Mark the start of service at the current node (once per node visit).

        Places held on the link it came by and in the node's waiting room are given back.
        """
        if not self.begun:
            self.begun = True
            rec.start(self.sids, now)
            if self.held is not None:
                self.release_held()

    def release_held(self) -> None:
        """Give back the vehicle places it holds (link and node spaces)."""
        held, self.held = self.held, None
        for space in held:
            space.release(1.0)


class Station:
    """A group of servers with an operating calendar, green-corridor lanes and a daily quota.

    General servers serve every job; green servers serve only green jobs. In general servers
    green jobs go first (non-preemptive) when ``green_priority``, otherwise jobs go in arrival
    order. Service starts only while the calendar is open; a server busy at closing time
    finishes its job, then waits for the next opening.

    Parameters
    ----------
    env : simpy.Environment
    index : int
        Station number in the recorder's job table.
    calendar : OperatingCalendar
    general, green : int
        Number of general and green-corridor servers (≥ 0).
    green_priority : bool
        Serve green jobs first in general servers.
    service : callable
        ``service(job) -> hours``: the service time of a job [h].
    done : callable
        ``done(job)``: called when a job has been served.
    rec : Recorder
    daily_limit : int or callable, optional
        At most this many jobs start per local calendar day; a callable gives the limit of
        each local day index (None: no limit that day).

    Attributes
    ----------
    busy_hours : float
        Server-hours busy within [``rec.warmup_hours``, now] of the jobs finished so far [h];
        a job finished is counted from its start or the end of the warm-up, whichever is later.
    vehicles, vehicles_before : int
        Jobs finished at or after, and before, the end of the warm-up.
    """

    def __init__(self, env: simpy.Environment, index: int, calendar: OperatingCalendar,
                 general: int, green: int, green_priority: bool,
                 service: Callable[[Job], float], done: Callable[[Job], None], rec: Recorder,
                 daily_limit: int | None = None) -> None:
        self.env, self.index, self.calendar = env, index, calendar
        self.free_general, self.free_green = general, green
        self.green_priority = green_priority
        self.service, self.done, self.rec = service, done, rec
        self.daily_limit = daily_limit
        self._limit_of = daily_limit if callable(daily_limit) else None
        self._cap = None if callable(daily_limit) else daily_limit
        self._day, self._count = -1, 0
        self._day_from = self._day_to = 0.0  # bounds of local day self._day [h]
        self._open_from = self._open_to = 0.0  # the open interval last found [h]
        self.q_general: deque[Job] = deque()
        self.q_green: deque[Job] = deque()
        self._wake_at = float("inf")
        self._always = calendar.always_open and daily_limit is None
        self._unlimited = daily_limit is None
        self.busy_hours = 0.0
        self.vehicles = self.vehicles_before = 0
        self._warmup = rec.warmup_hours
        self._queue, self._eid = env._queue, env._eid  # for call_later, inlined in _start
        if index >= 0:
            rec.add_station(self)

    @property
    def queue_length(self) -> int:
        """Jobs waiting now."""
        return len(self.q_general) + len(self.q_green)

    def arrive(self, job: Job) -> None:
        """A job joins the queue; it starts at once if a server is free and the station open."""
        job.queued = now = self.env._now
        if self._always or (self._unlimited and self._open_from <= now < self._open_to):
            # Nothing closes (or the station is open now, in the interval `_dispatch` last
            # found, and has no daily limit): start on a free server if nobody waits, or join
            # the queue if every server is busy, as `_dispatch` would.
            if not (self.q_general or self.q_green):
                if job.green and self.free_green:
                    self._start(job, True, now)
                    return
                if self.free_general:
                    self._start(job, False, now)
                    return
            elif not (self.free_general or self.free_green):
                (self.q_green if job.green else self.q_general).append(job)
                return
        if job.green:
            self.q_green.append(job)
        else:
            self.q_general.append(job)
        self._dispatch()

    def _wake(self, t: float) -> None:
        """Make sure the station looks at its queue again at model time ``t``."""
        if t < self._wake_at and t != float("inf"):
            self._wake_at = t
            call_later(self.env, t - self.env._now, self._on_wake)

    def _on_wake(self, ev: Tick) -> None:
        if self.env._now >= self._wake_at:
            self._wake_at = float("inf")
        self._dispatch()

    def _next(self) -> tuple[Job, bool] | None:
        """The next job to start and whether it takes a green server, or None."""
        if self.q_green and self.free_green:
            return self.q_green.popleft(), True
        if not self.free_general:
            return None
        if self.q_green and self.q_general:
            if self.green_priority or self.q_green[0].queued <= self.q_general[0].queued:
                return self.q_green.popleft(), False
            return self.q_general.popleft(), False
        if self.q_green:
            return self.q_green.popleft(), False
        if self.q_general:
            return self.q_general.popleft(), False
        return None

    def _dispatch(self) -> None:
        if not (self.q_general or self.q_green):
            return
        now = self.env._now
        cal = self.calendar
        if not (self._open_from <= now < self._open_to):  # cal.is_open(now), kept per interval
            interval = cal.open_interval(now)
            if interval is None:
                self._wake(cal.next_open(now))
                return
            self._open_from, self._open_to = interval
        limit = self.daily_limit
        while True:
            if limit is not None:
                if not (self._day_from <= now < self._day_to):  # cal.day_index(now), kept
                    day, self._day_from, self._day_to = cal.day_bounds(now)
                    if day != self._day:
                        self._day, self._count = day, 0
                        if self._limit_of is not None:
                            self._cap = self._limit_of(day)
                if self._cap is not None and self._count >= self._cap:
                    self._wake(self._day_to)
                    return
            if not (self.free_general or self.free_green):
                return  # every server busy: what _next would find, one call sooner
            nxt = self._next()
            if nxt is None:
                return
            job, green = nxt
            if limit is not None:
                self._count += 1
            self._start(job, green, now)

    def _start(self, job: Job, green: bool, now: float) -> None:
        """Serve a job on a free (green or general) server from ``now``."""
        if green:
            self.free_green -= 1
        else:
            self.free_general -= 1
        if not job.begun:  # Job.begin, inlined on this hot path
            job.begun = True
            sids = job.sids
            if len(sids) == 1:  # rec.start(sids, now), inlined
                rec = self.rec
                r, started = rec.s_vrow[sids[0]], rec.v_started
                if r >= 0 and started[r] != started[r]:
                    started[r] = now
            else:
                self.rec.start(sids, now)
            held = job.held
            if held is not None:  # job.release_held(), inlined
                job.held = None
                for space in held:
                    space.release(1.0)
        # call_later(self.env, self.service(job), self._finish, (job, green, now)), inlined
        heappush(self._queue, (now + self.service(job), NORMAL, next(self._eid),
                               Tick(self._finish, (job, green, now))))

    def _finish(self, ev: Tick) -> None:
        """A service ended: the job goes on and frees its server."""
        job, green, start = ev._value
        self._release(job, green, start)

    def block_on_exit(self, can_leave: Callable[[Job, Callable[[Tick], None], Tick], bool]
                      ) -> None:
        """Hold a server after service until ``can_leave(job, resume, ev)`` finds room ahead.

        ``can_leave`` returns True when the job may go on now; otherwise it calls
        ``resume(ev)`` later, once the room is the job's (``ev`` is the tick that ended the
        service; nothing is allocated for a job that leaves at once). Only the last station
        of a node whose vehicles may drive onto a link with finite space is set so.
        """
        self._can_leave = can_leave
        self._resume = self._release_tick  # bound once, handed to every can_leave
        self._finish = self._finish_blocking

    def _finish_blocking(self, ev: Tick) -> None:
        job, green, start = ev._value
        if self._can_leave(job, self._resume, ev):
            self._release(job, green, start)
        # else blocked: resume(ev) releases the server later

    def _release_tick(self, ev: Tick) -> None:
        """Release the server of a job that was blocked, once room ahead is its."""
        self._release(*ev._value)

    def _release(self, job: Job, green: bool, start: float) -> None:
        """Free the job's server, count it served from ``start`` to now, and send it on.

        Busy time counts from ``start`` or the end of the warm-up, whichever is later; a
        train or flight also gets a job row.
        """
        if green:
            self.free_green += 1
        else:
            self.free_general += 1
        now, lo = self.env._now, self._warmup
        if now >= lo:
            self.vehicles += 1
            self.busy_hours += now - start if start >= lo else now - lo
        else:
            self.vehicles_before += 1
        if len(job.sids) > 1:
            self.rec.job(self.index, start, now, len(job.sids), 0.0)
        self.done(job)
        if self.q_general or self.q_green:
            self._dispatch()


class Quota(Station):
    """Admits jobs to what follows within a calendar and a daily limit, without serving them.

    A direction's calendar and daily limit in front of servers it shares with other
    directions: the job's service has not begun when it passes.
    """

    def _start(self, job: Job, green: bool, now: float) -> None:
        self.done(job)


class DirectionRouter:
    """The clearance stage of a node with directions: each job to its direction's stage.

    Parameters
    ----------
    routes : dict of int to object
        Direction number → the stage (a station, or a quota in front of the shared one)
        that its jobs arrive at.
    default : object
        The stage of directions not listed.
    """

    def __init__(self, routes: dict, default: Station) -> None:
        self.routes, self.default = routes, default
        self.stations = [default] + [r for r in routes.values() if not isinstance(r, Quota)]
        # each direction's arrive, looked up once (stations' arrive is never rebound)
        self._arrive = {k: r.arrive for k, r in routes.items()}
        self._default_arrive = default.arrive

    @property
    def done(self) -> Callable[[Job], None]:
        """What follows the stage (handed on to each direction's servers)."""
        return self.default.done

    @done.setter
    def done(self, value: Callable[[Job], None]) -> None:
        for station in self.stations:
            station.done = value

    def arrive(self, job: Job) -> None:
        """Send a job to its direction's stage."""
        self._arrive.get(job.direction, self._default_arrive)(job)


class Delay:
    """A stage without capacity limit: every job waits a sampled time, then goes on.

    Parameters
    ----------
    env : simpy.Environment
    duration : callable
        ``duration(job) -> hours`` [h].
    done : callable
        ``done(job)`` when the delay is over.
    rec : Recorder
    """

    def __init__(self, env: simpy.Environment, duration: Callable[[Job], float],
                 done: Callable[[Job], None], rec: Recorder) -> None:
        self.env, self.duration, self.done, self.rec = env, duration, done, rec
        self._queue, self._eid = env._queue, env._eid  # for call_later, inlined in arrive

    def arrive(self, job: Job) -> None:
        """Start the delay of a job."""
        now = self.env._now
        if not job.begun:
            job.begin(self.rec, now)
        # call_later(self.env, self.duration(job), self._finish, job), inlined
        heappush(self._queue, (now + self.duration(job), NORMAL, next(self._eid),
                               Tick(self._finish, job)))

    def _finish(self, ev: Tick) -> None:
        self.done(ev._value)


class Facility:
    """A node where shipments are served: a chain of stations, recorded as one visit.

    Parameters
    ----------
    env : simpy.Environment
    index : int
        Node index in the recorder.
    rec : Recorder
    leave : callable
        ``leave(job)``: called when a job has passed every stage of the node.
    """

    def __init__(self, env: simpy.Environment, index: int, rec: Recorder,
                 leave: Callable[[Job], None]) -> None:
        self.env, self.index, self.rec, self.leave = env, index, rec, leave
        self.stages: list[Station | Delay | Consolidator | DirectionRouter] = []
        self.conditions: list[Callable[[Job], bool] | None] = []
        self.on_leave: Callable[[Job], None] | None = None

    def add_stage(self, make: Callable[[Callable[[Job], None]], Station | Delay | Consolidator],
                  when: Callable[[Job], bool] | None = None) -> None:
        """Append a stage; ``make(done)`` builds it wired to what follows.

        Parameters
        ----------
        make : callable
            Builds the stage given the callback to call when a job is done with it.
        when : callable, optional
            ``when(job)``: the stage applies only to jobs for which it is true.
        """
        self.stages.append(make(self._leave))  # its `done` is set by _wire, below
        self.conditions.append(when)
        self._wire()

    def _wire(self) -> None:
        """Hand each stage's jobs straight to the next (one call fewer per stage)."""
        stages, conditions = self.stages, self.conditions
        for i, stage in enumerate(stages):
            if i + 1 == len(stages):
                stage.done = self._leave
            elif conditions[i + 1] is None:
                stage.done = stages[i + 1].arrive
            else:
                stage.done = self._chain(i + 1)
        self._first = stages[0].arrive if conditions[0] is None else self._chain(0)

    def _chain(self, position: int) -> Callable[[Job], None]:
        """The callback that sends a job to the first stage from ``position`` that applies.

        The stages from ``position`` up to the first that every job passes, each with its
        condition (None: always) and ``arrive``; a job no stage applies to leaves.
        """
        stages, conditions = self.stages, self.conditions
        chain = []
        for k in range(position, len(stages)):
            chain.append((conditions[k], stages[k].arrive))
            if conditions[k] is None:
                break
        chain = tuple(chain)
        leave = self._leave

        def next_stage(job: Job) -> None:
            for when, arrive in chain:
                if when is None or when(job):
                    arrive(job)
                    return
            leave(job)

        return next_stage

    def _open_visit(self, job: Job) -> float:
        """Mark the job arrived now and open its visit rows; return the time [h]."""
        job.arrived = now = self.env._now
        job.begun = False
        sids, rec = job.sids, self.rec
        r = rec._visits
        if len(sids) == 1 and r < rec._visit_room:  # rec.arrive(sids, index, now), inlined
            sid = sids[0]
            rec._visits = r + 1
            rec.s_vrow[sid] = r
            rec.v_sid[r] = sid
            rec.v_node[r] = self.index
            rec.v_arrived[r] = now
        else:
            rec.arrive(sids, self.index, now)
        return now

    def enter(self, job: Job) -> None:
        """A job arrives at the node."""
        self._open_visit(job)
        if self.stages:
            self._first(job)
        else:
            self._leave(job)

    def admit_with(self, admit: Callable[[Job, Callable[[Job], None]], bool]) -> None:
        """Let vehicles in only when ``admit(job, proceed)`` finds room in the node's space.

        ``admit`` returns True when the job may go on now; otherwise it calls
        ``proceed(job)`` later, once the room is the job's. The visit starts on arrival
        either way, so the time spent waiting for room counts as waiting at the node.
        """
        self._admit = admit
        self._resume = self._proceed  # bound once, handed to every admit
        self.enter = self._enter_admitted

    def _enter_admitted(self, job: Job) -> None:
        self._open_visit(job)
        if self._admit(job, self._resume):
            self._proceed(job)

    def _proceed(self, job: Job) -> None:
        if self.stages:
            self._first(job)
        else:
            self._leave(job)

    def exit_with(self, can_leave: Callable[[Job, Callable[[object], None], object], bool]
                  ) -> None:
        """Let vehicles leave only when ``can_leave(job, resume, arg)`` finds room ahead.

        A station that may be a vehicle's last at this node keeps its server while the
        vehicle waits (blocking after service); after a stage without servers the vehicle
        just waits. ``can_leave`` returns True when the job may go on now; otherwise it calls
        ``resume(arg)`` later, once the room is the job's. A job that already holds a place
        ahead (``job.reserved``, taken while it held its server) leaves without asking.
        """
        self._can_leave = can_leave
        self._leave_now = partial(Facility._leave, self)  # the unchecked leave, bound once
        self._leave = self._leave_checked
        stages, conditions = self.stages, self.conditions
        for i in range(len(stages) - 1, -1, -1):
            later = [c for c in conditions[i + 1:]]
            servers = (stages[i].stations if isinstance(stages[i], DirectionRouter)
                       else [stages[i]] if isinstance(stages[i], Station) else [])
            for station in servers:
                if not later:
                    station.block_on_exit(can_leave)
                else:
                    station.block_on_exit(self._unless(tuple(later), can_leave))
            if conditions[i] is None:
                break  # every job passes stage i: no earlier stage can be a last one
        if stages:
            self._wire()

    @staticmethod
    def _unless(later: tuple, can_leave: Callable) -> Callable:
        """``can_leave``, for a station a job leaves at once if a later stage applies to it.

        Parameters
        ----------
        later : tuple of callable
            Conditions of the later stages (``when(job)``).
        can_leave : callable
            ``can_leave(job, resume, arg)``, asked when no later stage applies.
        """
        def check(job: Job, resume: Callable, arg: object) -> bool:
            for when in later:  # any(when(job) for when in later), without a generator
                if when(job):
                    return True
            return can_leave(job, resume, arg)

        return check

    def _leave_checked(self, job: Job) -> None:
        if job.reserved is not None or self._can_leave(job, self._leave_now, job):
            self._leave_now(job)
        # else blocked: Facility._leave(self, job) is called once there is room

    def _leave(self, job: Job) -> None:
        now, rec = self.env._now, self.rec
        if not job.begun:
            job.begin(rec, now)
        sids = job.sids
        if len(sids) == 1:  # rec.depart(sids, now), inlined
            rec.v_departed[rec.s_vrow[sids[0]]] = now
        else:
            rec.depart(sids, now)
        job.regauge = False
        if self.on_leave is not None:
            self.on_leave(job)
        self.leave(job)


class Consolidator:
    """Holds loads until a block train towards their next stop is full, or waited too long.

    Loads are grouped by ``key(sid)`` (their next link). A group leaves as one train as soon as
    it holds ``capacity`` units (first come, first loaded, never above capacity), or part-full
    when its oldest load has waited ``max_wait_hours``.

    Parameters
    ----------
    env : simpy.Environment
    index : int
        Station number in the recorder's job table (one record per train formed).
    capacity : float
        Units per train.
    max_wait_hours : float or None
        Longest wait of the oldest load before a part-full train leaves [h].
    units : callable
        ``units(sid) -> float``: units of a shipment.
    key : callable
        ``key(sid)``: grouping key (the shipment's next rail link), or None for a load that
        does not go on by block train (it passes straight through).
    done : callable
        ``done(job)`` with the train, a job of the loaded shipments.
    rec : Recorder
    """

    def __init__(self, env: simpy.Environment, index: int, capacity: float,
                 max_wait_hours: float | None, units: Callable[[int], float],
                 key: Callable[[int], object], done: Callable[[Job], None],
                 rec: Recorder) -> None:
        self.env, self.index, self.capacity, self.max_wait = env, index, capacity, max_wait_hours
        self.units, self.key, self.done, self.rec = units, key, done, rec
        self.groups: dict[object, deque[tuple[int, float, Job]]] = {}
        self.loaded: dict[object, float] = {}
        self._due: dict[object, float] = {}  # the one pending max-wait timer of each group

    def arrive(self, job: Job) -> None:
        """Loads of a job join their groups; full trains leave at once."""
        now = self.env._now
        if job.held is not None:  # loading begins: places on the way in are given back
            job.release_held()
        touched, passing = [], []
        for sid in job.sids:
            k = self.key(sid)
            if k is None:
                passing.append(sid)
                continue
            group = self.groups.get(k)
            if group is None:
                group = self.groups[k] = deque()
                self.loaded[k] = 0.0
            group.append((sid, now, job))
            if self.max_wait is not None and self._due.get(k, _NEVER) == _NEVER:
                self._timer(k, group[0][1] + self.max_wait)
            self.loaded[k] += self.units(sid)
            touched.append(k)
        for k in dict.fromkeys(touched):
            while self.loaded[k] >= self.capacity:
                self._release(k)
        if passing:
            through = Job(passing, job.green, job.commodity)
            through.arrived, through.begun = job.arrived, True
            self.rec.start(passing, now)
            self.done(through)

    def _timer(self, k: object, t: float) -> None:
        self._due[k] = t
        call_later(self.env, max(t - self.env._now, 0.0), self._on_timer, (k, t))

    def _on_timer(self, ev: Tick) -> None:
        k, due = ev._value
        self._due[k] = _NEVER
        group = self.groups[k]
        if group and group[0][1] + self.max_wait <= due + 1e-9:
            self._release(k)
        elif group:
            self._timer(k, group[0][1] + self.max_wait)

    def _release(self, k: object) -> None:
        group, now = self.groups[k], self.env._now
        sids, load = [], 0.0
        while group:
            u = self.units(group[0][0])
            if sids and load + u > self.capacity + 1e-9:
                break
            sid, _, first_job = group.popleft()
            sids.append(sid)
            load += u
        self.loaded[k] -= load
        if group and self.max_wait is not None and self._due.get(k, _NEVER) == _NEVER:
            self._timer(k, group[0][1] + self.max_wait)
        train = Job(sids, first_job.green, first_job.commodity)
        train.arrived, train.begun = first_job.arrived, True
        self.rec.job(self.index, now, now, len(sids), load)
        self.rec.start(sids, now)  # loading is the start of service where nothing came before
        self.done(train)
