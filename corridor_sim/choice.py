"""Route and mode choice: the generalised cost of whole routes, k candidates, best or logit.

For every demand flow the model considers up to ``routing.k`` node paths from origin to
destination (the k shortest by expected time on a simple :class:`networkx.DiGraph` view of the
corridor, by :func:`networkx.shortest_simple_paths`), each in one variant per mode where links
of several modes run in parallel. It prices each candidate **as a whole**, so that what a node
does for later ones counts (a dry port's pre-clearance shortens the border clearance after it):

============== ==============================================================================
term           what it adds up
============== ==============================================================================
travel         each link's mean travel time and mean wait for a departure (half the headway
               of a timetable, half the maximum wait of a when-full service) [h]
service        mean service at each facility on the route: clearance (pre-cleared where a
               dry port came before), inspections (the node's and the commodity's),
               handling, trans-loading, half a consolidator's maximum wait [h]
queue          expected queueing wait at each facility from its mean load
               (:mod:`corridor_sim.loads`: Erlang C per stage, net of calendar and daily
               limits, plus the wait for a closed calendar to open) [h]
money          link tariffs, per-tonne-km rates, trip costs per vehicle shared by its load,
               handling and border fees of the nodes [USD per unit]
shelf life     for a commodity with ``shelf_life_hours``: the risk that the route's lead
               time exceeds it, times the value lost (``value_lost_per_spoiled_unit_usd``)
               or, without one, times the shelf life in hours
============== ==============================================================================

Units. Without the commodity's ``value_of_time_per_hour`` the generalised cost is in hours
(travel + service + queue + the shelf-life penalty in hours) and money does not enter; with
it, the cost is in USD per unit: ``value_of_time × hours + money + penalty``. The logit scale
is in the same unit.

Loads and waits. The queueing wait a flow expects at a facility comes from the load of all the
other flows there, on the routes they take at free flow, plus its own whole volume on the
candidate being priced. So a new facility that would be swamped by the flow looks as slow as
it would be, and the choice needs no simulation. Blocking by finite space enters only through
``assignment: equilibrium`` (:mod:`corridor_sim.equilibrium`), which replaces these estimates
with simulated waits.

Choice. ``best`` sends the whole flow by the cheapest candidate (ties: the first in the stable
order); ``logit`` splits it in proportion to ``exp(-cost / logit_scale)``, dropping candidates
under 0.1 % and renormalising. A flow may instead fix its route (``route:``), require nodes
(``via:``) or give its split (``split:``, as an equilibrium writes it). A route through a node
that bars the commodity is taken only when every candidate is barred.
"""

from __future__ import annotations

import itertools
import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from .errors import Problem
from .loads import CalendarStats, clearance_hours, expected_waits, facility_loads
from .network import (
    Network,
    Route,
    allowed_modes,
    capacity_problems,
    direction_problems,
    link_index,
    space_problems,
)
from .scenario.schema import FACILITY_KINDS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .scenario.schema import Demand, Scenario

__all__ = ["Assignment", "CostTerms", "FlowChoice", "Option", "assign", "candidate_routes",
           "choice_problems", "logit_shares", "route_problems", "route_table", "route_terms",
           "route_warnings"]

MIN_SHARE = 0.001
"""Logit shares below this are dropped (and the rest renormalised)."""
_SEARCH_PATHS = 60  # node paths examined for a ``via`` flow


@dataclass(frozen=True)
class CostTerms:
    """The generalised cost of one route for one flow, term by term.

    Attributes
    ----------
    travel_hours : float
        Mean travel and mean wait for departures [h].
    service_hours : float
        Mean service at the route's facilities [h].
    queue_hours : float
        Expected queueing waits at its facilities [h].
    money_usd : float
        Money per unit carried [USD].
    shelf_risk : float
        Probability that a shipment's lead time exceeds the commodity's shelf life.
    shelf_penalty : float
        The shelf-life risk in cost units (hours, or USD with a value of time).
    value_of_time_per_hour : float or None
        The commodity's value of time [USD/h]; None: the cost is in hours.
    """

    travel_hours: float
    service_hours: float
    queue_hours: float
    money_usd: float
    shelf_risk: float
    shelf_penalty: float
    value_of_time_per_hour: float | None

    @property
    def hours(self) -> float:
        """Expected time on the route [h]: travel, service and queueing."""
        return self.travel_hours + self.service_hours + self.queue_hours

    @property
    def unit(self) -> str:
        """``"h"`` or ``"USD"``: the unit of :attr:`total`."""
        return "h" if self.value_of_time_per_hour is None else "USD"

    @property
    def total(self) -> float:
        """The generalised cost, in :attr:`unit` per unit carried."""
        if self.value_of_time_per_hour is None:
            return self.hours + self.shelf_penalty
        return self.value_of_time_per_hour * self.hours + self.money_usd + self.shelf_penalty


@dataclass(frozen=True)
class Option:
    """One candidate route of a flow, its cost and the share of the flow it takes.

    Attributes
    ----------
    route : Route
    terms : CostTerms
    share : float
        Share of the flow's shipments [0–1].
    label : str
        Its name in results: node names joined by ``>``, with the modes when another candidate
        of the flow has the same nodes.
    barred : bool
        The route passes a node that bars the commodity (its shipments are turned back).
    """

    route: Route
    terms: CostTerms
    share: float
    label: str
    barred: bool = False

    @property
    def cost(self) -> float:
        """Generalised cost (see :class:`CostTerms`)."""
        return self.terms.total


@dataclass(frozen=True)
class FlowChoice:
    """The candidate routes of one demand flow and how it splits over them.

    Attributes
    ----------
    index : int
        Position in ``scenario.demand``.
    key : str
        The flow's key.
    method : str
        ``best``, ``logit``, ``route``, ``via`` or ``split``.
    scale : float or None
        Logit scale, in the cost's unit.
    options : tuple of Option
        Candidates in a stable order (fastest node paths first, as
        :func:`candidate_routes` gives them), whatever their cost.
    """

    index: int
    key: str
    method: str
    scale: float | None
    options: tuple[Option, ...]

    @property
    def chosen(self) -> tuple[Option, ...]:
        """Options with a positive share, in a stable order (cheapest first)."""
        return tuple(o for o in self.options if o.share > 0)

    @property
    def unit(self) -> str:
        """Unit of the costs: ``"h"`` or ``"USD"``."""
        return self.options[0].terms.unit if self.options else "h"


@dataclass(frozen=True)
class Assignment:
    """Routes and shares of every flow of a scenario.

    Attributes
    ----------
    flows : tuple of FlowChoice
        One per demand flow, in order; a flow without any route has no options.
    waits : dict of str to float
        The expected queueing wait at each facility under this assignment [h].
    """

    flows: tuple[FlowChoice, ...]
    waits: dict[str, float]

    def paths(self) -> list[tuple[int, Route, float]]:
        """``(flow index, route, share)`` for every chosen route."""
        return [(fc.index, o.route, o.share) for fc in self.flows for o in fc.chosen]


# --------------------------------------------------------------------------- candidates


def _simple_view(net: Network, modes: frozenset[str]) -> nx.DiGraph:
    """The corridor as a DiGraph, each hop weighted by its fastest allowed link.

    The weight adds the mean service at the hop's end; ``shortest_simple_paths`` refuses a
    MultiDiGraph, hence the view.
    """
    g = nx.DiGraph()
    graph = net.graph
    for u, v, mode, attrs in graph.edges(keys=True, data=True):
        if mode not in modes:
            continue
        w = attrs["hours"] + graph.nodes[v]["service_hours"]
        if not g.has_edge(u, v) or w < g[u][v]["weight"]:
            g.add_edge(u, v, weight=w)
    return g


def _mode_variants(net: Network, nodes: Sequence[str], modes: frozenset[str]
                   ) -> list[tuple[str, ...]]:
    """The modes of a node path: fastest per hop, then one variant per parallel mode."""
    per_hop = []
    for u, v in itertools.pairwise(nodes):
        opts = sorted((attrs["hours"], mode) for mode, attrs in net.graph[u][v].items()
                      if mode in modes)
        per_hop.append([m for _, m in opts])
    variants = [tuple(h[0] for h in per_hop)]
    for mode in sorted({m for h in per_hop if len(h) > 1 for m in h}):
        variant = tuple(mode if mode in h else h[0] for h in per_hop)
        if variant not in variants:
            variants.append(variant)
    return variants


def _contains_in_order(nodes: Sequence[str], via: Sequence[str]) -> bool:
    it = iter(nodes)
    return all(v in it for v in via)


def candidate_routes(scenario: Scenario, flow: Demand, net: Network | None = None,
                     k: int | None = None) -> list[Route]:
    """The candidate routes of a flow, in a stable order (fastest node paths first).

    Parameters
    ----------
    scenario : Scenario
    flow : Demand
    net : Network, optional
    k : int, optional
        Node paths to consider; default ``scenario.routing.k``.

    Returns
    -------
    list of Route
        Empty when the flow has no route by its allowed modes (or its ``route``/``via``
        cannot be followed).
    """
    net = net or Network(scenario)
    k = scenario.routing.k if k is None else k
    modes = allowed_modes(scenario, flow)
    if flow.split is not None:
        out = []
        for part in flow.split:
            if not _has_path(net, part.route, modes):
                return []
            m = tuple(part.modes) if part.modes is not None else \
                _mode_variants(net, part.route, modes)[0]
            out.append(_route(net, part.route, m))
        return out
    if flow.route is not None:
        if not _has_path(net, flow.route, modes):
            return []
        return [_route(net, flow.route, m) for m in _mode_variants(net, flow.route, modes)]
    g = _simple_view(net, modes)
    if flow.origin not in g or flow.destination not in g:
        return []
    paths = nx.shortest_simple_paths(g, flow.origin, flow.destination, weight="weight")
    node_paths: list[list[str]] = []
    try:
        if flow.via is not None:
            for p in itertools.islice(paths, _SEARCH_PATHS):
                if _contains_in_order(p, flow.via):
                    node_paths.append(p)
                    if len(node_paths) == k:
                        break
        else:
            node_paths = list(itertools.islice(paths, k))
    except nx.NetworkXNoPath:
        return []
    return [_route(net, p, m) for p in node_paths for m in _mode_variants(net, p, modes)]


def _has_path(net: Network, nodes: Sequence[str], modes: frozenset[str]) -> bool:
    return all(net.graph.has_edge(u, v) and any(m in modes for m in net.graph[u][v])
               for u, v in itertools.pairwise(nodes))


def _route(net: Network, nodes: Sequence[str], modes: Sequence[str]) -> Route:
    g = net.graph
    hours = sum(g[u][v][m]["hours"] for (u, v), m in zip(itertools.pairwise(nodes), modes,
                                                           strict=True))
    hours += sum(g.nodes[n]["service_hours"] for n in nodes[1:])
    return Route(tuple(nodes), tuple(modes), hours)


# --------------------------------------------------------------------------- pricing


def _node_hours(scenario: Scenario, name: str, came_from: str | None, precleared: bool,
                flow: Demand) -> float:
    """Mean time served at a facility by a vehicle of ``flow`` arriving from ``came_from``."""
    node = scenario.nodes[name]
    hours = clearance_hours(scenario, name, flow.commodity, precleared)
    if node.handling is not None:
        hours += node.handling.hours(1)
    transload = getattr(node, "transload", None)
    if transload is not None and (transload.arriving_from is None
                                  or came_from in transload.arriving_from):
        hours += transload.time.mean
    con = getattr(node, "consolidation", None)
    if con is not None and con.enabled and con.max_wait_hours and came_from is not None:
        hours += con.max_wait_hours / 2
    return hours


def route_terms(scenario: Scenario, flow: Demand, route: Route,
                waits: dict[str, float] | None = None) -> CostTerms:
    """Price one route for one flow, term by term (see the module's table).

    Parameters
    ----------
    scenario : Scenario
    flow : Demand
    route : Route
    waits : dict of str to float, optional
        Expected queueing wait per facility [h]; default none.

    Returns
    -------
    CostTerms

    Examples
    --------
    >>> import corridor_sim as cs
    >>> sc = cs.bundled("single_checkpoint")
    >>> route = candidate_routes(sc, sc.demand[0])[0]
    >>> t = route_terms(sc, sc.demand[0], route)
    >>> t.unit, round(t.hours, 2) == round(t.travel_hours + t.service_hours, 2)
    ('h', True)
    """
    from .costs import route_money_per_unit

    waits = waits or {}
    links = link_index(scenario)
    travel = 0.0
    for u, v, mode in zip(route.nodes, route.nodes[1:], route.modes, strict=False):
        link = links[(u, v, mode)]
        travel += link.time.mean + link.expected_wait_hours
    service = queue = 0.0
    precleared = False
    for j, name in enumerate(route.nodes):
        node = scenario.nodes[name]
        if node.kind not in FACILITY_KINDS:
            continue
        service += _node_hours(scenario, name, route.nodes[j - 1] if j else None, precleared,
                               flow)
        before = route.nodes[j - 1] if j else None
        queue += waits.get(f"{name}.from[{before}]", waits.get(name, 0.0))
        if node.kind == "dry_port":
            precleared = True
    com = scenario.commodities[flow.commodity]
    vot = com.value_of_time_per_hour
    money = route_money_per_unit(scenario, flow, route) if vot is not None else 0.0
    risk = penalty = 0.0
    if com.shelf_life_hours is not None:
        slack = com.shelf_life_hours - travel - service
        if slack <= 0:
            risk = 1.0
        elif queue > 0:
            risk = math.exp(-slack / queue)  # queueing delay taken as exponential
        if com.value_lost_per_spoiled_unit_usd is not None and vot is not None:
            penalty = risk * com.value_lost_per_spoiled_unit_usd
        else:
            penalty = risk * com.shelf_life_hours * (vot if vot is not None else 1.0)
    return CostTerms(travel, service, queue, money, risk, penalty, vot)


def logit_shares(costs: Sequence[float], scale: float) -> np.ndarray:
    """Multinomial-logit shares ``exp(-c/scale) / Σ exp(-c'/scale)``.

    Parameters
    ----------
    costs : sequence of float
        Generalised costs of the alternatives.
    scale : float
        Logit scale, in the costs' unit (> 0); the larger, the more even the split.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> logit_shares([10.0, 10.0], 2.0).tolist()
    [0.5, 0.5]
    >>> round(float(logit_shares([10.0, 12.0], 2.0)[0]), 4)  # 1 / (1 + e^-1)
    0.7311
    """
    c = np.asarray(costs, dtype=float)
    if c.size == 0:
        return c
    finite = np.isfinite(c)
    if not finite.any():
        return np.full(c.size, 1.0 / c.size)
    z = np.where(finite, -(c - c[finite].min()) / scale, -np.inf)
    w = np.exp(z)
    return w / w.sum()


def _labels(routes: Sequence[Route]) -> list[str]:
    nodes = [r.label for r in routes]
    return [r.label if nodes.count(r.label) == 1 else f"{r.label} by {'+'.join(r.modes)}"
            for r in routes]


def _barred(scenario: Scenario, flow: Demand, route: Route) -> bool:
    barred = scenario.commodities[flow.commodity].barred_at
    return bool(barred) and bool(set(route.nodes) & set(barred))


def _shares(method: str, options: list[Option], scale: float | None, split: Sequence[float]
            ) -> list[float]:
    if method == "split":
        return list(split)
    if not options:
        return []
    usable = [not o.barred for o in options]
    if not any(usable):
        usable = [True] * len(options)
    costs = [o.cost if ok else math.inf for o, ok in zip(options, usable, strict=True)]
    if method == "logit":
        s = logit_shares(costs, scale)
        s = np.where(s < MIN_SHARE, 0.0, s)
        return (s / s.sum()).tolist()
    best = min(range(len(options)), key=lambda i: costs[i])
    return [1.0 if i == best else 0.0 for i in range(len(options))]


def _method(scenario: Scenario, flow: Demand) -> tuple[str, float | None]:
    if flow.split is not None:
        return "split", None
    method = flow.choice or scenario.routing.choice
    scale = flow.logit_scale if flow.logit_scale is not None else scenario.routing.logit_scale
    return method, scale


def _choose(scenario: Scenario, f: int, routes: list[Route], waits_of) -> FlowChoice:
    flow = scenario.demand[f]
    method, scale = _method(scenario, flow)
    labels = _labels(routes)
    options = [Option(r, route_terms(scenario, flow, r, waits_of(r)), 0.0, lab,
                      _barred(scenario, flow, r)) for r, lab in zip(routes, labels, strict=True)]
    split = [s.share for s in flow.split] if flow.split is not None else []
    shares = _shares(method, options, scale, split)
    # A chosen route is told apart by its modes only from the other chosen ones.
    chosen = iter(_labels([r for r, sh in zip(routes, shares, strict=True) if sh > 0]))
    options = [replace(o, share=sh, label=next(chosen) if sh > 0 else o.label)
               for o, sh in zip(options, shares, strict=True)]
    shown = flow.route is not None and "route" or flow.via is not None and "via" or method
    return FlowChoice(f, flow.key, shown, scale if method == "logit" else None, tuple(options))


_CACHE: dict[int, tuple[weakref.ref, Assignment]] = {}


def assign(scenario: Scenario, waits: dict[str, float] | None = None) -> Assignment:
    """Choose the routes of every flow (see the module's notes).

    Parameters
    ----------
    scenario : Scenario
    waits : dict of str to float, optional
        Queueing waits [h] to use instead of the estimate from loads where given, keyed
        ``NODE`` or ``NODE.from[PREV]`` (as an equilibrium measures them); facilities not in
        it keep the estimate.

    Returns
    -------
    Assignment

    Examples
    --------
    >>> import corridor_sim as cs
    >>> a = assign(cs.bundled("single_checkpoint"))
    >>> [o.label for o in a.flows[0].chosen]
    ['origin>border>destination']
    """
    if waits is None:
        hit = _CACHE.get(id(scenario))
        if hit is not None and hit[0]() is scenario:
            return hit[1]
    net = Network(scenario)
    candidates = [candidate_routes(scenario, flow, net) for flow in scenario.demand]
    stats = CalendarStats(scenario)
    measured = dict(waits or {})
    # Free flow: closures only, no load.
    closed = {**_closure_waits(scenario, stats), **measured}
    free = [_choose(scenario, f, routes, lambda r: closed) for f, routes in enumerate(candidates)]
    base = [(fc.index, o.route, o.share) for fc in free for o in fc.chosen]

    def waits_of(f: int):
        others = [p for p in base if p[0] != f]

        def of(route: Route) -> dict[str, float]:
            loads = facility_loads(scenario, [*others, (f, route, 1.0)])
            return {**closed, **expected_waits(scenario, loads, stats), **measured}
        return of

    flows = tuple(_choose(scenario, f, routes, waits_of(f)) if len(routes) > 1
                  else _choose(scenario, f, routes, lambda r: closed)
                  for f, routes in enumerate(candidates))
    paths = [(fc.index, o.route, o.share) for fc in flows for o in fc.chosen]
    final = {**closed, **expected_waits(scenario, facility_loads(scenario, paths), stats),
             **measured}
    # A flow with one candidate is priced with the waits of the final assignment.
    flows = tuple(FlowChoice(fc.index, fc.key, fc.method, fc.scale, tuple(
        replace(o, terms=route_terms(scenario, scenario.demand[fc.index], o.route, final))
        for o in fc.options)) if len(fc.options) == 1 else fc for fc in flows)
    result = Assignment(flows, final)
    if waits is None:
        _CACHE[id(scenario)] = (weakref.ref(scenario), result)
        weakref.finalize(scenario, _CACHE.pop, id(scenario), None)
    return result


def _closure_waits(scenario: Scenario, stats: CalendarStats) -> dict[str, float]:
    out = {}
    for name, node in scenario.nodes.items():
        if node.kind in FACILITY_KINDS:
            w = stats.closure_wait_hours(node.calendar)
            out[name] = w if math.isfinite(w) else scenario.horizon_hours / 2.0
    return out


def route_table(scenario: Scenario, assignment: Assignment | None = None) -> pd.DataFrame:
    """Every flow's candidate routes with their cost terms and shares, as a table.

    Parameters
    ----------
    scenario : Scenario
    assignment : Assignment, optional
        Default :func:`assign` of the scenario.

    Returns
    -------
    pandas.DataFrame
        One row per candidate: ``flow``, ``method``, ``route``, ``modes``, ``share``,
        ``travel_hours``, ``service_hours``, ``queue_hours``, ``hours``, ``money_usd``,
        ``shelf_risk``, ``cost`` and ``cost_unit`` (``h`` or ``USD`` per unit).

    Examples
    --------
    >>> import corridor_sim as cs
    >>> route_table(cs.bundled("single_checkpoint"))[["flow", "share", "cost_unit"]]
                      flow  share cost_unit
    0  origin>destination:general    1.0         h
    """
    import pandas as pd

    assignment = assignment or assign(scenario)
    rows = []
    for fc in assignment.flows:
        for o in fc.options:
            t = o.terms
            rows.append({"flow": fc.key, "method": fc.method, "route": o.label,
                         "modes": "+".join(o.route.modes), "share": o.share,
                         "travel_hours": t.travel_hours, "service_hours": t.service_hours,
                         "queue_hours": t.queue_hours, "hours": t.hours,
                         "money_usd": t.money_usd, "shelf_risk": t.shelf_risk,
                         "cost": t.total, "cost_unit": t.unit, "barred": o.barred})
    return pd.DataFrame(rows)


def route_warnings(scenario: Scenario, assignment: Assignment | None = None) -> list[str]:
    """Facilities that no flow's chosen route passes: nothing will reach them.

    Parameters
    ----------
    scenario : Scenario
    assignment : Assignment, optional

    Returns
    -------
    list of str
        One message per such facility: which flows could pass it and what their cheapest
        route through it would cost against the route chosen, or that no flow's candidates
        pass it at all.
    """
    assignment = assignment or assign(scenario)
    used = {n for _, route, _ in assignment.paths() for n in route.nodes}
    out = []
    for name, node in scenario.nodes.items():
        if node.kind not in FACILITY_KINDS or name in used:
            continue
        near = []
        for fc in assignment.flows:
            through = [o for o in fc.options if name in o.route.nodes]
            if through and fc.chosen:
                best = min(through, key=lambda o: o.cost)
                near.append(f"{fc.key} ({best.cost:,.1f} {fc.unit} through it against "
                            f"{min(o.cost for o in fc.chosen):,.1f})")
        if near:
            out.append(f"{name}: on no chosen route, so nothing will pass it — the flows that "
                       f"could use it find it dearer: {'; '.join(near[:3])}"
                       + (f" and {len(near) - 3} more" if len(near) > 3 else "")
                       + ". Lower its times or costs, or set via: or route: on a flow")
        else:
            out.append(f"{name}: no flow's candidate routes pass it, so nothing will reach it; "
                       "link it between a flow's origin and destination, raise routing.k, or "
                       "set via: on a flow")
    return out


# --------------------------------------------------------------------------- checks


def route_problems(scenario: Scenario) -> list[Problem]:
    """Everything about the scenario's routes that stops a run.

    A fixed route, ``via`` or split that cannot be followed; a flow with no route by its
    allowed modes; a load that no vehicle on its route could carry; directions named after
    nodes no link leads from; finite spaces that can deadlock.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    list of Problem
    """
    problems = choice_problems(scenario)
    if problems:
        return problems
    net = Network(scenario)
    assignment = assign(scenario)
    for i, (flow, fc) in enumerate(zip(scenario.demand, assignment.flows, strict=True)):
        if not fc.options:
            modes = "/".join(sorted(allowed_modes(scenario, flow))) or "no mode"
            problems.append(Problem(f"demand[{i}]", f"no route from {flow.origin!r} to "
                                    f"{flow.destination!r} by {modes} for commodity "
                                    f"{flow.commodity!r}"))
            continue
        for option in fc.chosen:
            problems += capacity_problems(scenario, net, option.route, flow, f"demand[{i}]")
    problems += direction_problems(scenario, net)
    if not problems and any(link.space is not None for link in scenario.links):
        problems += space_problems(scenario, [p[1] for p in assignment.paths()], net)
    return problems


def choice_problems(scenario: Scenario) -> list[Problem]:
    """Flows whose fixed route, ``via`` nodes or split cannot be followed.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    list of Problem
    """
    net = Network(scenario)
    problems = []
    for i, flow in enumerate(scenario.demand):
        method, scale = _method(scenario, flow)
        if method == "logit" and scale is None:
            problems.append(Problem(f"demand[{i}].logit_scale" if flow.choice == "logit"
                                    else "routing.logit_scale",
                                    "choice: logit needs a logit_scale (in hours, or in USD "
                                    "per unit for a commodity with value_of_time_per_hour)"))
        modes = allowed_modes(scenario, flow)
        fixed = [("route", flow.route)] if flow.route is not None else []
        fixed += [(f"split[{j}].route", s.route) for j, s in enumerate(flow.split or [])]
        for key, nodes in fixed:
            if nodes[0] != flow.origin or nodes[-1] != flow.destination:
                problems.append(Problem(f"demand[{i}].{key}", f"must run from the flow's "
                                        f"origin {flow.origin!r} to its destination "
                                        f"{flow.destination!r}, not {nodes[0]!r} … "
                                        f"{nodes[-1]!r}"))
                continue
            for u, v in itertools.pairwise(nodes):
                if not (net.graph.has_edge(u, v) and any(m in modes for m in net.graph[u][v])):
                    by = "/".join(sorted(modes))
                    problems.append(Problem(f"demand[{i}].{key}", f"no {by} link leads from "
                                            f"{u!r} to {v!r}"))
                    break
        for j, s in enumerate(flow.split or []):
            if s.modes is None:
                continue
            if len(s.modes) != len(s.route) - 1:
                problems.append(Problem(f"demand[{i}].split[{j}].modes",
                                        f"gives {len(s.modes)} modes for a route of "
                                        f"{len(s.route) - 1} links"))
                continue
            for (u, v), m in zip(itertools.pairwise(s.route), s.modes, strict=True):
                if net.graph.has_edge(u, v) and m not in net.graph[u][v]:
                    problems.append(Problem(f"demand[{i}].split[{j}].modes",
                                            f"no {m} link leads from {u!r} to {v!r}"))
        if flow.via is not None and not problems and not candidate_routes(scenario, flow, net):
            problems.append(Problem(f"demand[{i}].via", "no route by the flow's modes passes "
                                    f"{' then '.join(map(repr, flow.via))}"))
    return problems
