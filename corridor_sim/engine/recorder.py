"""Append-only columnar recording of one replication.

Each record is a handful of numbers appended to typed arrays (``array.array``): no dict, no
object per event. Tables are built once, at the end, from these columns.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

__all__ = ["DELIVERED", "IN_SYSTEM", "REJECTED", "Recorder", "ReplicationData"]

IN_SYSTEM, DELIVERED, REJECTED = 0, 1, 2
"""Shipment status codes."""


class Recorder:
    """Columns of shipments, node visits and server jobs, filled as the model runs."""

    __slots__ = ("s_flow", "s_created", "s_end", "s_status", "s_node",
                 "v_sid", "v_node", "v_arrived", "v_started", "v_departed",
                 "j_station", "j_start", "j_end", "j_size")

    def __init__(self) -> None:
        self.s_flow = array("i")
        self.s_created = array("d")
        self.s_end = array("d")
        self.s_status = array("b")
        self.s_node = array("i")
        self.v_sid = array("q")
        self.v_node = array("i")
        self.v_arrived = array("d")
        self.v_started = array("d")
        self.v_departed = array("d")
        self.j_station = array("i")
        self.j_start = array("d")
        self.j_end = array("d")
        self.j_size = array("i")

    def new_shipment(self, flow: int, now: float) -> int:
        """Record a shipment created at ``now`` [h]; returns its id."""
        self.s_flow.append(flow)
        self.s_created.append(now)
        self.s_end.append(np.nan)
        self.s_status.append(IN_SYSTEM)
        self.s_node.append(-1)
        return len(self.s_flow) - 1

    def delivered(self, sid: int, now: float) -> None:
        """Record that shipment ``sid`` reached its destination at ``now`` [h]."""
        self.s_end[sid] = now
        self.s_status[sid] = DELIVERED

    def rejected(self, sid: int, node: int, now: float) -> None:
        """Record that shipment ``sid`` was turned back at ``node`` at ``now`` [h]."""
        self.s_end[sid] = now
        self.s_status[sid] = REJECTED
        self.s_node[sid] = node

    def arrive(self, sids: list[int], node: int, now: float) -> int:
        """Open a visit row per shipment arriving at a facility node; returns the first row.

        The rows of one job are consecutive; service start and departure stay NaN until
        :meth:`start` and :meth:`depart` fill them, so visits still open at the end of the run
        are kept (and counted in queues) rather than lost.
        """
        row = len(self.v_sid)
        nan = np.nan
        for sid in sids:
            self.v_sid.append(sid)
            self.v_node.append(node)
            self.v_arrived.append(now)
            self.v_started.append(nan)
            self.v_departed.append(nan)
        return row

    def start(self, row: int, n: int, now: float) -> None:
        """Service began at ``now`` [h] for visit rows ``row`` … ``row + n - 1``."""
        started = self.v_started
        for r in range(row, row + n):
            started[r] = now

    def depart(self, row: int, n: int, now: float) -> None:
        """The shipments of visit rows ``row`` … ``row + n - 1`` left at ``now`` [h]."""
        departed = self.v_departed
        for r in range(row, row + n):
            departed[r] = now

    def job(self, station: int, start: float, end: float, size: int) -> None:
        """Record one vehicle (truck, train, flight) served by a station (times in [h])."""
        self.j_station.append(station)
        self.j_start.append(start)
        self.j_end.append(end)
        self.j_size.append(size)

    def freeze(self) -> dict[str, np.ndarray]:
        """All columns as numpy arrays (views, no copy), keyed by column name."""
        out = {}
        for name in self.__slots__:
            col = getattr(self, name)
            dtype = np.dtype(col.typecode)
            out[name] = np.frombuffer(col, dtype=dtype) if len(col) else np.empty(0, dtype)
        return out


@dataclass
class ReplicationData:
    """Everything one replication produced, as plain arrays and small tables (picklable).

    Attributes
    ----------
    replication : int
        Replication number.
    seed : int
        Base seed.
    horizon_hours, warmup_hours : float
        Run length and warm-up [h].
    start : str
        ISO date-time of model time 0 (UTC).
    nodes : list of str
        Node names; node indices in the columns refer to this list.
    flows : dict of str to list
        One entry per demand flow: ``origin``, ``destination``, ``commodity``, ``units``,
        ``unit``, ``route``, ``green``, ``shelf_life_hours``.
    stations : dict of str to list
        One entry per server group: ``node`` (index), ``role``, ``servers``, ``open_hours``
        (open server-window hours within [warm-up, horizon], per server).
    columns : dict of str to numpy.ndarray
        The recorder's columns (see :class:`Recorder`).
    """

    replication: int
    seed: int
    horizon_hours: float
    warmup_hours: float
    start: str
    nodes: list[str]
    flows: dict[str, list]
    stations: dict[str, list]
    columns: dict[str, np.ndarray] = field(repr=False)
