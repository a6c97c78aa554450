"""A lock changed as a release manager's next lock would be, without spack."""

from __future__ import annotations

import copy

from labforge.locks.lockfile import Lock


def with_new_tool_version(lock: Lock, name: str, new_version: str, new_deps: int = 2) -> Lock:
    """`lock` plus one more version of tool `name`: a new root reusing the old root's
    dependencies, plus `new_deps` packages of its own."""
    data = copy.deepcopy(lock.spack)
    old_hash = next(h for spec, h in lock.roots if spec.startswith(name + "@"))
    old = data["concrete_specs"][old_hash]
    fresh = [f"{name[:3]}{i}{'x' * 28}"[:32] for i in range(new_deps + 1)]
    root = copy.deepcopy(old)
    root["version"] = new_version
    for i, digest in enumerate(fresh[1:]):
        data["concrete_specs"][digest] = {"name": f"{name}-extra{i}", "version": "1.0", "dependencies": []}
        root["dependencies"].append({"name": f"{name}-extra{i}", "hash": digest,
                                     "parameters": {"deptypes": ["build", "link"], "virtuals": []}})
    data["concrete_specs"][fresh[0]] = root
    data["roots"].append({"hash": fresh[0], "spec": f"{name}@{new_version}"})
    return Lock(None, data, lock.made_from)
