"""The release catalog (releases/catalog.json): which images exist, by digest.

Written by `labforge release publish` after a successful push, read by the hub's profile list.
This module is the one reader and writer of the format.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1


RELEASE_ID = r"^([0-9]{4}\.(0[1-9]|1[0-2])|experimental)$"


class PublishedImage(BaseModel):
    """An image in a registry, pinned by digest, so a re-pushed tag never changes what users get."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    image: str = Field(min_length=1, description="repository, without tag or digest")
    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    created: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
    input_digest: str | None = None

    @property
    def reference(self) -> str:
        return f"{self.image}@{self.digest}"


class GpuImage(PublishedImage):
    """The GPU variant of a release's image (`<id>-gpu`): the hub offers it below the CPU one."""


class Deprecation(BaseModel):
    """`labforge catalog deprecate`: still offered, marked, until a date; what to use instead."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    until: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    use: str | None = Field(None, pattern=RELEASE_ID)
    # Shown on the spawn page and in every server on the release: one line of text, no markup.
    message: str | None = Field(None, max_length=300, pattern="^[^\x00-\x1f\x7f-\x9f\u2028\u2029<>]*$")


class Retirement(BaseModel):
    """`labforge catalog retire`: off the spawn page; its image stays under the retention rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    since: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    use: str | None = Field(None, pattern=RELEASE_ID)


class CatalogEntry(PublishedImage):
    id: str = Field(pattern=RELEASE_ID)
    channel: Literal["stable", "experimental"]
    status: Literal["supported", "deprecated", "retired"] = "supported"
    default: bool = False
    kernel: str
    with_spack: bool = True
    gpu: GpuImage | None = None
    deprecation: Deprecation | None = None
    retirement: Retirement | None = None
    # Packages the image takes from its base instead of building ("NAME@VERSION at PREFIX").
    provided: list[str] = Field(default_factory=list)


class ToolImage(PublishedImage):
    """A batch tool image: one tool version of one release, run non-interactively."""

    tool: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(min_length=1)
    release: str = Field(pattern=RELEASE_ID)
    module: str
    command: str


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(SCHEMA_VERSION, alias="schema")
    # `labforge catalog default ID`: the default stays on ID (a rollback) until `--newest`.
    pinned_default: str | None = Field(None, pattern=RELEASE_ID)
    releases: list[CatalogEntry] = Field(default_factory=list)
    # Batch tool images (`labforge release publish ID --tools`); absent from older catalogs.
    tools: list[ToolImage] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> "Catalog":
        ids = [r.id for r in self.releases]
        if len(ids) != len(set(ids)):
            raise ValueError("a release id appears twice")
        if sum(r.default for r in self.releases) > 1:
            raise ValueError("more than one release is marked default")
        if self.pinned_default is not None and self.pinned_default not in ids:
            raise ValueError(f"pinned_default {self.pinned_default} is not a release of the catalog")
        if self.schema_version != SCHEMA_VERSION:
            raise ValueError(f"schema {self.schema_version} is not the catalog schema this labforge knows "
                             f"({SCHEMA_VERSION}): use the labforge that wrote it, or upgrade")
        default = next((r for r in self.releases if r.default), None)
        if default is not None and (default.status != "supported" or default.channel != "stable"):
            raise ValueError(f"the default release {default.id} is {default.status} and {default.channel}: "
                             "the default must be a supported stable release (labforge catalog default ID)")
        for entry in self.releases:
            for what, successor in (("deprecation", entry.deprecation), ("retirement", entry.retirement)):
                if successor is not None and successor.use is not None and successor.use not in ids:
                    raise ValueError(f"release {entry.id}'s {what} names {successor.use}, which is not in the "
                                     "catalog")
        keys = [(t.tool, t.version, t.release) for t in self.tools]
        if len(keys) != len(set(keys)):
            raise ValueError("a tool image (tool, version, release) appears twice")
        return self

    def supported(self) -> list[CatalogEntry]:
        return [r for r in self.releases if r.status == "supported"]

    def offered(self) -> list[CatalogEntry]:
        """On the spawn page: supported and deprecated releases (not retired ones)."""
        return [r for r in self.releases if r.status != "retired"]

    def stable(self) -> list[CatalogEntry]:
        """Supported stable releases, newest first."""
        return sorted((r for r in self.supported() if r.channel == "stable"), key=lambda r: r.id, reverse=True)

    def experimental(self) -> CatalogEntry | None:
        return next((r for r in self.offered() if r.channel == "experimental"), None)

    def entry(self, release_id: str) -> CatalogEntry | None:
        return next((r for r in self.releases if r.id == release_id), None)

    def default_entry(self) -> CatalogEntry | None:
        """The release new servers get: the one marked default, else the experimental channel."""
        return next((r for r in self.releases if r.default), None) or self.experimental()

    def with_releases(self, releases: list[CatalogEntry], pinned: str | None = ...) -> "Catalog":
        """A new catalog of `releases` with the default recomputed: the pinned release while it is
        supported, else the newest supported stable one."""
        pinned = self.pinned_default if pinned is ... else pinned
        releases = sorted(releases, key=lambda r: (r.channel != "stable", r.id))
        chosen = next((r.id for r in releases if r.id == pinned and r.status == "supported"), None)
        chosen = chosen or max((r.id for r in releases if r.channel == "stable" and r.status == "supported"),
                               default=None)
        releases = [r.model_copy(update={"default": r.id == chosen}) for r in releases]
        return Catalog(schema=SCHEMA_VERSION, pinned_default=pinned, releases=releases, tools=self.tools)

    def with_entry(self, entry: CatalogEntry) -> "Catalog":
        """A new catalog with `entry` added or replaced; the default is recomputed (with_releases)."""
        others = [r for r in self.releases if r.id != entry.id]
        previous = self.entry(entry.id)
        if previous is not None and entry.gpu is None:  # the GPU image stays until it is republished
            entry = entry.model_copy(update={"gpu": previous.gpu})
        return self.with_releases(others + [entry])

    def with_gpu_image(self, release_id: str, gpu: GpuImage) -> "Catalog":
        """A new catalog with the GPU image of a published release recorded."""
        if not any(r.id == release_id for r in self.releases):
            raise ValueError(f"release {release_id} is not in the catalog: publish its CPU image first")
        releases = [r.model_copy(update={"gpu": gpu}) if r.id == release_id else r for r in self.releases]
        return Catalog(schema=SCHEMA_VERSION, pinned_default=self.pinned_default, releases=releases, tools=self.tools)

    def with_tool_images(self, images: list[ToolImage]) -> "Catalog":
        """A new catalog with these batch images added or replaced (by tool, version, release)."""
        new = {(t.tool, t.version, t.release) for t in images}
        tools = [t for t in self.tools if (t.tool, t.version, t.release) not in new] + list(images)
        tools.sort(key=lambda t: (t.tool, t.release, t.version))
        return Catalog(schema=SCHEMA_VERSION, pinned_default=self.pinned_default, releases=self.releases, tools=tools)

    def to_json(self) -> str:
        data = self.model_dump(by_alias=True, mode="json")
        if not self.tools:
            del data["tools"]  # catalogs without batch or GPU images stay as they were
        if data["pinned_default"] is None:
            del data["pinned_default"]
        for entry in data["releases"]:
            for key in ("gpu", "deprecation", "retirement", "provided"):
                if not entry[key]:
                    del entry[key]
        return json.dumps(data, indent=2, sort_keys=True) + "\n"


def profile_slug(entry: CatalogEntry, is_default: bool) -> str:
    """The hub profile that offers `entry`: `latest` names whatever new servers get (saved spawn
    URLs follow the default), past releases `release-YYYY-MM`, the channel `experimental`."""
    if entry.channel == "experimental":
        return "experimental"
    return "latest" if is_default else f"release-{entry.id.replace('.', '-')}"
