"""Validation against queueing theory and the facility rules, with tolerances from CIs.

Every check compares an estimate across independent replications with a known value: the
confidence interval (99.9 %, Student t) must cover the value, widened only by a small share
for the start-up bias of a finite run, and must be narrow enough to have the power to catch a
wrong model. No seeded snapshots. The ``slow`` versions run longer with tighter tolerances.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

import corridor_sim as cs
from corridor_sim.choice import candidate_routes
from corridor_sim.stats import cobham_wait, erlang_c, erlang_c_wait

SEED = 20250101

# (servers, arrivals per hour, mean service [h]) — ρ from 0.6 to 0.75
MMC = [(1, 0.6, 1.0), (4, 3.0, 1.0), (2, 0.7, 2.0)]


def after_warmup(res) -> pd.DataFrame:
    """Visits that arrived after the warm-up."""
    v = res.visits
    return v[v["arrived_hours"] >= res.scenario.warmup_hours]


def mmc_scenario(make_scenario, servers, per_hour, service_hours, *, horizon_days,
                 green_priority=True, **kwargs):
    cp = make_scenario.checkpoint(lanes=servers, service=make_scenario.exponential(service_hours),
                                  green_priority=green_priority)
    return make_scenario(checkpoints={"border": cp}, per_hour=per_hour,
                         horizon_days=horizon_days, warmup_days=10, **kwargs)


# --------------------------------------------------------------------------- reference values


def test_erlang_c_reference_values():
    # M/M/1: P(wait) = ρ, W_q = ρ / (μ − λ)
    assert erlang_c(0.6, 1.0, 1) == pytest.approx(0.6)
    assert erlang_c_wait(0.6, 1.0, 1) == pytest.approx(1.5)
    # M/M/2: C = 2ρ² / (1 + ρ)
    assert erlang_c(1.6, 1.0, 2) == pytest.approx(2 * 0.8**2 / 1.8)
    assert erlang_c(3.0, 1.0, 4) == pytest.approx(0.5094, abs=1e-4)
    assert erlang_c_wait(5.0, 1.0, 4) == np.inf


def test_cobham_conserves_the_fcfs_mean_wait():
    rates, servers, service = [0.5, 1.0], 2, 1.0
    waits = cobham_wait(rates, service, servers)
    weighted = sum(r * w for r, w in zip(rates, waits, strict=True)) / sum(rates)
    assert weighted == pytest.approx(erlang_c_wait(sum(rates), service, servers))
    assert waits[0] < erlang_c_wait(sum(rates), service, servers) < waits[1]


# --------------------------------------------------------------------------- M/M/c


def _check_mmc(res, servers, per_hour, service_hours, ci_covers, **tol):
    expected = erlang_c_wait(per_hour, service_hours, servers)
    ci_covers(res.kpis["border.wait_hours.mean"], expected, what="mean wait", **tol)
    ci_covers(res.kpis["border.utilisation"], per_hour * service_hours / servers,
              what="utilisation", **tol)
    ci_covers(res.kpis["border.vehicles_per_day"], per_hour * 24, what="vehicles per day",
              **tol)
    # P(wait > 0) is Erlang C
    waited = after_warmup(res).groupby("replication")["wait_hours"].agg(lambda w: (w > 0).mean())
    ci_covers(waited, erlang_c(per_hour, service_hours, servers), what="P(wait)", **tol)


@pytest.mark.parametrize(("servers", "per_hour", "service_hours"), MMC)
def test_mmc_mean_wait_matches_erlang_c(make_scenario, ci_covers, servers, per_hour,
                                        service_hours):
    sc = mmc_scenario(make_scenario, servers, per_hour, service_hours, horizon_days=400)
    res = cs.run(sc, replications=16, seed=SEED, keep="all")
    _check_mmc(res, servers, per_hour, service_hours, ci_covers, max_rel_halfwidth=0.15)


@pytest.mark.slow
@pytest.mark.parametrize(("servers", "per_hour", "service_hours"),
                         [*MMC, (8, 6.0, 1.0), (3, 2.1, 1.0)])
def test_mmc_mean_wait_matches_erlang_c_tightly(make_scenario, ci_covers, servers, per_hour,
                                                service_hours):
    # about 50 000 arrivals per replication, at least 600 days
    horizon_days = max(600, round(50_000 / (24 * per_hour)))
    sc = mmc_scenario(make_scenario, servers, per_hour, service_hours,
                      horizon_days=horizon_days)
    res = cs.run(sc, replications=30, seed=SEED, workers=2, keep="all")
    _check_mmc(res, servers, per_hour, service_hours, ci_covers, rel_tol=0.01,
               max_rel_halfwidth=0.05)


def test_bundled_single_checkpoint_is_the_mm4_of_its_comment(ci_covers):
    sc = cs.bundled("single_checkpoint").with_changes({"horizon_days": 200,
                                                       "warmup_days": 20})
    res = cs.run(sc, replications=10, seed=SEED, keep="all")
    ci_covers(res.kpis["border.wait_hours.mean"], erlang_c_wait(3.6, 1.0, 4),
              max_rel_halfwidth=0.35, what="M/M/4 at ρ = 0.9")


# --------------------------------------------------------------------------- priority


def _two_class(make_scenario, green_priority, horizon_days):
    return mmc_scenario(
        make_scenario, 2, None, 1.0, horizon_days=horizon_days, green_priority=green_priority,
        commodities={"general": {"unit": "teu"},
                     "agri_fresh": {"unit": "tonne", "green_corridor": True}},
        demand=[make_scenario.flow("agri_fresh", per_hour=0.5),
                make_scenario.flow("general", per_hour=1.0)])


def _class_waits(res):
    return after_warmup(res).groupby(["replication", "commodity"], observed=True)[
        "wait_hours"].mean().unstack("commodity")


@pytest.mark.parametrize("green_priority", [True, False], ids=["priority", "fcfs"])
def test_two_classes_match_cobham_or_erlang_c(make_scenario, ci_covers, green_priority):
    res = cs.run(_two_class(make_scenario, green_priority, 400), replications=16, seed=SEED,
                 keep="all")
    waits = _class_waits(res)
    if green_priority:
        expected = cobham_wait([0.5, 1.0], 1.0, 2)
    else:
        expected = [erlang_c_wait(1.5, 1.0, 2)] * 2
    ci_covers(waits["agri_fresh"], expected[0], what="green class")
    ci_covers(waits["general"], expected[1], what="general class")
    if green_priority:
        assert (waits["agri_fresh"] < waits["general"]).all()


@pytest.mark.slow
@pytest.mark.parametrize("green_priority", [True, False], ids=["priority", "fcfs"])
def test_two_classes_match_cobham_or_erlang_c_tightly(make_scenario, ci_covers,
                                                      green_priority):
    res = cs.run(_two_class(make_scenario, green_priority, 2000), replications=30, seed=SEED,
                 workers=2, keep="all")
    waits = _class_waits(res)
    expected = (cobham_wait([0.5, 1.0], 1.0, 2) if green_priority
                else [erlang_c_wait(1.5, 1.0, 2)] * 2)
    for name, value in zip(["agri_fresh", "general"], expected, strict=True):
        ci_covers(waits[name], value, rel_tol=0.01, max_rel_halfwidth=0.05, what=name)


# --------------------------------------------------------------------------- Little's law


def test_littles_law(make_scenario, ci_covers):
    servers, per_hour = 2, 1.6
    sc = mmc_scenario(make_scenario, servers, per_hour, 1.0, horizon_days=400)
    res = cs.run(sc, replications=16, seed=SEED, keep="all")
    k = res.kpis
    window_hours = sc.horizon_hours - sc.warmup_hours
    arrivals = after_warmup(res).groupby("replication").size() / window_hours
    little = arrivals * k["border.wait_hours.mean"]
    # path by path, L = λ W up to the edges of the window
    np.testing.assert_allclose(k["border.queue_length.mean"], little, rtol=0.02)
    # and across replications, L covers λ W_q of the theory
    ci_covers(k["border.queue_length.mean"], per_hour * erlang_c_wait(per_hour, 1.0, servers),
              what="L")


# --------------------------------------------------------------------------- calendars


def _saturated(make_scenario, calendar):
    cp = make_scenario.checkpoint(lanes=2, service=make_scenario.exponential(0.25),
                                  calendar="hours")
    return make_scenario(checkpoints={"border": cp}, per_hour=25.0, horizon_days=20,
                         warmup_days=2, calendars={"hours": calendar})


@pytest.mark.filterwarnings("ignore:.*MSER-5")  # overloaded on purpose: no steady state
def test_shift_closures_halve_saturated_throughput(make_scenario, ci_covers):
    full = cs.run(_saturated(make_scenario, {"always_open": True}), replications=8, seed=SEED,
                  keep="all")
    half = cs.run(_saturated(make_scenario, {"shifts": [make_scenario.every_day("08:00",
                                                                                "20:00")]}),
                  replications=8, seed=SEED, keep="all")
    capacity_per_day = 2 / 0.25 * 24
    full_vpd = full.kpis["border.vehicles_per_day"]
    half_vpd = half.kpis["border.vehicles_per_day"]
    ci_covers(full_vpd, capacity_per_day, max_rel_halfwidth=0.05, what="24 h")
    ratio = half_vpd.mean() / full_vpd.mean()
    # 12 of 24 hours, plus the vehicle each lane finishes after closing (~1 %)
    assert 0.48 <= ratio <= 0.53, ratio
    assert half.kpis["border.utilisation"].mean() == pytest.approx(1.0, abs=0.05)


def _utc_window(zone: str, open_h: float, close_h: float) -> tuple[float, float]:
    offset = (dt.datetime(2025, 1, 1, tzinfo=ZoneInfo(zone)).utcoffset().total_seconds()
              / 3600)
    return (open_h - offset) % 24, (close_h - offset) % 24


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Asia/Almaty", "UTC"])
def test_service_starts_only_in_local_opening_hours(make_scenario, zone):
    cp = make_scenario.checkpoint(lanes=2, service=make_scenario.exponential(1.0),
                                  calendar="day")
    sc = make_scenario(checkpoints={"border": cp}, per_hour=1.0, horizon_days=30,
                       warmup_days=1, calendars={"day": {
                           "shifts": [make_scenario.every_day("09:00", "18:00")],
                           "timezone": zone}})
    opens, closes = _utc_window(zone, 9, 18)
    if zone == "Asia/Shanghai":
        assert (opens, closes) == (1, 10)
    res = cs.run(sc, replications=2, seed=SEED, keep="all")
    started = res.visits["started_hours"].dropna().to_numpy()
    assert started.size > 500
    hour = started % 24
    assert ((hour >= opens - 1e-9) & (hour < closes)).all(), np.sort(hour)[[0, -1]]
    # the overnight queue is served from the opening minute
    assert np.isclose(hour, opens).sum() >= 25
    # lanes finish the vehicle they serve at closing time
    departed = res.visits["departed_hours"].dropna().to_numpy() % 24
    assert ((departed > closes) & (departed < closes + 6)).any()


def test_daily_quota_caps_starts_per_local_day(make_scenario, ci_covers):
    cp = make_scenario.checkpoint(lanes=4, service=make_scenario.exponential(0.5),
                                  calendar="kz", max_vehicles_per_day=30)
    sc = make_scenario(checkpoints={"border": cp}, per_hour=2.0, horizon_days=20,
                       warmup_days=2,
                       calendars={"kz": {"always_open": True, "timezone": "Asia/Almaty"}})
    res = cs.run(sc, replications=2, seed=SEED, keep="all")
    offset = 24 - _utc_window("Asia/Almaty", 24, 24)[0]  # hours ahead of UTC
    v = res.visits.dropna(subset=["started_hours"]).copy()
    v["local_day"] = np.floor((v["started_hours"] + offset) / 24).astype(int)
    per_day = v.groupby(["replication", "local_day"]).agg(
        starts=("started_hours", "size"), first=("started_hours", "min"))
    assert per_day["starts"].max() <= 30
    # demand (48 a day) exceeds the quota: once a backlog has built up, every full local day
    # uses all of it, and the waiting queue starts again at local midnight
    full = per_day.loc[(per_day.index.get_level_values("local_day") >= 2)
                       & (per_day.index.get_level_values("local_day") < 19)]
    assert (full["starts"] == 30).all()
    local_midnight = full.index.get_level_values("local_day") * 24 - offset
    np.testing.assert_allclose(full["first"], local_midnight, atol=1e-9)
    # (the KPI window is in UTC days, so it may hold a part of one more local day)
    assert res.kpis["border.vehicles_per_day"].to_numpy() == pytest.approx(30, rel=0.06)


# --------------------------------------------------------------------------- lanes and rules


def _green_mix(make_scenario, general_lanes, green_lanes, general_per_hour, green_per_hour):
    cp = make_scenario.checkpoint(lanes=general_lanes, green_lanes=green_lanes,
                                  service=make_scenario.exponential(1.0))
    return make_scenario(checkpoints={"border": cp}, horizon_days=20, warmup_days=2,
                         commodities={"general": {"unit": "teu"},
                                      "fresh": {"unit": "tonne", "green_corridor": True}},
                         demand=[make_scenario.flow("general", per_hour=general_per_hour),
                                 make_scenario.flow("fresh", per_hour=green_per_hour)])


def test_green_lanes_serve_only_green_shipments(make_scenario, check_invariants):
    res = cs.run(_green_mix(make_scenario, 0, 1, 0.5, 0.5), replications=2, seed=SEED, keep="all")
    v = res.visits
    general = v[v["commodity"] == "general"]
    fresh = v[v["commodity"] == "fresh"]
    assert len(general) > 200 and general["started_hours"].isna().all()
    assert fresh["started_hours"].notna().mean() > 0.95
    sh = res.shipments
    assert (sh.loc[sh["commodity"] == "general", "status"] == "in_system").all()
    check_invariants(res)


def test_general_traffic_cannot_use_an_idle_green_lane(make_scenario):
    # general demand (1.5/h) exceeds its one lane (1/h); the green lane is nearly idle
    res = cs.run(_green_mix(make_scenario, 1, 1, 1.5, 0.1), replications=2, seed=SEED, keep="all")
    v = after_warmup(res)
    days = (res.scenario.horizon_hours - res.scenario.warmup_hours) / 24
    general_out = (v[v["commodity"] == "general"]
                   .groupby("replication")["departed_hours"].count() / days)
    assert (general_out < 24 * 1.15).all(), general_out
    fresh_wait = v.loc[v["commodity"] == "fresh", "wait_hours"].mean()
    assert fresh_wait < 0.2


def test_inspection_adds_probability_times_mean_time(make_scenario):
    p, inspect_hours, clear_hours = 0.3, 2.0, 1.0
    cp = make_scenario.checkpoint(lanes=30, service=make_scenario.constant(clear_hours),
                                  inspection={"probability": p,
                                              "time": make_scenario.exponential(inspect_hours)})
    sc = make_scenario(checkpoints={"border": cp}, per_hour=10.0, horizon_days=30,
                       warmup_days=1)
    assert candidate_routes(sc, sc.demand[0])[0].expected_hours == pytest.approx(
        clear_hours + p * inspect_hours)
    res = cs.run(sc, replications=2, seed=SEED, keep="all")
    lane_hours = (res.visits["departed_hours"] - res.visits["started_hours"]).dropna()
    n = lane_hours.size
    assert n > 10_000
    extra_sd = np.sqrt(p * 2 * inspect_hours**2 - (p * inspect_hours) ** 2)
    assert abs(lane_hours.mean() - (clear_hours + p * inspect_hours)) <= 5 * extra_sd / np.sqrt(n)
    inspected = (lane_hours > clear_hours + 1e-9).mean()
    assert abs(inspected - p) <= 5 * np.sqrt(p * (1 - p) / n)
    assert lane_hours.min() == pytest.approx(clear_hours)


def test_barred_commodity_is_rejected_where_first_checked(make_scenario, check_invariants):
    cp = make_scenario.checkpoint
    sc = make_scenario(
        checkpoints={"nur_zholy": cp(lanes=2), "khorgos": cp(lanes=2)}, horizon_days=10,
        warmup_days=1,
        commodities={"general": {"unit": "teu"},
                     "meat": {"unit": "tonne", "barred_at": ["khorgos"]}},
        demand=[make_scenario.flow("general", per_hour=0.5),
                make_scenario.flow("meat", per_hour=0.5)])
    res = cs.run(sc, replications=2, seed=SEED, keep="all")
    sh = res.shipments
    meat, general = sh[sh["commodity"] == "meat"], sh[sh["commodity"] == "general"]
    assert len(meat) > 100
    done = meat["status"] == "rejected"
    assert done.mean() > 0.95
    # barred at Khorgos, turned back where first checked: Nur Zholy, the other side
    assert (meat.loc[done, "rejected_at"] == "nur_zholy").all()
    assert meat["delivered_hours"].isna().all()
    assert (general["status"] != "rejected").all()
    assert (general["rejected_at"] == "").all()
    assert (res.kpis["rejected"] == meat.groupby("replication")["status"].apply(
        lambda s: (s == "rejected").sum())).all()
    # meat is not cleared by Nur Zholy first: it visits neither side
    mv = res.visits[res.visits["commodity"] == "meat"]
    assert mv.empty
    check_invariants(res)


# --------------------------------------------------------------------------- arrivals


def _arrivals(make_scenario, **profile):
    sc = make_scenario(checkpoints={"border": make_scenario.checkpoint(lanes=4)},
                       demand=[make_scenario.flow("general", per_hour=2.0, **profile)],
                       horizon_days=364, warmup_days=7)
    return sc, cs.run(sc, replications=10, seed=SEED, keep="all").shipments


def test_poisson_arrivals_have_the_stated_rate(make_scenario, ci_covers):
    sc, sh = _arrivals(make_scenario)
    counts = sh.groupby("replication").size()
    ci_covers(counts, 2.0 * sc.horizon_hours, rel_tol=0.0, max_rel_halfwidth=0.02)
    gaps = sh.groupby("replication")["created_hours"].diff().dropna()
    # exponential gaps: mean 1/λ and coefficient of variation 1
    assert gaps.mean() == pytest.approx(0.5, rel=0.02)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, rel=0.03)


def test_weekday_profile_shapes_arrivals_and_keeps_the_volume(make_scenario, ci_covers):
    profile = [2, 1, 1, 1, 1, 1, 0]  # Monday double, Sunday none; mean 1
    sc, sh = _arrivals(make_scenario, weekday=profile)
    ci_covers(sh.groupby("replication").size(), 2.0 * sc.horizon_hours, rel_tol=0.0,
              max_rel_halfwidth=0.02)
    start = pd.Timestamp(sc.start_utc)
    weekday = (start + pd.to_timedelta(sh["created_hours"], unit="h")).dt.day_of_week
    share = weekday.value_counts(normalize=True).reindex(range(7), fill_value=0.0)
    expected = np.asarray(profile) / sum(profile)
    n = len(sh)
    np.testing.assert_allclose(share, expected, atol=5 * np.sqrt(0.25 / n))
    assert share[6] == 0


@pytest.mark.filterwarnings("ignore:.*MSER-5")  # seasonal on purpose: no steady state
def test_seasonality_shapes_arrivals_by_month(make_scenario):
    season = [3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    sc, sh = _arrivals(make_scenario, seasonality=season)
    month = (pd.Timestamp(sc.start_utc)
             + pd.to_timedelta(sh["created_hours"], unit="h")).dt.month
    per_day = month.value_counts().reindex(range(1, 13), fill_value=0) / 10
    days = pd.Series([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 30], index=range(1, 13))
    rate = per_day / days / 48.0  # relative to the mean rate of 48 a day
    factors = np.asarray(season) / np.mean(season)
    np.testing.assert_allclose(rate, factors, atol=0.08)
