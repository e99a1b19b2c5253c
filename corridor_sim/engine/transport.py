"""Transport on links: vehicles on their own, and scheduled or when-full services.

Trucks travel each on their own; trains and flights carry many loads as one entity.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable
from heapq import heappush
from zoneinfo import ZoneInfo

import simpy

from ..scenario.schema import WEEKDAYS, Departures, clock_hours
from .events import NORMAL, Tick, call_later
from .facilities import Job
from .recorder import Recorder

__all__ = ["Service", "Travel", "departure_times"]

_INF = float("inf")


def departure_times(dep: Departures, start_utc: dt.datetime, horizon_hours: float
                    ) -> list[float]:
    """Model times [h] of a timetable's departures within ``[0, horizon_hours)``.

    Parameters
    ----------
    dep : Departures
    start_utc : datetime.datetime
        Model time 0.
    horizon_hours : float

    Returns
    -------
    list of float
        Sorted departure times [h].

    Examples
    --------
    >>> import datetime as dt
    >>> d = Departures(times=["10:00"], days=["wed"], timezone="Asia/Almaty")
    >>> departure_times(d, dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc), 24 * 8)
    [5.0, 173.0]
    """
    if dep.every_hours is not None:
        n = int((horizon_hours - dep.offset_hours) // dep.every_hours) + 1
        times = [dep.offset_hours + k * dep.every_hours for k in range(max(n, 0))]
        return [t for t in times if t < horizon_hours]
    zone = ZoneInfo(dep.timezone)
    first = start_utc.astimezone(zone).date() - dt.timedelta(days=1)
    clocks = sorted(clock_hours(t) for t in dep.times or [])
    out = []
    for i in range(int(horizon_hours // 24) + 3):
        day = first + dt.timedelta(days=i)
        if WEEKDAYS[day.weekday()] not in dep.days:
            continue
        for h in clocks:
            local = dt.datetime(day.year, day.month, day.day, tzinfo=zone) + dt.timedelta(hours=h)
            t = (local.astimezone(dt.timezone.utc) - start_utc).total_seconds() / 3600.0
            if 0.0 <= t < horizon_hours:
                out.append(t)
    return sorted(out)


class Travel:
    """A link each vehicle drives on its own, after a sampled travel time.

    Parameters
    ----------
    env : simpy.Environment
    sample : callable
        ``sample()``: a travel time [h] (a :class:`Sampler`'s ``draw``).
    advance : callable
        ``advance(job)`` on arrival at the end node.
    regauge : bool, default False
        The link breaks gauge: arriving jobs are marked for transshipment.
    """

    __slots__ = ("env", "sample", "advance", "regauge", "_queue", "_eid")

    def __init__(self, env: simpy.Environment, sample: Callable[[], float],
                 advance: Callable[[Job], None], regauge: bool = False) -> None:
        self.env, self.sample, self.advance, self.regauge = env, sample, advance, regauge
        self._queue, self._eid = env._queue, env._eid  # for call_later, inlined in enter

    def enter(self, job: Job) -> None:
        """A vehicle sets off."""
        # call_later(self.env, self.sample(), self._arrive, job), inlined
        heappush(self._queue, (self.env._now + self.sample(), NORMAL, next(self._eid),
                               Tick(self._arrive, job)))

    def _arrive(self, ev: Tick) -> None:
        job = ev._value
        job.regauge = self.regauge
        self.advance(job)


class Service:
    """A scheduled or when-full service on a link: loads wait for a vehicle with room.

    Loads queue first come, first served, perishables (green-corridor) first. At each
    timetabled departure — or, with ``when_full``, as soon as a vehicle's worth waits or the
    oldest load has waited ``max_wait_hours`` — a vehicle takes loads up to ``capacity`` units
    and travels as one job. A vehicle with nothing to carry does not run.

    Parameters
    ----------
    env : simpy.Environment
    index : int
        Station number in the recorder's job table (one record per vehicle).
    capacity : float
        Units per vehicle.
    travel : Travel
        Moves the loaded vehicle to the end node.
    units : callable
        ``units(sid) -> float``.
    rec : Recorder
    departures : list of float, optional
        Timetabled departure times [h].
    when_full : bool, default False
        Leave as soon as full.
    max_wait_hours : float, optional
        With ``when_full``: leave part-full after this wait of the oldest load [h].
    """

    def __init__(self, env: simpy.Environment, index: int, capacity: float, travel: Travel,
                 units: Callable[[int], float], rec: Recorder,
                 departures: list[float] | None = None, when_full: bool = False,
                 max_wait_hours: float | None = None) -> None:
        self.env, self.index, self.capacity, self.travel = env, index, capacity, travel
        self.units, self.rec = units, rec
        self.when_full, self.max_wait = when_full, max_wait_hours
        # loads waiting: (shipment, time queued [h], commodity, units)
        self.q_green: deque[tuple[int, float, int, float]] = deque()
        self.q_general: deque[tuple[int, float, int, float]] = deque()
        self.waiting_units = 0.0
        self.on_depart: Callable[[list[int]], None] | None = None  # loads leave a yard
        self._due = float("inf")  # the one pending max-wait timer
        self._times = departures or []
        self._next = 0
        if self._times:
            self._schedule_next()

    def enter(self, job: Job) -> None:
        """Loads of a job join the queue for the next vehicle."""
        now, sids = self.env._now, job.sids
        queue = self.q_green if job.green else self.q_general
        if len(sids) == 1:  # a truck's one load: the loop below without the loop
            sid = sids[0]
            u = self.units(sid)
            queue.append((sid, now, job.commodity, u))
            self.waiting_units += u
        else:
            units, commodity, append = self.units, job.commodity, queue.append
            waiting = self.waiting_units
            for sid in sids:
                u = units(sid)
                append((sid, now, commodity, u))
                waiting += u
            self.waiting_units = waiting
        if self.when_full:
            while self.waiting_units >= self.capacity - 1e-9:
                self._depart()
            if self.max_wait is not None and self._due == _INF and (
                    self.q_green or self.q_general):
                self._timer(self._oldest() + self.max_wait)

    def _schedule_next(self) -> None:
        t = self._times[self._next]
        call_later(self.env, t - self.env.now, self._on_departure)

    def _on_departure(self, ev: Tick) -> None:
        self._next += 1
        if self._next < len(self._times):
            self._schedule_next()
        if self.q_green or self.q_general:
            self._depart()

    def _timer(self, due: float) -> None:
        self._due = due
        call_later(self.env, max(due - self.env.now, 0.0), self._on_timer, due)

    def _oldest(self) -> float:
        heads = [q[0][1] for q in (self.q_green, self.q_general) if q]
        return min(heads) if heads else float("inf")

    def _on_timer(self, ev: Tick) -> None:
        due = ev._value
        self._due = float("inf")
        oldest = self._oldest()
        if oldest + self.max_wait <= due + 1e-9:
            self._depart()
            oldest = self._oldest()
        if oldest != float("inf"):
            self._timer(oldest + self.max_wait)

    def _depart(self) -> None:
        sids: list[int] = []
        queued: list[float] = []
        load, green, commodity = 0.0, False, -1
        room = self.capacity + 1e-9
        add_sid, add_queued = sids.append, queued.append
        for q in (self.q_green, self.q_general):
            taken = len(sids)
            while q:
                entry = q[0]  # (shipment, time queued, commodity, units)
                u = entry[3]
                if load + u > room:
                    break
                q.popleft()
                if not sids:
                    commodity = entry[2]
                add_queued(entry[1])
                add_sid(entry[0])
                load += u
            if q is self.q_green and len(sids) > taken:
                green = True  # it carries a green-corridor load
            if q:
                break  # the vehicle is full: later queues wait too
        self.waiting_units -= load
        if not sids:
            return
        now = self.env.now
        self.rec.job(self.index, now, now, len(sids), load)
        self.rec.vehicle_waits(self.index, sids, queued, now)
        if self.on_depart is not None:
            self.on_depart(sids)
        self.travel.enter(Job(sids, green, commodity))
