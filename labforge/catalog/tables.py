"""Tables shown to people (rich): kept apart from the readers of the formats they show."""

from __future__ import annotations

from rich.table import Table

from .model import Catalog


def catalog_table(catalog: Catalog, title: str) -> Table:
    table = Table(title=f"release catalog ({title})")
    for column in ("release", "channel", "status", "default", "image", "digest", "created", "tools", "gpu image"):
        table.add_column(column, overflow="fold")
    for entry in catalog.releases:
        table.add_row(entry.id, entry.channel, life(entry), default_mark(catalog, entry), entry.image,
                      entry.digest[:19], entry.created, "yes" if entry.with_spack else "no (--no-spack)",
                      entry.gpu.digest[:19] if entry.gpu else "")
    return table


def default_mark(catalog: Catalog, entry) -> str:
    if not entry.default:
        return ""
    return "yes (pinned)" if catalog.pinned_default == entry.id else "yes"


def life(entry) -> str:
    """The status with its dates: `deprecated until 2027-03-31, use 2026.11`."""
    if entry.status == "deprecated" and entry.deprecation:
        return f"deprecated until {entry.deprecation.until}, use {entry.deprecation.use}"
    if entry.status == "retired" and entry.retirement:
        return f"retired since {entry.retirement.since}, use {entry.retirement.use}"
    return entry.status


def tool_images_table(catalog: Catalog, title: str) -> Table:
    table = Table(title=f"batch tool images ({title})")
    for column in ("tool", "version", "release", "runs", "image", "digest", "created"):
        table.add_column(column, overflow="fold")
    for image in catalog.tools:
        table.add_row(image.tool, image.version, image.release, f"{image.command} ARGS ({image.module})",
                      image.image, image.digest[:19], image.created)
    return table
