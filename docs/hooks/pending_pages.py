"""MkDocs hook: stand-in pages for documentation that other contributors are still writing.

``docs/performance.md`` (benchmarks) is written by the benchmarks work, not by the rest of
the documentation, which links to it. Until it exists, this hook adds a short generated page
in its place so that ``mkdocs build --strict`` does not fail on the links; once the real file
is there the hook does nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from mkdocs.structure.files import File, Files

__all__ = ["PENDING", "on_files"]

log = logging.getLogger("mkdocs.hooks.pending_pages")

PENDING = {
    "performance.md": (
        "# Performance\n\n"
        "The benchmarks of `corridor_sim` (events and shipments per second, peak memory, "
        "scaling of a one-year baseline with volume; see `benchmarks/`) will be described "
        "on this page.\n"
    ),
}
"""Page path → stand-in Markdown, used only while the real page is missing."""


def on_files(files: Files, config: Any) -> Files:
    """Add a stand-in for each pending page that does not exist yet.

    Parameters
    ----------
    files : mkdocs.structure.files.Files
        The documentation files MkDocs found.
    config : mkdocs.config.defaults.MkDocsConfig

    Returns
    -------
    mkdocs.structure.files.Files
    """
    for path, text in PENDING.items():
        if files.get_file_from_path(path) is None:
            log.info("%s does not exist yet: using a stand-in page", path)
            files.append(File.generated(config, path, content=text))
    return files
