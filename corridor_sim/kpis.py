"""Key performance indicators of one replication, computed from its recorded columns.

Every KPI but the shipment counts is measured over the post-warm-up window
[``warmup_hours``, ``horizon_hours``]. The counts (``created``, ``delivered``, ``in_system``,
``rejected``) cover the whole run, so that ``created = delivered + in_system + rejected`` holds
exactly in every replication.

KPI names are dotted: ``NODE.wait_hours.mean``, ``FLOW.lead_time_hours.mean`` (flows are named
``origin>destination:commodity``), ``origin>destination:mode.departures_per_day`` for a link's
service. Names that are not about one node or flow are bracketed, so that they can collide
neither with flow keys nor with node names (which hold no brackets):

- ``space[FROM→TO].…`` a link's finite space (``…occupancy.mean``, ``.p95``, ``.max``,
  ``.full_share``, ``.approach.mean``/``.max``, ``.blocked.mean``/``.max``); a node's own
  space is ``NODE.space.…`` (the same, with ``teu_days`` for a yard and ``approach_km.max``
  at a road checkpoint);
- ``crossing[A→B].hours.mean`` / ``.p95`` / ``.vehicles_per_day``: the border-crossing time on
  the CAREC definition, from arrival in the queue of checkpoint ``A`` to departure from the
  next checkpoint ``B``, for every pair of checkpoints joined by a link, per direction.

Per direction of travel through a node that vehicles reach from more than one neighbour:
``NODE.from[PREV].wait_hours.mean`` / ``.p95``, ``.vehicles_per_day`` and
``.queue_length.mean`` / ``.max`` (``PREV`` is the node they arrive from); a direction's own
lanes add ``NODE.from[PREV].utilisation`` and its own space ``NODE.from[PREV].space.…``.
Queue lengths count shipments, which at a road checkpoint are trucks; ``NODE.queue_km.mean``
/ ``.max`` turn them into km of road at the scenario's ``vehicle_length_m``.
"""

from __future__ import annotations

import numpy as np

from .costs import cost_kpis
from .records import DELIVERED, IN_SYSTEM, REJECTED, ReplicationData, flow_rows, visits_by_node

__all__ = ["queue_profile", "replication_kpis", "shipment_arrays", "step_stats"]


def shipment_arrays(data: ReplicationData) -> dict[str, np.ndarray]:
    """Per-shipment arrays of a replication: flow, commodity, units, times, status, lead time.

    Keys: ``flow``, ``commodity``, ``units``, ``teu``, ``created``, ``end``, ``status``,
    ``lead``, ``spoiled`` and ``shelf``.

    Parameters
    ----------
    data : ReplicationData

    Returns
    -------
    dict of str to numpy.ndarray
        ``commodity`` is the number of each shipment's commodity in order of first appearance
        in ``data.flows["commodity"]``.
    """
    c = data.columns
    flow = c["s_flow"].astype(np.int64)
    units = np.asarray(data.flows["units"], dtype=float)[flow] if flow.size else np.empty(0)
    shelf = np.asarray(data.flows["shelf_life_hours"], dtype=float)[flow] if flow.size else \
        np.empty(0)
    status = c["s_status"]
    lead = np.where(status == DELIVERED, c["s_end"] - c["s_created"], np.nan)
    with np.errstate(invalid="ignore"):
        spoiled = (status == DELIVERED) & ~np.isnan(shelf) & (lead > shelf)
    teu = (np.asarray(data.flows["unit"], dtype=object)[flow] == "teu") if flow.size else \
        np.empty(0, dtype=bool)
    names = list(dict.fromkeys(data.flows["commodity"]))
    code = np.asarray([names.index(com) for com in data.flows["commodity"]], dtype=np.int64)
    commodity = code[flow] if flow.size else np.empty(0, dtype=np.int64)
    return {"flow": flow, "units": units, "teu": teu, "created": c["s_created"],
            "end": c["s_end"],
            "status": status, "lead": lead, "spoiled": spoiled, "shelf": shelf,
            "commodity": commodity}


def queue_profile(arrived: np.ndarray, started: np.ndarray, end: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Number waiting as a step function of time.

    Parameters
    ----------
    arrived, started : numpy.ndarray
        Arrival and service-start times of visits [h]; NaN start means still waiting at ``end``.
    end : float
        End of the run [h].

    Returns
    -------
    times, counts : numpy.ndarray
        ``counts[i]`` waiting from ``times[i]`` until ``times[i + 1]``.
    """
    started = np.where(np.isnan(started), end, started)
    waiting = started > arrived
    a, s = arrived[waiting], started[waiting]
    times = np.concatenate([a, s])
    steps = np.concatenate([np.ones(a.size), -np.ones(s.size)])
    order = np.lexsort((steps, times))  # departures before arrivals at equal times
    return times[order], np.cumsum(steps[order])


def _node_kpis(data: ReplicationData, rows: np.ndarray, name: str, out: dict[str, float],
               units: np.ndarray, teu: np.ndarray) -> None:
    """Waits, throughput, queues and dwell of a node, from its visit ``rows``."""
    c = data.columns
    lo, hi = data.warmup_hours, data.horizon_hours
    days = (hi - lo) / 24.0
    arrived, started, departed = c["v_arrived"][rows], c["v_started"][rows], c["v_departed"][rows]
    sid = c["v_sid"][rows]
    waits = (started - arrived)[(arrived >= lo) & ~np.isnan(started)]
    out[f"{name}.wait_hours.mean"] = float(waits.mean()) if waits.size else np.nan
    out[f"{name}.wait_hours.p95"] = float(np.percentile(waits, 95)) if waits.size else np.nan
    passed = (departed >= lo) & (departed <= hi)
    passed_sid = sid[passed]
    is_teu = teu[passed_sid]
    out[f"{name}.throughput_per_day"] = float(units[passed_sid][is_teu].sum()) / days
    out[f"{name}.tonnes_per_day"] = float(units[passed_sid][~is_teu].sum()) / days
    out[f"{name}.shipments_per_day"] = float(passed.sum()) / days
    s_end = np.where(np.isnan(started), hi, started)
    in_queue = np.clip(np.minimum(s_end, hi) - np.maximum(arrived, lo), 0.0, None)
    out[f"{name}.queue_length.mean"] = float(in_queue.sum()) / (hi - lo)
    dwell = (departed - arrived)[(arrived >= lo) & ~np.isnan(departed)]
    out[f"{name}.dwell_hours.mean"] = float(dwell.mean()) if dwell.size else np.nan
    times, counts = queue_profile(arrived, started, hi)
    if times.size:
        inside = times >= lo
        before = counts[~inside][-1:] if (~inside).any() else np.zeros(1)
        out[f"{name}.queue_length.max"] = float(max(before.max(), counts[inside].max(
            initial=0.0)))
    else:
        out[f"{name}.queue_length.max"] = 0.0


def _peak_hour_kpis(arrived: np.ndarray, lo: float, hi: float, key: str,
                    out: dict[str, float]) -> None:
    """Peak-hour arrivals: ``KEY.arrivals_per_hour.p95`` and ``.max``.

    Shipments (trucks, containers) reaching the node, at the model times ``arrived`` [h], are
    counted per whole hour of model time within [``lo``, ``hi``] (``[k, k + 1)``, clock hours
    when the run starts on the hour); the 95th percentile and the largest of those counts are
    the design-hour figures a gate is sized for. Hours with no arrival count as 0.
    """
    first, last = int(np.ceil(lo)), int(np.floor(hi))
    if last <= first:
        out[f"{key}.arrivals_per_hour.p95"] = out[f"{key}.arrivals_per_hour.max"] = np.nan
        return
    arrived = arrived[(arrived >= first) & (arrived < last)]
    counts = np.bincount((arrived - first).astype(np.int64), minlength=last - first)
    out[f"{key}.arrivals_per_hour.p95"] = float(np.percentile(counts, 95))
    out[f"{key}.arrivals_per_hour.max"] = float(counts.max())


def step_stats(times: np.ndarray, values: np.ndarray, lo: float, hi: float
               ) -> tuple[float, float, float, np.ndarray, np.ndarray]:
    """Time-weighted mean, p95 and max over [lo, hi] of a step function.

    Parameters
    ----------
    times, values : numpy.ndarray
        The function is ``values[i]`` from ``times[i]`` (sorted) until ``times[i + 1]``, and 0
        before ``times[0]``.
    lo, hi : float
        The window [h].

    Returns
    -------
    mean, p95, max : float
    levels, durations : numpy.ndarray
        Each level held within the window and for how long [h].

    Examples
    --------
    >>> import numpy as np
    >>> step_stats(np.array([0.0, 1.0, 3.0]), np.array([2.0, 4.0, 0.0]), 0.0, 4.0)[:3]
    (2.5, 4.0, 4.0)
    """
    before = np.searchsorted(times, lo, side="right") - 1
    first = values[before] if before >= 0 else 0.0
    keep = (times > lo) & (times < hi)
    t = np.concatenate([[lo], times[keep], [hi]])
    v = np.concatenate([[first], values[keep]])
    dt = np.diff(t)
    total = hi - lo
    mean = float(np.sum(v * dt) / total)
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(dt[order])
    p95 = float(v[order][np.searchsorted(cum, 0.95 * total - 1e-9)]) if v.size else 0.0
    return mean, p95, float(v.max()), v, dt


def _space_kpis(data: ReplicationData, out: dict[str, float]) -> None:
    """Occupancy, overflow onto the approach and blocked servers of every finite space."""
    c = data.columns
    lo, hi = data.warmup_hours, data.horizon_hours
    sp = data.spaces
    space_col = c["o_space"]
    for i, prefix in enumerate(sp["prefix"]):
        mask = space_col == i
        t = c["o_time"][mask]
        mean, p95, top, levels, dt = step_stats(t, c["o_used"][mask], lo, hi)
        out[f"{prefix}.occupancy.mean"] = mean
        out[f"{prefix}.occupancy.p95"] = p95
        out[f"{prefix}.occupancy.max"] = top
        out[f"{prefix}.full_share"] = float(
            dt[levels >= sp["capacity"][i] - 1e-9].sum() / (hi - lo))
        if sp["unit"][i] == "teu":
            out[f"{prefix}.teu_days"] = mean * (hi - lo) / 24.0
        a_mean, _, a_max, _, _ = step_stats(t, c["o_approach"][mask].astype(float), lo, hi)
        out[f"{prefix}.approach.mean"] = a_mean
        out[f"{prefix}.approach.max"] = a_max
        metres = data.road_m_per_vehicle.get(sp["node"][i])
        if sp["kind"][i] == "node" and metres is not None:
            out[f"{prefix}.approach_km.max"] = a_max * metres / 1000.0
        if sp["kind"][i] == "link":
            b_mean, _, b_max, _, _ = step_stats(t, c["o_blocked"][mask].astype(float), lo, hi)
            out[f"{prefix}.blocked.mean"] = b_mean
            out[f"{prefix}.blocked.max"] = b_max


def _blocked_kpis(data: ReplicationData, out: dict[str, float],
                  at: dict[int, np.ndarray]) -> None:
    """Hours blocked after service at each node before a link with finite space."""
    c = data.columns
    lo, hi = data.warmup_hours, data.horizon_hours
    sp = data.spaces
    senders = sorted({f for f, k in zip(sp["from_node"], sp["kind"], strict=True)
                      if k == "link" and f >= 0})
    hours = np.zeros(c["v_sid"].size)
    np.add.at(hours, c["b_vrow"].astype(np.int64), c["b_hours"])
    departed = c["v_departed"]
    for node in senders:
        rows = at.get(node, np.empty(0, dtype=np.int64))
        d = departed[rows]
        with np.errstate(invalid="ignore"):
            sel = rows[(d >= lo) & (d <= hi)]
        name = data.nodes[node]
        out[f"{name}.blocked_hours.mean"] = float(hours[sel].mean()) if sel.size else np.nan
        out[f"{name}.blocked_hours.per_day"] = float(hours[sel].sum()) / ((hi - lo) / 24.0)


def _previous_nodes(data: ReplicationData) -> np.ndarray:
    """For each visit, the index of the node its shipment came from on its route (-1: none)."""
    n_nodes = len(data.nodes)
    where = {n: i for i, n in enumerate(data.nodes)}
    paths = data.flows.get("path", data.flows["route"])
    table = np.full((max(len(paths), 1), n_nodes), -1, dtype=np.int64)
    for f, route in enumerate(paths):
        names = route.split(">")
        for a, b in zip(names, names[1:], strict=False):
            table[f, where[b]] = where[a]
    c = data.columns
    flows = c["s_flow"].astype(np.int64)[c["v_sid"]] if c["v_sid"].size else \
        np.empty(0, dtype=np.int64)
    return table[flows, c["v_node"]] if flows.size else flows


def _direction_kpis(data: ReplicationData, out: dict[str, float],
                    at: dict[int, np.ndarray]) -> None:
    """Waits, queues and vehicles per day per direction (the node vehicles arrive from)."""
    c = data.columns
    lo, hi = data.warmup_hours, data.horizon_hours
    days = (hi - lo) / 24.0
    prev = _previous_nodes(data)
    arrived, started, departed = c["v_arrived"], c["v_started"], c["v_departed"]
    for n, here in at.items():
        came_from = prev[here]
        sources = [p for p in np.unique(came_from).tolist() if p >= 0]
        if len(sources) < 2:
            continue
        for p in sources:
            sel = here[came_from == p]
            key = f"{data.nodes[n]}.from[{data.nodes[p]}]"
            a, s, d = arrived[sel], started[sel], departed[sel]
            waits = (s - a)[(a >= lo) & ~np.isnan(s)]
            out[f"{key}.wait_hours.mean"] = float(waits.mean()) if waits.size else np.nan
            out[f"{key}.wait_hours.p95"] = (float(np.percentile(waits, 95)) if waits.size
                                            else np.nan)
            with np.errstate(invalid="ignore"):
                out[f"{key}.vehicles_per_day"] = float(((d >= lo) & (d <= hi)).sum()) / days
            s_end = np.where(np.isnan(s), hi, s)
            queue = np.clip(np.minimum(s_end, hi) - np.maximum(a, lo), 0.0, None)
            out[f"{key}.queue_length.mean"] = float(queue.sum()) / (hi - lo)
            times, counts = queue_profile(a, s, hi)
            inside = times >= lo
            before = counts[~inside][-1:] if (~inside).any() else np.zeros(1)
            out[f"{key}.queue_length.max"] = float(max(before.max(initial=0.0),
                                                       counts[inside].max(initial=0.0)))
            _peak_hour_kpis(a, lo, hi, key, out)


def _crossing_kpis(data: ReplicationData, out: dict[str, float]) -> None:
    """Border-crossing time per crossing and direction (CAREC: queue at A to leaving B)."""
    c = data.columns
    lo, hi = data.warmup_hours, data.horizon_hours
    sid, node = c["v_sid"], c["v_node"]
    arrived, departed = c["v_arrived"], c["v_departed"]
    order = np.lexsort((arrived, sid))
    s, n = sid[order], node[order]
    a, d = arrived[order], departed[order]
    same = s[:-1] == s[1:]
    for first, second in data.crossings:
        with np.errstate(invalid="ignore"):
            pair = same & (n[:-1] == first) & (n[1:] == second) & (a[:-1] >= lo) \
                & (d[1:] <= hi)
        hours = d[1:][pair] - a[:-1][pair]
        name = f"crossing[{data.nodes[first]}→{data.nodes[second]}]"
        out[f"{name}.hours.mean"] = float(hours.mean()) if hours.size else np.nan
        out[f"{name}.hours.p95"] = float(np.percentile(hours, 95)) if hours.size else np.nan
        out[f"{name}.vehicles_per_day"] = hours.size / ((hi - lo) / 24.0)


def _station_totals(data: ReplicationData, station: int) -> tuple[float, int, int]:
    """Busy server-hours after the warm-up, vehicles served after it and over the whole run.

    From the totals each station keeps while the model runs (the ``u_*`` columns).
    """
    c = data.columns
    if station >= c["u_busy_hours"].size:
        return 0.0, 0, 0
    after = int(c["u_vehicles"][station])
    return float(c["u_busy_hours"][station]), after, after + int(
        c["u_vehicles_before"][station])


def _station_kpis(data: ReplicationData, out: dict[str, float]) -> None:
    c = data.columns
    lo, hi = data.warmup_hours, data.horizon_hours
    days = (hi - lo) / 24.0
    st = data.stations
    clearance: dict[str, list[float]] = {}  # node → vehicles/day, busy and open lane-hours
    for i, (name, role) in enumerate(zip(st["name"], st["role"], strict=True)):
        if role in ("service", "consolidation"):  # every departure has a job row
            mask = c["j_station"] == i
            start, end = c["j_start"][mask], c["j_end"][mask]
            label = "departures_per_day" if role == "service" else "trains_per_day"
            out[f"{name}.{label}"] = float(((end >= lo) & (end <= hi)).sum()) / days
            if role == "service":
                _vehicle_wait_kpis(data, i, name, out)
            loads = c["j_units"][mask][(start >= lo) & (start <= hi)]
            out[f"{name}.fill_rate"] = (float(loads.mean()) / st["capacity"][i]
                                        if loads.size else np.nan)
            continue
        busy, vehicles, served = _station_totals(data, i)
        if role == "exchange":
            out[f"{name}.vehicles_per_day"] = vehicles / days
            continue
        capacity = st["servers"][i] * st["open_hours"][i]
        out[f"{name}.utilisation"] = float(busy / capacity) if capacity > 0 else np.nan
        if role == "clearance":
            out[f"{name}.vehicles_per_day"] = vehicles / days
            node = data.nodes[st["node"][i]]
            if name != node:  # a direction's own lanes: the node counts every direction
                total = clearance.setdefault(node, [0.0, 0.0, 0.0])
                total[0] += vehicles / days
                total[1] += busy
                total[2] += capacity
            elif served or node not in clearance:
                clearance.setdefault(node, [0.0, 0.0, 0.0])
                clearance[node][0] += vehicles / days
                clearance[node][1] += busy
                clearance[node][2] += capacity if served else 0.0
    for node, (vehicles, busy, capacity) in clearance.items():
        out[f"{node}.vehicles_per_day"] = vehicles
        if capacity > 0:
            out[f"{node}.utilisation"] = float(busy / capacity)


def _vehicle_wait_kpis(data: ReplicationData, station: int, name: str,
                       out: dict[str, float]) -> None:
    """Waits of loads for a train or flight of a link's service (never a node's visits)."""
    c = data.columns
    if "w_station" not in c:
        return
    lo, hi = data.warmup_hours, data.horizon_hours
    sel = (c["w_station"] == station) & (c["w_queued"] >= lo) & (c["w_left"] <= hi)
    waits = (c["w_left"] - c["w_queued"])[sel]
    out[f"{name}.wait_for_vehicle_hours.mean"] = float(waits.mean()) if waits.size else np.nan
    out[f"{name}.wait_for_vehicle_hours.p95"] = (float(np.percentile(waits, 95))
                                                 if waits.size else np.nan)


def _route_share_kpis(data: ReplicationData, key: str, rows: list[int], flow: np.ndarray,
                      out: dict[str, float]) -> None:
    """Add ``FLOW.route_share[ROUTE]`` for each route of a split flow.

    The share counts the flow's shipments created after the warm-up.
    """
    n = flow.size
    for row in rows:
        label = data.flows["route"][row]
        out[f"{key}.route_share[{label}]"] = float((flow == row).sum()) / n if n else np.nan


def replication_kpis(data: ReplicationData) -> dict[str, float]:
    """All KPIs of one replication.

    Parameters
    ----------
    data : ReplicationData

    Returns
    -------
    dict of str to float
        Dotted KPI names (see the result contract) to values.
    """
    out: dict[str, float] = {}
    sh = shipment_arrays(data)
    status = sh["status"]
    out["created"] = float(status.size)
    out["delivered"] = float((status == DELIVERED).sum())
    out["in_system"] = float((status == IN_SYSTEM).sum())
    out["rejected"] = float((status == REJECTED).sum())
    lo = data.warmup_hours
    late = sh["created"] >= lo
    done = late & (status == DELIVERED)
    lead = sh["lead"][done]
    out["lead_time_hours.mean"] = float(lead.mean()) if lead.size else np.nan
    out["lead_time_hours.p50"] = float(np.percentile(lead, 50)) if lead.size else np.nan
    out["lead_time_hours.p95"] = float(np.percentile(lead, 95)) if lead.size else np.nan
    perishable = done & ~np.isnan(sh["shelf"])
    out["spoiled_share"] = float(sh["spoiled"][perishable].mean()) if perishable.any() else np.nan
    for k, com in enumerate(dict.fromkeys(data.flows["commodity"])):
        of_com = sh["commodity"] == k
        sel = done & of_com
        vals = sh["lead"][sel]
        out[f"{com}.lead_time_hours.mean"] = float(vals.mean()) if vals.size else np.nan
        out[f"{com}.lead_time_hours.p95"] = float(np.percentile(vals, 95)) if vals.size else \
            np.nan
        arrived = (status == DELIVERED) & (sh["end"] >= lo) & of_com
        out[f"{com}.delivered_units_per_day"] = float(sh["units"][arrived].sum()) / (
            (data.horizon_hours - lo) / 24.0)
    nodes = set(data.stations["node"]) | set(np.unique(data.columns["v_node"]).tolist())
    for key, rows in flow_rows(data.flows).items():
        mine = np.isin(sh["flow"], rows)
        vals = sh["lead"][done & mine]
        out[f"{key}.lead_time_hours.mean"] = float(vals.mean()) if vals.size else np.nan
        if len(rows) > 1:
            _route_share_kpis(data, key, rows, sh["flow"][late & mine], out)
    at = visits_by_node(data)
    none = np.empty(0, dtype=np.int64)
    for node in sorted(nodes - {-1}):
        rows = at.get(node, none)
        _node_kpis(data, rows, data.nodes[node], out, sh["units"], sh["teu"])
        _peak_hour_kpis(data.columns["v_arrived"][rows],
                        data.warmup_hours, data.horizon_hours, data.nodes[node], out)
        metres = data.road_m_per_vehicle.get(node)
        if metres is not None:
            name = data.nodes[node]
            for stat in ("mean", "max"):
                out[f"{name}.queue_km.{stat}"] = out[f"{name}.queue_length.{stat}"] \
                    * metres / 1000.0
    _station_kpis(data, out)
    _direction_kpis(data, out, at)
    if data.spaces.get("name"):
        _space_kpis(data, out)
        _blocked_kpis(data, out, at)
    if data.crossings:
        _crossing_kpis(data, out)
    cost_kpis(data, sh, out, at)  # money, carbon, reliability: only with cost inputs
    return out
