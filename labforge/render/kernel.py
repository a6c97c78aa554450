"""The Jupyter kernel spec of a release: a stable name, and a launcher that loads its modules."""

from __future__ import annotations

import json

from ..releases import Release


def kernel_json(release: Release, launcher: str) -> str:
    label = "Lab experimental (latest build)" if release.channel == "experimental" else f"Lab {release.id}"
    spec = {
        "argv": [launcher, "-f", "{connection_file}"],
        "display_name": label,
        "language": "python",
        "metadata": {"debugger": True, "lab_release": release.id},
    }
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def jupyter_config() -> str:
    """Jupyter config for every Jupyter app in the image: list only the release kernel."""
    return json.dumps({"KernelSpecManager": {"ensure_native_kernel": False}}, indent=2, sort_keys=True) + "\n"
