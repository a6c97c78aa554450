"""Repository names in the lab's registry (Harbor projects and repositories), in one place."""

from __future__ import annotations

NOTEBOOK = "notebook"  # HOST/PROJECT/notebook:ID, :ID-gpu, :latest, :experimental; :ID-bundle
BUILDER = "builder"  # HOST/PROJECT/builder:ID, the image a release's CI jobs run in
TOOLS_PROJECT = "tools"  # HOST/tools/TOOL:VERSION-ID, batch tool images
SPACK_CACHE = "spack-cache/buildcache"  # HOST/spack-cache/buildcache, the signed spack build cache
LOCAL_NOTEBOOK = "localhost/labforge/lab"  # the local store's notebook images, by release id
LOCAL_BUILDER = "localhost/labforge/builder"


def host(location: str) -> str:
    """HOST[:PORT] of HOST[:PORT][/PATH]."""
    return location.split("/")[0]


def notebook_repository(registry: str) -> str:
    return f"{registry.rstrip('/')}/{NOTEBOOK}"


def bundle_tag(repository: str, tag: str) -> str:
    """Where an image's bundle (spack.yaml, lock, notes, SBOM) is attached: REPOSITORY:TAG-bundle."""
    return f"{repository}:{tag}-bundle"


def build_tag(record) -> str:
    """The tag a build's image is pushed under first: named by the build's input digest, pulled
    by nobody, moved by nobody; the tags people use are set only after its bundle is attached."""
    return f"build-{record.input_digest.removeprefix('sha256:')[:16]}"


def digest_bundle_tag(digest: str) -> str:
    """Where an image's bundle is pushed first: named by the image's digest (as cosign names signatures)."""
    return digest.replace(":", "-") + ".bundle"


def builder_image(registry: str, release_id: str) -> str:
    return f"{registry.rstrip('/')}/{BUILDER}:{release_id}"


def tools_registry(registry: str) -> str:
    """The registry's `tools` project (Harbor creates it for batch images): HOST/tools."""
    return f"{host(registry)}/{TOOLS_PROJECT}"


def spack_cache(registry: str) -> str:
    """The build cache next to the image registry: same host, the spack-cache project."""
    return f"{host(registry)}/{SPACK_CACHE}"


def local_notebook(release_id: str) -> str:
    return f"{LOCAL_NOTEBOOK}:{release_id}"


def local_builder(release_id: str) -> str:
    return f"{LOCAL_BUILDER}:{release_id}"
