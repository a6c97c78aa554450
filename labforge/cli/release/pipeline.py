"""`labforge release pipeline` and `release builder`: a release's packages built by GitLab CI,
one job per package, in the release's own builder image."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ...core.errors import LabforgeError, Problem
from ..app import release_app
from ..options import (
    CA_HELP,
    auth_file_option,
    ca_cert_files,
    check_release_id,
    image_reference,
    registry_location,
    runner_tags,
)
from ..output import err, out
from ..project import State


@release_app.command("pipeline")
def release_pipeline(
    release_id: str = typer.Argument(..., metavar="ID", callback=check_release_id),
    dest: Optional[Path] = typer.Option(None, "--out", help="pipeline file (default build/pipeline/ID/pipeline.yml); "
                                        "the jobs' concrete environment goes to artifacts/ beside it"),
    registry: Optional[str] = typer.Option(None, callback=registry_location,
                                           help="HOST/PROJECT of the release images (builder image and cache)"),
    spack_cache: Optional[str] = typer.Option(None, callback=registry_location,
                                              help="build cache HOST/REPOSITORY (default: HOST/spack-cache/buildcache)"),
    builder_image: Optional[str] = typer.Option(None, callback=image_reference,
                                                help="image the jobs run in (default: HOST/PROJECT/builder:ID)"),
    tls_verify: bool = typer.Option(True, help="the cache speaks HTTPS with a verified certificate"),
    unsigned_cache: bool = typer.Option(False, "--unsigned-cache", help="push unsigned binaries (no signing key)"),
    anonymous_cache: bool = typer.Option(False, "--anonymous-cache",
                                         help="the jobs push without LABFORGE_REGISTRY_USER/_PASSWORD"),
    tag: list[str] = typer.Option(["labforge-build"], "--tag", callback=runner_tags, help="runner tag of every job; repeatable"),
) -> None:
    """Write the GitLab child pipeline that builds the release's packages (spack ci generate)."""
    from ...registry.names import builder_image as builder_reference
    from ...spackbuild.cache import default_location
    from ...spackbuild.pipeline import PipelineOptions, generate_pipeline

    cache = spack_cache or default_location(registry)
    image = builder_image or (builder_reference(registry, release_id) if registry else None)
    if not cache or not image:
        raise LabforgeError(Problem("--registry", "the pipeline needs a build cache and a builder image",
                                    "give --registry HOST/PROJECT (or --spack-cache and --builder-image)"))
    project = State.project()
    target = dest or project.build_dir / "pipeline" / release_id / "pipeline.yml"
    options = PipelineOptions(cache, image, tls_verify, not unsigned_cache, not anonymous_cache, tuple(tag))
    with err.status(f"spack ci generate for {release_id}") as status:
        result = generate_pipeline(project, release_id, target, options,
                                   on_line=lambda text: status.update(f"spack ci generate: {text.strip()[:70]}"))
    out.print(f"{release_id}: {result.jobs} package jobs ({result.pruned} packages already in the cache) in "
              f"{project.rel(result.path)}; environment {project.rel(result.environment)}; image {result.builder_image}")
    if not tls_verify:  # measured: the same pushed packages are pruned over HTTPS, not over plain HTTP
        err.print("note: spack 1.1 reads a build cache's index only over HTTPS; with --no-tls-verify every "
                  "package gets a job, cached or not")


@release_app.command("builder")
def release_builder(
    release_id: str = typer.Argument(..., metavar="ID", callback=check_release_id),
    registry: str = typer.Option(..., callback=registry_location,
                                 help="HOST/PROJECT to push HOST/PROJECT/builder:ID to"),
    ca_cert: list[Path] = typer.Option([], "--ca-cert", callback=ca_cert_files, help=CA_HELP),
    tls_verify: bool = typer.Option(True, help="verify the registry's TLS certificate"),
    authfile: Optional[Path] = typer.Option(None, callback=auth_file_option,
                                            help="registry auth file (else LABFORGE_REGISTRY_USER/PASSWORD)"),
) -> None:
    """Build and push the image the release's pipeline jobs run in (its spack-builder stage)."""
    from ...buildah.builder import build_builder

    project = State.project()
    with err.status(f"building and pushing the builder image of {release_id}"):
        result = build_builder(project, release_id, registry, ca_certs=[str(c) for c in ca_cert],
                               tls_verify=tls_verify, authfile=authfile)
    out.print(f"{release_id}: builder image {result.reference} in {result.seconds:.0f} s")
