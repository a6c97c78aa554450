"""Paths inside the image; one place, so the templates, kernel and tests agree."""

from __future__ import annotations

from dataclasses import dataclass

from ..platforms import Platform


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
    module_path: str = ""

    @classmethod
    def for_platform(cls, platform: Platform, target: str) -> "ImagePaths":
        # spack writes Lmod "Core" modules under <root>/<platform>-<os>-<target>/Core.
        core = f"{cls.modules}/linux-{platform.spack_os}-{target}/Core"
        return cls(module_path=core)


SECRET_CA = "/run/secrets/labforge-ca"
