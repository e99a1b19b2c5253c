"""corridor_sim: discrete-event simulation of the Kazakhstan–China freight corridor.

A scenario (YAML) describes the corridor as a graph of border checkpoints, terminals, dry
ports, airports and links by mode; :func:`run` simulates it with SimPy and returns
:class:`Results` with KPIs and confidence intervals.

Examples
--------
>>> import corridor_sim as cs
>>> sc = cs.bundled("single_checkpoint")
>>> sc.nodes["border"].kind
'checkpoint'
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .errors import CorridorSimError, NoRouteError, Problem, ScenarioError
from .experiment import run
from .results import Results
from .scenario import Scenario, bundled, bundled_names, load_scenario

try:
    __version__ = version("corridor_sim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "CorridorSimError",
    "NoRouteError",
    "Problem",
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "bundled",
    "bundled_names",
    "load_scenario",
    "run",
]
