"""Executors give identical results: serial, local processes and Dask; run to a precision."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

import corridor_sim as cs
from corridor_sim.errors import ScenarioError
from corridor_sim.experiment import DASK_ADDRESS_ENV, PrecisionWarning, execute, replication_tasks

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scenario() -> cs.Scenario:
    return cs.bundled("single_checkpoint").with_changes({"horizon_days": 12, "warmup_days": 2})


@pytest.fixture(scope="module")
def serial(scenario) -> cs.Results:
    return cs.run(scenario, replications=4, seed=11, warmup_check=False, keep="all")


@pytest.fixture(scope="module")
def cluster():
    """A small local Dask cluster shared by the tests that need an existing one."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=logging.ERROR) as c:
        yield c


def assert_identical(a: cs.Results, b: cs.Results) -> None:
    assert [d.replication for d in a.data] == [d.replication for d in b.data]
    pd.testing.assert_frame_equal(a.kpis, b.kpis, check_exact=True)
    for da, db in zip(a.data, b.data, strict=True):
        assert da.columns.keys() == db.columns.keys()
        for key in da.columns:
            np.testing.assert_array_equal(da.columns[key], db.columns[key], err_msg=key)


def test_local_processes_equal_serial(scenario, serial):
    assert_identical(serial, cs.run(scenario, replications=4, seed=11, workers=2,
                                    warmup_check=False, keep="all"))


def test_dask_local_cluster_equals_serial(scenario, serial):
    res = cs.run(scenario, replications=4, seed=11, workers=2, executor="dask",
                 warmup_check=False, keep="all")
    assert_identical(serial, res)


def test_dask_existing_cluster_by_address_env_and_client(scenario, serial, cluster,
                                                         monkeypatch):
    by_address = cs.run(scenario, replications=4, seed=11, executor="dask",
                        address=cluster.scheduler_address, warmup_check=False, keep="all")
    assert_identical(serial, by_address)
    monkeypatch.setenv(DASK_ADDRESS_ENV, cluster.scheduler_address)
    by_env = cs.run(scenario, replications=4, seed=11, executor="dask", warmup_check=False,
                    keep="all")
    assert_identical(serial, by_env)
    with distributed.Client(cluster) as client:
        by_client = cs.run(scenario, replications=4, seed=11, executor=client,
                           warmup_check=False, keep="all")
        assert_identical(serial, by_client)
        assert client.status == "running"  # a client passed in is left open


def test_execute_keeps_task_order_and_reports_progress(scenario):
    tasks = replication_tasks(scenario, 3, 5)[::-1]
    seen = []
    out = execute(tasks, workers=2, progress=lambda done, total: seen.append((done, total)))
    assert [d.replication for d in out] == [2, 1, 0]
    assert seen[-1] == (3, 3) and len(seen) == 3


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"executor": "dusk"}, "did you mean 'dask'"),
    ({"executor": "processes", "address": "tcp://x:1"}, "address"),
    ({"workers": 0}, "workers"),
    ({"executor": 3}, "executor"),
])
def test_bad_executor_settings(scenario, kwargs, match):
    with pytest.raises(ScenarioError, match=match):
        cs.run(scenario, replications=2, **kwargs, keep="all")


def test_target_halfwidth_adds_replications_deterministically(scenario):
    kpi = "border.wait_hours.mean"
    first = cs.run(scenario, replications=3, seed=2, warmup_check=False, keep="all")
    half0 = first.summary().loc[kpi, ["ci_low", "ci_high"]].diff().iloc[-1] / 2
    target = half0 / 2.5
    a = cs.run(scenario, replications=3, seed=2, target_halfwidth={kpi: target},
               warmup_check=False, keep="all")
    b = cs.run(scenario, replications=3, seed=2, workers=2, target_halfwidth={kpi: target},
               warmup_check=False, keep="all")
    assert a.replications > 3
    assert [d.replication for d in a.data] == list(range(a.replications))
    s = a.summary().loc[kpi]
    assert (s["ci_high"] - s["ci_low"]) / 2 <= target
    assert_identical(a, b)
    # the same as asking for that many replications in the first place
    assert_identical(a, cs.run(scenario, replications=a.replications, seed=2,
                               warmup_check=False, keep="all"))


def test_target_halfwidth_stops_at_the_cap_with_a_warning(scenario):
    with pytest.warns(PrecisionWarning, match="max_replications"):
        res = cs.run(scenario, replications=2, seed=2, max_replications=5,
                     target_halfwidth={"border.wait_hours.mean": 1e-6}, warmup_check=False,
                     keep="all")
    assert res.replications == 5


def test_target_halfwidth_errors(scenario):
    with pytest.raises(ScenarioError, match="did you mean 'border.wait_hours.mean'"):
        cs.run(scenario, replications=2, target_halfwidth={"border.wait_hour.mean": 0.1},
               keep="all")
    with pytest.raises(ScenarioError, match="must be a number > 0"):
        cs.run(scenario, replications=2, target_halfwidth={"border.wait_hours.mean": -1},
               keep="all")
    with pytest.raises(ScenarioError, match="max_replications"):
        cs.run(scenario, replications=10, max_replications=5,
               target_halfwidth={"border.wait_hours.mean": 0.1}, keep="all")


def test_target_already_met_runs_nothing_more(scenario):
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrecisionWarning)
        res = cs.run(scenario, replications=3, seed=2, warmup_check=False,
                     target_halfwidth={"border.wait_hours.mean": 1e6}, keep="all")
    assert res.replications == 3
