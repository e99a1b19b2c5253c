"""The corridor map: country outlines, true coordinates, an inset for crowded nodes."""

from __future__ import annotations

import numpy as np
import pytest

import corridor_sim as cs

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402
from matplotlib.path import Path  # noqa: E402

from corridor_sim import plot  # noqa: E402
from corridor_sim.plot._map import (  # noqa: E402
    approximate_nodes,
    country_outlines,
    crowded_clusters,
    node_positions,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def baseline():
    return cs.bundled("baseline")


def _offsets(ax) -> list[tuple[float, float]]:
    return [tuple(p) for c in ax.collections if isinstance(c, PathCollection)
            and not str(c.get_gid()).startswith("approximate") for p in c.get_offsets()]


def test_outlines_are_shipped_and_put_cities_in_their_countries(baseline):
    outlines = country_outlines()
    assert sorted(outlines) == ["CHN", "KAZ", "KGZ"]

    def country(lon, lat):
        return {c for c, rings in outlines.items()
                for ring in rings if Path(ring).contains_point((lon, lat))}

    for name in ("almaty", "aktogay", "urumqi", "xian"):
        node = baseline.nodes[name]
        assert country(node.lon, node.lat) == {
            {"KZ": "KAZ", "CN": "CHN"}[node.country]}, name
    assert country(74.6, 42.87) == {"KGZ"}  # Bishkek


def test_map_draws_borders_behind_nodes_at_true_coordinates(baseline):
    ax = plot.network(baseline)
    borders = [p for p in ax.artists + ax.patches if isinstance(p, Polygon)
               and str(p.get_gid()).startswith("border:")]
    assert {p.get_gid().split(":")[1] for p in borders} == {"KAZ", "CHN", "KGZ"}
    assert all(p.get_zorder() < 1 for p in borders)
    # every node where the scenario puts it, none moved apart
    drawn = set(_offsets(ax))
    for node in baseline.nodes.values():
        assert (node.lon, node.lat) in drawn
    # the view is the corridor, not all of China
    (x0, x1), (_, y1) = ax.get_xlim(), ax.get_ylim()
    assert 70 < x0 < 77 and 109 < x1 < 120 and y1 < 55
    assert "Natural Earth" in " ".join(t.get_text() for t in ax.texts)
    assert "country (Natural Earth)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_khorgos_cluster_gets_an_inset(baseline):
    pos, _ = node_positions(baseline)
    groups = crowded_clusters(pos)
    assert groups[0] == ["altynkol_rail", "khorgos_rail", "khorgos_road", "nur_zholy_road"]
    ax = plot.network(baseline)
    insets = {c.get_gid(): c for c in ax.child_axes}
    assert "inset:Khorgos" in insets
    ins = insets["inset:Khorgos"]
    shown = set(_offsets(ins))
    assert {(baseline.nodes[n].lon, baseline.nodes[n].lat) for n in groups[0]} == shown
    labels = {t.get_text() for t in ins.texts}
    assert {"Nur Zholy (KZ)", "Khorgos (CN)", "Altynkol (KZ)", "Khorgos rail (CN)"} <= labels
    (x0, x1) = ins.get_xlim()
    assert x1 - x0 < 0.5  # a close-up, a few km across
    # on the main map the cluster has one label pointing to the inset, not four on top
    main = [t.get_text() for t in ax.texts]
    assert "Khorgos (inset)" in main and "Nur Zholy (KZ)" not in main
    assert not plot.network(baseline, insets=0).child_axes


def test_approximate_positions_are_marked(baseline):
    approx = approximate_nodes(baseline)
    assert {"nur_zholy_road", "altynkol_rail", "aktogay", "xian"} <= approx
    assert "almaty" not in approx and "dostyk_rail" not in approx
    ax = plot.network(baseline, insets=0)
    rings = [c for c in ax.collections if str(c.get_gid()).startswith("approximate:")]
    assert len(rings) == 1
    assert set(rings[0].get_gid().split(":")[1].split(",")) == approx
    np.testing.assert_allclose(
        sorted(map(tuple, rings[0].get_offsets())),
        sorted((baseline.nodes[n].lon, baseline.nodes[n].lat) for n in approx))
    assert "position approximate" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_new_node_without_coordinates_is_labelled_and_approximate(baseline):
    sc = baseline.with_changes({
        "nodes.new_centre": {"kind": "dry_port", "lanes": {"general": 2},
                             "service_time": {"dist": "constant", "hours": 1.0}},
        "links": [*baseline.to_dict()["links"],
                  {"from": "almaty", "to": "new_centre", "mode": "road", "distance_km": 40,
                   "travel_time": {"dist": "constant", "hours": 1.0}},
                  {"from": "new_centre", "to": "nur_zholy_road", "mode": "road",
                   "distance_km": 300, "travel_time": {"dist": "constant", "hours": 1.0}}]})
    assert "new_centre" in approximate_nodes(sc)
    ax = plot.network(sc)
    assert "new_centre" in [t.get_text() for t in ax.texts]
