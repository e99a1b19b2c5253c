"""Finite space: parking areas, the strip between checkpoints, container yards.

A :class:`Space` holds up to ``capacity`` vehicles (or TEU). Who cannot get in waits, first
come first served, in one of two ways:

- **on the approach**, holding nothing: a vehicle leaving its origin, or arriving at a node
  whose waiting room is full (it waits at the end of the link it came by);
- **blocked after service**: a vehicle that has been served but whose next link is full keeps
  its lane, track or bay until a place frees (as in Ciw's blocking after service).

Places are granted one event later (a zero-delay tick), never from inside the release that
freed them, so a station in the middle of dispatching its own queue is never re-entered.

Nothing here runs for a scenario without ``space``: the model builds spaces, link wrappers
and the watchdog only where a scenario sets one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import simpy

from ..errors import CorridorSimError
from .events import Tick, call_later
from .facilities import Job
from .recorder import Recorder

__all__ = ["DeadlockError", "Space", "SpacedLink", "Watchdog"]

_EPS = 1e-9


class DeadlockError(CorridorSimError, RuntimeError):
    """Vehicles wait for space that has not freed for a long time while it could have.

    Raised by the run-time watchdog of a model with finite spaces instead of letting a
    deadlocked replication run on with nothing moving.
    """


class Space:
    """A finite room: capacity in vehicles or TEU, and a FIFO of those waiting for it.

    Parameters
    ----------
    env : simpy.Environment
    index : int
        Space number in the recorder's occupancy table.
    name : str
        For messages, e.g. ``"space[nur_zholy_road]"``.
    capacity : float
        Vehicles or TEU.
    rec : Recorder
    oversize : bool, default False
        An amount larger than the whole capacity enters an empty space (a train larger than
        the yard); otherwise it would wait for ever.
    """

    __slots__ = ("env", "index", "name", "capacity", "rec", "oversize", "used", "waiters",
                 "blocked", "last_move", "is_open", "_granting")

    def __init__(self, env: simpy.Environment, index: int, name: str, capacity: float,
                 rec: Recorder, oversize: bool = False) -> None:
        self.env, self.index, self.name, self.capacity = env, index, name, capacity
        self.rec, self.oversize = rec, oversize
        self.used = 0.0
        self.waiters: deque[tuple[float, Callable[[], None], bool]] = deque()
        self.blocked = 0  # waiters that hold a server
        self.last_move = 0.0
        self.is_open: Callable[[float], bool] | None = None  # where it drains, for the watchdog
        self._granting = False

    def _record(self) -> None:
        # rec.occupancy(index, now, used, approach, blocked), inlined: a record per change
        rec, blocked = self.rec, self.blocked
        rec.o_space.append(self.index)
        rec.o_time.append(self.env._now)
        rec.o_used.append(self.used)
        rec.o_approach.append(len(self.waiters) - blocked)
        rec.o_blocked.append(blocked)

    def _fits(self, amount: float) -> bool:
        return self.used + amount <= self.capacity + _EPS or (self.oversize and self.used <= _EPS)

    def take(self, amount: float) -> bool:
        """Take room for ``amount`` now if there is room and nobody waits before; say if done."""
        if self.waiters or not (self.used + amount <= self.capacity + _EPS
                                or (self.oversize and self.used <= _EPS)):  # _fits, inlined
            return False
        self.used = used = self.used + amount
        # self._record(), inlined: a record per change
        rec, blocked = self.rec, self.blocked
        rec.o_space.append(self.index)
        rec.o_time.append(self.env._now)
        rec.o_used.append(used)
        rec.o_approach.append(len(self.waiters) - blocked)
        rec.o_blocked.append(blocked)
        return True

    def wait(self, amount: float, granted: Callable[[], None], blocked: bool) -> None:
        """Queue for room; ``granted()`` is called once the room is taken for the waiter.

        Parameters
        ----------
        amount : float
            Vehicles or TEU.
        granted : callable
            Called (in a later event at the same time) when the room is the waiter's.
        blocked : bool
            The waiter holds a server meanwhile (blocked after service), rather than waiting
            on the approach.
        """
        self.waiters.append((amount, granted, blocked))
        if blocked:
            self.blocked += 1
        self._record()

    def release(self, amount: float) -> None:
        """Give back room; waiters that now fit are granted it, in order."""
        used = self.used - amount
        self.used = used = used if used > _EPS else 0.0
        self.last_move = now = self.env._now
        waiters = self.waiters
        if waiters and not self._granting:
            self._granting = True
            call_later(self.env, 0.0, self._grant)
        # self._record(), inlined: a record per change
        rec, blocked = self.rec, self.blocked
        rec.o_space.append(self.index)
        rec.o_time.append(now)
        rec.o_used.append(used)
        rec.o_approach.append(len(waiters) - blocked)
        rec.o_blocked.append(blocked)

    def _grant(self, ev: Tick) -> None:
        self._granting = False
        granted = []
        waiters = self.waiters
        while waiters and self._fits(waiters[0][0]):
            amount, callback, blocked = waiters.popleft()
            self.used += amount
            if blocked:
                self.blocked -= 1
            granted.append(callback)
        if granted:
            self.last_move = self.env.now
            self._record()
        for callback in granted:
            callback()


class SpacedLink:
    """A link step with finite room: a vehicle takes a place before it sets off.

    The place is held until the vehicle starts service at the next node (released by
    :meth:`Job.begin`), or, where the link ends at a place without servers, on arrival.

    Parameters
    ----------
    space : Space
    inner : object
        The link's own step (travel, instant, daily-quota gate); its ``enter(job)`` is called
        once the vehicle has a place.
    """

    __slots__ = ("space", "inner")

    def __init__(self, space: Space, inner) -> None:
        self.space, self.inner = space, inner

    def enter(self, job: Job) -> None:
        """A vehicle enters the link: with the place reserved for it, or when one frees."""
        space = self.space
        if job.reserved is space:
            job.reserved = None
        elif not space.take(1.0):
            space.wait(1.0, lambda: self._go(job), False)
            return
        held = job.held  # self._go(job), inlined
        if held is None:
            job.held = [space]
        else:
            held.append(space)
        self.inner.enter(job)

    def _go(self, job: Job) -> None:
        if job.held is None:
            job.held = [self.space]
        else:
            job.held.append(self.space)
        self.inner.enter(job)


class Watchdog:
    """Stops a replication whose vehicles wait for space that has not moved in a long time.

    Every ``every_hours`` it looks at each space with waiters. A space that has neither freed
    nor granted a place for ``stall_hours`` while the node it drains into is open is stuck;
    if any is, :class:`DeadlockError` says how many vehicles wait at which spaces.

    Parameters
    ----------
    env : simpy.Environment
    spaces : list of Space
    stall_hours : float
    every_hours : float
    horizon_hours : float
    """

    def __init__(self, env: simpy.Environment, spaces: list[Space], stall_hours: float,
                 every_hours: float, horizon_hours: float) -> None:
        self.env, self.spaces = env, spaces
        self.stall_hours, self.every = stall_hours, every_hours
        self.horizon = horizon_hours
        call_later(env, every_hours, self._check)

    def stuck(self) -> list[Space]:
        """Spaces with waiters that have not moved for ``stall_hours`` while open."""
        now = self.env.now
        out = []
        for s in self.spaces:
            if not s.waiters or now - s.last_move < self.stall_hours:
                continue
            if s.is_open is not None and not s.is_open(now):
                continue
            out.append(s)
        return out

    def _check(self, ev: Tick) -> None:
        stuck = self.stuck()
        if stuck:
            waiting = sum(len(s.waiters) for s in stuck)
            where = "; ".join(
                f"{s.name} (full at {s.used:g} of {s.capacity:g}, {s.blocked} blocked after "
                f"service, {len(s.waiters) - s.blocked} on the approach)" for s in stuck)
            raise DeadlockError(
                f"no progress for {self.stall_hours:g} h (at model hour {self.env.now:g}) with "
                f"{waiting} vehicles waiting at {where}. Vehicles hold servers while waiting "
                "for space that only those servers can free: give each direction its own "
                "servers, or enlarge the spaces.")
        if self.env.now + self.every < self.horizon:
            call_later(self.env, self.every, self._check)
