"""Every source key the scenarios, code and docs cite can be looked up on the sources page."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "background" / "sources.md"
KEY = re.compile(r"\b([SC])(\d{1,3})\b")
RANGE = re.compile(r"\b([SC])(\d{1,3})\s*[–-]\s*\1?(\d{1,3})\b")


def _cited(text: str) -> set[str]:
    keys = {f"{p}{n}" for p, n in KEY.findall(text)}
    for p, a, b in RANGE.findall(text):
        keys |= {f"{p}{n}" for n in range(int(a), int(b) + 1)}
    return keys


def _files() -> list[Path]:
    out = [ROOT / "README.md", *sorted((ROOT / "corridor_sim").rglob("*.py")),
           *sorted((ROOT / "corridor_sim" / "scenarios").glob("*.yaml")),
           *sorted((ROOT / "scenarios").glob("*.yaml")),
           *sorted((ROOT / "notebooks").glob("*.ipynb"))]
    out += [p for p in sorted((ROOT / "docs").rglob("*.md")) if p != SOURCES]
    return [p for p in out if p.is_file()]


def test_every_cited_key_is_on_the_sources_page():
    listed = {m.group(1) for m in re.finditer(r"^\| ([SC]\d+) \|", SOURCES.read_text("utf-8"),
                                               re.M)}
    text = SOURCES.read_text("utf-8")
    missing = {}
    for path in _files():
        for key in _cited(path.read_text(encoding="utf-8")):
            if key not in listed and f"`{key}`" not in text:
                missing.setdefault(key, path.relative_to(ROOT).as_posix())
    assert not missing, f"cited but not on docs/background/sources.md: {missing}"
    assert {"S2", "S53", "S60", "C65"} <= listed  # a range (S58–S61) counts every key in it


def test_the_notebooks_page_links_every_notebook():
    page = (ROOT / "docs" / "notebooks.md").read_text("utf-8")
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"](notebooks/{nb.name})" in page
