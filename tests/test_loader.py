"""Scenario files: validation messages with file and line, extends, with_changes, to_yaml."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path

import pytest

import corridor_sim as cs
from corridor_sim.errors import CorridorSimError, NoRouteError, Problem, ScenarioError
from corridor_sim.scenario import bundled_names, load_scenario, scenario_from_dict, to_yaml
from corridor_sim.scenario.bundled import SCENARIO_DIR
from corridor_sim.scenario.loader import parse_path

REPO = Path(__file__).resolve().parent.parent
LINE_FORMAT = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?:(?P<path>[A-Za-z_][\w\-]*"
                         r"(?:\.[\w\-]+|\[\d+\])*): )?(?P<message>.+)$")

BASE = """\
name: base
description: A two-mode crossing.
horizon_days: 30
warmup_days: 2
calendars:
  day_shift:
    shifts: [{days: [mon, tue, wed, thu, fri], open: 09:00, close: 18:00}]
    timezone: Asia/Almaty
nodes:
  origin: {kind: city}
  border:
    kind: checkpoint
    mode: road
    lanes: {general: 2}
    service_time: {dist: exponential, mean_hours: 1.0}
    inspection: {probability: 0.2, time: {dist: constant, hours: 2}}
  destination: {kind: city}
links:
  - {from: origin, to: border, travel_time: {dist: constant, hours: 1}}
  - {from: border, to: destination, mode: road, travel_time: {dist: constant, hours: 2}}
  - {from: origin, to: destination, mode: rail, distance_km: 900, speed_kmh: 30}
commodities:
  general: {unit: teu}
  fruit: {unit: tonne, green_corridor: true}
demand:
  - {origin: origin, destination: destination, commodity: general, per_day: 20}
  - {origin: origin, destination: destination, commodity: fruit, per_day: 5}
"""


def line_of(path: Path, fragment: str, nth: int = 0) -> int:
    """1-based number of the line holding ``fragment`` (its ``nth`` occurrence)."""
    hits = [i for i, text in enumerate(path.read_text().splitlines(), 1) if fragment in text]
    assert len(hits) > nth, f"{fragment!r} not in {path}"
    return hits[nth]


def problems_of(source) -> list[Problem]:
    with pytest.raises(ScenarioError) as err:
        load_scenario(source)
    return err.value.problems


@pytest.fixture
def base_file(write_yaml) -> Path:
    return write_yaml(BASE, "base.yaml")


# --------------------------------------------------------------------------- errors


def test_scenario_error_is_a_value_error():
    assert issubclass(ScenarioError, ValueError)
    assert issubclass(ScenarioError, CorridorSimError)
    assert issubclass(NoRouteError, ScenarioError)
    err = ScenarioError([Problem("a.b", "bad", "f.yaml", 3), Problem("", "worse")])
    assert isinstance(err, ValueError)
    assert str(err) == "f.yaml:3: a.b: bad\nworse"
    assert cs.ScenarioError is ScenarioError


def test_bundled_scenario_loads_by_name_and_path():
    assert "single_checkpoint" in bundled_names()
    by_name = load_scenario("single_checkpoint")
    assert load_scenario(REPO / "scenarios" / "single_checkpoint.yaml") == by_name
    assert load_scenario(SCENARIO_DIR / "single_checkpoint.yaml") == by_name
    assert cs.bundled("single_checkpoint") == by_name
    assert load_scenario(by_name) is by_name
    assert by_name.nodes["border"].lanes.general == 4


def test_unknown_bundled_name_suggests_the_nearest():
    (problem,) = problems_of("single_chekpoint")
    assert "no bundled scenario 'single_chekpoint'" in problem.message
    assert "did you mean 'single_checkpoint'" in problem.message


def test_missing_file(tmp_path):
    (problem,) = problems_of(tmp_path / "nope.yaml")
    assert problem.message == "no such scenario file"


def test_every_problem_is_reported_at_once_with_file_line_and_key(write_yaml):
    path = write_yaml(textwrap.dedent("""\
        name: bad
        horizon_days: 10
        calendars:
          night: {timezone: Mars/Base, always_open: true}
        nodes:
          origin: {kind: city}
          border:
            kind: checkpoint
            calendar: nigth
            lanes:
              general: -2
            service_time: {dist: exponential, mean_hours: 1}
            inspectoin: {probability: 0.5}
          other: {kind: chekpoint}
          destination: {kind: city}
        links:
          - {from: origin, to: boder, travel_time: {dist: constant, hours: 0}}
          - {from: border, to: destination, travel_time: {dist: constant, hours: 0}}
        commodities:
          general: {unit: teu}
        demand:
          - {origin: origin, destination: destination, commodity: generl, per_day: 10,
             modes: [raod]}
        """))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    # (line marker, key path, start of message, end of message)
    expected = [
        ("Mars/Base", "calendars.night.timezone",
         "unknown time zone 'Mars/Base'; expected an IANA name such as 'Asia/Almaty'", ""),
        ("nigth", "nodes.border.calendar", "unknown calendar 'nigth'", "did you mean 'night'?"),
        ("general: -2", "nodes.border.lanes.general", "must be an integer ≥ 0, got -2", ""),
        ("inspectoin", "nodes.border.inspectoin", "unknown key 'inspectoin'",
         "did you mean 'inspection'?"),
        ("chekpoint", "nodes.other",
         "unknown kind 'chekpoint'; expected one of city, origin, destination, checkpoint",
         "did you mean 'checkpoint'?"),
        ("boder", "links[0].to", "unknown node 'boder'", "did you mean 'border'?"),
        ("generl", "demand[0].commodity", "unknown commodity 'generl'",
         "did you mean 'general'?"),
        ("raod", "demand[0].modes[0]", "must be one of 'road', 'rail' or 'air', got 'raod'",
         "did you mean 'road'?"),
    ]
    problems = sorted(err.value.problems, key=lambda p: (p.line, p.path))
    assert len(problems) == len(expected), str(err.value)
    want = sorted(expected, key=lambda e: (line_of(path, e[0]), e[1]))
    for problem, (marker, key, start, end) in zip(problems, want, strict=True):
        assert (problem.file, problem.line, problem.path) == (str(path), line_of(path, marker),
                                                              key)
        assert problem.message.startswith(start), problem.message
        assert problem.message.endswith(end), problem.message
    for line in str(err.value).splitlines():
        m = LINE_FORMAT.match(line)
        assert m and m["file"] == str(path) and m["path"], line


def test_problems_are_sorted_by_line(write_yaml, make_scenario):
    data = make_scenario.dict(checkpoints={"border": make_scenario.checkpoint(lanes=-1)})
    data["horizon_days"] = -5
    data["demand"][0]["per_day"] = -1
    path = write_yaml(data)
    lines = [p.line for p in problems_of(path)]
    assert len(lines) == 3
    assert lines == sorted(lines)


@pytest.mark.parametrize(("mutate", "path", "fragment"), [
    (lambda d: d["nodes"]["border"].update(kind="chekpoint"), "nodes.border",
     "did you mean 'checkpoint'"),
    (lambda d: d["nodes"]["border"].update(lanse={"general": 1}), "nodes.border.lanse",
     "did you mean 'lanes'"),
    (lambda d: d["links"][0].update(to="bordr"), "links[0].to", "did you mean 'border'"),
    (lambda d: d["demand"][0].update(destination="destinaton"), "demand[0].destination",
     "did you mean 'destination'"),
    (lambda d: d["demand"][0].update(commodity="generall"), "demand[0].commodity",
     "did you mean 'general'"),
    (lambda d: d["nodes"]["border"].update(calendar="round_the_clok"), "nodes.border.calendar",
     "did you mean 'round_the_clock'"),
    (lambda d: d["commodities"]["general"].update(barred_at=["bordre"]),
     "commodities.general.barred_at[0]", "did you mean 'border'"),
    (lambda d: d["commodities"]["general"].update(modes=["rial"]),
     "commodities.general.modes[0]", "did you mean 'rail'"),
    (lambda d: d.update(horizon_dayz=3), "horizon_dayz", "did you mean 'horizon_days'"),
])
def test_did_you_mean(make_scenario, mutate, path, fragment):
    data = make_scenario.dict()
    mutate(data)
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    matching = [p for p in err.value.problems if p.path == path]
    assert matching, err.value.problems
    assert fragment in matching[0].message


def test_scenario_from_dict_without_file_has_no_location(make_scenario):
    data = make_scenario.dict(checkpoints={"border": make_scenario.checkpoint(lanes=-1)})
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    (problem,) = err.value.problems
    assert (problem.file, problem.line) == (None, None)
    assert str(err.value) == "nodes.border.lanes.general: must be an integer ≥ 0, got -1"


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("name: x\nnodes: {a: 1\nlinks: []\n", 3, "not valid YAML"),
    ("name: x\n  horizon_days: 3\n", 2, "not valid YAML"),
    ("name: [x\n", 2, "not valid YAML"),
    ("name: x\nnodes:\n\t- a\n", 3, "not valid YAML"),
    ("- just\n- a list\n", 1, "must be a mapping"),
    ("42\n", 1, "must be a mapping"),
    ("", 1, "must be a mapping"),
])
def test_yaml_syntax_errors_are_located(write_yaml, text, line, fragment):
    path = write_yaml(text)
    (problem,) = problems_of(path)
    assert problem.file == str(path)
    assert problem.line == line
    assert fragment in problem.message
    assert LINE_FORMAT.match(str(problem))


def test_duplicate_keys_are_reported_with_their_lines(write_yaml):
    path = write_yaml("name: a\nhorizon_days: 3\nname: b\nnodes:\n  x: {kind: city}\n"
                      "  x: {kind: city}\n")
    problems = problems_of(path)
    assert [(p.path, p.line, p.message) for p in problems] == [
        ("name", 3, "duplicate key"), ("nodes.x", 6, "duplicate key")]


def test_clock_times_are_read_as_text(base_file):
    shift = load_scenario(base_file).calendars["day_shift"].shifts[0]
    assert (shift.open, shift.close) == ("09:00", "18:00")


# --------------------------------------------------------------------------- extends


def test_extends_merges_mappings(base_file, write_yaml):
    child = write_yaml(textwrap.dedent("""\
        extends: base.yaml
        name: child
        nodes:
          border:
            lanes: {general: 5}
        commodities:
          meat: {unit: tonne, barred_at: [border]}
        """), "child.yaml")
    base, sc = load_scenario(base_file), load_scenario(child)
    assert sc.name == "child"
    assert sc.description == base.description
    assert sc.nodes["border"].lanes.general == 5
    assert sc.nodes["border"].service_time == base.nodes["border"].service_time
    assert sc.nodes["border"].inspection == base.nodes["border"].inspection
    assert set(sc.commodities) == {"general", "fruit", "meat"}
    assert sc.calendars == base.calendars
    assert sc.links == base.links and sc.demand == base.demand


def test_extends_merges_links_by_from_to_mode(base_file, write_yaml):
    child = write_yaml(textwrap.dedent("""\
        extends: base.yaml
        links:
          - {from: origin, to: border, mode: road, travel_time: {dist: constant, hours: 4}}
          - {from: origin, to: destination, mode: rail, remove: true}
          - {from: origin, to: destination, mode: air, travel_time: {dist: constant, hours: 3}}
        """), "child.yaml")
    sc = load_scenario(child)
    ends = [(lk.from_, lk.to, lk.mode) for lk in sc.links]
    assert ends == [("origin", "border", "road"), ("border", "destination", "road"),
                    ("origin", "destination", "air")]
    # the base link had no mode (road by default) and is still the same link, overridden
    assert sc.links[0].travel_time.hours == 4
    assert sc.links[1] == load_scenario(base_file).links[1]


def test_extends_merges_demand_by_origin_destination_commodity(base_file, write_yaml):
    child = write_yaml(textwrap.dedent("""\
        extends: base.yaml
        commodities:
          ecommerce: {unit: tonne}
        demand:
          - {origin: origin, destination: destination, commodity: fruit, per_day: 9}
          - {origin: origin, destination: destination, commodity: general, remove: true}
          - {origin: origin, destination: destination, commodity: ecommerce, per_year: 365}
        """), "child.yaml")
    sc = load_scenario(child)
    assert [(d.commodity, d.shipments_per_day) for d in sc.demand] == [
        ("fruit", 9), ("ecommerce", 1)]


def test_extends_null_deletes_an_inherited_key(base_file, write_yaml):
    child = write_yaml(textwrap.dedent("""\
        extends: base.yaml
        description: null
        nodes:
          border:
            inspection: null
        demand:
          - {origin: origin, destination: destination, commodity: fruit, per_day: null,
             per_year: 730}
        """), "child.yaml")
    sc = load_scenario(child)
    assert sc.description == ""  # the default
    assert sc.nodes["border"].inspection is None
    fruit = sc.demand[1]
    assert (fruit.per_day, fruit.per_year) == (None, 730)


def test_extends_chains_and_finds_bundled_scenarios(base_file, write_yaml):
    write_yaml("extends: base.yaml\nname: middle\nwarmup_days: 5\n", "middle.yaml")
    leaf = write_yaml("extends: middle.yaml\nhorizon_days: 40\n", "leaf.yaml")
    sc = load_scenario(leaf)
    assert (sc.name, sc.warmup_days, sc.horizon_days) == ("middle", 5, 40)
    assert sc.nodes == load_scenario(base_file).nodes
    bundled_child = write_yaml("extends: single_checkpoint.yaml\nhorizon_days: 40\n"
                               "warmup_days: 4\n", "own.yaml")
    sc = load_scenario(bundled_child)
    assert sc.nodes == cs.bundled("single_checkpoint").nodes
    assert (sc.horizon_days, sc.warmup_days) == (40, 4)


def test_inherited_values_are_located_in_the_file_they_come_from(write_yaml):
    base = write_yaml(BASE.replace("mean_hours: 1.0", "mean_hours: -1.0")
                      .replace("per_day: 5", "per_day: -5"), "base.yaml")
    child = write_yaml(textwrap.dedent("""\
        extends: base.yaml
        name: child

        nodes:
          border:
            lanes: {general: -3}
        links:
          - {from: origin, to: destination, mode: rail, remove: true}
          - {from: border, to: destination, travel_time: {dist: constant, hours: -1.5}}
        """), "child.yaml")
    got = {(p.path, p.file, p.line) for p in problems_of(child)}
    assert got == {
        ("nodes.border.lanes.general", str(child), line_of(child, "general: -3")),
        ("links[1].travel_time.hours", str(child), line_of(child, "hours: -1.5")),
        ("nodes.border.service_time.mean_hours", str(base.resolve()),
         line_of(base, "mean_hours: -1.0")),
        ("demand[1].per_day", str(base.resolve()), line_of(base, "per_day: -5")),
    }


def test_inherited_reference_error_points_into_the_base(write_yaml):
    base = write_yaml(BASE.replace("calendars:\n", "calendars:\n  other: {always_open: true}\n")
                      .replace("mode: road\n    lanes", "mode: road\n    calendar: day_shfit\n"
                               "    lanes"), "base.yaml")
    child = write_yaml("extends: base.yaml\nname: child\n", "child.yaml")
    (problem,) = problems_of(child)
    assert problem.path == "nodes.border.calendar"
    assert "did you mean 'day_shift'" in problem.message
    assert (problem.file, problem.line) == (str(base.resolve()), line_of(base, "day_shfit"))


@pytest.mark.parametrize("files", [
    {"a.yaml": "extends: a.yaml\nname: a\n"},
    {"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: a.yaml\n"},
    {"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: c.yaml\n", "c.yaml": "extends: b.yaml\n"},
], ids=["self", "two", "three"])
def test_circular_extends(write_yaml, files):
    paths = [write_yaml(text, name) for name, text in files.items()]
    (problem,) = problems_of(paths[0])
    assert problem.path == "extends"
    assert "circular extends" in problem.message
    assert problem.line == 1


@pytest.mark.parametrize(("text", "fragment"), [
    ("extends: nowhere.yaml\nname: x\n", "no such file 'nowhere.yaml'"),
    ("extends: [base.yaml]\n", "must be a file name"),
])
def test_bad_extends(write_yaml, text, fragment):
    path = write_yaml(text)
    (problem,) = problems_of(path)
    assert (problem.path, problem.line) == ("extends", 1)
    assert fragment in problem.message


def test_syntax_error_in_a_base_file_is_located_there(write_yaml):
    base = write_yaml("name: base\nnodes: {a: [\n", "base.yaml")
    child = write_yaml("extends: base.yaml\n", "child.yaml")
    (problem,) = problems_of(child)
    assert problem.file == str(base.resolve())
    assert "not valid YAML" in problem.message


# Regression test for a bug fixed in 8828995: loader._merge keys a dict by the identity tuple of
# each links/demand item, so a mapping as 'from' raises TypeError
def test_extends_with_an_unhashable_link_end_is_a_scenario_error(base_file, write_yaml):
    child = write_yaml("extends: base.yaml\nlinks:\n  - {from: {a: 1}, to: border}\n",
                       "child.yaml")
    problems = problems_of(child)
    assert "links[3].from" in [p.path for p in problems]


# --------------------------------------------------------------------------- with_changes


def test_with_changes_dotted_paths_and_indices(base_file):
    sc = load_scenario(base_file)
    new = sc.with_changes({
        "nodes.border.lanes.general": 6,
        "links[0].travel_time.hours": 2.5,
        "demand[-1].per_day": 7,
        "calendars.day_shift.timezone": "Asia/Shanghai",
        "nodes.border.max_vehicles_per_day": 100,
    })
    assert new.nodes["border"].lanes.general == 6
    assert new.links[0].travel_time.hours == 2.5
    assert new.demand[1].per_day == 7 and new.demand[0].per_day == 20
    assert new.calendars["day_shift"].timezone == "Asia/Shanghai"
    assert new.nodes["border"].max_vehicles_per_day == 100
    # the original is untouched (scenarios are immutable)
    assert sc.nodes["border"].lanes.general == 2
    assert sc.nodes["border"].max_vehicles_per_day is None
    with pytest.raises(Exception):  # noqa: B017 - frozen pydantic model
        sc.nodes["border"].lanes.general = 3


def test_with_changes_creates_and_deletes_keys(base_file):
    sc = load_scenario(base_file)
    new = sc.with_changes({"nodes.border.transload": {"time": {"dist": "constant",
                                                               "hours": 1}, "bays": 2},
                           "nodes.border.inspection": None})
    assert new.nodes["border"].transload.bays == 2
    assert new.nodes["border"].inspection is None
    back = new.with_changes({"nodes.border.transload": None})
    assert back.nodes["border"].transload is None


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"nodes.border.lanes.general": -1}, "nodes.border.lanes.general: must be an integer ≥ 0"),
    ({"nodes.border.calendar": "nights"}, "unknown calendar 'nights'"),
    ({"links[7].to": "x"}, "no item [7]"),
    ({"links.to": "x"}, "cannot set key 'to'"),
    ({"nodes..border": 1}, "not a key path"),
    ({"links[x]": 1}, "not a key path"),
    ({"horizon_days": 1}, "warmup_days (2) must be shorter than horizon_days (1)"),
    ({"nodes.ghost.lanes.general": 1}, "nodes.ghost"),
    ({"demand[0].per_day": None}, "give exactly one of per_day or per_year"),
])
def test_with_changes_invalid_result_raises(base_file, changes, fragment):
    sc = load_scenario(base_file)
    with pytest.raises(ScenarioError) as err:
        sc.with_changes(changes)
    assert fragment in str(err.value)


def test_parse_path():
    assert parse_path("links[3].speed_kmh") == ["links", 3, "speed_kmh"]
    assert parse_path("demand[-1].per_day") == ["demand", -1, "per_day"]
    assert parse_path("nodes.khorgos_road.lanes.general") == [
        "nodes", "khorgos_road", "lanes", "general"]


# --------------------------------------------------------------------------- to_yaml


def _rich_scenario_dict(make_scenario) -> dict:
    cp = make_scenario.checkpoint
    data = make_scenario.dict(
        checkpoints={
            "nur_zholy": cp(lanes=3, green_lanes=1, calendar="kz_day",
                            service=make_scenario.exponential(0.5),
                            inspection={"probability": 0.1,
                                        "time": {"dist": "triangular", "min_hours": 1,
                                                 "mode_hours": 2, "max_hours": 4}},
                            max_vehicles_per_day=300, label="Nur Zholy", lat=44.2, lon=80.3,
                            country="KZ"),
            "khorgos": cp(lanes=4, calendar="cn_day", green_priority=False,
                          service={"dist": "empirical", "values_hours": [0.2, 0.4, 1.0]},
                          transload={"time": {"dist": "uniform", "min_hours": 1,
                                              "max_hours": 2}, "bays": 3}),
        },
        calendars={
            "kz_day": {"shifts": [make_scenario.every_day("08:00", "20:00")],
                       "closed_dates": ["2025-03-22"], "timezone": "Asia/Almaty"},
            "cn_day": {"shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"],
                                   "open": "09:00", "close": "18:00"},
                                  {"days": ["sat"], "open": "22:00", "close": "04:00"}],
                       "timezone": "Asia/Shanghai"},
        },
        commodities={"general": {"unit": "teu"},
                     "agri_fresh": {"unit": "tonne", "green_corridor": True,
                                    "shelf_life_hours": 72},
                     "meat": {"unit": "tonne", "barred_at": ["khorgos"], "modes": ["road"]}},
        demand=[
            make_scenario.flow("general", per_hour=2.0, units_per_shipment=2,
                               seasonality=[1, 1, 1, 1.2, 1.2, 1.2, 1, 1, 0.8, 0.8, 1, 1]),
            make_scenario.flow("agri_fresh", per_hour=0.5, weekday=[1, 1, 1, 1, 1, 0.5, 0.5],
                               modes=["road"]),
            {"origin": "origin", "destination": "destination", "commodity": "meat",
             "per_year": 1000},
        ],
        description="Everything a scenario can say",
        replications=3, seed=11, max_shipments=1_000_000,
        start=dt.date(2025, 1, 1),  # as YAML reads `start: 2025-01-01`
    )
    data["links"][1] = {"from": "nur_zholy", "to": "khorgos", "mode": "road",
                        "distance_km": 12, "speed_kmh": 20, "bidirectional": True}
    return data


def test_to_yaml_round_trip_except_start(make_scenario, write_yaml):
    sc = scenario_from_dict(_rich_scenario_dict(make_scenario))
    again = load_scenario(write_yaml(to_yaml(sc)))
    assert again.model_dump(exclude={"start"}) == sc.model_dump(exclude={"start"})
    assert again.start_utc == sc.start_utc


# Regression test for a bug fixed in 8828995: Scenario.start is typed `datetime | date`; the date
# written by to_yaml/to_dict as '2025-01-01' comes back as a datetime, so the round trip (and
# with_changes) gives an unequal Scenario
@pytest.mark.parametrize("source", ["bundled", "rich"])
def test_to_yaml_round_trip(make_scenario, write_yaml, source):
    sc = (cs.bundled("single_checkpoint") if source == "bundled"
          else scenario_from_dict(_rich_scenario_dict(make_scenario)))
    assert load_scenario(write_yaml(to_yaml(sc))) == sc


# Regression test for a bug fixed in 8828995: with_changes turns a date `start` into a datetime
# (same cause as the to_yaml round trip)
def test_with_no_changes_is_equal(base_file):
    sc = load_scenario(base_file)
    assert isinstance(sc.start, dt.date)
    assert sc.with_changes({}) == sc
    assert type(sc.with_changes({}).start) is type(sc.start)


def test_start_with_time_zone(make_scenario):
    sc = make_scenario(start="2025-01-01T06:00:00+06:00")
    assert sc.start_utc == dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


# --------------------------------------------------------------------------- semantics


def test_max_shipments_guard(make_scenario):
    data = make_scenario.dict(per_hour=100, horizon_days=365, max_shipments=100_000)
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    (problem,) = err.value.problems
    assert problem.path == "demand"
    assert "max_shipments = 100,000" in problem.message
    assert "876,000" in problem.message
    data["max_shipments"] = 1_000_000
    assert scenario_from_dict(data).expected_shipments() == pytest.approx(876_000)


def test_demand_without_a_route_names_origin_and_destination(make_scenario):
    data = make_scenario.dict(commodities={"general": {"unit": "teu", "modes": ["rail"]}})
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    (problem,) = err.value.problems
    assert problem.path == "demand[0]"
    assert "no route from 'origin' to 'destination'" in problem.message
    assert "rail" in problem.message and "'general'" in problem.message


def test_demand_without_a_route_in_a_file_is_located(make_scenario, write_yaml):
    data = make_scenario.dict()
    data["demand"][0]["modes"] = ["air"]
    path = write_yaml(data)
    (problem,) = problems_of(path)
    assert problem.line == line_of(path, "- origin: origin")
    assert "no route from 'origin' to 'destination' by air" in problem.message


@pytest.mark.parametrize(("mutate", "fragment"), [
    (lambda d: d["links"].append(dict(d["links"][0])), "a second road link"),
    (lambda d: d["links"].append({"from": "border", "to": "border", "mode": "rail",
                                  "distance_km": 1, "speed_kmh": 1}), "to itself"),
    (lambda d: d["demand"].append({**d["demand"][0], "destination": "origin"}),
     "origin and destination are the same"),
    (lambda d: d.update(warmup_days=30), "must be shorter than horizon_days"),
    (lambda d: d["nodes"].update({"bad name": {"kind": "city"}}), "must start with a letter"),
    (lambda d: d["links"][0].pop("travel_time"), "needs travel_time, or distance_km"),
    (lambda d: d["demand"][0].update(seasonality=[0] * 12), "must not all be zero"),
    (lambda d: d["demand"][0].update(weekday=[1] * 6), "at least 7"),
    (lambda d: d.update(demand=[]), "at least 1"),
])
def test_semantic_problems(make_scenario, mutate, fragment):
    data = make_scenario.dict()
    mutate(data)
    with pytest.raises(ScenarioError, match=re.escape(fragment)):
        scenario_from_dict(data)


# --------------------------------------------------- regressions: bugs this suite found


# Regression test for a bug fixed in 8828995: loader._message says 'an integer' for a float field
# given an int ('per_day: must be an integer ≥ 0.0, got -4')
def test_limit_message_of_a_float_field_says_number(make_scenario):
    data = make_scenario.dict()
    data["demand"][0]["per_day"] = -4
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    assert str(err.value) == "demand[0].per_day: must be a number ≥ 0, got -4"


def test_duplicate_demand_flows_are_rejected(make_scenario):
    # two identical flows would share one random stream, so their arrivals would coincide
    data = make_scenario.dict()
    data["demand"].append(dict(data["demand"][0]))
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    (problem,) = err.value.problems
    assert problem.path == "demand[1]"
    assert "the same flow as demand[0]" in problem.message


# Regression test for a bug fixed in 8828995: references.reference_problems checks link modes
# against checkpoint modes even when the mode is not a valid mode, so a typo 'raod' is reported
# twice ('a raod link cannot touch ...')
def test_mistyped_link_mode_is_reported_once(make_scenario):
    data = make_scenario.dict()
    data["links"][0]["mode"] = "raod"
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    assert [p.path for p in err.value.problems] == ["links[0].mode"]


# Regression test for a bug fixed in 8828995: references.reference_problems keys duplicate flows by
# (origin, destination, commodity, tuple(modes)), so a mapping in 'modes' raises TypeError
@pytest.mark.parametrize("modes", [{"road": 1}, [{"a": 1}]])
def test_unhashable_demand_modes_are_a_scenario_error(make_scenario, modes):
    data = make_scenario.dict()
    data["demand"][0]["modes"] = modes
    with pytest.raises(ScenarioError, match=r"demand\[0\]\.modes"):
        scenario_from_dict(data)


# Regression test for a bug fixed in 8828995: loader._read_yaml catches only yaml.YAMLError; an
# impossible date such as 2025-02-30 makes PyYAML's timestamp constructor raise a plain ValueError,
# so the CLI prints a traceback
@pytest.mark.parametrize(("old", "new", "marker"), [
    ("start: '2025-01-01'", "start: 2025-02-30", "2025-02-30"),
    ("horizon_days:", "calendars:\n  hol: {always_open: true, closed_dates: [2025-13-01]}\n"
     "horizon_days:", "2025-13-01"),
], ids=["start", "closed_dates"])
def test_impossible_date_is_a_located_problem(make_scenario, write_yaml, old, new, marker):
    text = to_yaml_text(make_scenario.dict())
    assert old in text
    path = write_yaml(text.replace(old, new, 1))
    problems = problems_of(path)
    assert [p.line for p in problems] == [line_of(path, marker)]


# Regression test for a bug fixed in 8828995: references.reference_problems puts a link's (from,
# to, mode) in a dict key, so a list or mapping there raises TypeError
@pytest.mark.parametrize(("key", "value"), [("from", ["origin"]), ("to", {"a": 1}),
                                            ("mode", ["road"])])
def test_unhashable_link_end_is_a_scenario_error(make_scenario, key, value):
    data = make_scenario.dict()
    data["links"][0][key] = value
    with pytest.raises(ScenarioError, match=rf"links\[0\]\.{key}"):
        scenario_from_dict(data)


# Regression test for a bug fixed in 8828995: Link accepts an infinite distance_km (or a
# distance/speed that overflows); Link.time then raises a raw pydantic ValidationError from
# network.build_graph instead of a ScenarioError
@pytest.mark.parametrize(("distance_km", "speed_kmh"), [(float("inf"), 50), (1e308, 1e-5)])
def test_infinite_travel_time_is_a_scenario_error(make_scenario, distance_km, speed_kmh):
    data = make_scenario.dict()
    data["links"][0] = {"from": "origin", "to": "border", "mode": "road",
                        "distance_km": distance_km, "speed_kmh": speed_kmh}
    with pytest.raises(ScenarioError, match=r"links\[0\]"):
        scenario_from_dict(data)


# Regression test for a bug fixed in 8828995: loader._read_yaml catches only OSError, so a file
# that is not UTF-8 raises UnicodeDecodeError instead of ScenarioError
def test_file_that_is_not_utf8_is_a_scenario_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Khorgos–Almaty\n".encode("utf-16"))
    (problem,) = problems_of(path)
    assert problem.file == str(path)


# Regression test for a bug fixed in 8828995: loader._read_yaml builds the YAML loader outside its
# try block, so a non-printable character raises yaml.reader.ReaderError instead of ScenarioError
@pytest.mark.parametrize("text", ["\x1f", "name: a\x07b\n", "name: x\nhorizon_days: 3\x00\n"])
def test_non_printable_character_is_a_scenario_error(write_yaml, text):
    path = write_yaml(text)
    (problem,) = problems_of(path)
    assert problem.file == str(path)
    assert "not valid YAML" in problem.message


# Regression test for a bug fixed in 8828995: loader._locate re-parses each problem's key path with
# parse_path, so a key holding '[' (or a non-text key, shown as 'nodes[1].[key]') raises 'not a key
# path ...' and every real problem, with its file and line, is lost
@pytest.mark.parametrize(("old", "new"), [("  origin:", "  1:"),
                                          ("name: test", "name: test\nodd[key: 1")],
                         ids=["int-node-name", "bracket-key"])
def test_odd_keys_are_reported_with_their_location(write_yaml, make_scenario, old, new):
    text = to_yaml_text(make_scenario.dict())
    assert old in text
    path = write_yaml(text.replace(old, new, 1))
    problems = problems_of(path)
    assert all("not a key path" not in p.message for p in problems), problems
    assert all(p.file == str(path) and p.line for p in problems), problems


# Regression test for a bug fixed in 8828995: a bad `start` is reported twice, once per member of
# the `datetime | date` union, in pydantic's raw wording
def test_bad_start_date_is_reported_once(make_scenario):
    with pytest.raises(ScenarioError) as err:
        make_scenario(start="2025-13-01")
    assert len(err.value.problems) == 1


def to_yaml_text(data: dict) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False)
