"""The engine's record format: shipment status codes and one replication's recorded data.

Both the engine (which writes records) and the KPI, cost and results code (which read them)
import this module, so neither reaches into the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["DELIVERED", "IN_SYSTEM", "REJECTED", "ReplicationData", "flow_rows", "visits_by_node"]

IN_SYSTEM, DELIVERED, REJECTED = 0, 1, 2
"""Shipment status codes."""


@dataclass
class ReplicationData:
    """Everything one replication produced, as plain arrays and small tables (picklable).

    Attributes
    ----------
    replication : int
        Replication number.
    seed : int
        Base seed.
    horizon_hours, warmup_hours : float
        Run length and warm-up [h].
    start : str
        ISO date-time of model time 0 (UTC).
    nodes : list of str
        Node names; node indices in the columns refer to this list.
    flows : dict of str to list
        One entry per route of a demand flow (a flow split over several routes has one row
        for each; shipments refer to rows): ``key``, ``origin``, ``destination``,
        ``commodity``, ``units``, ``unit``, ``route`` (its label), ``green``,
        ``shelf_life_hours``, ``flow`` (index in the scenario's demand), ``share`` (the
        share of the flow planned on this route) and ``path`` (its node names joined by
        ``>``).
    stations : dict of str to list
        One entry per server group: ``node`` (index), ``role``, ``servers``, ``open_hours``
        (open server-window hours within [warm-up, horizon], per server).
    columns : dict of str to numpy.ndarray
        The recorder's columns (see :class:`Recorder`), including each station's totals
        ``u_busy_hours`` (busy server-hours within [warm-up, horizon] of the jobs it finished),
        ``u_vehicles`` and ``u_vehicles_before`` (jobs finished after and before the end of the
        warm-up), indexed by station number.
    spaces : dict of str to list
        One entry per finite space (empty without any): ``name`` (``space[node]`` or
        ``space[from→to]``), ``kind`` (``"node"`` or ``"link"``), ``node`` (index of the node
        it is in front of), ``from_node`` (index of a link's start node, else -1),
        ``capacity`` and ``unit`` (``"vehicles"`` or ``"teu"``). Occupancy columns ``o_*``
        refer to spaces by position in these lists.
    crossings : list of tuple of int
        ``(a, b)`` node indices of every pair of checkpoints joined by a link, per direction of
        travel (a border crossing's two sides); crossing times are measured from arrival at
        ``a`` to departure from ``b``.
    road_m_per_vehicle : dict of int to float
        Metres of road a queued vehicle takes, for each road checkpoint (node index).
    costs : dict
        The scenario's money and carbon inputs as plain numbers (see
        :func:`corridor_sim.costs.cost_inputs`); empty when it gives none.
    """

    replication: int
    seed: int
    horizon_hours: float
    warmup_hours: float
    start: str
    nodes: list[str]
    flows: dict[str, list]
    stations: dict[str, list]
    columns: dict[str, np.ndarray] = field(repr=False)
    spaces: dict[str, list] = field(default_factory=dict)
    crossings: list[tuple[int, int]] = field(default_factory=list)
    road_m_per_vehicle: dict[int, float] = field(default_factory=dict)
    costs: dict = field(default_factory=dict)


def flow_rows(flows: dict[str, list]) -> dict[str, list[int]]:
    """Rows of a replication's flows table by flow key, in order of first appearance.

    Parameters
    ----------
    flows : dict of str to list
        :attr:`ReplicationData.flows`.

    Returns
    -------
    dict of str to list of int
    """
    out: dict[str, list[int]] = {}
    for row, key in enumerate(flows["key"]):
        out.setdefault(key, []).append(row)
    return out


def visits_by_node(data: ReplicationData) -> dict[int, np.ndarray]:
    """Visit rows at each node, in recorded order: node index → row numbers.

    The KPI code selects a node's visits by these rows, found once per replication, rather
    than by a mask over every visit per node and per KPI.

    Parameters
    ----------
    data : ReplicationData

    Returns
    -------
    dict of int to numpy.ndarray
        Only nodes with at least one visit.
    """
    node = data.columns["v_node"]
    return {n: np.flatnonzero(node == n) for n in np.unique(node).tolist()}
