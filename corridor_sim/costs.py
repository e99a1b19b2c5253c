"""Money and carbon of one replication, from its records and the scenario's cost inputs.

Two steps, so the engine never computes money and the KPI code never reads a scenario:

1. :func:`cost_inputs` turns the scenario's money and carbon settings into plain per-flow and
   per-node numbers (picklable); the engine stores them in
   :attr:`ReplicationData.costs <corridor_sim.records.ReplicationData>`.
2. :func:`cost_kpis`, called from :func:`corridor_sim.kpis.replication_kpis`, prices each
   shipment and sums.

A scenario with no money or carbon input gets an empty dict in step 1 and no KPIs in step 2.

Which shipments count (see ``docs/background/costs.md``): per-unit figures (cost per TEU, CO2e
per TEU, on-time share) use shipments created after the warm-up and delivered; annual totals
take each flow's mean per shipment over those and multiply it by the flow's shipments created
after the warm-up (delivered or still on the way, not rejected), scaled from the measured
window to ``money.days_per_year``. Fixed annual costs (a centre's annualised capex and opex,
lanes, places, opening hours) are added once per year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .records import DELIVERED, REJECTED, ReplicationData, flow_rows, visits_by_node

if TYPE_CHECKING:
    from .network import Route
    from .scenario.schema import Scenario

__all__ = ["route_money_per_unit", "COST_PARTS", "cost_inputs", "cost_kpis"]

COST_PARTS = ("transport", "handling", "border", "storage", "time", "spoilage")
"""The parts a shipment's cost is split into, in this order; their sum is ``total``."""


def _link_of(scenario: Scenario, u: str, v: str, mode: str) -> Any:
    for link in scenario.links:
        if link.mode == mode and ((link.from_, link.to) == (u, v)
                                  or (link.bidirectional and (link.to, link.from_) == (u, v))):
            return link
    raise KeyError((u, v, mode))


def _rate(own: float | None, default: float | None) -> float:
    if own is not None:
        return float(own)
    return float(default) if default is not None else 0.0


def _link_co2e_g(scenario: Scenario, link: Any) -> float:
    carbon = scenario.carbon
    if carbon is None:
        return 0.0
    if link.co2e_g_per_tonne_km is not None:
        return float(link.co2e_g_per_tonne_km)
    if link.vehicle_type is not None:
        return float(carbon.vehicle_types[link.vehicle_type])
    return float(carbon.co2e_g_per_tonne_km.get(link.mode, 0.0))


def _flow_inputs(scenario: Scenario, flow: Any, route: Route, stations: list[str]
                 ) -> dict[str, Any]:
    """Per-shipment constants of one flow along its route."""
    com = scenario.commodities[flow.commodity]
    money = scenario.money
    tonnes_per_unit = 1.0 if com.unit == "tonne" else (com.tonnes_per_teu or np.nan)
    per_unit = trip = handling = border = co2e_per_unit = km = 0.0
    km_by_mode: dict[str, float] = {}
    scheduled: list[tuple[int, float, float]] = []  # (service station, trip USD, capacity)
    fallback_per_unit = 0.0
    for u, v, mode in zip(route.nodes[:-1], route.nodes[1:], route.modes, strict=True):
        link = _link_of(scenario, u, v, mode)
        rates = money.modes.get(mode) if money is not None else None
        dist = float(link.distance_km or 0.0)
        km += dist
        km_by_mode[mode] = km_by_mode.get(mode, 0.0) + dist
        t_km = _rate(link.cost_per_tonne_km_usd, rates.cost_per_tonne_km_usd if rates else None)
        tariff = link.cost_per_unit if link.cost_per_unit else (
            rates.cost_per_unit_usd if rates and rates.cost_per_unit_usd else 0.0)
        if t_km:
            per_unit += t_km * dist * tonnes_per_unit
        per_unit += tariff
        trip_usd = _rate(link.cost_per_trip_usd, rates.cost_per_trip_usd if rates else None)
        if trip_usd:
            if link.scheduled:
                name = f"{u}>{v}:{mode}"
                fallback_per_unit += trip_usd / float(link.capacity)
                if name in stations:
                    scheduled.append((stations.index(name), trip_usd, float(link.capacity)))
            else:
                trip += trip_usd
        g = _link_co2e_g(scenario, link)
        if g:
            co2e_per_unit += g * dist * tonnes_per_unit / 1000.0
    for name in route.nodes:
        costs = getattr(scenario.nodes[name], "costs", None)
        if costs is None:
            continue
        handling += (costs.handling_fee_per_unit_usd or 0.0) + (
            costs.variable_opex_per_unit_usd or 0.0)
        border += costs.border_fee_per_vehicle_usd or 0.0
        co2e_per_unit += costs.co2e_kg_per_unit or 0.0
    return {"tonnes_per_unit": tonnes_per_unit, "transport_per_unit": per_unit,
            "trip_per_shipment": trip, "trip_fallback_per_unit": fallback_per_unit,
            "scheduled": scheduled, "handling_per_unit": handling,
            "border_per_shipment": border, "co2e_kg_per_unit": co2e_per_unit, "km": km,
            "km_by_mode": km_by_mode, "value_of_time": com.value_of_time_per_hour or 0.0,
            "spoiled_per_unit": com.value_lost_per_spoiled_unit_usd or 0.0,
            "due_hours": com.due_hours if com.due_hours is not None else np.nan,
            "nodes": list(route.nodes), "modes": list(route.modes)}


def route_money_per_unit(scenario: Scenario, flow: Any, route: Route) -> float:
    """Expected money to carry one unit of a flow along a route [USD per unit].

    Link tariffs and per-tonne-km rates, trip costs (a truck's whole trip falls on its
    shipment; a train's or flight's on a full load), handling and border fees of the nodes:
    the same rates as the cost KPIs, without the waits and storage a run measures.

    Parameters
    ----------
    scenario : Scenario
    flow : Demand
    route : Route

    Returns
    -------
    float
    """
    f = _flow_inputs(scenario, flow, route, [])
    per_shipment = f["trip_per_shipment"] + f["border_per_shipment"]
    return (f["transport_per_unit"] + f["trip_fallback_per_unit"] + f["handling_per_unit"]
            + per_shipment / flow.units_per_shipment)


def _fixed_annual(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Per facility with costs: annual centre cost, lane and place costs, rate per open hour."""
    out = {}
    for name, node in scenario.nodes.items():
        costs = getattr(node, "costs", None)
        if costs is None:
            continue
        centre = costs.annualised_capex_usd + (costs.fixed_opex_usd_per_year or 0.0)
        lanes = node.lanes.general + node.lanes.green
        places = float(node.space.vehicles or node.space.teu or 0.0) if node.space else 0.0
        for d in (node.directions or {}).values():  # a direction's own lanes and space
            if d.lanes is not None and d.pool == "own":
                lanes += d.lanes.general + d.lanes.green
            if d.space is not None:
                places += float(d.space.vehicles or d.space.teu or 0.0)
        capacity = (costs.lane_usd_per_year or 0.0) * lanes + (
            costs.space_usd_per_place_year or 0.0) * places
        if centre or capacity or costs.opening_usd_per_hour:
            out[name] = {"centre": centre, "capacity": capacity,
                         "opening_per_hour": costs.opening_usd_per_hour or 0.0}
    return out


def cost_inputs(scenario: Scenario, rows: list[tuple[Any, Route]], stations: list[str]
                ) -> dict[str, Any]:
    """The scenario's money and carbon inputs as plain numbers per flow and node.

    Parameters
    ----------
    scenario : Scenario
    rows : list of (Demand, Route)
        The demand flow and route of each row of the replication's flows table (a flow split
        over several routes has a row for each).
    stations : list of str
        Station names of the replication (a timetabled or when-full link's service is named
        ``from>to:mode``), to find the departures whose trip cost loads share.

    Returns
    -------
    dict
        Empty when the scenario gives no money or carbon input; else ``money`` and
        ``carbon`` (bool), ``carbon_source``, ``days_per_year``, ``flows`` (one dict per flow),
        ``storage`` (node → USD per TEU-day), ``node_fees`` (node → (border USD per vehicle,
        handling USD per unit)), ``fixed`` (node → annual costs) and ``sections``.
    """
    from .scenario.money import uses_carbon, uses_money

    money, carbon = uses_money(scenario), uses_carbon(scenario)
    if not (money or carbon):
        return {}
    flows = [_flow_inputs(scenario, f, r, stations) for f, r in rows]
    storage, fees = {}, {}
    for name, node in scenario.nodes.items():
        costs = getattr(node, "costs", None)
        if costs is None:
            continue
        if costs.storage_per_teu_day_usd:
            storage[name] = float(costs.storage_per_teu_day_usd)
        fees[name] = (float(costs.border_fee_per_vehicle_usd or 0.0),
                      float((costs.handling_fee_per_unit_usd or 0.0)
                            + (costs.variable_opex_per_unit_usd or 0.0)))
    sections = {}
    for name, sec in scenario.sections.items():
        km = sum(float(_link_of(scenario, a, b, sec.mode).distance_km or 0.0)
                 for a, b in zip(sec.nodes, sec.nodes[1:], strict=False))
        services = [stations.index(f"{a}>{b}:{sec.mode}")
                    for a, b in zip(sec.nodes, sec.nodes[1:], strict=False)
                    if f"{a}>{b}:{sec.mode}" in stations]
        sections[name] = {"nodes": list(sec.nodes), "mode": sec.mode, "km": km,
                          "services": services}
    return {"money": money, "carbon": carbon,
            "carbon_source": scenario.carbon.source if scenario.carbon else "",
            "days_per_year": scenario.money.days_per_year if scenario.money else 365.0,
            "flows": flows, "storage": storage, "node_fees": fees,
            "fixed": _fixed_annual(scenario), "sections": sections}


# --------------------------------------------------------------------------- pricing


def _visit_rows(data: ReplicationData, node: int, at: dict[int, np.ndarray] | None = None
                ) -> np.ndarray:
    """Visit row of every shipment at ``node`` (-1 where it has none).

    A route is a simple path, so it passes a node at most once. ``at``: the visit rows of
    each node (:func:`corridor_sim.records.visits_by_node`), if already found.
    """
    c = data.columns
    rows = np.full(c["s_flow"].size, -1, dtype=np.int64)
    here = (np.flatnonzero(c["v_node"] == node) if at is None
            else at.get(node, np.empty(0, dtype=np.int64)))
    rows[c["v_sid"][here].astype(np.int64)] = here
    return rows


def _shipment_costs(data: ReplicationData, sh: dict[str, np.ndarray], inputs: dict[str, Any],
                    at: dict[int, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Cost parts [USD] and CO2e [kg] of every shipment of the run."""
    c = data.columns
    flows = inputs["flows"]
    f, units = sh["flow"], sh["units"]

    def per_flow(key: str) -> np.ndarray:
        return np.asarray([fl[key] for fl in flows], dtype=float)[f] if f.size else \
            np.empty(0)

    transport = units * (per_flow("transport_per_unit") + per_flow("trip_fallback_per_unit")) \
        + per_flow("trip_per_shipment")
    services = {st: (usd, cap) for fl in flows for st, usd, cap in fl["scheduled"]}
    if services and "w_station" in c and c["w_station"].size:
        # a departure's trip cost is shared over the units it actually carried, replacing
        # the full-vehicle share assumed for loads that left without a recorded departure
        for st, (usd, cap) in services.items():
            sel = c["j_station"] == st
            load_at = dict(zip(c["j_start"][sel].tolist(), c["j_units"][sel].tolist(),
                               strict=True))
            sel = c["w_station"] == st
            sids = c["w_sid"][sel].astype(np.int64)
            loads = np.array([load_at[t] for t in c["w_left"][sel].tolist()], dtype=float)
            transport[sids] += usd * units[sids] / loads - usd * units[sids] / cap
    handling = units * per_flow("handling_per_unit")
    border = per_flow("border_per_shipment")
    storage = np.zeros(f.size)
    teu_units = np.where(sh["teu"], units, 0.0)
    for name, rate in inputs["storage"].items():
        rows = _visit_rows(data, data.nodes.index(name), at)
        has = rows >= 0
        dwell = np.zeros(f.size)
        dwell[has] = c["v_departed"][rows[has]] - c["v_arrived"][rows[has]]
        storage += rate * teu_units * np.nan_to_num(dwell) / 24.0
    lead = np.nan_to_num(sh["lead"])
    time = per_flow("value_of_time") * units * lead
    spoilage = np.where(sh["spoiled"], per_flow("spoiled_per_unit") * units, 0.0)
    return {"transport": transport, "handling": handling, "border": border,
            "storage": storage, "time": time, "spoilage": spoilage,
            "co2e_kg": units * per_flow("co2e_kg_per_unit"),
            "tonnes": units * per_flow("tonnes_per_unit"), "km": per_flow("km")}



def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else np.nan


def _annual(parts: dict[str, np.ndarray], flow: np.ndarray, done: np.ndarray,
            counted: np.ndarray, n_flows: int, scale: float, key: str) -> float:
    """Annual total of one part: each flow's mean per delivered shipment × its shipments."""
    sums = np.bincount(flow[done], weights=parts[key][done], minlength=n_flows)
    n_done = np.bincount(flow[done], minlength=n_flows)
    n_counted = np.bincount(flow[counted], minlength=n_flows)
    ok = (n_done > 0) & (n_counted > 0)
    return float(np.sum(sums[ok] / n_done[ok] * n_counted[ok])) * scale


def cost_kpis(data: ReplicationData, sh: dict[str, np.ndarray], out: dict[str, float],
              at: dict[int, np.ndarray] | None = None) -> None:
    """Add the money, carbon, distance, modal-split and reliability KPIs of a replication.

    Nothing is added when the scenario has no money or carbon input
    (``data.costs`` is empty).

    Parameters
    ----------
    data : ReplicationData
    sh : dict of str to numpy.ndarray
        Per-shipment arrays from :func:`corridor_sim.kpis.shipment_arrays`.
    out : dict of str to float
        KPIs so far; the new ones are added to it. Names: ``cost_per_teu_usd.PART`` and
        ``cost_per_tonne_usd.PART`` (PART in :data:`COST_PARTS` or ``total``), per commodity
        ``COMMODITY.cost_per_teu_usd.PART`` (or ``cost_per_tonne_usd`` for goods counted in
        tonnes), per flow ``FLOW.cost_per_teu_usd.total`` (or tonne);
        ``cost_usd_per_year.PART`` plus ``.centres``, ``.capacity`` and ``.total``;
        ``NODE.annual_cost_usd``; ``co2e_kg_per_teu``, ``co2e_kg_per_tonne``,
        ``co2e_g_per_teu_km``, ``co2e_t_per_year``, ``COMMODITY.co2e_kg_per_teu`` and
        ``FLOW.co2e_kg_per_teu`` (or tonne);
        ``teu_km_per_day``, ``tonne_km_per_day``, ``mode[M].tonne_km_share``;
        ``crossing[A→B].cost_usd.mean``; ``section[S].hours.mean``,
        ``section[S].speed_kmh.with_delay``, ``section[S].speed_kmh.without_delay``.
    at : dict of int to numpy.ndarray, optional
        Visit rows of each node (:func:`corridor_sim.records.visits_by_node`), if already
        found; found here otherwise.
    """
    inputs = data.costs
    if not inputs:
        return
    lo, hi = data.warmup_hours, data.horizon_hours
    flow, status, units, teu = sh["flow"], sh["status"], sh["units"], sh["teu"]
    late = sh["created"] >= lo
    done = late & (status == DELIVERED)
    counted = late & (status != REJECTED)
    if at is None:
        at = visits_by_node(data)
    parts = _shipment_costs(data, sh, inputs, at)
    parts["total"] = sum(parts[p] for p in COST_PARTS)
    tonnes = parts["tonnes"]
    has_t = done & ~np.isnan(tonnes)
    n_flows = len(inputs["flows"])
    scale = inputs["days_per_year"] * 24.0 / (hi - lo)
    com_code = {com: k for k, com in enumerate(dict.fromkeys(data.flows["commodity"]))}
    if inputs["money"]:
        for part in (*COST_PARTS, "total"):
            out[f"cost_per_teu_usd.{part}"] = _ratio(parts[part][done & teu].sum(),
                                                     units[done & teu].sum())
            out[f"cost_per_tonne_usd.{part}"] = _ratio(parts[part][has_t].sum(),
                                                       tonnes[has_t].sum())
        for com, unit in dict(zip(data.flows["commodity"], data.flows["unit"],
                                  strict=True)).items():
            sel = done & (sh["commodity"] == com_code[com])
            for part in (*COST_PARTS, "total"):
                out[f"{com}.cost_per_{unit}_usd.{part}"] = _ratio(parts[part][sel].sum(),
                                                                 units[sel].sum())
        for key, rows in flow_rows(data.flows).items():
            sel = done & np.isin(flow, rows)
            out[f"{key}.cost_per_{data.flows['unit'][rows[0]]}_usd.total"] = _ratio(
                parts["total"][sel].sum(), units[sel].sum())
        variable = 0.0
        for part in COST_PARTS:
            value = _annual(parts, flow, done, counted, n_flows, scale, part)
            out[f"cost_usd_per_year.{part}"] = value
            variable += value
        centres = capacity = 0.0
        opening = _open_hours(data)
        for name, fixed in inputs["fixed"].items():
            node_capacity = fixed["capacity"] + fixed["opening_per_hour"] * opening.get(
                name, 0.0) * scale
            out[f"{name}.annual_cost_usd"] = fixed["centre"] + node_capacity
            centres += fixed["centre"]
            capacity += node_capacity
        out["cost_usd_per_year.centres"] = centres
        out["cost_usd_per_year.capacity"] = capacity
        out["cost_usd_per_year.total"] = variable + centres + capacity
        _crossing_costs(data, sh, inputs, out, at)
    if inputs["carbon"]:
        co2 = parts["co2e_kg"]
        out["co2e_kg_per_teu"] = _ratio(co2[done & teu].sum(), units[done & teu].sum())
        out["co2e_kg_per_tonne"] = _ratio(co2[has_t].sum(), tonnes[has_t].sum())
        teu_km = (units * parts["km"])[done & teu].sum()
        out["co2e_g_per_teu_km"] = _ratio(1000.0 * co2[done & teu].sum(), teu_km)
        out["co2e_t_per_year"] = _annual(parts, flow, done, counted, n_flows, scale,
                                         "co2e_kg") / 1000.0
        for com, unit in dict(zip(data.flows["commodity"], data.flows["unit"],
                                  strict=True)).items():
            sel = done & (sh["commodity"] == com_code[com])
            out[f"{com}.co2e_kg_per_{unit}"] = _ratio(co2[sel].sum(), units[sel].sum())
        for key, rows in flow_rows(data.flows).items():
            sel = done & np.isin(flow, rows)
            out[f"{key}.co2e_kg_per_{data.flows['unit'][rows[0]]}"] = _ratio(co2[sel].sum(),
                                                                        units[sel].sum())
    _distance_kpis(data, sh, inputs, parts, counted, out)
    _reliability_kpis(data, sh, inputs, out)
    if inputs["sections"]:
        _section_kpis(data, sh, inputs, out, at)


def _open_hours(data: ReplicationData) -> dict[str, float]:
    """Hours each node's clearance stage is open within the window (its first station)."""
    st = data.stations
    out: dict[str, float] = {}
    for node, role, hours in zip(st["node"], st["role"], st["open_hours"], strict=True):
        if node >= 0 and role == "clearance":
            out.setdefault(data.nodes[node], float(hours))
    return out


def _distance_kpis(data: ReplicationData, sh: dict[str, np.ndarray], inputs: dict[str, Any],
                   parts: dict[str, np.ndarray], counted: np.ndarray,
                   out: dict[str, float]) -> None:
    """TEU-km and tonne-km per day of the shipments created after warm-up; modal split."""
    days = (data.horizon_hours - data.warmup_hours) / 24.0
    units, teu, flow = sh["units"], sh["teu"], sh["flow"]
    out["teu_km_per_day"] = float((units * parts["km"])[counted & teu].sum()) / days
    tonnes = np.nan_to_num(parts["tonnes"])
    out["tonne_km_per_day"] = float((tonnes * parts["km"])[counted].sum()) / days
    by_mode: dict[str, float] = {}
    for f, fl in enumerate(inputs["flows"]):
        t = float(tonnes[counted & (flow == f)].sum())
        for mode, km in fl["km_by_mode"].items():
            by_mode[mode] = by_mode.get(mode, 0.0) + t * km
    total = sum(by_mode.values())
    for mode in sorted(by_mode):
        out[f"mode[{mode}].tonne_km_share"] = _ratio(by_mode[mode], total)


def _reliability_kpis(data: ReplicationData, sh: dict[str, np.ndarray], inputs: dict[str, Any],
                      out: dict[str, float]) -> None:
    """On-time share against each commodity's due time, and the buffer index of lead times.

    A shipment still on the way at the end counts as late once it is older than its due time
    (it cannot be on time any more); one younger than that is not counted.
    """
    lo, hi = data.warmup_hours, data.horizon_hours
    flow, status, lead = sh["flow"], sh["status"], sh["lead"]
    late_created = sh["created"] >= lo
    done = late_created & (status == DELIVERED)
    due = np.asarray([fl["due_hours"] for fl in inputs["flows"]], dtype=float)[flow] \
        if flow.size else np.empty(0)
    with np.errstate(invalid="ignore"):
        on_time = done & (lead <= due)
        overdue = late_created & (status != DELIVERED) & (status != REJECTED) & (
            hi - sh["created"] > due)
    judged = (done | overdue) & ~np.isnan(due)

    def share(sel: np.ndarray) -> float:
        return _ratio(float((on_time & sel).sum()), float((judged & sel).sum()))

    def buffer(sel: np.ndarray) -> float:
        vals = lead[done & sel]
        if not vals.size or vals.mean() <= 0:
            return np.nan
        return float((np.percentile(vals, 95) - vals.mean()) / vals.mean())

    everything = np.ones(flow.size, dtype=bool)
    if judged.any():
        out["on_time_share"] = share(everything)
    out["buffer_index"] = buffer(everything)
    for k, com in enumerate(dict.fromkeys(data.flows["commodity"])):
        sel = sh["commodity"] == k
        if (judged & sel).any():
            out[f"{com}.on_time_share"] = share(sel)
        out[f"{com}.buffer_index"] = buffer(sel)
    for key, rows in flow_rows(data.flows).items():
        sel = np.isin(flow, rows)
        if not np.isnan(inputs["flows"][rows[0]]["due_hours"]):
            out[f"{key}.on_time_share"] = share(sel)
        out[f"{key}.buffer_index"] = buffer(sel)


def _crossing_costs(data: ReplicationData, sh: dict[str, np.ndarray], inputs: dict[str, Any],
                    out: dict[str, float], at: dict[int, np.ndarray] | None = None) -> None:
    """CAREC CPMM cost to clear each border crossing: fees paid at both sides per vehicle."""
    fees = inputs["node_fees"]
    if not fees or not data.crossings:
        return
    c = data.columns
    for a, b in data.crossings:
        na, nb = data.nodes[a], data.nodes[b]
        if na not in fees and nb not in fees:
            continue
        ra, rb = _visit_rows(data, a, at), _visit_rows(data, b, at)
        both = (ra >= 0) & (rb >= 0)
        both[both] = (c["v_arrived"][ra[both]] >= data.warmup_hours) & (
            c["v_arrived"][rb[both]] >= c["v_arrived"][ra[both]])
        border = fees.get(na, (0.0, 0.0))[0] + fees.get(nb, (0.0, 0.0))[0]
        handling = fees.get(na, (0.0, 0.0))[1] + fees.get(nb, (0.0, 0.0))[1]
        cost = border + handling * sh["units"][both]
        out[f"crossing[{na}→{nb}].cost_usd.mean"] = float(cost.mean()) if cost.size else \
            np.nan


def _section_kpis(data: ReplicationData, sh: dict[str, np.ndarray], inputs: dict[str, Any],
                  out: dict[str, float], at: dict[int, np.ndarray] | None = None) -> None:
    """CAREC CPMM speed with and without delay over each corridor section.

    Time runs from leaving the section's first node (creation, if it is the shipment's
    origin) to arriving at its last (delivery, if it is the destination). Delay is the whole
    time spent at the section's facilities between them (queueing, clearance, inspection,
    trans-loading), as CPMM counts border time, plus waiting for a train or flight on its
    links.
    """
    c = data.columns
    lo, hi = data.warmup_hours, data.horizon_hours
    node_of = {n: i for i, n in enumerate(data.nodes)}
    flows = inputs["flows"]
    for name, sec in inputs["sections"].items():
        chain, mode = sec["nodes"], sec["mode"]
        hours_all, delay_all = [], []
        for f, fl in enumerate(flows):
            path, modes = fl["nodes"], fl["modes"]
            starts = [i for i in range(len(path) - len(chain) + 1)
                      if path[i:i + len(chain)] == chain
                      and all(m == mode for m in modes[i:i + len(chain) - 1])]
            if not starts:
                continue
            i = starts[0]
            sids = np.flatnonzero((sh["flow"] == f) & (sh["status"] == DELIVERED))
            if i == 0:
                t0 = sh["created"][sids]
            else:
                rows = _visit_rows(data, node_of[chain[0]], at)[sids]
                if (rows < 0).any():
                    continue  # a city passed through: no time is recorded there
                t0 = c["v_departed"][rows]
            if i + len(chain) == len(path):
                t1 = sh["end"][sids]
            else:
                rows = _visit_rows(data, node_of[chain[-1]], at)[sids]
                if (rows < 0).any():
                    continue
                t1 = c["v_arrived"][rows]
            delay = np.zeros(sids.size)
            for mid in chain[1:-1]:
                rows = _visit_rows(data, node_of[mid], at)[sids]
                ok = rows >= 0
                delay[ok] += c["v_departed"][rows[ok]] - c["v_arrived"][rows[ok]]
            if sec["services"] and "w_station" in c and c["w_station"].size:
                waits = np.zeros(sh["flow"].size)
                sel = np.isin(c["w_station"], sec["services"])
                np.add.at(waits, c["w_sid"][sel].astype(np.int64),
                          (c["w_left"] - c["w_queued"])[sel])
                delay += waits[sids]
            keep = (t0 >= lo) & (t1 <= hi)
            hours_all.append((t1 - t0)[keep])
            delay_all.append(delay[keep])
        hours = np.concatenate(hours_all) if hours_all else np.empty(0)
        delay = np.concatenate(delay_all) if delay_all else np.empty(0)
        key = f"section[{name}]"
        out[f"{key}.hours.mean"] = float(hours.mean()) if hours.size else np.nan
        out[f"{key}.speed_kmh.with_delay"] = _ratio(sec["km"], float(hours.mean())) \
            if hours.size else np.nan
        out[f"{key}.speed_kmh.without_delay"] = _ratio(
            sec["km"], float((hours - delay).mean())) if hours.size else np.nan
