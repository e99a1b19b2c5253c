"""The decision scorecard of a comparison: which proposal helps most, and by how much.

One row per scenario. Every criterion shows the scenario's mean, its paired difference from the
baseline with a confidence interval, and whether that difference is significant and better or
worse. The scenarios are ranked on one **primary criterion**, by default the total annual cost
(transport, handling, border, storage, the money value of time and of spoilage, and every
centre's annualised cost and capacity costs), or the net present value of its saving when
``npv_years`` is given. The other criteria are shown, not ranked.

Ranking: the scenario with the best mean primary value leads; every scenario whose paired test
against it (Holm-corrected over all the tests against it) does not reject equality shares its
rank. The same step is repeated on the scenarios left, so scenarios that cannot be told apart
share a rank (competition ranking: 1, 1, 3, …).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._readable import direction_word, format_value, lower_first, name_list, ordinal, unit_label
from .errors import Problem, ScenarioError
from .stats import mean_ci, paired_diff

if TYPE_CHECKING:
    from .comparison import Comparison
    from .scenario.schema import Scenario

__all__ = ["CHANGED_LEAD_TIME", "DEFAULT_CRITERIA", "Criterion", "Scorecard", "changed_flows",
           "format_value", "holm", "npv_factor", "scorecard"]

CHANGED_LEAD_TIME = "lead_time_hours.changed_flows"
"""Criterion key of the mean lead time over the flows that changed (see :func:`changed_flows`)."""


@dataclass(frozen=True)
class Criterion:
    """One column of the scorecard.

    Attributes
    ----------
    kpi : str
        KPI name (see the result contract), or :data:`CHANGED_LEAD_TIME`.
    label : str
        Readable name.
    unit : str
        Unit of the KPI as shown: ``"USD"``, ``"USD/year"``, ``"h"``, ``"kg"``, ``"share"``.
    lower_is_better : bool, default True
        Direction of improvement.
    """

    kpi: str
    label: str
    unit: str
    lower_is_better: bool = True


DEFAULT_CRITERIA = (
    Criterion(CHANGED_LEAD_TIME, "Lead time of the flows that changed", "h"),
    Criterion("cost_per_teu_usd.total", "Cost per TEU", "USD"),
    Criterion("co2e_kg_per_teu", "CO2e per TEU", "kg"),
    Criterion("on_time_share", "On-time share", "share", lower_is_better=False),
    Criterion("cost_usd_per_year.spoilage", "Spoilage value", "USD/year"),
    Criterion("cost_usd_per_year.centres", "Annual centre cost", "USD/year"),
)
"""The criteria shown by default (those no scenario reports are left out)."""

PRIMARY = Criterion("cost_usd_per_year.total", "Total annual cost", "USD/year")
"""The default primary criterion."""

_FIELDS = ("mean", "diff", "diff_ci_low", "diff_ci_high", "p_value", "significant", "better")


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of p-values for multiple tests.

    Parameters
    ----------
    p_values : sequence of float
        Unadjusted p-values (NaN stays NaN).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, each at most 1; reject where adjusted p < alpha.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.size, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m, running = order.size, 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        out[j] = running
    return out


def npv_factor(years: int, discount_rate: float) -> float:
    """Present value of 1 a year for ``years`` years at ``discount_rate`` (end of each year).

    Examples
    --------
    >>> round(npv_factor(10, 0.08), 4)
    6.7101
    >>> npv_factor(5, 0.0)
    5.0
    """
    if discount_rate == 0:
        return float(years)
    return (1.0 - (1.0 + discount_rate) ** -years) / discount_rate


# --------------------------------------------------------------------------- changed flows


_NOT_PHYSICAL = {"costs", "label", "lat", "lon", "country", "cost_per_tonne_km_usd",
                 "cost_per_trip_usd", "vehicle_type", "co2e_g_per_tonne_km", "tonnes_per_teu",
                 "value_lost_per_spoiled_unit_usd", "due_hours"}
"""Settings that change money, carbon or labels but not how a shipment moves."""


def _physical(item: Any) -> Any:
    return {k: v for k, v in item.items() if k not in _NOT_PHYSICAL} \
        if isinstance(item, dict) else item


def _settings(scenario: Scenario) -> dict[str, Any]:
    data = scenario.to_dict()
    links = {}
    for link in data.get("links", []):
        links[(link["from"], link["to"], link.get("mode", "road"))] = _physical(link)
        if link.get("bidirectional"):
            links[(link["to"], link["from"], link.get("mode", "road"))] = _physical(link)
    return {"nodes": {k: _physical(v) for k, v in data.get("nodes", {}).items()},
            "links": links,
            "commodities": {k: _physical(v) for k, v in data.get("commodities", {}).items()},
            "calendars": data.get("calendars", {})}


def changed_flows(baseline: Scenario, others: Iterable[Scenario]) -> list[str]:
    """Keys of the demand flows a proposal may change, decided before any run.

    A flow changed when, in any other scenario, its route (nodes or modes) differs from the
    baseline's, its own demand settings or commodity differ, or a node or link on its route in
    either scenario has different settings (a node's calendar counts as its setting).
    Settings of money, carbon and labels (a node's ``costs``, a link's per-tonne-km and trip
    rates and vehicle type, a commodity's ``tonnes_per_teu``, ``due_hours`` and spoiled
    value) change no shipment's movement and are not counted.

    Parameters
    ----------
    baseline : Scenario
    others : iterable of Scenario

    Returns
    -------
    list of str
        Flow keys (``origin>destination:commodity``) in the baseline's demand order; flows
        only the others have are added at the end.
    """
    from .choice import assign

    def routes(sc: Scenario) -> dict[str, Any]:
        return {f.key: (fc.chosen or None, f) for f, fc in zip(sc.demand, assign(sc).flows,
                                                               strict=True)}

    base_routes, base_set = routes(baseline), _settings(baseline)
    changed: dict[str, None] = {}
    for other in others:
        other_routes, other_set = routes(other), _settings(other)
        for key in list(base_routes) + [k for k in other_routes if k not in base_routes]:
            a, b = base_routes.get(key), other_routes.get(key)
            if a is None or b is None or a[0] is None or b[0] is None:
                changed[key] = None
                continue
            (oa, fa), (ob, fb) = a, b
            if [(o.route.nodes, o.route.modes, o.share) for o in oa] != \
                    [(o.route.nodes, o.route.modes, o.share) for o in ob] or fa != fb or \
                    base_set["commodities"].get(fa.commodity) != \
                    other_set["commodities"].get(fb.commodity):
                changed[key] = None
                continue
            for r in [o.route for o in (*oa, *ob)]:
                nodes_differ = any(_node_settings(base_set, n) != _node_settings(other_set, n)
                                   for n in r.nodes)
                links_differ = any(base_set["links"].get(e) != other_set["links"].get(e)
                                   for e in zip(r.nodes[:-1], r.nodes[1:], r.modes,
                                                strict=True))
                if nodes_differ or links_differ:
                    changed[key] = None
    return list(changed)


def _node_settings(settings: dict[str, Any], name: str) -> Any:
    node = settings["nodes"].get(name)
    if isinstance(node, dict) and "calendar" in node:
        return node, settings["calendars"].get(node["calendar"])
    return node, None


# --------------------------------------------------------------------------- the scorecard


def _values(cmp: Comparison, name: str, crit: Criterion, flows: list[str],
            weights: dict[str, float]) -> pd.Series | None:
    """Per-replication values of a criterion in one scenario (None if it reports none)."""
    kpis = cmp.results[name].kpis
    if crit.kpi != CHANGED_LEAD_TIME:
        return kpis[crit.kpi].astype(float) if crit.kpi in kpis.columns else None
    cols = [f"{f}.lead_time_hours.mean" for f in flows if f"{f}.lead_time_hours.mean" in kpis]
    if not cols:
        return None
    w = np.asarray([weights.get(c.rsplit(".lead_time_hours.mean", 1)[0], 1.0) for c in cols])
    vals = kpis[cols].to_numpy(float)
    ok = ~np.isnan(vals)
    num = np.where(ok, vals, 0.0) @ w
    den = ok @ w
    return pd.Series(np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan),
                     index=kpis.index)


class Scorecard:
    """The scorecard of a comparison (build it with :meth:`Comparison.scorecard`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per scenario (the baseline first). Columns ``rank`` and ``tied_with_best``
        (not distinguishable from the best), ``p_vs_best`` (Holm-adjusted p-value of the
        paired test against the best), then a column pair level per criterion: the
        criterion's label and one of ``mean``, ``diff`` (scenario − baseline),
        ``diff_ci_low``, ``diff_ci_high``, ``p_value``, ``significant`` and ``better``
        (True/False, None when not significant).
    criteria : list of Criterion
        The primary criterion first, then the others shown.
    baseline : str
    changed_flows : list of str
        Flows any proposal changes: the baseline's lead-time value is their mean.
    changed_by : dict of str to list of str
        The flows each proposal changes: its lead-time value and difference are over these
        (weighted by the baseline's TEU or tonnes per day), paired with the baseline's.
    confidence : float
    npv_years : int or None
    discount_rate : float
    """

    def __init__(self, table: pd.DataFrame, criteria: list[Criterion], baseline: str,
                 changed: list[str], confidence: float, npv_years: int | None,
                 discount_rate: float, changed_by: dict[str, list[str]] | None = None) -> None:
        self.table = table
        self.criteria = criteria
        self.baseline = baseline
        self.changed_flows = changed
        self.changed_by = changed_by or {}
        self.confidence = confidence
        self.npv_years = npv_years
        self.discount_rate = discount_rate

    @property
    def primary(self) -> Criterion:
        """The criterion the scenarios are ranked on."""
        return self.criteria[0]

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        import html

        items = "".join(f"<li>{html.escape(t)}</li>" for t in self.sentences().values())
        return self.to_html() + f"<ul>{items}</ul>"

    def to_frame(self) -> pd.DataFrame:
        """The table with flat column names (``label: field``), e.g. for a CSV file."""
        flat = self.table.copy()
        flat.columns = [f"{a}: {b}" if b else a for a, b in flat.columns]
        return flat

    def cells(self) -> pd.DataFrame:
        """The scorecard as readable text: one row per scenario, one column per criterion.

        Returns
        -------
        pandas.DataFrame
            ``Rank`` and, per criterion (``label [unit]``), the scenario's value and, but for
            the baseline, the difference with its interval and a mark: ``better``,
            ``worse`` or ``n.s.`` (not significant).
        """
        rows = {}
        for name in self.table.index:
            row = self.table.loc[name]
            rank = int(row[("rank", "")])
            cells = {"Rank": f"{rank}" + (" (tied)" if _shared(self.table, rank) else "")}
            for crit in self.criteria:
                head = f"{crit.label} [{unit_label(crit.unit)}]"
                mean = row[(crit.label, "mean")]
                text = format_value(mean, crit.unit)
                if name != self.baseline and not math.isnan(row[(crit.label, "diff")]):
                    d = row[(crit.label, "diff")]
                    lo, hi = row[(crit.label, "diff_ci_low")], row[(crit.label, "diff_ci_high")]
                    mark = {True: "better", False: "worse"}.get(row[(crit.label, "better")],
                                                                "n.s.")
                    text += (f"; {format_value(d, crit.unit, signed=True)} "
                             f"({format_value(lo, crit.unit, signed=True)} to "
                             f"{format_value(hi, crit.unit, signed=True)}) {mark}")
                cells[head] = text
            rows[name] = cells
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "scenario"
        return out

    def to_text(self) -> str:
        """The scorecard as plain text: a line per scenario and criterion, then sentences."""
        cells = self.cells()
        lines = [f"Scorecard against {self.baseline!r}, ranked on {self.primary.label.lower()}"
                 f" ({int(self.confidence * 100)}% intervals of paired differences; "
                 "n.s. = not significant):"]
        for name, row in cells.iterrows():
            lines.append(f"  {name} — rank {row['Rank']}")
            for head, text in row.items():
                if head != "Rank":
                    lines.append(f"      {head}: {text}")
        lines.append("")
        lines.extend(self.sentences().values())
        return "\n".join(lines)

    def to_html(self) -> str:
        """The readable table as HTML (used by the report)."""
        return self.cells().to_html(classes="scorecard", border=0, escape=True)

    def sentences(self) -> dict[str, str]:
        """One plain-language sentence per scenario, written from the numbers.

        Returns
        -------
        dict of str to str
            Scenario name → sentence.
        """
        out = {}
        prim = self.primary
        for name in self.table.index:
            row = self.table.loc[name]
            rank = int(row[("rank", "")])
            tied = [n for n in self.table.index
                    if n != name and int(self.table.loc[n, ("rank", "")]) == rank]
            standing = f"ranks {ordinal(rank)}" + (
                f", not distinguishable from {name_list(tied)}" if tied else "")
            if name == self.baseline:
                out[name] = (f"{name} (the baseline): {prim.label.lower()} "
                             f"{format_value(row[(prim.label, 'mean')], prim.unit)}; "
                             f"{standing}.")
                continue
            changed, same = [], []
            for crit in self.criteria:
                d = row[(crit.label, "diff")]
                if math.isnan(d):
                    continue
                if row[(crit.label, "better")] is None:
                    same.append(lower_first(crit.label))
                    continue
                size = format_value(abs(d), crit.unit, signed=crit.unit == "share")
                changed.append(f"{lower_first(crit.label)} {size.lstrip('+')} "
                               f"{direction_word(crit, d)}")
            text = f"{name}: " + (", ".join(changed) + f" than {self.baseline}"
                                  if changed else f"no significant difference from "
                                  f"{self.baseline}")
            if changed and same:
                text += f"; no significant change in {name_list(same, quote=False)}"
            out[name] = f"{text}. It {standing}."
        return out


def _shared(table: pd.DataFrame, rank: int) -> bool:
    return int((table[("rank", "")] == rank).sum()) > 1


def _resolve(criteria: Iterable[Criterion | str] | None) -> list[Criterion]:
    if criteria is None:
        return list(DEFAULT_CRITERIA)
    known = {c.kpi: c for c in (*DEFAULT_CRITERIA, PRIMARY)}
    out = []
    for c in criteria:
        if isinstance(c, Criterion):
            out.append(c)
        else:
            out.append(known.get(c, Criterion(c, c, _guess_unit(c))))
    return out


def _guess_unit(kpi: str) -> str:
    for part, unit in (("usd_per_year", "USD/year"), ("_usd", "USD"), ("share", "share"),
                       ("hours", "h"), ("co2e_kg", "kg"), ("kmh", "km/h")):
        if part in kpi:
            return unit
    return ""


def scorecard(cmp: Comparison, criteria: Iterable[Criterion | str] | None = None, *,
              baseline: str | None = None, primary: Criterion | str | None = None,
              npv_years: int | None = None, discount_rate: float = 0.08,
              confidence: float = 0.95, alpha: float = 0.05) -> Scorecard:
    """Build the decision scorecard of a comparison.

    Parameters
    ----------
    cmp : Comparison
    criteria : iterable of Criterion or str, optional
        Criteria to show (KPI names or :class:`Criterion`); default :data:`DEFAULT_CRITERIA`,
        leaving out those no scenario reports.
    baseline : str, optional
        Scenario the differences are taken from; default the comparison's reference.
    primary : Criterion or str, optional
        Criterion to rank on; default total annual cost (``cost_usd_per_year.total``).
    npv_years : int, optional
        Rank instead on the net present value over this many years of the yearly saving
        against the baseline in the primary criterion (an annual cost) [USD].
    discount_rate : float, default 0.08
        Discount rate of the NPV [1/year].
    confidence : float, default 0.95
        Level of the intervals.
    alpha : float, default 0.05
        Family-wise error rate of the Holm-corrected tests against the best.

    Returns
    -------
    Scorecard

    Raises
    ------
    ScenarioError
        If the baseline is unknown, or no scenario reports the primary criterion (no money
        inputs: add a ``money:`` block, or pass ``primary=``).
    """
    base = cmp.reference if baseline is None else baseline
    if base not in cmp.results:
        raise ScenarioError([Problem("baseline", f"no scenario {base!r} in the comparison; "
                                     f"choose one of {', '.join(map(repr, cmp.names))}")])
    prim = PRIMARY if primary is None else _resolve([primary])[0]
    shown = _resolve(criteria)
    order = [base] + [n for n in cmp.names if n != base]
    others = [cmp.results[n].scenario for n in order[1:]]
    base_sc = cmp.results[base].scenario
    changed = changed_flows(base_sc, others)
    own = {n: changed_flows(base_sc, [cmp.results[n].scenario]) for n in order[1:]}
    weights = {f.key: f.shipments_per_day * f.units_per_shipment for f in base_sc.demand}
    values = {c.kpi: {n: _values(cmp, n, c, changed, weights) for n in order}
              for c in [prim, *shown]}
    # lead time of the flows each proposal itself changes, paired with the baseline's
    lead = Criterion(CHANGED_LEAD_TIME, "", "h")
    own_pairs = {n: (_values(cmp, base, lead, own[n], weights),
                     _values(cmp, n, lead, own[n], weights)) if own[n] else (None, None)
                 for n in order[1:]}
    if all(v is None for v in values[prim.kpi].values()):
        raise ScenarioError([Problem("primary", f"no scenario reports {prim.kpi!r}; give the "
                                     "scenarios money inputs (a money: block, see "
                                     "docs/background/costs.md) or pass primary=")])
    if npv_years is not None:
        factor = npv_factor(npv_years, discount_rate)
        ref = values[prim.kpi][base]
        values["npv"] = {n: (ref - v) * factor if v is not None and ref is not None else None
                         for n, v in values[prim.kpi].items()}
        prim = Criterion("npv", f"NPV over {npv_years} years", "USD", lower_is_better=False)
    shown = [c for c in shown if c.kpi != prim.kpi and
             any(v is not None and v.notna().any() for v in values[c.kpi].values())]
    criteria_all = [prim, *shown]
    columns: dict[tuple[str, str], list] = {}
    for crit in criteria_all:
        vals = values[crit.kpi]
        for field in _FIELDS:
            columns[(crit.label, field)] = []
        for n in order:
            v, b = vals[n], vals[base]
            if crit.kpi == CHANGED_LEAD_TIME and n != base:
                b, v = own_pairs[n]
            m = mean_ci(v.to_numpy(float), confidence)[0] if v is not None else np.nan
            if n == base or v is None or b is None:
                d, sig, better = (np.nan,) * 4, False, None
            else:
                both = pd.concat([b, v], axis=1, join="inner")
                r = paired_diff(both.iloc[:, 0].to_numpy(float),
                                both.iloc[:, 1].to_numpy(float), confidence)
                d = (r.diff, r.ci_low, r.ci_high, r.p_value)
                sig = bool(r.ci_low > 0 or r.ci_high < 0) if r.n >= 2 else False
                better = ((r.diff < 0) == crit.lower_is_better) if sig else None
            for field, x in zip(_FIELDS, (m, *d[:4], sig, better), strict=True):
                columns[(crit.label, field)].append(x)
    rank, tied, p_best = _rank(values[prim.kpi], order, prim.lower_is_better, alpha)
    table = pd.DataFrame({("rank", ""): rank, ("tied_with_best", ""): tied,
                          ("p_vs_best", ""): p_best, **columns}, index=pd.Index(order,
                                                                                  name="scenario"))
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return Scorecard(table, criteria_all, base, changed, confidence, npv_years, discount_rate,
                     own)


def _rank(vals: Mapping[str, pd.Series | None], order: list[str], lower_is_better: bool,
          alpha: float) -> tuple[list[int], list[bool], list[float]]:
    """Competition ranks with ties for scenarios a Holm-corrected paired test cannot separate.

    Returns the rank of each scenario, whether it ties with the overall best, and its
    adjusted p-value against the best (NaN for the best itself).
    """
    sign = 1.0 if lower_is_better else -1.0
    means = {n: float(np.nanmean(v.to_numpy(float))) if v is not None and v.notna().any()
             else np.nan for n, v in vals.items()}
    left = [n for n in order if not math.isnan(means[n])]
    ranks = {n: len(left) + 1 for n in order}  # no value: last
    p_best = {n: np.nan for n in order}
    first_group = True
    done = 0
    while left:
        lead = min(left, key=lambda n: (sign * means[n], order.index(n)))
        rest = [n for n in left if n != lead]
        p = []
        for n in rest:
            both = pd.concat([vals[lead], vals[n]], axis=1, join="inner").to_numpy(float)
            p.append(paired_diff(both[:, 0], both[:, 1]).p_value)
        adj = holm(p) if p else np.empty(0)
        group = [lead] + [n for n, q in zip(rest, adj, strict=True)
                          if math.isnan(q) or q >= alpha]
        for n in group:
            ranks[n] = done + 1
        if first_group:
            p_best.update(dict(zip(rest, adj.tolist(), strict=True)))
            first_group = False
        done += len(group)
        left = [n for n in left if n not in group]
    best_rank = [ranks[n] == 1 for n in order]
    return [ranks[n] for n in order], best_rank, [p_best[n] for n in order]
