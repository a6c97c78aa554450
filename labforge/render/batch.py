"""Batch tool images: for each tool version of a release that declares a `command`, a small
non-interactive image (EUCAIM's "tool" images) built from the same build context as the
notebook image: the same base, the same spack-build stage (so nothing is compiled twice), the
same apt layer, and the very package layers of the notebook image that hold the tool's
run-time closure, so a registry stores each of them once.

Rendered as `Batchfile` (one stage per tool version, `batch-<tool>-<version>`) next to the
Containerfile; `labforge release build ID --tools` builds each stage as its own image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..inputs.releases import LoadedRelease
from ..inputs.tools import ToolTests
from ..locks.layers import Layer
from ..locks.lockfile import Lock
from .templates import render

BATCHFILE = "Batchfile"
ENTRYPOINT = "tool-entrypoint.sh"
ROOT_SPEC = re.compile(r"^([^@\s]+)@([^+~%^\s]+)")


@dataclass(frozen=True)
class BatchImage:
    tool: str
    package: str
    version: str
    release: str
    command: str
    root: str  # the tool version's hash in the lock
    hashes: tuple[str, ...]  # its run-time closure: what the image holds
    layers: tuple[Layer, ...]
    tests: ToolTests

    @property
    def stage(self) -> str:
        return "batch-" + re.sub(r"[^a-z0-9]+", "-", f"{self.tool}-{self.version}".lower())

    @property
    def module(self) -> str:
        return f"{self.package}/{self.version}"

    @property
    def tag(self) -> str:
        return f"{self.version}-{self.release}"

    def local_reference(self) -> str:
        return f"localhost/labforge/tools/{self.tool}:{self.tag}"

    def repository(self, tools_registry: str) -> str:
        return f"{tools_registry.rstrip('/')}/{self.tool}"


def root_hashes(lock: Lock) -> dict[tuple[str, str], str]:
    """(package, version) -> hash of that root spec in the lock."""
    roots = {}
    for spec, digest in lock.roots:
        match = ROOT_SPEC.match(spec)
        if match:
            roots[(match.group(1), match.group(2))] = digest
    return roots


def batch_images(loaded: LoadedRelease, lock: Lock, layers: list[Layer]) -> tuple[list[BatchImage], list[str]]:
    """The release's batch images, and a note for each tool that gets none."""
    images, notes = [], []
    roots = root_hashes(lock)
    for entry in loaded.release.tools:
        tool = loaded.tools[entry.name].tool
        if not tool.command:
            notes.append(f"{entry.name}: no batch image (no `command` in spack/tools/{entry.name}.yaml)")
            continue
        for version in entry.versions:
            root = roots.get((tool.package, version))
            if root is None:
                notes.append(f"{entry.name} {version}: not in the lock; make it again: labforge release lock "
                             f"{loaded.release.id}")
                continue
            closure = lock.runtime_closure([root])
            used = tuple(layer for layer in layers if set(closure) & set(layer.hashes))
            images.append(BatchImage(entry.name, tool.package, version, loaded.release.id, tool.command, root,
                                     tuple(closure), used, tool.tests))
    return images, notes


def batch_files(tdir, ctx: dict, images: list[BatchImage]) -> dict[str, bytes]:
    if not images:
        return {}
    text = render(tdir, f"{BATCHFILE}.j2", ctx | {"batch_images": images})
    return {BATCHFILE: text.encode(), ENTRYPOINT: render(tdir, f"{ENTRYPOINT}.j2", ctx).encode()}
