"""Where things live in a labforge checkout, and the site settings in labforge.yaml."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..core.errors import LabforgeError, Problem
from ..core.fields import AbsolutePath, GitRef, GitUrl, LabelText, Pin, SpackTarget
from ..core.validation import to_model
from ..core.yamlio import load

CONFIG_NAME = "labforge.yaml"
RUNTIME_CONSTRAINTS = "runtime.constraints.txt"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Mounts(_Strict):
    drive: AbsolutePath = "/home/jovyan/drive"
    datasets: AbsolutePath = "/home/jovyan/datasets"
    shared: AbsolutePath = "/home/jovyan/shared"


class ImageSettings(_Strict):
    user: str = Field("jovyan", pattern=r"^[a-z_][a-z0-9_-]{0,31}$")
    uid: int = Field(1000, ge=1000)
    gid: int = Field(1000, ge=100)
    vendor: LabelText = "labforge"
    authorization: LabelText = "Authenticated lab users"
    mounts: Mounts = Mounts()


class SpackSettings(_Strict):
    version: GitRef = "v1.1.0"
    url: GitUrl = "https://github.com/spack/spack.git"
    packages_version: GitRef = "v2025.11.0"
    packages_url: GitUrl = "https://github.com/spack/spack-packages.git"
    target: SpackTarget = "x86_64_v2"


class RuntimeSettings(_Strict):
    # The notebook server side of every image; jupyterhub's major must match the hub's.
    python_packages: list[Pin] = Field(
        default_factory=lambda: [
            "jupyterlab==4.6.6", "jupyterhub==5.5.4", "jupyterlmod==5.3.2", "ipykernel==7.4.0",
        ]
    )


class BuildSettings(_Strict):
    ca_certs: list[str] = Field(default_factory=list)
    # SOURCE_DATE_EPOCH of the base image and of every layer's files: one value for all releases,
    # so a layer whose content did not change is byte-identical and never pushed twice.
    # From 1980 (zip, and so wheels, cannot store older times) to 2100.
    source_date_epoch: int = Field(1761955200, ge=315532800, le=4102444800)
    # Layers an image may have (the base, runtime steps and notebook server take 40 of them); the spack
    # packages share the rest, one each while they fit (see labforge/locks/layers.py).
    max_layers: int = Field(100, ge=48, le=127)


class PublishSettings(_Strict):
    # Layer compression of pushed images: gzip (every runtime); zstd (smaller and faster to
    # unpack: containerd >= 1.5, CRI-O >= 1.20); zstd:chunked (zstd that CRI-O >= 1.29 can
    # pull lazily, file by file; other runtimes read it as plain zstd). See README "Figures".
    compression: str = Field("gzip", pattern=r"^(gzip|zstd|zstd:chunked)$")
    # The oldest container runtime on the lab's nodes: it must unpack what is pushed.
    node_runtime: str = Field("containerd 1.7", pattern=r"^(containerd|cri-o) [0-9]+\.[0-9]+$")


class Settings(_Strict):
    image: ImageSettings = ImageSettings()
    publish: PublishSettings = PublishSettings()
    spack: SpackSettings = SpackSettings()
    runtime: RuntimeSettings = RuntimeSettings()
    build: BuildSettings = BuildSettings()


class Project:
    """A labforge checkout: tool submissions, spack recipes, releases, templates, settings."""

    def __init__(self, root: Path):
        self.root = root.resolve()

    @classmethod
    def find(cls, start: Path | None = None) -> "Project":
        env = os.environ.get("LABFORGE_PROJECT")
        if env:
            return cls(Path(env))
        here = (start or Path.cwd()).resolve()
        for candidate in (here, *here.parents):
            if (candidate / CONFIG_NAME).is_file():
                return cls(candidate)
        raise LabforgeError(
            Problem(str(here), f"not inside a labforge project (no {CONFIG_NAME} found)",
                    "run from the repository or pass --project DIR")
        )

    def rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    @property
    def tools_dir(self) -> Path:
        return self.root / "spack" / "tools"

    @property
    def spack_repo(self) -> Path:
        return self.root / "spack"

    @property
    def packages_dir(self) -> Path:
        return self.root / "spack" / "packages"

    @property
    def releases_dir(self) -> Path:
        return self.root / "releases"

    @property
    def images_dir(self) -> Path:
        """One folder per image labforge builds (base, builder, notebook, batch, tool-build), each with
        its Jinja2 `templates/` and, where it has them, `files/` copied into the build unchanged."""
        return self.root / "images"

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        """Every image's templates: one Jinja2 search path (a template's name is unique across them)."""
        return tuple(sorted(p for p in self.images_dir.glob("*/templates") if p.is_dir()))

    @property
    def image_files(self) -> list[Path]:
        """Every template and shipped file of every image: what a render's input digest covers."""
        return sorted(p for p in self.images_dir.glob("*/*/*") if p.is_file() and p.parent.name in ("templates", "files"))

    def shipped_file(self, image: str, name: str) -> Path:
        """A file an image's build copies unchanged: images/IMAGE/files/NAME."""
        return self.images_dir / image / "files" / name

    @property
    def runtime_constraints(self) -> Path:
        """The notebook server's whole dependency tree, pinned (`labforge runtime lock`)."""
        return self.images_dir / "notebook" / RUNTIME_CONSTRAINTS

    @property
    def catalog_path(self) -> Path:
        return self.releases_dir / "catalog.json"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @cached_property
    def settings(self) -> Settings:
        path = self.root / CONFIG_NAME
        if not path.exists():
            return Settings()
        settings, problems = to_model(Settings, load(path, self.rel(path)))
        if problems:
            raise LabforgeError(problems)
        return settings
