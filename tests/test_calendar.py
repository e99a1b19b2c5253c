"""Operating calendars: shifts, night shifts, holidays, time zones and local days."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from corridor_sim.engine.calendar import OperatingCalendar
from corridor_sim.scenario.schema import Calendar, clock_hours

START = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)  # a Wednesday
WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HORIZON = 24 * 21


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
