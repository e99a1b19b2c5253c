"""Key performance indicators of one replication, computed from its recorded columns.

Every KPI but the shipment counts is measured over the post-warm-up window
[``warmup_hours``, ``horizon_hours``]. The counts (``created``, ``delivered``, ``in_system``,
``rejected``) cover the whole run, so that ``created = delivered + in_system + rejected`` holds
exactly in every replication.
"""

from __future__ import annotations

import numpy as np

from .records import DELIVERED, IN_SYSTEM, REJECTED, ReplicationData

__all__ = ["queue_profile", "replication_kpis", "shipment_arrays"]


def shipment_arrays(data: ReplicationData) -> dict[str, np.ndarray]:
    """Per-shipment arrays of a replication: flow, units, created, end, status, lead time, spoiled.

    Parameters
    ----------
    data : ReplicationData

    Returns
    -------
    dict of str to numpy.ndarray
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
    return {"flow": flow, "units": units, "teu": teu, "created": c["s_created"],
            "end": c["s_end"],
            "status": status, "lead": lead, "spoiled": spoiled, "shelf": shelf}


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


def _node_kpis(data: ReplicationData, node: int, name: str, out: dict[str, float],
               units: np.ndarray, teu: np.ndarray) -> None:
    c = data.columns
    lo, hi = data.warmup_hours, data.horizon_hours
    days = (hi - lo) / 24.0
    mask = c["v_node"] == node
    arrived, started, departed = c["v_arrived"][mask], c["v_started"][mask], c["v_departed"][mask]
    sid = c["v_sid"][mask]
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


def _station_kpis(data: ReplicationData, out: dict[str, float]) -> None:
    c = data.columns
    lo, hi = data.warmup_hours, data.horizon_hours
    days = (hi - lo) / 24.0
    st = data.stations
    for i, (name, role) in enumerate(zip(st["name"], st["role"], strict=True)):
        mask = c["j_station"] == i
        start, end = c["j_start"][mask], c["j_end"][mask]
        inside = (end >= lo) & (end <= hi)
        if role == "exchange":
            out[f"{name}.vehicles_per_day"] = float(inside.sum()) / days
            continue
        if role in ("service", "consolidation"):
            label = "departures_per_day" if role == "service" else "trains_per_day"
            out[f"{name}.{label}"] = float(inside.sum()) / days
            loads = c["j_units"][mask][(start >= lo) & (start <= hi)]
            out[f"{name}.fill_rate"] = (float(loads.mean()) / st["capacity"][i]
                                        if loads.size else np.nan)
            continue
        busy = np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None).sum()
        capacity = st["servers"][i] * st["open_hours"][i]
        out[f"{name}.utilisation"] = float(busy / capacity) if capacity > 0 else np.nan
        if role == "clearance":
            out[f"{name}.vehicles_per_day"] = float(inside.sum()) / days


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
    commodities = np.asarray(data.flows["commodity"], dtype=object)
    flow_com = commodities[sh["flow"]] if sh["flow"].size else np.empty(0, dtype=object)
    for com in dict.fromkeys(data.flows["commodity"]):
        sel = done & (flow_com == com)
        vals = sh["lead"][sel]
        out[f"{com}.lead_time_hours.mean"] = float(vals.mean()) if vals.size else np.nan
        out[f"{com}.lead_time_hours.p95"] = float(np.percentile(vals, 95)) if vals.size else \
            np.nan
        arrived = (status == DELIVERED) & (sh["end"] >= lo) & (flow_com == com)
        out[f"{com}.delivered_units_per_day"] = float(sh["units"][arrived].sum()) / (
            (data.horizon_hours - lo) / 24.0)
    nodes = set(data.stations["node"]) | set(np.unique(data.columns["v_node"]).tolist())
    for f, key in enumerate(data.flows["key"]):
        vals = sh["lead"][done & (sh["flow"] == f)]
        out[f"{key}.lead_time_hours.mean"] = float(vals.mean()) if vals.size else np.nan
    for node in sorted(nodes - {-1}):
        _node_kpis(data, node, data.nodes[node], out, sh["units"], sh["teu"])
    _station_kpis(data, out)
    return out
