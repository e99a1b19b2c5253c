"""The guard layer at the input: limits that keep a hostile or broken file from hurting the run.

Scenario files and the CSV files they name are untrusted input. Before anything is parsed:

- only **regular files** are read (not devices such as ``/dev/zero``, FIFOs, folders or
  sockets), at most :data:`MAX_SCENARIO_BYTES` / :data:`MAX_CSV_BYTES` bytes;
- file names in a scenario (``extends``, an empirical ``csv``) must be **relative** and resolve
  **inside the scenario's own folder tree** (or the bundled scenarios), unless the caller passes
  ``allow_outside=True`` (``--allow-outside`` on the command line);
- YAML is composed with limits on **nesting depth**, **alias count** and **expanded size**, so
  neither a deeply nested file nor an alias bomb ("billion laughs") can exhaust the stack or
  memory;
- every number must be **finite** and at most :data:`MAX_NUMBER` in size; dates and horizons
  must stay within :data:`START_YEARS` and :data:`MAX_HORIZON_DAYS`.

Everything here raises :class:`InputRefused` with a plain message; the loader turns it into a
located :class:`~corridor_sim.errors.Problem`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem

__all__ = [
    "MAX_ALIASES",
    "MAX_COUNT",
    "MAX_CSV_BYTES",
    "MAX_DEPTH",
    "MAX_HORIZON_DAYS",
    "MAX_NODES",
    "MAX_NUMBER",
    "MAX_REPLICATIONS",
    "MAX_SCENARIO_BYTES",
    "START_YEARS",
    "InputRefused",
    "check_tree",
    "date_problems",
    "number_problems",
    "read_bytes",
    "resolve_reference",
]

MAX_SCENARIO_BYTES = 2_000_000
"""Largest scenario file read [bytes] (the bundled baseline is 16 kB)."""
MAX_CSV_BYTES = 50_000_000
"""Largest empirical CSV file read [bytes]."""
MAX_DEPTH = 40
"""Deepest nesting of mappings and lists in a scenario, aliases expanded."""
MAX_ALIASES = 200
"""Most YAML aliases (``*name``) in one file."""
MAX_NODES = 500_000
"""Most YAML values (scalars, mappings, lists) in one file, aliases expanded."""
MAX_NUMBER = 1e15
"""Largest magnitude of any number in a scenario (``seed`` excepted)."""
MAX_COUNT = 10_000
"""Largest count of servers: lanes, tracks, cranes, bays."""
MAX_REPLICATIONS = 100_000
"""Most replications one run may ask for."""
MAX_HORIZON_DAYS = 36_525
"""Longest horizon [days] (100 years)."""
START_YEARS = (1900, 2200)
"""Earliest and latest year of ``start`` (model time 0)."""

_COUNT_KEYS = frozenset({"general", "green", "tracks", "cranes", "bays", "containers_per_wagon"})


class InputRefused(Exception):  # noqa: N818 - internal signal, turned into a Problem
    """An input file or value broke a guard; the message says which and why."""


# --------------------------------------------------------------------------- files


def read_bytes(path: str | Path, limit: int) -> bytes:
    """Read a regular file of at most ``limit`` bytes, without blocking on FIFOs or devices.

    Parameters
    ----------
    path : str or Path
    limit : int
        Largest size accepted [bytes].

    Returns
    -------
    bytes

    Raises
    ------
    InputRefused
        For a path with a NUL byte, a missing or unreadable file, a symlink loop, anything
        that is not a regular file, or a file larger than ``limit``.
    """
    text = str(path)
    if "\x00" in text:
        raise InputRefused("the file name contains a NUL byte")
    try:
        fd = os.open(text, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise InputRefused(err.strerror or str(err)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputRefused("not a regular file (a folder, device, FIFO or socket); only "
                               "plain files are read")
        if info.st_size > limit:
            raise InputRefused(f"the file is {info.st_size / 1e6:,.1f} MB, more than the "
                               f"limit of {limit / 1e6:g} MB")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # grew while being read
            raise InputRefused(f"the file is more than the limit of {limit / 1e6:g} MB")
        return b"".join(chunks)
    except OSError as err:
        raise InputRefused(err.strerror or str(err)) from None
    finally:
        os.close(fd)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def resolve_reference(text: str, folder: Path, roots: tuple[Path, ...], *,
                      allow_outside: bool = False) -> Path:
    """Resolve a file name written in a scenario, refusing one that escapes its folder tree.

    Parameters
    ----------
    text : str
        The name as written (``extends: base.yaml``, ``csv: data/waits.csv``).
    folder : Path
        Folder of the file that names it (relative names are read from there).
    roots : tuple of Path
        Resolved folders the name may lead into: the top scenario's folder and the bundled
        scenarios.
    allow_outside : bool, default False
        Accept absolute names and names that lead outside ``roots``.

    Returns
    -------
    Path
        The resolved (absolute, symlink-free) path.

    Raises
    ------
    InputRefused
    """
    if "\x00" in text:
        raise InputRefused("the file name contains a NUL byte")
    if os.path.isabs(text) and not allow_outside:
        raise InputRefused(f"{text!r} is an absolute path; write it relative to the scenario's "
                           "folder, or allow files anywhere with allow_outside=True "
                           "(--allow-outside)")
    try:
        resolved = (folder / text).resolve()
    except (OSError, RuntimeError) as err:  # symlink loop
        raise InputRefused(f"cannot resolve {text!r}: {err}") from None
    if not allow_outside and not any(_inside(resolved, r) for r in roots):
        raise InputRefused(f"{text!r} leads outside the scenario's folder "
                           f"{str(roots[0])!r}; keep the files it uses in that folder tree, or "
                           "allow files anywhere with allow_outside=True (--allow-outside)")
    return resolved


# --------------------------------------------------------------------------- YAML structure


def check_tree(root: yaml.Node) -> None:
    """Refuse a composed YAML document that is too deep or too large once aliases expand.

    Sizes and depths are counted per node once (memoised), so the check is linear in the
    file even when aliases would expand it exponentially; a recursive alias is refused.

    Parameters
    ----------
    root : yaml.Node

    Raises
    ------
    InputRefused
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            active.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_NODES:
                raise InputRefused(f"the YAML expands to more than {MAX_NODES:,} values "
                                   "(aliases counted at every use); write it out plainly")
            if depth[key] > MAX_DEPTH:
                raise InputRefused(f"values nested more than {MAX_DEPTH} levels deep "
                                   f"(line {node.start_mark.line + 1})")
            continue
        if key in size:
            continue
        if key in active:
            raise InputRefused(f"a recursive alias (line {node.start_mark.line + 1}): a value "
                               "that contains itself")
        active.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


# --------------------------------------------------------------------------- values


def number_problems(data: Any, path: tuple[str | int, ...] = ()) -> list[Problem]:
    """One problem per number that is infinite, NaN, or too large, with its key path.

    Parameters
    ----------
    data : Any
        Raw scenario data (mappings, lists, scalars), after ``extends`` merging.
    path : tuple, optional
        Key path of ``data`` itself.

    Returns
    -------
    list of Problem
    """
    from .loader import format_path

    out: list[Problem] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, path)]
    while stack:
        value, keys = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, (*keys, k)) for k, v in value.items() if isinstance(k, str | int))
        elif isinstance(value, list):
            stack.extend((v, (*keys, i)) for i, v in enumerate(value))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, float) and not math.isfinite(value):
            out.append(Problem(format_path(keys), f"must be a finite number, got {value}",
                               keys=keys))
        elif isinstance(value, int | float):
            last = keys[-1] if keys else ""
            if last == "seed":
                limit: float = 2**63
            elif last in _COUNT_KEYS and isinstance(value, int):
                limit = MAX_COUNT
            else:
                limit = MAX_NUMBER
            if abs(value) > limit:
                out.append(Problem(format_path(keys), f"{value:g} is too large; the limit is "
                                   f"{limit:g}", keys=keys))
    return out


def date_problems(start: dt.date, horizon_days: float, replications: int) -> list[Problem]:
    """Problems with model time: a start outside :data:`START_YEARS`, a horizon too long.

    Parameters
    ----------
    start : date or datetime
        The scenario's ``start``.
    horizon_days : float
    replications : int

    Returns
    -------
    list of Problem
    """
    out = []
    lo, hi = START_YEARS
    if not lo <= start.year < hi:
        out.append(Problem("start", f"must be a date from {lo}-01-01 to {hi - 1}-12-31, got "
                           f"{start.isoformat()}", keys=("start",)))
    if horizon_days > MAX_HORIZON_DAYS:
        out.append(Problem("horizon_days", f"must be at most {MAX_HORIZON_DAYS:,} days (100 "
                           f"years), got {horizon_days:g}", keys=("horizon_days",)))
    if replications > MAX_REPLICATIONS:
        out.append(Problem("replications", f"must be at most {MAX_REPLICATIONS:,}, got "
                           f"{replications:,}", keys=("replications",)))
    return out
