"""The exceptions corridor_sim raises on purpose.

Each class is also the matching built-in exception, so ``except ValueError`` keeps working for
callers that do not know corridor_sim.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["MAX_SHOWN", "CorridorSimError", "NoRouteError", "OutputError", "Problem",
           "ScenarioError"]


MAX_SHOWN = 50
"""Most problems a :class:`ScenarioError` message lists (``problems`` holds every one)."""


class CorridorSimError(Exception):
    """Base class of every error corridor_sim raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a scenario, with where it is.

    Attributes
    ----------
    path : str
        Dotted key path in the scenario, e.g. ``"nodes.khorgos_road.lanes.general"`` or
        ``"links[3].to"``; empty for the document as a whole.
    message : str
        What is wrong and what was expected.
    file : str or None
        The file the offending value came from, if the scenario was loaded from a file.
    line : int or None
        1-based line of the offending value in ``file``.
    keys : tuple, optional
        The key path as keys and list indices (for locating it; not shown).
    """

    path: str
    message: str
    file: str | None = None
    line: int | None = None
    keys: tuple | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        key = f"{self.path}: " if self.path else ""
        return f"{where}{key}{self.message}"


class ScenarioError(CorridorSimError, ValueError):
    """A scenario file or object is invalid; ``problems`` lists each one with its location.

    Parameters
    ----------
    problems : list of Problem
        Every problem found; the message lists them one per line.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        shown = [str(p) for p in self.problems[:MAX_SHOWN]]
        if len(self.problems) > MAX_SHOWN:
            shown.append(f"… and {len(self.problems) - MAX_SHOWN:,} more problems "
                         f"({len(self.problems):,} in all; fix the first ones and check again)")
        super().__init__("\n".join(shown))


class NoRouteError(ScenarioError, LookupError):
    """A demand flow has no route from its origin to its destination by its allowed modes."""


class OutputError(CorridorSimError, OSError):
    """An output folder cannot be written, or writing it would overwrite someone else's files.

    Raised before a run starts when the path is a file or cannot be written, and before the
    results are swapped in when the folder holds a file corridor_sim did not write.
    """
