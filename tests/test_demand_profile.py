"""Time of day and growth in demand: ``hourly``, ``hourly_timezone`` and ``growth_per_year``.

The arrival generator is checked against Poisson theory (counts by hour against the weights by
chi-square; totals and year-on-year ratios against the integral of the intensity, within a few
Poisson standard deviations), with fixed seeds so a run is repeatable; every bound can fail.
The expected counts are computed here independently (pandas time stamps on a fine grid, or the
closed form of the compounding), not by the code under test.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import corridor_sim as cs
from corridor_sim.checks import estimate, scenario_warnings
from corridor_sim.engine.demand import arrival_times, local_hour_of_day
from corridor_sim.errors import ScenarioError
from corridor_sim.scenario import scenario_from_dict
from corridor_sim.scenario.schema import Demand

START = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
YEAR_H = 365 * 24.0
# A road gate's day: quiet nights, a morning peak and an afternoon shoulder (shape only).
PROFILE = [0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 1.0, 1.8, 2.4, 2.2, 1.8, 1.5,
           1.4, 1.5, 1.6, 1.6, 1.5, 1.2, 1.0, 0.8, 0.6, 0.4, 0.3, 0.2]


def flow(**extra) -> Demand:
    rate = {} if "per_year" in extra else {"per_day": 240.0}
    return Demand(origin="a", destination="b", commodity="c", **{**rate, **extra})


def draw(f: Demand, horizon_hours: float, seed: int = 11, start: dt.datetime = START
         ) -> np.ndarray:
    return arrival_times(f, np.random.default_rng(seed), start, horizon_hours)


def hour_counts(times: np.ndarray, zone: str, start: dt.datetime = START) -> np.ndarray:
    """Arrivals by local hour, with pandas (an oracle independent of the generator)."""
    stamps = pd.Timestamp(start) + pd.to_timedelta(times, unit="h")
    return np.bincount(stamps.tz_convert(zone).hour, minlength=24)


def chi2_p(counts: np.ndarray, weights: list[float]) -> float:
    expected = np.asarray(weights, float) / sum(weights) * counts.sum()
    return float(stats.chisquare(counts, expected).pvalue)


def within_poisson(count: float, mean: float, sigmas: float = 5.0) -> bool:
    return abs(count - mean) <= sigmas * np.sqrt(mean)


# --------------------------------------------------------------------------- hour of day


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "Asia/Kolkata"])
def test_counts_by_local_hour_follow_the_weights(zone):
    times = draw(flow(hourly=PROFILE, hourly_timezone=zone), 200 * 24.0)
    counts = hour_counts(times, zone)
    assert chi2_p(counts, PROFILE) > 1e-3
    # and the profile really moved them: against a flat day the same counts fail badly
    assert chi2_p(counts, [1.0] * 24) < 1e-12


def test_profile_follows_the_local_clock_not_utc():
    """Only 07:00–09:00 Beijing time (23:00–01:00 UTC): nothing at noon UTC."""
    weights = [0.0] * 24
    weights[7] = weights[8] = 1.0
    times = draw(flow(hourly=weights, hourly_timezone="Asia/Shanghai"), 60 * 24.0)
    utc = hour_counts(times, "UTC")
    assert set(np.flatnonzero(utc)) == {23, 0}
    assert utc[23] + utc[0] == len(times)


def test_a_profile_moves_arrivals_within_the_day_but_keeps_daily_volume():
    days = 300
    flat = draw(flow(), days * 24.0)
    peaked = draw(flow(hourly=PROFILE, hourly_timezone="Asia/Almaty"), days * 24.0, seed=12)
    for times in (flat, peaked):
        assert within_poisson(len(times), 240.0 * days)
        daily = np.bincount(np.floor(times / 24.0).astype(int), minlength=days)
        # each UTC day holds Poisson(240): dispersion index ≈ 1, as with no profile
        dispersion = daily.var(ddof=1) / daily.mean()
        lo, hi = stats.chi2.ppf([0.0005, 0.9995], days - 1) / (days - 1)
        assert lo < dispersion < hi


def test_hourly_composes_with_weekday_and_seasonality():
    """Counts by (UTC weekday, local hour) follow the product of the two profiles."""
    weekday = [2, 1, 1, 1, 1, 1, 0.5]
    f = flow(per_day=400.0, hourly=PROFILE, hourly_timezone="Asia/Shanghai", weekday=weekday,
             seasonality=[1.0] * 12)
    times = draw(f, 364 * 24.0)
    stamps = pd.Timestamp(START) + pd.to_timedelta(times, unit="h")
    # each UTC day covers every local hour once, so the grid is weekday × hour
    grid = pd.crosstab(stamps.day_of_week, stamps.tz_convert("Asia/Shanghai").hour)
    expected = np.outer(weekday, PROFILE)
    expected = expected / expected.sum() * len(times)
    p = stats.chisquare(grid.to_numpy().ravel(), expected.ravel()).pvalue
    assert p > 1e-3


def test_local_hour_of_day_matches_zoneinfo_across_daylight_saving():
    rng = np.random.default_rng(3)
    start = dt.datetime(2025, 3, 1, 0, 30, tzinfo=dt.timezone.utc)
    t = np.concatenate([rng.uniform(0, YEAR_H, 2000),
                        np.arange(0, YEAR_H, 0.25)])  # every quarter hour: each transition
    for zone in ("Europe/Berlin", "America/New_York", "Asia/Almaty", "Australia/Adelaide",
                 "Australia/Lord_Howe"):  # changes at half hours, and by half an hour
        tz = ZoneInfo(zone)
        want = [(start + dt.timedelta(hours=float(x))).astimezone(tz).hour for x in t[:2000]]
        got = local_hour_of_day(t, start, zone)
        np.testing.assert_array_equal(got[:2000], want)
        np.testing.assert_array_equal(got, hour_counts_index(t, zone, start))


def hour_counts_index(t: np.ndarray, zone: str, start: dt.datetime) -> np.ndarray:
    return (pd.Timestamp(start) + pd.to_timedelta(t, unit="h")).tz_convert(zone).hour.to_numpy()


# --------------------------------------------------------------------------- growth


def test_growth_over_two_years_matches_the_integral_and_the_yearly_ratio():
    g = 0.3
    f = flow(per_year=150_000.0, growth_per_year=g)
    times = draw(f, 2 * YEAR_H)
    # closed form: year k carries per_year × (1 + g)^k
    y1, y2 = 150_000.0, 150_000.0 * (1 + g)
    assert f.expected_shipments(2 * YEAR_H) == pytest.approx(y1 + y2)
    n1 = int((times < YEAR_H).sum())
    n2 = len(times) - n1
    assert within_poisson(n1, y1) and within_poisson(n2, y2)
    # ratio of two Poisson counts: relative sd ≈ sqrt(1/y1 + 1/y2)
    assert n2 / n1 == pytest.approx(1 + g, rel=5 * np.sqrt(1 / y1 + 1 / y2))
    # compounded continuously: the rate rises within the year too (last vs first month)
    month = YEAR_H / 12
    first, last = (times < month).sum(), ((times >= YEAR_H - month) & (times < YEAR_H)).sum()
    assert last / first == pytest.approx((1 + g) ** (11 / 12), rel=0.05)


def test_negative_growth_shrinks_the_flow():
    g = -0.4
    times = draw(flow(per_year=100_000.0, growth_per_year=g), 2 * YEAR_H, seed=5)
    n1 = int((times < YEAR_H).sum())
    assert within_poisson(n1, 100_000.0)
    assert within_poisson(len(times) - n1, 100_000.0 * (1 + g))
    assert times.max() < 2 * YEAR_H and np.all(np.diff(times) >= 0)


def test_growth_and_profiles_together_match_the_integral_of_the_intensity():
    season = [1.5, 1.2, 1, 1, 1, 0.8, 0.8, 1, 1, 1, 1.2, 0.5]
    weekday = [1.2, 1, 1, 1, 1, 0.9, 0.5]
    f = flow(per_day=300.0, growth_per_year=0.5, seasonality=season, weekday=weekday,
             hourly=PROFILE, hourly_timezone="Asia/Almaty")
    horizon = 400 * 24.0
    start = dt.datetime(2025, 5, 20, 6, tzinfo=dt.timezone.utc)
    # the intensity on a one-minute grid, from pandas calendars, integrated
    step = 1 / 60
    t = np.arange(0, horizon, step) + step / 2
    stamps = pd.Timestamp(start) + pd.to_timedelta(t, unit="h")
    lam = (300.0 / 24 * np.log1p(0.5) / 0.5 * 1.5 ** (t / YEAR_H)
           * (np.asarray(season) / np.mean(season))[stamps.month - 1]
           * (np.asarray(weekday) / np.mean(weekday))[stamps.day_of_week]
           * (np.asarray(PROFILE) / np.mean(PROFILE))[stamps.tz_convert("Asia/Almaty").hour])
    times = draw(f, horizon, start=start)
    assert within_poisson(len(times), lam.sum() * step)
    # and its shape: counts per 30-day block against the integral over the block
    block = (t // (30 * 24)).astype(int)
    want = np.bincount(block, weights=lam * step)
    got = np.bincount((times // (30 * 24)).astype(int), minlength=want.size)
    assert stats.chisquare(got, want / want.sum() * got.sum()).pvalue > 1e-3


def test_scenario_expected_shipments_and_the_estimate_count_growth(make_scenario):
    data = make_scenario.dict(horizon_days=730, warmup_days=1)
    data["demand"][0].update(per_day=100.0, growth_per_year=1.0)
    sc = scenario_from_dict(data)
    assert sc.expected_shipments() == pytest.approx(100 * 365 * 3)  # year 2 doubles year 1
    assert estimate(sc).shipments == pytest.approx(100 * 365 * 3)


def test_load_warning_sees_the_busiest_year(make_scenario):
    """One lane at ρ = 0.6 in year 1 grows past 1 in year 3; without growth, no warning."""
    data = make_scenario.dict(horizon_days=3 * 365, warmup_days=1, per_hour=0.6)
    assert not [w for w in scenario_warnings(scenario_from_dict(data)) if "overloaded" in w]
    data["demand"][0]["growth_per_year"] = 0.4  # year 3: 0.6 × 1.4² = 1.18
    warns = [w for w in scenario_warnings(scenario_from_dict(data)) if "overloaded" in w]
    assert len(warns) == 1 and "border" in warns[0]


def test_max_shipments_guard_counts_growth(make_scenario):
    data = make_scenario.dict(horizon_days=730, warmup_days=1, max_shipments=100_000)
    data["demand"][0].update(per_day=100.0)  # 73,000 without growth
    scenario_from_dict(data)
    data["demand"][0]["growth_per_year"] = 1.0  # 109,500 with it
    with pytest.raises(ScenarioError, match="max_shipments"):
        scenario_from_dict(data)


# --------------------------------------------------------------------------- through the model


def test_the_model_creates_shipments_by_the_profile(make_scenario):
    data = make_scenario.dict(horizon_days=60, warmup_days=1,
                              checkpoints={"border": make_scenario.checkpoint(lanes=20)})
    data["demand"][0].update(per_day=120.0, hourly=PROFILE, hourly_timezone="Asia/Almaty")
    res = cs.run(scenario_from_dict(data), replications=2, seed=4, keep="all")
    created = res.shipments["created_hours"].to_numpy()
    assert within_poisson(len(created), 2 * 120.0 * 60)
    assert chi2_p(hour_counts(created, "Asia/Almaty"), PROFILE) > 1e-3
    # the peak-hour KPI: p95 of hourly arrivals = p95 of the Poisson mixture over the hours
    rates = 120.0 / 24 * np.asarray(PROFILE) / np.mean(PROFILE)
    k = np.arange(200)
    mixture = stats.poisson.cdf(k[:, None], rates[None, :]).mean(axis=1)
    p95 = int(k[np.searchsorted(mixture, 0.95)])
    kpis = res.kpis
    assert (kpis["border.arrivals_per_hour.p95"] - p95).abs().max() <= 1.0
    assert (kpis["border.arrivals_per_hour.max"] >= kpis["border.arrivals_per_hour.p95"]).all()
    # a flat day of the same volume has a lower peak hour
    flat = stats.poisson.ppf(0.95, 120.0 / 24)
    assert p95 >= flat + 2


@settings(max_examples=40, deadline=None, derandomize=True)
@given(weights=st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0, 3.0]), min_size=24, max_size=24)
       .filter(lambda w: sum(w) > 0),
       zone=st.sampled_from(["UTC", "Asia/Almaty", "Europe/Berlin", "Australia/Lord_Howe"]),
       growth=st.one_of(st.none(), st.floats(-0.9, 10.0)),
       start_hours=st.floats(0.0, 24.0 * 365), horizon_days=st.floats(0.5, 400.0))
def test_any_profile_gives_sorted_times_in_open_hours_only(weights, zone, growth, start_hours,
                                                           horizon_days):
    start = START + dt.timedelta(hours=start_hours)
    f = flow(per_day=30.0, hourly=weights, hourly_timezone=zone, growth_per_year=growth)
    times = draw(f, horizon_days * 24.0, start=start)
    assert np.all(np.diff(times) >= 0)
    assert times.size == 0 or (times[0] >= 0 and times[-1] < horizon_days * 24.0)
    hours = hour_counts_index(times, zone, start)
    assert np.all(np.asarray(weights)[hours] > 0)  # never in an hour of weight 0


# --------------------------------------------------------------------------- defaults


def test_without_the_new_keys_the_draws_are_the_plain_poisson_draws():
    """No profile, no growth: a Poisson count, then that many sorted uniforms, as always."""
    f = flow()
    rng = np.random.default_rng(8)
    n = rng.poisson(240.0 / 24 * 500.0)
    np.testing.assert_array_equal(draw(f, 500.0, seed=8),
                                  np.sort(rng.uniform(0.0, 500.0, n)))


@pytest.mark.parametrize("extra", [{"growth_per_year": 0.0}, {"hourly_timezone": "Asia/Almaty"},
                                   {"hourly": [1.0] * 24}])
def test_neutral_settings_leave_the_draws_alone(extra):
    """Zero growth or a time zone alone change nothing; a flat profile keeps every arrival."""
    for base in ({}, {"weekday": [2, 1, 1, 1, 1, 1, 0.5]}):
        want = draw(flow(**base), 2000.0)
        np.testing.assert_array_equal(draw(flow(**base, **extra), 2000.0), want)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("change", "path", "fragment"), [
    ({"hourly": [1.0] * 23}, "demand[0].hourly", "24"),
    ({"hourly": [1.0] * 25}, "demand[0].hourly", "24"),
    ({"hourly": [1.0] * 3 + [-1.0] + [1.0] * 20}, "demand[0].hourly[3]", "0"),
    ({"hourly": [0.0] * 24}, "demand[0].hourly", "must not all be zero"),
    ({"hourly": "peaky"}, "demand[0].hourly", "list"),
    ({"hourly_timezone": "Asia/Almaty_"}, "demand[0].hourly_timezone", "unknown time zone"),
    ({"growth_per_year": -1.0}, "demand[0].growth_per_year", "-1"),
    ({"growth_per_year": 11}, "demand[0].growth_per_year", "10"),
    ({"growth_per_year": float("inf")}, "demand[0].growth_per_year", ""),
])
def test_bad_values_name_the_key(make_scenario, change, path, fragment):
    data = make_scenario.dict()
    data["demand"][0].update(change)
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    (problem,) = err.value.problems
    assert problem.path == path
    assert fragment in problem.message


# --------------------------------------------------------------------------- bundled scenario


def test_peak_hour_scenario_answers_its_question():
    """A daytime wave of the same daily trucks: a busier design hour and longer waits."""
    short = {"horizon_days": 16, "warmup_days": 2}
    wave = cs.bundled("nur_zholy_peak_hour")
    even = cs.bundled("baseline").with_changes({"start": wave.start.isoformat(), **short})
    cmp = cs.compare({"even": even, "wave": wave.with_changes(short)}, replications=1, seed=2)
    k = {name: res.kpis.iloc[0] for name, res in cmp.results.items()}
    gate = "nur_zholy_road.from[almaty]"
    assert k["wave"]["created"] == pytest.approx(k["even"]["created"], rel=0.03)
    assert k["wave"][f"{gate}.arrivals_per_hour.p95"] > k["even"][f"{gate}.arrivals_per_hour.p95"]
    assert k["wave"][f"{gate}.wait_hours.p95"] > 2 * k["even"][f"{gate}.wait_hours.p95"]
