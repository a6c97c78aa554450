"""Plan the image's software layers from a lock: whole package prefixes, never split.

A layer's content must depend only on the packages in it, so that a package with the same hash
gives the same layer in every build and every release and the registry stores it once:
- while the release's installed packages fit the budget, every package is a layer of its own;
- above it, each package goes to bucket `sha256(hash) mod budget`. The bucket of a package
  never depends on the other packages, so adding a tool version changes only the buckets its
  new packages land in, whatever else the release holds.
Layer names say what is in them; the build stage moves each prefix under
`<layers>/<name>/` and the runtime stage copies that tree in with one COPY per layer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .lockfile import Lock

# Base image + the runtime stage's own steps (apt, venv, kernel, modules, ...) + the notebook
# server's layers (render/serverlayers.MAX_LAYERS): what is left of the image's layer limit is
# for packages. The render test checks the Containerfile keeps to it.
OTHER_LAYERS = 16 + 24


@dataclass(frozen=True)
class Layer:
    name: str
    hashes: tuple[str, ...]
    labels: tuple[str, ...]  # name@version/hash7 of each package, for people


def bucket(digest: str, buckets: int) -> int:
    return int.from_bytes(hashlib.sha256(digest.encode()).digest()[:8], "big") % buckets


def package_layer(lock: Lock, digest: str) -> Layer:
    """A layer holding one package, named after it."""
    node = lock.nodes[digest]
    return Layer(f"{node.name}-{node.version}-{digest[:7]}", (digest,), (node.label,))


def plan_layers(lock: Lock, max_layers: int) -> list[Layer]:
    budget = max(1, max_layers - OTHER_LAYERS)
    installed = sorted(lock.runtime_closure(), key=lambda h: (lock.nodes[h].name, lock.nodes[h].version, h))
    if len(installed) <= budget:
        return [package_layer(lock, h) for h in installed]
    groups: dict[int, list[str]] = {}
    for digest in installed:
        groups.setdefault(bucket(digest, budget), []).append(digest)
    return [Layer(f"packages-{index:03d}", tuple(hashes), tuple(lock.nodes[h].label for h in hashes))
            for index, hashes in sorted(groups.items())]


def layers_json(layers: list[Layer], present: list[str] | None = None) -> bytes:
    """The plan the build stage reads (hash -> layer directory). `present`: packages the image
    it builds on has already (a tool build); then build-only packages may stay installed."""
    record: dict = {"layers": [{"name": layer.name, "hashes": list(layer.hashes), "packages": list(layer.labels)}
                               for layer in layers]}
    if present is not None:
        record |= {"present": sorted(present), "strict": False}
    return (json.dumps(record, indent=1) + "\n").encode()
