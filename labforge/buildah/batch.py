"""`labforge release build ID --tools`: the release's batch tool images, after its notebook image.

Each is one stage of the rendered Batchfile, built from the notebook image's own build context
with the same build arguments and secrets: the base, spack-build and apt steps come from the
build cache (nothing is compiled again) and the package layers are the notebook image's. An
image whose input digest label matches is not built again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..core.errors import LabforgeError, Problem
from ..core.process import BUILDER_FLAKES, require, run
from ..inputs.project import Project
from ..inputs.releases import LoadedRelease, require_release
from ..locks.layers import plan_layers
from ..locks.lockfile import Lock, release_lock
from ..render.batch import BATCHFILE, BatchImage, batch_images
from ..render.record import DIGEST_LABEL, read_record
from ..render.release import base_image
from ..spackbuild.cache import build_args, build_cache
from .bud import build_command, build_secrets
from .store import local_config


@dataclass
class BatchBuild:
    release_id: str
    images: list[BatchImage] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # tools that get no image, and why
    seconds: float = 0.0


@dataclass(frozen=True)
class BatchPlan:
    loaded: LoadedRelease
    lock: Lock
    images: list[BatchImage]
    notes: list[str]  # tools that get no image, and why


def release_batch_images(project: Project, release_id: str) -> BatchPlan:
    """The release's batch images as rendered (from its lock and layer plan), and the notes."""
    loaded = require_release(project, release_id)
    lock = release_lock(project, release_id)
    if lock is None:
        raise LabforgeError(Problem(f"releases/{release_id}.lock.json", "no lock: batch tool images "
                                    "need the spack stage", f"make it: labforge release lock {release_id}"))
    images, notes = batch_images(loaded, lock, plan_layers(lock, project.settings.build.max_layers))
    return BatchPlan(loaded, lock, images, notes)


def build_batch(project: Project, release_id: str, *, builder: str = "buildah", isolation: str = "chroot",
                ca_certs: list[str] | None = None, spack_cache: str | None = None, tls_verify: bool = True,
                unsigned_cache: bool = False, signing_key: Path | None = None, force: bool = False,
                on_image: Callable[[str], None] | None = None,
                on_line: Callable[[str], None] | None = None) -> BatchBuild:
    """Build every batch image of a release whose notebook image was just built with tools."""
    start = time.monotonic()
    require(builder)
    context = project.build_dir / "context" / release_id
    record = read_record(context) if (context / "release.json").exists() else None
    if record is None or not record.with_spack:
        raise LabforgeError(Problem("--tools", "batch tool images need the release built with its tools",
                                    f"build it without --no-spack: labforge release build {release_id} --tools"))
    plan = release_batch_images(project, release_id)
    result = BatchBuild(release_id, plan.images, notes=plan.notes)
    if not (context / BATCHFILE).exists():
        return result  # no tool of the release has a command
    cache = build_cache(spack_cache, tls_verify, unsigned_cache, signing_key)
    log = project.build_dir / "logs" / f"{release_id}-batch.log"
    log.write_text("")
    with build_secrets(project, ca_certs, cache, project.build_dir / "secrets" / f"{release_id}-batch") as secrets:
        for image in result.images:
            reference = image.local_reference()
            config = local_config(reference)
            if not force and config and config["Labels"].get(DIGEST_LABEL) == record.input_digest:
                result.skipped.append(reference)
                continue
            if on_image:
                on_image(reference)
            command = build_command(builder, isolation, context, reference, base_image(plan.loaded), secrets,
                                    project.settings.build.source_date_epoch, build_args(cache), BATCHFILE,
                                    target=image.stage)
            run(command, log=log, on_line=on_line, what=f"{builder} build of {reference}", flakes=BUILDER_FLAKES)
            result.built.append(reference)
    result.seconds = time.monotonic() - start
    return result
