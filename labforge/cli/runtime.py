"""`labforge runtime lock`: the notebook server's pins, resolved with pip."""

from __future__ import annotations

from .app import runtime_app
from .output import err, out
from .project import State


@runtime_app.command("lock")
def runtime_lock() -> None:
    """Pin the notebook server's whole dependency tree (pip resolves it): images/notebook/runtime.constraints.txt."""
    from ..locks.runtime_lock import lock_server

    project = State.project()
    with err.status("resolving the notebook server's dependencies with pip"):
        path, count = lock_server(project)
    out.print(f"pinned {count} packages in {project.rel(path)}; commit it")
