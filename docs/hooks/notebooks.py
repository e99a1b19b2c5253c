"""MkDocs hook: ship the repository's notebooks with the site, so that pages can link them.

The notebooks live in ``notebooks/`` beside ``docs/``, outside the docs folder. This hook adds
each ``notebooks/*.ipynb`` to the site as a file to download, at ``notebooks/<name>.ipynb``,
so that ``docs/notebooks.md`` links them with ordinary relative links that ``mkdocs build
--strict`` checks. They are committed without outputs; run them with Jupyter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["NOTEBOOK_DIR", "on_files"]

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
"""The repository's notebook folder."""


def on_files(files: Any, config: Any) -> Any:
    """Add every notebook to the site's files (MkDocs ``on_files`` event).

    Parameters
    ----------
    files : mkdocs.structure.files.Files
    config : mkdocs.config.defaults.MkDocsConfig

    Returns
    -------
    mkdocs.structure.files.Files
    """
    from mkdocs.structure.files import File

    for path in sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        files.append(File(f"notebooks/{path.name}", src_dir=str(NOTEBOOK_DIR.parent),
                          dest_dir=config["site_dir"],
                          use_directory_urls=config["use_directory_urls"]))
    return files
