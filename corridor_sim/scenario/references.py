"""Cross-reference checks on raw scenario data: every name used must be defined.

These run on the plain data before (and independently of) the pydantic validation, so that a
file with a bad number *and* a misspelt node name reports both at once.
"""

from __future__ import annotations

import difflib
from typing import Any

from ..errors import Problem

_MODES = ("road", "rail", "air")


def hashable(value: Any) -> Any:
    """A hashable stand-in for a value read from YAML (lists and mappings included)."""
    if isinstance(value, list):
        return tuple(hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple((str(k), hashable(v)) for k, v in value.items())
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value

__all__ = ["hashable", "reference_problems", "suggest"]


def suggest(name: str, candidates: list[str] | set[str]) -> str:
    """``"; did you mean 'x'?"`` for the candidate nearest to ``name``, or ``""``.

    Examples
    --------
    >>> suggest("urumchi", ["almaty", "urumqi_terminal"])
    "; did you mean 'urumqi_terminal'?"
    """
    pool = sorted(str(c) for c in candidates)
    best = difflib.get_close_matches(str(name), pool, n=1, cutoff=0.6)
    if not best:
        prefix = [c for c in pool if c.startswith(str(name)[:4]) and len(str(name)) >= 4]
        best = prefix[:1]
    return f"; did you mean {best[0]!r}?" if best else ""


def _names(data: dict, key: str) -> set[str]:
    value = data.get(key)
    return set(value) if isinstance(value, dict) else set()


def reference_problems(data: dict[str, Any]) -> list[Problem]:
    """Check that links, demand, calendars and barriers name things that exist.

    Parameters
    ----------
    data : dict
        The raw scenario data (after ``extends`` merging).

    Returns
    -------
    list of Problem
        One per dangling reference, with its key path (no file or line yet).
    """
    problems: list[Problem] = []
    nodes = _names(data, "nodes")
    commodities = _names(data, "commodities")
    calendars = _names(data, "calendars") | {"round_the_clock"}

    def check(path: str, value: Any, pool: set[str], what: str) -> None:
        if isinstance(value, str) and pool and value not in pool:
            problems.append(Problem(path, f"unknown {what} {value!r}" + suggest(value, pool)))

    links = data.get("links")
    seen: dict[tuple, int] = {}
    for i, link in enumerate(links if isinstance(links, list) else []):
        if not isinstance(link, dict):
            continue
        check(f"links[{i}].from", link.get("from"), nodes, "node")
        check(f"links[{i}].to", link.get("to"), nodes, "node")
        ends = [(link.get("from"), link.get("to"))]
        if link.get("bidirectional") is True:
            ends.append((link.get("to"), link.get("from")))
        for a, b in ends:
            key = (hashable(a), hashable(b), hashable(link.get("mode", "road")))
            if a == b and isinstance(a, str):
                problems.append(Problem(f"links[{i}]", f"a link from {a!r} to itself"))
            elif key in seen:
                problems.append(Problem(
                    f"links[{i}]", f"a second {key[2]} link from {a!r} to {b!r} "
                    f"(links[{seen[key]}] is the first); parallel links need different modes"))
            else:
                seen[key] = i
    raw_nodes = data.get("nodes") if isinstance(data.get("nodes"), dict) else {}
    for i, link in enumerate(links if isinstance(links, list) else []):
        if not isinstance(link, dict):
            continue
        ends = [link.get("to")] + ([link.get("from")] if link.get("bidirectional") else [])
        for end in [link.get("from"), link.get("to")]:
            node = raw_nodes.get(end) if isinstance(end, str) else None
            mode = link.get("mode", "road")
            if isinstance(node, dict) and node.get("kind") == "checkpoint" and \
                    mode in _MODES and node.get("mode", "road") != mode:
                problems.append(Problem(
                    f"links[{i}].mode", f"a {link.get('mode', 'road')} link cannot touch "
                    f"{end!r}, a {node.get('mode', 'road')} checkpoint"))
        if link.get("break_of_gauge") is True:
            for end in ends:
                node = raw_nodes.get(end) if isinstance(end, str) else None
                if isinstance(node, dict) and not node.get("transshipment"):
                    problems.append(Problem(
                        f"links[{i}].break_of_gauge", f"trains arriving at {end!r} change "
                        "gauge, but it has no transshipment settings"))
    demand = data.get("demand")
    flows_seen: dict[tuple, int] = {}
    for i, flow in enumerate(demand if isinstance(demand, list) else []):
        if not isinstance(flow, dict):
            continue
        ident = tuple(hashable(flow.get(k)) for k in ("origin", "destination", "commodity",
                                                      "modes"))
        if all(isinstance(x, str) for x in ident[:3]):
            if ident in flows_seen:
                problems.append(Problem(f"demand[{i}]", f"the same flow as demand"
                                        f"[{flows_seen[ident]}]; merge them or set different "
                                        "modes"))
            flows_seen.setdefault(ident, i)
        check(f"demand[{i}].origin", flow.get("origin"), nodes, "node")
        check(f"demand[{i}].destination", flow.get("destination"), nodes, "node")
        check(f"demand[{i}].commodity", flow.get("commodity"), commodities, "commodity")
        for key in ("via", "route"):
            names = flow.get(key)
            for j, node in enumerate(names if isinstance(names, list) else []):
                check(f"demand[{i}].{key}[{j}]", node, nodes, "node")
        split = flow.get("split")
        for j, part in enumerate(split if isinstance(split, list) else []):
            names = part.get("route") if isinstance(part, dict) else None
            for m, node in enumerate(names if isinstance(names, list) else []):
                check(f"demand[{i}].split[{j}].route[{m}]", node, nodes, "node")
        if flow.get("origin") == flow.get("destination") and isinstance(flow.get("origin"), str):
            problems.append(Problem(f"demand[{i}]", "origin and destination are the same node"))
    for name, node in (data.get("nodes") or {}).items() if isinstance(data.get("nodes"),
                                                                      dict) else []:
        if isinstance(node, dict) and "calendar" in node:
            check(f"nodes.{name}.calendar", node["calendar"], calendars, "calendar")
    for name, com in (data.get("commodities") or {}).items() if isinstance(
            data.get("commodities"), dict) else []:
        barred = com.get("barred_at") if isinstance(com, dict) else None
        for j, node in enumerate(barred if isinstance(barred, list) else []):
            check(f"commodities.{name}.barred_at[{j}]", node, nodes, "node")
        ins = com.get("inspection") if isinstance(com, dict) else None
        at = ins.get("at") if isinstance(ins, dict) else None
        for j, node in enumerate(at if isinstance(at, list) else []):
            check(f"commodities.{name}.inspection.at[{j}]", node, nodes, "node")
    return problems
