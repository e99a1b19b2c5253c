"""Writing output folders all at once."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["staged_folder"]


@contextmanager
def staged_folder(path: str | Path) -> Iterator[Path]:
    """Fill a temporary folder beside ``path``; move its files into ``path`` only on success.

    A failure while writing leaves no half-written results behind.

    Parameters
    ----------
    path : str or Path
        The output folder (created if needed).

    Yields
    ------
    Path
        The temporary folder to write into.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    try:
        yield tmp
        path.mkdir(exist_ok=True)
        for f in tmp.iterdir():
            os.replace(f, path / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
