"""`labforge base build`: the OS base image, made with mmdebstrap."""

from __future__ import annotations

from typing import Optional

import typer

from ..core.errors import LabforgeError, Problem
from .app import base_app
from .options import web_url_option
from .output import err, out
from .project import State


@base_app.command("build")
def base_build(
    suite: str = typer.Option("bookworm", help="Debian suite"),
    mirror: Optional[str] = typer.Option(None, callback=web_url_option, help="Debian mirror, e.g. a snapshot.debian.org URL"),
    epoch: Optional[int] = typer.Option(None, min=315532800, max=4102444800,
                                        help="SOURCE_DATE_EPOCH (default: build.source_date_epoch in labforge.yaml)"),
    force: bool = typer.Option(False, help="rebuild even if the image exists"),
) -> None:
    """Make localhost/labforge-base:SUITE from Debian packages with mmdebstrap."""
    from ..buildah.base import build_base
    from ..inputs.platforms import PLATFORMS

    project = State.project()
    if suite not in PLATFORMS:
        raise LabforgeError(Problem("--suite", f"unknown suite {suite!r}", f"use one of {', '.join(PLATFORMS)}"))
    log = project.build_dir / "logs" / f"base-{suite}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with err.status(f"building the {suite} base image with mmdebstrap"):
        base = build_base(suite, epoch or project.settings.build.source_date_epoch, log, mirror, force)
    out.print(f"{'built' if base.built else 'up to date'}: {base.reference} ({base.image_id[:19]})")
