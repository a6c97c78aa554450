"""What a lock must hold before anything is built from it: spack package names, hashes and
versions that are safe as paths (the layer plan makes directories of them), and exactly the
release's tool versions as its roots. A hand-edited or foreign lock stops here with one line."""

from __future__ import annotations

import re
from collections import Counter

# Spack package names: lowercase letters, digits, '-' and '_' (spack's own recipes use no others).
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,127}\Z")
DAG_HASH = re.compile(r"[a-z2-7]{32}\Z")  # spack's base32 DAG hash
# Versions: 1.2.3, develop, git.<ref>=1.0; never a path separator, blank or leading dash.
VERSION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+=-]{0,127}\Z")
ROOT = re.compile(r"([a-z0-9][a-z0-9_-]*)@=?([^\s~+%^@]+)")


def node_problem(key: str, spec: dict) -> str | None:
    """Why a concrete_specs entry is not a package labforge can lay out, or None."""
    name, version = spec["name"], str(spec["version"])
    if not isinstance(name, str) or not NAME.match(name):
        return f"package name {name!r} is not a spack package name"
    if not DAG_HASH.match(key) or spec.get("hash", key) != key:
        return f"{name}: {key!r} is not the package's spack hash"
    if not VERSION.match(version):
        return f"{name}: version {version!r} is not a spack version"
    for dep in spec.get("dependencies", []):
        if not NAME.match(str(dep["name"])) or not DAG_HASH.match(str(dep["hash"])):
            return f"{name}: dependency {dep['name']!r} ({dep['hash']!r}) is not a spack package and hash"
    return None


def name_version(spec: str) -> tuple[str, str] | None:
    match = ROOT.match(spec.strip())
    return (match[1], match[2]) if match else None


def roots_problems(roots: list[tuple[str, str]], nodes: dict, wanted: list[str]) -> list[str]:
    """Why the lock's roots are not exactly the release's tool versions (`wanted`: their specs)."""
    problems = []
    have: Counter = Counter()
    for spec, digest in roots:
        node = nodes.get(digest)
        parsed = name_version(spec)
        if node is None:
            problems.append(f"root {spec!r} points at no package of the lock")
        elif parsed != (node.name, node.version):
            problems.append(f"root {spec!r} does not match its package {node.label}")
        else:
            have[parsed] += 1
    if problems:  # a broken root says it all; the comparison below would only repeat it
        return problems
    want = Counter(name_version(spec) for spec in wanted)
    problems += [f"{name}@{version} of the release is not among the lock's roots"
                 for name, version in sorted(want - have)]
    problems += [f"root {name}@{version} is not a tool version of the release"
                 for name, version in sorted(have - want)]
    return problems
