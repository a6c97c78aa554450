"""`labforge release build`: render, then build the image with buildah (or docker/podman).

The input digest from release.json is stored as the image label org.labforge.input-digest; an
image with the same digest in the local store or the target registry means nothing to build.
"""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..core.errors import LabforgeError, Problem
from ..core.process import BUILDER_FLAKES, require, run
from ..inputs.project import Project
from ..inputs.releases import require_release
from ..registry.auth import auth_file
from ..render.release import CONTAINERFILE, base_image, render_release
from ..spackbuild import spack_source
from ..spackbuild.cache import BuildCache, build_args, build_cache, default_location, secret_files
from ..spackbuild.report import SpackReport, failure_problem
from . import ca
from .base import build_base

DIGEST_LABEL = "org.labforge.input-digest"
STEP = re.compile(r"^(?:\[(\d+)/(\d+)\] )?STEP (\d+)/(\d+): (.*)$")


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


def local_reference(release_id: str) -> str:
    return f"localhost/labforge/lab:{release_id}"


def local_config(reference: str) -> dict | None:
    """The image's config (Labels, Env, User...) from the local store, or None."""
    result = run(["buildah", "inspect", "--type", "image", reference], check=False)
    if result.returncode != 0:
        return None
    data = json.loads(result.stdout)
    docker = (data.get("Docker") or {}).get("config") or {}
    oci = (data.get("OCIv1") or {}).get("config") or {}

    def pick(key, empty):
        return oci.get(key) or docker.get(key) or empty

    return {"Labels": pick("Labels", {}), "Env": pick("Env", []), "User": pick("User", ""),
            "Entrypoint": pick("Entrypoint", []), "Cmd": pick("Cmd", [])}


def require_image(reference: str, build_it: str) -> dict:
    """The config of a local image; a clear error, saying which command builds it, when it is
    not in the local store."""
    config = local_config(reference)
    if config is None:
        raise LabforgeError(Problem(reference, None, "", "no such image in the local store",
                                    f"build it first: {build_it}"))
    return config


def require_local_image(release_id: str) -> tuple[str, dict]:
    """The local image of a release and its config; a clear error when it was never built."""
    reference = local_reference(release_id)
    return reference, require_image(reference, f"labforge release build {release_id}")


@contextmanager
def build_secrets(project: Project, ca_certs: list[str] | None, cache: BuildCache | None,
                  folder: Path) -> Iterator[dict[str, Path]]:
    """The build's secret files (CA bundle, cache credentials, signing key) for buildah's
    --secret, removed when the build is over, whatever happened."""
    secrets = {"labforge-ca": ca.bundle(list(ca_certs or []) + list(project.settings.build.ca_certs),
                                        folder / "labforge-ca.pem")}
    try:
        secrets |= secret_files(cache, folder)
        yield secrets
    finally:
        for path in secrets.values():
            path.unlink(missing_ok=True)


@contextmanager
def mounted(reference: str) -> Iterator[Path]:
    """The image's root filesystem, mounted read-write in a throwaway container (needs root)."""
    container = run(["buildah", "from", "--pull-never", reference]).stdout.strip().splitlines()[-1]
    try:
        yield Path(run(["buildah", "mount", container]).stdout.strip().splitlines()[-1])
    finally:
        run(["buildah", "umount", container], check=False)
        run(["buildah", "rm", container], check=False)


def remote_labels(reference: str, tls_verify: bool, authfile: Path | None) -> dict | None:
    args = ["skopeo", "inspect", "--retry-times", "1", f"--tls-verify={str(tls_verify).lower()}"]
    if authfile:
        args += ["--authfile", str(authfile)]
    result = run(args + [f"docker://{reference}"], check=False)
    if result.returncode != 0:
        return None
    return json.loads(result.stdout).get("Labels") or {}


def build_command(builder: str, isolation: str, context: Path, reference: str, base: str,
                  secrets: dict[str, Path], timestamp: int, extra_args: list[str] = (),
                  containerfile_name: str = CONTAINERFILE, target: str | None = None,
                  pull_auth: Path | None = None) -> list[str]:
    """`pull_auth`: the auth file to pull a private base image with (buildah and podman)."""
    containerfile = str(context / containerfile_name)
    common = ["--target", target] if target else []
    common += ["--authfile", str(pull_auth)] if pull_auth and builder != "docker" else []
    common += [arg for secret_id, path in sorted(secrets.items()) for arg in ("--secret", f"id={secret_id},src={path}")]
    common += ["--build-arg", f"BASE_IMAGE={base}", "--build-arg", f"SOURCE_DATE_EPOCH={timestamp}",
               *extra_args, "-f", containerfile, "-t", reference]
    if builder == "buildah":
        # OCI format: its config has no container id, so identical inputs give identical digests.
        return ["buildah", "bud", "--isolation", isolation, "--format", "oci", "--layers",
                "--timestamp", str(timestamp), *common, str(context)]
    if builder == "podman":
        return ["podman", "build", "--format", "oci", "--timestamp", str(timestamp), *common, str(context)]
    return ["docker", "buildx", "build", "--load", *common, str(context)]


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
    record = json.loads(files["release.json"])
    digest, reference = record["input_digest"], local_reference(release_id)

    report = SpackReport() if with_spack else None

    def done(skipped: str | None) -> BuildResult:
        return BuildResult(release_id, reference, digest, with_spack, skipped, time.monotonic() - start, log,
                           report, cache)

    if not force:
        config = local_config(reference)
        if config and config["Labels"].get(DIGEST_LABEL) == digest:
            return done("the local store already holds this release with the same input digest")
        if registry:
            with auth_file(registry.split("/")[0], authfile) as auth:
                labels = remote_labels(f"{registry}/notebook:{release_id}", tls_verify, auth)
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
            auth_file(base.split("/")[0], authfile) as pull_auth:
        command = build_command(builder, isolation, context, reference, base, secrets,
                                project.settings.build.source_date_epoch, build_args(cache) if with_spack else [],
                                pull_auth=pull_auth)
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
    if run(["buildah", "inspect", "--type", "image", base], check=False).returncode == 0:
        return
    with auth_file(base.split("/")[0], authfile) as auth:
        probe = run(["skopeo", "inspect", "--retry-times", "1", f"--tls-verify={str(tls_verify).lower()}",
                     *(["--authfile", str(auth)] if auth else []), f"docker://{base}"], check=False)
    if probe.returncode != 0:
        last = ((probe.stderr or probe.stdout).strip().splitlines() or ["no answer"])[-1]
        # skopeo's logrus line: msg="Error parsing image name \"docker://...\": <the reason>"
        reason = last.split('msg="', 1)[-1].rstrip('"').replace('\\"', '"').split('": ', 1)[-1]
        raise LabforgeError(Problem(f"{image_id}: gpu.base_image", None, "",
                                    f"the CUDA base image {base} is not in the local store and cannot be pulled "
                                    f"here ({reason[-200:]})",
                                    "build the GPU image on a machine that can pull it (or `buildah pull` it "
                                    "first); the CPU image builds anywhere"))


def check_builder_choice(builder: str) -> None:
    if builder not in ("buildah", "podman", "docker"):
        raise LabforgeError(Problem("--builder", None, "", f"unknown builder {builder!r}",
                                    "use buildah, podman or docker"))
