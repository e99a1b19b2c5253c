"""Writing output folders all at once, with a manifest of the files corridor_sim wrote.

A run folder is written into a hidden temporary sibling, then swapped in as a whole, so no
mix of two runs is ever visible. The folder keeps a manifest (:data:`MANIFEST`) of the files a
run wrote; a later run replaces exactly those. Files of the user's own (not in the manifest)
survive the swap — unless the new run would overwrite one, in which case it refuses with an
:class:`~corridor_sim.errors.OutputError` and nothing changes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError

__all__ = ["MANIFEST", "check_output_folder", "safe_name", "staged_folder"]

MANIFEST = ".corridor_sim-manifest.json"
"""Name of the file listing what corridor_sim wrote into an output folder."""
_STAGE = ".{name}.staging-{pid}-"
_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]+")


def safe_name(name: str, default: str = "scenario") -> str:
    """A folder name made from a scenario name: no separators, no leading dot, not empty.

    Parameters
    ----------
    name : str
        A scenario's ``name`` (free text).
    default : str, default "scenario"
        Used when nothing safe is left.

    Returns
    -------
    str
        At most 100 characters of letters, digits, ``.``, ``_`` and ``-``.

    Examples
    --------
    >>> safe_name("../../etc/x")
    'etc_x'
    >>> safe_name("green corridor 2025")
    'green_corridor_2025'
    """
    text = _UNSAFE.sub("_", str(name)).strip("._-")[:100].strip("._-")
    text = re.sub(r"\.{2,}", ".", text)
    return text or default


_LEGACY_MARKERS = (("scenario.yaml", "summary.csv"), ("comparison.csv", "kpis.csv"))
_LEGACY_SUFFIXES = (".csv", ".parquet", ".png", ".html", ".yaml")


def _manifest(path: Path) -> set[str] | None:
    """Names of the files corridor_sim wrote into a folder, or None when it did not write it.

    Read from the folder's manifest; a run or comparison folder written before manifests
    existed is recognised by its files (``scenario.yaml`` and ``summary.csv``, or
    ``comparison.csv`` and ``kpis.csv``) and its result files count as ours.
    """
    try:
        names = json.loads((path / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        try:
            present = {p.name for p in path.iterdir() if p.is_file()}
        except OSError:
            return None
        if any(set(m) <= present for m in _LEGACY_MARKERS):
            return {n for n in present if n.endswith(_LEGACY_SUFFIXES)}
        return None
    if not isinstance(names, list):
        return None
    return {n for n in names if isinstance(n, str) and "/" not in n and n not in ("", ".", "..")}


def check_output_folder(path: str | Path) -> Path:
    """Check, before a run, that its results can be written to ``path``.

    Parameters
    ----------
    path : str or Path
        The output folder; it may exist (a folder from an earlier run) or not.

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        If ``path`` (or a parent) is a file, or its parent folder cannot be created or
        written, or it is a non-empty folder that corridor_sim did not write (no manifest).
    """
    path = Path(path)
    if "\x00" in str(path):
        raise OutputError(f"output folder {str(path)!r}: the name contains a NUL byte")
    if path.exists() and not path.is_dir():
        raise OutputError(f"output folder {str(path)!r} is a file; give a folder")
    parent = path.absolute().parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"output folder {str(path)!r}: {str(probe)!r} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK) or (
            path.is_dir() and not os.access(path, os.W_OK | os.X_OK)):
        raise OutputError(f"output folder {str(path)!r} cannot be written (permission denied "
                          f"in {str(path if path.is_dir() else probe)!r})")
    if path.is_dir() and _manifest(path) is None and any(path.iterdir()):
        raise OutputError(f"output folder {str(path)!r} already holds files that corridor_sim "
                          "did not write (it has no manifest); choose a new or empty folder")
    return path


def _remove_stale(parent: Path, name: str) -> None:
    """Clean up after runs that were killed (their process is gone) while writing ``name``.

    Their staging folders are removed; a previous folder set aside for a swap that never
    finished is put back when the output folder is missing, else removed.
    """
    for kind in ("staging", "old"):
        prefix = f".{name}.{kind}-"
        for p in parent.glob(f"{_glob_escape(prefix)}*"):
            pid = p.name[len(prefix):].split("-", 1)[0]
            if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
                continue
            if kind == "old" and not (parent / name).exists() and (p / "x").is_dir():
                os.rename(p / "x", parent / name)
            shutil.rmtree(p, ignore_errors=True)


def _glob_escape(text: str) -> str:
    """``text`` with glob wildcards escaped."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _swap(path: Path, tmp: Path, new: set[str]) -> None:
    """Replace ``path`` by ``tmp``; the user's own files in ``path`` move across."""
    if not path.exists():
        os.rename(tmp, path)
        return
    ours = _manifest(path)
    if ours is None:
        ours = set()
    present = {p.name for p in path.iterdir()} - {MANIFEST}
    foreign = present - ours
    clash = sorted(foreign & new)
    if clash:
        raise OutputError(
            f"output folder {str(path)!r} holds {', '.join(repr(c) for c in clash[:5])}"
            f"{' …' if len(clash) > 5 else ''}, not written by corridor_sim (not in its "
            f"manifest {MANIFEST}); this run would overwrite it. Move it away or choose "
            "another folder; nothing was changed")
    for name in sorted(foreign):  # the user's own files survive: linked or copied across
        src, dst = path / name, tmp / name
        if src.is_dir() and not src.is_symlink():
            shutil.copytree(src, dst, symlinks=True)
        else:
            try:
                os.link(src, dst, follow_symlinks=False)
            except OSError:
                shutil.copy2(src, dst, follow_symlinks=False)
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-{os.getpid()}-", dir=path.parent))
    try:
        os.rename(path, old / "x")
        try:
            os.rename(tmp, path)
        except OSError:
            os.rename(old / "x", path)
            raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """While active, SIGTERM raises SystemExit (so ``finally`` blocks clean up)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except (ValueError, OSError):  # pragma: no cover - no signals here
        yield
        return
    if previous not in (signal.SIG_DFL, None):
        yield  # someone else (the CLI) handles it already
        return

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def staged_folder(path: str | Path) -> Iterator[Path]:
    """Fill a temporary folder beside ``path``, then swap it in whole, only on success.

    A failure or an interruption (an exception, Ctrl-C, SIGTERM) while writing leaves the old
    folder as it was and no temporary folder behind. On success the folder holds exactly the
    files written into the temporary one, a manifest listing them (:data:`MANIFEST`), and the
    files of the user's own that were there before (those not in the old manifest).

    Parameters
    ----------
    path : str or Path
        The output folder (created if needed).

    Yields
    ------
    Path
        The temporary folder to write into.

    Raises
    ------
    OutputError
        If ``path`` is not a usable folder, or holds a file not written by corridor_sim that
        the new files would overwrite (then nothing is changed).
    """
    path = Path(path)
    check_output_folder(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(path.parent, path.name)
    with _terminate_as_exit():
        tmp = Path(tempfile.mkdtemp(prefix=_STAGE.format(name=path.name, pid=os.getpid()),
                                    dir=path.parent))
        try:
            os.chmod(tmp, 0o777 & ~_umask())  # as mkdir would make it, not mkdtemp's 0o700
            yield tmp
            new = {p.name for p in tmp.iterdir()} - {MANIFEST}
            (tmp / MANIFEST).write_text(json.dumps({"files": sorted(new)}, indent=1) + "\n",
                                        encoding="utf-8")
            _swap(path, tmp, new)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
