"""The lightest event SimPy can process: a callback at a later time.

SimPy processes any object with ``callbacks`` and ``_ok`` that sits in its event queue; a
slotted :class:`Tick` costs a fraction of a :class:`simpy.Timeout` (no delay checks, no
generic event state) and is processed in exactly the same order (same priority, same
insertion counter), so results do not change. :func:`call_later` pushes it onto the queue the
way :meth:`simpy.Environment.schedule` does, without the method call (the hottest line of the
engine); it relies on SimPy 4's ``_queue``, ``_now`` and ``_eid``, hence the pin ``simpy<5``.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL

__all__ = ["Tick", "call_later"]


class Tick:
    """A one-shot scheduled callback (duck-typed SimPy event).

    Parameters
    ----------
    callback : callable
        Called with the tick when it fires.
    value : object
        Data for the callback, as ``tick._value``.
    """

    __slots__ = ("callbacks", "_ok", "_value")

    def __init__(self, callback: Callable[[Any], None], value: Any) -> None:
        self.callbacks = [callback]
        self._ok = True
        self._value = value


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
