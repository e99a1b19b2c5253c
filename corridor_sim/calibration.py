"""Calibration: the bundled baseline against published corridor figures.

Each :class:`Target` ties a KPI of the results to a figure from
``shared/data/corridor_facts.md``, with its source key and the range the source supports, and
says what it is worth: a parameter was fitted to it, it is an independent check, or it is an
input echoed (the volumes that set the demand). :func:`calibration_report` puts simulated and
published side by side; :data:`FITTED` lists the parameters that have no published value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .results import Results

__all__ = ["FITTED", "TARGETS", "Target", "calibration_report"]


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
    role : {"fitted", "check", "input"}, default "check"
        ``fitted``: a parameter without a published value was chosen to meet it (say which
        in ``fitted``); ``check``: nothing was tuned to it, so meeting it is evidence;
        ``input``: the figure also set the demand, so meeting it only shows that the model
        carries its input (it is no evidence of fit).
    fitted : str, default ""
        The parameters fitted to it.
    """

    name: str
    kpi: str
    low: float
    high: float
    unit: str
    published: str
    source: str
    scale: float = 1.0
    role: str = "check"
    fitted: str = ""


TARGETS: tuple[Target, ...] = (
    # -------------------------------------------------------------- time and queue targets
    Target("Road crossing time CN → KZ at Horgos (CPMM, outbound)",
           "crossing[khorgos_road→nur_zholy_road].hours.mean", 16.4, 51.4, "hours",
           "16.4 h outbound at Horgos in 2020; 51.4 h in 2023 (arrival at the PRC exit to "
           "leaving the Kazakh entry, CPMM)", "S49, S48", role="fitted",
           fitted="nodes.khorgos_road.transload.time (trans-loading dwell)"),
    Target("Road crossing time KZ → CN (CPMM, CAREC average)",
           "crossing[nur_zholy_road→khorgos_road].hours.mean", 9.9, 13.6, "hours",
           "CAREC average road border-crossing time 13.6 h (2021) → 9.9 h (2022), CPMM",
           "S23", role="fitted",
           fitted="nodes.nur_zholy_road and nodes.khorgos_road directions: lanes per direction"),
    Target("Peak queue of trucks leaving Kazakhstan (after a closure)",
           "nur_zholy_road.from[almaty].queue_length.max", 300, 1500, "trucks",
           "queue of 300 trucks (Mar 2023); ~1,500 trucks over ~50 km (Nov 2025)",
           "S41, S43"),
    Target("Rail border-crossing time Khorgos → Altynkol (CPMM, Corridor 1)",
           "crossing[khorgos_rail→altynkol_rail].hours.mean", 27.6, 37.3, "hours",
           "CAREC Corridor 1 rail crossing 27.6 h (2019) → 37.3 h (2020), CPMM; before "
           "clearance was cut from 12 h to 6–8 h (S30) and handling from 5 h to 1 h (S28)",
           "S37"),
    Target("Rail border-crossing time Alashankou → Dostyk (CPMM, Corridor 1)",
           "crossing[alashankou_rail→dostyk_rail].hours.mean", 27.6, 37.3, "hours",
           "as above; Dostyk train processing since cut from 9 h to 4 h 15 min (S25)",
           "S37"),
    # -------------------------------------------------------------- volumes
    Target("Nur Zholy road crossing, trucks per day (2025)", "nur_zholy_road.vehicles_per_day",
           700, 1200, "trucks/day",
           "700–750/day taken by China, ≥800 agreed (Nov 2025); 1,200/day after going 24 h",
           "S43, S44", role="input"),
    Target("Altynkol–Khorgos container trains per day (2025)", "altynkol_rail.vehicles_per_day",
           9.8 * 0.85, 9.8 * 1.15, "trains/day",
           "3,589 container trains in 2025 (≈9.8/day, derived); ±15%", "S34", role="input"),
    Target("Alashankou trains per day (2025)", "alashankou_rail.vehicles_per_day",
           21 * 0.85, 21 * 1.15, "trains/day",
           "average >21/day Jan–May 2025, peak 30; ±15%", "S32", role="input"),
    Target("Dostyk intake of westbound trains on 1435 mm (design)",
           "alashankou_rail>dostyk_rail:rail.vehicles_per_day", 0, 12, "trains/day",
           "receive/dispatch 12/12 trains a day on 1435 mm", "S3", role="input"),
    Target("Khorgos Gateway TEU per year (2025)", "altynkol_rail.throughput_per_day",
           372_000 * 0.9, 372_000 * 1.1, "TEU/year", "372k TEU in 2025 (+2%); ±10%", "S28",
           scale=365.0, role="input"),
    Target("Urumqi hub to Kazakhstan by rail, door to door", (
        "urumqi_terminal>almaty:general[rail].lead_time_hours.mean"),
           30, 60, "hours",
           "30 h Urumqi–Almaty via Horgos (2017); 48 h (2019) and '2 days' (2023)",
           "S16, S17"),
)
"""The published figures the bundled baseline is calibrated against and checked by."""

FITTED: dict[str, str] = {
    "nodes.khorgos_road.transload.time":
        "trans-loading dwell at Khorgos (Chinese → Kazakh trucks), ≈13 h: CN → KZ crossing "
        "time (S48, S49)",
    "nodes.nur_zholy_road.directions.*.lanes":
        "split of Nur Zholy's 26 general lanes, 9 out / 17 in: KZ → CN crossing time (S23) "
        "and the queue after a closure (S41, S43)",
    "nodes.khorgos_road.directions.*.lanes":
        "lanes per direction at Khorgos, 10 + 0 in / 17 + 3 out: KZ → CN crossing time (S23)",
    "nodes.nur_zholy_road.directions.almaty.space":
        "parking in front of the Kazakh exit lanes, 250 trucks: no published figure",
    "links[nur_zholy_road↔khorgos_road].space":
        "room on the strip, 60 trucks each way: 2 km at the 33 m per queued truck inferred "
        "from C59, C62; no published figure",
}
"""Parameters of the baseline without a published value, fitted or set by inference."""


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
        ``source``, ``kpi``, ``role`` (``fitted``, ``check`` or ``input``: see
        :class:`Target`) and ``fitted`` (the parameters fitted to it).
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
            "source": t.source, "kpi": t.kpi, "role": t.role, "fitted": t.fitted,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "figure"
    return out
