"""Calibration: the bundled baseline against published corridor figures.

Each :class:`Target` ties a KPI of the results to a figure from
``shared/data/corridor_facts.md``, with its source key and the range the source supports.
:func:`calibration_report` puts simulated and published side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .results import Results

__all__ = ["TARGETS", "Target", "calibration_report"]


@dataclass(frozen=True)
class Target:
    """A published figure that a KPI of the baseline should reproduce.

    Attributes
    ----------
    name : str
        What is measured, for people.
    kpi : str
        KPI name in :meth:`Results.summary`.
    low, high : float
        Range the sources support, in ``unit``.
    unit : str
        Unit of ``low``, ``high`` and the scaled KPI.
    published : str
        The published figure as its source states it.
    source : str
        Source keys in the facts file (``S34`` …).
    scale : float, default 1
        Factor from the KPI's unit to ``unit`` (e.g. 365 for per day → per year).
    """

    name: str
    kpi: str
    low: float
    high: float
    unit: str
    published: str
    source: str
    scale: float = 1.0


TARGETS: tuple[Target, ...] = (
    Target("Nur Zholy road crossing, trucks per day (2025)", "nur_zholy_road.vehicles_per_day",
           700, 1200, "trucks/day",
           "700–750/day taken by China, ≥800 agreed (Nov 2025); 1,200/day after going 24 h",
           "S43, S44"),
    Target("Altynkol–Khorgos container trains per day (2025)", "altynkol_rail.vehicles_per_day",
           9.8 * 0.85, 9.8 * 1.15, "trains/day",
           "3,589 container trains in 2025 (≈9.8/day, derived); ±15%", "S34"),
    Target("Alashankou trains per day (2025)", "alashankou_rail.vehicles_per_day",
           21 * 0.85, 21 * 1.15, "trains/day",
           "average >21/day Jan–May 2025, peak 30; ±15%", "S32"),
    Target("Khorgos Gateway TEU per year (2025)", "altynkol_rail.throughput_per_day",
           372_000 * 0.9, 372_000 * 1.1, "TEU/year", "372k TEU in 2025 (+2%); ±10%", "S28",
           scale=365.0),
    Target("Urumqi hub to Kazakhstan by rail, door to door", (
        "urumqi_terminal>almaty:general[rail].lead_time_hours.mean"),
           30, 60, "hours",
           "30 h Urumqi–Almaty via Horgos (2017); 48 h (2019) and '2 days' (2023)",
           "S16, S17"),
)
"""The published figures the bundled baseline is calibrated against."""


def calibration_report(results: Results, targets: tuple[Target, ...] = TARGETS
                       ) -> pd.DataFrame:
    """Simulated against published figures, side by side.

    Parameters
    ----------
    results : Results
        Results of the baseline (or of any scenario with the same node names).
    targets : tuple of Target, default TARGETS

    Returns
    -------
    pandas.DataFrame
        One row per target whose KPI the results have, indexed by ``figure``, with columns
        ``published``, ``low``, ``high``, ``unit``, ``simulated`` (mean), ``ci_low``,
        ``ci_high`` (95% over replications), ``within`` (the mean lies in [low, high]),
        ``source`` and ``kpi``.
    """
    summary = results.summary()
    rows = {}
    for t in targets:
        if t.kpi not in summary.index:
            continue
        s = summary.loc[t.kpi]
        mean = s["mean"] * t.scale
        rows[t.name] = {
            "published": t.published, "low": t.low, "high": t.high, "unit": t.unit,
            "simulated": mean, "ci_low": s["ci_low"] * t.scale,
            "ci_high": s["ci_high"] * t.scale, "within": bool(t.low <= mean <= t.high),
            "source": t.source, "kpi": t.kpi,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "figure"
    return out
