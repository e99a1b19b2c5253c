"""corridor_sim: discrete-event simulation of the Kazakhstan–China freight corridor.

A scenario (YAML) describes the corridor as a graph of border checkpoints, terminals, dry
ports, airports and links by mode; :func:`run` simulates it with SimPy and returns
:class:`Results` with KPIs and confidence intervals. :func:`compare` and :func:`sweep` run
several scenarios with common random numbers and return a :class:`Comparison` of paired
differences; :mod:`corridor_sim.plot` (imported on first use) draws them.

Examples
--------
>>> import corridor_sim as cs
>>> sc = cs.bundled("single_checkpoint")
>>> sc.nodes["border"].kind
'checkpoint'
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import checks as _checks  # noqa: F401  (registers the network checks with the loader)
from .calibration import calibration_report
from .comparison import Comparison, compare, sweep
from .engine.space import DeadlockError
from .errors import CorridorSimError, NoRouteError, Problem, ScenarioError
from .executors import ExecutorError
from .experiment import PrecisionWarning, run
from .optimise import Optimisation, optimise
from .results import Results
from .scenario import Scenario, bundled, bundled_names, load_scenario
from .warmup import WarmupWarning

try:
    __version__ = version("corridor_sim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "Comparison",
    "CorridorSimError",
    "DeadlockError",
    "ExecutorError",
    "NoRouteError",
    "Optimisation",
    "PrecisionWarning",
    "Problem",
    "Results",
    "Scenario",
    "ScenarioError",
    "WarmupWarning",
    "__version__",
    "bundled",
    "bundled_names",
    "calibration_report",
    "compare",
    "load_scenario",
    "optimise",
    "plot",
    "run",
    "sweep",
]


def __getattr__(name: str) -> Any:
    """Import :mod:`corridor_sim.plot` on first use (``import corridor_sim`` skips matplotlib)."""
    if name == "plot":
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "plot"})
