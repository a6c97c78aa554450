"""`labforge demo` (`make demo`): the main job on the embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import app
from .options import CA_HELP, ca_cert_files, check_release_id, registry_location
from .output import out, with_progress
from .project import State


@app.command("demo")
def demo(
    release: str = typer.Option("2026.11", callback=check_release_id, help="release to build, test and publish"),
    registry: Optional[str] = typer.Option(None, callback=registry_location,
                                           help="HOST/PROJECT of a real registry (default: a local one)"),
    port: int = typer.Option(5000, min=1, max=65535, help="port of the local registry on 127.0.0.1"),
    ca_cert: list[Path] = typer.Option([], "--ca-cert", callback=ca_cert_files, help=CA_HELP),
    tls_verify: bool = typer.Option(True, help="verify a real registry's TLS certificate"),
    render_only: bool = typer.Option(False, help="only validate and render every release"),
) -> None:
    """The main job on the embedded defaults: render, build, test, publish, show the catalog."""
    from ..demo.run import DemoOptions, run_demo

    project = State.project()
    options = DemoOptions(release, registry, port, [str(c) for c in ca_cert], tls_verify, render_only)
    summary = run_demo(project, options, out, with_progress)
    out.print("\n[bold]demo summary[/bold]")
    for line in summary:
        out.print(f"  {line}")
