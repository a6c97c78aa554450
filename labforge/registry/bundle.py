"""A bundle attached to an image (OCI referrer, pushed with oras): the files that say how the
image was made. The credentials stay in memory (oras' own login() would write the password to
~/.docker/config.json); the registry's TLS setting and retries are the client's."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

from .client import Registry
from .retries import with_retries

MEDIA_TYPES = {
    "spack.yaml": "application/vnd.spack.environment.v1+yaml",
    "spack.lock": "application/vnd.spack.lock.v1+json",
    "Containerfile": "text/x-dockerfile",
    "Batchfile": "text/x-dockerfile",
    "labforge.def": "application/vnd.apptainer.definition",
    "release-notes.md": "text/markdown",
    "sbom.cdx.json": "application/vnd.cyclonedx+json",
}
TITLE = "labforge release bundle"


def challenge(registry: Registry, scheme: str, verify) -> str:
    """The registry's WWW-Authenticate challenge for an anonymous request ("" when it asks none)."""
    import requests

    try:
        answer = requests.get(f"{scheme}://{registry.host}/v2/", timeout=10, verify=verify)
    except requests.RequestException:
        return ""  # the push says what is wrong, with its retries
    return answer.headers.get("WWW-Authenticate", "") if answer.status_code == 401 else ""


def push_bundle(registry: Registry, target: str, folder: Path, subject_manifest: bytes) -> None:
    """Push the files of `folder` (those MEDIA_TYPES names) to `target` (REPOSITORY:TAG), as a
    referrer of the image whose manifest is `subject_manifest`."""
    import oras.client
    import oras.oci

    subject = oras.oci.Subject(mediaType=json.loads(subject_manifest).get(
        "mediaType", "application/vnd.oci.image.manifest.v1+json"),
        digest="sha256:" + hashlib.sha256(subject_manifest).hexdigest(), size=len(subject_manifest))
    pair = registry.login()
    scheme = registry.scheme()
    verify = registry.requests_verify()
    # Harbor answers with a Bearer challenge (oras' token flow), a plain registry with a Basic one.
    backend = "basic" if pair and challenge(registry, scheme, verify).lower().startswith("basic") else "token"
    client = oras.client.OrasClient(hostname=registry.host, insecure=scheme == "http", tls_verify=verify,
                                    auth_backend=backend)
    if pair:
        client.auth.set_basic_auth(*pair)
    files = [f"{name}:{MEDIA_TYPES[name]}" for name in sorted(MEDIA_TYPES) if (folder / name).exists()]

    def push() -> subprocess.CompletedProcess:
        cwd = os.getcwd()
        os.chdir(folder)  # oras stores paths relative to the working directory
        try:
            client.push(target=target, files=files, subject=subject,
                        manifest_annotations={"org.opencontainers.image.title": TITLE})
            return subprocess.CompletedProcess([], 0, "", "")
        except Exception as exc:  # oras raises requests/ValueError types; a refusal of the credentials is not retried
            return subprocess.CompletedProcess([], 1, str(exc), "")
        finally:
            os.chdir(cwd)

    with_retries(push, attempts=registry.attempts, what=f"bundle push to {registry.host}", retryable=lambda _out: True)
