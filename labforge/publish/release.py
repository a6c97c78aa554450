"""`labforge release publish`: push the image (skopeo), attach the release bundle (oras), and
record the release in the catalog -- the catalog changes only after everything succeeded."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..buildah.notebook import mounted, require_local_image
from ..catalog.model import Catalog, CatalogEntry, GpuImage, load_catalog, save_catalog
from ..core.atomic import write_text
from ..core.errors import LabforgeError, Problem
from ..core.process import require, run, with_retries
from ..inputs.project import Project
from ..inputs.releases import release_ids, require_release
from ..locks.lockfile import release_lock
from ..locks.package_diff import package_section
from ..registry.auth import auth_file, login_pair
from ..registry.compression import skopeo_args
from .notes import diff_releases
from .sbom import make_sbom

BUNDLE_MEDIA = {
    "spack.yaml": "application/vnd.spack.environment.v1+yaml",
    "spack.lock": "application/vnd.spack.lock.v1+json",
    "Containerfile": "text/x-dockerfile",
    "Batchfile": "text/x-dockerfile",
    "labforge.def": "application/vnd.apptainer.definition",
    "release-notes.md": "text/markdown",
    "sbom.cdx.json": "application/vnd.cyclonedx+json",
}


@dataclass(frozen=True)
class PublishResult:
    release_id: str
    repository: str
    digest: str
    tags: list[str]
    bundle: str


def context_record(project: Project, release_id: str) -> tuple[Path, dict]:
    """The rendered build context of a built image, and its release.json."""
    context = project.build_dir / "context" / release_id
    if not (context / "release.json").exists():
        raise LabforgeError(Problem(project.rel(context), None, "", "no rendered build context",
                                    f"build it first: labforge release build {release_id}"))
    return context, json.loads((context / "release.json").read_text())


def push_image(reference: str, target: str, digest_file: Path, tls_verify: bool, auth: Path | None, log: Path,
               attempts: int, what: str, compression: list[str] | None = None) -> str:
    """Copy a local image to `target` (repository:tag) with skopeo, retrying transient errors;
    returns the digest the registry stored. `compression`: images/compression.skopeo_args."""
    with_retries(lambda: run(["skopeo", "copy", "--retry-times", "0", "--digestfile", str(digest_file),
                              *(compression or []),
                              f"--dest-tls-verify={str(tls_verify).lower()}",
                              *(["--dest-authfile", str(auth)] if auth else []),
                              f"containers-storage:{reference}", f"docker://{target}"], log=log, check=False),
                 attempts=attempts, what=what)
    return digest_file.read_text().strip()


def read_manifest(reference: str, tls_verify: bool, auth: Path | None = None, what: str = "registry") -> bytes:
    """The manifest a registry holds for `reference` (repository@digest or :tag), as bytes."""
    return run(["skopeo", "inspect", "--raw", "--retry-times", "2", f"--tls-verify={str(tls_verify).lower()}",
                *(["--authfile", str(auth)] if auth else []), f"docker://{reference}"],
               log=None, what=f"reading the manifest back from {what}").stdout.encode()


def previous_release(project: Project, release_id: str) -> str | None:
    stable = [r for r in release_ids(project) if r != "experimental"]
    if release_id == "experimental":
        return stable[-1] if stable else None
    older = [r for r in stable if r < release_id]
    return older[-1] if older else None


def tags_for(release, catalog: Catalog, variant: str | None = None) -> list[str]:
    if variant:  # `2026.11-gpu` only: "latest" and "experimental" name CPU images
        return [f"{release.id}-{variant}"]
    tags = [release.id]
    if release.channel == "experimental":
        tags.append("experimental")
    elif all(release.id >= other.id for other in catalog.stable()):
        tags.append("latest")
    return tags


def publish_release(project: Project, release_id: str, registry: str, catalog_path: Path, *,
                    tls_verify: bool = True, authfile: Path | None = None, attempts: int = 4,
                    on_step: Callable[[str], None] | None = None) -> PublishResult:
    require("skopeo")
    require("buildah")
    compression = skopeo_args(project.settings.publish)  # before anything is pushed
    step = on_step or (lambda _text: None)
    loaded = require_release(project, release_id)
    reference, config = require_local_image(release_id)
    catalog = load_catalog(catalog_path, project.rel(catalog_path)) if catalog_path.exists() else Catalog()
    context, record = context_record(project, release_id)
    if config["Labels"].get("org.labforge.input-digest") != record["input_digest"]:
        raise LabforgeError(Problem(reference, None, "", "the local image was built from other inputs",
                                    f"rebuild it: labforge release build {release_id}"))
    logs = project.build_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{release_id}-publish.log"
    log.write_text("")
    repository = f"{registry.rstrip('/')}/notebook"
    host = registry.split("/")[0]
    tls = f"--dest-tls-verify={str(tls_verify).lower()}"
    tags = tags_for(loaded.release, catalog, loaded.variant)
    if loaded.variant and not any(r.id == loaded.release.id for r in catalog.releases):
        raise LabforgeError(Problem(project.rel(catalog_path), None, "", f"release {loaded.release.id} is not in "
                                    "the catalog", f"publish its CPU image first: labforge release publish "
                                    f"{loaded.release.id}"))

    with auth_file(host, authfile) as auth, tempfile.TemporaryDirectory(prefix="labforge-publish-") as tmp:
        auth_args = ["--dest-authfile", str(auth)] if auth else []
        step(f"pushing {reference} to {repository}:{release_id}")
        digest = push_image(reference, f"{repository}:{release_id}", Path(tmp) / "digest", tls_verify, auth, log,
                            attempts, f"push to {registry}", compression)
        src_args = [f"--src-tls-verify={str(tls_verify).lower()}"] + (["--src-authfile", str(auth)] if auth else [])
        for tag in tags[1:]:
            step(f"tagging {repository}:{tag}")
            with_retries(lambda tag=tag: run(["skopeo", "copy", "--retry-times", "0", tls, *src_args, *auth_args,
                                              f"docker://{repository}@{digest}", f"docker://{repository}:{tag}"],
                                             log=log, check=False), attempts=attempts, what=f"tag on {registry}")
        step("attaching the release bundle (oras)")
        bundle_dir = Path(tmp) / "bundle"
        write_bundle(project, loaded, context, record, reference, digest, bundle_dir)
        raw = read_manifest(f"{repository}@{digest}", tls_verify, auth, registry)
        bundle = f"{repository}:{release_id}-bundle"
        push_bundle(bundle, bundle_dir, raw, tls_verify, attempts, auth)

    if loaded.variant:
        updated = catalog.with_gpu_image(loaded.release.id, GpuImage(image=repository, digest=digest,
                                                                     created=record["created"],
                                                                     input_digest=record["input_digest"]))
    else:
        updated = catalog.with_entry(CatalogEntry(
            id=release_id, channel=loaded.release.channel, image=repository, digest=digest, created=record["created"],
            status=loaded.release.status, kernel=record["kernel"], input_digest=record["input_digest"],
            with_spack=record["with_spack"]))
    save_catalog(catalog_path, updated)  # only now, after every push succeeded
    return PublishResult(release_id, repository, digest, tags, bundle)


def write_bundle(project: Project, loaded, context: Path, record: dict, reference: str, digest: str,
                 out: Path) -> None:
    out.mkdir(parents=True)
    for name in ("spack.yaml", "Containerfile", "labforge.def"):
        (out / name).write_bytes((context / name).read_bytes())
    previous = previous_release(project, loaded.release.id)
    notes = (diff_releases(require_release(project, previous).release, loaded.release,
                           package_section(release_lock(project, previous), release_lock(project, loaded.id)))
             if previous else f"# Release {loaded.release.id}\n\n{loaded.release.notes}")
    write_text(out / "release-notes.md", notes)
    with mounted(reference) as rootfs:
        lock_path = rootfs / "opt/spack-environment/spack.lock"
        lock = json.loads(lock_path.read_text()) if lock_path.exists() else None
        if lock is not None:
            (out / "spack.lock").write_bytes(lock_path.read_bytes())
        write_text(out / "sbom.cdx.json", make_sbom(record, rootfs, lock, digest))


def challenge(host: str, tls_verify: bool) -> str:
    """The registry's WWW-Authenticate challenge for an anonymous request ("" when it asks none)."""
    import requests

    try:
        answer = requests.get(f"{'https' if tls_verify else 'http'}://{host}/v2/", timeout=10)
    except requests.RequestException:
        return ""  # the push says what is wrong, with its retries
    return answer.headers.get("WWW-Authenticate", "") if answer.status_code == 401 else ""


def push_bundle(target: str, bundle_dir: Path, manifest: bytes, tls_verify: bool, attempts: int,
                auth: Path | None = None) -> None:
    import hashlib

    import oras.client
    import oras.oci

    subject = oras.oci.Subject(mediaType=json.loads(manifest).get("mediaType",
                                                                  "application/vnd.oci.image.manifest.v1+json"),
                               digest="sha256:" + hashlib.sha256(manifest).hexdigest(), size=len(manifest))
    host = target.split("/")[0]
    pair = login_pair(host, auth)
    # Harbor answers with a Bearer challenge (oras' token flow), a plain registry with a Basic one.
    backend = "basic" if pair and challenge(host, tls_verify).lower().startswith("basic") else "token"
    client = oras.client.OrasClient(hostname=host, insecure=not tls_verify, tls_verify=tls_verify,
                                    auth_backend=backend)
    if pair:  # in memory only: oras' login() would also write the password to ~/.docker/config.json
        client.auth.set_basic_auth(*pair)
    files = [f"{name}:{BUNDLE_MEDIA[name]}" for name in sorted(BUNDLE_MEDIA) if (bundle_dir / name).exists()]

    def push() -> subprocess.CompletedProcess:
        cwd = os.getcwd()
        os.chdir(bundle_dir)  # oras stores paths relative to the working directory
        try:
            client.push(target=target, files=files, subject=subject,
                        manifest_annotations={"org.opencontainers.image.title": "labforge release bundle"})
            return subprocess.CompletedProcess([], 0, "", "")
        except Exception as exc:  # oras raises requests/ValueError types; all are retried alike
            return subprocess.CompletedProcess([], 1, str(exc), "")
        finally:
            os.chdir(cwd)

    with_retries(push, attempts=attempts, what=f"bundle push to {host}", retryable=lambda _output: True)
