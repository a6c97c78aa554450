"""`labforge release try` and `tool try`: a built image's JupyterLab on 127.0.0.1, as users get it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

import typer

from .cli_app import State, out, release_app, tool_app

PORT = typer.Option(8888, "--port", min=1, max=65535, help="port on 127.0.0.1")
DRIVE = typer.Option(None, "--drive", help="host folder mounted as the Drive (default: build/try/NAME/drive, kept)")
BUILDER = typer.Option("buildah", "--builder", help="buildah (chroot, host network) or podman where it runs containers")


def _serve(reference: str, name: str, port: int, drive: Optional[Path], builder: str, build_it: str) -> None:
    from .images.trylab import serve

    project = State.project()
    with serve(project, reference, name, port=port, drive=drive, builder=builder, build_it=build_it) as session:
        out.print(f"{name}: JupyterLab at {session.url}")
        for key, folder in session.folders.items():
            out.print(f"  {key}: {folder}")
        out.print("Ctrl-C stops it and removes the container")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            out.print("stopping")


@release_app.command("try")
def release_try(release_id: str = typer.Argument(..., metavar="ID"), port: int = PORT,
                drive: Optional[Path] = DRIVE, builder: str = BUILDER) -> None:
    """Serve the release's built image's JupyterLab on 127.0.0.1 (its own server, as the image user)."""
    from .images.build import local_reference
    from .releases import require_release

    require_release(State.project(), release_id)
    _serve(local_reference(release_id), release_id, port, drive, builder, f"labforge release build {release_id}")


@tool_app.command("try")
def tool_try(wanted: str = typer.Argument(..., metavar="NAME[@VERSION]"),
             release: Optional[str] = typer.Option(None, help="release the tool was built on (default: newest stable)"),
             port: int = PORT, drive: Optional[Path] = DRIVE, builder: str = BUILDER) -> None:
    """Serve the image `tool build` made for this tool version (its JupyterLab, the tool's module on top)."""
    from .images.toolbuild import tool_reference
    from .images.toolenv import resolve

    target = resolve(State.project(), wanted, release)
    _serve(tool_reference(target), f"{target.tool.tool.name}-{target.version}-{target.release.release.id}",
           port, drive, builder, f"labforge tool build {wanted} --release {target.release.release.id}")
