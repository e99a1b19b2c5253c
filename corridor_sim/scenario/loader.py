"""Scenario files: YAML with line numbers, ``extends`` merging, validation, ``with_changes``.

Every problem in a file is reported at once, as ``FILE:LINE: key.path: message``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import Problem, ScenarioError
from . import guards, schema
from .money import money_problems
from .references import hashable, reference_problems, suggest
from .windows import window_problems

__all__ = ["apply_changes", "load_scenario", "parse_path", "scenario_from_dict", "to_yaml"]

Path_ = tuple[str | int, ...]
Locations = dict[Path_, tuple[str, int]]

# Lists merged item by item under `extends`, by these identity keys.
_LIST_IDENTITY = {
    "links": ("from", "to", "mode"),
    "demand": ("origin", "destination", "commodity", "modes"),
}
_LIST_DEFAULTS = {"mode": "road"}


class _Loader(yaml.SafeLoader):
    """Safe YAML loader that reads clock times such as 09:00 as text, not base-60 numbers.

    It has its own copy of the resolver tables (PyYAML's shared ones are never changed), and
    composes with the guard limits on nesting depth and alias count
    (:mod:`corridor_sim.scenario.guards`). An impossible date (2025-02-30) is a YAML error at
    its own line, not a bare ValueError.
    """

    yaml_implicit_resolvers = {k: list(v) for k, v in
                               yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > guards.MAX_ALIASES:
                raise yaml.composer.ComposerError(
                    None, None, f"more than {guards.MAX_ALIASES} aliases (*name); write the "
                    "values out", self.peek_event().start_mark)
        self._depth += 1
        try:
            if self._depth > guards.MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"values nested more than {guards.MAX_DEPTH} levels deep",
                    self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as err:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a valid date ({err})", node.start_mark
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


for _first in "0123456789":
    _Loader.yaml_implicit_resolvers[_first] = [
        ("tag:yaml.org,2002:str", re.compile(r"^(?:[01]?\d|2[0-4]):[0-5]\d$")),
        *_Loader.yaml_implicit_resolvers.get(_first, []),
    ]


# --------------------------------------------------------------------------- reading YAML


class _Context:
    """Where a load may read files from: the top scenario's folder tree and the bundled ones."""

    def __init__(self, top: Path, allow_outside: bool) -> None:
        from .bundled import SCENARIO_DIR

        self.roots = (top.resolve().parent, SCENARIO_DIR.resolve())
        self.allow_outside = allow_outside


def _read_yaml(path: Path, ctx: _Context | None = None, label: str | None = None
               ) -> tuple[Any, Locations, list[Problem]]:
    label = label or str(path)
    try:
        raw = guards.read_bytes(path, guards.MAX_SCENARIO_BYTES)
    except guards.InputRefused as err:
        text = str(err)
        if not text.startswith(("not a", "the ")):
            text = f"cannot read file: {text}"
        return None, {}, [Problem("", text, label)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return None, {}, [Problem("", "not UTF-8 text; save the scenario as UTF-8", label, line)]
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is not None:
            guards.check_tree(node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err)
        return None, {}, [Problem("", f"not valid YAML: {problem}", label, line)]
    except guards.InputRefused as err:
        return None, {}, [Problem("", str(err), label)]
    except (ValueError, OverflowError) as err:  # e.g. an impossible date such as 2025-02-30
        return None, {}, [Problem("", f"not a valid value: {err}", label)]
    finally:
        if loader is not None:
            loader.dispose()
    locs: Locations = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, (), label, locs, problems)
    ctx = ctx or _Context(path, allow_outside=False)
    data = _absolute_csv_paths(data, path.parent, ctx, (), locs, problems)
    return data, locs, problems


def _absolute_csv_paths(data: Any, folder: Path, ctx: _Context, keys: Path_,
                        locs: Locations, problems: list[Problem]) -> Any:
    """Make empirical CSV paths absolute, relative to the file that names them.

    A base scenario's CSV then stays where its own file says, whichever file extends it. A
    path that leads outside the scenario's folder tree is a problem (see :mod:`.guards`).
    """
    if isinstance(data, dict):
        if data.get("dist") == "empirical" and isinstance(data.get("csv"), str):
            try:
                path = guards.resolve_reference(data["csv"], folder, ctx.roots,
                                                allow_outside=ctx.allow_outside)
            except guards.InputRefused as err:
                file, line = locs.get((*keys, "csv"), ("", None))
                problems.append(Problem(format_path((*keys, "csv")), str(err), file or None,
                                        line))
                return {**data, "csv": None}
            return {**data, "csv": str(path)}
        return {k: _absolute_csv_paths(v, folder, ctx, (*keys, k), locs, problems)
                for k, v in data.items()}
    if isinstance(data, list):
        return [_absolute_csv_paths(v, folder, ctx, (*keys, i), locs, problems)
                for i, v in enumerate(data)]
    return data


def _walk(node: yaml.Node, path: Path_, label: str, locs: Locations,
          problems: list[Problem]) -> None:
    locs[path] = (label, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                problems.append(Problem(format_path((*path, key)), "duplicate key", label,
                                        key_node.start_mark.line + 1))
            seen.add(key)
            _walk(value_node, (*path, key), label, locs, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), label, locs, problems)


# --------------------------------------------------------------------------- extends


def _sub(locs: Locations, key: str | int) -> Locations:
    return {p[1:]: v for p, v in locs.items() if p and p[0] == key}


def _prefixed(locs: Locations, key: str | int) -> Locations:
    return {(key, *p): v for p, v in locs.items()}


def _identity(item: Any, keys: tuple[str, ...]) -> tuple | None:
    if not isinstance(item, dict):
        return None
    return tuple(hashable(item.get(k, _LIST_DEFAULTS.get(k))) for k in keys)


def _merge(base: Any, bl: Locations, child: Any, cl: Locations,
           key: str | int | None = None) -> tuple[Any, Locations]:
    """Merge ``child`` over ``base``: mappings key by key, ``links``/``demand`` item by item."""
    if isinstance(base, dict) and isinstance(child, dict):
        out: dict = {}
        locs: Locations = {(): cl.get((), bl.get((), ("", 0)))}
        for k, v in base.items():
            if k not in child:
                out[k] = v
                locs.update(_prefixed(_sub(bl, k), k))
        for k, v in child.items():
            if v is None:  # `key: null` deletes an inherited key
                continue
            if k in base:
                v, sub = _merge(base[k], _sub(bl, k), v, _sub(cl, k), k)
            else:
                sub = _sub(cl, k)
            out[k] = v
            locs.update(_prefixed(sub, k))
        return out, locs
    if key in _LIST_IDENTITY and isinstance(base, list) and isinstance(child, list):
        ident = _LIST_IDENTITY[key]
        items = [(b, _sub(bl, i)) for i, b in enumerate(base)]
        index = {_identity(b, ident): i for i, (b, _) in enumerate(items)}
        for j, c in enumerate(child):
            c_locs = _sub(cl, j)
            pos = index.get(_identity(c, ident))
            if pos is not None:
                if isinstance(c, dict) and c.get("remove") is True:
                    items[pos] = (None, {})
                    continue
                items[pos] = _merge(items[pos][0], items[pos][1], c, c_locs)
            else:
                index[_identity(c, ident)] = len(items)
                items.append((c, c_locs))
        merged, locs = [], {(): cl.get((), bl.get((), ("", 0)))}
        for item, item_locs in items:
            if item is not None:
                locs.update(_prefixed(item_locs, len(merged)))
                merged.append(item)
        return merged, locs
    return child, cl


_MAX_EXTENDS = 20


def _resolve_extends(path: Path, data: Any, locs: Locations, chain: tuple[Path, ...],
                     ctx: _Context | None = None) -> tuple[Any, Locations, list[Problem]]:
    if not isinstance(data, dict) or "extends" not in data:
        return data, locs, []
    ctx = ctx or _Context(path, allow_outside=False)
    target = data.pop("extends")
    label, line = locs.get(("extends",), (str(path), None))
    if not isinstance(target, str):
        return data, locs, [Problem("extends", f"must be a file name, got {target!r}", label,
                                    line)]
    if len(chain) > _MAX_EXTENDS:
        return data, locs, [Problem("extends", f"more than {_MAX_EXTENDS} files extend one "
                                    "another", label, line)]
    try:
        base_path = guards.resolve_reference(target, path.parent, ctx.roots,
                                             allow_outside=ctx.allow_outside)
    except guards.InputRefused as err:
        return data, locs, [Problem("extends", str(err), label, line)]
    if not base_path.exists():
        from .bundled import RENAMED, bundled_names, bundled_path

        if Path(target).stem not in (*bundled_names(), *RENAMED):
            return data, locs, [Problem("extends", f"no such file {target!r} (looked in "
                                        f"{str(path.parent)!r} and the bundled scenarios)",
                                        label, line)]
        base_path = bundled_path(Path(target).stem)
    if base_path in chain:
        return data, locs, [Problem("extends", f"circular extends through {target!r}", label,
                                    line)]
    base, base_locs, problems = _read_yaml(base_path, ctx)
    if problems:
        return data, locs, problems
    if not isinstance(base, dict):
        return data, locs, [Problem("", "a scenario must be a mapping of keys to values",
                                    str(base_path), 1)]
    base, base_locs, problems = _resolve_extends(base_path, base, base_locs,
                                                 (*chain, base_path), ctx)
    merged, merged_locs = _merge(base, base_locs, data, locs)
    return merged, merged_locs, problems


# --------------------------------------------------------------------------- validation


def format_path(path: Iterable[str | int]) -> str:
    """Write a key path as ``nodes.khorgos_road.lanes`` / ``links[3].to``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_path(text: str) -> list[str | int]:
    """Split a dotted key path such as ``"links[3].speed_kmh"`` into keys and indices.

    Examples
    --------
    >>> parse_path("links[3].speed_kmh")
    ['links', 3, 'speed_kmh']
    """
    parts: list[str | int] = []
    for token in re.finditer(r"([^.\[\]]+)|\[(-?\d+)\]", text):
        parts.append(int(token.group(2)) if token.group(2) is not None else token.group(1))
    if not parts or format_path(parts).replace("[-", "[") != text.replace("[-", "["):
        raise ScenarioError([Problem(text, "not a key path like 'nodes.x.lanes.general' "
                                     "or 'links[3].to'")])
    return parts


def _real_path(loc: tuple, data: Any, missing: bool) -> tuple[str | int, ...]:
    """Drop the union tags pydantic puts in error locations, keeping only real keys.

    A last key absent from the data is kept only for a ``missing`` error (the missing key).
    """
    out: list[str | int] = []
    cur = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        in_dict = isinstance(cur, dict) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        if in_dict or in_list:
            out.append(part)
            cur = cur[part]
        elif last and missing and isinstance(part, str) and isinstance(cur, dict):
            out.append(part)  # the missing key
    return tuple(out)


def _field_names() -> list[str]:
    from . import distributions as d

    models: list[Any] = [m for m in vars(schema).values()
                         if isinstance(m, type) and hasattr(m, "model_fields")]
    models += [m for m in vars(d).values() if isinstance(m, type) and hasattr(m, "model_fields")]
    names = set()
    for m in models:
        for name, f in m.model_fields.items():
            names.add(f.alias or name)
    return sorted(names)


def _message(err: dict) -> str:
    kind, ctx, value = err["type"], err.get("ctx", {}), err.get("input")
    shown = repr(value) if isinstance(value, str) else value
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        key = str(err["loc"][-1])
        return f"unknown key {key!r}" + suggest(key, _field_names())
    if kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        disc = ctx.get("discriminator", "").strip("'")
        return (f"unknown {disc} {ctx.get('tag')!r}; expected one of {', '.join(tags)}"
                + suggest(str(ctx.get("tag")), tags))
    if kind == "union_tag_not_found":
        return f"needs a {ctx.get('discriminator', 'kind')} key"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤",
                "less_than": "<"}[kind]
        limit = next(iter(ctx.values()))
        integer = isinstance(limit, int) and not isinstance(limit, bool)  # an int field's
        what = "an integer" if integer else "a number"
        return f"must be {what} {sign} {limit:g}, got {shown}"
    if kind == "finite_number":
        return f"must be a finite number, got {value}"
    if kind.startswith("int_"):
        return f"must be an integer, got {shown}"
    if kind.startswith("float_"):
        return f"must be a number, got {shown}"
    if kind.startswith("bool_"):
        return f"must be true or false, got {shown}"
    if kind in ("string_type",):
        return f"must be text, got {shown}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of keys to values, got {shown}"
    if kind == "list_type":
        return f"must be a list, got {shown}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = re.findall(r"'([^']*)'", expected)
        return f"must be one of {expected}, got {shown}" + suggest(str(value), options)
    if kind in ("too_short", "too_long"):
        return err["msg"].replace("List", "list").replace("Dictionary", "mapping")
    msg = err["msg"]
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    return f"{msg}, got {shown}"


def _validation_problems(err: ValidationError, data: Any) -> list[Problem]:
    problems = []
    for e in err.errors(include_url=False):
        keys = _real_path(e["loc"], data, e["type"] == "missing")
        message = _message(e)
        keys = _named_key(keys, message, data)
        problems.append(Problem(format_path(keys), message, keys=keys))
    return problems


def _named_key(keys: Path_, message: str, data: Any) -> Path_:
    """Point a whole-mapping error whose message starts with one of its keys at that key.

    ``warmup_days (40) must be shorter than horizon_days (30)`` is then located at
    ``warmup_days`` (its file and line), not at the top of the document.
    """
    cur = data
    for k in keys:
        try:
            cur = cur[k]
        except (KeyError, IndexError, TypeError):
            return keys
    if not isinstance(cur, dict):
        return keys
    first = re.match(r"[A-Za-z_]+", message)
    if first and first.group(0) in cur:
        return (*keys, first.group(0))
    return keys


def _locate(problems: list[Problem], locs: Locations, default_file: str | None
            ) -> list[Problem]:
    out = []
    for p in problems:
        if p.file is not None:
            out.append(p)
            continue
        path = p.keys if p.keys is not None else _keys_of(p.path)
        file, line = default_file, None
        for n in range(len(path), -1, -1):
            if path[:n] in locs:
                file, line = locs[path[:n]]
                break
        out.append(Problem(p.path, p.message, file, line, keys=p.keys))
    seen: set[tuple] = set()
    unique = []
    for p in sorted(out, key=lambda p: (p.file or "", p.line or 0, p.path)):
        if (p.file, p.line, p.path, p.message) not in seen:
            seen.add((p.file, p.line, p.path, p.message))
            unique.append(p)
    return unique


def _keys_of(text: str) -> tuple[str | int, ...]:
    """The keys of a dotted path, or () when it cannot be split (odd key names)."""
    if not text:
        return ()
    try:
        return tuple(parse_path(text))
    except ScenarioError:
        return ()


def scenario_from_dict(data: Any, *, base_dir: str | Path = ".", source: str | None = None,
                       locations: Locations | None = None) -> schema.Scenario:
    """Validate plain data (as read from YAML) into a :class:`Scenario`.

    Parameters
    ----------
    data : dict
        The scenario as nested mappings and lists.
    base_dir : str or Path, default "."
        Folder that relative paths inside the scenario (empirical CSVs) are read from.
    source : str, optional
        Name of the file or object the data came from, used in error messages.
    locations : dict, optional
        Key path → (file, line), for error messages.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Listing every problem found.
    """
    locs = locations or {}
    if not isinstance(data, dict):
        raise ScenarioError([Problem("", "a scenario must be a mapping of keys to values",
                                     source, 1 if source else None)])
    problems = guards.number_problems(data) + reference_problems(data)
    try:
        scenario = schema.Scenario.model_validate(data, context={"base_dir": str(base_dir)})
    except ValidationError as err:
        problems = _validation_problems(err, data) + problems
    else:
        if not problems:
            problems = _semantic_problems(scenario)
    if problems:
        raise ScenarioError(_locate(problems, locs, source))
    return scenario


_CHECKS: list[Callable[[schema.Scenario], list[Problem]]] = []


def register_check(check: Callable[[schema.Scenario], list[Problem]]) -> None:
    """Add a whole-scenario check that every load and change runs after the plain ones.

    The loader knows only the scenario's data; checks that need the network (routes,
    loads, event estimates) live above it, in :mod:`corridor_sim.checks`, which registers
    them here when the package is imported.

    Parameters
    ----------
    check : callable
        Takes a validated :class:`Scenario`, returns a list of :class:`Problem`.
    """
    if check not in _CHECKS:
        _CHECKS.append(check)


def _semantic_problems(scenario: schema.Scenario) -> list[Problem]:
    problems = guards.date_problems(scenario.start, scenario.horizon_days,
                                    scenario.replications)
    if problems:
        return problems
    problems = money_problems(scenario)
    if scenario.kpi_windows:
        problems += window_problems(scenario)
    expected = scenario.expected_shipments()
    if expected > scenario.max_shipments:
        problems.append(Problem(
            "demand",
            f"one replication would create about {expected:,.0f} shipments, more than "
            f"max_shipments = {scenario.max_shipments:,}; shorten horizon_days, lower the "
            "demand, or raise max_shipments if the machine has the memory "
            "(roughly 0.5 kB per shipment)"))
    for check in _CHECKS:
        problems += check(scenario)
    return problems


def load_scenario(source: str | Path | schema.Scenario, *, allow_outside: bool = False
                  ) -> schema.Scenario:
    """Load and validate a scenario file (or the name of a bundled scenario).

    Parameters
    ----------
    source : str, Path or Scenario
        A YAML file, a bundled scenario's name such as ``"baseline"``, or a ``Scenario``
        (returned as it is).
    allow_outside : bool, default False
        Let ``extends`` and empirical ``csv`` names be absolute or lead outside the scenario
        file's folder tree. By default such a name is an error, so a scenario from elsewhere
        cannot read arbitrary files on the machine (see the security page of the docs).

    Returns
    -------
    Scenario
        The validated, immutable scenario, with ``extends`` merged.

    Raises
    ------
    ScenarioError
        Listing every problem, each with file, line and key path.

    Examples
    --------
    >>> import corridor_sim as cs
    >>> cs.load_scenario("single_checkpoint").nodes["border"].lanes.general
    4
    """
    if isinstance(source, schema.Scenario):
        return source
    if "\x00" in str(source):
        raise ScenarioError([Problem("", "the file name contains a NUL byte", repr(str(source)))])
    path = Path(source)
    if not os.path.lexists(path) and path.suffix == "" and len(path.parts) == 1:
        from .bundled import bundled_path

        path = bundled_path(str(source))
    elif not os.path.lexists(path):
        raise ScenarioError([Problem("", "no such scenario file", str(source))])
    ctx = _Context(path, allow_outside)
    data, locs, problems = _read_yaml(path, ctx)
    if not problems:
        if not isinstance(data, dict):
            problems = [Problem("", "a scenario must be a mapping of keys to values",
                                str(path), 1)]
        else:
            data, locs, problems = _resolve_extends(path.resolve(), data, locs,
                                                    (path.resolve(),), ctx)
    if problems:
        raise ScenarioError(problems)
    return scenario_from_dict(data, base_dir=path.parent, source=str(path), locations=locs)


# --------------------------------------------------------------------------- changes, dumping


def _set(data: Any, parts: list[str | int], value: Any, text: str) -> None:
    cur = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(part, int):
            if not isinstance(cur, list) or not -len(cur) <= part < len(cur):
                size = len(cur) if isinstance(cur, list) else 0
                raise ScenarioError([Problem(text, f"no item [{part}] here (the list has "
                                             f"{size} items)")])
        elif not isinstance(cur, dict):
            raise ScenarioError([Problem(text, f"cannot set key {part!r} inside a "
                                         f"{type(cur).__name__}")])
        if last:
            if value is None and isinstance(cur, dict):
                cur.pop(part, None)
            else:
                cur[part] = value
        else:
            if isinstance(cur, dict) and part not in cur:
                cur[part] = {}
            cur = cur[part]


def apply_changes(scenario: schema.Scenario, changes: dict[str, Any]) -> schema.Scenario:
    """Implement :meth:`Scenario.with_changes` (see there)."""
    data = scenario.to_dict()
    for text, value in changes.items():
        _set(data, parse_path(text), value, text)
    return scenario_from_dict(data, source=None)


def to_yaml(scenario: schema.Scenario) -> str:
    """The resolved scenario as YAML text, with every default, loadable on its own.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    str
    """
    return yaml.safe_dump(scenario.to_dict(), sort_keys=False, allow_unicode=True, width=100)
