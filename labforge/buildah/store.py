"""The local image store, through buildah: an image's config, whether it exists, and its root
filesystem mounted for reading (needs root)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..core.errors import LabforgeError, Problem
from ..core.process import run
from ..registry.names import local_notebook


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


def exists(reference: str) -> bool:
    return run(["buildah", "inspect", "--type", "image", reference], check=False).returncode == 0


def require_image(reference: str, build_it: str) -> dict:
    """The config of a local image; a clear error, saying which command builds it, when it is
    not in the local store."""
    config = local_config(reference)
    if config is None:
        raise LabforgeError(Problem(reference, "no such image in the local store",
                                    f"build it first: {build_it}"))
    return config


def require_local_image(release_id: str) -> tuple[str, dict]:
    """The local notebook image of a release and its config; a clear error when it was never built."""
    reference = local_notebook(release_id)
    return reference, require_image(reference, f"labforge release build {release_id}")


@contextmanager
def mounted(reference: str) -> Iterator[Path]:
    """The image's root filesystem, mounted read-write in a throwaway container (needs root)."""
    container = run(["buildah", "from", "--pull-never", reference]).stdout.strip().splitlines()[-1]
    try:
        yield Path(run(["buildah", "mount", container]).stdout.strip().splitlines()[-1])
    finally:
        run(["buildah", "umount", container], check=False)
        run(["buildah", "rm", container], check=False)
