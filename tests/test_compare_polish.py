"""Comparison polish: settings matched by link identity, tables in the order asked for."""

from __future__ import annotations

import pytest

import corridor_sim as cs
from corridor_sim.scenario.loader import scenario_from_dict


@pytest.fixture(scope="module")
def reordered():
    base = cs.bundled("single_checkpoint").with_changes({"horizon_days": 4, "warmup_days": 1})
    data = base.to_dict()
    data["links"] = list(reversed(data["links"]))
    data["links"][0]["travel_time"] = {"dist": "constant", "hours": 2.0}  # border→destination
    other = scenario_from_dict(data)
    return cs.compare({"base": base, "other": other}, replications=2, seed=1,
                      warmup_check=False)


def test_settings_diff_matches_links_by_ends_and_mode(reordered):
    diff = reordered.settings_diff()
    # only the one real change, although every link moved in the list
    assert list(diff.index) == ["links[border>destination:road].travel_time.hours"]
    assert diff.iloc[0].tolist() == [0.0, 2.0]


def test_table_keeps_the_requested_order(reordered):
    wanted = ["lead_time_hours.mean", "created", "border.wait_hours.*"]
    t = reordered.table(wanted)
    kpis = list(dict.fromkeys(t.index.get_level_values("kpi")))
    assert kpis == ["lead_time_hours.mean", "created", "border.wait_hours.mean",
                    "border.wait_hours.p95"]
    assert reordered.select(["created", "created"]) == ["created"]
    assert t["n"].dtype.kind == "i"


def test_flows_that_changed_come_from_settings_and_routes():
    from corridor_sim.changes import what_changed

    base = cs.bundled("baseline")
    ch = what_changed({"base": base, "off": cs.bundled("no_green_corridor")})
    assert ch.nodes == ["nur_zholy_road", "khorgos_road"] and ch.links == []
    through = [f for f, per in ch.routes.items() if "khorgos_road" in per["base"]]
    assert through and sorted(ch.flows) == sorted(through)  # the road flows, not rail or air
    # a link matched by its ends: changing one link's time changes only the flows on it
    i = next(i for i, lk in enumerate(base.links)
             if (lk.from_, lk.to, lk.mode) == ("alashankou_rail", "dostyk_rail", "rail"))
    slower = base.with_changes({f"links[{i}].speed_kmh": 10.0})
    ch = what_changed({"base": base, "slower": slower})
    assert ch.links == ["alashankou_rail>dostyk_rail:rail"] and ch.nodes == []
    assert ch.flows and all("dostyk_rail>alashankou_rail" in ch.routes[f]["base"]
                            or "alashankou_rail>dostyk_rail" in ch.routes[f]["base"]
                            for f in ch.flows)
    assert len(ch.flows) < len(ch.routes)
    assert what_changed({"a": base, "b": base}).flows == []
