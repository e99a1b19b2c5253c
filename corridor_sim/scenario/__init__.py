"""Scenario files: schema, loading, ``extends``, changes and the bundled scenarios."""

from .bundled import bundled, bundled_names, bundled_path
from .loader import load_scenario, scenario_from_dict, to_yaml
from .schema import Scenario

__all__ = [
    "Scenario",
    "bundled",
    "bundled_names",
    "bundled_path",
    "load_scenario",
    "scenario_from_dict",
    "to_yaml",
]
