"""The Jupyter kernels of a release (stable names, launchers that load its modules) and the
Jupyter settings around them."""

from __future__ import annotations

import json
from pathlib import Path

from ..inputs.releases import Release
from .templates import render

PYTHON_KERNEL = '{venv}/bin/python -m ipykernel_launcher --ext lab_notice "$@"'
# IRkernel's own kernel command (IRkernel::installspec writes the same), R from the loaded modules
R_KERNEL = "R --slave -e 'IRkernel::main()' --args \"$@\""


def kernel_files(templates: Path, ctx: dict, release: Release) -> dict[str, str]:
    """The kernel specs and launchers, the server's config and JupyterLab's settings."""
    kernels = ctx["paths"].venv + "/share/jupyter/kernels"
    files = {
        "kernel/kernel.json": kernel_json(release, f"{kernels}/{release.kernel_name}/launch.sh"),
        "kernel/launch.sh": render(templates, "kernel-launch.sh.j2", {
            **ctx, "kernel_name": release.kernel_name, "kernel_command": PYTHON_KERNEL.format(venv=ctx["paths"].venv)}),
        "jupyter_server_config.py": render(templates, "server-config.py.j2", ctx),
        "jupyter_config.json": jupyter_config(release),
        "lab-overrides.json": lab_settings(),
    }
    if ctx.get("r_kernel"):
        files["kernel-r/kernel.json"] = r_kernel_json(release, f"{kernels}/{release.r_kernel_name}/launch.sh")
        files["kernel-r/launch.sh"] = render(templates, "kernel-launch.sh.j2", {
            **ctx, "kernel_name": release.r_kernel_name, "kernel_command": R_KERNEL})
    return files


def kernel_label(release: Release) -> str:
    """The Python kernel's display name: what the launcher and the notebook's status bar show."""
    return "Lab experimental (latest build)" if release.channel == "experimental" else f"Lab {release.id}"


def kernel_json(release: Release, launcher: str) -> str:
    label = kernel_label(release)
    spec = {
        "argv": [launcher, "-f", "{connection_file}"],
        "display_name": label,
        "language": "python",
        "metadata": {"debugger": True, "lab_release": release.id},
    }
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def r_kernel_label(release: Release) -> str:
    """The R kernel's display name, for a release with R tools."""
    return f"{kernel_label(release)} (R)" if release.channel != "experimental" else "Lab experimental (R)"


def r_kernel_json(release: Release, launcher: str) -> str:
    spec = {"argv": [launcher, "{connection_file}"], "display_name": r_kernel_label(release), "language": "R",
            "metadata": {"lab_release": release.id}}
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def jupyter_config(release: Release) -> str:
    """Jupyter config for every Jupyter app in the image: only the release kernel, and it is the
    default (a new notebook opens on it without asking; "python3" does not exist here)."""
    config = {"KernelSpecManager": {"ensure_native_kernel": False},
              "MultiKernelManager": {"default_kernel_name": release.kernel_name}}
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def lab_settings() -> str:
    """JupyterLab's settings overrides: no "official Jupyter news" prompt and no update check
    for every user of a managed lab (the lab's own release notes say what changed), and a new
    notebook starts the default kernel (the release's) instead of asking "Select Kernel"."""
    overrides = {"@jupyterlab/apputils-extension:notification": {"checkForUpdates": False, "fetchNews": "false"},
                 "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True}}
    return json.dumps(overrides, indent=2, sort_keys=True) + "\n"
