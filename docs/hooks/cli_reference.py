"""MkDocs hook: the command-line reference, generated from ``corridor-sim --help`` at build time.

The page ``docs/reference/cli.md`` holds the marker ``<!-- cli-reference -->``; the hook
replaces it with the help text of ``corridor-sim`` and of each of its subcommands, as the
installed :func:`corridor_sim.cli.main` prints it. The subcommands are read from the top-level
help, so a new command appears without editing the page.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from typing import Any

__all__ = ["MARKER", "cli_reference", "help_text", "on_page_markdown", "subcommands"]

MARKER = "<!-- cli-reference -->"
"""Where the generated reference goes in a page."""

_WIDTH = "100"


def help_text(*args: str) -> str:
    """The help that ``corridor-sim ARGS --help`` prints.

    Parameters
    ----------
    *args : str
        A subcommand, or nothing for the top-level help.

    Returns
    -------
    str
    """
    from corridor_sim.cli import main

    out = io.StringIO()
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = _WIDTH  # argparse wraps to the terminal width
    try:
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            main([*args, "--help"])
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return out.getvalue().rstrip() + "\n"


def subcommands() -> list[tuple[str, str]]:
    """(name, one-line help) of each subcommand, as the top-level help lists them.

    Returns
    -------
    list of tuple of str
    """
    text = help_text()
    block = text.split("positional arguments:", 1)[-1].split("options:", 1)[0]
    found: list[tuple[str, str]] = []
    for line in block.splitlines():
        entry = re.match(r"^ {4}(\w[\w-]*)(?: {2,}(.+))?$", line)
        if entry is not None:  # a command, with its help on the same line or the next
            found.append((entry.group(1), entry.group(2) or ""))
        elif found and line.startswith(" " * 5) and not found[-1][1]:
            found[-1] = (found[-1][0], line.strip())
    return found


def cli_reference() -> str:
    """The command-line reference as Markdown.

    Returns
    -------
    str
    """
    lines = ["```text", "$ corridor-sim --help", help_text().rstrip(), "```", ""]
    for name, summary in subcommands():
        lines += [f"## `corridor-sim {name}`", "", summary[0].upper() + summary[1:] + ".", "",
                  "```text", f"$ corridor-sim {name} --help", help_text(name).rstrip(), "```",
                  ""]
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace :data:`MARKER` in a page with the generated command-line reference.

    Parameters
    ----------
    markdown : str
        The page's Markdown.
    page, config, files
        Passed by MkDocs; unused.

    Returns
    -------
    str
    """
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, cli_reference())
