"""Operating calendars in model time: open windows, shifts, holidays and local days.

A calendar is written in its own time zone (``Asia/Almaty``, ``Asia/Shanghai``, …); here it is
turned once into sorted open intervals in model hours (UTC hours from the scenario start), so
that ``is_open`` and ``next_open`` are binary searches. Holiday closures of a country
(``port_closures``, ``public_holidays``) are whole days in that country's zone, cut out of the
open intervals after the shifts are laid down.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from zoneinfo import ZoneInfo

import numpy as np

from ..holiday_closures import COUNTRY_ZONES
from ..scenario.schema import WEEKDAYS, Calendar, clock_hours

__all__ = ["OperatingCalendar"]

_MARGIN_DAYS = 8


class OperatingCalendar:
    """A calendar resolved into open intervals over a model horizon.

    Parameters
    ----------
    calendar : Calendar
        The calendar as the scenario states it.
    start_utc : datetime.datetime
        Model time 0 (aware, UTC).
    horizon_hours : float
        Length of the run [h]; intervals are built a little beyond it.

    Attributes
    ----------
    starts, ends : numpy.ndarray
        Open intervals [h of model time], sorted and disjoint.
    closures : list of tuple of float
        Holiday closures from ``port_closures`` and ``public_holidays``, as (start, end) model
        hours [h], sorted and disjoint; each is a whole day in the closing country's zone.

    Examples
    --------
    >>> import datetime as dt
    >>> from corridor_sim.scenario.schema import Calendar
    >>> cal = Calendar(shifts=[{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    ...                         "open": "09:00", "close": "18:00"}], timezone="Asia/Shanghai")
    >>> oc = OperatingCalendar(cal, dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc), 48)
    >>> oc.is_open(0.5), oc.next_open(10.0)   # 09:00 in Shanghai is 01:00 UTC
    (False, 25.0)
    """

    def __init__(self, calendar: Calendar, start_utc: dt.datetime, horizon_hours: float) -> None:
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.timezone)
        self._start = start_utc
        first = (start_utc.astimezone(self.zone)).date() - dt.timedelta(days=1)
        n_days = int(horizon_hours // 24) + _MARGIN_DAYS + 2
        days = [first + dt.timedelta(days=i) for i in range(n_days)]
        self._days = days
        self._midnight_list: list[float] | None = None  # built on first use (daily limits)
        self._first_day = first
        self.always_open = calendar.always_open and not (
            calendar.closed_dates or calendar.port_closures or calendar.public_holidays)
        self.closures = self._closures(days)
        starts, ends = self._intervals(days)
        self.starts, self.ends = _subtract(starts, ends, self.closures)
        self._starts_list = self.starts.tolist()
        self._ends_list = self.ends.tolist()

    def _hours(self, day: dt.date, clock: float) -> float:
        """Model hours of a local clock time on a local date."""
        local = dt.datetime(day.year, day.month, day.day, tzinfo=self.zone)
        utc = (local + dt.timedelta(hours=clock)).astimezone(dt.timezone.utc)
        return (utc - self._start).total_seconds() / 3600.0

    def _closures(self, days: list[dt.date]) -> list[tuple[float, float]]:
        """Days closed by ``port_closures``/``public_holidays``, as disjoint model hours."""
        years = range(days[0].year - 1, days[-1].year + 2)
        lo, hi = self._hours(days[0], 0.0) - 24.0, self._hours(days[-1], 0.0) + 48.0
        spans: list[tuple[float, float]] = []
        for country, closed in self.calendar.holiday_closures(years).items():
            zone = ZoneInfo(COUNTRY_ZONES[country])
            for day in closed:
                a, b = _local_day_hours(day, zone, self._start)
                if b > lo and a < hi:
                    spans.append((a, b))
        return _merge(spans)

    def _intervals(self, days: list[dt.date]) -> tuple[np.ndarray, np.ndarray]:
        closed = set(self.calendar.closed_dates)
        raw: list[tuple[float, float]] = []
        if self.calendar.always_open:
            # Whole local days, merged: one span from the first midnight to the last, less
            # the closed dates (the same numbers as day by day, at a few calls' cost).
            edges = [days[0], *sorted(d for d in closed if days[0] <= d <= days[-1]),
                     days[-1] + dt.timedelta(days=1)]
            for a, b in zip(edges, edges[1:], strict=False):
                if a in closed:
                    a += dt.timedelta(days=1)
                if a < b:
                    raw.append((self._hours(a, 0.0), self._hours(b, 0.0)))
            arr = np.array(raw, dtype=float).reshape(-1, 2)
            return arr[:, 0].copy(), arr[:, 1].copy()
        for day in days:
            if day in closed:
                continue
            weekday = WEEKDAYS[day.weekday()]
            for shift in self.calendar.shifts:
                if weekday in shift.days:
                    a, b = clock_hours(shift.open), clock_hours(shift.close)
                    if b <= a:
                        b += 24.0
                    raw.append((self._hours(day, a), self._hours(day, b)))
        arr = np.array(_merge(raw), dtype=float).reshape(-1, 2)
        return arr[:, 0].copy(), arr[:, 1].copy()

    def is_open(self, t: float) -> bool:
        """Whether the facility is open at model time ``t`` [h]."""
        if self.always_open:
            return True
        i = bisect_right(self._starts_list, t) - 1
        return i >= 0 and t < self._ends_list[i]

    def open_interval(self, t: float) -> tuple[float, float] | None:
        """The open interval [start, end) that model time ``t`` falls in [h], or None if closed.

        A caller may keep it and skip the look-up while its time stays inside.

        Parameters
        ----------
        t : float
            Model time [h].

        Returns
        -------
        tuple of float or None
            ``(start, end)`` [h]; ``(-inf, inf)`` for an always-open calendar.
        """
        if self.always_open:
            return (-float("inf"), float("inf"))
        i = bisect_right(self._starts_list, t) - 1
        if i >= 0 and t < self._ends_list[i]:
            return self._starts_list[i], self._ends_list[i]
        return None

    def day_bounds(self, t: float) -> tuple[int, float, float]:
        """The local day ``t`` falls in: (``day_index(t)``, its start, the next day's start).

        A caller may keep it and skip the look-up while its time stays inside.

        Parameters
        ----------
        t : float
            Model time [h].

        Returns
        -------
        tuple of (int, float, float)
            The day's index, and the model times [h] of its local midnight and the next
            (``-inf`` before the table's first day, ``inf`` past its last).
        """
        i = self.day_index(t)
        lo = self._midnights[i] if i >= 0 else -float("inf")
        return i, lo, self.day_start(i + 1)

    def next_open(self, t: float) -> float:
        """The first model time ≥ ``t`` at which it is open [h]; ``inf`` if never again."""
        if self.always_open:
            return t
        i = bisect_right(self._starts_list, t) - 1
        if i >= 0 and t < self._ends_list[i]:
            return t
        return self._starts_list[i + 1] if i + 1 < len(self._starts_list) else float("inf")

    def open_hours(self, a: float, b: float) -> float:
        """Hours open within the model-time window [a, b]."""
        if self.always_open:
            return max(0.0, b - a)
        overlap = np.clip(np.minimum(self.ends, b) - np.maximum(self.starts, a), 0.0, None)
        return float(overlap.sum())

    @property
    def _midnights(self) -> list[float]:
        """Model hours of each local midnight of the table [h] (computed once, when needed)."""
        if self._midnight_list is None:
            self._midnight_list = [self._hours(d, 0.0) for d in self._days]
        return self._midnight_list

    def day_index(self, t: float) -> int:
        """Index of the local calendar day that model time ``t`` falls in."""
        return bisect_right(self._midnights, t) - 1

    def day_start(self, index: int) -> float:
        """Model time [h] of local midnight starting day ``index``; ``inf`` past the table."""
        return self._midnights[index] if 0 <= index < len(self._midnights) else float("inf")


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted union of intervals; touching intervals join."""
    merged: list[list[float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _local_day_hours(day: dt.date, zone: ZoneInfo, start: dt.datetime) -> tuple[float, float]:
    """Model hours of local midnight starting and ending ``day`` in ``zone``."""
    def hours(d: dt.date) -> float:
        utc = dt.datetime(d.year, d.month, d.day, tzinfo=zone).astimezone(dt.timezone.utc)
        return (utc - start).total_seconds() / 3600.0

    return hours(day), hours(day + dt.timedelta(days=1))


def _subtract(starts: np.ndarray, ends: np.ndarray, holes: list[tuple[float, float]]
              ) -> tuple[np.ndarray, np.ndarray]:
    """Open intervals less the closed ones (both sorted and disjoint)."""
    if not holes:
        return starts, ends
    kept: list[tuple[float, float]] = []
    j = 0
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        while j < len(holes) and holes[j][1] <= a:
            j += 1
        k = j
        while k < len(holes) and holes[k][0] < b:
            ha, hb = holes[k]
            if ha > a:
                kept.append((a, ha))
            a = max(a, hb)
            k += 1
        if a < b:
            kept.append((a, b))
    arr = np.array(kept, dtype=float).reshape(-1, 2)
    return arr[:, 0].copy(), arr[:, 1].copy()
