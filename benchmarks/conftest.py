"""Benchmark fixtures: measured numbers go to ``benchmark.extra_info`` and a table at the end.

Run with ``pytest benchmarks/ --benchmark-only`` (add ``-s`` to see progress lines). Each test
reports what it measured through the ``record`` fixture; ``pytest_terminal_summary`` prints every
row, with the target it is judged against, after pytest-benchmark's own timing table.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from helpers import machine

_ROWS: list[tuple[str, str, str, str]] = []
_LOAD: list[tuple[float, float, float]] = []


def pytest_sessionstart(session) -> None:
    """Note the load average before the benchmarks start (other work skews the timings)."""
    _LOAD.append(os.getloadavg())


@pytest.fixture
def record(benchmark) -> Callable[..., None]:
    """``record(case, metric, value, target="")``: keep a measured number.

    It goes to ``benchmark.extra_info[metric]`` (so ``--benchmark-json`` saves it) and to the
    table printed at the end of the session.
    """

    def _record(case: str, metric: str, value: float | int | str, target: str = "") -> None:
        benchmark.extra_info[metric] = value
        if isinstance(value, float):
            text = f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
        elif isinstance(value, int):
            text = f"{value:,}"
        else:
            text = str(value)
        _ROWS.append((case, metric, text, target))

    return _record


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print every recorded number as one table."""
    if not _ROWS:
        return
    tr = terminalreporter
    tr.section("corridor_sim performance")
    info = machine()
    tr.write_line(f"{info['cores']} cores, {info['cpu']}; Python {info['python']}, "
                  f"SimPy {info['simpy']}; commit {info['commit']}")
    before = ", ".join(f"{x:.2f}" for x in _LOAD[0]) if _LOAD else "?"
    after = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    tr.write_line(f"load average (1, 5, 15 min) before: {before}; after: {after}")
    head = ("case", "metric", "value", "target")
    widths = [max(len(r[i]) for r in [head, *_ROWS]) for i in range(4)]
    for row in [head, tuple("-" * w for w in widths), *_ROWS]:
        tr.write_line("  ".join(c.ljust(w) if i != 2 else c.rjust(w)
                                for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip())
