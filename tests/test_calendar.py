"""Operating calendars: shifts, night shifts, holidays, time zones and local days.

Holidays from the ``holidays`` package through the port-closure table are checked against the
closure dates the sources report, and against the library itself.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

import corridor_sim as cs
from corridor_sim.engine.calendar import OperatingCalendar
from corridor_sim.holiday_closures import (
    CLOSURE_RULES,
    COUNTRIES,
    port_closure_days,
    public_holiday_days,
)
from corridor_sim.scenario.schema import Calendar, clock_hours

START = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)  # a Wednesday
WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HORIZON = 24 * 21
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # shared/ beside the repo
FACTS = {"S": DATA / "corridor_facts.md", "C": DATA / "cost_space_carbon_facts.md"}
START_OCT1_UTC = (dt.datetime(2025, 10, 1, tzinfo=dt.timezone.utc) - START).total_seconds() / 3600
START_MAY9_UTC = (dt.datetime(2025, 5, 9, tzinfo=dt.timezone.utc) - START).total_seconds() / 3600


def make(start: dt.datetime = START, horizon: float = HORIZON, **calendar) -> OperatingCalendar:
    return OperatingCalendar(Calendar(**calendar), start, horizon)


def shift(days, open_, close) -> dict:
    return {"days": days, "open": open_, "close": close}


def utc_offset_hours(zone: str, when: dt.datetime = START) -> float:
    return when.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() / 3600


def test_start_is_a_wednesday():
    assert START.weekday() == WEEK.index("wed")


# --------------------------------------------------------------------------- round the clock


def test_always_open_is_open_everywhere():
    cal = make(always_open=True)
    for t in (0.0, 0.5, 23.99, 24.0, 100.3, HORIZON - 1e-6):
        assert cal.is_open(t)
        assert cal.next_open(t) == t
    assert cal.open_hours(3.0, 10.0) == pytest.approx(7.0)
    assert cal.open_hours(0.0, HORIZON) == pytest.approx(HORIZON)


def test_always_open_with_closed_dates_closes_those_days():
    cal = make(always_open=True, closed_dates=[dt.date(2025, 1, 2), dt.date(2025, 1, 4)])
    assert cal.is_open(23.99)
    assert not cal.is_open(24.0)
    assert not cal.is_open(47.99)
    assert cal.is_open(48.0)
    assert cal.next_open(30.0) == pytest.approx(48.0)
    assert cal.next_open(72.0) == pytest.approx(96.0)
    assert cal.open_hours(0.0, 24 * 5) == pytest.approx(24 * 3)


def test_always_open_closed_dates_are_local_dates():
    # 2 January in Shanghai (UTC+8) is 1 Jan 16:00 UTC to 2 Jan 16:00 UTC
    cal = make(always_open=True, closed_dates=[dt.date(2025, 1, 2)], timezone="Asia/Shanghai")
    assert cal.is_open(15.99)
    assert not cal.is_open(16.0)
    assert not cal.is_open(39.99)
    assert cal.next_open(20.0) == pytest.approx(40.0)
    assert cal.open_hours(0.0, 72.0) == pytest.approx(48.0)


# --------------------------------------------------------------------------- shifts


def test_weekday_shifts():
    cal = make(shifts=[shift(["mon", "tue", "wed", "thu", "fri"], "09:00", "18:00")])
    assert not cal.is_open(8.99)
    assert cal.is_open(9.0)
    assert cal.is_open(17.99)
    assert not cal.is_open(18.0)
    # Wed 1, Thu 2, Fri 3 open; Sat 4 and Sun 5 closed; Mon 6 opens at 09:00
    assert cal.next_open(18.0) == pytest.approx(24 + 9)
    assert cal.next_open(2 * 24 + 18) == pytest.approx(5 * 24 + 9)
    assert cal.open_hours(0.0, 7 * 24) == pytest.approx(5 * 9)


def test_saturday_short_shift_and_sunday_closed():
    cal = make(shifts=[shift(["mon", "tue", "wed", "thu", "fri"], "09:00", "18:00"),
                       shift(["sat"], "09:00", "14:00")])
    saturday = 3 * 24
    assert cal.is_open(saturday + 13.5)
    assert not cal.is_open(saturday + 14.0)
    assert not cal.is_open(saturday + 24 + 12)  # Sunday noon
    assert cal.open_hours(0.0, 7 * 24) == pytest.approx(5 * 9 + 5)


def test_night_shift_crosses_midnight():
    cal = make(shifts=[shift(["wed"], "22:00", "06:00")])
    assert not cal.is_open(21.99)
    assert cal.is_open(22.0)
    assert cal.is_open(24.0)      # Thursday 00:00
    assert cal.is_open(29.99)     # Thursday 05:59
    assert not cal.is_open(30.0)  # Thursday 06:00
    assert cal.next_open(30.0) == pytest.approx(7 * 24 + 22)
    assert cal.open_hours(0.0, 7 * 24) == pytest.approx(8.0)


def test_night_shift_of_the_day_before_the_start_is_open_at_the_start():
    cal = make(shifts=[shift(WEEK, "20:00", "04:00")])
    assert cal.is_open(0.0)
    assert cal.is_open(3.99)
    assert not cal.is_open(4.0)
    assert cal.next_open(4.0) == pytest.approx(20.0)
    assert cal.open_hours(0.0, 48.0) == pytest.approx(4 + 8 + 4)


def test_close_at_midnight_and_adjacent_shifts_merge():
    cal = make(shifts=[shift(WEEK, "06:00", "14:00"), shift(WEEK, "14:00", "24:00")])
    assert cal.is_open(14.0)
    assert cal.next_open(14.0) == 14.0
    assert cal.is_open(23.99)
    assert not cal.is_open(24.0)
    assert cal.next_open(24.0) == pytest.approx(30.0)
    assert cal.open_hours(0.0, 24.0) == pytest.approx(18.0)


def test_equal_open_and_close_is_a_full_day():
    cal = make(shifts=[shift(["wed"], "08:00", "08:00")])
    assert cal.is_open(8.0) and cal.is_open(31.99)
    assert not cal.is_open(32.0)
    assert cal.open_hours(0.0, 7 * 24) == pytest.approx(24.0)


def test_closed_dates_remove_shifts():
    cal = make(shifts=[shift(WEEK, "09:00", "18:00")],
               closed_dates=[dt.date(2025, 1, 2), dt.date(2025, 1, 3)])
    assert cal.is_open(12.0)
    assert not cal.is_open(24 + 12)
    assert not cal.is_open(48 + 12)
    assert cal.next_open(18.0) == pytest.approx(72 + 9)
    assert cal.open_hours(0.0, 5 * 24) == pytest.approx(3 * 9)


@pytest.mark.parametrize("t", [0.0, 8.0, 9.0, 12.5, 18.0, 40.0, 100.0, 200.7])
def test_next_open_is_open_and_nothing_opens_before_it(t):
    cal = make(shifts=[shift(["mon", "wed", "fri"], "09:00", "18:00"),
                       shift(["sat"], "22:00", "02:00")], timezone="Asia/Almaty")
    nxt = cal.next_open(t)
    assert nxt >= t
    assert cal.is_open(nxt)
    assert cal.open_hours(t, nxt) == pytest.approx(0.0)
    if cal.is_open(t):
        assert nxt == t


def test_next_open_past_the_table_is_infinite():
    cal = make(shifts=[shift(WEEK, "09:00", "18:00")], horizon=48.0)
    assert cal.next_open(24 * 400) == math.inf


@pytest.mark.parametrize(("a", "b", "hours"), [
    (0.0, 24.0, 9.0), (10.0, 12.0, 2.0), (8.0, 10.0, 1.0), (17.5, 33.0, 0.5),
    (0.0, 0.0, 0.0), (18.0, 33.0, 0.0), (12.0, 36.0, 6.0 + 3.0),
])
def test_open_hours(a, b, hours):
    cal = make(shifts=[shift(WEEK, "09:00", "18:00")])
    assert cal.open_hours(a, b) == pytest.approx(hours)


# --------------------------------------------------------------------------- local days


@pytest.mark.parametrize(("zone", "midnight_utc"), [
    ("UTC", 0.0), ("Asia/Shanghai", 16.0), ("Asia/Almaty", 24 - utc_offset_hours("Asia/Almaty")),
])
def test_day_index_changes_at_local_midnight(zone, midnight_utc):
    cal = make(always_open=True, timezone=zone)
    for day in range(5):
        t = midnight_utc + 24 * day
        assert cal.day_index(t) == cal.day_index(t - 1e-6) + 1
        assert cal.day_index(t + 23.99) == cal.day_index(t)
        assert cal.day_start(cal.day_index(t)) == pytest.approx(t)
        assert cal.day_start(cal.day_index(t) + 1) == pytest.approx(t + 24)


def test_day_start_past_the_table_is_infinite():
    cal = make(always_open=True, horizon=48.0)
    assert cal.day_start(10_000) == math.inf
    assert cal.day_start(-1) == math.inf


# --------------------------------------------------------------------------- time zones


def test_zoneinfo_gives_almaty_utc_plus_5_in_2025():
    offset = utc_offset_hours("Asia/Almaty", dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc))
    if offset == 6:
        pytest.skip("the tz database predates 2024a, when Kazakhstan moved to UTC+5")
    assert offset == 5
    assert utc_offset_hours("Asia/Shanghai") == 8


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "Asia/Almaty"])
def test_shift_opens_at_the_right_utc_hour(zone):
    offset = utc_offset_hours(zone)
    cal = make(shifts=[shift(WEEK, "09:00", "18:00")], timezone=zone)
    opens = (9 - offset) % 24
    for day in range(1, 8):
        t = 24 * day + opens
        assert not cal.is_open(t - 1e-6)
        assert cal.is_open(t)
        assert cal.is_open(t + 8.99)
        assert not cal.is_open(t + 9)
    assert cal.open_hours(24.0, 24.0 * 8) == pytest.approx(7 * 9)


def test_shanghai_shift_opens_at_01_utc_and_almaty_at_04_utc():
    shanghai = make(shifts=[shift(WEEK, "09:00", "18:00")], timezone="Asia/Shanghai")
    assert shanghai.next_open(0.0) == pytest.approx(1.0)
    assert shanghai.next_open(10.0) == pytest.approx(25.0)
    if utc_offset_hours("Asia/Almaty") != 5:
        pytest.skip("the tz database predates 2024a")
    almaty = make(shifts=[shift(WEEK, "09:00", "18:00")], timezone="Asia/Almaty")
    assert almaty.next_open(0.0) == pytest.approx(4.0)
    assert almaty.next_open(13.0) == pytest.approx(28.0)


def test_start_with_a_time_of_day_shifts_model_time():
    start = dt.datetime(2025, 1, 1, 6, 0, tzinfo=dt.timezone.utc)
    cal = make(start=start, shifts=[shift(WEEK, "09:00", "18:00")], timezone="Asia/Shanghai")
    # 09:00 in Shanghai is 01:00 UTC, 19 model hours after 06:00 UTC
    assert cal.is_open(0.0)       # 14:00 in Shanghai
    assert not cal.is_open(4.0)   # 18:00 in Shanghai
    assert cal.next_open(4.0) == pytest.approx(19.0)


# --------------------------------------------------------------------------- schema


@pytest.mark.parametrize(("text", "hours"), [("00:00", 0.0), ("09:30", 9.5), ("7:15", 7.25),
                                             ("24:00", 24.0)])
def test_clock_hours(text, hours):
    assert clock_hours(text) == hours


@pytest.mark.parametrize("text", ["25:00", "24:30", "9:60", "noon", "0900", ""])
def test_bad_clock_times(text):
    with pytest.raises(ValueError, match="clock time"):
        clock_hours(text)


@pytest.mark.parametrize(("spec", "fragment"), [
    ({}, "needs shifts, or always_open"),
    ({"always_open": True, "shifts": [shift(["mon"], "09:00", "18:00")]}, "either"),
    ({"shifts": [shift(["mon"], "09:00", "25:00")]}, "clock time"),
    ({"shifts": [shift(["mo"], "09:00", "18:00")]}, "mon"),
    ({"shifts": [shift([], "09:00", "18:00")]}, "at least 1"),
    ({"always_open": True, "timezone": "Asia/Almati"}, "unknown time zone"),
    ({"always_open": True, "timezone": "Asia"}, "unknown time zone"),
    ({"always_open": True, "closed_dates": ["2025-02-30"]}, "closed_dates"),
])
def test_invalid_calendars(spec, fragment):
    with pytest.raises(ValidationError, match=fragment):
        Calendar(**spec)


def test_shifts_follow_daylight_saving_time():
    # Berlin moves from UTC+1 to UTC+2 on Sunday 30 March 2025 at 02:00 local time
    start = dt.datetime(2025, 3, 28, tzinfo=dt.timezone.utc)
    cal = make(start=start, shifts=[shift(WEEK, "09:00", "18:00")], timezone="Europe/Berlin")
    assert cal.next_open(0.0) == pytest.approx(8.0)             # Fri 28: 09:00 = 08:00 UTC
    assert cal.next_open(24.0 * 2) == pytest.approx(48 + 7.0)   # Sun 30: 09:00 = 07:00 UTC
    assert cal.open_hours(0.0, 24.0 * 4) == pytest.approx(4 * 9)
    # the night of the change is an hour short
    night = make(start=start, shifts=[shift(WEEK, "01:00", "03:00")], timezone="Europe/Berlin")
    assert night.open_hours(24.0 * 2 - 2, 24.0 * 2 + 12) == pytest.approx(1.0)
    days = make(start=start, always_open=True, timezone="Europe/Berlin")
    sunday = days.day_index(24.0 * 2 + 12)
    assert days.day_start(sunday + 1) - days.day_start(sunday) == pytest.approx(23.0)


def test_calendars_do_not_depend_on_the_machine_time_zone(monkeypatch):
    import time

    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is not available on this platform")
    spec = {"shifts": [shift(["mon", "tue", "wed", "thu", "fri"], "09:00", "18:00")],
            "closed_dates": [dt.date(2025, 1, 2)], "timezone": "Asia/Almaty"}
    here = make(**spec)
    try:
        for zone in ("America/New_York", "Asia/Tokyo"):
            monkeypatch.setenv("TZ", zone)
            time.tzset()
            there = make(**spec)
            assert there.starts.tolist() == here.starts.tolist()
            assert there.ends.tolist() == here.ends.tolist()
            assert there.day_index(100.0) == here.day_index(100.0)
    finally:
        monkeypatch.undo()
        time.tzset()


# --------------------------------------------------------------------------- holidays


def _span(day: dt.date, zone: str, start: dt.datetime = START) -> tuple[float, float]:
    """Model hours of a local day in a zone, computed independently of the engine."""
    a = dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone))
    b = a + dt.timedelta(days=1)
    return tuple((x.astimezone(dt.timezone.utc) - start).total_seconds() / 3600 for x in (a, b))


@pytest.mark.parametrize("rule", CLOSURE_RULES, ids=lambda r: f"{r.country}-{r.name}")
def test_each_rule_gives_back_every_reported_closure(rule):
    for day in rule.reported:
        closed = {d for y in (day.year - 1, day.year, day.year + 1)
                  for d, name in port_closure_days(rule.country, y).items() if name == rule.name}
        assert day in closed, f"{rule.name} {day} ({', '.join(rule.sources)}) not closed"


def test_rules_cite_sources_that_exist_and_name_library_holidays():
    facts = {kind: path.read_text() for kind, path in FACTS.items() if path.exists()}
    for rule in CLOSURE_RULES:
        assert rule.sources and all(s[0] in "SC" and s[1:].isdigit() for s in rule.sources)
        assert rule.reported and rule.offsets_days
        for source in rule.sources:
            if source[0] in facts:
                assert re.search(rf"\b{source}\b", facts[source[0]]), source
        names = {n for y in range(2024, 2027)
                 for n in public_holiday_days(rule.country, y).values()}
        assert rule.holiday in names, f"the holidays package has no {rule.holiday!r}"


# Closure days worked out by hand from published holiday dates (lunar new year 10 Feb 2024,
# 29 Jan 2025, 17 Feb 2026; Dragon Boat 10 Jun 2024, 31 May 2025, 19 Jun 2026; Mid-Autumn
# 17 Sep 2024, 6 Oct 2025, 25 Sep 2026) and the closure table (eve to day 2; festival day;
# 1–3 October; 1, 7, 9 May).
EXPECTED_CN = {
    2024: ["2024-02-09", "2024-02-10", "2024-02-11", "2024-06-10", "2024-09-17",
           "2024-10-01", "2024-10-02", "2024-10-03"],
    2025: ["2025-01-28", "2025-01-29", "2025-01-30", "2025-05-31", "2025-10-01",
           "2025-10-02", "2025-10-03", "2025-10-06"],
    2026: ["2026-02-16", "2026-02-17", "2026-02-18", "2026-06-19", "2026-09-25",
           "2026-10-01", "2026-10-02", "2026-10-03"],
}


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_closure_days_2024_to_2026(year):
    assert [str(d) for d in port_closure_days("CN", year)] == EXPECTED_CN[year]
    assert [str(d) for d in port_closure_days("KZ", year)] == [f"{year}-05-01", f"{year}-05-07",
                                                               f"{year}-05-09"]


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_closure_days_follow_the_library(year):
    import holidays

    for country in COUNTRIES:
        listed = holidays.country_holidays(country, years=year, language="en_US")
        for rule in (r for r in CLOSURE_RULES if r.country == country):
            first = min(listed.get_named(rule.holiday, lookup="exact"))
            days = {d for d, name in port_closure_days(country, year).items() if name == rule.name}
            assert days == {first + dt.timedelta(days=k) for k in rule.offsets_days}
        # every closure day is a public holiday of the country, or the eve of one
        for day in port_closure_days(country, year):
            assert day in listed or day + dt.timedelta(days=1) in listed
        assert set(public_holiday_days(country, year)) == set(listed)


def test_no_closure_in_years_without_the_public_holiday():
    # Dragon Boat and Mid-Autumn became Chinese public holidays in 2008
    names = set(port_closure_days("CN", 2005).values())
    assert names == {"Spring Festival", "National Day"}
    assert "Dragon Boat" in set(port_closure_days("CN", 2008).values())


def test_unknown_country_is_refused():
    with pytest.raises(ValueError, match="unknown country 'RU'"):
        port_closure_days("RU", 2025)


def test_kz_and_cn_closures_fall_on_their_own_countries_hours():
    # Victory Day 9 May 2025 in Almaty (UTC+5) and National Day 1 Oct 2025 in Beijing (UTC+8)
    cal = make(horizon=24 * 300, always_open=True, port_closures=["CN", "KZ"], timezone="UTC")
    spans = {(round(a, 6), round(b, 6)) for a, b in cal.closures}
    may9 = _span(dt.date(2025, 5, 9), "Asia/Almaty")
    oct1 = _span(dt.date(2025, 10, 1), "Asia/Shanghai")
    assert oct1 == (START_OCT1_UTC - 8, START_OCT1_UTC + 16)
    assert may9 in spans  # a closure of its own
    assert (oct1[0], oct1[0] + 72) in spans  # 1–3 October in one piece
    for t, open_ in [(may9[0] - 1e-6, True), (may9[0], False), (may9[1] - 1e-6, False),
                     (may9[1], True), (oct1[0] - 1e-6, True), (oct1[0], False),
                     (oct1[0] + 72 - 1e-6, False), (oct1[0] + 72, True)]:
        assert cal.is_open(t) is open_, t
    if utc_offset_hours("Asia/Almaty", dt.datetime(2025, 5, 9, tzinfo=dt.timezone.utc)) == 5:
        assert may9 == (START_MAY9_UTC - 5, START_MAY9_UTC + 19)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Almaty", "Asia/Shanghai", "America/New_York"])
def test_both_sides_close_over_the_same_utc_hours_whatever_their_zone(zone):
    here = make(horizon=24 * 365, always_open=True, port_closures=["CN", "KZ"],
                timezone="Asia/Shanghai")
    there = make(horizon=24 * 365, always_open=True, port_closures=["CN", "KZ"], timezone=zone)
    assert here.closures == there.closures
    assert len(here.closures) == 7  # 28–30 Jan, 1 May, 7 May, 9 May, 31 May, 1–3 Oct, 6 Oct
    total = sum(b - a for a, b in here.closures)
    assert total == pytest.approx(24 * 11)
    assert here.open_hours(0, 24 * 365) == pytest.approx(24 * (365 - 11))


def test_closures_cut_shifts_in_another_zone():
    # Nur Zholy on 09:00–21:00 Almaty shifts; China's 1–3 Oct closure (Beijing days) removes
    # the shifts of 1–3 October Almaty time, and a CN closure starting at 21:00 Almaty on
    # 30 September does not touch the shift ending at 21:00 (16:00 UTC) that day.
    cal = make(horizon=24 * 300, shifts=[shift(WEEK, "09:00", "21:00")], port_closures=["CN"],
               timezone="Asia/Almaty")
    oct1 = _span(dt.date(2025, 10, 1), "Asia/Shanghai")
    offset = utc_offset_hours("Asia/Almaty", dt.datetime(2025, 10, 1, tzinfo=dt.timezone.utc))
    if offset != 5:
        pytest.skip("the tz database predates 2024a, when Kazakhstan moved to UTC+5")
    sep30_opens = _span(dt.date(2025, 9, 30), "Asia/Almaty")[0] + 9
    assert sep30_opens + 12 == pytest.approx(oct1[0])  # 21:00 Almaty is 00:00 Beijing
    assert cal.open_hours(sep30_opens, sep30_opens + 12) == pytest.approx(12)
    assert cal.open_hours(oct1[0], oct1[0] + 72) == pytest.approx(0)
    oct4_open = _span(dt.date(2025, 10, 4), "Asia/Almaty")[0] + 9
    assert cal.next_open(oct1[0]) == pytest.approx(oct4_open)
    assert oct4_open == pytest.approx(oct1[0] + 72 + 8 - offset + 9)


def test_open_dates_keep_a_closure_open_and_closed_dates_add_one():
    base = make(horizon=24 * 300, always_open=True, port_closures=["CN"], timezone="Asia/Shanghai")
    alt = make(horizon=24 * 300, always_open=True, port_closures=["CN"], timezone="Asia/Shanghai",
               open_dates=[dt.date(2025, 10, 6)], closed_dates=[dt.date(2025, 10, 7)])
    oct6 = _span(dt.date(2025, 10, 6), "Asia/Shanghai")
    assert not base.is_open(oct6[0] + 1) and base.is_open(oct6[1] + 1)
    assert alt.is_open(oct6[0] + 1) and not alt.is_open(oct6[1] + 1)
    assert alt.open_hours(0, 24 * 300) == pytest.approx(base.open_hours(0, 24 * 300))


def test_open_dates_reopen_a_day_both_countries_close():
    cal = make(horizon=24 * 200, always_open=True, public_holidays=["CN", "KZ"],
               open_dates=[dt.date(2025, 5, 1)], timezone="Asia/Almaty")
    # 1 May is Labour Day in China and Unity Day in Kazakhstan; 2 May is Labour Day too
    cn_may1 = _span(dt.date(2025, 5, 1), "Asia/Shanghai")
    kz_may1 = _span(dt.date(2025, 5, 1), "Asia/Almaty")
    assert cal.open_hours(*cn_may1) == pytest.approx(24)
    assert not cal.is_open(cn_may1[1])
    assert not cal.is_open(kz_may1[1] + 1)
    kept = make(horizon=24 * 200, always_open=True, public_holidays=["CN", "KZ"],
                timezone="Asia/Almaty")
    assert kept.open_hours(cn_may1[0], kz_may1[1]) == pytest.approx(0)


def test_public_holidays_close_every_library_holiday_days_in_lieu_too():
    cal = make(horizon=24 * 365, always_open=True, public_holidays=["KZ"], timezone="Asia/Almaty")
    listed = public_holiday_days("KZ", 2025)
    # Nauryz 21–25 March 2025 (two days in lieu): no port closure, but public holidays
    assert [str(d) for d in listed if d.month == 3 and d.day >= 21] == [
        "2025-03-21", "2025-03-22", "2025-03-23", "2025-03-24", "2025-03-25"]
    year = 24 * 365
    assert year - cal.open_hours(0, year) == pytest.approx(24 * len(listed))


def test_calendars_without_holidays_are_unchanged_by_the_feature():
    plain = make(horizon=24 * 365, always_open=True, closed_dates=[dt.date(2025, 10, 1)],
                 timezone="Asia/Shanghai")
    assert plain.closures == []
    assert not plain.always_open
    assert make(always_open=True).always_open
    assert not make(always_open=True, port_closures=["KZ"]).always_open


def test_port_closures_equal_the_same_days_listed_by_hand():
    days = list(port_closure_days("CN", 2025))
    by_hand = make(horizon=24 * 365, always_open=True, closed_dates=days, timezone="Asia/Shanghai")
    table = make(horizon=24 * 365, always_open=True, port_closures=["CN"],
                 timezone="Asia/Shanghai")
    assert table.starts.tolist() == pytest.approx(by_hand.starts.tolist())
    assert table.ends.tolist() == pytest.approx(by_hand.ends.tolist())


@pytest.mark.parametrize(("spec", "fragment"), [
    ({"port_closures": ["RU"]}, "'CN' or 'KZ'"),
    ({"port_closures": ["CN", "CN"]}, "CN listed more than once"),
    ({"public_holidays": ["cn"]}, "'CN' or 'KZ'"),
    ({"open_dates": ["2025-10-06"]}, "give one of them"),
    ({"port_closures": ["CN"], "open_dates": ["2025-10-05"]},
     "2025-10-05 in open_dates is not a closure day of CN.*2025-10-06"),
    ({"port_closures": ["CN"], "open_dates": ["2025-10-06"], "closed_dates": ["2025-10-06"]},
     "in both closed_dates and open_dates"),
])
def test_invalid_holiday_settings(spec, fragment):
    with pytest.raises(ValidationError, match=fragment):
        Calendar(always_open=True, **spec)


def test_old_hand_listed_form_still_loads_and_runs(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text(
        "name: old\nhorizon_days: 3\n"
        "calendars:\n"
        "  cn: {always_open: true, closed_dates: [2025-01-02], timezone: Asia/Shanghai}\n"
        "nodes:\n"
        "  a: {kind: city}\n"
        "  cp: {kind: checkpoint, mode: road, calendar: cn, lanes: {general: 2},\n"
        "       service_time: {dist: constant, hours: 0.5}}\n"
        "  b: {kind: city}\n"
        "links:\n"
        "  - {from: a, to: cp, mode: road, distance_km: 1, speed_kmh: 10}\n"
        "  - {from: cp, to: b, mode: road, distance_km: 1, speed_kmh: 10}\n"
        "commodities: {general: {unit: teu}}\n"
        "demand: [{origin: a, destination: b, commodity: general, per_day: 24}]\n")
    sc = cs.load_scenario(path)
    cal = sc.calendars["cn"]
    assert cal.closed_dates == [dt.date(2025, 1, 2)]
    assert cal.port_closures == [] and cal.open_dates == []
    res = cs.run(sc, replications=1, seed=1)
    assert res.summary().loc["cp.vehicles_per_day", "mean"] > 0


def test_bundled_road_calendars_close_on_both_countries_days():
    sc = cs.load_scenario("baseline")
    for name in ("kz_road_24h", "cn_road_24h"):
        cal = sc.calendars[name]
        assert cal.port_closures == ["CN", "KZ"] and not cal.closed_dates
        names = {n for days in cal.holiday_closures(range(2025, 2026)).values()
                 for n in days.values()}
        assert {"Dragon Boat", "Mid-Autumn", "Spring Festival", "National Day"} <= names
    nur = OperatingCalendar(sc.calendars["kz_road_24h"], sc.start_utc, sc.horizon_hours)
    khorgos = OperatingCalendar(sc.calendars["cn_road_24h"], sc.start_utc, sc.horizon_hours)
    assert nur.closures == khorgos.closures
    assert nur.open_hours(0, sc.horizon_hours) == pytest.approx(sc.horizon_hours - 24 * 11)


def test_bad_holiday_setting_in_a_file_names_file_line_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("extends: baseline.yaml\nname: bad\ncalendars:\n"
                    "  kz_road_24h: {open_dates: [2025-10-05]}\n")
    with pytest.raises(cs.ScenarioError) as err:
        cs.load_scenario(path)
    text = str(err.value)
    assert "bad.yaml:4" in text and "calendars.kz_road_24h" in text
    assert "2025-10-05 in open_dates is not a closure day of CN, KZ" in text


def test_open_interval_and_day_bounds_agree_with_the_point_lookups():
    import datetime as dt

    import numpy as np

    from corridor_sim.engine.calendar import OperatingCalendar
    from corridor_sim.scenario.schema import Calendar

    start = dt.datetime(2025, 3, 25, tzinfo=dt.timezone.utc)  # across a DST change
    cal = OperatingCalendar(Calendar(shifts=[{"days": ["mon", "tue", "wed", "thu", "fri"],
                                              "open": "08:00", "close": "20:00"}],
                                     timezone="Europe/Berlin",
                                     closed_dates=[dt.date(2025, 3, 28)]), start, 24 * 20)
    for t in np.arange(-30.0, 24 * 22, 0.7).tolist():
        interval = cal.open_interval(t)
        assert (interval is not None) == cal.is_open(t)
        if interval is not None:
            assert interval[0] <= t < interval[1]
            assert cal.is_open(interval[0]) and not cal.is_open(interval[1])
        day, lo, hi = cal.day_bounds(t)
        assert day == cal.day_index(t) and lo <= t < hi
        assert cal.day_index(hi) == day + 1 or hi == float("inf")
