"""A run's time series: colours of their own, holiday closures named, air cargo in tonnes."""

from __future__ import annotations

import pandas as pd
import pytest

import corridor_sim as cs

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from corridor_sim import plot  # noqa: E402
from corridor_sim.plot._series import holiday_spans  # noqa: E402

WINDOW = {"start": "2025-01-20", "horizon_days": 14, "warmup_days": 2}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def run():
    return cs.run(cs.bundled("baseline").with_changes(WINDOW), replications=1, seed=3,
                  warmup_check=False)


def test_spring_festival_closes_both_road_checkpoints_together():
    spans = holiday_spans(cs.bundled("baseline").with_changes(WINDOW))
    assert len(spans) == 1
    a, b, label, nodes = spans[0]
    assert label == "Spring Festival (CN)"
    # 28–30 January 2025, whole days in Beijing time
    assert a == pd.Timestamp("2025-01-27 16:00", tz="UTC")
    assert b == pd.Timestamp("2025-01-30 16:00", tz="UTC")
    assert sorted(nodes) == ["khorgos_road", "nur_zholy_road"]
    assert holiday_spans(cs.bundled("round_the_clock").with_changes(WINDOW)) == []


def test_series_names_closures_and_puts_air_in_tonnes_on_its_own_axis(run):
    ax = plot.throughput(run)
    holidays = [p for p in ax.patches if str(p.get_gid()).startswith("holiday:")]
    assert [p.get_gid() for p in holidays] == ["holiday:Spring Festival (CN)"]
    notes = [t.get_text() for t in ax.texts]
    assert any("Spring Festival (CN)" in t and "Nur Zholy (KZ)" in t and "Khorgos (CN)" in t
               for t in notes)
    assert "holiday closure" in [t.get_text() for t in ax.get_legend().get_texts()]
    twin = [a for a in ax.figure.axes if a.get_gid() == "air-tonnes"]
    assert len(twin) == 1 and "[t per day]" in twin[0].get_ylabel()
    tonnes = run.throughput("D", unit="tonne")
    air = {ln.get_label(): ln for ln in twin[0].get_lines()}
    assert set(air) == {"Almaty airport [t]", "Urumqi airport [t]"}
    assert air["Urumqi airport [t]"].get_ydata().tolist() == tonnes["urumqi_airport"].tolist()
    assert tonnes["urumqi_airport"].sum() > 0
    # no airport on the TEU axis, and no two lines drawn alike
    teu = ax.get_lines()
    assert not any("airport" in ln.get_label().lower() for ln in teu)
    looks = {(mpl.colors.to_hex(ln.get_color()), str(ln.get_linestyle())) for ln in teu}
    assert len(looks) == len(teu) >= 8
    colours = [mpl.colors.to_hex(ln.get_color()) for ln in teu]
    assert len(set(colours)) == len(teu)  # up to ten lines, each has a colour of its own


def test_a_new_node_is_labelled_from_the_scenario_that_has_it():
    sc = cs.bundled("single_checkpoint").with_changes({"horizon_days": 4, "warmup_days": 1})
    data = sc.to_dict()
    data["nodes"]["yard"] = {"kind": "dry_port", "label": "New yard", "lanes": {"general": 2},
                             "service_time": {"dist": "constant", "hours": 0.5}}
    data["links"][1] = {"from": "border", "to": "yard", "mode": "road",
                        "travel_time": {"dist": "constant", "hours": 0}}
    data["links"].append({"from": "yard", "to": "destination", "mode": "road",
                          "travel_time": {"dist": "constant", "hours": 0}})
    from corridor_sim.scenario import scenario_from_dict

    cmp = cs.compare({"base": sc, "yard": scenario_from_dict(data)}, replications=2, seed=1,
                     warmup_check=False)
    ax = plot.throughput(cmp)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["border", "New yard"]
