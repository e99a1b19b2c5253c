"""Each plot draws what it should (checked through its artists) on the Agg backend."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import corridor_sim as cs
from corridor_sim.errors import ScenarioError
from corridor_sim.scenario import scenario_from_dict

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402
from matplotlib.patches import FancyArrowPatch, PathPatch  # noqa: E402

from corridor_sim import plot  # noqa: E402
from corridor_sim.plot._map import node_positions  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _checkpoint(lanes: int) -> dict:
    return {"kind": "checkpoint", "mode": "road", "lanes": {"general": lanes},
            "service_time": {"dist": "exponential", "mean_hours": 1.0}}


def _link(a: str, b: str, mode: str = "road", hours: float = 1.0, **extra) -> dict:
    return {"from": a, "to": b, "mode": mode, "travel_time": {"dist": "constant",
                                                             "hours": hours}, **extra}


@pytest.fixture(scope="module")
def corridor() -> cs.Scenario:
    """Origin and destination with coordinates, two borders and a hub without; road and rail
    in parallel between the hub and the destination; two commodities."""
    return scenario_from_dict({
        "name": "mini-corridor", "horizon_days": 6, "warmup_days": 1,
        "nodes": {
            "origin": {"kind": "city", "lat": 40.0, "lon": 70.0, "label": "Origin City"},
            "kz": _checkpoint(3), "cn": _checkpoint(3),
            "hub": {"kind": "city"},
            "destination": {"kind": "city", "lat": 44.0, "lon": 90.0},
        },
        "links": [_link("origin", "kz"), _link("kz", "cn"), _link("cn", "hub"),
                  _link("hub", "destination", "road", 10.0, bidirectional=True),
                  _link("hub", "destination", "rail", 12.0)],
        "commodities": {"general": {"unit": "teu"}, "fresh": {"unit": "teu"}},
        "demand": [{"origin": "origin", "destination": "destination", "commodity": "general",
                    "per_day": 30},
                   {"origin": "origin", "destination": "destination", "commodity": "fresh",
                    "per_day": 10}],
    })


@pytest.fixture(scope="module")
def run(corridor) -> cs.Results:
    return cs.run(corridor, replications=3, seed=1, warmup_check=False)


@pytest.fixture(scope="module")
def cmp(corridor) -> cs.Comparison:
    return cs.compare({"base": corridor,
                       "1 lane": corridor.with_changes({"nodes.kz.lanes.general": 1}),
                       "same": corridor}, replications=3, seed=1, warmup_check=False)


def test_import_does_not_load_matplotlib():
    code = ("import sys, corridor_sim as cs; assert 'matplotlib' not in sys.modules; "
            "cs.plot; assert 'corridor_sim.plot' in sys.modules; "
            "assert 'matplotlib.pyplot' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_throughput_bars_side_by_side_with_cis(cmp):
    ax = plot.throughput(cmp)
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 3  # one group per scenario …
    assert all(len(b) == 2 for b in bars)  # … with a bar per node
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["base", "1 lane", "same"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["kz", "cn"]
    expected = cmp.results["1 lane"].summary().loc[["kz.throughput_per_day",
                                                    "cn.throughput_per_day"], "mean"]
    np.testing.assert_allclose([r.get_height() for r in bars[1]], expected)
    assert all(b.errorbar is not None for b in bars)
    assert "TEU/day" in ax.get_ylabel() and "CI" in ax.get_ylabel()
    assert ax.get_title() == "Throughput per node"


def test_throughput_of_one_run_is_a_series(run):
    ax = plot.throughput(run)
    table = run.throughput("D")
    assert len(ax.get_lines()) == table.shape[1]  # kz, cn, delivered
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "warm-up" in labels and "kz" in labels
    assert ax.get_xlabel() == "date (UTC)" and "TEU per day" in ax.get_ylabel()
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), table.iloc[:, 0])
    ax2 = plot.throughput(run, kind="bar")
    assert sum(len(c) for c in ax2.containers if isinstance(c, BarContainer)) == 2


def _errorbars(ax) -> list:
    return [c for a in ax.figure.axes for c in a.containers if isinstance(c, ErrorbarContainer)]


def test_forest_plot_marks_significant_differences(cmp):
    kpis = ["kz.wait_hours.mean", "kz.utilisation", "created"]
    ax = plot.compare(cmp, kpis)
    panels = {a.get_gid(): a for a in ax.figure.axes}
    # one panel per family; "created" is the same in every scenario and is left out
    assert sorted(panels) == ["family:utilisation", "family:wait"]
    assert ax is panels["family:wait"]  # the top panel
    bars = _errorbars(ax)
    assert len(bars) == 4  # 2 KPIs × 2 compared scenarios
    assert "no difference at all" in panels["family:utilisation"].get_xlabel()
    faces = {}
    for c in bars:
        line = c.lines[0]
        faces.setdefault(line.get_color(), []).append(line.get_markerfacecolor())
    table = cmp.differences(kpis)
    sig = table.xs("1 lane", level="scenario")["significant"]
    assert sig["kz.wait_hours.mean"] and sig["kz.utilisation"] and not sig["created"]
    same = [f for col, fs in faces.items() for f in fs if mpl.colors.to_hex(col) ==
            mpl.colors.to_hex(plot.PALETTE[2])]
    assert same and all(f == "white" for f in same)  # identical scenario: nothing significant
    assert "'base'" in ax.figure.get_suptitle()


def test_forest_plot_is_in_native_units(cmp):
    ax = plot.compare(cmp, ["kz.wait_hours.mean", "lead_time_hours.mean"])
    wait = next(a for a in ax.figure.axes if a.get_gid() == "family:wait")
    assert wait.get_title(loc="left").startswith("wait [h]")
    diff = cmp.table("kz.wait_hours.mean").loc[("kz.wait_hours.mean", "1 lane")]
    xs = [c.lines[0].get_xdata()[0] for c in wait.containers
          if isinstance(c, ErrorbarContainer)]
    assert diff["diff"] in xs  # hours, not % of the reference
    assert "% of the reference" not in wait.get_xlabel()
    rel = plot.compare(cmp, ["kz.wait_hours.mean"], relative=True)
    xs = [c.lines[0].get_xdata()[0] for c in _errorbars(rel)]
    assert diff["diff_pct"] == pytest.approx(xs[0])
    assert rel.get_title(loc="left") == "wait [%]"


def test_forest_plot_puts_changed_flows_first(corridor):
    # a faster last leg by road changes only the flows routed over it
    base = corridor.with_changes({"links[0].travel_time.hours": 3.0})
    cmp = cs.compare({"base": base, "road": base.with_changes(
        {"links[3].travel_time.hours": 2.0})}, replications=2, seed=1, warmup_check=False)
    ax = plot.compare(cmp, "*.lead_time_hours.mean")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    flows = [lb for lb in labels if ">" in lb]
    assert flows and all(lb.startswith("▸ ") for lb in flows)
    assert labels[:len(flows)] == flows  # changed flows come first


def test_forest_plot_default_kpis(cmp):
    ax = plot.compare(cmp)
    gids = [a.get_gid() for a in ax.figure.axes]
    assert gids[0] == "family:lead time" and "family:wait" in gids
    assert "family:throughput" in gids  # one lane saturates kz: throughput differs here
    labels = [t.get_text() for a in ax.figure.axes for t in a.get_yticklabels()]
    assert not any(".from[" in lb for lb in labels)


def test_throughput_plot_only_where_throughput_differs(cmp, tmp_path):
    assert plot.throughput_differs(cmp)
    same = cs.Comparison({"base": cmp.results["base"], "same": cmp.results["same"]})
    assert not plot.throughput_differs(same)
    files = plot.save_comparison_plots(same, tmp_path)
    assert [f.name for f in files] == ["differences.png"]


def test_lead_times_per_commodity(run, cmp):
    ax = plot.lead_times(run)
    assert len([p for p in ax.patches if isinstance(p, PathPatch)]) == 2
    assert [t.get_text() for t in ax.get_yticklabels()] == ["general", "fresh"]
    assert "lead time [h]" in ax.get_xlabel()
    ax = plot.lead_times(cmp)
    assert len([p for p in ax.patches if isinstance(p, PathPatch)]) == 6
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["base", "1 lane", "same"]


def test_queue_mean_with_band(run, cmp):
    ax = plot.queue(run, "kz", bin_hours=24)
    assert len(ax.get_lines()) == 1 and len(ax.collections) == 1
    mean = ax.get_lines()[0].get_ydata()
    assert mean.size == 6
    # the daily means after the warm-up average to the KPI
    np.testing.assert_allclose(np.mean(mean[1:]), run.kpis["kz.queue_length.mean"].mean())
    assert "shipments" in ax.get_ylabel() and ax.get_title().startswith("Queue at kz")
    ax = plot.queue(cmp, "kz")
    assert len(ax.get_lines()) == 3 and len(ax.collections) == 3
    with pytest.raises(ScenarioError, match="unknown node 'kx'; choose from cn, kz"):
        plot.queue(run, "kx")


def _side(ax, arrow: FancyArrowPatch, a: tuple, b: tuple) -> float:
    """Side of the straight line a → b (data coordinates) on which the drawn arrow bulges."""
    (x0, y0), (x1, y1) = a, b
    xc, yc = arrow.get_path().vertices[1]  # control point of the arc (data coordinates)
    return float(np.sign((x1 - x0) * (yc - y0) - (y1 - y0) * (xc - x0)))


def test_network_map_at_coordinates(corridor, run):
    ax = plot.network(corridor)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)
                and not str(c.get_gid()).startswith("approximate")]
    assert sorted(c.get_label() for c in scatters) == ["checkpoint", "city"]
    cities = next(c for c in scatters if c.get_label() == "city").get_offsets()
    assert [70.0, 40.0] in cities.tolist() and [90.0, 44.0] in cities.tolist()
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 5  # origin-kz, kz-cn, cn-hub, hub-destination by road and by rail
    gids = {a.get_gid(): a for a in arrows}
    road = gids["link:destination<>hub:road"]  # both ways: one double-headed arrow
    rail = gids["link:hub>destination:rail"]
    ax.figure.canvas.draw()
    pos, _ = node_positions(corridor)
    ends = (pos["hub"], pos["destination"])
    assert _side(ax, road, *ends) * _side(ax, rail, *ends) < 0  # bent to opposite sides
    assert road.get_linestyle() != rail.get_linestyle()
    assert road.get_arrowstyle().__class__.__name__ != rail.get_arrowstyle().__class__.__name__
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["road link", "rail link", "city", "checkpoint", "position approximate",
                      "country (Natural Earth)"]
    assert "longitude" in ax.get_xlabel() and "latitude" in ax.get_ylabel()
    assert "Origin City" in [t.get_text() for t in ax.texts]
    ax = plot.network(run, kpi="wait_hours.mean")
    assert len(ax.figure.axes) == 2  # the colour bar
    assert "wait_hours.mean [h]" in ax.figure.axes[1].get_ylabel()
    with pytest.raises(ScenarioError, match="kpi"):
        plot.network(run, kpi="nope")


def test_nodes_without_coordinates_sit_between_their_neighbours(corridor):
    pos, geographic = node_positions(corridor)
    assert geographic
    assert pos["origin"] == (70.0, 40.0)
    xs = [pos[n][0] for n in ("origin", "kz", "cn", "hub", "destination")]
    assert xs == sorted(xs)  # in order along the corridor
    assert 70 < pos["kz"][0] < pos["hub"][0] < 90
    # no coordinates at all: a left-to-right schematic
    pos, geographic = node_positions(cs.bundled("single_checkpoint"))
    assert not geographic
    assert pos["origin"][0] < pos["border"][0] < pos["destination"][0]
    assert node_positions(corridor) == node_positions(corridor)  # deterministic


def test_every_plot_uses_a_given_axes(run, cmp):
    for draw in (lambda ax: plot.throughput(run, ax=ax), lambda ax: plot.lead_times(run, ax=ax),
                 lambda ax: plot.queue(run, "kz", ax=ax), lambda ax: plot.network(run, ax=ax),
                 lambda ax: plot.compare(cmp, ax=ax)):
        _, ax = plt.subplots()
        assert draw(ax) is ax


def test_saved_plots(run, cmp, tmp_path):
    (tmp_path / "run").mkdir()
    files = plot.save_run_plots(run, tmp_path / "run")
    assert [f.name for f in files] == ["throughput.png", "lead_times.png"]
    (tmp_path / "cmp").mkdir()
    files = plot.save_comparison_plots(cmp, tmp_path / "cmp")
    assert [f.name for f in files] == ["throughput.png", "differences.png"]
    for f in files:
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == []  # saved figures are closed
