"""Self-contained HTML reports of a run or a comparison, to read in a browser or email.

Everything is inside the one file: the KPI tables, and the plots as base64-encoded PNG images;
no scripts, fonts or style sheets are fetched from anywhere.
"""

from __future__ import annotations

import base64
import html
import io
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .comparison import Comparison
    from .results import Results

__all__ = ["KEY_KPIS", "comparison_report", "key_kpis", "run_report", "scorecard_section",
           "write_report"]

KEY_KPIS = ("created", "delivered", "in_system", "rejected", "lead_time_hours.mean",
            "lead_time_hours.p95", "spoiled_share", "*.wait_hours.mean", "*.utilisation",
            "*.throughput_per_day", "*.queue_length.mean", "cost_usd_per_year.total",
            "cost_per_teu_usd.total", "co2e_kg_per_teu", "on_time_share")
"""KPI names or patterns shown in the reports' main tables (all KPIs follow, folded)."""

MAX_QUEUE_PLOTS = 6
"""At most this many queue plots per report (the busiest nodes first)."""

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;
max-width:1100px;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em;
border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
table.scorecard td{text-align:left}
tr.sig td{background:#fff4d6}.muted{color:#666;font-size:.9em}
img{max-width:100%;height:auto;display:block;margin:.6em 0}
details{margin:.6em 0}summary{cursor:pointer;color:#0072B2}
"""


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _num(x: Any) -> str:
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, int | np.integer):
        return f"{int(x):,}"
    if isinstance(x, float | np.floating):
        x = float(x)
        if math.isnan(x):
            return "–"
        if x != 0 and (abs(x) >= 1e6 or abs(x) < 1e-3):
            return f"{x:.3g}"
        return f"{x:,.3f}" if abs(x) < 100 else f"{x:,.1f}"
    return _esc(x)


def _table(frame: pd.DataFrame, *, row_class: Callable[[Any], str] | None = None) -> str:
    """Render a DataFrame as an HTML table (index first), numbers formatted, text escaped."""
    names = [n or "" for n in frame.index.names]
    head = "".join(f"<th>{_esc(n)}</th>" for n in [*names, *frame.columns])
    rows = []
    columns = [frame[c].tolist() for c in frame.columns]  # keeps integer columns integers
    for i, (idx, row) in enumerate(frame.iterrows()):
        keys = idx if isinstance(idx, tuple) else (idx,)
        cls = row_class(row) if row_class else ""
        cells = "".join(f"<td>{_esc(k)}</td>" for k in keys)
        cells += "".join(f"<td>{_num(col[i])}</td>" for col in columns)
        rows.append(f"<tr{f' class={cls!r}' if cls else ''}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _figure(draw: Callable[[], Axes], alt: str) -> str:
    """Draw a plot and return it as an embedded ``<img>`` (or a note if it failed)."""
    import matplotlib.pyplot as plt

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ax = draw()
    except Exception as err:  # noqa: BLE001 - a report must not fail on one plot
        return f"<p class='muted'>{_esc(alt)}: could not be drawn ({_esc(err)})</p>"
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=100)
    plt.close(ax.figure)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f"<img alt='{_esc(alt)}' src='data:image/png;base64,{data}'>"


def _page(title: str, body: list[str]) -> str:
    from . import __version__

    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(body)
            + f"<p class='muted'>Made with corridor_sim {_esc(__version__)}.</p>"
            + "</body></html>\n")


def key_kpis(names: list[str]) -> list[str]:
    """Select the names matching :data:`KEY_KPIS`, in their given order.

    Parameters
    ----------
    names : list of str
        KPI names.

    Returns
    -------
    list of str
    """
    import fnmatch

    chosen = {n for p in KEY_KPIS for n in (fnmatch.filter(names, p) if "*" in p else
                                            [p] if p in names else [])}
    return [n for n in names if n in chosen]


def _settings(results: Results) -> pd.DataFrame:
    sc = results.scenario
    seed = results.seed
    rows = {"start": str(sc.start), "horizon [days]": sc.horizon_days,
            "warm-up [days]": sc.warmup_days, "replications": results.replications,
            "seed": seed, "nodes": len(sc.nodes), "links": len(sc.links),
            "demand flows": len(sc.demand),
            "route choice": sc.routing.choice + (f" (logit scale {sc.routing.logit_scale:g})"
                                                 if sc.routing.choice == "logit" else "")}
    fitted = sc.routing.fitted
    if fitted:
        rows["route equilibrium"] = (f"relative gap {fitted.get('gap', float('nan')):.4f} after "
                                     f"{fitted.get('iterations', 0):.0f} iterations of "
                                     f"{fitted.get('replications', 0):.0f} replications")
    return pd.DataFrame({"value": [str(v) for v in rows.values()]},
                        index=pd.Index(list(rows), name="setting"))


def _busiest_nodes(results: Results) -> list[str]:
    from .plot._series import throughput_nodes

    nodes = throughput_nodes(results)
    kpis = results.kpis
    waits = {n: float(kpis[f"{n}.queue_length.mean"].mean())
             if f"{n}.queue_length.mean" in kpis.columns else 0.0 for n in nodes}
    return sorted(nodes, key=lambda n: -np.nan_to_num(waits[n]))[:MAX_QUEUE_PLOTS]


def _warmup_section(results: Results) -> list[str]:
    from .warmup import check_warmup

    check = check_warmup(results)
    if check.empty:
        return []
    note = ("MSER-5 truncation point of each daily series (mean over replications). "
            "A warm-up is flagged too short when keeping the days between it and the "
            "suggested point shifts the series' mean by more than its confidence half-width.")
    return ["<h2>Warm-up check</h2>", f"<p class='muted'>{note}</p>",
            _table(check, row_class=lambda r: "sig" if r["too_short"] else "")]


def run_report(results: Results, *, plots: bool = True) -> str:
    """Write the HTML report of one run, as text.

    Parameters
    ----------
    results : Results
    plots : bool, default True
        Embed plots (network map, throughput, lead times, queues at the busiest nodes).

    Returns
    -------
    str
        A complete HTML document without external resources.
    """
    from . import plot

    sc = results.scenario
    summary = results.summary()
    key = key_kpis(list(summary.index))
    body = [f"<h1>{_esc(sc.name)}</h1>",
            f"<p>{_esc(sc.description)}</p>" if sc.description else "",
            "<h2>Run</h2>", _table(_settings(results)),
            "<h2>Key performance indicators</h2>",
            "<p class='muted'>Mean over replications with its 95% confidence interval, after "
            "the warm-up (counts cover the whole run).</p>",
            _table(summary.loc[key]),
            "<details><summary>All KPIs</summary>", _table(summary), "</details>",
            "<h2>Nodes</h2>", _table(results.node_stats()),
            "<h2>Routes</h2>",
            "<p class='muted'>The route each flow takes and its share: planned by route choice "
            "(lowest generalised cost, or the logit split, see <code>corridor-sim routes</code>) "
            "and simulated (shipments created after the warm-up), with the route's generalised "
            "cost per unit.</p>",
            _table(results.route_shares().set_index(["flow", "route"]))]
    if plots:
        body += ["<h2>Plots</h2>",
                 _figure(lambda: plot.network(results, flows=True), "corridor map with the "
                         "routes taken, line width by volume"),
                 _figure(lambda: plot.throughput(results, kind="bar"), "throughput per node"),
                 _figure(lambda: plot.throughput(results), "throughput over time"),
                 _figure(lambda: plot.lead_times(results), "lead times")]
        for node in _busiest_nodes(results):
            body.append(_figure(lambda n=node: plot.queue(results, n), f"queue at {node}"))
    body += _warmup_section(results)
    return _page(f"corridor_sim — {sc.name}", body)


def scorecard_section(comparison: Comparison, *, plots: bool = True) -> list[str]:
    """The report's opening: the scorecard, one sentence per scenario and its plot.

    Parameters
    ----------
    comparison : Comparison
    plots : bool, default True
        Embed :func:`corridor_sim.plot.scorecard`.

    Returns
    -------
    list of str
        HTML fragments; empty when the scenarios report no total annual cost (no money
        inputs), with a note saying so.
    """
    from . import plot
    from .errors import ScenarioError

    try:
        card = comparison.scorecard()
    except ScenarioError:
        return ["<p class='muted'>No scorecard: the scenarios have no money inputs "
                "(see docs/background/costs.md).</p>"]
    out = ["<h2>The answer</h2>",
           "<ul>" + "".join(f"<li>{_esc(s)}</li>" for s in card.sentences().values())
           + "</ul>", card.to_html(),
           f"<p class='muted'>Ranked on {_esc(card.primary.label.lower())}; scenarios a "
           "paired test against the best cannot tell apart (Holm correction) share its rank. "
           "Lead time is, for each proposal, the mean over the flows it changes (their route, "
           "or the settings of a node or link on it), decided before the run: "
           + "; ".join(f"{_esc(n)}: {_esc(', '.join(f) or 'none')}"
                       for n, f in card.changed_by.items()) + ".</p>"]
    if plots:
        out.append(_figure(lambda: plot.scorecard(card), "scorecard"))
    return out


def comparison_report(comparison: Comparison, *, plots: bool = True) -> str:
    """Write the HTML report of a comparison, as text.

    Parameters
    ----------
    comparison : Comparison
    plots : bool, default True
        Embed plots (throughput bars, forest plot, lead times, queues, map of the reference).

    Returns
    -------
    str
        A complete HTML document without external resources: the settings in which the
        scenarios differ, the key KPIs with paired differences (significant ones
        highlighted), all KPIs, and the plots.
    """
    from . import plot

    ref = comparison.reference
    table = comparison.table()
    key = key_kpis(comparison.kpi_names)
    diffs = comparison.differences(key)
    shown = diffs[["mean", "diff", "diff_ci_low", "diff_ci_high", "diff_pct", "p_value",
                   "significant"]].copy()
    ref_means = table.xs(ref, level="scenario")["mean"]
    shown.insert(0, f"{ref} mean", [ref_means.get(k, np.nan)
                                    for k in shown.index.get_level_values("kpi")])
    runs = pd.concat({n: _settings(r)["value"] for n, r in comparison.results.items()}, axis=1)
    settings = comparison.settings_diff()
    body = [f"<h1>Comparison: {_esc(', '.join(comparison.names))}</h1>",
            *scorecard_section(comparison, plots=plots),
            f"<p>Reference: <b>{_esc(ref)}</b>. Each scenario ran the same replications "
            "with the same seed (common random numbers); differences are paired over "
            "replications, with 95% confidence intervals. Highlighted rows are significant "
            "(the interval excludes 0).</p>",
            "<h2>What differs between the scenarios</h2>",
            _table(settings) if not settings.empty else
            "<p>The scenarios have identical settings.</p>",
            "<details><summary>Run settings</summary>", _table(runs), "</details>",
            "<h2>Key differences from the reference</h2>",
            _table(shown, row_class=lambda r: "sig" if r["significant"] else ""),
            "<details><summary>All KPIs, every scenario</summary>", _table(table),
            "</details>"]
    if comparison.points is not None:
        body += ["<h2>Sweep points</h2>", _table(comparison.points)]
    if plots:
        first = comparison.results[ref]
        body.append("<h2>Plots</h2>")
        if plot.throughput_differs(comparison):
            body.append(_figure(lambda: plot.throughput(comparison), "throughput per node"))
        body += [_figure(lambda: plot.compare(comparison), "differences (forest plot)"),
                 _figure(lambda: plot.lead_times(comparison), "lead times"),
                 _figure(lambda: plot.network(first), f"corridor map of {ref}")]
        for node in _busiest_nodes(first)[:4]:
            body.append(_figure(lambda n=node: plot.queue(comparison, n), f"queue at {node}"))
    for name, res in comparison.results.items():
        section = _warmup_section(res)
        if section:
            body += [section[0].replace("</h2>", f" — {_esc(name)}</h2>"), *section[1:]]
    return _page("corridor_sim — comparison", body)


def write_report(obj: Results | Comparison, path: str | Path, *, plots: bool = True) -> Path:
    """Write the HTML report of a run or a comparison.

    Parameters
    ----------
    obj : Results or Comparison
    path : str or Path
        The ``.html`` file to write.
    plots : bool, default True
        Embed the plots.

    Returns
    -------
    Path
    """
    from .comparison import Comparison

    text = comparison_report(obj, plots=plots) if isinstance(obj, Comparison) else \
        run_report(obj, plots=plots)
    path = Path(path)
    path.write_text(text, encoding="utf-8")
    return path
