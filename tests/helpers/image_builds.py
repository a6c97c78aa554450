"""The small release the image-build suites make (2030.01), in a scratch project."""

from __future__ import annotations

from pathlib import Path

from labforge.inputs.project import Project
from tests.helpers.project import copy_project

RELEASE = "2030.01"  # a release of this test only, so it never collides with the demo's images


def make_project(root: Path, extra_python: str | None = None) -> Project:
    copy_project(root)
    (root / "releases" / f"{RELEASE}.yaml").write_text(
        f'id: "{RELEASE}"\nchannel: stable\npython: "3.11"\ntools:\n- name: py-numpy\n  versions: ["2.2.6"]\n'
        "notes: A small release for the integration tests.\n")
    if extra_python:
        text = (root / "labforge.yaml").read_text().replace("  - ipykernel==7.4.0\n",
                                                             f"  - ipykernel==7.4.0\n  - {extra_python}\n")
        (root / "labforge.yaml").write_text(text)
    return Project(root)
