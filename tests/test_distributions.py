"""Duration distributions: sample moments, validation, empirical CSVs and random streams."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

import corridor_sim as cs
from corridor_sim.engine.random import Sampler, UniformSampler, stream
from corridor_sim.scenario import load_scenario, scenario_from_dict, to_yaml
from corridor_sim.scenario.distributions import parse_distribution

N_SAMPLES = 200_000

# (distribution, its variance [h²], its support [h])
MOMENTS = [
    pytest.param({"dist": "constant", "hours": 2.5}, 0.0, (2.5, 2.5), id="constant"),
    pytest.param({"dist": "exponential", "mean_hours": 1.5}, 1.5**2, (0, math.inf),
                 id="exponential"),
    pytest.param({"dist": "lognormal", "mean_hours": 2.0, "cv": 0.5}, 1.0**2, (0, math.inf),
                 id="lognormal"),
    pytest.param({"dist": "triangular", "min_hours": 1.0, "mode_hours": 2.0, "max_hours": 6.0},
                 (1 + 4 + 36 - 2 - 6 - 12) / 18, (1.0, 6.0), id="triangular"),
    pytest.param({"dist": "triangular", "min_hours": 0.0, "mode_hours": 0.0, "max_hours": 3.0},
                 9 / 18, (0.0, 3.0), id="triangular-mode-at-min"),
    pytest.param({"dist": "uniform", "min_hours": 0.5, "max_hours": 2.5}, 4 / 12, (0.5, 2.5),
                 id="uniform"),
    pytest.param({"dist": "gamma", "mean_hours": 3.0, "cv": 0.4}, 1.2**2, (0, math.inf),
                 id="gamma"),
    pytest.param({"dist": "erlang", "mean_hours": 2.0, "k": 4}, 4.0 / 4, (0, math.inf),
                 id="erlang"),
    pytest.param({"dist": "empirical", "values_hours": [1.0, 2.0, 2.0, 7.0]},
                 float(np.var([1.0, 2.0, 2.0, 7.0])), (1.0, 7.0), id="empirical"),
]


@pytest.mark.parametrize(("spec", "variance", "support"), MOMENTS)
def test_sample_mean_matches_mean(spec, variance, support):
    d = parse_distribution(spec)
    x = d.sample(np.random.default_rng(12345), N_SAMPLES)
    assert x.shape == (N_SAMPLES,)
    assert support[0] <= x.min() and x.max() <= support[1]
    se = math.sqrt(variance / N_SAMPLES)
    # 5 standard errors: a false alarm about once in 1.7 million
    assert abs(x.mean() - d.mean) <= 5 * se + 1e-12, (x.mean(), d.mean, se)
    if variance > 0:
        # sample variance within 5% (its own standard error is < 1% here)
        assert x.var() == pytest.approx(variance, rel=0.05)
    else:
        assert np.all(x == d.mean)


@pytest.mark.parametrize(("spec", "variance", "support"), MOMENTS)
def test_sampler_draws_the_same_values_as_batches(spec, variance, support):
    d = parse_distribution(spec)
    sampler = Sampler(d, np.random.default_rng(7), batch=64)
    drawn = np.array([sampler() for _ in range(300)])
    assert np.isfinite(drawn).all()
    assert support[0] <= drawn.min() and drawn.max() <= support[1]
    if spec["dist"] != "constant":
        # batches of 64 from one stream: the first batch is the distribution's own draw
        np.testing.assert_array_equal(drawn[:64], d.sample(np.random.default_rng(7), 64))


def test_uniform_sampler_is_in_unit_interval():
    u = UniformSampler(np.random.default_rng(3))
    x = np.array([u() for _ in range(5000)])
    assert x.min() >= 0 and x.max() < 1
    assert abs(x.mean() - 0.5) <= 5 * math.sqrt(1 / 12 / x.size)


def test_named_streams_are_reproducible_and_independent():
    a = stream(1, 0, "service:border").random(5)
    np.testing.assert_array_equal(a, stream(1, 0, "service:border").random(5))
    for other in (stream(2, 0, "service:border"), stream(1, 1, "service:border"),
                  stream(1, 0, "service:other")):
        assert not np.array_equal(a, other.random(5))


INVALID = [
    pytest.param({"dist": "triangular", "min_hours": 3, "mode_hours": 1, "max_hours": 4},
                 "min_hours ≤ mode_hours ≤ max_hours", id="triangular-mode-below-min"),
    pytest.param({"dist": "triangular", "min_hours": 1, "mode_hours": 5, "max_hours": 4},
                 "min_hours ≤ mode_hours ≤ max_hours", id="triangular-mode-above-max"),
    pytest.param({"dist": "triangular", "min_hours": 2, "mode_hours": 2, "max_hours": 2},
                 "min_hours < max_hours", id="triangular-degenerate"),
    pytest.param({"dist": "uniform", "min_hours": 2, "max_hours": 2}, "min_hours < max_hours",
                 id="uniform-empty"),
    pytest.param({"dist": "uniform", "min_hours": 3, "max_hours": 1}, "min_hours < max_hours",
                 id="uniform-reversed"),
    pytest.param({"dist": "exponential", "mean_hours": 0}, "greater than 0", id="exp-zero"),
    pytest.param({"dist": "exponential", "mean_hours": -1}, "greater than 0", id="exp-neg"),
    pytest.param({"dist": "exponential", "mean_hours": float("inf")}, "finite",
                 id="exp-inf"),
    pytest.param({"dist": "constant", "hours": -0.5}, "greater than or equal to 0",
                 id="constant-negative"),
    pytest.param({"dist": "constant", "hours": float("nan")}, "finite", id="constant-nan"),
    pytest.param({"dist": "lognormal", "mean_hours": 1, "cv": 0}, "greater than 0",
                 id="lognormal-cv-zero"),
    pytest.param({"dist": "gamma", "mean_hours": 1}, "required", id="gamma-no-cv"),
    pytest.param({"dist": "erlang", "mean_hours": 1, "k": 0}, "greater than or equal to 1",
                 id="erlang-k-zero"),
    pytest.param({"dist": "empirical", "values_hours": []}, "needs values_hours",
                 id="empirical-empty"),
    pytest.param({"dist": "empirical"}, "needs values_hours", id="empirical-nothing"),
    pytest.param({"dist": "empirical", "values_hours": [1, -2]}, "greater than or equal to 0",
                 id="empirical-negative"),
    pytest.param({"dist": "exponentail", "mean_hours": 1}, "exponentail", id="unknown-dist"),
    pytest.param({"mean_hours": 1}, "dist", id="no-dist"),
    pytest.param({"dist": "exponential", "mean_hours": 1, "sd": 1}, "sd", id="extra-key"),
]


@pytest.mark.parametrize(("spec", "fragment"), INVALID)
def test_invalid_distribution_is_rejected(spec, fragment):
    with pytest.raises(ValidationError) as err:
        parse_distribution(spec)
    assert isinstance(err.value, ValueError)
    assert fragment in str(err.value)


@pytest.mark.parametrize(("spec", "fragment"), [
    pytest.param({"dist": "triangular", "min_hours": 3, "mode_hours": 1, "max_hours": 4},
                 "needs min_hours ≤ mode_hours ≤ max_hours", id="triangular"),
    pytest.param({"dist": "uniform", "min_hours": 2, "max_hours": 1}, "needs min_hours <",
                 id="uniform"),
    pytest.param({"dist": "exponential", "mean_hours": -1.5}, "must be a number > 0",
                 id="negative-mean"),
    pytest.param({"dist": "exponentail", "mean_hours": 1},
                 "unknown dist 'exponentail'; expected one of", id="typo"),
    pytest.param({"dist": "empirical", "values_hours": []}, "needs values_hours",
                 id="empirical-empty"),
])
def test_invalid_distribution_in_a_scenario_is_a_located_problem(make_scenario, spec,
                                                                 fragment):
    data = make_scenario.dict(checkpoints={"border": make_scenario.checkpoint(service=spec)})
    with pytest.raises(cs.ScenarioError) as err:
        scenario_from_dict(data)
    (problem,) = err.value.problems
    assert problem.path.startswith("nodes.border.service_time")
    assert fragment in problem.message


# Regression test for a bug fixed in 8828995: loader._real_path keeps the union tag of a model-
# level distribution error in the key path ('nodes.border.service_time.triangular')
@pytest.mark.parametrize("spec", [
    {"dist": "triangular", "min_hours": 3, "mode_hours": 1, "max_hours": 4},
    {"dist": "uniform", "min_hours": 2, "max_hours": 1},
    {"dist": "empirical", "values_hours": []},
], ids=["triangular", "uniform", "empirical"])
def test_distribution_error_path_is_a_real_key_path(make_scenario, spec):
    data = make_scenario.dict(checkpoints={"border": make_scenario.checkpoint(service=spec)})
    with pytest.raises(cs.ScenarioError) as err:
        scenario_from_dict(data)
    assert [p.path for p in err.value.problems] == ["nodes.border.service_time"]


def test_suggests_the_nearest_distribution_name(make_scenario):
    spec = {"dist": "lognormall", "mean_hours": 1, "cv": 1}
    data = make_scenario.dict(checkpoints={"border": make_scenario.checkpoint(service=spec)})
    with pytest.raises(cs.ScenarioError, match="did you mean 'lognormal'"):
        scenario_from_dict(data)


# --------------------------------------------------------------------------- empirical CSVs

CSV_TEXT = "hours,other\n0.5,10\n1.5,20\n4.0,30\n"


def _empirical_scenario(make_scenario, **service) -> dict:
    spec = {"dist": "empirical", **service}
    return make_scenario.dict(checkpoints={"border": make_scenario.checkpoint(service=spec)})


def test_empirical_csv_is_read_relative_to_the_scenario_file(make_scenario, write_yaml,
                                                            tmp_path, monkeypatch):
    (tmp_path / "sub" / "data").mkdir(parents=True)
    (tmp_path / "sub" / "data" / "times.csv").write_text(CSV_TEXT)
    path = write_yaml(_empirical_scenario(make_scenario, csv="data/times.csv"),
                      "sub/scenario.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    sc = load_scenario(path)
    dist = sc.nodes["border"].service_time
    assert dist.values_hours == [0.5, 1.5, 4.0]
    assert dist.mean == pytest.approx(2.0)
    # a resolved scenario is self-contained: the values, not the file
    assert "times.csv" not in to_yaml(sc)
    again = write_yaml(to_yaml(sc), "other/resolved.yaml")
    assert load_scenario(again) == sc


def test_empirical_csv_column_is_selectable(make_scenario, write_yaml, tmp_path):
    (tmp_path / "times.csv").write_text(CSV_TEXT)
    path = write_yaml(_empirical_scenario(make_scenario, csv="times.csv", column="other"))
    assert load_scenario(path).nodes["border"].service_time.values_hours == [10, 20, 30]


@pytest.mark.parametrize(("csv_name", "content", "column", "fragment"), [
    ("missing.csv", None, None, "cannot read CSV file"),
    ("empty.csv", "hours\n", None, "has no data rows"),
    ("times.csv", CSV_TEXT, "nope", "has no column 'nope'"),
    ("words.csv", "hours\nsoon\n", None, "must be numbers"),
])
def test_empirical_csv_problems_are_located(make_scenario, write_yaml, tmp_path, csv_name,
                                            content, column, fragment):
    if content is not None:
        (tmp_path / csv_name).write_text(content)
    service = {"csv": csv_name} if column is None else {"csv": csv_name, "column": column}
    data = _empirical_scenario(make_scenario, **service)
    path = write_yaml(data)
    with pytest.raises(cs.ScenarioError) as err:
        load_scenario(path)
    (problem,) = err.value.problems
    assert fragment in problem.message
    assert problem.file == str(path)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                if "csv:" in text)
    # the problem points into the service_time mapping
    assert line - 3 <= problem.line <= line


# Regression test for a bug fixed in 8828995: an empirical CSV in a base scenario is read relative
# to the extending file, not to the base file it is written in
def test_empirical_csv_of_a_base_file_is_relative_to_the_base(make_scenario, write_yaml,
                                                             tmp_path):
    (tmp_path / "base" / "times.csv").parent.mkdir()
    (tmp_path / "base" / "times.csv").write_text(CSV_TEXT)
    write_yaml(_empirical_scenario(make_scenario, csv="times.csv"), "base/base.yaml")
    child = write_yaml("extends: ../base/base.yaml\nname: child\n", "child/child.yaml")
    scenario = load_scenario(child, allow_outside=True)  # base/ is beside child/, not inside
    assert scenario.nodes["border"].service_time.values_hours == [0.5, 1.5, 4.0]
