"""Which directories labforge may replace: only the ones it wrote itself, and only when nothing
a person put there would be lost.

Every tree labforge writes carries a marker file listing the files it wrote (and whole
sub-trees it owns, such as a copied spack checkout). Replacing a directory is allowed when it
does not exist, is empty, or has that marker and holds nothing the marker does not list.
Anything else -- a user's folder, a plain file, a link, `/`, a home or the project itself --
is refused with a message saying what to do, before anything is touched.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import LabforgeError, Problem

MARKER = ".labforge-tree.json"
MARKER_NOTE = "written by labforge; replaced whole on the next write: keep nothing of your own here"


def marker_bytes(files: list[str], trees: list[str]) -> bytes:
    record = {"note": MARKER_NOTE, "files": sorted(files), "trees": sorted(trees)}
    return (json.dumps(record, indent=1, sort_keys=True) + "\n").encode()


def _refuse(out: Path, what: str, hint: str = "choose a new or empty directory for the output") -> LabforgeError:
    return LabforgeError(Problem(str(out), what, hint))


def _protected(out: Path) -> str | None:
    """Why `out` is a place never to replace, or None."""
    if out == Path(out.anchor):
        return "is the file system root"
    home = Path(os.path.expanduser("~")).resolve()
    if out == home:
        return "is your home directory"
    cwd = Path.cwd().resolve()
    if out == cwd or out in cwd.parents:
        return "is the current directory or one of its parents"
    if (out / "labforge.yaml").exists() or (out / ".git").exists():
        return "is a project or git checkout"
    return None


def _read_marker(out: Path) -> dict | None:
    try:
        record = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(record, dict) or record.get("note") != MARKER_NOTE:
        return None
    return record


def foreign_entries(out: Path, record: dict) -> list[str]:
    """Paths under `out` the marker does not account for (what replacing would destroy)."""
    files = set(record.get("files") or [])
    trees = tuple(f"{t}/" for t in record.get("trees") or [])
    foreign = []
    for dirpath, dirnames, filenames in os.walk(out):
        base = Path(dirpath).relative_to(out)
        dirnames[:] = [d for d in dirnames if not f"{(base / d).as_posix()}/".startswith(trees)]
        for name in filenames:
            rel = (base / name).as_posix()
            if rel != MARKER and rel not in files:
                foreign.append(rel)
    return sorted(foreign)


def check_replaceable(out: Path) -> None:
    """Raise unless `out` (already resolved) may be replaced by a tree labforge writes."""
    if out.is_symlink():
        raise _refuse(out, "is a symbolic link; labforge does not write through links", "give the real directory")
    why = _protected(out)
    if why:
        raise _refuse(out, f"{why}; labforge never replaces it")
    if not out.exists():
        return
    if not out.is_dir():
        raise _refuse(out, "is an existing file, not a directory; it would be lost")
    if not any(out.iterdir()):
        return
    record = _read_marker(out)
    if record is None:
        raise _refuse(out, f"is a directory labforge did not write (no {MARKER}); its content would be lost")
    foreign = foreign_entries(out, record)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise _refuse(out, f"holds files labforge did not write: {shown}",
                      "move them elsewhere first, or choose another output directory")
