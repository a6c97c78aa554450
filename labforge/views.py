"""Tables shown to people (rich): kept apart from the readers of the formats they show."""

from __future__ import annotations

from rich.table import Table

from .catalog import Catalog


def catalog_table(catalog: Catalog, title: str) -> Table:
    table = Table(title=f"release catalog ({title})")
    for column in ("release", "channel", "status", "default", "image", "digest", "created", "tools", "gpu image"):
        table.add_column(column, overflow="fold")
    for entry in catalog.releases:
        table.add_row(entry.id, entry.channel, entry.status, "yes" if entry.default else "", entry.image,
                      entry.digest[:19], entry.created, "yes" if entry.with_spack else "no (--no-spack)",
                      entry.gpu.digest[:19] if entry.gpu else "")
    return table


def tool_images_table(catalog: Catalog, title: str) -> Table:
    table = Table(title=f"batch tool images ({title})")
    for column in ("tool", "version", "release", "runs", "image", "digest", "created"):
        table.add_column(column, overflow="fold")
    for image in catalog.tools:
        table.add_row(image.tool, image.version, image.release, f"{image.command} ARGS ({image.module})",
                      image.image, image.digest[:19], image.created)
    return table
