"""What a proposal changes, decided from the scenarios before any run: nodes, links, flows.

A comparison reports first on the flows a proposal can affect. Which flows those are is read
from the settings and the routes, never from the results: choosing them by significance would
pick the noise that happens to look largest. A flow has changed when

- its route differs between the scenarios (another path, another mode), or
- its route, in any of the scenarios, passes a node or uses a link whose settings differ
  (including a calendar that one of its nodes uses), or
- its own demand entry or its commodity's settings differ, or
- a setting of the whole scenario that the engine uses differs (then every flow has changed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # pragma: no cover
    from .comparison import Comparison
    from .scenario.schema import Scenario

__all__ = ["Changes", "what_changed"]

# top-level settings that say how long or how often to simulate, not what the corridor is
_RUN_SETTINGS = {"name", "description", "replications", "seed", "horizon_days",
                 "warmup_days", "start", "extends"}


class Changes(NamedTuple):
    """Nodes, links and flows that differ between scenarios.

    Attributes
    ----------
    nodes : list of str
        Nodes whose settings differ, or that some scenarios lack.
    links : list of str
        Links, named ``from>to:mode``, whose settings differ or that some scenarios lack.
    flows : list of str
        Flow keys (``origin>destination:commodity``) that have changed (see the module
        docstring), in the order of the first scenario's demand, then new ones.
    routes : dict of str to dict of str to str
        Flow key → scenario name → its route (nodes joined by ``>``; ``""`` if unroutable).
    """

    nodes: list[str]
    links: list[str]
    flows: list[str]
    routes: dict[str, dict[str, str]]


def what_changed(scenarios: Comparison | Mapping[str, Scenario]) -> Changes:
    """Find what differs between scenarios, from their settings and routes alone.

    Parameters
    ----------
    scenarios : Comparison or mapping of str to Scenario
        A comparison (its results' scenarios are used) or name → scenario.

    Returns
    -------
    Changes

    Examples
    --------
    >>> import corridor_sim as cs
    >>> base = cs.bundled("baseline")
    >>> more = base.with_changes({"nodes.dostyk_rail.lanes.general": 8})
    >>> ch = what_changed({"base": base, "more": more})
    >>> ch.nodes
    ['dostyk_rail']
    >>> all("dostyk" in ch.routes[f]["base"] for f in ch.flows)
    True
    """
    from .choice import assign
    from .comparison import Comparison, flatten, link_key

    named = ({n: r.scenario for n, r in scenarios.results.items()}
             if isinstance(scenarios, Comparison) else dict(scenarios))
    dicts = {n: sc.to_dict() for n, sc in named.items()}

    def differs(getter: Any) -> bool:
        vals = [flatten(getter(d)) if getter(d) is not None else None for d in dicts.values()]
        return any(v != vals[0] for v in vals[1:])

    node_names = list(dict.fromkeys(n for d in dicts.values() for n in d.get("nodes", {})))
    nodes = [n for n in node_names if differs(lambda d, n=n: d.get("nodes", {}).get(n))]
    calendars = list(dict.fromkeys(c for d in dicts.values() for c in d.get("calendars", {})))
    changed_cal = {c for c in calendars
                   if differs(lambda d, c=c: d.get("calendars", {}).get(c))}
    for n in node_names:
        if n in nodes:
            continue
        for d in dicts.values():
            setting = flatten(d.get("nodes", {}).get(n) or {})
            if any(k.split(".")[-1] == "calendar" and v in changed_cal
                   for k, v in setting.items()):
                nodes.append(n)
                break

    def links_of(d: dict) -> dict[str, Any]:
        return {link_key(lk): lk for lk in d.get("links", [])}

    by_scenario = [links_of(d) for d in dicts.values()]
    link_names = list(dict.fromkeys(k for m in by_scenario for k in m))
    links = [k for k in link_names if differs(lambda d, k=k: links_of(d).get(k))]
    commodities = list(dict.fromkeys(c for d in dicts.values() for c in d.get("commodities", {})))
    changed_com = {c for c in commodities
                   if differs(lambda d, c=c: d.get("commodities", {}).get(c))}
    everything = any(differs(lambda d, k=k: d.get(k)) for k in
                     dict.fromkeys(k for d in dicts.values() for k in d)
                     if k not in _RUN_SETTINGS and k not in
                     ("nodes", "links", "calendars", "commodities", "demand"))

    routes: dict[str, dict[str, str]] = {}
    modes: dict[str, dict[str, tuple[str, ...]]] = {}
    demand: dict[str, dict[str, Any]] = {}
    hops: dict[str, dict[str, list[tuple[str, str, str]]]] = {}
    for name, sc in named.items():
        chosen = [fc.chosen for fc in assign(sc).flows]
        for flow, raw, options in zip(sc.demand, dicts[name].get("demand", []), chosen,
                                      strict=False):
            routes.setdefault(flow.key, {})[name] = " | ".join(
                o.label + (f" ({o.share:.0%})" if len(options) > 1 else "") for o in options)
            modes.setdefault(flow.key, {})[name] = tuple(m for o in options
                                                         for m in o.route.modes)
            hops.setdefault(flow.key, {})[name] = [
                h for o in options for h in zip(o.route.nodes, o.route.nodes[1:],
                                                 o.route.modes, strict=False)]
            demand.setdefault(flow.key, {})[name] = flatten(raw)
    changed_links = set(links)
    flows = []
    for key, per in routes.items():
        hit = everything or len(per) < len(named) or len(set(per.values())) > 1
        hit = hit or len({str(v) for v in demand[key].values()}) > 1
        hit = hit or key.split(":", 1)[1].split("[")[0] in changed_com
        for name in per:
            if hit:
                break
            for u, v, mode in hops[key][name]:
                if u in nodes or v in nodes:
                    hit = True
                if f"{u}>{v}:{mode}" in changed_links or f"{v}>{u}:{mode}" in changed_links:
                    hit = True
        if hit:
            flows.append(key)
    return Changes(nodes, links, flows, routes)
