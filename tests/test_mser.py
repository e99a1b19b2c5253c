"""MSER-5 warm-up truncation, the daily series it is applied to, and the warm-up warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import corridor_sim as cs
from corridor_sim.errors import ScenarioError
from corridor_sim.scenario import scenario_from_dict
from corridor_sim.stats import mser, mser5
from corridor_sim.warmup import WarmupWarning, binned_queue, check_warmup, daily_series


def _brute_force(x: np.ndarray, batch: int, max_fraction: float) -> int:
    k = x.size // batch
    z = x[: k * batch].reshape(k, batch).mean(axis=1)
    last = max(1, min(k - 1, int(np.floor(max_fraction * k))))
    stats = [np.sum((z[d:] - z[d:].mean()) ** 2) / (k - d) ** 2 for d in range(last)]
    return int(np.argmin(stats)) * batch


@pytest.mark.parametrize("transient", [0, 30, 60, 100])
def test_mser5_finds_a_linear_transient(transient):
    rng = np.random.default_rng(transient)
    x = np.concatenate([np.linspace(0.0, 10.0, transient, endpoint=False),
                        10.0 + rng.normal(0.0, 1.0, 500)])
    d = mser5(x)
    assert d % 5 == 0
    assert transient - 15 <= d <= transient + 20, (transient, d)


def test_mser5_finds_an_exponential_transient():
    rng = np.random.default_rng(7)
    t = np.arange(600)
    # the bias falls below a tenth of the noise after about 15 * ln(100) ≈ 70 observations
    x = 20.0 * np.exp(-t / 15.0) + rng.normal(0.0, 1.0, t.size)
    assert 25 <= mser5(x) <= 90


def test_mser_matches_its_definition():
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = np.cumsum(rng.normal(size=rng.integers(20, 300))) * 0.1 + rng.normal(size=1)
        for batch in (1, 5):
            for frac in (0.5, 1.0):
                assert mser(x, batch, max_fraction=frac) == _brute_force(x, batch, frac)


def test_mser5_of_a_constant_or_settled_series_is_zero():
    assert mser5(np.full(100, 3.0)) == 0
    assert mser5(np.r_[np.zeros(30), np.ones(70)]) == 30
    # a truncation point is searched only in the first half of the series
    assert mser5(np.r_[np.zeros(80), np.ones(20)]) < 50
    assert mser5(np.r_[np.zeros(80), np.ones(20)], max_fraction=1.0) == 80


def test_mser_rejects_bad_input():
    with pytest.raises(ScenarioError, match="NaN"):
        mser5([1.0] * 9 + [np.nan] * 3)
    with pytest.raises(ScenarioError, match="at least 10"):
        mser5([1.0] * 9)
    with pytest.raises(ScenarioError, match="max_fraction"):
        mser5(np.ones(50), max_fraction=0)
    with pytest.raises(ScenarioError, match="batch_size"):
        mser(np.ones(50), 0)


def test_binned_queue_integrates_the_step_function():
    arrived = np.array([0.5, 1.0, 2.5, 3.0])
    started = np.array([2.0, 1.0, 4.0, np.nan])  # one never waits, one still waiting at 5
    edges = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    # waiting: [0.5, 2) and [2.5, 4) and [3, 5)
    np.testing.assert_allclose(binned_queue(arrived, started, edges),
                               [0.5, 1.0, 0.5, 2.0, 1.0])


def _two_borders(*, warmup_days: float, horizon_days: float = 60) -> cs.Scenario:
    """Two checkpoints 5 days apart: the second sees no traffic for the first 5 days."""
    border = {"kind": "checkpoint", "mode": "road", "lanes": {"general": 3},
              "service_time": {"dist": "exponential", "mean_hours": 1.0}}
    return scenario_from_dict({
        "name": "two-borders", "horizon_days": horizon_days, "warmup_days": warmup_days,
        "nodes": {"origin": {"kind": "city"}, "first": border, "second": border,
                  "destination": {"kind": "city"}},
        "links": [{"from": "origin", "to": "first", "travel_time": {"dist": "constant",
                                                                   "hours": 0}},
                  {"from": "first", "to": "second", "travel_time": {"dist": "constant",
                                                                   "hours": 120}},
                  {"from": "second", "to": "destination", "travel_time": {"dist": "constant",
                                                                         "hours": 0}}],
        "commodities": {"general": {"unit": "teu"}},
        "demand": [{"origin": "origin", "destination": "destination", "commodity": "general",
                    "per_day": 48}],
    })


def test_daily_series_agree_with_the_kpis():
    res = cs.run(_two_borders(warmup_days=10, horizon_days=30), replications=2, seed=4,
                 warmup_check=False, keep="all")
    for d in res.data:
        s = daily_series(d)
        k = res.kpis.loc[d.replication]
        for node in ("first", "second"):
            assert s[f"{node}.queue_length"].size == 30
            np.testing.assert_allclose(s[f"{node}.queue_length"][10:].mean(),
                                       k[f"{node}.queue_length.mean"], rtol=1e-9)
            np.testing.assert_allclose(s[f"{node}.throughput_per_day"][10:].mean(),
                                       k[f"{node}.throughput_per_day"], rtol=1e-9)
        assert (s["second.throughput_per_day"][:5] == 0).all()


def test_run_warns_when_the_warmup_is_too_short():
    with pytest.warns(WarmupWarning, match="second.throughput_per_day"):
        res = cs.run(_two_borders(warmup_days=0), replications=5, seed=1, keep="all")
    check = check_warmup(res)
    row = check.loc["second.throughput_per_day"]
    assert row["too_short"] and 5 <= row["suggested_days"] <= 15
    assert row["bias"] < 0  # the empty first days pull the mean down


def test_no_warning_with_an_adequate_warmup():
    with warnings.catch_warnings():
        warnings.simplefilter("error", WarmupWarning)
        res = cs.run(_two_borders(warmup_days=10), replications=5, seed=1, keep="all")
    assert not check_warmup(res)["too_short"].any()


def test_warmup_check_can_be_switched_off_and_skips_short_runs():
    with warnings.catch_warnings():
        warnings.simplefilter("error", WarmupWarning)
        cs.run(_two_borders(warmup_days=0), replications=2, seed=1, warmup_check=False, keep="all")
        res = cs.run(_two_borders(warmup_days=0, horizon_days=15), replications=2, seed=1,
                     keep="all")
    assert check_warmup(res).empty
