"""`release try` and `tool try`: an image's JupyterLab served on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

from .output import out
from .project import State


def serve_lab(reference: str, name: str, port: int, drive: Optional[Path], builder: str, build_it: str) -> None:
    """`release try` and `tool try`: serve an image's JupyterLab on 127.0.0.1 until Ctrl-C."""
    from ..loopback.lab import serve

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
