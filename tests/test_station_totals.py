"""Utilisation and vehicles per day come from the totals each station keeps while it runs.

A station no longer writes a job row per truck: it adds up its busy server-hours after the
warm-up and counts the vehicles it served (``u_*`` columns). These tests rebuild the same
numbers independently — from the visit rows of one-truck jobs, and from the job rows that
trains still write — and check that the KPIs agree with them to float rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

from corridor_sim.engine import simulate
from corridor_sim.kpis import replication_kpis
from corridor_sim.scenario import scenario_from_dict

REL = 1e-9


def _overlap_hours(start: np.ndarray, end: np.ndarray, lo: float, hi: float) -> float:
    """Hours of the intervals [start, end] that fall within [lo, hi]."""
    return float(np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None).sum())


def test_truck_utilisation_equals_busy_time_of_its_visits(make_scenario) -> None:
    """One stage, one truck per job: a job is busy from its visit's start to its departure."""
    shift = make_scenario.every_day("08:00", "20:00")
    sc = make_scenario(
        checkpoints={"border": make_scenario.checkpoint(
            lanes=3, service=make_scenario.exponential(1.0), calendar="day")},
        calendars={"day": {"shifts": [shift]}}, per_hour=1.2, horizon_days=12,
        warmup_days=3)
    data = simulate(sc, 0, 4)
    c, lo, hi = data.columns, data.warmup_hours, data.horizon_hours
    assert c["j_station"].size == 0  # trucks write no job rows
    served = ~np.isnan(c["v_departed"])
    busy = _overlap_hours(c["v_started"][served], c["v_departed"][served], lo, hi)
    i = data.stations["name"].index("border")
    k = replication_kpis(data)
    assert busy > 100.0
    assert k["border.utilisation"] == pytest.approx(
        busy / (3 * data.stations["open_hours"][i]), rel=REL)
    after = served & (c["v_departed"] >= lo)
    days = (hi - lo) / 24.0
    assert k["border.vehicles_per_day"] == pytest.approx(after.sum() / days, rel=REL)
    assert c["u_vehicles"][i] + c["u_vehicles_before"][i] == served.sum()
    assert c["u_vehicles_before"][i] > 0  # the warm-up split is exercised


def test_train_station_totals_equal_its_job_rows() -> None:
    """Trains still write job rows: the running totals agree with them exactly."""
    const = {"dist": "constant", "hours": 2.0}
    sc = scenario_from_dict({
        "name": "rail", "horizon_days": 15, "warmup_days": 2,
        "nodes": {
            "a": {"kind": "city"},
            "cn": {"kind": "checkpoint", "mode": "rail", "lanes": {"general": 2},
                   "service_time": {"dist": "exponential", "mean_hours": 4.0},
                   "transshipment": {"tracks": 2, "cranes": 2, "moves_per_hour": 25,
                                     "setup_hours": 1}},
            "b": {"kind": "city"}},
        "links": [
            {"from": "a", "to": "cn", "mode": "rail", "distance_km": 100, "speed_kmh": 50,
             "departures": {"every_hours": 6}, "capacity_teu": 100, "break_of_gauge": True},
            {"from": "cn", "to": "b", "mode": "rail", "travel_time": const}],
        "commodities": {"general": {"unit": "teu"}},
        "demand": [{"origin": "a", "destination": "b", "commodity": "general",
                    "per_day": 120, "units_per_shipment": 2}]})
    data = simulate(sc, 0, 2)
    c, lo, hi = data.columns, data.warmup_hours, data.horizon_hours
    k = replication_kpis(data)
    for name in ("cn", "cn.transshipment"):
        i = data.stations["name"].index(name)
        rows = c["j_station"] == i
        assert (c["j_size"][rows] > 1).all()
        start, end = c["j_start"][rows], c["j_end"][rows]
        assert c["u_vehicles"][i] + c["u_vehicles_before"][i] == rows.sum() > 20
        assert c["u_vehicles"][i] == (end >= lo).sum()
        busy = _overlap_hours(start, end, lo, hi)
        assert c["u_busy_hours"][i] == pytest.approx(busy, rel=REL)
        capacity = data.stations["servers"][i] * data.stations["open_hours"][i]
        assert k[f"{name}.utilisation"] == pytest.approx(busy / capacity, rel=REL)
