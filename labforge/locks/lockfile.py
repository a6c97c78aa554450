"""Release locks: `releases/<id>.lock.json`, spack's own spack.lock plus what it was made from.

The file is spack's lockfile (version 6: `_meta`, `spack`, `roots`, `concrete_specs`) with one
extra top-level key, `labforge`, recording the inputs (see `provenance`). The build context
gets the spack part alone as `spack.lock`, so spack never sees labforge's key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..core.errors import LabforgeError, Problem
from ..inputs.project import Project
from .checks import node_problem

LABFORGE_KEY = "labforge"
SPACK_KEYS = ("_meta", "spack", "roots", "concrete_specs")
RUNTIME_DEPTYPES = {"link", "run"}
MAX_BYTES = 64 * 1024 * 1024  # a lock of thousands of nodes is a few MB


@dataclass(frozen=True)
class Node:
    hash: str
    name: str
    version: str
    external: bool
    deps: tuple[tuple[str, str, frozenset[str]], ...]  # (name, hash, deptypes)

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}/{self.hash[:7]}"


@dataclass(frozen=True)
class Lock:
    path: Path | None
    spack: dict  # spack's lockfile content
    made_from: dict  # labforge's record of the inputs

    @cached_property
    def nodes(self) -> dict[str, Node]:
        nodes = {}
        for digest, spec in self.spack["concrete_specs"].items():
            deps = tuple((d["name"], d["hash"], frozenset(d.get("parameters", {}).get("deptypes", [])))
                         for d in spec.get("dependencies", []))
            nodes[digest] = Node(digest, spec["name"], str(spec["version"]), bool(spec.get("external")), deps)
        return nodes

    @property
    def roots(self) -> list[tuple[str, str]]:
        """(spec as the release wrote it, hash) for every tool version."""
        return [(root["spec"], root["hash"]) for root in self.spack["roots"]]

    def runtime_closure(self, start: list[str] | None = None) -> list[str]:
        """Hashes of the installed packages the roots need at run time (link and run
        dependencies, transitively), externals left out: what stays after `spack gc`."""
        seen: set[str] = set()
        stack = list(start if start is not None else [h for _, h in self.roots])
        while stack:
            digest = stack.pop()
            if digest in seen or digest not in self.nodes:
                continue
            seen.add(digest)
            stack += [h for _, h, types in self.nodes[digest].deps if types & RUNTIME_DEPTYPES]
        return sorted(h for h in seen if not self.nodes[h].external)

    def spack_lock_bytes(self) -> bytes:
        """The spack part, as the build context's spack.lock."""
        return (json.dumps(self.spack, indent=1, sort_keys=True) + "\n").encode()


def lock_path(releases_dir: Path, release_id: str) -> Path:
    return releases_dir / f"{release_id}.lock.json"


def release_lock(project: Project, release_id: str) -> Lock | None:
    """The committed lock of a release, None when it has none."""
    path = lock_path(project.releases_dir, release_id)
    return load_lock(path, project.rel(path))


def _bad(shown: str, message: str, hint: str = "make it again: labforge release lock ID") -> LabforgeError:
    return LabforgeError(Problem(shown, message, hint))


def load_lock(path: Path, shown: str) -> Lock | None:
    """The lock at `path`, None when there is none; a clear error when it is not a lock."""
    if not path.exists():
        return None
    if path.stat().st_size > MAX_BYTES:
        raise _bad(shown, f"is larger than {MAX_BYTES // 2**20} MiB, too large for a lock")
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad(shown, f"is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or any(k not in data for k in SPACK_KEYS):
        raise _bad(shown, f"is not a spack lockfile (needs {', '.join(SPACK_KEYS)})")
    meta = data["_meta"]
    if not isinstance(meta, dict) or meta.get("lockfile-version") != 6:
        raise _bad(shown, "has a lockfile version other than 6 (spack 1.x)",
                   "lock it again with the pinned spack: labforge release lock ID")
    try:
        lock = Lock(path, {k: data[k] for k in SPACK_KEYS}, dict(data.get(LABFORGE_KEY) or {}))
        lock.nodes, lock.roots  # noqa: B018 -- read every node now, so a broken one fails here
        problem = next(filter(None, (node_problem(k, spec) for k, spec in data["concrete_specs"].items())), None)
    except (KeyError, TypeError, AttributeError) as exc:
        raise _bad(shown, f"has a malformed node ({exc!r})") from None
    if problem:
        raise _bad(shown, problem)
    return lock


def lock_bytes(spack_lock: dict, made_from: dict) -> bytes:
    """The committed lock file: sorted keys and one space indent, so diffs stay readable."""
    record = {**{k: spack_lock[k] for k in SPACK_KEYS}, LABFORGE_KEY: made_from}
    return (json.dumps(record, indent=1, sort_keys=True) + "\n").encode()
