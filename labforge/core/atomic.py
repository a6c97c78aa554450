"""Write files so that readers see the old content or the new, never half of either."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .errors import LabforgeError, Problem
from .owned import MARKER, check_replaceable, marker_bytes


def write_bytes(path: Path, data: bytes) -> None:
    if path.is_dir():
        raise LabforgeError(Problem(str(path), "is a directory; a file cannot replace it",
                                    "give the path of a file to write"))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_tree(out: Path, files: dict[str, bytes], modes: dict[str, int] | None = None,
               trees: tuple[str, ...] = ()) -> None:
    """Replace directory `out` with exactly `files` (relative path -> bytes), all at once.

    Only a directory labforge wrote itself, holding nothing else, is ever replaced (see
    `owned`); `trees` names sub-directories the caller fills afterwards and owns whole."""
    out = Path(os.path.abspath(out))
    if not out.is_symlink():
        out = out.resolve()
    check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    old = None
    try:
        everything = {**files, MARKER: marker_bytes(list(files), list(trees))}
        for rel, data in sorted(everything.items()):
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            os.chmod(target, (modes or {}).get(rel, 0o644))
        os.chmod(staging, 0o755)
        if out.exists():
            # A fresh name of our own for the old tree: never a path someone else may use.
            old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".old"))
            os.replace(out, old)
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if old and not out.exists():
            os.replace(old, out)  # put the previous render back
            old = None
        raise
    finally:
        if old:
            shutil.rmtree(old, ignore_errors=True)
