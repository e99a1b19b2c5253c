"""The decision scorecard: ranks, ties by Holm-corrected paired tests, signs, units, NPV."""

from __future__ import annotations

import numpy as np
import pytest
from test_costs import SCENARIO

import corridor_sim as cs
from corridor_sim.choice import assign
from corridor_sim.errors import ScenarioError
from corridor_sim.scenario.loader import scenario_from_dict
from corridor_sim.scorecard import (
    CHANGED_LEAD_TIME,
    changed_flows,
    format_value,
    holm,
    npv_factor,
)

SHORT = dict(SCENARIO, horizon_days=12, warmup_days=2)


def variant(**changes: object) -> cs.Scenario:
    return scenario_from_dict(SHORT).with_changes(changes) if changes else \
        scenario_from_dict(SHORT)


@pytest.fixture(scope="module")
def cmp() -> cs.Comparison:
    base = variant()
    faster = variant(**{"nodes.side_a.service_time": {"dist": "constant", "hours": 0.5}})
    # the same as faster, written differently: it cannot be told apart from faster
    faster_too = variant(**{"nodes.side_a.service_time": {"dist": "constant", "hours": 0.5},
                            "nodes.side_a.label": "Side A"})
    dearer = variant(**{"nodes.side_a.costs.capex_usd": 3.0e6})
    return cs.compare({"baseline": base, "faster": faster, "faster too": faster_too,
                       "dearer": dearer}, replications=3, seed=2)


def test_holm_matches_the_textbook_example() -> None:
    # p = 0.01, 0.04, 0.03 → sorted 0.01×3, 0.03×2, 0.04×1 with the running maximum
    assert holm([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, np.nan]).tolist()[0] == 0.5
    assert np.isnan(holm([0.5, np.nan])[1])
    assert holm([0.9, 0.8]).max() <= 1.0


def test_ranks_share_the_best_rank_when_not_distinguishable(cmp: cs.Comparison) -> None:
    card = cmp.scorecard()
    t = card.table
    assert list(t.index) == ["baseline", "faster", "faster too", "dearer"]
    assert t[("rank", "")].tolist() == [3, 1, 1, 4]
    assert t[("tied_with_best", "")].tolist() == [False, True, True, False]
    # p-values against the best: the twin is identical (p = 1), the others differ
    p = t[("p_vs_best", "")]
    assert p["faster too"] == 1.0 and p["baseline"] < 0.05 and p["dearer"] < 0.05


def test_signs_units_and_hand_values(cmp: cs.Comparison) -> None:
    card = cmp.scorecard()
    t = card.table
    lead = "Lead time of the flows that changed"
    # faster saves exactly half an hour at side_a on every shipment
    assert t.loc["faster", (lead, "diff")] == pytest.approx(-0.5, rel=1e-12)
    assert t.loc["faster", (lead, "better")] is True
    assert t.loc["faster", ("Cost per TEU", "diff")] == pytest.approx(
        -(5.0 * 2 * 0.5 + 24.0 * 2 * 0.5 / 24) / 2, rel=1e-9)   # time value and storage
    # dearer pays 2 M USD more capex, annualised at 5% over 10 years; nothing else changes
    extra = 2.0e6 * 0.05 / (1 - 1.05 ** -10)
    assert t.loc["dearer", ("Total annual cost", "diff")] == pytest.approx(extra, rel=1e-9)
    assert t.loc["dearer", ("Total annual cost", "better")] is False
    assert t.loc["dearer", ("Annual centre cost", "diff")] == pytest.approx(extra, rel=1e-9)
    # capex moves no shipment: dearer changes no flow, so it has no lead-time difference
    assert card.changed_by["dearer"] == []
    assert card.changed_by["faster"] == ["origin>destination:general",
                                         "origin>destination:fresh"]
    assert np.isnan(t.loc["dearer", (lead, "diff")])
    assert t.loc["dearer", (lead, "better")] is None
    assert t.loc["dearer", (lead, "significant")] is np.False_ or \
        not t.loc["dearer", (lead, "significant")]
    assert np.isnan(t.loc["baseline", ("Total annual cost", "diff")])
    assert [c.label for c in card.criteria][:2] == ["Total annual cost", lead]
    flat = card.to_frame()
    assert flat.loc["dearer", "Total annual cost: diff"] == pytest.approx(extra, rel=1e-9)
    assert flat.loc["faster", "rank"] == 1
    cells = card.cells()
    assert cells.loc["dearer", "Annual centre cost [USD a year]"].endswith("worse")
    assert "e+0" not in card.to_text()


def test_sentences_are_written_from_the_numbers(cmp: cs.Comparison) -> None:
    card = cmp.scorecard()
    s = card.sentences()
    assert set(s) == set(cmp.names)
    assert "0.50 h shorter" in s["faster"] and "ranks 1st" in s["faster"]
    assert "not distinguishable from 'faster too'" in s["faster"]
    extra = 2.0e6 * 0.05 / (1 - 1.05 ** -10)
    assert format_value(extra, "USD/year") in s["dearer"] and "higher" in s["dearer"]
    assert "ranks 4th" in s["dearer"]


def test_npv_ranks_on_the_discounted_saving(cmp: cs.Comparison) -> None:
    card = cmp.scorecard(npv_years=10, discount_rate=0.08)
    t = card.table
    assert card.primary.label == "NPV over 10 years" and not card.primary.lower_is_better
    cost = cmp.scorecard().table[("Total annual cost", "mean")]
    for name in ("faster", "dearer"):
        expect = (cost["baseline"] - cost[name]) * npv_factor(10, 0.08)
        assert t.loc[name, ("NPV over 10 years", "mean")] == pytest.approx(expect, rel=1e-9)
    assert t.loc["baseline", ("NPV over 10 years", "mean")] == 0.0
    assert t[("rank", "")].tolist() == [3, 1, 1, 4]
    assert npv_factor(10, 0.08) == pytest.approx((1 - 1.08 ** -10) / 0.08)


def test_baseline_choice_and_criteria(cmp: cs.Comparison) -> None:
    card = cmp.scorecard(["co2e_kg_per_teu", "on_time_share"], baseline="dearer")
    assert card.baseline == "dearer" and card.table.index[0] == "dearer"
    assert [c.kpi for c in card.criteria] == ["cost_usd_per_year.total", "co2e_kg_per_teu",
                                              "on_time_share"]
    with pytest.raises(ScenarioError, match="no scenario 'nope'"):
        cmp.scorecard(baseline="nope")


def test_no_money_inputs_is_a_clear_error() -> None:
    sc = cs.bundled("single_checkpoint").with_changes({"horizon_days": 3, "warmup_days": 1})
    alt = sc.with_changes({"nodes.border.lanes.general": 5})
    plain = cs.compare({"a": sc, "b": alt}, replications=2, seed=1)
    with pytest.raises(ScenarioError, match="primary: no scenario reports"):
        plain.scorecard()
    card = plain.scorecard(primary=CHANGED_LEAD_TIME)
    assert card.primary.unit == "h"


def test_changed_flows_are_decided_from_settings_and_routes() -> None:
    base = cs.bundled("baseline")
    term = cs.bundled("urumqi_terminal")
    changed = changed_flows(base, [term])
    # only flows through the Urumqi terminal can change; the road flows do not pass it
    assert "urumqi>almaty:general" not in changed
    assert "almaty>urumqi:agri_fresh" not in changed
    assert "xian>almaty:general[rail]" in changed
    assert all("urumqi_terminal" in o.route.nodes
               for fc in assign(base).flows if fc.key in changed for o in fc.chosen)
    assert changed_flows(base, [base]) == []


def test_format_value_is_readable() -> None:
    assert format_value(913_000.0, "USD/year") == "USD 913,000"
    assert format_value(9.13e8, "USD") == "USD 913.00 M"
    assert format_value(-0.00001, "h", signed=True) == "0.00 h"
    assert format_value(0.05, "share", signed=True) == "+5.0 pp"
    assert format_value(float("nan"), "kg") == "–"


def test_plot_scorecard_draws_one_bar_per_proposal(cmp: cs.Comparison) -> None:
    import matplotlib.pyplot as plt

    ax = cs.plot.scorecard(cmp)
    assert len(ax.patches) == 3
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths[0] < 0 < widths[-1]
    assert "thousand USD" in ax.get_xlabel()
    plt.close(ax.figure)


def test_cli_compare_prints_the_scorecard_and_the_report_opens_with_it(tmp_path,
                                                                        monkeypatch) -> None:
    import contextlib
    import io

    import yaml

    from corridor_sim.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(dict(SHORT, name="base")),
                                        encoding="utf-8")
    (tmp_path / "dearer.yaml").write_text(
        "extends: base.yaml\nname: dearer\nnodes:\n  side_a:\n    costs: {capex_usd: 3000000}\n",
        encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["compare", "base.yaml", "dearer.yaml", "--out", "cmp",
                     "--replications", "2", "--no-plots"])
    text = out.getvalue()
    assert code == 0, err.getvalue()
    assert "Scorecard against 'base', ranked on total annual cost" in text
    assert "Total annual cost [USD a year]:" in text
    assert "+USD 259,009" in text   # 2 M USD annualised at 5% over 10 years
    assert "dearer: total annual cost USD 259,009 higher" in text
    assert "e+0" not in text.split("differences from")[0]
    html = (tmp_path / "cmp" / "report.html").read_text(encoding="utf-8")
    assert html.index("The answer") < html.index("What differs between the scenarios")
    assert "It ranks 2nd." in html


def test_scorecard_costs_and_co2_match_the_hand_calculation(cmp: cs.Comparison) -> None:
    """Done-when of issue 11: compare the baseline with proposals; costs and CO2 exact."""
    from test_costs import per_unit_parts

    t = cmp.scorecard().table
    teu = sum(per_unit_parts(10.0, 2.0, True, 5.0, 0.0).values()) / 2.0
    co2 = (90.3 * 104 + 60.0 * 200) / 1000.0 * 10 + 2.0
    for name in ("baseline", "dearer"):
        assert t.loc[name, ("Cost per TEU", "mean")] == pytest.approx(teu, rel=1e-9)
    # half an hour less at side_a: 2.50 USD of time and 0.50 of storage per TEU
    for name in ("faster", "faster too"):
        assert t.loc[name, ("Cost per TEU", "mean")] == pytest.approx(teu - 3.0, rel=1e-9)
    assert t[("CO2e per TEU", "mean")].to_numpy() == pytest.approx(co2, rel=1e-9)
    centre = 1.0e6 * 0.05 / (1 - 1.05 ** -10) + 5.0e4
    assert t.loc["baseline", ("Annual centre cost", "mean")] == pytest.approx(centre, rel=1e-9)
