"""What a lock was made from, and whether it still fits the release.

A lock is current when the rendered spack.yaml means the same (its parsed content, so a
comment does not count), the lab's own recipes it uses are unchanged, and labforge.yaml still
pins the spack and spack-packages versions it was made with. The commits of spack and of the
recipes are recorded too, for people; they are not compared (a tag names them).
"""

from __future__ import annotations

import hashlib
import json

import yaml

from .lockfile import Lock

COMPARED = ("environment", "recipes", "spack", "spack_packages")
WHAT = {
    "environment": "the release's spack environment changed (tools, versions, variants, target or externals)",
    "recipes": "the lab's own spack recipes it uses changed",
    "spack": "labforge.yaml pins another spack version",
    "spack_packages": "labforge.yaml pins another spack-packages version",
}


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def environment_digest(spack_yaml: bytes) -> str:
    content = yaml.safe_load(spack_yaml)
    return _sha(json.dumps(content, sort_keys=True, separators=(",", ":")).encode())


def made_from(spack_yaml: bytes, recipes: dict[str, bytes], spack_version: str, packages_version: str) -> dict:
    """The inputs a lock depends on (the compared part of its `labforge` record)."""
    return {
        "environment": environment_digest(spack_yaml),
        "recipes": {path: _sha(data) for path, data in sorted(recipes.items())},
        "spack": spack_version,
        "spack_packages": packages_version,
    }


def stale_reasons(lock: Lock, current: dict) -> list[str]:
    """Why `lock` no longer fits `current` (from `made_from`); empty when it does."""
    return [WHAT[key] for key in COMPARED if lock.made_from.get(key) != current[key]]
