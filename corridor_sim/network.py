"""The corridor as a NetworkX graph, and the route checks that need only the graph.

The graph is a :class:`networkx.MultiDiGraph` whose edges are keyed by mode, so rail, road and
air can run in parallel between the same two places and routing chooses among them.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from .errors import Problem
from .scenario.schema import FACILITY_KINDS, Demand, Link, Scenario

__all__ = ["Network", "Route", "allowed_modes", "build_graph", "capacity_problems",
           "direction_problems", "link_index", "space_problems"]


@dataclass(frozen=True)
class Route:
    """A route through the corridor.

    Attributes
    ----------
    nodes : tuple of str
        Node names from origin to destination.
    modes : tuple of str
        Mode of each link; ``len(modes) == len(nodes) - 1``.
    expected_hours : float
        Expected time without queueing [h] (travel plus mean service).
    """

    nodes: tuple[str, ...]
    modes: tuple[str, ...]
    expected_hours: float

    @property
    def label(self) -> str:
        """Node names joined by ``>``, as in the ``route`` column of the results."""
        return ">".join(self.nodes)


def node_service_hours(scenario: Scenario, name: str) -> float:
    """Expected time spent at a node without queueing [h] (0 for cities).

    Parameters
    ----------
    scenario : Scenario
    name : str
        Node name.

    Returns
    -------
    float
    """
    node = scenario.nodes[name]
    if node.kind not in FACILITY_KINDS:
        return 0.0
    hours = node.service_time.mean if node.service_time is not None else 0.0
    if node.inspection is not None:
        hours += node.inspection.probability * node.inspection.time.mean
    if node.handling is not None:
        hours += node.handling.hours(1)
    transload = getattr(node, "transload", None)
    if transload is not None:
        hours += transload.time.mean
    consolidation = getattr(node, "consolidation", None)
    if consolidation is not None and consolidation.enabled and consolidation.max_wait_hours:
        hours += consolidation.max_wait_hours / 2
    return hours


def build_graph(scenario: Scenario) -> nx.MultiDiGraph:
    """Build the corridor graph of a scenario.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    networkx.MultiDiGraph
        Nodes carry ``kind``, ``model`` (the node's settings), ``lat``, ``lon`` and
        ``service_hours``; edges are keyed by mode and carry ``link`` (its settings),
        ``hours`` (expected travel time plus the expected wait for a departure [h]) and
        ``cost`` (money per unit).

    Examples
    --------
    >>> import corridor_sim as cs
    >>> g = build_graph(cs.bundled("single_checkpoint"))
    >>> sorted(g.successors("origin")), list(g["origin"]["border"])
    (['border'], ['road'])
    """
    graph = nx.MultiDiGraph(name=scenario.name)
    for name, node in scenario.nodes.items():
        graph.add_node(name, kind=node.kind, model=node, lat=node.lat, lon=node.lon,
                       service_hours=node_service_hours(scenario, name))
    for link in scenario.links:
        hours = link.time.mean + link.expected_wait_hours
        graph.add_edge(link.from_, link.to, key=link.mode, link=link, hours=hours,
                       cost=link.cost_per_unit)
        if link.bidirectional:
            graph.add_edge(link.to, link.from_, key=link.mode, link=link, hours=hours,
                           cost=link.cost_per_unit)
    return graph


def link_index(scenario: Scenario) -> dict[tuple[str, str, str], Link]:
    """Every directed hop of the scenario's links: ``(from, to, mode)`` → its link.

    A two-way link appears under both directions; where two links share a hop, the first
    in ``links`` is used.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    dict
    """
    out: dict[tuple[str, str, str], Link] = {}
    for link in scenario.links:
        out.setdefault((link.from_, link.to, link.mode), link)
        if link.bidirectional:
            out.setdefault((link.to, link.from_, link.mode), link)
    return out


def allowed_modes(scenario: Scenario, flow: Demand) -> frozenset[str]:
    """Modes a flow may use: its own restriction within its commodity's modes.

    Parameters
    ----------
    scenario : Scenario
    flow : Demand

    Returns
    -------
    frozenset of str
    """
    modes = set(scenario.commodities[flow.commodity].modes)
    if flow.modes is not None:
        modes &= set(flow.modes)
    return frozenset(modes)


class Network:
    """The graph of a scenario (see :func:`build_graph`).

    Route choice over it is :func:`corridor_sim.choice.assign`.

    Parameters
    ----------
    scenario : Scenario
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.graph = build_graph(scenario)


def direction_problems(scenario: Scenario, net: Network | None = None) -> list[Problem]:
    """Directions named after nodes that no link leads from, and unknown calendars.

    Parameters
    ----------
    scenario : Scenario
    net : Network, optional

    Returns
    -------
    list of Problem
    """
    net = net or Network(scenario)
    problems = []
    for name, node in scenario.nodes.items():
        for src, d in (getattr(node, "directions", None) or {}).items():
            path = f"nodes.{name}.directions.{src}"
            if src not in scenario.nodes:
                problems.append(Problem(path, f"unknown node {src!r}; a direction is named by "
                                        "the node its vehicles arrive from"))
            elif not net.graph.has_edge(src, name):
                into = sorted(net.graph.predecessors(name))
                problems.append(Problem(path, f"no link leads from {src!r} to {name!r}; "
                                        f"vehicles arrive from {', '.join(map(repr, into))}"))
            if d.calendar is not None and d.calendar not in scenario.calendars:
                problems.append(Problem(f"{path}.calendar", f"unknown calendar {d.calendar!r}"))
        transload = getattr(node, "transload", None)
        for i, src in enumerate(getattr(transload, "arriving_from", None) or []):
            if not (src in scenario.nodes and net.graph.has_edge(src, name)):
                problems.append(Problem(f"nodes.{name}.transload.arriving_from[{i}]",
                                        f"no link leads from {src!r} to {name!r}"))
    return problems


def _stages(node, came_from: str | None = None) -> list[tuple[str, bool, bool]]:
    """(name, has servers, conditional) of each stage of a facility, in the engine's order.

    Vehicles arriving from ``came_from`` use that direction's own lanes where it has them.
    """
    out = []
    if node.service_time is not None:
        d = (node.directions or {}).get(came_from)
        own = d is not None and d.pool == "own"
        out.append((f"lanes for vehicles from {came_from!r}" if own else "lanes", True, False))
    if getattr(node, "transshipment", None) is not None:
        out.append(("transshipment tracks", True, True))
    if node.handling is not None:
        out.append(("handling tracks", True, False))
    transload = getattr(node, "transload", None)
    if transload is not None and (transload.arriving_from is None
                                  or came_from in transload.arriving_from):
        out.append(("trans-loading bays", transload.bays is not None, False))
    con = getattr(node, "consolidation", None)
    if con is not None and con.enabled:
        out.append(("consolidation", False, False))
    return out


def _held_at_exit(node, came_from: str | None = None) -> list[str]:
    """Server groups of a node that a served vehicle may keep while blocked on its way out."""
    held = []
    stages = _stages(node, came_from)
    for i in range(len(stages) - 1, -1, -1):
        name, servers, conditional = stages[i]
        if servers:
            held.append(name)
        if not conditional:
            break
    return held


def space_problems(scenario: Scenario, routes: list[Route], net: Network | None = None
                   ) -> list[Problem]:
    """Finite link spaces that can deadlock: a cycle of servers waiting for each other.

    A served vehicle keeps its server while the link ahead is full (blocking after service);
    the link frees only when the servers at its end start one of its vehicles. When those
    servers can themselves be held by vehicles waiting for another full link that leads back,
    as the shared lanes of two checkpoints joined by a strip with room in both directions,
    every server may end up holding a vehicle that waits for another: a deadlock. Each such
    cycle is one problem.

    Parameters
    ----------
    scenario : Scenario
    routes : list of Route
        Every route a flow takes.
    net : Network, optional
        The scenario's network (built if not given).

    Returns
    -------
    list of Problem
    """
    net = net or Network(scenario)
    index = {}
    for i, link in enumerate(scenario.links):
        if link.space is not None:
            index.setdefault((link.from_, link.to, link.mode), i)
            if link.bidirectional:
                index.setdefault((link.to, link.from_, link.mode), i)
    wait_for = nx.DiGraph()
    for route in routes:
        for j, (u, v, mode) in enumerate(zip(route.nodes, route.nodes[1:], route.modes,
                                             strict=False)):
            if (u, v, mode) not in index:
                continue
            space = ("space", u, v, mode)
            before = route.nodes[j - 1] if j > 0 else None
            if scenario.nodes[u].kind in FACILITY_KINDS:
                for group in _held_at_exit(scenario.nodes[u], before):
                    wait_for.add_edge(("servers", u, group), space)
            end = scenario.nodes[v]
            if end.kind in FACILITY_KINDS:
                stages = _stages(end, u)
                if stages and stages[0][1] and stages[0][0] in _held_at_exit(end, u):
                    wait_for.add_edge(space, ("servers", v, stages[0][0]))
    problems = []
    for cycle in nx.simple_cycles(wait_for):
        spaces = [c for c in cycle if c[0] == "space"]
        first = min(index[c[1:]] for c in spaces)
        chain = " → ".join(f"the {c[2]} of {c[1]!r}" if c[0] == "servers"
                           else f"room on {c[1]}→{c[2]}" for c in cycle)
        nodes = sorted({c[1] for c in cycle if c[0] == "servers"})
        problems.append(Problem(
            f"links[{first}].space",
            f"finite spaces on both sides of shared servers can deadlock ({chain} → back): "
            f"served vehicles keep their servers while they wait for room that only the other "
            f"servers can free. Split the servers of {', '.join(map(repr, nodes))} by "
            "direction (directions: {FROM_NODE: {pool: own, lanes: {...}}}), or drop one of "
            "these spaces"))
    return problems


def capacity_problems(scenario: Scenario, net: Network, route: Route, flow: Demand,
                      path: str) -> list[Problem]:
    """Loads that no vehicle on their route could ever carry.

    Parameters
    ----------
    scenario : Scenario
    net : Network
    route : Route
        A route the flow takes.
    flow : Demand
    path : str
        Key path of the flow, for the problems.

    Returns
    -------
    list of Problem
    """
    unit = scenario.commodities[flow.commodity].unit
    problems = []
    for u, v, mode in zip(route.nodes, route.nodes[1:], route.modes, strict=False):
        link = net.graph[u][v][mode]["link"]
        if link.capacity is None:
            continue
        if link.capacity_unit != unit:
            problems.append(Problem(path, f"its route uses the {mode} link {u!r} → {v!r}, whose "
                                    f"capacity is in {link.capacity_unit}, but "
                                    f"{flow.commodity!r} is counted in {unit}"))
        elif flow.units_per_shipment > link.capacity:
            problems.append(Problem(path, f"a shipment of {flow.units_per_shipment:g} {unit} "
                                    f"does not fit the {link.capacity:g} {unit} vehicles "
                                    f"of {u!r} → {v!r}"))
    for n in route.nodes[1:-1]:
        con = getattr(scenario.nodes[n], "consolidation", None)
        if con is not None and con.enabled and flow.units_per_shipment > con.train_capacity_teu:
            problems.append(Problem(path, f"a shipment of {flow.units_per_shipment:g} units does "
                                    f"not fit the {con.train_capacity_teu:g}-unit block trains "
                                    f"of {n!r}"))
    return problems
