"""Plots of results and comparisons.

Each function takes ``ax=None`` (a new figure when omitted) and returns the matplotlib
``Axes``; matplotlib is imported only when a plot is drawn, and nothing calls ``plt.show()``.

- :func:`throughput` — per node: bars with CIs (side by side for a comparison) or the daily
  series of a run;
- :func:`compare` — forest plot of a comparison's paired differences, one panel per KPI
  family in its own unit, the flows the proposals change first;
- :func:`throughput_differs` — whether a comparison's throughput plot would show anything;
- :func:`holiday_spans` — the holiday closures of a scenario's facilities, named;
- :func:`lead_times` — lead-time distribution per commodity;
- :func:`scorecard` — the decision scorecard: the primary criterion's paired differences;
- :func:`queue` — queue length over time at a node, with a band across replications;
- :func:`pareto` — a capacity-planning search's designs by two KPIs, with the Pareto front;
- :func:`optimisation_trace` — the designs of a search in the order they were run;
- :func:`network` — the corridor map at the scenario's coordinates over country outlines,
  with insets for crowded clusters, optionally coloured by a node KPI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ._base import PALETTE
from ._compare import compare, throughput_differs
from ._map import network
from ._pareto import optimisation_trace, pareto
from ._scorecard import scorecard
from ._series import holiday_spans, lead_times, queue, throughput

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..comparison import Comparison
    from ..results import Results

__all__ = ["PALETTE", "compare", "holiday_spans", "lead_times", "network",
           "optimisation_trace", "pareto", "queue", "save_comparison_plots", "save_run_plots",
           "scorecard", "throughput", "throughput_differs"]


def _save(ax, path: Path) -> None:  # noqa: ANN001 - a matplotlib Axes
    import matplotlib.pyplot as plt

    ax.figure.savefig(path, dpi=110)
    plt.close(ax.figure)


def _save_each(subject: Results | Comparison, folder: str | Path,
               draws: dict[str, Callable[..., Axes]]) -> list[Path]:
    """Draw ``subject`` with each function and save it as ``folder/<name>.png``."""
    out = []
    for name, draw in draws.items():
        path = Path(folder) / f"{name}.png"
        _save(draw(subject), path)
        out.append(path)
    return out


def save_run_plots(results: Results, folder: str | Path) -> list[Path]:
    """Write ``throughput.png`` and ``lead_times.png`` of a run into ``folder``.

    Parameters
    ----------
    results : Results
    folder : str or Path

    Returns
    -------
    list of Path
        The files written.
    """
    return _save_each(results, folder, {"throughput": throughput, "lead_times": lead_times})


def save_comparison_plots(comparison: Comparison, folder: str | Path) -> list[Path]:
    """Write ``differences.png`` (forest plot) and, where it differs, ``throughput.png``.

    The grouped throughput bars are drawn only when :func:`throughput_differs`: with fixed
    demand and no node saturated they would show the same bars for every scenario.

    Parameters
    ----------
    comparison : Comparison
    folder : str or Path

    Returns
    -------
    list of Path
        The files written.
    """
    draws: dict[str, Callable[..., Axes]] = {}
    if throughput_differs(comparison):
        draws["throughput"] = throughput
    draws["differences"] = compare
    return _save_each(comparison, folder, draws)
