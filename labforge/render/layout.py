"""Paths inside the image; one place, so the templates, kernel and tests agree."""

from __future__ import annotations

from dataclasses import dataclass

from ..inputs.platforms import Platform


@dataclass(frozen=True)
class ImagePaths:
    spack: str = "/opt/spack"
    spack_python: str = "/opt/spack-python"
    spack_packages: str = "/opt/spack-packages"
    spack_repo: str = "/opt/labforge/spack-repo"
    environment: str = "/opt/spack-environment"
    software: str = "/opt/software"
    modules: str = "/opt/software/modules"
    venv: str = "/opt/venv"
    labforge: str = "/opt/labforge"
    layers: str = "/opt/labforge/layers"  # the build stage's one directory per image layer
    upstream: str = "/opt/labforge/upstream"  # the build stage's spack database of the image's tree
    spack_cache: str = "/opt/spack-cache"  # spack's repository indexes, a seed for users' spack
    module_path: str = ""

    @classmethod
    def for_platform(cls, platform: Platform, target: str) -> "ImagePaths":
        # spack writes Lmod "Core" modules under <root>/linux-<os>-<target family>/Core
        # (seen with spack 1.1: target x86_64_v2 -> linux-debian12-x86_64).
        core = f"{cls.modules}/linux-{platform.spack_os}-{target_family(target)}/Core"
        return cls(module_path=core)


AARCH64 = ("aarch64", "neoverse", "a64fx", "graviton", "thunderx", "cortex", "m1", "m2")


def target_family(target: str) -> str:
    """The architecture family of a spack microarchitecture name."""
    if target.startswith(AARCH64):
        return "aarch64"
    if target.startswith(("ppc64le", "power")):
        return "ppc64le"
    return "x86_64"


SECRET_CA = "/run/secrets/labforge-ca"

# Build secrets of the spack stage: files mounted into that RUN step only.
SECRETS = {
    "cache_auth": "/run/secrets/labforge-cache-auth",
    "signing_key": "/run/secrets/labforge-signing-key",
}
