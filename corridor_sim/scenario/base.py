"""Building blocks shared by the scenario models: the base model, clock times, calendars."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["WEEKDAYS", "Calendar", "Country", "Mode", "Shift", "Weekday", "clock_hours"]

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names as scenario files write them, Monday first (``datetime.weekday()`` order)."""

Mode = Literal["road", "rail", "air"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Country = Literal["CN", "KZ"]
"""Countries whose holidays a calendar can close on (``corridor_sim.holiday_closures``)."""
_CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
_NonNegInt = Annotated[int, Field(ge=0, strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              allow_inf_nan=False)


def clock_hours(text: str) -> float:
    """Convert a clock time ``"HH:MM"`` (``"24:00"`` allowed) to hours after midnight.

    Parameters
    ----------
    text : str
        The clock time.

    Returns
    -------
    float
        Hours after midnight, in [0, 24].

    Examples
    --------
    >>> clock_hours("09:30")
    9.5
    """
    m = _CLOCK.match(text)
    if m is None or (int(m.group(1)) == 24 and m.group(2) != "00"):
        raise ValueError(f'must be a clock time "HH:MM", got {text!r}')
    return int(m.group(1)) + int(m.group(2)) / 60


# --------------------------------------------------------------------------- calendars


class Shift(_Model):
    """An opening window on some weekdays, in the calendar's local time.

    Attributes
    ----------
    days : list of str
        Weekdays (``mon`` … ``sun``) on which the window opens.
    open, close : str
        Local clock times ``"HH:MM"``. A ``close`` at or before ``open`` closes the next day
        (a night shift); ``"24:00"`` is midnight at the end of the day.
    """

    days: list[Weekday] = Field(min_length=1)
    open: str
    close: str

    @field_validator("open", "close")
    @classmethod
    def _clock(cls, v: str) -> str:
        clock_hours(v)
        return v


class Calendar(_Model):
    """When a facility works: round the clock, or shifts, less holidays, in a time zone.

    Holidays come three ways: dates listed by hand (``closed_dates``), the road-port closure
    days that sources report for a country's public holidays (``port_closures``, from the
    table in ``corridor_sim.holiday_closures``), or every public holiday of a country
    (``public_holidays``), both from the ``holidays`` package. ``open_dates`` keeps some of
    those days open.

    Attributes
    ----------
    always_open : bool, default False
        Open 24 hours every day (still closed on holidays).
    shifts : list of Shift
        Opening windows by weekday; required unless ``always_open``.
    closed_dates : list of date
        Local dates of this calendar on which no shift opens (a shift opening the day before
        runs to its end).
    port_closures : list of str
        Countries (``CN``, ``KZ``) whose holidays close the road border checkpoints: closed on
        the days the closure table gives (Spring Festival eve to day 2, Dragon Boat,
        Mid-Autumn, National Day 1–3 October; Kazakhstan 1, 7 and 9 May). Each day is closed
        00:00–24:00 in the closing country's time (Beijing for CN, Almaty for KZ), whatever
        this calendar's zone, so both sides of a crossing close over the same hours. Give
        ``[CN, KZ]`` where both countries' closures shut the crossing.
    public_holidays : list of str
        Countries (``CN``, ``KZ``) whose every public holiday closes this calendar, days in
        lieu included, 00:00–24:00 in that country's time. Make-up working days on weekends
        are not modelled: the shifts decide weekends.
    open_dates : list of date
        Dates from ``port_closures`` or ``public_holidays`` that stay open, as the closing
        country dates them; each must be such a day.
    timezone : str, default "UTC"
        IANA time zone the shifts and ``closed_dates`` are in, e.g. ``"Asia/Almaty"``.
    """

    always_open: bool = False
    shifts: list[Shift] = Field(default_factory=list)
    closed_dates: list[dt.date] = Field(default_factory=list)
    port_closures: list[Country] = Field(default_factory=list)
    public_holidays: list[Country] = Field(default_factory=list)
    open_dates: list[dt.date] = Field(default_factory=list)
    timezone: str = "UTC"

    @field_validator("port_closures", "public_holidays")
    @classmethod
    def _once(cls, v: list[str]) -> list[str]:
        twice = sorted({c for c in v if v.count(c) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} listed more than once")
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Asia" is a folder
            raise ValueError(
                f"unknown time zone {v!r}; expected an IANA name such as 'Asia/Almaty'"
            ) from None
        return v

    @model_validator(mode="after")
    def _has_hours(self) -> Calendar:
        if not self.always_open and not self.shifts:
            raise ValueError("needs shifts, or always_open: true")
        if self.always_open and self.shifts:
            raise ValueError("give either always_open: true or shifts, not both")
        return self

    @model_validator(mode="after")
    def _open_dates(self) -> Calendar:
        if not self.open_dates:
            return self
        if not (self.port_closures or self.public_holidays):
            raise ValueError("open_dates keep port_closures or public_holidays open; "
                             "give one of them, or drop open_dates")
        both = sorted(set(self.open_dates) & set(self.closed_dates))
        if both:
            raise ValueError(f"{', '.join(map(str, both))} in both closed_dates and open_dates")
        years = range(min(self.open_dates).year - 1, max(self.open_dates).year + 2)
        held = {d for days in self.holiday_closures(years, keep_open=False).values() for d in days}
        stray = [d for d in self.open_dates if d not in held]
        if stray:
            countries = ", ".join(sorted(set(self.port_closures) | set(self.public_holidays)))
            in_years = {d.year for d in stray}
            listed = ", ".join(str(d) for d in sorted(held) if d.year in in_years)
            raise ValueError(f"{', '.join(map(str, stray))} in open_dates is not a closure day "
                             f"of {countries}; the closure days that year are: {listed}")
        return self

    def holiday_closures(self, years: range, *, keep_open: bool = True
                         ) -> dict[str, dict[dt.date, str]]:
        """Days closed by ``port_closures`` and ``public_holidays`` in some years, by country.

        Parameters
        ----------
        years : range
            Years of the holidays.
        keep_open : bool, default True
            Leave out ``open_dates``.

        Returns
        -------
        dict of str to dict of datetime.date to str
            Country → {date → name of the closure rule or holiday}, in date order; the dates
            are local dates of that country (``corridor_sim.holiday_closures.COUNTRY_ZONES``).
            Empty if the calendar has neither ``port_closures`` nor ``public_holidays``.
        """
        if not (self.port_closures or self.public_holidays):
            return {}
        from ..holiday_closures import closure_days

        closed: dict[str, dict[dt.date, str]] = {}
        for countries, port in ((self.port_closures, True), (self.public_holidays, False)):
            for country in countries:
                days = closed.setdefault(country, {})
                for day, name in closure_days(country, years, port=port).items():
                    days.setdefault(day, name)
        for country, days in closed.items():
            for day in self.open_dates if keep_open else ():
                days.pop(day, None)
            closed[country] = dict(sorted(days.items()))
        return closed
