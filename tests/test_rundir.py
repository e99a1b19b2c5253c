"""Replications reduced where they run; run and comparison folders written and read back."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

import corridor_sim as cs
from corridor_sim.errors import ScenarioError
from corridor_sim.kpis import queue_profile  # noqa: F401 - the KPI module stays importable
from corridor_sim.replication import reduce, run_replication
from corridor_sim.results import NoTablesError
from corridor_sim.series import QUANTILE_LEVELS, binned_series, pooled_box_stats
from corridor_sim.warmup import daily_series


@pytest.fixture(scope="module")
def scenario() -> cs.Scenario:
    return cs.bundled("single_checkpoint").with_changes({"horizon_days": 24, "warmup_days": 3})


@pytest.fixture(scope="module")
def kept(scenario) -> cs.Results:
    return cs.run(scenario, replications=3, seed=5, keep="all", warmup_check=False)


# --------------------------------------------------------------------------- reduction


def test_outcome_is_small_and_kpis_match_the_raw_columns(scenario) -> None:
    from corridor_sim.engine import simulate
    from corridor_sim.kpis import replication_kpis

    data = simulate(scenario, 0, 5)
    out = run_replication((scenario, 0, 5, False))
    assert out.data is None
    assert out.kpis == replication_kpis(data)
    raw = sum(a.nbytes for a in data.columns.values())
    small = len(pickle.dumps(out))
    assert small < raw / 4, (small, raw)


def test_binned_throughput_adds_up_to_the_node_kpis(kept) -> None:
    d = kept.data[0]
    s = binned_series(d)
    inside = (s.edges[:-1] >= d.warmup_hours) & (s.edges[1:] <= d.horizon_hours)
    days = (d.horizon_hours - d.warmup_hours) / 24
    j = s.nodes.index("border")
    per_day = s.throughput[inside, j, 2].sum() / days
    assert per_day == pytest.approx(kept.outcomes[0].kpis["border.shipments_per_day"],
                                    rel=1e-12)
    # every delivered shipment is in the last column, every departure in its node's
    delivered = (d.columns["s_status"] == 1).sum()
    assert s.throughput[:, -1, 2].sum() == delivered


def test_binned_queue_is_the_time_average_of_the_waiting_count(kept) -> None:
    d = kept.data[1]
    s = binned_series(d)
    inside = (s.edges[:-1] >= d.warmup_hours) & (s.edges[1:] <= d.horizon_hours)
    j = s.nodes.index("border")
    mean_queue = s.queue[inside, j].mean()
    assert mean_queue == pytest.approx(kept.outcomes[1].kpis["border.queue_length.mean"],
                                       rel=1e-9)


def test_daily_series_equal_those_from_the_raw_columns(kept) -> None:
    for d, series in zip(kept.data, kept.daily_series(), strict=True):
        raw = daily_series(d)
        assert raw.keys() == series.keys()
        for key, values in raw.items():
            np.testing.assert_allclose(series[key], values, rtol=1e-9, atol=1e-9)


def test_pooled_box_stats_match_the_pooled_sample(kept) -> None:
    sh = kept.shipments
    sh = sh[(sh["status"] == "delivered") & (sh["created_hours"] >= 3 * 24)]
    lead = sh["lead_time_hours"].to_numpy()
    stats = kept.lead_time_stats()["general"]
    q1, med, q3 = np.percentile(lead, [25, 50, 75])
    spread = q3 - q1
    assert stats["med"] == pytest.approx(med, abs=0.02 * spread)
    assert stats["q1"] == pytest.approx(q1, abs=0.02 * spread)
    assert stats["q3"] == pytest.approx(q3, abs=0.02 * spread)
    assert stats["whislo"] >= lead.min() and stats["whishi"] <= lead.max()


def test_pooled_box_stats_of_one_exact_sample() -> None:
    values = np.arange(1001, dtype=float)
    stats = pooled_box_stats([(values.size, np.quantile(values, QUANTILE_LEVELS))])
    assert stats["med"] == pytest.approx(500, abs=5)
    assert stats["q1"] == pytest.approx(250, abs=5)
    assert stats["q3"] == pytest.approx(750, abs=5)
    assert pooled_box_stats([]) is None


# --------------------------------------------------------------------------- keep


@pytest.mark.parametrize(("keep", "expected"), [("none", []), ("first", [0]),
                                                ("all", [0, 1, 2])])
def test_keep_chooses_the_replications_with_raw_tables(scenario, kept, keep, expected) -> None:
    res = cs.run(scenario, replications=3, seed=5, keep=keep, warmup_check=False)
    assert res.kept == expected
    pd.testing.assert_frame_equal(res.kpis, kept.kpis, check_exact=True)
    if expected:
        assert set(res.shipments["replication"]) == set(expected)
    else:
        with pytest.raises(NoTablesError, match="keep='first'"):
            res.shipments  # noqa: B018


def test_keep_is_checked(scenario) -> None:
    with pytest.raises(ScenarioError, match="keep"):
        cs.run(scenario, replications=1, keep="some")


def test_results_from_raw_data_reduce_them(kept) -> None:
    again = cs.Results(kept.scenario, kept.data)
    pd.testing.assert_frame_equal(again.kpis, kept.kpis, check_exact=True)
    assert reduce(kept.data[0]).data is None


# --------------------------------------------------------------------------- folders


@pytest.mark.parametrize("table_format", ["parquet", "csv"])
def test_run_folder_round_trips(kept, tmp_path, table_format) -> None:
    folder = kept.to_dir(tmp_path / "run", plots=False, report=False, tables="all",
                         table_format=table_format)
    back = cs.Results.from_dir(folder)
    assert back.replications == kept.replications and back.seed == kept.seed
    assert back.scenario == kept.scenario
    pd.testing.assert_frame_equal(back.kpis, kept.kpis, check_exact=True)
    pd.testing.assert_frame_equal(back.summary(), kept.summary(), check_exact=True)
    pd.testing.assert_frame_equal(back.node_stats(), kept.node_stats(), check_exact=True)
    for freq, unit in [("h", "teu"), ("D", "shipments"), ("W", "teu")]:
        pd.testing.assert_frame_equal(back.throughput(freq, unit),
                                      kept.throughput(freq, unit), check_exact=True)
    idx_a, qa = kept.queue_bins("border", 6)
    idx_b, qb = back.queue_bins("border", 6)
    assert (idx_a == idx_b).all()
    np.testing.assert_array_equal(qa, qb)
    assert back.lead_time_stats() == kept.lead_time_stats()
    assert back.kept == [0, 1, 2]
    a, b = kept.shipments, back.shipments
    pd.testing.assert_frame_equal(
        a.astype({c: object for c in a.select_dtypes("category")}),
        b.astype({c: object for c in b.select_dtypes("category")}), check_dtype=False)
    assert len(back.visits) == len(kept.visits)


def test_run_folder_tables_first_and_none(kept, tmp_path) -> None:
    first = cs.Results.from_dir(kept.to_dir(tmp_path / "a", plots=False, report=False,
                                            tables="first"))
    assert first.kept == [0]
    assert set(first.shipments["replication"]) == {0}
    none = cs.Results.from_dir(kept.to_dir(tmp_path / "b", plots=False, report=False,
                                           tables="none"))
    assert none.kept == []
    with pytest.raises(NoTablesError):
        none.visits  # noqa: B018
    meta = json.loads((tmp_path / "b" / "run.json").read_text())
    assert meta["tables"]["files"] == []


def test_tables_that_were_not_kept_are_refused_before_writing(scenario, tmp_path) -> None:
    res = cs.run(scenario, replications=2, seed=5, warmup_check=False)
    with pytest.raises(ScenarioError, match="keep='first'"):
        res.to_dir(tmp_path / "x", tables="first")
    assert not (tmp_path / "x").exists()


def test_comparison_folder_round_trips(scenario, tmp_path) -> None:
    cmp = cs.compare({"4 lanes": scenario,
                      "5 lanes": scenario.with_changes({"nodes.border.lanes.general": 5})},
                     replications=2, seed=5, warmup_check=False)
    back = cs.Comparison.from_dir(cmp.to_dir(tmp_path / "cmp", plots=False, report=False))
    assert back.names == cmp.names
    pd.testing.assert_frame_equal(back.table(), cmp.table(), check_exact=True)
    for name in cmp.names:
        pd.testing.assert_frame_equal(back.results[name].throughput("D"),
                                      cmp.results[name].throughput("D"), check_exact=True)


def test_reading_something_else_is_a_clear_error(tmp_path, kept) -> None:
    with pytest.raises(ScenarioError, match="no such folder"):
        cs.Results.from_dir(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ScenarioError, match="not a corridor_sim run folder"):
        cs.Results.from_dir(tmp_path / "plain")
    folder = kept.to_dir(tmp_path / "run", plots=False, report=False, tables="none")
    with pytest.raises(ScenarioError, match="use read_run"):
        cs.Comparison.from_dir(folder)
