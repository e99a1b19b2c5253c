"""Intervals of bounded KPIs stay within their bounds and keep the t interval's coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest

import corridor_sim as cs
from corridor_sim.stats import kpi_bounds, mean_ci


@pytest.mark.parametrize(("kpi", "bounds"), [
    ("khorgos_road.wait_hours.mean", (0.0, math.inf)),
    ("almaty>urumqi:general.lead_time_hours.p95", (0.0, math.inf)),
    ("crossing[khorgos_road→khorgos_cn].hours.mean", (0.0, math.inf)),
    ("nur_zholy_road.from[almaty].vehicles_per_day", (0.0, math.inf)),
    ("nur_zholy_road.queue_km.max", (0.0, math.inf)),
    ("created", (0.0, math.inf)),
    ("khorgos_road.utilisation", (0.0, math.inf)),
    ("spoiled_share", (0.0, 1.0)),
    ("space[a→b].full_share", (0.0, 1.0)),
    ("almaty>khorgos:rail.fill_rate", (0.0, 1.0)),
    ("flow.buffer_index", (-math.inf, math.inf)),
])
def test_kpi_bounds_from_the_name(kpi, bounds):
    assert kpi_bounds(kpi) == bounds


def _coverage(draw, true_mean, bounds, reps=5, trials=4000, seed=3):
    rng = np.random.default_rng(seed)
    hits_t = hits_cut = cut = 0
    for _ in range(trials):
        x = draw(rng, reps)
        m, _, lo, hi, _ = mean_ci(x)
        _, _, blo, bhi, _ = mean_ci(x, bounds=bounds)
        assert bounds[0] <= blo <= m <= bhi <= bounds[1]
        hits_t += lo <= true_mean <= hi
        hits_cut += blo <= true_mean <= bhi
        cut += (blo != lo) or (bhi != hi)
    return hits_t / trials, hits_cut / trials, cut / trials


def test_wait_interval_stays_above_zero_with_the_same_coverage():
    # mean wait of a replication: 30 trucks, 90% of which do not wait at all
    def draw(rng, reps):
        waits = rng.exponential(0.5, (reps, 30)) * (rng.random((reps, 30)) < 0.1)
        return waits.mean(axis=1)

    t_cov, cut_cov, cut = _coverage(draw, 0.1 * 0.5, (0.0, math.inf))
    assert cut > 0.2  # the plain t interval often crossed 0
    assert cut_cov == t_cov  # cutting off impossible values loses no coverage
    assert cut_cov > 0.85


def test_share_interval_stays_within_zero_and_one():
    def draw(rng, reps):
        return rng.binomial(20, 0.03, reps) / 20

    t_cov, cut_cov, cut = _coverage(draw, 0.03, (0.0, 1.0))
    assert cut > 0.2
    assert cut_cov == t_cov
    high = lambda rng, reps: rng.binomial(20, 0.97, reps) / 20  # noqa: E731
    t_cov, cut_cov, cut = _coverage(high, 0.97, (0.0, 1.0))
    assert cut > 0.2 and cut_cov == t_cov


def test_unbounded_interval_is_the_t_interval():
    x = [0.1, -0.3, 0.05]
    assert mean_ci(x) == mean_ci(x, bounds=(-math.inf, math.inf))
    assert mean_ci(x)[2] < 0


def test_summary_and_table_respect_the_bounds():
    sc = cs.bundled("single_checkpoint").with_changes({"horizon_days": 6, "warmup_days": 1})
    cmp = cs.compare({"a": sc, "b": sc.with_changes({"nodes.border.lanes.general": 6})},
                     replications=3, seed=2, warmup_check=False)
    for name, res in cmp.results.items():
        s = res.summary()
        assert s["n"].dtype.kind == "i"
        for kpi, row in s.dropna(subset=["ci_low"]).iterrows():
            lo, hi = kpi_bounds(str(kpi))
            assert lo <= row["ci_low"] <= row["mean"] <= row["ci_high"] <= hi, (name, kpi)
    t = cmp.table().dropna(subset=["ci_low"])
    assert (t["ci_low"] >= 0).all()
    # this example is one where a plain t interval does cross 0 somewhere
    raw = [mean_ci(res.kpis[k].to_numpy())[2] for res in cmp.results.values()
           for k in res.kpis.columns]
    assert np.nanmin(raw) < 0
