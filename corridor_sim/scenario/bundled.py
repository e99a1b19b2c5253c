"""The scenarios shipped inside the package."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import Problem, ScenarioError
from .schema import Scenario

__all__ = ["RENAMED", "SCENARIO_DIR", "bundled", "bundled_names", "bundled_path"]

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
"""Folder of the bundled scenario files."""

RENAMED: dict[str, str] = {"green_corridor": "no_green_corridor"}
"""Old name of a bundled scenario → its new name. The old names still load, with a notice."""


def bundled_names() -> list[str]:
    """Names of the bundled scenarios, sorted.

    Returns
    -------
    list of str
    """
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def bundled_path(name: str) -> Path:
    """Path of a bundled scenario file.

    Parameters
    ----------
    name : str
        Scenario name without ``.yaml``, e.g. ``"baseline"``.

    Returns
    -------
    Path

    Notes
    -----
    A name in :data:`RENAMED` loads the renamed scenario and prints a one-line notice on
    standard error.

    Raises
    ------
    ScenarioError
        If there is no such bundled scenario.
    """
    stem = Path(name).stem
    if stem in RENAMED:
        # a plain notice, not a FutureWarning: old notebooks and scripts must keep running
        print(f"corridor_sim: the bundled scenario {stem!r} is now called {RENAMED[stem]!r} "
              "(it switches the green corridor off); loading that.", file=sys.stderr)
        stem = RENAMED[stem]
    path = SCENARIO_DIR / f"{stem}.yaml"
    if not path.is_file():
        from .references import suggest

        raise ScenarioError([Problem("", f"no bundled scenario {name!r}; the bundled ones are "
                                     f"{', '.join(bundled_names())}"
                                     + suggest(name, bundled_names()))])
    return path


def bundled(name: str = "baseline") -> Scenario:
    """Load a bundled scenario by name.

    Parameters
    ----------
    name : str, default "baseline"
        Scenario name, e.g. ``"baseline"`` or ``"single_checkpoint"``.

    Returns
    -------
    Scenario

    Examples
    --------
    >>> import corridor_sim as cs
    >>> cs.bundled("single_checkpoint").name
    'single-checkpoint'
    """
    from .loader import load_scenario

    return load_scenario(bundled_path(name))
