"""`labforge catalog show`: the release catalog the hub reads."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import State, catalog_app, out


@catalog_app.command("show")
def catalog_show(catalog: Optional[Path] = typer.Option(None, help="catalog file (default releases/catalog.json)")) -> None:
    """Print the release catalog as a table, and its batch tool images."""
    from ..catalog import load_catalog
    from ..views import catalog_table, tool_images_table

    project = State.project()
    path = catalog or project.catalog_path
    loaded = load_catalog(path, project.rel(path))
    out.print(catalog_table(loaded, project.rel(path)))
    if loaded.tools:
        out.print(tool_images_table(loaded, project.rel(path)))
    else:
        out.print("no batch tool images (labforge release publish ID --tools adds them)")
