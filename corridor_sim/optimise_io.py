"""The folder of a capacity-planning search, and its HTML report.

Files
-----
``spec.yaml``
    The problem as solved, with its seed: ``corridor-sim optimise spec.yaml`` reruns it
    (next to ``scenario.yaml``, the base scenario it varies).
``chosen.csv``
    The chosen design's KPI table with confidence intervals.
``chosen_scenario.yaml``
    The chosen design as a complete scenario.
``runner_ups.csv``, ``pareto.csv``
    The runner-ups (and their objective), the Pareto front (two objectives).
``trace.csv``
    Every design of the grid: decisions, step, replications, estimates, decision.
``kpis.csv``
    KPIs per replication of every design run (``design``, ``replication``, one column per KPI).
``run.json``, ``trace.png``, ``pareto.png``, ``report.html``
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from ._files import staged_folder
from .scenario.loader import to_yaml

if TYPE_CHECKING:  # pragma: no cover
    from .optimise import Optimisation

__all__ = ["optimisation_report", "write_optimisation"]


def _spec_yaml(opt: Optimisation) -> str:
    data = opt.spec.to_dict()
    data["scenario"] = "scenario.yaml"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def write_optimisation(opt: Optimisation, path: str | Path, *, plots: bool = True,
                       report: bool = True) -> Path:
    """Write a search's folder (see the module's description for the files).

    Parameters
    ----------
    opt : Optimisation
    path : str or Path
    plots : bool, default True
        Draw ``trace.png`` and ``pareto.png`` (and embed them in the report).
    report : bool, default True
        Write ``report.html``.

    Returns
    -------
    Path
    """
    with staged_folder(path) as tmp:
        (tmp / "spec.yaml").write_text(_spec_yaml(opt), encoding="utf-8")
        (tmp / "scenario.yaml").write_text(to_yaml(opt.spec.scenario), encoding="utf-8")
        opt.trace.to_csv(tmp / "trace.csv")
        frames = {d: opt.kpis(d) for d in opt.trace.index[opt.trace["replications"] > 0]}
        if frames:
            pd.concat(frames, names=["design"]).to_csv(tmp / "kpis.csv")
        if opt.chosen is not None:
            opt.table().to_csv(tmp / "chosen.csv")
            (tmp / "chosen_scenario.yaml").write_text(to_yaml(opt.scenario()),
                                                      encoding="utf-8")
        kpi = opt.spec.objectives[0].kpi
        pd.DataFrame({kpi: [opt.trace.loc[n, kpi] for n in opt.runner_ups]},
                     index=pd.Index(opt.runner_ups, name="design")).to_csv(
            tmp / "runner_ups.csv")
        if opt.pareto is not None:
            opt.pareto.to_csv(tmp / "pareto.csv")
        (tmp / "run.json").write_text(json.dumps(_meta(opt), indent=2), encoding="utf-8")
        if plots:
            from . import plot
            from .plot import _save

            _save(plot.optimisation_trace(opt), tmp / "trace.png")
            _save(plot.pareto(opt), tmp / "pareto.png")
        if report:
            (tmp / "report.html").write_text(optimisation_report(opt, plots=plots),
                                             encoding="utf-8")
    return Path(path)


def _meta(opt: Optimisation) -> dict[str, Any]:
    return {"kind": "optimisation", "format_version": 1, "name": opt.spec.name,
            "seed": opt.spec.seed, "chosen": opt.chosen, "runner_ups": opt.runner_ups,
            "alpha_per_decision": opt.alpha, "confidence": opt.spec.confidence,
            "designs": len(opt.trace),
            "designs_run": int((opt.trace["replications"] > 0).sum()),
            "replications": int(opt.trace["replications"].sum()), "stopped": opt.stopped,
            "seconds": round(opt.seconds, 2)}


def optimisation_report(opt: Optimisation, *, plots: bool = True) -> str:
    """The HTML report of a search, as text.

    Parameters
    ----------
    opt : Optimisation
    plots : bool, default True

    Returns
    -------
    str
        A complete HTML document: the problem, the answer and its KPI table, runner-ups,
        Pareto front, trace and the guarantee.
    """
    from . import plot
    from .report import _esc, _figure, _page, _table

    spec = opt.spec
    obj = ", ".join(f"{o.sense} {o.kpi}" for o in spec.objectives)
    cons = "".join(f"<li><code>{_esc(c.text())}</code></li>" for c in spec.constraints) or \
        "<li>none</li>"
    body = [f"<h1>Capacity planning: {_esc(spec.name)}</h1>",
            f"<p>Scenario <b>{_esc(spec.scenario.name)}</b>; objective: <b>{_esc(obj)}</b>; "
            f"{len(opt.trace)} designs, seed {spec.seed}.</p>",
            "<h2>Constraints</h2>", f"<ul>{cons}</ul>",
            "<h2>Answer</h2>"]
    if opt.chosen is None:
        body.append("<p><b>No design was declared feasible.</b> Widen the decisions' ranges, "
                    "raise replications.max, or relax a constraint.</p>")
    else:
        body += [f"<p>Chosen: <b>{_esc(opt.chosen)}</b>.</p>",
                 _table(opt.table())]
    body.append("<h2>Runner-ups not statistically worse</h2>")
    body.append(_table(opt.trace.loc[opt.runner_ups]) if opt.runner_ups else
                "<p>None.</p>")
    if opt.pareto is not None:
        body += ["<h2>Pareto front (feasible designs)</h2>", _table(opt.pareto)]
    body += ["<h2>The guarantee</h2>",
             f"<p>Every design and constraint was decided by Stein's two-stage procedure at "
             f"error {opt.alpha:.2g} each (Bonferroni over {len(opt.trace)} designs × "
             f"{max(len(spec.constraints), 1)} constraints), so with probability at least "
             f"{spec.confidence:g} every design outside the constraints' indifference zones "
             "was declared right at once: the chosen design meets every constraint to within "
             "its tolerance, and no cheaper design meets them all by more than its "
             "tolerance. Designs ran with common random numbers (the same seed and "
             f"replication numbers). Search ended: {_esc(opt.stopped)} after "
             f"{opt.seconds:.1f} s.</p>",
             "<h2>Trace</h2>", _table(opt.trace)]
    if plots:
        body += [_figure(lambda: plot.optimisation_trace(opt), "trace of the search"),
                 _figure(lambda: plot.pareto(opt), "designs by objective and constraint")]
    return _page(f"corridor_sim — optimisation {spec.name}", body)
