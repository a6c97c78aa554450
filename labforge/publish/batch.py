"""`labforge release publish ID --tools`, the batch tool images' part of the publish flow: each
image pushed to <tools registry>/<tool>:<version>-<release> with its bundle (Batchfile,
spack.yaml, the tool's part of spack.lock, SBOM), through the same registry client and retries
as the notebook image; publish/release.py records them in the catalog with the rest."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..buildah.batch import BatchPlan, release_batch_images
from ..buildah.store import local_config, mounted
from ..catalog.model import ToolImage
from ..core.atomic import write_text
from ..core.errors import LabforgeError, Problem
from ..inputs.project import Project
from ..registry.bundle import push_bundle
from ..registry.client import Registry
from ..registry.names import build_tag, bundle_tag, digest_bundle_tag
from ..render.batch import BATCHFILE, BatchImage
from ..render.record import DIGEST_LABEL, ReleaseRecord
from .sbom import make_sbom


@dataclass(frozen=True)
class PublishedTool:
    reference: str
    bundle: str


def tool_lock(lock, image: BatchImage) -> dict:
    """The part of the release's spack.lock that this image holds: its root and run-time closure."""
    specs = {h: spec for h, spec in lock.spack["concrete_specs"].items() if h in image.hashes}
    return {**lock.spack, "roots": [r for r in lock.spack["roots"] if r["hash"] == image.root], "concrete_specs": specs}


def checked_batch_images(project: Project, release_id: str, record: ReleaseRecord) -> BatchPlan:
    """The release's batch images, each built from the record's inputs (checked before any push)."""
    plan = release_batch_images(project, release_id)
    for image in plan.images:
        config = local_config(image.local_reference())
        if config is None or config["Labels"].get(DIGEST_LABEL) != record.input_digest:
            raise LabforgeError(Problem(image.local_reference(), "not built from the current inputs",
                                        f"build it: labforge release build {release_id} --tools"))
    return plan


def publish_batch_images(plan: BatchPlan, record: ReleaseRecord, context: Path, registry: Registry,
                         compression: list[str], log: Path,
                         step: Callable[[str], None]) -> tuple[list[PublishedTool], list[ToolImage]]:
    published, entries = [], []
    staged = []
    with tempfile.TemporaryDirectory(prefix="labforge-batch-") as tmp:
        for image in plan.images:  # every image and its bundle, by digest: nothing anyone pulls moves yet
            repository, tag = image.repository(registry.location), image.tag
            staging = f"{repository}:{tag}-{build_tag(record)}"
            step(f"pushing {image.local_reference()} to {staging}")
            digest = registry.push(image.local_reference(), staging, log, f"push to {registry.location}", compression)
            folder = Path(tmp) / image.stage
            write_batch_bundle(context, record, image, tool_lock(plan.lock, image), digest, folder)
            step(f"attaching the bundle of {image.module} (oras)")
            subject = registry.manifest(f"{repository}@{digest}")
            push_bundle(registry, f"{repository}:{digest_bundle_tag(digest)}", folder, subject)
            staged.append((image, repository, tag, digest, folder, subject))
        for image, repository, tag, digest, folder, subject in staged:  # then the tags, all of them
            registry.tag(f"{repository}@{digest}", f"{repository}:{tag}", log, f"tag on {registry.location}")
            push_bundle(registry, bundle_tag(repository, tag), folder, subject)
            published.append(PublishedTool(f"{repository}@{digest}", bundle_tag(repository, tag)))
            entries.append(ToolImage(tool=image.tool, version=image.version, release=record.id, image=repository,
                                     digest=digest, created=record.created, module=image.module,
                                     command=image.command, input_digest=record.input_digest))
    return published, entries


def write_batch_bundle(context: Path, record: ReleaseRecord, image: BatchImage, spack_lock: dict, digest: str,
                       out: Path) -> None:
    out.mkdir(parents=True)
    for name in ("spack.yaml", BATCHFILE):
        (out / name).write_bytes((context / name).read_bytes())
    write_text(out / "spack.lock", json.dumps(spack_lock, indent=1, sort_keys=True) + "\n")
    with mounted(image.local_reference()) as rootfs:
        write_text(out / "sbom.cdx.json", make_sbom(f"{image.tool}-{image.tag}", record.created, rootfs,
                                                     spack_lock, digest))
