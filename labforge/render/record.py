"""The release record: `release.json`, what a render says a release image is (its id, channel,
kernel, tools, input digest). Written once by the render (render/release.py), copied into the
image as /opt/labforge/release.json, and read back here only -- by the build, the image suite,
publish, the batch images and `hub check`.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from ..core.errors import LabforgeError, Problem

NAME = "release.json"
IN_IMAGE = f"/opt/labforge/{NAME}"
DIGEST_LABEL = "org.labforge.input-digest"  # the image label that holds the record's input_digest


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ToolRecord(_Record):
    name: str
    package: str
    versions: list[str]
    default: str
    tests: dict  # the submission's tests: imports, commands (tools.Tests)


class ReleaseRecord(_Record):
    id: str
    variant: str  # "cpu" or the GPU variant's name
    gpu: dict | None
    channel: str
    status: str
    kernel: str
    created: str
    input_digest: str
    with_spack: bool
    base_image: str
    labforge: str  # the builder's version and source fingerprint
    tools: list[ToolRecord]
    inputs: dict[str, str]  # project-relative path -> sha256 of every input file
    # What the image takes from its base instead of building: "NAME@VERSION at PREFIX" (the
    # release's externals); records without any leave it out.
    provided: list[str] = []

    def to_json(self) -> str:
        data = self.model_dump(mode="json")
        if not data["provided"]:
            del data["provided"]
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @property
    def shipped_tools(self) -> list[ToolRecord]:
        """The tools the image holds: none when it was built without the spack stage."""
        return self.tools if self.with_spack else []


def parse_record(text: str | bytes, where: str) -> ReleaseRecord:
    try:
        return ReleaseRecord.model_validate(json.loads(text))
    except (ValueError, ValidationError) as exc:
        raise LabforgeError(Problem(where, f"not a release record: {str(exc).splitlines()[0][:200]}",
                                    "render the release again (labforge release render or build)")) from None


def read_record(folder: Path, where: str | None = None) -> ReleaseRecord:
    """The record in a build context or an image's root filesystem folder."""
    path = folder / NAME
    return parse_record(path.read_bytes(), where or str(path))
