"""`include:` of a foreign spack environment: the files and folders beside it that spack would
read as lower-priority configuration (their `definitions:` and `packages:` are imported).

Only paths inside the environment's folder are read, never through a link; a path outside it,
an absolute path or a URL is refused in one line unless the user says to skip it
(`--skip-include`). A missing include is refused naming it, unless spack's `optional: true`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import Problem
from ..core.yamlio import Located, PlainOnly, load_plain
from .spack_when import ConditionError, Where, holds

MAX_DEPTH = 8
# Sections of an included file that carry what a release keeps.
READ = ("definitions", "packages")


@dataclass
class Included:
    """What the includes hold, lowest priority first, and what was said about them."""

    scopes: list[tuple[Located, tuple, dict]] = field(default_factory=list)  # (file, where in it, sections)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_includes(located: Located, section: dict, where: Where, skip: set[str],
                  root: Path | None = None, seen: tuple[Path, ...] = (), prefix: tuple = ("spack",)) -> Included:
    """The includes named in `section` (a spack: mapping or an included file), depth first."""
    out = Included()
    entries = section.get("include") or []
    here = Path(located.file).parent
    root = root or here
    if not isinstance(entries, list):
        out.problems.append(located.problem(prefix + ("include",), "include: must be a list of paths"))
        return out
    for i, entry in enumerate(entries):
        at = prefix + ("include", i)
        text, when, optional = _entry(entry)
        if text is None:
            out.problems.append(located.problem(at, "an include is a path or {path: ..., when: ..., optional: ...}"))
            continue
        if text in skip:
            out.notes.append(f"include {text} not read (--skip-include)")
            continue
        try:
            if when is not None and not holds(when, where):
                continue
        except ConditionError as exc:
            out.problems.append(located.problem(at, str(exc)))
            continue
        path, why = _inside(here, text, root)
        if why:
            skip_it = f"--skip-include {text}" if len(text) <= 300 else "--skip-include with its path"
            out.problems.append(located.problem(at, f"include {text[:300]!r} {why}",
                                                f"copy what it holds beside the environment, or pass {skip_it}"))
            continue
        if not _exists(path):
            if optional:
                out.notes.append(f"include {text} not found (optional: true): skipped")
            else:
                out.problems.append(located.problem(at, f"include {text!r} not found",
                                                    "add the file beside spack.yaml or remove the include"))
            continue
        if path in seen or len(seen) >= MAX_DEPTH:
            out.problems.append(located.problem(at, f"include {text!r} includes itself, or nests past {MAX_DEPTH} levels"))
            continue
        _read_scope(path, where, skip, root, seen + (path,), out)
    return out


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def _entry(entry: object) -> tuple[str | None, object, bool]:
    if isinstance(entry, str):
        return entry, None, False
    if isinstance(entry, dict) and isinstance(entry.get("path"), str) and set(entry) <= {"path", "when", "optional", "sha256"}:
        return entry["path"], entry.get("when"), bool(entry.get("optional"))
    return None, None, False


def _inside(here: Path, text: str, root: Path) -> tuple[Path, str | None]:
    """The include's path, or why it is not read: only relative paths inside the environment's
    folder, with no link on the way."""
    if "://" in text or text.startswith(("/", "~", "$")) or not text.isprintable() or len(text) > 1024:
        return here, "is not a path relative to the environment"
    try:
        path = here
        for part in Path(text).parts:
            path = path / part
            if path.is_symlink():
                return here, "goes through a link"
        normal = (here / text).resolve().relative_to(root.resolve())
    except ValueError:
        return here, f"points outside {root.name}/, the environment's folder"
    except OSError as exc:
        return here, f"cannot be read ({exc.strerror})"
    return root / normal, None


def _read_scope(path: Path, where: Where, skip: set[str], root: Path, seen: tuple[Path, ...], out: Included) -> None:
    """An included file, or a folder read as spack reads a configuration scope."""
    files = [path] if path.is_file() else [path / f"{name}.yaml" for name in READ]
    for file in files:
        if not file.is_file() or file.is_symlink():
            continue
        try:
            located = load_plain(file, str(file))
        except PlainOnly as refused:  # said with the environment's other problems
            out.problems += refused.problems
            continue
        data = located.data if isinstance(located.data, dict) else {}
        prefix = ("spack",) if isinstance(data.get("spack"), dict) else ()
        sections = data["spack"] if prefix else data
        nested = read_includes(located, sections, where, skip, root, seen, prefix)
        out.scopes += nested.scopes
        out.notes += nested.notes
        out.problems += nested.problems
        kept = {k: v for k, v in sections.items() if k in READ}
        left = sorted(k for k in sections if k not in READ and k != "include")
        if left:
            out.notes.append(f"{file.name}: {', '.join(left)} not imported (labforge renders its own)")
        out.scopes.append((located, prefix, kept))
