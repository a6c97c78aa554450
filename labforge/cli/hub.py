"""`labforge hub usage`: who runs which release on the deployed hub (and `hub check`)."""

from __future__ import annotations

import json
import sys

import typer

from .app import hub_app, out, web_url_option

HUB = typer.Option(..., "--hub", callback=web_url_option, help="the hub's URL, e.g. https://lab.example.org")


@hub_app.command("usage")
def hub_usage(hub: str = HUB, as_json: bool = typer.Option(False, "--json", help="print JSON, not a table")) -> None:
    """Running and stopped servers per release and image, before a release is retired
    (token: LABFORGE_HUB_TOKEN)."""
    from rich.table import Table

    from ..hubapi import Hub, hub_token, servers, usage

    groups = usage(servers(Hub(hub, hub_token()).users()))
    if as_json:
        sys.stdout.write(json.dumps({"hub": hub, "releases": groups}, indent=2, sort_keys=True) + "\n")
        return
    table = Table(title=f"servers on {hub}")
    for column in ("release", "image digest", "running", "stopped", "users"):
        table.add_column(column, overflow="fold")
    for group in groups:
        names = ", ".join(sorted({u["user"] for u in group["users"]}))
        table.add_row(group["release"], group["digest"][:19] or "(not recorded)", str(group["running"]),
                      str(group["stopped"]), names)
    out.print(table)
    if not groups:
        out.print("no servers, running or stopped")
