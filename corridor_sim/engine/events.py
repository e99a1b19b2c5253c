"""The lightest event SimPy can process, and a run loop made for it.

SimPy processes any object with ``callbacks`` and ``_ok`` that sits in its event queue; a
slotted :class:`Tick` costs a fraction of a :class:`simpy.Timeout` (no delay checks, no
generic event state) and is processed in exactly the same order (same priority, same
insertion counter), so results do not change. :func:`call_later` pushes it onto the queue the
way :meth:`simpy.Environment.schedule` does, without the method call (the hottest line of the
engine).

:func:`run_until` is :meth:`simpy.Environment.run` with a numeric ``until``, inlined for
ticks: it pops the same queue in the same order, but calls a tick's callback directly
instead of going through :meth:`simpy.Environment.step` (a method call, a list of callbacks
and a failure check per event). Any other SimPy event in the queue (a process, a timeout) is
processed exactly as :meth:`~simpy.Environment.step` would. Both rely on SimPy 4's
``_queue``, ``_now`` and ``_eid``, hence the pin ``simpy<5``.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import StopSimulation
from simpy.events import NORMAL, URGENT

__all__ = ["NORMAL", "Tick", "call_later", "run_until"]


class Tick:
    """A one-shot scheduled callback (duck-typed SimPy event).

    Not a general SimPy event: ``callbacks`` is a view of its one callback, so it cannot be
    yielded by a process or given further callbacks; schedule a :class:`simpy.Timeout` for
    that.

    Parameters
    ----------
    callback : callable
        Called with the tick when it fires.
    value : object
        Data for the callback, as ``tick._value``.
    """

    __slots__ = ("fn", "_value")
    _ok = True  # a tick never fails

    def __init__(self, callback: Callable[[Any], None], value: Any) -> None:
        self.fn = callback
        self._value = value

    @property
    def callbacks(self) -> list[Callable[[Any], None]] | None:
        """The callback as SimPy's event protocol expects it (None once processed)."""
        return None if self.fn is None else [self.fn]

    @callbacks.setter
    def callbacks(self, value: list[Callable[[Any], None]] | None) -> None:
        self.fn = value[0] if value else None


def call_later(env: simpy.Environment, delay: float, callback: Callable[[Any], None],
               value: Any = None) -> None:
    """Call ``callback(tick)`` after ``delay`` model hours, with ``tick._value == value``.

    Parameters
    ----------
    env : simpy.Environment
    delay : float
        Hours from now, ≥ 0.
    callback : callable
    value : object, optional
    """
    heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), Tick(callback, value)))


class _Stop:
    """The end of :func:`run_until`, scheduled as SimPy schedules its own ``until`` event.

    Should a run end early (a callback raised), a stop left in the queue behaves as SimPy's
    own: whichever loop pops it next stops there (its callback raises
    :class:`simpy.exceptions.StopSimulation`).
    """

    __slots__ = ("callbacks",)
    _ok = ok = True
    _value = value = None

    def __init__(self) -> None:
        self.callbacks = [StopSimulation.callback]


def run_until(env: simpy.Environment, until: float) -> None:
    """Process events until model time ``until``, as ``env.run(until=until)`` does.

    Events at times before ``until`` are processed, in SimPy's order; so are urgent events at
    ``until`` scheduled before this call. The clock is left at ``until``.

    Parameters
    ----------
    env : simpy.Environment
    until : float
        Model time to stop at [h]; greater than ``env.now``.

    Raises
    ------
    ValueError
        If ``until`` is not after the current time.
    """
    at = float(until)
    if at <= env._now:
        raise ValueError(f"until ({until}) must be greater than the current simulation time")
    queue, tick, stop = env._queue, Tick, _Stop()
    # at `now + (at - now)`, the very float SimPy's `run` schedules its stop at
    heappush(queue, (env._now + (at - env._now), URGENT, next(env._eid), stop))
    try:
        while True:
            env._now, _, _, event = heappop(queue)
            if event.__class__ is tick:
                event.fn(event)
            elif event is stop:
                return
            else:
                _process(event)
    except StopSimulation:
        return  # an earlier run's stop, or a callback that stopped the run, as in SimPy


def _process(event: Any) -> None:
    """Process a SimPy event other than a tick, as :meth:`simpy.Environment.step` does."""
    callbacks, event.callbacks = event.callbacks, None
    for callback in callbacks:
        callback(event)
    if not event._ok and not hasattr(event, "_defused"):
        exc = type(event._value)(*event._value.args)
        exc.__cause__ = event._value
        raise exc
