"""`labforge release build`: render, then build the release's notebook image with buildah (or
docker/podman).

The record's input digest is stored as the image label org.labforge.input-digest; an image with
the same digest in the local store or the target registry means nothing to build.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..core.errors import LabforgeError, Problem
from ..core.process import BUILDER_FLAKES, require, run
from ..inputs.project import Project
from ..inputs.releases import require_release
from ..registry.client import Registry
from ..registry.names import host, local_notebook, notebook_repository
from ..render.record import DIGEST_LABEL, parse_record
from ..render.record import NAME as RECORD
from ..render.release import base_image, render_release
from ..spackbuild import spack_source
from ..spackbuild.cache import BuildCache, build_args, build_cache, default_location
from ..spackbuild.report import SpackReport, failure_problem
from .base import build_base
from .bud import build_command, build_secrets
from .store import exists, local_config

STEP = re.compile(r"^(?:\[([0-9]+)/([0-9]+)\] )?STEP ([0-9]+)/([0-9]+): (.*)$")


@dataclass(frozen=True)
class BuildResult:
    release_id: str
    reference: str
    input_digest: str
    with_spack: bool
    skipped: str | None  # why nothing was built, or None
    seconds: float
    log: Path
    spack: SpackReport | None = None  # what the spack stage installed, compiled and pushed
    cache: BuildCache | None = None


def build_release(project: Project, release_id: str, *, with_spack: bool = True, builder: str = "buildah",
                  isolation: str = "chroot", ca_certs: list[str] | None = None, registry: str | None = None,
                  tls_verify: bool = True, authfile: Path | None = None, force: bool = False,
                  no_cache: bool = False, spack_cache: str | None = None, unsigned_cache: bool = False,
                  signing_key: Path | None = None,
                  on_step: Callable[[str, int, int, str], None] | None = None,
                  on_line: Callable[[str], None] | None = None) -> BuildResult:
    start = time.monotonic()
    require(builder)
    loaded = require_release(project, release_id)
    spack_root = spack_source.locate_spack(project) if with_spack else None  # fail before any work
    cache = (build_cache(spack_cache or default_location(registry), tls_verify, unsigned_cache, signing_key)
             if with_spack else None)
    logs = project.build_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{release_id}-build.log"
    log.write_text("")
    context = project.build_dir / "context" / release_id
    files = render_release(project, loaded, context, with_spack=with_spack, trees=spack_source.CONTEXT_TREES)
    digest = parse_record(files[RECORD], project.rel(context / RECORD)).input_digest
    reference = local_notebook(release_id)

    report = SpackReport() if with_spack else None

    def done(skipped: str | None) -> BuildResult:
        return BuildResult(release_id, reference, digest, with_spack, skipped, time.monotonic() - start, log,
                           report, cache)

    if not force:
        config = local_config(reference)
        if config and config["Labels"].get(DIGEST_LABEL) == digest:
            return done("the local store already holds this release with the same input digest")
        if registry:
            with Registry(registry, tls_verify, authfile).session() as target:
                labels = target.labels(f"{notebook_repository(registry)}:{release_id}")
            if labels and labels.get(DIGEST_LABEL) == digest:
                return done(f"{registry} already holds this release with the same input digest")

    base = release_base(project, loaded, log, tls_verify, on_step, authfile)
    if spack_root:
        spack_source.copy_into(context, spack_root, spack_source.locate_packages(project))
    def line(text: str) -> None:
        if report is not None:
            report.feed(text)
        match = STEP.match(text)
        if match and on_step:
            stage, stages, step, steps, what = match.groups()
            on_step(f"stage {stage or 1}/{stages or 1}", int(step), int(steps), what[:70])
        if on_line:
            on_line(text)

    # A site's base image in a private project (Harbor) is pulled with the same credentials.
    with build_secrets(project, ca_certs, cache, project.build_dir / "secrets" / release_id) as secrets, \
            Registry(host(base), tls_verify, authfile).session() as base_registry:
        command = build_command(builder, isolation, context, reference, base, secrets,
                                project.settings.build.source_date_epoch, build_args(cache) if with_spack else [],
                                pull_auth=base_registry.auth)
        if no_cache:
            command.insert(2, "--no-cache")
        try:
            run(command, log=log, on_line=line, what=f"{builder} build of {release_id}", flakes=BUILDER_FLAKES)
        except LabforgeError as exc:
            if report is None or not report.failed_in_spack:
                raise
            kept = f"; {len(report.pushed_names)} packages it compiled are in the build cache" \
                if report.pushed_names else ""
            raise LabforgeError(exc.problems + [failure_problem(release_id, log, kept=kept)]) from None
    return done(None)


def release_base(project: Project, loaded, log: Path, tls_verify: bool,
                 on_step: Callable[[str, int, int, str], None] | None = None, authfile: Path | None = None) -> str:
    """The image the release builds FROM: the site's (GPU: CUDA) base image, or labforge's own
    Debian base made with mmdebstrap (once; it is reused while it exists)."""
    if loaded.gpu or loaded.release.base.image:
        base = base_image(loaded)
        if loaded.gpu:
            require_gpu_base(loaded.id, base, tls_verify, authfile)
        return base
    if on_step:
        on_step("base", 0, 1, f"base image ({loaded.release.base.suite}, mmdebstrap)")
    return build_base(loaded.release.base.suite, project.settings.build.source_date_epoch, log,
                      loaded.release.base.mirror).reference


def require_gpu_base(image_id: str, base: str, tls_verify: bool, authfile: Path | None = None) -> None:
    """The GPU variant builds only where the site's CUDA base image is: say so plainly, before
    any work, on a machine that has neither it nor a way to pull it (with the credentials the
    build pulls it with)."""
    if exists(base):
        return
    with Registry(host(base), tls_verify, authfile).session() as registry:
        reason = registry.unreachable(base)
    if reason is not None:
        raise LabforgeError(Problem(f"{image_id}: gpu.base_image",
                                    f"the CUDA base image {base} is not in the local store and cannot be pulled "
                                    f"here ({reason[-200:]})",
                                    "build the GPU image on a machine that can pull it (or `buildah pull` it "
                                    "first); the CPU image builds anywhere"))


