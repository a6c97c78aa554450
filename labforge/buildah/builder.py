"""`labforge release builder`: the image a release's CI pipeline jobs run in. It is the release
Containerfile's own spack-builder stage (same base, pinned spack and recipes, clingo, OS
compilers, the locked environment), built from the same context and pushed next to the
release images as HOST/PROJECT/builder:ID, so a job compiles exactly what the image build
would have compiled."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ..core.process import BUILDER_FLAKES, require, run
from ..inputs.project import Project
from ..inputs.releases import require_release
from ..registry.client import Registry
from ..registry.names import builder_image, host, local_builder
from ..render.release import render_release
from ..spackbuild import spack_source
from .bud import build_command, build_secrets
from .notebook import release_base

STAGE = "spack-builder"


@dataclass(frozen=True)
class BuilderResult:
    reference: str  # where it was pushed, by digest
    seconds: float


def build_builder(project: Project, release_id: str, registry: str, *, ca_certs: list[str] | None = None,
                  tls_verify: bool = True, authfile: Path | None = None) -> BuilderResult:
    start = time.monotonic()
    require("buildah")
    loaded = require_release(project, release_id)
    spack_root = spack_source.locate_spack(project)
    log = project.build_dir / "logs" / f"{release_id}-builder.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    context = project.build_dir / "context" / release_id
    render_release(project, loaded, context, trees=spack_source.CONTEXT_TREES)
    spack_source.copy_into(context, spack_root, spack_source.locate_packages(project))
    base = release_base(project, loaded, log, tls_verify, authfile=authfile)
    local = local_builder(release_id)
    with build_secrets(project, ca_certs, None, project.build_dir / "secrets" / f"builder-{release_id}") as secrets, \
            Registry(host(base), tls_verify, authfile).session() as base_registry:
        run(build_command("buildah", "chroot", context, local, base, secrets, project.settings.build.source_date_epoch,
                          target=STAGE, pull_auth=base_registry.auth),
            log=log, what=f"build of {release_id}'s builder image", flakes=BUILDER_FLAKES)
    target = builder_image(registry, release_id)
    with Registry(registry, tls_verify, authfile).session() as destination:
        digest = destination.push(local, target, log, registry)
    return BuilderResult(f"{target.rsplit(':', 1)[0]}@{digest}", time.monotonic() - start)
