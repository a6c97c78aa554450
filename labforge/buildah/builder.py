"""`labforge release builder`: the image a release's CI pipeline jobs run in. It is the release
Containerfile's own spack-builder stage (same base, pinned spack and recipes, clingo, OS
compilers, the locked environment), built from the same context and pushed next to the
release images as HOST/PROJECT/builder:ID, so a job compiles exactly what the image build
would have compiled."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..core.process import BUILDER_FLAKES, require, run
from ..inputs.project import Project
from ..inputs.releases import require_release
from ..publish.release import push_image
from ..registry.auth import auth_file
from ..render.release import render_release
from ..spackbuild import spack_source
from .notebook import build_command, build_secrets, release_base

STAGE = "spack-builder"


@dataclass(frozen=True)
class BuilderResult:
    reference: str  # where it was pushed, by digest
    seconds: float


def builder_reference(registry: str, release_id: str) -> str:
    return f"{registry}/builder:{release_id}"


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
    local = f"localhost/labforge/builder:{release_id}"
    with build_secrets(project, ca_certs, None, project.build_dir / "secrets" / f"builder-{release_id}") as secrets, \
            auth_file(base.split("/")[0], authfile) as pull_auth:
        run(build_command("buildah", "chroot", context, local, base, secrets, project.settings.build.source_date_epoch,
                          target=STAGE, pull_auth=pull_auth),
            log=log, what=f"build of {release_id}'s builder image", flakes=BUILDER_FLAKES)
    target = builder_reference(registry, release_id)
    with auth_file(registry.split("/")[0], authfile) as auth, tempfile.TemporaryDirectory() as tmp:
        digest = push_image(local, target, Path(tmp) / "digest", tls_verify, auth, log, 4, registry)
    return BuilderResult(f"{target.rsplit(':', 1)[0]}@{digest}", time.monotonic() - start)
