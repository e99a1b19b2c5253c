"""Shared fixtures: scenario factories, statistical checks and result invariants.

Scenarios are built in Python as plain dicts (what a YAML file would hold) and validated with
:func:`corridor_sim.scenario.scenario_from_dict`, so every test states the system it runs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from corridor_sim.network import build_graph
from corridor_sim.scenario import Scenario, scenario_from_dict
from corridor_sim.stats import mean_ci

PLACE_KINDS = frozenset({"city", "origin", "destination"})
"""Node kinds that are places, not facilities (no visits are recorded there)."""


# --------------------------------------------------------------------------- building blocks


def exponential(mean_hours: float) -> dict:
    return {"dist": "exponential", "mean_hours": mean_hours}


def constant(hours: float) -> dict:
    return {"dist": "constant", "hours": hours}


def every_day(open_: str, close: str) -> dict:
    """A shift open on all seven weekdays."""
    return {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "open": open_,
            "close": close}


def checkpoint(*, lanes: int = 1, green_lanes: int = 0, service: dict | None = None,
               calendar: str = "round_the_clock", **extra: Any) -> dict:
    """A road checkpoint node."""
    node = {"kind": "checkpoint", "mode": "road", "calendar": calendar,
            "lanes": {"general": lanes, "green": green_lanes},
            "service_time": service if service is not None else exponential(1.0)}
    node.update(extra)
    return node


def flow(commodity: str = "general", *, per_hour: float = 1.0, origin: str = "origin",
         destination: str = "destination", **extra: Any) -> dict:
    """A demand flow given by its arrival rate [1/h]."""
    return {"origin": origin, "destination": destination, "commodity": commodity,
            "per_day": per_hour * 24.0, **extra}


def scenario_dict(*, checkpoints: dict[str, dict] | None = None, per_hour: float = 1.0,
                  travel: Sequence[dict] | dict | None = None, horizon_days: float = 20.0,
                  warmup_days: float = 2.0, calendars: dict | None = None,
                  commodities: dict | None = None, demand: list[dict] | None = None,
                  name: str = "test", **top: Any) -> dict:
    """A corridor origin → checkpoints in series → destination, by road.

    ``travel`` is the travel-time distribution of every link (one dict) or of each link in
    order (a sequence); default zero. ``demand`` defaults to one ``general`` flow at
    ``per_hour`` shipments per hour.
    """
    checkpoints = {"border": checkpoint()} if checkpoints is None else checkpoints
    chain = ["origin", *checkpoints, "destination"]
    n_links = len(chain) - 1
    if travel is None:
        travel = [constant(0.0)] * n_links
    elif isinstance(travel, dict):
        travel = [travel] * n_links
    links = [{"from": a, "to": b, "mode": "road", "travel_time": t}
             for a, b, t in zip(chain[:-1], chain[1:], travel, strict=True)]
    data = {
        "name": name,
        "start": "2025-01-01",
        "horizon_days": horizon_days,
        "warmup_days": warmup_days,
        "calendars": calendars or {},
        "nodes": {"origin": {"kind": "city"}, **checkpoints, "destination": {"kind": "city"}},
        "links": links,
        "commodities": commodities or {"general": {"unit": "teu"}},
        "demand": demand if demand is not None else [flow("general", per_hour=per_hour)],
    }
    data.update(top)
    return copy.deepcopy(data)


class ScenarioFactory:
    """Builds scenario dicts and validated scenarios; see :func:`scenario_dict`."""

    checkpoint = staticmethod(checkpoint)
    flow = staticmethod(flow)
    exponential = staticmethod(exponential)
    constant = staticmethod(constant)
    every_day = staticmethod(every_day)

    def dict(self, **kwargs: Any) -> dict:
        return scenario_dict(**kwargs)

    def __call__(self, **kwargs: Any) -> Scenario:
        return scenario_from_dict(scenario_dict(**kwargs))


@pytest.fixture(scope="session")
def make_scenario() -> ScenarioFactory:
    """Factory of small scenarios: ``make_scenario(per_hour=3, checkpoints={...})``."""
    return ScenarioFactory()


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """Write a dict (as YAML) or text into a file under ``tmp_path``; returns its path."""

    def write(content: dict | str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


# --------------------------------------------------------------------------- statistics


def assert_ci_covers(values: Sequence[float] | np.ndarray | pd.Series, expected: float, *,
                     rel_tol: float = 0.03, max_rel_halfwidth: float = 0.15,
                     confidence: float = 0.999, what: str = "") -> None:
    """Assert that the confidence interval of the mean of ``values`` covers ``expected``.

    The interval is Student-t across independent replications; ``rel_tol`` widens it by a
    small share of ``expected`` (start-up bias of a finite run). The interval must also be
    narrow (half-width at most ``max_rel_halfwidth`` of ``expected``), so that the check has
    the power to catch a wrong model rather than pass on noise.
    """
    mean, _, lo, hi, n = mean_ci(np.asarray(values, dtype=float), confidence)
    label = f"{what}: " if what else ""
    assert n >= 2, f"{label}need at least 2 replications, got {n}"
    half = (hi - lo) / 2
    assert half <= max_rel_halfwidth * abs(expected), (
        f"{label}CI half-width {half:.4g} too wide to test {expected:.4g} "
        f"(mean {mean:.4g}, n={n}); run longer")
    slack = rel_tol * abs(expected)
    assert lo - slack <= expected <= hi + slack, (
        f"{label}expected {expected:.4g} outside the {confidence:.1%} CI "
        f"[{lo:.4g}, {hi:.4g}] ± {slack:.3g} (mean {mean:.4g}, n={n})")


@pytest.fixture(scope="session")
def ci_covers() -> Callable[..., None]:
    """:func:`assert_ci_covers` as a fixture."""
    return assert_ci_covers


def per_replication(visits: pd.DataFrame, column: str, *, by: str | None = None,
                    func: str = "mean") -> pd.DataFrame | pd.Series:
    """Aggregate a visits column per replication (and per ``by``)."""
    keys = ["replication"] if by is None else ["replication", by]
    out = visits.groupby(keys, observed=True)[column].agg(func)
    return out if by is None else out.unstack(by)


@pytest.fixture(scope="session")
def per_rep() -> Callable[..., pd.DataFrame | pd.Series]:
    """:func:`per_replication` as a fixture."""
    return per_replication


# --------------------------------------------------------------------------- invariants


def dist_min_hours(dist: Any) -> float:
    """Smallest value a duration distribution can take [h] (0 where unbounded below)."""
    kind = dist.dist
    if kind == "constant":
        return float(dist.hours)
    if kind in ("uniform", "triangular"):
        return float(dist.min_hours)
    if kind == "empirical":
        return float(min(dist.values_hours))
    return 0.0


def _node_min_hours(node: Any) -> float:
    """Least time a vehicle can spend at a node [h]: its fastest clearance and trans-load.

    Waits, inspections and handling only add to it, so they are left out of the bound.
    """
    if node.kind in PLACE_KINDS:
        return 0.0
    service = getattr(node, "service_time", None)
    hours = dist_min_hours(service) if service is not None else 0.0
    precleared = getattr(node, "precleared_service_time", None)
    if precleared is not None:
        hours = min(hours, dist_min_hours(precleared))
    transload = getattr(node, "transload", None)
    if transload is not None:
        hours += dist_min_hours(transload.time)
    return hours


def free_flow_lower_bound(scenario: Scenario, route: str, graph: Any = None) -> float:
    """Least possible door-to-door time [h] along a route label ``"a>b>c"``: the fastest
    draw of the fastest link between each pair of nodes and of each node's service, with no
    queueing or waiting for vehicles."""
    graph = build_graph(scenario) if graph is None else graph
    nodes = route.split(">")
    hours = 0.0
    for u, v in zip(nodes[:-1], nodes[1:], strict=True):
        hours += min(dist_min_hours(edge["link"].time) for edge in graph[u][v].values())
        hours += _node_min_hours(scenario.nodes[v])
    return hours


def assert_invariants(res: Any, *, check_routes: bool = True) -> None:
    """Conservation, causality and free-flow bounds that every run must satisfy.

    - ``created == delivered + in_system + rejected`` in every replication, and the KPIs agree
      with the shipments table;
    - waits are never negative, and each visit has arrived ≤ started ≤ departed;
    - a shipment's visits are in time order: created ≤ first arrival, each departure ≤ the
      next arrival, last departure ≤ delivery; a shipment still inside a node has no later
      visit; the visited nodes follow its route;
    - every delivered shipment's lead time is at least its free-flow lower bound.
    """
    eps = 1e-9
    k = res.kpis
    assert (k["created"] == k["delivered"] + k["in_system"] + k["rejected"]).all(), k
    sh = res.shipments
    counts = (sh.groupby("replication")["status"].value_counts().unstack(fill_value=0)
              .reindex(index=k.index, columns=["delivered", "in_system", "rejected"],
                       fill_value=0))
    np.testing.assert_array_equal(k["created"].to_numpy(), counts.sum(axis=1).to_numpy())
    for status in ("delivered", "in_system", "rejected"):
        np.testing.assert_array_equal(k[status].to_numpy(), counts[status].to_numpy())

    delivered = sh["status"] == "delivered"
    assert sh.loc[delivered, "delivered_hours"].notna().all()
    assert sh.loc[~delivered, "delivered_hours"].isna().all()
    assert sh.loc[~delivered, "lead_time_hours"].isna().all()
    lead = sh.loc[delivered, "lead_time_hours"]
    np.testing.assert_allclose(
        lead, sh.loc[delivered, "delivered_hours"] - sh.loc[delivered, "created_hours"],
        atol=1e-9)
    assert (sh["created_hours"] >= 0).all()
    assert (sh["created_hours"] < res.scenario.horizon_hours).all()
    assert (sh.loc[delivered, "delivered_hours"] <= res.scenario.horizon_hours + eps).all()
    rejected = sh["status"] == "rejected"
    assert (sh.loc[rejected, "rejected_at"].astype(str) != "").all()
    assert (sh.loc[~rejected, "rejected_at"].astype(str) == "").all()

    graph = build_graph(res.scenario)
    routes = sh.loc[delivered, "route"].astype(str)
    bounds = {r: free_flow_lower_bound(res.scenario, r, graph) for r in routes.unique()}
    floor = routes.map(bounds).astype(float)
    short = lead < floor - eps
    assert not short.any(), (
        f"{int(short.sum())} shipments delivered faster than free flow:\n"
        f"{sh.loc[delivered][short.to_numpy()].head()}")

    v = res.visits
    if v.empty:
        return
    waits = v["wait_hours"].dropna()
    assert (waits >= 0).all(), f"negative waits: {waits[waits < 0].head()}"
    started, departed = v["started_hours"], v["departed_hours"]
    assert (v["arrived_hours"] >= 0).all()
    assert (departed[started.notna()].fillna(np.inf) >= started[started.notna()]).all()
    assert departed[started.isna()].isna().all(), "a visit departed without starting"
    np.testing.assert_allclose(v["wait_hours"].dropna(),
                               (started - v["arrived_hours"]).dropna(), atol=1e-12)

    v = v.sort_values(["replication", "shipment_id", "arrived_hours"], kind="stable")
    g = v.groupby(["replication", "shipment_id"], sort=False)
    prev_departed = g["departed_hours"].shift()
    has_prev = g.cumcount() > 0
    assert prev_departed[has_prev].notna().all(), "a shipment left a node it never left"
    assert (v.loc[has_prev, "arrived_hours"] >= prev_departed[has_prev] - eps).all(), (
        "a visit began before the previous one ended")

    ends = g.agg(first_arrived=("arrived_hours", "first"),
                 last_departed=("departed_hours", "last"),
                 nodes=("node", lambda s: ">".join(map(str, s))))
    sh_idx = sh.set_index(["replication", "shipment_id"])
    joined = ends.join(sh_idx[["created_hours", "delivered_hours", "status", "route"]])
    assert (joined["first_arrived"] >= joined["created_hours"] - eps).all()
    done = joined["status"] == "delivered"
    assert joined.loc[done, "last_departed"].notna().all(), "delivered but still in a node"
    assert (joined.loc[done, "delivered_hours"]
            >= joined.loc[done, "last_departed"] - eps).all()
    if check_routes:
        places = {n for n, node in res.scenario.nodes.items() if node.kind in PLACE_KINDS}
        facility_route = joined["route"].astype(str).map(
            lambda r: ">".join(n for n in r.split(">") if n not in places))
        prefix_ok = [fr == nodes or fr.startswith(nodes + ">")
                     for fr, nodes in zip(facility_route, joined["nodes"], strict=True)]
        assert all(prefix_ok), "visits do not follow the route"
        assert (facility_route[done] == joined.loc[done, "nodes"]).all(), (
            "a delivered shipment skipped a node of its route")


@pytest.fixture(scope="session")
def check_invariants() -> Callable[..., None]:
    """:func:`assert_invariants` as a fixture."""
    return assert_invariants
