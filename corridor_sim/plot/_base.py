"""Shared helpers of the plots: palette, axes creation, units and labels."""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import Problem, ScenarioError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..comparison import Comparison
    from ..results import Results
    from ..scenario.schema import Scenario

# Okabe–Ito, a colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000")

_KPI_UNITS = {
    "wait_hours": "h", "lead_time_hours": "h", "dwell_hours": "h",
    "throughput_per_day": "TEU/day", "tonnes_per_day": "t/day",
    "delivered_units_per_day": "{unit}/day",
    "shipments_per_day": "shipments/day", "vehicles_per_day": "vehicles/day",
    "departures_per_day": "departures/day", "trains_per_day": "trains/day",
    "queue_length": "shipments", "utilisation": "share of capacity",
    "fill_rate": "share of capacity", "spoiled_share": "share",
    "created": "shipments", "delivered": "shipments", "in_system": "shipments",
    "rejected": "shipments",
    "hours": "h", "blocked_hours": "h", "wait_for_vehicle_hours": "h",
    "queue_km": "km", "approach_km": "km",
    "occupancy": "vehicles (TEU in yards)", "approach": "vehicles", "blocked": "vehicles",
    "full_share": "share of time", "teu_days": "TEU-days",
    "speed_kmh": "km/h", "cost_usd": "USD",
    "teu_km_per_day": "TEU-km/day", "tonne_km_per_day": "t-km/day", "tonne_km_share": "share",
}


def axes(ax: Axes | None, figsize: tuple[float, float] = (9, 4.5)) -> Axes:
    """Return ``ax``, or a new figure's axes (on the Agg backend unless interactive)."""
    if ax is not None:
        return ax
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg",) and not _interactive():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained", FigureClass=_plain_figure())
    return ax


@functools.cache
def _plain_figure() -> type:
    """A Figure class that draws text holding an unescaped ``$`` as written, not as mathtext.

    corridor_sim draws no formulas, so a ``$`` in a scenario name or label that reached a
    title or legend without :func:`plain` is the user's text; drawing it as mathtext could
    fail after a whole simulation.
    """
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    class PlainTextFigure(Figure):
        def draw(self, renderer: Any) -> None:
            for t in self.findobj(Text):
                text = t.get_text()
                if "$" in text and "\\$" not in text:
                    t.set_parse_math(False)
            super().draw(renderer)

    return PlainTextFigure


def _interactive() -> bool:
    return "ipykernel" in sys.modules or hasattr(sys, "ps1")


def colour(i: int) -> str:
    """Return the ``i``-th colour of the palette (cycling)."""
    return PALETTE[i % len(PALETTE)]


def unit_label(scenario: Scenario) -> str:
    """Name the unit of the scenario's shipments: ``"TEU"``, ``"t"`` or ``"units (TEU and t)"``."""
    units = {scenario.commodities[d.commodity].unit for d in scenario.demand}
    if units == {"teu"}:
        return "TEU"
    if units == {"tonne"}:
        return "t"
    return "units (TEU and t)"


def kpi_unit(kpi: str, scenario: Scenario | None = None) -> str:
    """Return the unit of a dotted KPI name, e.g. ``"h"`` for ``"border.wait_hours.mean"``."""
    unit = unit_label(scenario) if scenario is not None else "units"
    for part in reversed(kpi.split(".")):
        if part in _KPI_UNITS:
            return _KPI_UNITS[part].format(unit=unit)
    return ""


def with_unit(kpi: str, scenario: Scenario | None = None) -> str:
    """``"kpi [unit]"``, or the bare name when the unit is unknown."""
    u = kpi_unit(kpi, scenario)
    return f"{kpi} [{u}]" if u else kpi


def as_results_map(obj: Results | Comparison) -> dict[str, Results]:
    """Scenario name → Results, for a single Results or a Comparison."""
    from ..comparison import Comparison
    from ..results import Results

    if isinstance(obj, Comparison):
        return dict(obj.results)
    if isinstance(obj, Results):
        return {obj.scenario.name: obj}
    raise ScenarioError([Problem("results", f"must be Results or Comparison, got "
                                 f"{type(obj).__name__}")])


def plain(text: str) -> str:
    r"""Escape ``$`` so that matplotlib shows text from a scenario as written, not as mathtext.

    A scenario name or node label with two ``$`` signs would otherwise be parsed as a formula,
    and fail when the figure is drawn if the part between them is not valid mathtext.

    Examples
    --------
    >>> print(plain("cost in $ / TEU"))
    cost in \$ / TEU
    """
    return str(text).replace("$", "\\$")


def node_label(scenario: Scenario, name: str) -> str:
    """Return the node's ``label`` if it has one, else its name (escaped for matplotlib)."""
    node = scenario.nodes.get(name)
    label = getattr(node, "label", None)
    return plain(label or name)


def check_choice(what: str, value: Any, options: list[str]) -> None:
    """Raise a ScenarioError naming the options when ``value`` is not one of them."""
    if value not in options:
        from ..scenario.references import suggest

        shown = ", ".join(options) if options else "(none)"
        raise ScenarioError([Problem(what, f"unknown {what} {value!r}; choose from {shown}"
                                     + suggest(str(value), options))])


def ci_errors(mean: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Asymmetric error-bar lengths ``[[below], [above]]`` (0 where the CI is NaN)."""
    below = np.nan_to_num(np.asarray(mean) - np.asarray(lo), nan=0.0)
    above = np.nan_to_num(np.asarray(hi) - np.asarray(mean), nan=0.0)
    return np.vstack([below, above])


def freq_label(freq: str) -> str:
    """``"D"`` → ``"day"``, and so on."""
    return {"h": "hour", "D": "day", "W": "week", "MS": "month", "ME": "month"}.get(freq, freq)
