"""Append-only columnar recording of one replication.

Each record is a handful of numbers appended to typed arrays (``array.array``): no dict, no
object per event. Tables are built once, at the end, from these columns.
"""

from __future__ import annotations

from array import array

import numpy as np

from ..records import DELIVERED, IN_SYSTEM, REJECTED, ReplicationData

__all__ = ["DELIVERED", "IN_SYSTEM", "REJECTED", "Recorder", "ReplicationData"]


class Recorder:
    """Columns of shipments, node visits and server jobs, filled as the model runs.

    Stations (lanes, tracks, bays) keep their own totals while the model runs — busy
    server-hours within [``warmup_hours``, horizon] and vehicles served after and before the
    warm-up — and hand them over at the end as the per-station columns ``u_busy_hours``,
    ``u_vehicles`` and ``u_vehicles_before`` (indexed by station number; stations without
    servers, such as a link's service, count 0). Their job table (``j_*``) therefore holds only
    multi-shipment vehicles (trains, flights) and every departure of a link's service or a
    consolidated train; a truck's job is its visit row.

    Scenarios with finite ``space`` also fill the occupancy columns (``o_*``: one row per
    change of a space: its number, the time, the room used and the vehicles waiting for it on
    the approach and blocked after service) and the block columns (``b_*``: visit row and
    hours blocked after service); elsewhere these stay empty.

    Loads that wait for a scheduled or when-full vehicle (a train, a flight) fill the wait
    columns (``w_*``: the service's station number, the shipment, when it joined the queue
    and when its vehicle left [h]); these waits are not visits of any node.
    """

    _COLUMNS = ("s_flow", "s_created", "s_end", "s_status", "s_node", "s_vrow",
                "v_sid", "v_node", "v_arrived", "v_started", "v_departed",
                "j_station", "j_start", "j_end", "j_size", "j_units",
                "o_space", "o_time", "o_used", "o_approach", "o_blocked",
                "b_vrow", "b_hours", "w_station", "w_sid", "w_queued", "w_left")
    __slots__ = (*_COLUMNS, "warmup_hours", "_stations", "_visits", "_visit_room")

    def __init__(self, warmup_hours: float = 0.0) -> None:
        self.warmup_hours = warmup_hours
        self._stations: list = []
        self._visits = self._visit_room = 0  # visit rows used, and allocated
        self.s_flow = array("i")
        self.s_created = array("d")
        self.s_end = array("d")
        self.s_status = array("b")
        self.s_node = array("i")
        self.s_vrow = array("q")
        self.v_sid = array("q")
        self.v_node = array("i")
        self.v_arrived = array("d")
        self.v_started = array("d")
        self.v_departed = array("d")
        self.j_station = array("i")
        self.j_start = array("d")
        self.j_end = array("d")
        self.j_size = array("i")
        self.j_units = array("d")
        self.o_space = array("i")
        self.o_time = array("d")
        self.o_used = array("d")
        self.o_approach = array("i")
        self.o_blocked = array("i")
        self.b_vrow = array("q")
        self.b_hours = array("d")
        self.w_station = array("i")
        self.w_sid = array("q")
        self.w_queued = array("d")
        self.w_left = array("d")

    def allocate(self, flows: np.ndarray, created: np.ndarray) -> None:
        """Lay out the shipment columns once, before the run.

        Every creation time is drawn before the run starts, so shipment ``i`` is known in
        advance: its flow and creation time [h] are filled in here and nothing is appended
        per shipment while the model runs.
        """
        n = len(flows)
        self.s_flow = array("i", np.asarray(flows, dtype=np.int32).tobytes())
        self.s_created = array("d", np.asarray(created, dtype=np.float64).tobytes())
        self.s_end = array("d", [np.nan]) * n
        self.s_status = array("b", [IN_SYSTEM]) * n
        self.s_node = array("i", [-1]) * n
        self.s_vrow = array("q", [-1]) * n
        self._grow_visits(n)  # a first guess: one visit per shipment

    def add_station(self, station) -> None:
        """Register a station whose totals become the ``u_*`` columns at the end of the run.

        ``station`` has ``index``, ``busy_hours`` [h], ``vehicles`` and ``vehicles_before``
        (a :class:`~corridor_sim.engine.facilities.Station`).
        """
        self._stations.append(station)

    def delivered(self, sid: int, now: float) -> None:
        """Record that shipment ``sid`` reached its destination at ``now`` [h]."""
        self.s_end[sid] = now
        self.s_status[sid] = DELIVERED

    def rejected(self, sid: int, node: int, now: float) -> None:
        """Record that shipment ``sid`` was turned back at ``node`` at ``now`` [h]."""
        self.s_end[sid] = now
        self.s_status[sid] = REJECTED
        self.s_node[sid] = node

    def arrive(self, sids: list[int], node: int, now: float) -> None:
        """Open a visit row per shipment arriving at a facility node.

        Service start and departure stay NaN until :meth:`start` and :meth:`depart` fill
        them, so visits still open at the end of the run are kept (and counted in queues)
        rather than lost. Rows are written into columns allocated ahead (see
        :meth:`_grow_visits`), not appended one by one.
        """
        r = self._visits
        end = r + len(sids)
        if end > self._visit_room:
            self._grow_visits(end)
        self._visits = end
        n = end - r
        # rows r..end-1 at once (C-level slice copies); only s_vrow needs a Python loop
        self.v_sid[r:end] = array("q", sids)
        self.v_node[r:end] = array("i", (node,)) * n
        self.v_arrived[r:end] = array("d", (now,)) * n
        vrow = self.s_vrow
        for sid in sids:
            vrow[sid] = r
            r += 1

    def _grow_visits(self, need: int) -> None:
        """Allocate visit rows ahead: at least ``need``, and an eighth more than there are.

        New rows have NaN start and departure; the unused ones are cut off by :meth:`freeze`.
        Growing by an eighth, as ``array.append`` itself does, keeps the rows allocated but
        not used below 12 % of the visits.
        """
        add = max(need, self._visit_room + self._visit_room // 8, 1024) - self._visit_room
        self.v_sid.extend(array("q", bytes(8 * add)))
        self.v_node.extend(array("i", bytes(4 * add)))
        self.v_arrived.extend(array("d", bytes(8 * add)))
        nan = array("d", [np.nan]) * add
        self.v_started.extend(nan)
        self.v_departed.extend(nan)
        self._visit_room += add

    def start(self, sids: list[int], now: float) -> None:
        """Service began at ``now`` [h] for the open visits of these shipments (if not yet).

        A shipment without a visit yet (served at a link's daily-quota gate before reaching
        any facility) has nothing to mark.
        """
        started, vrow = self.v_started, self.s_vrow
        for sid in sids:
            r = vrow[sid]
            if r >= 0 and started[r] != started[r]:  # NaN: not started yet
                started[r] = now

    def depart(self, sids: list[int], now: float) -> None:
        """These shipments left their current facility node at ``now`` [h]."""
        departed, vrow = self.v_departed, self.s_vrow
        for sid in sids:
            departed[vrow[sid]] = now

    def job(self, station: int, start: float, end: float, size: int, units: float) -> None:
        """Record one vehicle (train, flight) served by a station or link service.

        Times in [h]; ``size`` shipments carrying ``units`` (0 where not tracked).
        """
        self.j_station.append(station)
        self.j_start.append(start)
        self.j_end.append(end)
        self.j_size.append(size)
        self.j_units.append(units)

    def occupancy(self, space: int, now: float, used: float, approach: int, blocked: int
                  ) -> None:
        """Record the state of a finite space after a change at ``now`` [h].

        ``used`` vehicles or TEU inside, ``approach`` vehicles waiting for it holding
        nothing, ``blocked`` vehicles waiting for it while holding a server.
        """
        self.o_space.append(space)
        self.o_time.append(now)
        self.o_used.append(used)
        self.o_approach.append(approach)
        self.o_blocked.append(blocked)

    def blocked(self, sids: list[int], hours: float) -> None:
        """These shipments' current visits were blocked after service for ``hours``."""
        vrow = self.s_vrow
        for sid in sids:
            self.b_vrow.append(vrow[sid])
            self.b_hours.append(hours)

    def vehicle_waits(self, station: int, sids: list[int], queued: list[float], now: float
                      ) -> None:
        """These loads, queued at ``queued`` [h], left on a vehicle of ``station`` at ``now``."""
        self.w_station.extend([station] * len(sids))
        self.w_sid.extend(sids)
        self.w_queued.extend(queued)
        self.w_left.extend([now] * len(sids))

    def freeze(self) -> dict[str, np.ndarray]:
        """All columns as numpy arrays (views, no copy), keyed by column name.

        With the stations' totals as ``u_busy_hours`` [h], ``u_vehicles`` and
        ``u_vehicles_before``, one entry per station number.
        """
        for name in ("v_sid", "v_node", "v_arrived", "v_started", "v_departed"):
            col = getattr(self, name)
            if len(col) > self._visits:
                del col[self._visits:]  # rows allocated ahead and never used
        self._visit_room = self._visits
        out = {}
        for name in self._COLUMNS:
            col = getattr(self, name)
            dtype = np.dtype(col.typecode)
            out[name] = np.frombuffer(col, dtype=dtype) if len(col) else np.empty(0, dtype)
        n = max((st.index for st in self._stations), default=-1) + 1
        busy, after, before = np.zeros(n), np.zeros(n, np.int64), np.zeros(n, np.int64)
        for st in self._stations:
            busy[st.index] += st.busy_hours
            after[st.index] += st.vehicles
            before[st.index] += st.vehicles_before
        out.update(u_busy_hours=busy, u_vehicles=after, u_vehicles_before=before)
        return out
