"""Release manifests: releases/<id>.yaml, cross-checked against the tool submissions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator, model_validator

from ..core.errors import LabforgeError, Problem
from ..core.fields import Pin, WebUrl
from ..core.validation import to_model
from ..core.yamlio import Located, load
from .gpu_variant import GpuVariant, check_gpu, split_id
from .package_rules import External, PackageRule, check_names
from .platforms import PLATFORMS
from .project import Project
from .references import check_reference
from .tools import TOOL_NAME, LoadedTool, load_all

EXPERIMENTAL = "experimental"
STABLE_ID = re.compile(r"^([0-9]{4})\.(0[1-9]|1[0-2])$")
# What a command may be given as a release: a stable id or experimental, either with -gpu. It names
# files (releases/ID.yaml, build/logs/ID-build.log), so nothing else is ever joined to a path.
IMAGE_ID = re.compile(r"(?:[0-9]{4}\.(?:0[1-9]|1[0-2])|experimental)(?:-gpu)?")
# Debian policy's package names (ASCII only): they reach apt-get's command line in a RUN step.
DEBIAN_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]{1,62}")


def id_problem(value: str) -> str | None:
    """Why `value` cannot name a release (or its GPU variant), or None."""
    if IMAGE_ID.fullmatch(value):
        return None
    return f"{value[:80]!r} is not a release id -- write YYYY.MM (e.g. 2026.11), experimental, or either with -gpu"


class Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    suite: Literal["bookworm", "trixie"] = "bookworm"
    # A site registry's base image instead of the one labforge makes with mmdebstrap.
    image: StrictStr | None = None
    mirror: WebUrl | None = None
    # Debian packages of the suite the image holds beyond labforge's own, where spack finds them
    # too: what the release's externals are (R as r-base-core at /usr, so the R kernel needs no CRAN).
    packages: list[StrictStr] = Field(default_factory=list, max_length=100)

    _image = field_validator("image")(check_reference)

    @field_validator("packages")
    @classmethod
    def _debian_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not DEBIAN_PACKAGE.fullmatch(name):
                raise ValueError(f"{name[:80]!r} is not a Debian package name (lowercase letters, digits and +-., "
                                 "starting with a letter or digit) -- e.g. r-base-core")
        if len(set(value)) != len(value):
            raise ValueError("a Debian package is listed twice -- list each once")
        return value


class ReleaseTool(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: StrictStr = Field(pattern=TOOL_NAME)
    versions: list[StrictStr] = Field(min_length=1)
    default: StrictStr | None = None

    @property
    def default_version(self) -> str:
        return self.default or self.versions[0]


class JupyterLab(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    extras: list[Pin] = Field(default_factory=list)


class Environments(BaseModel):
    """What users may build on the release themselves (lab-env). Python environments always;
    spack environments when `spack` is on: the image then carries the pinned spack, its recipes
    and the OS compilers (about 600 MB more, 463 MB of it the compilers), and its own tree is
    their spack upstream."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spack: bool = False


class Release(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StrictStr
    channel: Literal["stable", "experimental"]
    status: Literal["supported", "deprecated"] = "supported"
    base: Base = Base()
    python: StrictStr
    tools: list[ReleaseTool] = Field(min_length=1)
    jupyterlab: JupyterLab = JupyterLab()
    environments: Environments = Environments()
    notes: StrictStr = ""
    # A second image of the same tools built with CUDA (labforge/variants.py).
    gpu: GpuVariant | None = None
    # When the release was cut; stable releases default to the first day of their month.
    date: dt.date | None = None
    # Spack package rules beside labforge's own: requirements, providers, externals (package_rules.py).
    packages: dict[StrictStr, PackageRule] = Field(default_factory=dict)

    _packages = field_validator("packages")(check_names)

    @model_validator(mode="after")
    def _id_matches_channel(self) -> "Release":
        if self.channel == "experimental" and self.id != EXPERIMENTAL:
            raise ValueError("the experimental channel's id must be 'experimental' -- set id: experimental")
        if self.channel == "stable" and not STABLE_ID.fullmatch(self.id):
            raise ValueError(f"stable release id {self.id!r} is not YYYY.MM -- e.g. id: \"2026.11\"")
        if self.channel == "experimental" and self.date is None:
            raise ValueError("the experimental channel needs a date -- set date: YYYY-MM-DD of the newest change")
        return self

    @property
    def created(self) -> dt.datetime:
        """Build time used for labels and reproducible layer timestamps."""
        day = self.date or dt.date(int(self.id[:4]), int(self.id[5:7]), 1)
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)

    @property
    def kernel_name(self) -> str:
        # Notebooks record this name: it must never change for a release.
        return f"lab-{self.id}"

    @property
    def r_kernel_name(self) -> str:
        """The R kernel's name, for a release with R tools (stable like the Python one)."""
        return f"{self.kernel_name}-r"

    def tool(self, name: str) -> ReleaseTool:
        return next(t for t in self.tools if t.name == name)

    @property
    def externals(self) -> list[tuple[PackageRule, External]]:
        """What the image takes from its base instead of building, by package name: each external
        of `packages:` with its rule."""
        return [(rule, external) for _, rule in sorted(self.packages.items()) for external in rule.externals]


@dataclass(frozen=True)
class LoadedRelease:
    release: Release
    path: Path
    located: Located
    tools: dict[str, LoadedTool]
    variant: str | None = None  # "gpu": the release's GPU variant

    @property
    def id(self) -> str:
        """The image's id: the release id, or `<id>-gpu` for the GPU variant (locks, tags, builds)."""
        return self.release.id + ("-gpu" if self.variant == "gpu" else "")

    @property
    def gpu(self) -> GpuVariant | None:
        return self.release.gpu if self.variant == "gpu" else None

    def specs(self) -> list[tuple[ReleaseTool, str, str]]:
        """(entry, version, spack spec) for every tool version, in manifest order."""
        extra = self.gpu.variants if self.gpu else {}
        return [
            (entry, version, " ".join(filter(None, [self.tools[entry.name].tool.spec_for(version),
                                                   extra.get(entry.name)])))
            for entry in self.release.tools
            for version in entry.versions
        ]

    @property
    def has_r(self) -> bool:
        """Whether the release lists R tools (spack's `r` and `r-*` packages): it gets an R kernel."""
        return any(is_r(self.tools[e.name].tool.package) for e in self.release.tools if e.name in self.tools)

    def spec_for(self, name: str, version: str) -> str:
        return next(spec for entry, v, spec in self.specs() if entry.name == name and v == version)


R_KERNEL_PACKAGE = "r-irkernel"  # IRkernel: what the R kernel runs


def is_r(package: str) -> bool:
    return package == "r" or package.startswith("r-")


def release_path(project: Project, release_id: str) -> Path:
    return project.releases_dir / f"{release_id}.yaml"


def release_ids(project: Project) -> list[str]:
    return sorted(p.stem for p in project.releases_dir.glob("*.yaml"))


def load_release(project: Project, release_id: str,
                 tools: dict[str, LoadedTool] | None = None) -> tuple[LoadedRelease | None, list[Problem]]:
    """`release_id` may name a release's GPU variant: `2026.11-gpu`."""
    if problem := id_problem(release_id):
        return None, [Problem("ID", problem, f"known releases: {', '.join(release_ids(project)) or 'none'}")]
    named, (release_id, variant) = release_id, split_id(release_id)
    if variant and (clash := release_path(project, named)).exists():
        return None, [Problem(project.rel(clash), f"{named!r} is the id of release {release_id}'s "
                              "GPU variant: no release may take it", f"rename the file; {named} always means "
                              f"the GPU image of release {release_id}")]
    path = release_path(project, release_id)
    if not path.exists():
        known = ", ".join(release_ids(project)) or "none"
        return None, [Problem(project.rel(path), f"no release {release_id!r}",
                              f"known releases: {known}")]
    try:
        located = load(path, project.rel(path))
    except LabforgeError as exc:
        return None, exc.problems
    release, problems = to_model(Release, located)
    if release is None:
        return None, problems
    if tools is None:
        tools, tool_problems = load_all(project, sorted({t.name for t in release.tools}
                                                        & {p.stem for p in project.tools_dir.glob("*.yaml")}))
        problems += tool_problems
    problems += cross_check(release, path, located, tools)
    if variant and release.gpu is None:
        problems.append(located.problem((), f"release {release.id} declares no GPU variant",
                                        "add a gpu: section (README: GPU images), or leave out -gpu"))
    return LoadedRelease(release, path, located, tools, variant), problems


def cross_check(release: Release, path: Path, located: Located, tools: dict[str, LoadedTool]) -> list[Problem]:
    problems: list[Problem] = []
    if path.stem != release.id:
        problems.append(located.problem(("id",), f"id {release.id!r} does not match the file name",
                                        f"rename the file to {release.id}.yaml or fix the id"))
    platform = PLATFORMS[release.base.suite]
    if release.python != platform.python:
        problems.append(located.problem(
            ("python",), f"python {release.python} is not the Python of {release.base.suite} ({platform.python})",
            f"set python: \"{platform.python}\"; tools are built against the OS Python"))
    seen: dict[str, int] = {}
    for i, entry in enumerate(release.tools):
        where = ("tools", i)
        if entry.name in seen:
            problems.append(located.problem(where + ("name",), f"tool {entry.name!r} is listed twice",
                                            f"merge it with tools[{seen[entry.name]}]"))
            continue
        seen[entry.name] = i
        loaded = tools.get(entry.name)
        if loaded is None:
            problems.append(located.problem(where + ("name",), f"unknown tool {entry.name!r}",
                                            f"submit spack/tools/{entry.name}.yaml first"))
            continue
        offered = loaded.tool.offered()
        for j, version in enumerate(entry.versions):
            if version in entry.versions[:j]:
                problems.append(located.problem(where + ("versions", j), f"version {version} is listed twice",
                                                "keep one"))
            elif version not in offered:
                problems.append(located.problem(
                    where + ("versions", j), f"{entry.name} {version} is not offered",
                    f"offered: {', '.join(offered)}; add it to spack/tools/{entry.name}.yaml first"))
        if entry.default is None and len(entry.versions) > 1:
            problems.append(located.problem(where, f"{entry.name} has {len(entry.versions)} versions but no default",
                                            f"add default: one of {', '.join(entry.versions)}"))
        elif entry.default is not None and entry.default not in entry.versions:
            problems.append(located.problem(where + ("default",),
                                            f"default {entry.default} is not one of this release's versions",
                                            f"choose one of {', '.join(entry.versions)}"))
    packages = {tools[t.name].tool.package for t in release.tools if t.name in tools}
    if any(is_r(package) for package in packages) and R_KERNEL_PACKAGE not in packages:
        problems.append(located.problem(("tools",), "R tools are listed but not r-irkernel, which the release's "
                                        "R kernel runs", "add - name: r-irkernel (spack/tools/r-irkernel.yaml)"))
    if release.gpu is not None:
        problems += check_gpu(release.gpu, located, {t.name: tools[t.name].tool.package
                                                     for t in release.tools if t.name in tools})
    return problems


def require_release(project: Project, release_id: str) -> LoadedRelease:
    loaded, problems = load_release(project, release_id)
    if problems or loaded is None:
        raise LabforgeError(problems)
    return loaded
