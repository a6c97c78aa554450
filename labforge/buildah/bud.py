"""`buildah bud` as labforge runs it: the command line (or podman's, docker's) of a build from
a rendered context, and the build's secret files (CA bundle, cache credentials, signing key),
which exist only while the build runs."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..core.errors import LabforgeError, Problem
from ..inputs.project import Project
from ..render.release import CONTAINERFILE
from ..spackbuild.cache import BuildCache, secret_files
from . import ca

BUILDERS = ("buildah", "podman", "docker")


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
        # --force-rm: a failed build leaves no working container (and its storage) behind either
        return ["buildah", "bud", "--isolation", isolation, "--format", "oci", "--layers", "--force-rm",
                "--timestamp", str(timestamp), *common, str(context)]
    if builder == "podman":
        return ["podman", "build", "--format", "oci", "--force-rm", "--timestamp", str(timestamp), *common,
                str(context)]
    return ["docker", "buildx", "build", "--load", *common, str(context)]



def check_builder_choice(builder: str) -> None:
    if builder not in ("buildah", "podman", "docker"):
        raise LabforgeError(Problem("--builder", f"unknown builder {builder!r}",
                                    "use buildah, podman or docker"))
