"""Port-closure days of the Kazakhstan–China road crossings, from public holidays.

The ``holidays`` package (pinned in ``pyproject.toml``) knows each country's public holidays,
including those set by the lunar calendar; it does not know which of them close the border.
:data:`CLOSURE_RULES` is that missing link: one row per holiday that sources report closing the
road checkpoints, saying which days around the holiday are closed, with the source keys
(``S…`` in ``shared/data/corridor_facts.md``, ``C…`` in ``cost_space_carbon_facts.md``) and the
closure dates those sources report. The tests check that every rule, applied to the library's
holidays, gives back every reported date.

A closure day is a whole day in the closing country's own time (:data:`COUNTRY_ZONES`), so the
checkpoints on both sides of a crossing close over the same hours. Nothing here imports the
``holidays`` package until a calendar asks for closures: scenarios without them pay nothing.

Examples
--------
>>> [str(d) for d in port_closure_days("CN", 2025)][:3]   # Spring Festival: eve, day 1, day 2
['2025-01-28', '2025-01-29', '2025-01-30']
>>> sorted({rule for rule in port_closure_days("KZ", 2024).values()})
['Defender of the Fatherland Day', 'Unity Day', 'Victory Day']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "CLOSURE_RULES",
    "COUNTRIES",
    "COUNTRY_ZONES",
    "ClosureRule",
    "closure_days",
    "port_closure_days",
    "public_holiday_days",
]

COUNTRY_ZONES: dict[str, str] = {"CN": "Asia/Shanghai", "KZ": "Asia/Almaty"}
"""IANA time zone in which each country's holidays and port closures fall (Beijing time, not
Urumqi's unofficial UTC+6: the ports keep Beijing time, S52)."""

COUNTRIES: tuple[str, ...] = tuple(COUNTRY_ZONES)
"""Countries with public holidays and port-closure rules (ISO 3166-1 alpha-2)."""


@dataclass(frozen=True)
class ClosureRule:
    """A public holiday that closes the road border checkpoints, and for how many days.

    Attributes
    ----------
    country : str
        The country whose holiday it is (``"CN"`` or ``"KZ"``).
    name : str
        Short name used in tables and reports.
    holiday : str
        The holiday's name as the ``holidays`` package gives it in English (``en_US``); the
        rule counts from the first date of the year with exactly this name, so days in lieu
        ("observed", "Day off (substituted …)") never count.
    offsets_days : tuple of int
        Closed days relative to that date [days]: ``(-1, 0, 1)`` is the eve, the day and the
        day after.
    sources : tuple of str
        Source keys of the reported closures.
    reported : tuple of datetime.date
        Closure dates the sources report for this holiday (the evidence the rule reproduces).
    """

    country: str
    name: str
    holiday: str
    offsets_days: tuple[int, ...]
    sources: tuple[str, ...]
    reported: tuple[dt.date, ...]


def _days(year: int, month: int, *days: int) -> tuple[dt.date, ...]:
    return tuple(dt.date(year, month, d) for d in days)


CLOSURE_RULES: tuple[ClosureRule, ...] = (
    # "All road checkpoints KZ-CN closed 16-18 Feb 2026 (Spring Festival); rail operates
    # normally" (S53); closed 4-6 Feb 2019, "traditional practice" (S54). New Year's Day was
    # 17 Feb 2026 and 5 Feb 2019: the eve, the day and the day after.
    ClosureRule("CN", "Spring Festival", "Chinese New Year (Spring Festival)", (-1, 0, 1),
                ("S53", "S54"), _days(2026, 2, 16, 17, 18) + _days(2019, 2, 4, 5, 6)),
    # Road checkpoints closed on the festival day: 22 Jun 2023 (S56) and 10 Jun 2024 (C65).
    ClosureRule("CN", "Dragon Boat", "Dragon Boat Festival", (0,), ("S56", "C65"),
                _days(2023, 6, 22) + _days(2024, 6, 10)),
    # China closed all road checkpoints on 29 Sep and 1-3 Oct 2023 (S55), and on 1-3 and
    # 6 Oct 2025 (C66): the Mid-Autumn festival day (29 Sep 2023, 6 Oct 2025) ...
    ClosureRule("CN", "Mid-Autumn", "Mid-Autumn Festival", (0,), ("S55", "C66"),
                _days(2023, 9, 29) + _days(2025, 10, 6)),
    # ... and the three statutory days of National Day, not the rest of Golden Week.
    ClosureRule("CN", "National Day", "National Day", (0, 1, 2), ("S55", "C66"),
                _days(2023, 10, 1, 2, 3) + _days(2025, 10, 1, 2, 3)),
    # Kazakh road checkpoints closed on 1, 7 and 9 May 2021 (S57) and all KZ-CN road crossings
    # on 1, 7 and 9 May 2024 (C65): the holiday itself, not the Monday in lieu (9 May 2021 was
    # a Sunday).
    ClosureRule("KZ", "Unity Day", "Kazakhstan's People Solidarity Holiday", (0,),
                ("S57", "C65"), _days(2021, 5, 1) + _days(2024, 5, 1)),
    ClosureRule("KZ", "Defender of the Fatherland Day", "Defender of the Fatherland Day", (0,),
                ("S57", "C65"), _days(2021, 5, 7) + _days(2024, 5, 7)),
    ClosureRule("KZ", "Victory Day", "Victory Day", (0,), ("S57", "C65"),
                _days(2021, 5, 9) + _days(2024, 5, 9)),
)
"""Holidays that close the road checkpoints, with sources. No source reports a closure for
Nauryz, New Year, Qingming or Labour Day, so none is here; add such days to a calendar's
``closed_dates``, or close on every ``public_holidays`` of a country."""


def _check_country(country: str) -> None:
    if country not in COUNTRY_ZONES:
        raise ValueError(f"unknown country {country!r}; expected one of {', '.join(COUNTRIES)}")


@lru_cache(maxsize=256)
def _library_holidays(country: str, year: int) -> tuple[tuple[dt.date, str], ...]:
    """(date, English name) of every public holiday the ``holidays`` package lists."""
    import holidays  # imported only when a calendar uses holidays

    listed = holidays.country_holidays(country, years=year, language="en_US")
    rows: list[tuple[dt.date, str]] = []
    for day, names in sorted(listed.items()):
        rows += [(day, name) for name in names.split("; ")]
    return tuple(rows)


def public_holiday_days(country: str, year: int) -> dict[dt.date, str]:
    """Every public holiday of a country in a year, days in lieu included.

    Parameters
    ----------
    country : {"CN", "KZ"}
        The country.
    year : int
        The calendar year.

    Returns
    -------
    dict of datetime.date to str
        Date → holiday name (English, as the ``holidays`` package gives it), in date order.
    """
    _check_country(country)
    days: dict[dt.date, str] = {}
    for day, name in _library_holidays(country, year):
        days.setdefault(day, name)
    return days


@lru_cache(maxsize=256)
def _port_closures(country: str, year: int) -> tuple[tuple[dt.date, str], ...]:
    listed = _library_holidays(country, year)
    days: dict[dt.date, str] = {}
    for rule in CLOSURE_RULES:
        if rule.country != country:
            continue
        first = next((day for day, name in listed if name == rule.holiday), None)
        if first is None:  # not a public holiday that year (Dragon Boat before 2008, …)
            continue
        for offset in rule.offsets_days:
            days.setdefault(first + dt.timedelta(days=offset), rule.name)
    return tuple(sorted(days.items()))


def port_closure_days(country: str, year: int) -> dict[dt.date, str]:
    """The road-port closure days that :data:`CLOSURE_RULES` give for a country and year.

    A rule counts from its holiday's date in ``year``, so a closure can spill into the next
    or previous year (a Spring Festival eve on 31 December). Years in which the ``holidays``
    package does not list a rule's holiday (the package covers CN 1950–2100 and KZ 1991–2100;
    Dragon Boat and Mid-Autumn are Chinese public holidays since 2008) have no closure for it.

    Parameters
    ----------
    country : {"CN", "KZ"}
        The country whose holidays close the ports.
    year : int
        The year of the holidays.

    Returns
    -------
    dict of datetime.date to str
        Closed local date (in :data:`COUNTRY_ZONES` of the country) → rule name, in date order.

    Examples
    --------
    >>> port_closure_days("CN", 2023)[dt.date(2023, 9, 29)]
    'Mid-Autumn'
    """
    _check_country(country)
    return dict(_port_closures(country, year))


def closure_days(country: str, years: range, *, port: bool = True) -> dict[dt.date, str]:
    """Closure days of a country over some years: port closures or all public holidays.

    Parameters
    ----------
    country : {"CN", "KZ"}
        The country.
    years : range
        Years of the holidays.
    port : bool, default True
        Port-closure days (:func:`port_closure_days`) if true, every public holiday
        (:func:`public_holiday_days`) if false.

    Returns
    -------
    dict of datetime.date to str
        Closed local date → name of the rule or holiday, in date order.
    """
    days: dict[dt.date, str] = {}
    pick = port_closure_days if port else public_holiday_days
    for year in years:
        for day, name in pick(country, year).items():
            days.setdefault(day, name)
    return dict(sorted(days.items()))
