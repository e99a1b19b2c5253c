"""Scenario files: schema, loading, ``extends``, changes and the bundled scenarios."""

from .bundled import SCENARIO_DIR, bundled, bundled_names, bundled_path
from .loader import load_scenario, scenario_from_dict, to_yaml
from .schema import Scenario

__all__ = [
    "SCENARIO_DIR",
    "Scenario",
    "bundled",
    "bundled_names",
    "bundled_path",
    "load_scenario",
    "scenario_from_dict",
    "to_yaml",
]
