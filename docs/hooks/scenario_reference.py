"""MkDocs hook: the scenario reference, generated from the pydantic schema at every build.

Nothing in the reference is written by hand. The hook walks
:class:`corridor_sim.scenario.schema.Scenario` and every model nested in it (through
``model_fields`` and their annotations), plus every distribution of
:mod:`corridor_sim.scenario.distributions`, and renders one table per model: key, type with its
limits, unit, default and description. Descriptions and units come from the ``Attributes``
section of each class's numpydoc docstring (a unit is written in brackets, ``[h]``); when a class
does not document an inherited field, the class that defines it (or a sibling class sharing it)
is asked instead.

The page ``docs/scenarios.md`` holds the marker ``<!-- scenario-reference -->``, which
:func:`on_page_markdown` replaces with the output of :func:`scenario_reference`.
``tests/test_docs.py`` imports this module to check that every field of every model appears.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import math
import re
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

__all__ = [
    "MARKER",
    "FieldDoc",
    "distribution_models",
    "field_docs",
    "on_page_markdown",
    "reference_models",
    "scenario_reference",
    "undocumented_fields",
]

MARKER = "<!-- scenario-reference -->"
"""Where the generated reference goes in a page."""

log = logging.getLogger("mkdocs.hooks.scenario_reference")

_UNIT = re.compile(r"\[([A-Za-z][A-Za-z /²³%]*)\]")
_AS_FOR = re.compile(r"^As for :\w+:`~?([\w.]+)`\.?$")
# A unit read from a field name, for fields whose description states none (house rule: names
# say the unit). Checked in order; the first suffix that matches wins.
# ``<what>_per_hour`` / ``<what>_per_day`` read as ``<what>/h`` / ``<what>/day``.
_NAME_UNITS = (
    ("per_day", "shipments/day"), ("per_year", "shipments/year"), ("_hours", "h"),
    ("_days", "days"), ("_kmh", "km/h"), ("_km", "km"), ("_teu", "TEU"), ("_t", "t"),
)
_PER = re.compile(r"(?:^|_)([a-z]+)_per_(hour|day)$")


# --------------------------------------------------------------------------- the schema


def _schema() -> tuple[type[BaseModel], Any]:
    from corridor_sim.scenario import distributions, schema

    return schema.Scenario, distributions.Distribution


def _members(tp: Any) -> list[type[BaseModel]]:
    """Every pydantic model mentioned in an annotation, in order of appearance."""
    out: list[type[BaseModel]] = []
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    for arg in get_args(tp):
        if isinstance(arg, FieldInfo):
            continue
        for m in _members(arg):
            if m not in out:
                out.append(m)
    return out


def distribution_models() -> list[type[BaseModel]]:
    """The distribution models a scenario may use, in the order of the ``Distribution`` union.

    Returns
    -------
    list of type
    """
    return _members(_schema()[1])


def reference_models() -> list[type[BaseModel]]:
    """Every model documented by the reference: ``Scenario``, what it nests, the distributions.

    Models are listed depth first in the order of the fields that reach them; the
    distributions come last.

    Returns
    -------
    list of type
    """
    scenario, _ = _schema()
    dists = distribution_models()
    seen: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in seen or model in dists:
            return
        seen.append(model)
        for field in model.model_fields.values():
            for m in _members(field.annotation):
                visit(m)

    visit(scenario)
    # public models nothing nests directly, such as the base class of the facility nodes
    from corridor_sim.scenario import distributions, schema

    for mod in (schema, distributions):
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name, None)
            if isinstance(obj, type) and issubclass(obj, BaseModel):
                visit(obj)
    return seen + [d for d in dists if d not in seen]


def _unions() -> dict[frozenset, tuple[str, str | None]]:
    """Named unions of models in the scenario modules: member set → (name, discriminator)."""
    out: dict[frozenset, tuple[str, str | None]] = {}
    modules = {m.__module__ for m in reference_models()}
    for mod in sorted(modules):
        for name, obj in vars(sys.modules[mod]).items():
            if name.startswith("_") or get_origin(obj) is not Annotated:
                continue
            members = _members(obj)
            if len(members) > 1:
                disc = next((a.discriminator for a in get_args(obj)[1:]
                             if isinstance(a, FieldInfo)), None)
                out.setdefault(frozenset(members), (name, disc))
    return out


def _discriminators() -> dict[type[BaseModel], tuple[str, str]]:
    """Model → (union name, discriminator key) for every member of a discriminated union."""
    out = {}
    for members, (name, disc) in _unions().items():
        if disc:
            for m in members:
                out[m] = (name, disc)
    return out


# --------------------------------------------------------------------------- docstrings


def _own_doc(cls: type) -> str:
    doc = cls.__dict__.get("__doc__")
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def _sections(doc: str) -> tuple[str, dict[str, list[str]]]:
    """Split a numpydoc docstring into its prose and its named sections (lines)."""
    lines = doc.splitlines()
    heads = [i for i in range(len(lines) - 1)
             if lines[i].strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip())]
    prose = "\n".join(lines[: heads[0]] if heads else lines).strip()
    sections = {}
    for n, i in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        sections[lines[i].strip()] = lines[i + 2:end]
    return prose, sections


def _attributes(cls: type) -> dict[str, tuple[str, str]]:
    """Name → (type text, description) from the ``Attributes`` section of a class docstring."""
    _, sections = _sections(_own_doc(cls))
    out: dict[str, tuple[str, str]] = {}
    names: list[str] = []
    kind, desc = "", []

    def flush() -> None:
        for n in names:
            out[n] = (kind, " ".join(desc).strip())

    for line in sections.get("Attributes", []):
        if not line.strip():
            continue
        if not line.startswith((" ", "\t")):
            flush()
            head, _, kind = line.partition(" : ")
            names = [n.strip() for n in head.split(",") if n.strip()]
            kind, desc = kind.strip(), []
        else:
            desc.append(line.strip())
    flush()
    return out


def _prose(cls: type) -> str:
    return _sections(_own_doc(cls))[0]


# --------------------------------------------------------------------------- fields


@dataclass(frozen=True)
class FieldDoc:
    """What the reference says about one field of one model.

    Attributes
    ----------
    key : str
        The key as a scenario file writes it (the alias, e.g. ``from``).
    type : str
        Type and limits, in Markdown.
    unit : str
        Unit, or ``""`` for unitless values.
    default : str
        Default as YAML, ``"required"``, or ``"–"`` for an optional value with no default.
    description : str
        Description in Markdown; ``""`` when no docstring documents the field.
    """

    key: str
    type: str
    unit: str
    default: str
    description: str


def _defining_class(model: type[BaseModel], name: str) -> type:
    for cls in model.__mro__:
        if name in cls.__dict__.get("__annotations__", {}):
            return cls
    return model


def _lookup(name: str, classes: list[type]) -> tuple[str, str] | None:
    for cls in classes:
        found = _attributes(cls).get(name)
        if found is not None and found[1]:
            return found
    return None


def _describe(model: type[BaseModel], name: str, universe: list[type[BaseModel]]
              ) -> tuple[str, str]:
    """(docstring type, description) of a field, asking the classes that share it."""
    mro = [c for c in model.__mro__ if issubclass(c, BaseModel) and c is not BaseModel]
    found = _lookup(name, mro)
    if found is None:
        owner = _defining_class(model, name)
        siblings = [m for m in universe if issubclass(m, owner) and m is not model]
        found = _lookup(name, siblings)
    kind, text = found or ("", "")
    m = _AS_FOR.match(text)
    if m is not None:  # "As for :class:`CityNode`." — follow the reference
        target = next((c for c in universe if c.__name__ == m.group(1).split(".")[-1]), None)
        if target is not None and target is not model:
            kind, text = _describe(target, name, universe)
    return kind, text


def _rst_to_md(text: str) -> str:
    text = re.sub(r":\w+:`~?([\w.]+)`", r"`\1`", text)
    text = re.sub(r"``(.+?)``", r"`\1`", text)
    return text.replace("|", "\\|")


def _anchor(model: type) -> str:
    return model.__name__.lower()


def _number(x: float) -> str:
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return str(x)


def _limits(meta: list[Any]) -> str:
    low = high = None
    low_op = high_op = ""
    lengths = []
    for m in meta:
        for attr, op in (("ge", "≥"), ("gt", ">")):
            if getattr(m, attr, None) is not None:
                low, low_op = getattr(m, attr), op
        for attr, op in (("le", "≤"), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                high, high_op = getattr(m, attr), op
        if getattr(m, "min_length", None) is not None:
            lengths.append(("min", m.min_length))
        if getattr(m, "max_length", None) is not None:
            lengths.append(("max", m.max_length))
    parts = []
    if low is not None and high is not None:
        left, right = ("[" if low_op == "≥" else "("), ("]" if high_op == "≤" else ")")
        parts.append(f"in {left}{_number(low)}, {_number(high)}{right}".replace("-", "−"))
    elif low is not None:
        parts.append(f"{low_op} {_number(low)}")
    elif high is not None:
        parts.append(f"{high_op} {_number(high)}")
    sizes = dict(lengths)
    if "min" in sizes and sizes.get("max") == sizes["min"]:
        parts.append(f"exactly {sizes['min']} items")
    else:
        if "min" in sizes:
            parts.append(f"at least {sizes['min']} item{'s' if sizes['min'] != 1 else ''}")
        if "max" in sizes:
            parts.append(f"at most {sizes['max']} items")
    return ", ".join(parts)


_SCALARS = {bool: "true/false", int: "integer", float: "number", str: "text",
            dt.date: "date `YYYY-MM-DD`", dt.datetime: "date-time (ISO 8601, optional zone)"}


def _type_text(tp: Any, meta: list[Any] | None = None,
               unions: dict[frozenset, tuple[str, str | None]] | None = None) -> str:
    """Markdown for an annotation, such as ``list of [Shift](#shift)`` or ``number ≥ 0``."""
    meta = list(meta or [])
    unions = _unions() if unions is None else unions
    origin = get_origin(tp)
    if origin is Annotated:
        base, *extra = get_args(tp)
        for e in extra:
            meta += e.metadata if isinstance(e, FieldInfo) else [e]
        return _type_text(base, meta, unions)
    limits = _limits(meta)
    suffix = f" ({limits})" if limits and origin is list else (f" {limits}" if limits else "")
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _type_text(args[0], meta, unions)
        models = _members(tp)
        named = unions.get(frozenset(models))
        if named is not None and len(models) == len(args):
            return f"[{named[0]}](#{named[0].lower()})"
        return " or ".join(_type_text(a, meta, unions) for a in args)
    if origin is Literal:
        values = [f"`{v}`" for v in get_args(tp)]
        return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]
    if origin is list:
        (item,) = get_args(tp)
        inner = _type_text(item, [], unions)
        if get_origin(item) is Literal and len(get_args(item)) > 1:
            inner = f"({inner})"
        return f"list of {inner}{suffix}"
    if origin is dict:
        _, value = get_args(tp)
        return f"mapping of name → {_type_text(value, [], unions)}{suffix}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{_anchor(tp)})"
    if tp in _SCALARS:
        return _SCALARS[tp] + suffix
    return f"`{getattr(tp, '__name__', tp)}`{suffix}"


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default_factory is not None else field.default
    if value is None:
        return "–"
    if value == "":
        return '`""`'

    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_none=True, by_alias=True)
    if isinstance(value, bool | int | float) and not isinstance(value, dict):
        return f"`{_number(value)}`"
    if isinstance(value, dt.date):
        return f"`{value.isoformat()}`"
    text = yaml.safe_dump(value, default_flow_style=True, width=math.inf,
                          allow_unicode=True).strip()
    text = text.removesuffix("...").strip()
    return f"`{text}`"


def _custom_parser(tp: Any, metadata: list[Any] | None = None) -> bool:
    """Whether a field parses its value itself (a ``PlainValidator``).

    Its Python type then says less than the docstring about what a file may write.
    """
    from pydantic.functional_validators import PlainValidator

    if any(isinstance(m, PlainValidator) for m in metadata or []):
        return True
    return any(isinstance(a, PlainValidator) or _custom_parser(a) for a in get_args(tp)
               if not isinstance(a, FieldInfo | str))


def _unit(key: str, description: str) -> str:
    m = _UNIT.search(description)
    if m is not None:
        return m.group(1)
    per = _PER.search(key)
    if per is not None:
        return f"{per.group(1)}/{'h' if per.group(2) == 'hour' else 'day'}"
    for suffix, unit in _NAME_UNITS:
        if key.endswith(suffix):
            return unit
    return ""


def field_docs(model: type[BaseModel], universe: list[type[BaseModel]] | None = None
               ) -> list[FieldDoc]:
    """Document every field of a model.

    Parameters
    ----------
    model : type
        A pydantic model of the scenario format.
    universe : list of type, optional
        Models that may document a field ``model`` inherits without documenting it; default
        :func:`reference_models`.

    Returns
    -------
    list of FieldDoc
        In the order of ``model.model_fields``.
    """
    universe = reference_models() if universe is None else universe
    unions = _unions()
    tags = _discriminators()
    out = []
    fields = list(model.model_fields.items())
    if model in tags:  # the key that selects the model comes first, as files write it
        fields.sort(key=lambda item: (item[1].alias or item[0]) != tags[model][1])
    for name, field in fields:
        key = field.alias or name
        doc_type, text = _describe(model, name, universe)
        kind = _type_text(field.annotation, list(field.metadata), unions)
        if doc_type and _custom_parser(field.annotation, field.metadata):
            kind = _rst_to_md(doc_type)
        if not text and model in tags and key == tags[model][1]:
            value = " or ".join(f"`{key}: {v}`" for v in get_args(field.annotation))
            text = f"Selects this {tags[model][0].lower()}: write {value}."
        out.append(FieldDoc(
            key=key,
            type=kind,
            unit=_unit(key, text),
            default=_default(field),
            description=_rst_to_md(text),
        ))
    return out


def undocumented_fields() -> list[str]:
    """Fields that no docstring describes, as ``Model.key``.

    Returns
    -------
    list of str
    """
    universe = reference_models()
    return [f"{m.__name__}.{f.key}" for m in universe for f in field_docs(m, universe)
            if not f.description]


# --------------------------------------------------------------------------- rendering


def _table(docs: list[FieldDoc]) -> Iterator[str]:
    yield "| Key | Type | Unit | Default | Description |"
    yield "| --- | --- | --- | --- | --- |"
    for f in docs:
        description = f.description or "*not documented*"
        yield (f"| `{f.key}` | {f.type} | {f.unit or '–'} | {f.default} | "
               f"{description} |")


def _model_section(model: type[BaseModel], universe: list[type[BaseModel]]) -> Iterator[str]:
    yield f"### {model.__name__} {{#{_anchor(model)}}}"
    yield ""
    prose = _rst_to_md(_prose(model)).replace("\\|", "|")
    names = {m.__name__: _anchor(m) for m in universe}
    prose = re.sub(r"`(\w+)`", lambda m: f"[`{m.group(1)}`](#{names[m.group(1)]})"
                   if m.group(1) in names else m.group(0), prose)
    if prose:
        yield prose
        yield ""
    yield from _table(field_docs(model, universe))
    yield ""


def _union_section(name: str, disc: str | None, members: list[type[BaseModel]]
                   ) -> Iterator[str]:
    yield f"### {name} {{#{name.lower()}}}"
    yield ""
    if disc:
        yield f"One of the following, chosen by its `{disc}` key:"
        yield ""
        yield f"| `{disc}` | Model | What it is |"
        yield "| --- | --- | --- |"
        for m in members:
            values = ", ".join(f"`{v}`" for v in get_args(m.model_fields[disc].annotation))
            summary = _rst_to_md(_prose(m).split("\n\n")[0].replace("\n", " "))
            yield f"| {values} | [{m.__name__}](#{_anchor(m)}) | {summary} |"
    else:
        yield "One of: " + ", ".join(f"[{m.__name__}](#{_anchor(m)})" for m in members) + "."
    yield ""


def scenario_reference() -> str:
    """The scenario reference as Markdown: one section per model, distributions last.

    Returns
    -------
    str
    """
    universe = reference_models()
    dists = distribution_models()
    scenario = universe[0]
    unions = _unions()
    union_of = {m: (name, disc, sorted(members, key=universe.index))
                for members, (name, disc) in unions.items() for m in members}
    lines: list[str] = []
    shown_unions: set[str] = set()

    def emit(model: type[BaseModel]) -> None:
        for base in reversed(model.__mro__[1:]):  # an unplaced base class goes first
            if base in universe and base not in placed:
                placed.add(base)
                emit(base)
        if model in union_of and union_of[model][0] not in shown_unions:
            name, disc, members = union_of[model]
            shown_unions.add(name)
            lines.extend(_union_section(name, disc, members))
        lines.extend(_model_section(model, universe))

    placed = {scenario, *dists}
    lines += ["## The scenario", ""]
    emit(scenario)
    for name, field in scenario.model_fields.items():
        reached = []

        def collect(model: type[BaseModel], reached: list = reached) -> None:
            if model in placed or model in reached:
                return
            reached.append(model)
            for f in model.model_fields.values():
                for m in _members(f.annotation):
                    collect(m)

        for m in _members(field.annotation):
            collect(m)
        if not reached:
            continue
        lines += [f"## `{field.alias or name}`", ""]
        for model in reached:
            emit(model)
            placed.add(model)
    lines += ["## Distributions", "",
              "Every duration in a scenario is a distribution, in hours. Each has a mean "
              "(used to price routes by expected time) and is sampled in batches from "
              "its own random stream.", ""]
    for model in dists:
        emit(model)
    leftover = [m for m in universe if m not in placed]
    for model in leftover:  # pragma: no cover - only if a model is reachable another way
        emit(model)
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- MkDocs


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace :data:`MARKER` in a page with the generated scenario reference.

    Parameters
    ----------
    markdown : str
        The page's Markdown.
    page, config, files
        Passed by MkDocs; unused.

    Returns
    -------
    str
        The Markdown with the reference in place of the marker.
    """
    if MARKER not in markdown:
        return markdown
    for name in undocumented_fields():
        log.warning("scenario reference: %s has no description in an 'Attributes' section "
                    "of a class docstring", name)
    return markdown.replace(MARKER, scenario_reference())

