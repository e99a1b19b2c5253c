"""Building blocks shared by the scenario models: the base model, clock times, calendars."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["WEEKDAYS", "Calendar", "Mode", "Shift", "Weekday", "clock_hours"]

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names as scenario files write them, Monday first (``datetime.weekday()`` order)."""

Mode = Literal["road", "rail", "air"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
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
    """When a facility works: round the clock, or shifts, less closed dates, in a time zone.

    Attributes
    ----------
    always_open : bool, default False
        Open 24 hours every day (still closed on ``closed_dates``).
    shifts : list of Shift
        Opening windows by weekday; required unless ``always_open``.
    closed_dates : list of date
        Local dates on which nothing opens (holidays).
    timezone : str, default "UTC"
        IANA time zone the shifts and dates are in, e.g. ``"Asia/Almaty"``.
    """

    always_open: bool = False
    shifts: list[Shift] = Field(default_factory=list)
    closed_dates: list[dt.date] = Field(default_factory=list)
    timezone: str = "UTC"

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
