"""Tables shown to people (rich): kept apart from the readers of the formats they show."""

from __future__ import annotations

from rich.table import Table

from .catalog import Catalog


def catalog_table(catalog: Catalog, title: str) -> Table:
    table = Table(title=f"release catalog ({title})")
    for column in ("release", "channel", "status", "default", "image", "digest", "created", "tools"):
        table.add_column(column, overflow="fold")
    for entry in catalog.releases:
        table.add_row(entry.id, entry.channel, entry.status, "yes" if entry.default else "", entry.image,
                      entry.digest[:19], entry.created, "yes" if entry.with_spack else "no (--no-spack)")
    return table
