"""Facilities where shipments queue and are served: lanes, calendars, priority, quotas.

The engine is built from callbacks on SimPy events rather than a process per shipment: a
:class:`Station` is a group of servers (lanes, tracks, bays) with two queues, and a served job
costs one timeout event. A :class:`Job` is one vehicle — a truck with one shipment, or later a
train with many — so a train is one entity at a border, not one per container.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import simpy

from .calendar import OperatingCalendar
from .recorder import Recorder

__all__ = ["Delay", "Facility", "Job", "Station"]


class Job:
    """One vehicle load moving through the corridor.

    Attributes
    ----------
    sids : list of int
        Shipment ids it carries.
    green : bool
        Whether it is entitled to green-corridor lanes and priority.
    arrived : float
        Model time it arrived at its current node [h].
    queued : float
        Model time it joined its current queue [h].
    vrow : int
        First row of its open visit records at the current node.
    """

    __slots__ = ("sids", "green", "arrived", "queued", "vrow")

    def __init__(self, sids: list[int], green: bool) -> None:
        self.sids = sids
        self.green = green
        self.arrived = self.queued = 0.0
        self.vrow = -1


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
    first : bool
        This is the node's first station, so service start is the visit's start.
    daily_limit : int, optional
        At most this many jobs start per local calendar day.
    """

    def __init__(self, env: simpy.Environment, index: int, calendar: OperatingCalendar,
                 general: int, green: int, green_priority: bool,
                 service: Callable[[Job], float], done: Callable[[Job], None], rec: Recorder,
                 first: bool, daily_limit: int | None = None) -> None:
        self.env, self.index, self.calendar = env, index, calendar
        self.free_general, self.free_green = general, green
        self.green_priority = green_priority
        self.service, self.done, self.rec, self.first = service, done, rec, first
        self.daily_limit = daily_limit
        self._day, self._count = -1, 0
        self.q_general: deque[Job] = deque()
        self.q_green: deque[Job] = deque()
        self._wake_at = float("inf")

    @property
    def queue_length(self) -> int:
        """Jobs waiting now."""
        return len(self.q_general) + len(self.q_green)

    def arrive(self, job: Job) -> None:
        """A job joins the queue; it starts at once if a server is free and the station open."""
        job.queued = self.env.now
        if job.green:
            self.q_green.append(job)
        else:
            self.q_general.append(job)
        self._dispatch()

    def _wake(self, t: float) -> None:
        """Make sure the station looks at its queue again at model time ``t``."""
        if t < self._wake_at and t != float("inf"):
            self._wake_at = t
            ev = self.env.timeout(t - self.env.now)
            ev.callbacks.append(self._on_wake)

    def _on_wake(self, ev: simpy.Event) -> None:
        if self.env.now >= self._wake_at:
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
        now = self.env.now
        cal = self.calendar
        if not cal.always_open and not cal.is_open(now):
            self._wake(cal.next_open(now))
            return
        limit = self.daily_limit
        while True:
            if limit is not None:
                day = cal.day_index(now)
                if day != self._day:
                    self._day, self._count = day, 0
                if self._count >= limit:
                    self._wake(cal.day_start(day + 1))
                    return
            nxt = self._next()
            if nxt is None:
                return
            job, green = nxt
            if green:
                self.free_green -= 1
            else:
                self.free_general -= 1
            if limit is not None:
                self._count += 1
            if self.first:
                self.rec.start(job.vrow, len(job.sids), now)
            ev = self.env.timeout(self.service(job), (job, green, now))
            ev.callbacks.append(self._finish)

    def _finish(self, ev: simpy.Event) -> None:
        job, green, start = ev._value
        if green:
            self.free_green += 1
        else:
            self.free_general += 1
        self.rec.job(self.index, start, self.env.now, len(job.sids))
        self.done(job)
        self._dispatch()


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
    first : bool
        This is the node's first stage, so entering it is the visit's start.
    """

    def __init__(self, env: simpy.Environment, duration: Callable[[Job], float],
                 done: Callable[[Job], None], rec: Recorder, first: bool = False) -> None:
        self.env, self.duration, self.done, self.rec, self.first = env, duration, done, rec, first

    def arrive(self, job: Job) -> None:
        """Start the delay of a job."""
        if self.first:
            self.rec.start(job.vrow, len(job.sids), self.env.now)
        ev = self.env.timeout(self.duration(job), job)
        ev.callbacks.append(self._finish)

    def _finish(self, ev: simpy.Event) -> None:
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
        self.stages: list[Station | Delay] = []

    def add_stage(self, make: Callable[[Callable[[Job], None], bool], Station | Delay]) -> None:
        """Append a stage; ``make(done, first)`` builds it wired to what follows."""
        position = len(self.stages)
        self.stages.append(make(lambda job: self._stage_done(position, job), position == 0))

    def enter(self, job: Job) -> None:
        """A job arrives at the node."""
        job.arrived = self.env.now
        job.vrow = self.rec.arrive(job.sids, self.index, job.arrived)
        self.stages[0].arrive(job)

    def _stage_done(self, position: int, job: Job) -> None:
        if position + 1 < len(self.stages):
            self.stages[position + 1].arrive(job)
            return
        self.rec.depart(job.vrow, len(job.sids), self.env.now)
        self.leave(job)
