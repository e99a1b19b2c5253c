"""Map of the corridor: nodes at their latitude and longitude, links by mode."""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._base import PALETTE, axes, check_choice, node_label, plain

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx
    from matplotlib.axes import Axes

    from ..results import Results
    from ..scenario.schema import Scenario

__all__ = ["KIND_STYLE", "MODE_STYLE", "approximate_nodes", "country_outlines",
           "crowded_clusters", "network", "node_positions"]

KIND_STYLE: dict[str, tuple[str, str]] = {
    "city": ("o", "#000000"),
    "checkpoint": ("s", PALETTE[3]),
    "terminal": ("^", PALETTE[2]),
    "dry_port": ("p", PALETTE[5]),
    "airport": ("*", PALETTE[4]),
}
"""Node kind → (marker, colour); ``origin`` and ``destination`` are drawn as ``city``."""

MODE_STYLE: dict[str, tuple[str, str]] = {
    "road": (PALETTE[1], "-"),
    "rail": (PALETTE[0], "--"),
    "air": (PALETTE[4], ":"),
}
"""Link mode → (colour, line style)."""

_KIND_ALIAS = {"origin": "city", "destination": "city"}


def node_positions(scenario: Scenario) -> tuple[dict[str, tuple[float, float]], bool]:
    """Position of every node: (lon, lat) where given, the rest placed between neighbours.

    A node without coordinates is placed at the average of its neighbours' positions
    (harmonic interpolation, solved exactly), so a checkpoint between two located cities
    sits between them. Nodes in a part of the graph without any coordinates get a spring
    layout with a fixed seed (without any coordinates at all, a corridor that flows one way
    is laid out left to right by stages instead). Nodes with coordinates stay exactly there:
    :func:`network` shows close clusters (the two sides of a border crossing) in an inset.
    Only a schematic layout spreads nodes that fall closer than 4% of its extent.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    positions : dict of str to (float, float)
        Node → (x, y): (longitude, latitude) [°] when ``geographic``.
    geographic : bool
        Whether any node has coordinates (otherwise the layout is schematic).
    """
    import networkx as nx

    from ..network import build_graph

    directed = nx.DiGraph(build_graph(scenario))
    graph = directed.to_undirected()
    known = {n: (float(m.lon), float(m.lat)) for n, m in scenario.nodes.items()
             if m.lat is not None and m.lon is not None}
    pos: dict[str, tuple[float, float]] = dict(known)
    if not known:
        return _spread(_schematic(directed)), False
    reached = set()
    for comp in nx.connected_components(graph):
        if comp & known.keys():
            reached |= comp
    unknown = sorted(n for n in reached if n not in known)
    if unknown:
        pos.update(_harmonic(graph, unknown, known))
    rest = [n for n in graph.nodes if n not in pos]
    if rest:
        xs, ys = zip(*known.values(), strict=True)
        span = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
        layout = nx.spring_layout(graph.subgraph(rest), seed=0, scale=span / 4)
        for n, p in layout.items():
            pos[n] = (float(p[0]) + min(xs), float(p[1]) + min(ys) - span / 3)
    return pos, True


def _schematic(directed: nx.DiGraph) -> dict[str, tuple[float, float]]:
    import networkx as nx

    if nx.is_directed_acyclic_graph(directed):
        pos = {}
        for x, layer in enumerate(nx.topological_generations(directed)):
            for k, n in enumerate(sorted(layer)):
                pos[n] = (float(x), float(k - (len(layer) - 1) / 2))
        return pos
    layout = nx.spring_layout(directed.to_undirected(), seed=0)
    return {n: (float(p[0]), float(p[1])) for n, p in layout.items()}


def _harmonic(graph: nx.Graph, unknown: list[str], known: dict[str, tuple[float, float]]
              ) -> dict[str, tuple[float, float]]:
    index = {n: i for i, n in enumerate(unknown)}
    a = np.zeros((len(unknown), len(unknown)))
    b = np.zeros((len(unknown), 2))
    for n, i in index.items():
        nbrs = list(graph.neighbors(n))
        a[i, i] = len(nbrs)
        for m in nbrs:
            if m in index:
                a[i, index[m]] -= 1
            else:
                b[i] += known[m]
    xy = np.linalg.solve(a, b)
    return {n: (float(xy[i, 0]), float(xy[i, 1])) for n, i in index.items()}


def _close_groups(xy: np.ndarray, gap: float) -> list[list[int]]:
    """Groups of points joined by chains of neighbours closer than ``gap``.

    Connected components (scipy) of the graph whose edges join points less than ``gap``
    apart; groups are ordered by their first point, members ascending.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial.distance import pdist, squareform

    close = squareform(pdist(xy)) < gap if len(xy) > 1 else np.ones((len(xy), len(xy)), bool)
    _, labels = connected_components(csr_matrix(close), directed=False)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels.tolist()):
        groups.setdefault(label, []).append(i)
    return list(groups.values())


def _spread(pos: dict[str, tuple[float, float]], min_share: float = 0.04
            ) -> dict[str, tuple[float, float]]:
    """Spread clusters of nodes closer than ``min_share`` of the map's extent, keeping sides.

    The nodes of a cluster (the two sides of a border crossing, a city and its terminal) are
    set on a small ring around their centroid, in the order of their directions from it, so
    that what lies west stays west: a crossing drawn from Kazakhstan to China still runs
    west to east. Deterministic.
    """
    names = sorted(pos)
    xy = np.array([pos[n] for n in names], dtype=float)
    if len(names) < 2:
        return dict(pos)
    span = float(max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1]), 1e-9))
    gap = min_share * span
    out = xy.copy()
    for members in _close_groups(xy, gap):
        k = len(members)
        if k == 1:
            continue
        centre = xy[members].mean(axis=0)
        d = xy[members] - centre
        angles = np.arctan2(d[:, 1], d[:, 0])
        far = np.hypot(d[:, 0], d[:, 1]) > 1e-12 * span
        angles[~far] = np.pi / 2  # nodes on the very same spot: from the top
        order = np.lexsort((np.arange(k), angles))
        radius = gap / (2 * math.sin(math.pi / k))
        start = angles[order[0]]
        for slot, m in enumerate(order):
            a = start + 2 * math.pi * slot / k
            out[members[m]] = centre + radius * np.array([math.cos(a), math.sin(a)])
    return {n: (float(out[i, 0]), float(out[i, 1])) for i, n in enumerate(names)}


def network(scenario: Scenario | Results | str | Path, *, results: Results | None = None,
            kpi: str | None = None, labels: bool = True, borders: bool = True,
            insets: int = 2, flows: bool = False, ax: Axes | None = None) -> Axes:
    """Map of the corridor: nodes by kind at their coordinates, links by mode.

    Nodes are drawn at their true coordinates over the outlines of Kazakhstan, China and
    Kyrgyzstan (Natural Earth, 1:110m, shipped with the package; see
    ``corridor_sim/data/borders/README.md``). Where three or more nodes crowd into a spot
    (the four checkpoints of the Khorgos crossing sit within 5 km), the map shows them again
    in a close-up inset rather than moving them. A node whose position is an estimate
    (``approximate_position: true``, or placed between its neighbours because it has no
    coordinates) is circled with a dashed ring.

    Parameters
    ----------
    scenario : Scenario, Results, str or Path
        What to draw; a ``Results`` also supplies ``results``.
    results : Results, optional
        Colour facility nodes by a node KPI of these results.
    kpi : str, optional
        A column of :meth:`Results.node_stats`, e.g. ``"utilisation"`` or
        ``"wait_hours.mean"`` [h]; default ``"utilisation"`` when ``results`` is given.
    labels : bool, default True
        Write node labels (a node without ``label`` is labelled with its name).
    borders : bool, default True
        Draw the country outlines (only on a map from coordinates).
    insets : int, default 2
        Close-ups of at most this many crowded clusters (0: none).
    flows : bool, default False
        Draw the routes the flows take under the links, each link's band as wide as the
        loads (shipments) a day that route choice sends over it in each direction
        (:func:`corridor_sim.choice.assign`); the bands have the ``gid``
        ``"flow:<from>><to>:<mode>"``.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The map; its insets are its child axes (``ax.child_axes``), each with the ``gid``
        ``"inset:<name>"``.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ..results import Results
    from ..scenario.loader import load_scenario

    if isinstance(scenario, Results):
        results = scenario if results is None else results
        scenario = scenario.scenario
    sc = load_scenario(scenario)
    pos, geographic = node_positions(sc)
    approx = approximate_nodes(sc, pos) if geographic else set()
    ax = axes(ax, figsize=(10, 6.5))
    values = _kpi_values(results, kpi)
    volumes = route_volumes(sc) if flows else None
    modes = _draw_links(ax, sc, pos, volumes)
    kinds = _draw_nodes(ax, sc, pos, values, approx)
    handles = [Line2D([], [], color=MODE_STYLE.get(m, ("0.4", "-"))[0],
                      ls=MODE_STYLE.get(m, ("0.4", "-"))[1], label=f"{m} link") for m in modes]
    for kind in kinds:
        marker, col = KIND_STYLE.get(kind, ("o", "0.5"))
        handles.append(Line2D([], [], marker=marker, ls="", markersize=8, label=kind,
                              markerfacecolor=col if values is None else "0.8",
                              markeredgecolor="black"))
    if volumes:
        top = max(volumes.values())
        for v in (top, top / 4):
            handles.append(Line2D([], [], color="0.5", alpha=_FLOW_ALPHA,
                                  lw=_flow_width(v, top), label=f"{v:,.0f} loads/day"))
    if approx:
        handles.append(Line2D([], [], marker="o", ls="", markersize=14, markerfacecolor="none",
                              markeredgecolor=_APPROX_COLOUR, label="position approximate"))
    drawn_borders = geographic and borders and _draw_borders(ax)
    if drawn_borders:
        handles.append(Patch(facecolor=_COUNTRY_FILL["KAZ"], edgecolor=_BORDER_COLOUR,
                             label="country (Natural Earth)"))
    title = f"Corridor network — {plain(sc.name)}"
    if values is not None:
        title += f"\nfacility nodes coloured by {values[0]}"
    ax.set_title(title)
    if geographic:
        ax.set_xlabel("longitude [°E]")
        ax.set_ylabel("latitude [°N]")
        _frame(ax, list(pos.values()), margin=0.12, min_span=1.0)
    else:
        ax.set_xlabel("schematic layout (no coordinates in the scenario)")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.margins(0.12)
        ax.autoscale_view()
    ax.legend(handles=handles, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if drawn_borders:
        ax.text(0.005, 0.005, "Borders: Natural Earth (1:110m), approximate", fontsize="x-small",
                color="0.35", transform=ax.transAxes, ha="left", va="bottom")
    groups = crowded_clusters(pos)[:max(insets, 0)] if geographic else []
    corners: list[tuple[float, float]] = []
    obstacles = [_draw_inset(ax, sc, pos, group, values, approx, labels, corners)
                 for group in groups]
    if labels:
        items = [(node_label(sc, n), pos[n]) for n in pos
                 if not any(n in group for group in groups)]
        items += [(_cluster_name(sc, group) + " (inset)",
                   tuple(np.mean([pos[n] for n in group], axis=0))) for group in groups]
        _label_nodes(ax, items, obstacles)
    return ax


_APPROX_COLOUR = "0.25"
_BORDER_COLOUR = "0.55"
_COUNTRY_FILL = {"KAZ": "#f4efe1", "CHN": "#f7e9e4", "KGZ": "#e9f0e4"}
_COUNTRY_NAME = {"KAZ": "Kazakhstan", "CHN": "China", "KGZ": "Kyrgyzstan"}


def approximate_nodes(scenario: Scenario, pos: dict[str, tuple[float, float]] | None = None
                      ) -> set[str]:
    """Nodes whose map position is an estimate.

    Parameters
    ----------
    scenario : Scenario
    pos : dict, optional
        Positions from :func:`node_positions` (default: computed).

    Returns
    -------
    set of str
        Nodes with ``approximate_position: true``, and nodes without coordinates that were
        placed between their neighbours.
    """
    pos = node_positions(scenario)[0] if pos is None else pos
    out = set()
    for name in pos:
        node = scenario.nodes.get(name)
        if node is None or node.lat is None or node.lon is None or getattr(
                node, "approximate_position", False):
            out.add(name)
    return out


@functools.cache
def country_outlines() -> dict[str, list[np.ndarray]]:
    """Outlines of Kazakhstan, China and Kyrgyzstan shipped with the package.

    Natural Earth 1:110m admin-0 countries (public domain), as split per country by the
    johan/world.geo.json repository; good to a few km, a backdrop and not for measuring.

    Returns
    -------
    dict of str to list of numpy.ndarray
        ISO 3166-1 alpha-3 code (``"KAZ"``, ``"CHN"``, ``"KGZ"``) → the outer rings of its
        polygons, each an ``(n, 2)`` array of (longitude, latitude) [°].
    """
    import json
    from importlib.resources import files

    folder = files("corridor_sim") / "data" / "borders"
    out: dict[str, list[np.ndarray]] = {}
    for code in _COUNTRY_FILL:
        data = json.loads((folder / f"{code}.geo.json").read_text(encoding="utf-8"))
        rings = []
        for feature in data["features"]:
            geom = feature["geometry"]
            polys = ([geom["coordinates"]] if geom["type"] == "Polygon"
                     else geom["coordinates"])
            rings += [np.asarray(poly[0], dtype=float) for poly in polys]
        out[code] = rings
    return out


def _draw_borders(ax: Axes) -> bool:
    from matplotlib.patches import Polygon

    for code, rings in country_outlines().items():
        for k, ring in enumerate(rings):
            # add_artist, not add_patch: the outlines must not widen the view to all of China
            poly = Polygon(ring, closed=True, facecolor=_COUNTRY_FILL[code],
                           edgecolor=_BORDER_COLOUR, lw=0.9, zorder=0, gid=f"border:{code}:{k}",
                           label=_COUNTRY_NAME[code] if k == 0 else None)
            ax.add_artist(poly)
            poly.set_clip_path(ax.patch)
    return True


def _frame(ax: Axes, points: list[tuple[float, float]], margin: float, min_span: float = 0.5
           ) -> None:
    """Fit the view to ``points``, with the aspect of a local equirectangular projection.

    The country outlines and links to far nodes do not widen the view.
    """
    xy = np.asarray(points, dtype=float)
    centre = (xy.min(axis=0) + xy.max(axis=0)) / 2
    half = np.maximum(np.ptp(xy, axis=0), min_span) / 2
    ax.ignore_existing_data_limits = True
    ax.update_datalim(np.vstack([centre - half, centre + half]))
    ax.margins(margin)
    ax.autoscale_view()
    ax.set_aspect(1 / max(math.cos(math.radians(float(centre[1]))), 0.1), adjustable="datalim")
    ax.apply_aspect()


def crowded_clusters(pos: dict[str, tuple[float, float]], share: float = 0.015,
                     min_nodes: int = 3) -> list[list[str]]:
    """Groups of nodes that crowd into one spot of the map, most crowded first.

    Nodes closer than ``share`` of the map's extent are joined (transitively); groups of at
    least ``min_nodes`` are returned, the largest first, then the tightest.

    Parameters
    ----------
    pos : dict of str to (float, float)
        Node → (lon, lat) [°].
    share : float, default 0.015
        Distance that counts as crowded, as a share of the larger side of the map.
    min_nodes : int, default 3

    Returns
    -------
    list of list of str
        Each group's nodes sorted by name.
    """
    names = sorted(pos)
    if len(names) < min_nodes:
        return []
    xy = np.array([pos[n] for n in names], dtype=float)
    span = float(max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1]), 1e-9))
    found = [g for g in _close_groups(xy, share * span) if len(g) >= min_nodes]
    found.sort(key=lambda g: (-len(g), float(np.ptp(xy[g], axis=0).max()), names[g[0]]))
    return [[names[i] for i in g] for g in found]


def _cluster_name(sc: Scenario, group: list[str]) -> str:
    """The first word most of the group's labels share ("Khorgos"), else the first label."""
    words = [re.split(r"[\s(]", node_label(sc, n).strip())[0] for n in group]
    counts = {w: words.count(w) for w in words if w}
    best = max(counts, key=lambda w: (counts[w], -words.index(w)), default="")
    return best if counts.get(best, 0) >= 2 else node_label(sc, group[0])


def _draw_inset(ax: Axes, sc: Scenario, pos: dict[str, tuple[float, float]],
                group: list[str], values: tuple[str, dict[str, float]] | None,
                approx: set[str], labels: bool, used: list[tuple[float, float]]) -> Any:
    """Draw a close-up of ``group`` in a free corner of ``ax``; return its window extent."""
    width = 0.34
    corners = [(0.99 - width, 0.01), (0.01, 0.01), (0.01, 0.99 - width),
               (0.99 - width, 0.99 - width)]
    to_axes = ax.transData + ax.transAxes.inverted()
    pts = to_axes.transform(np.array(list(pos.values())))

    def crowding(corner: tuple[float, float]) -> tuple[int, int]:
        x0, y0 = corner
        inside = ((pts[:, 0] > x0 - 0.02) & (pts[:, 0] < x0 + width + 0.02)
                  & (pts[:, 1] > y0 - 0.02) & (pts[:, 1] < y0 + width + 0.02))
        return int(inside.sum()), corners.index(corner)

    free = [c for c in corners if c not in used] or corners
    x0, y0 = min(free, key=crowding)
    used.append((x0, y0))
    ins = ax.inset_axes([x0, y0, width, width])
    name = _cluster_name(sc, group)
    ins.set_gid(f"inset:{name}")
    _draw_links(ins, sc, pos)
    _draw_nodes(ins, sc, {n: pos[n] for n in group}, values, approx & set(group),
                colorbar=False)
    xy = np.array([pos[n] for n in group])
    extent = float(max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1]), 0.01))
    _frame(ins, [tuple(p) for p in xy], margin=0.6, min_span=extent)
    ins.set_xticks([])
    ins.set_yticks([])
    km = extent * 111.32 * math.cos(math.radians(float(xy[:, 1].mean())))
    ins.set_title(f"{plain(name)} (about {km:.0f} km across)" if km >= 1 else plain(name),
                  fontsize="small")
    ins.set_facecolor("white")
    ax.indicate_inset_zoom(ins, edgecolor="0.3")
    if labels:
        _label_nodes(ins, [(node_label(sc, n), pos[n]) for n in group], [])
    ax.figure.canvas.draw_idle()
    return ins.get_window_extent(ax.figure.canvas.get_renderer())


_LABEL_SPOTS = (((8, 0), "left", "center"), ((-8, 0), "right", "center"),
                ((0, 8), "center", "bottom"), ((0, -8), "center", "top"),
                ((6, 6), "left", "bottom"), ((-6, 6), "right", "bottom"),
                ((6, -6), "left", "top"), ((-6, -6), "right", "top"))


def _label_nodes(ax: Axes, items: list[tuple[str, tuple[float, float]]],
                 obstacles: list[Any]) -> None:
    """Write each text beside its point, where it overlaps no label, node or obstacle.

    Candidate spots around the point are tried in turn, starting on the side away from its
    nearest neighbour; the spot with the least overlap wins. Call once the limits are final.
    ``obstacles`` are display-space boxes to keep clear (the insets).
    """
    ax.apply_aspect()
    renderer = ax.figure.canvas.get_renderer()
    items = sorted(items, key=lambda it: (it[1][0], it[1][1], it[0]))
    xy = np.array([p for _, p in items], dtype=float)
    points = ax.transData.transform(xy) if len(items) else np.empty((0, 2))
    placed: list[Any] = list(obstacles)
    for i, (text_of, _) in enumerate(items):
        d = xy[i] - np.delete(xy, i, axis=0) if len(items) > 1 else np.array([[1.0, 0.0]])
        away = d[np.argmin(np.hypot(d[:, 0], d[:, 1]))]
        first = (0 if away[0] > 0 else 1) if abs(away[0]) > abs(away[1]) else (
            2 if away[1] >= 0 else 3)
        spots = [_LABEL_SPOTS[first]] + [s for s in _LABEL_SPOTS if s != _LABEL_SPOTS[first]]
        best, best_cost = None, math.inf
        for offset, ha, va in spots:
            text = ax.annotate(text_of, tuple(xy[i]), xytext=offset,
                               textcoords="offset points", ha=ha, va=va, fontsize="small",
                               annotation_clip=True)
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            cost = sum(_overlap(box, b) for b in placed)
            cost += sum(box.width * box.height for j, p in enumerate(points)
                        if j != i and box.contains(*p))
            cost += _outside(box, ax.get_window_extent(renderer))
            if cost < best_cost:
                if best is not None:
                    best[0].remove()
                best, best_cost = (text, box), cost
            else:
                text.remove()
            if cost == 0:
                break
        if best is not None:
            placed.append(best[1])


def _outside(box: Any, frame: Any) -> float:
    """Area of ``box`` outside ``frame`` (display units)."""
    return box.width * box.height - _overlap(box, frame)


def _overlap(a: Any, b: Any) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _kpi_values(results: Results | None, kpi: str | None
                ) -> tuple[str, dict[str, float]] | None:
    if results is None:
        return None
    stats = results.node_stats()
    options = list(stats.columns)
    name = kpi or ("utilisation" if "utilisation" in options else None)
    if name is None:
        return None
    check_choice("kpi", name, options)
    col = stats[name]
    return name, {str(n): float(v) for n, v in col.items() if np.isfinite(v)}


_FLOW_ALPHA = 0.3
_FLOW_MAX_WIDTH = 14.0


def _flow_width(volume: float, top: float) -> float:
    return 1.0 + (_FLOW_MAX_WIDTH - 1.0) * volume / top if top > 0 else 1.0


def route_volumes(sc: Scenario) -> dict[tuple[str, str, str], float]:
    """Loads (shipments) a day over each directed link, by the routes the flows take.

    Parameters
    ----------
    sc : Scenario

    Returns
    -------
    dict
        ``(from, to, mode)`` → shipments a day (mean over the year).
    """
    from ..choice import assign

    out: dict[tuple[str, str, str], float] = {}
    for f, route, share in assign(sc).paths():
        per_day = sc.demand[f].shipments_per_day * share
        for hop in zip(route.nodes, route.nodes[1:], route.modes, strict=False):
            out[hop] = out.get(hop, 0.0) + per_day
    return {k: v for k, v in out.items() if v > 0}


def _draw_links(ax: Axes, sc: Scenario, pos: dict[str, tuple[float, float]],
                volumes: dict[tuple[str, str, str], float] | None = None) -> list[str]:
    from matplotlib.patches import FancyArrowPatch

    pairs: dict[tuple[str, str], dict[str, set[tuple[str, str]]]] = {}
    for link in sc.links:
        ends = [(link.from_, link.to)] + ([(link.to, link.from_)] if link.bidirectional else [])
        for a, b in ends:
            key = tuple(sorted((a, b)))
            pairs.setdefault(key, {}).setdefault(link.mode, set()).add((a, b))
    modes_seen: list[str] = []
    for (u, v), by_mode in pairs.items():
        modes = sorted(by_mode)
        for i, mode in enumerate(modes):
            rad = 0.0 if len(modes) == 1 else 0.25 * (i - (len(modes) - 1) / 2)
            both = len(by_mode[mode]) == 2
            a, b = (u, v) if both or (u, v) in by_mode[mode] else (v, u)
            # arc3's bend is relative to the direction: keep each mode on its own side.
            sign = 1.0 if (a, b) == (u, v) else -1.0
            col, ls = MODE_STYLE.get(mode, ("0.4", "-"))
            for x, y in sorted(by_mode[mode]) if volumes else []:
                vol = volumes.get((x, y, mode), 0.0)
                if vol <= 0:
                    continue
                s = 1.0 if (x, y) == (u, v) else -1.0
                ax.add_patch(FancyArrowPatch(
                    pos[x], pos[y], arrowstyle="-", connectionstyle=f"arc3,rad={s * rad:.3f}",
                    color=col, alpha=_FLOW_ALPHA, lw=_flow_width(vol, max(volumes.values())),
                    shrinkA=7, shrinkB=7, zorder=0.5, capstyle="butt",
                    gid=f"flow:{x}>{y}:{mode}"))
            ax.add_patch(FancyArrowPatch(
                pos[a], pos[b], arrowstyle="<|-|>" if both else "-|>", mutation_scale=12,
                connectionstyle=f"arc3,rad={sign * rad:.3f}", color=col, linestyle=ls, lw=1.8,
                shrinkA=7, shrinkB=7, zorder=1,
                gid=f"link:{a}{'<>' if both else '>'}{b}:{mode}"))
            if mode not in modes_seen:
                modes_seen.append(mode)
    # patches do not update the data limits: include every node in them explicitly
    xy = np.array(list(pos.values()))
    ax.update_datalim(xy)
    ax.autoscale_view()
    return [m for m in ("road", "rail", "air") if m in modes_seen] + [
        m for m in modes_seen if m not in MODE_STYLE]


def _draw_nodes(ax: Axes, sc: Scenario, pos: dict[str, tuple[float, float]],
                values: tuple[str, dict[str, float]] | None, approx: set[str] | None = None,
                *, colorbar: bool = True) -> list[str]:
    import matplotlib as mpl

    by_kind: dict[str, list[str]] = {}
    for n, node in sc.nodes.items():
        if n in pos:
            by_kind.setdefault(_KIND_ALIAS.get(node.kind, node.kind), []).append(n)
    rings = sorted(approx or ())
    if rings:
        xy = np.array([pos[n] for n in rings])
        ax.scatter(xy[:, 0], xy[:, 1], marker="o", s=330, facecolors="none",
                   edgecolors=_APPROX_COLOUR, linewidths=1.0, linestyle=(0, (2, 2)), zorder=2,
                   gid="approximate:" + ",".join(rings))
    norm = cmap = None
    if values is not None and values[1]:
        vals = list(values[1].values())
        lo, hi = min(vals), max(vals)
        norm = mpl.colors.Normalize(lo, hi if hi > lo else lo + 1e-9)
        cmap = mpl.colormaps["viridis"]
    for kind, names in by_kind.items():
        marker, col = KIND_STYLE.get(kind, ("o", "0.5"))
        faces: list[Any] = []
        for n in names:
            if values is None:
                faces.append(col)
            elif n in values[1] and cmap is not None and norm is not None:
                faces.append(cmap(norm(values[1][n])))
            else:
                faces.append("0.8")
        xy = np.array([pos[n] for n in names])
        ax.scatter(xy[:, 0], xy[:, 1], marker=marker, s=140 if marker == "*" else 80,
                   c=faces, edgecolors="black", linewidths=0.8, zorder=3, label=kind)
    if colorbar and values is not None and cmap is not None and norm is not None:
        from ._base import kpi_unit

        sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
        unit = kpi_unit(values[0], sc)
        ax.figure.colorbar(sm, ax=ax, label=values[0] + (f" [{unit}]" if unit else ""))
    return list(by_kind)
