"""Fuzzing the command line with mutated scenarios (issue 13).

Hypothesis mutates a valid scenario — values of every type (numbers including inf, NaN and
huge ones, text, lists, mappings, null), deleted and unknown keys, references to nodes and
files, and the YAML text itself (cut short, characters inserted, lines repeated, aliases,
deep nesting) — and checks that ``corridor-sim validate`` and ``run``:

- never end in a traceback (exit status 0 or 2 only);
- never hang (an alarm ends an example that takes longer than :data:`HANG_SECONDS`);
- never leave a partial output folder (nothing hidden beside it; a folder, when written,
  is complete with its manifest);
- agree: a scenario that ``validate`` accepts, ``run`` runs.

CI runs a bounded number of examples (a few seconds); for a long local run set
``HYPOTHESIS_PROFILE=long`` (or ``CORRIDOR_SIM_FUZZ_EXAMPLES=N``).
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import re
import signal
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from corridor_sim._files import MANIFEST
from corridor_sim.cli import main
from corridor_sim.scenario.bundled import SCENARIO_DIR

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
EXAMPLES = int(os.environ.get("CORRIDOR_SIM_FUZZ_EXAMPLES", 2000 if LONG else 40))
HANG_SECONDS = 120
"""An example running longer than this counts as hung (a generous bound on a shared CI box)."""

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

BASE: dict[str, Any] = yaml.safe_load(
    (SCENARIO_DIR / "single_checkpoint.yaml").read_text(encoding="utf-8"))
BASE.update({"horizon_days": 3, "warmup_days": 1, "replications": 1})
BASE["calendars"] = {"day": {"shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"],
                                         "open": "08:00", "close": "20:00"}],
                             "closed_dates": ["2025-01-02"], "timezone": "Asia/Almaty"}}
BASE["nodes"]["border"]["calendar"] = "day"
BASE["nodes"]["border"]["service_time"] = {"dist": "empirical", "csv": "waits.csv"}
MAX_SHIPMENTS = 5000  # every mutant is capped at this, so no run is long

ODD_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 10**6, 10**20, 2**64, 1e308, -1e-9, 1e-300]),
    st.integers(min_value=-10**6, max_value=10**6),
    st.text(max_size=12),
    st.sampled_from(["origin", "border", "nowhere", "day", "round_the_clock", "../x.csv",
                     "/etc/passwd", "/dev/zero", "waits.csv", "a$\\frac$b", "09:00",
                     "24:00", "2025-02-30", "9999-12-31", "exponential", "empirical"]),
    st.booleans(),
    st.none(),
    st.lists(st.integers(min_value=-3, max_value=3), max_size=13),
    st.dictionaries(st.sampled_from(["dist", "hours", "mean_hours", "csv", "kind", "x"]),
                    st.one_of(st.integers(-2, 5), st.text(max_size=5)), max_size=3),
)


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=1e4),
    st.integers(min_value=0, max_value=10**4),
    st.sampled_from([0, 1, 10**6, 10**20, 1e308, 1e-300, float("inf"), float("nan")]),
)


def _get(data: Any, path: tuple) -> Any:
    for k in path:
        data = data[k]
    return data


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _apply(data: dict, path: tuple, op: str, value: Any) -> None:
    cur = data
    for k in path[:-1]:
        cur = cur[k]
    last = path[-1]
    if op == "set":
        cur[last] = value
    elif op == "delete":
        del cur[last]
    elif op == "add" and isinstance(cur, dict):
        cur[f"x_{abs(hash(str(value))) % 100}"] = value


@st.composite
def mutant(draw: st.DrawFn) -> str:
    """A mutated scenario as YAML text."""
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 2))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["set"] * 6 + ["delete", "add"]))
        current = _get(data, path)
        numeric = isinstance(current, int | float) and not isinstance(current, bool)
        value = draw(NUMBERS if numeric and draw(st.booleans()) else ODD_VALUES)
        with contextlib.suppress(KeyError, IndexError, TypeError):
            _apply(data, path, op, value)
    if isinstance(data, dict):
        data["max_shipments"] = MAX_SHIPMENTS
    edit = draw(st.sampled_from(["none"] * 8 + ["cut", "insert", "repeat", "alias", "deep"]))
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if edit == "alias" and isinstance(nodes, dict) and "origin" in nodes:
        nodes["destination"] = nodes["origin"]  # one object twice: dumped as &id / *id
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if edit == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif edit == "insert":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(alphabet=":{}[]&*!|>-#'\"\t\n %@`,?", max_size=4)) \
            + text[at:]
    elif edit == "repeat":
        lines = text.splitlines(keepends=True)
        i = draw(st.integers(0, len(lines) - 1))
        text = "".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])
    elif edit == "deep":
        depth = draw(st.integers(10, 3000))
        text = re.sub(r"(?m)^description: .*$", "description: " + "[" * depth + "]" * depth,
                      text)
    return text


@st.composite
def plausible(draw: st.DrawFn) -> str:
    """A scenario with one or two numbers changed to plausible values (most of them run)."""
    data = copy.deepcopy(BASE)
    numeric = [p for p in _paths(data) if isinstance(_get(data, p), int | float)
               and not isinstance(_get(data, p), bool)]
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(numeric))
        value = draw(st.one_of(st.integers(0, 50), st.floats(0, 1e3)))
        _apply(data, path, "set", value)
    data["max_shipments"] = MAX_SHIPMENTS
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@contextlib.contextmanager
def hang_guard(seconds: int):  # noqa: ANN201
    """Fail an example that does not finish within ``seconds`` (a hang, not slowness)."""
    def _hung(signum: int, frame: object) -> None:
        raise AssertionError(f"an example took more than {seconds} s: it hangs")

    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")
@FUZZ
@given(text=st.one_of(mutant(), plausible()))
def test_cli_survives_mutated_scenarios(text):
    with tempfile.TemporaryDirectory() as tmp, hang_guard(HANG_SECONDS):
        folder = Path(tmp)
        (folder / "waits.csv").write_text("hours\n0.5\n1.0\n2.0\n", encoding="utf-8")
        path = folder / "mutant.yaml"
        path.write_text(text, encoding="utf-8")
        note(text)
        code, err = cli(["validate", str(path)])
        assert code in (0, 2), err
        assert "Traceback" not in err
        if code == 2:
            assert err.strip(), "rejected without a word"
            return
        out = folder / "results" / "run"
        code, err = cli(["run", str(path), "-r", "1", "-q", "--no-plots", "--tables", "none",
                         "-o", str(out)])
        assert code == 0, f"validate accepted it, run did not:\n{err}"
        hidden = [p.name for p in out.parent.iterdir() if p.name.startswith(".")]
        assert hidden == [], "partial folder left behind"
        assert (out / MANIFEST).is_file() and (out / "summary.csv").is_file()
