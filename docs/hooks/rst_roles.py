"""MkDocs hook: render the Sphinx roles that numpydoc docstrings use.

The docstrings of ``corridor_sim`` follow numpydoc and refer to other objects with Sphinx roles
(``:func:`run```, ``:class:`~corridor_sim.warmup.WarmupWarning```). mkdocstrings shows such a
role as its literal text followed by the code span. This hook removes the role; a ``~`` keeps
only the last component of the name (as in Sphinx); and a fully qualified ``corridor_sim.``
name becomes a cross-reference link through mkdocs-autorefs when the object is documented.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["on_page_content", "render_roles"]

_ROLE = re.compile(
    r":(?:py:)?(?:func|class|meth|mod|data|attr|obj|exc|const|ref|term):<code>(~?)([^<]*)</code>"
)


def _replace(m: re.Match[str]) -> str:
    short, target = m.group(1), m.group(2)
    shown = target.rsplit(".", 1)[-1] if short else target
    code = f"<code>{shown}</code>"
    if target.startswith("corridor_sim."):
        return f'<autoref identifier="{target}" optional>{code}</autoref>'
    return code


def render_roles(html: str) -> str:
    """Replace every rendered Sphinx role in ``html`` by a code span or a cross-reference.

    Parameters
    ----------
    html : str
        A page's HTML as mkdocstrings rendered it.

    Returns
    -------
    str

    Examples
    --------
    >>> render_roles(':func:<code>mser</code>')
    '<code>mser</code>'
    >>> render_roles(':class:<code>~a.b.C</code>')
    '<code>C</code>'
    """
    return _ROLE.sub(_replace, html)


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Render the Sphinx roles of a page (see :func:`render_roles`).

    Parameters
    ----------
    html : str
        The page's HTML.
    page, config, files
        Passed by MkDocs; unused.

    Returns
    -------
    str
    """
    return render_roles(html)
