"""`--project`: which labforge checkout a command works on (default: search upward from here)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..inputs.project import Project
from .app import app


class State:
    project_dir: Path | None = None

    @classmethod
    def project(cls) -> Project:
        project = Project(cls.project_dir) if cls.project_dir else Project.find()
        project.settings  # noqa: B018 -- a misspelt site setting stops every command, not just some
        return project


@app.callback()
def _root(project: Optional[Path] = typer.Option(None, "--project", help="labforge checkout (default: search upward)")):
    State.project_dir = project
