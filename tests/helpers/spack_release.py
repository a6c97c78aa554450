"""The small spack release the spack suites build (two versions of py-six), and reading its layers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from labforge.inputs.project import Project
from tests.helpers.project import copy_project


def six_release(versions: str, release_id: str = "2030.02") -> str:
    return f'id: "{release_id}"\nchannel: stable\npython: "3.11"\ntools:\n- name: py-six\n  versions: [{versions}]\n' \
           '  default: "1.17.0"\n'


def small_project(root: Path) -> Project:
    copy_project(root)
    (root / "spack" / "tools" / "py-six.yaml").write_text(PY_SIX)
    (root / "releases" / "2030.02.yaml").write_text(six_release('"1.17.0"'))
    return Project(root)


def layer_digests(reference: str) -> list[str]:
    data = json.loads(subprocess.run(["buildah", "inspect", "--type", "image", reference], check=True,
                                     capture_output=True, text=True).stdout)
    return data["OCIv1"]["rootfs"]["diff_ids"]


PY_SIX = ("name: py-six\npackage: py-six\nsummary: a small tool for the spack stage\n"
          "homepage: https://github.com/benjaminp/six\nmaintainers: [t@example.org]\nlicense: MIT\n"
          'versions:\n- version: "1.17.0"\n- version: "1.16.0"\ndefault: "1.17.0"\ntests:\n  imports: [six]\n'
          "command: python3\n")
