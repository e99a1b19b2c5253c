"""KPI windows as scenario data: named periods of the run, and their checks.

The KPIs over them are computed by :mod:`corridor_sim.windows`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from ..errors import Problem
from .base import _Model

if TYPE_CHECKING:  # pragma: no cover
    from .schema import Scenario

__all__ = ["KpiWindow", "window_hours", "window_problems"]

_WINDOW_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class KpiWindow(_Model):
    """A named period of the run over which waits are reported (e.g. the harvest peak).

    Attributes
    ----------
    start : date
        First day of the window (from midnight UTC, as the scenario's ``start``).
    end : date
        Last day of the window, inclusive (to midnight UTC after it).
    wait_limits_hours : list of float
        Wait limits [h] whose exceedances are counted (``WINDOW:NODE.wait_hours.over[L]``);
        :func:`corridor_sim.optimise` adds the limits of its constraints itself.
    """

    start: dt.date
    end: dt.date
    wait_limits_hours: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] = Field(
        default_factory=list)

    @model_validator(mode="after")
    def _order(self) -> KpiWindow:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


def window_hours(scenario: Scenario, window: KpiWindow) -> tuple[float, float]:
    """Model-time bounds of a window [h from the scenario's start].

    Parameters
    ----------
    scenario : Scenario
    window : KpiWindow

    Returns
    -------
    start_hours, end_hours : float
        ``[start, end)``: from midnight UTC of ``window.start`` to midnight after ``window.end``.
    """
    t0 = scenario.start_utc
    start = dt.datetime(window.start.year, window.start.month, window.start.day,
                        tzinfo=dt.timezone.utc)
    end = dt.datetime(window.end.year, window.end.month, window.end.day,
                      tzinfo=dt.timezone.utc) + dt.timedelta(days=1)
    return (start - t0).total_seconds() / 3600.0, (end - t0).total_seconds() / 3600.0


def window_problems(scenario: Scenario) -> list[Problem]:
    """Windows that do not fit the run: outside it, or starting within the warm-up.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    list of Problem
    """
    out = []
    warm = scenario.start_utc + dt.timedelta(hours=scenario.warmup_hours)
    stop = scenario.start_utc + dt.timedelta(hours=scenario.horizon_hours)
    for name, w in scenario.kpi_windows.items():
        path = f"kpi_windows.{name}"
        if not _WINDOW_NAME.match(name):
            out.append(Problem(path, f"window name {name!r} must start with a letter and hold "
                               "only letters, digits, '_' or '-'"))
            continue
        lo, hi = window_hours(scenario, w)
        if lo < scenario.warmup_hours:
            out.append(Problem(f"{path}.start", f"{w.start} is within the warm-up, which "
                               f"ends {warm:%Y-%m-%d %H:%M} UTC; a window starts after it"))
        if hi > scenario.horizon_hours + 1e-9:
            out.append(Problem(f"{path}.end", f"{w.end} is after the end of the run "
                               f"({stop - dt.timedelta(microseconds=1):%Y-%m-%d} is its "
                               "last day); shorten the window or lengthen horizon_days"))
    return out
