"""The documentation cannot go stale.

1. The scenario reference (generated at build time by ``docs/hooks/scenario_reference.py``)
   has a section for every model of the scenario format and a row for every field of each,
   found here by a walk of the schema independent of the generator's own.
2. Every ```python block of the hand-written pages runs, page by page in one namespace, in a
   scratch folder where ``scenarios/`` is the bundled scenarios folder. A block that must not
   run (a long run, a cluster address) says so with a ``# doc: no-run`` comment. A YAML block
   whose first line is ``# file: NAME.yaml`` is written to that file first and must load.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import types
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

import corridor_sim as cs
from corridor_sim.scenario import distributions, schema
from corridor_sim.scenario.bundled import SCENARIO_DIR

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HOOKS = DOCS / "hooks"
NO_RUN = "# doc: no-run"
# Pages written (and tested) by other contributors; their examples are theirs to run.
NOT_OURS = {"dask.md", "performance.md"}
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
FILE_LINE = re.compile(r"^#\s*file:\s*(\S+\.ya?ml)\s*$")


def _hook(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_hooks_{name}", HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- the reference


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = []
    for arg in get_args(annotation):
        if not isinstance(arg, FieldInfo):
            found += _models_in(arg)
    return found


def schema_models() -> list[type[BaseModel]]:
    """Every model a scenario can contain, and every public model of the scenario modules."""
    todo = [schema.Scenario]
    todo += [obj for mod in (schema, distributions) for name in mod.__all__
             if isinstance(obj := getattr(mod, name), type) and issubclass(obj, BaseModel)]
    todo += _models_in(distributions.Distribution)
    seen: list[type[BaseModel]] = []
    while todo:
        model = todo.pop(0)
        if model in seen:
            continue
        seen.append(model)
        for field in model.model_fields.values():
            todo += _models_in(field.annotation)
    return seen


MODELS = schema_models()


@pytest.fixture(scope="module")
def reference() -> dict[str, str]:
    """The generated reference, split into its ``### Model`` sections."""
    text = _hook("scenario_reference").scenario_reference()
    parts = re.split(r"^### ", text, flags=re.MULTILINE)[1:]
    return {p.split(maxsplit=1)[0]: p for p in parts}


def test_the_schema_walk_finds_the_whole_format():
    names = {m.__name__ for m in MODELS}
    assert {"Scenario", "Calendar", "Shift", "CheckpointNode", "Link", "Departures", "Demand",
            "Commodity", "Lognormal", "Empirical"} <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_of_every_model_is_in_the_reference(reference, model):
    assert model.__name__ in reference, f"no section for {model.__name__}"
    section = reference[model.__name__]
    for name, field in model.model_fields.items():
        key = field.alias or name
        assert f"| `{key}` |" in section, f"{model.__name__}.{key} is not in the reference"


def test_every_distribution_is_listed_by_its_dist_key(reference):
    table = reference["Distribution"]
    for model in _models_in(distributions.Distribution):
        (tag,) = get_args(model.model_fields["dist"].annotation)
        assert f"| `{tag}` | [{model.__name__}]" in table


def test_every_field_has_a_description():
    assert _hook("scenario_reference").undocumented_fields() == []


def test_units_defaults_and_limits_come_from_the_schema(reference):
    row = next(line for line in reference["Handling"].splitlines()
               if line.startswith("| `moves_per_hour` |"))
    assert "number > 0" in row and "| `20` |" in row
    row = next(line for line in reference["Scenario"].splitlines()
               if line.startswith("| `horizon_days` |"))
    assert "| days |" in row and "required" in row
    row = next(line for line in reference["Link"].splitlines() if line.startswith("| `from` |"))
    assert "required" in row


def test_the_reference_pages_hold_their_markers():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for hook, page in (("scenario_reference", "scenarios.md"),
                       ("cli_reference", "reference/cli.md")):
        assert f"docs/hooks/{hook}.py" in config
        assert _hook(hook).MARKER in (DOCS / page).read_text(encoding="utf-8")


def test_the_cli_reference_shows_every_subcommand():
    cli = _hook("cli_reference")
    names = [name for name, _ in cli.subcommands()]
    assert {"run", "compare", "sweep", "validate", "list"} <= set(names)
    text = cli.cli_reference()
    for name in names:
        assert f"$ corridor-sim {name} --help" in text


# --------------------------------------------------------------------------- the examples


def doc_pages() -> list[Path]:
    pages = [*DOCS.glob("*.md"), *DOCS.glob("howto/*.md"), *DOCS.glob("background/*.md"),
             *DOCS.glob("reference/*.md")]
    return sorted(p for p in pages if p.name not in NOT_OURS or p.parent != DOCS)


def blocks(page: Path) -> list[tuple[str, str, int]]:
    """(language, code, line) of every fenced block of a page."""
    text = page.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        indent = m.group("indent")
        body = "\n".join(line.removeprefix(indent) for line in m.group("body").splitlines())
        out.append((m.group("info").strip().split(" ")[0], body,
                    text.count("\n", 0, m.start()) + 1))
    return out


def test_the_examples_are_found():
    runnable = [b for p in doc_pages() for b in blocks(p)
                if b[0] == "python" and NO_RUN not in b[1]]
    assert len(runnable) >= 20
    assert any(FILE_LINE.match(b[1].splitlines()[0]) for p in doc_pages() for b in blocks(p)
               if b[0] == "yaml" and b[1])


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios").symlink_to(SCENARIO_DIR, target_is_directory=True)
    found = blocks(page)
    for lang, code, line in found:
        first = code.splitlines()[0] if code else ""
        if lang == "yaml" and FILE_LINE.match(first):
            path = tmp_path / FILE_LINE.match(first).group(1)
            path.write_text(code + "\n", encoding="utf-8")
            try:
                cs.load_scenario(path)
            except cs.ScenarioError as err:
                pytest.fail(f"{page.name}:{line}: {path.name} does not load:\n{err}")
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    ran = 0
    for lang, code, line in found:
        if lang != "python" or NO_RUN in code:
            continue
        try:
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)
        except Exception as err:  # noqa: BLE001 - report which block failed
            pytest.fail(f"the example at {page.relative_to(DOCS)}:{line} fails: "
                        f"{type(err).__name__}: {err}")
        ran += 1
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if not ran:
        pytest.skip("no runnable Python example on this page")
