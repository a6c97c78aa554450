"""`labforge hub usage` (who runs which release on the deployed hub) and `labforge hub check`
(does each release work there)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from ..core.errors import LabforgeError, Problem
from .app import hub_app
from .options import web_url_option
from .output import err, out
from .project import State


def hub_url_option(ctx, param, value: str | None) -> str | None:
    """--hub: the hub's http(s) URL, no credentials in it (a password in it is never echoed)."""
    from ..hub.api import hub_url

    try:
        return hub_url(value) if value is not None else None
    except ValueError as exc:
        message, _, hint = str(exc).partition(" -- ")
        raise LabforgeError(Problem("--hub", message, hint)) from None


HUB = typer.Option(..., "--hub", callback=hub_url_option, help="the hub's URL, e.g. https://lab.example.org")
# `hub usage` as a whole may take this long on the largest hub (pages of 200 users)
USAGE_DEADLINE = 600


@hub_app.command("usage")
def hub_usage(hub: str = HUB, as_json: bool = typer.Option(False, "--json", help="print JSON, not a table"),
              drive: Optional[Path] = typer.Option(None, "--drive", help="the Drive share, mounted here (its users/ "
                                                   "and groups/): also count users' own environments per release")
              ) -> None:
    """Running and stopped servers per release and image, before a release is retired
    (token: LABFORGE_HUB_TOKEN); with --drive, users' and groups' own environments too."""
    from rich.table import Table
    from rich.text import Text

    from ..core.text import plain
    from ..hub.api import Hub, hub_token
    from ..hub.environments import environments, per_release
    from ..hub.usage import servers, usage

    if drive is not None and not (drive.is_dir() and ((drive / "users").is_dir() or (drive / "groups").is_dir())):
        raise LabforgeError(Problem("--drive", f"{plain(str(drive), 200)} holds no users/ or groups/ folder",
                                    "mount the Drive share and give its top folder"))
    groups = usage(servers(Hub(hub, hub_token(), deadline=USAGE_DEADLINE).users()))
    envs, stopped = environments(drive) if drive is not None else ([], False)
    by_release = per_release(envs)
    if as_json:
        document = {"hub": hub, "releases": groups}
        if drive is not None:
            document["environments"] = by_release
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
        return
    table = Table(title=f"servers on {hub}")
    for column in ("release", "image digest", "running", "stopped", "users"):
        table.add_column(column, overflow="fold")
    for group in groups:  # every cell is what the hub said: shown as text, never as markup
        names = ", ".join(sorted({u["user"] for u in group["users"]}))
        table.add_row(*(Text(plain(cell, 2000)) for cell in (group["release"], group["digest"][:19] or "(not recorded)",
                                                             str(group["running"]), str(group["stopped"]), names)))
    out.print(table)
    if not groups:
        out.print("no servers, running or stopped")
    if drive is not None:
        shown = Table(title="users' own environments on the Drive (lab-env)")
        for column in ("built on release", "environments", "owners"):
            shown.add_column(column, overflow="fold")
        for group in by_release:
            shown.add_row(group["release"], str(group["environments"]), Text(", ".join(group["owners"])))
        out.print(shown if by_release else "no environments on the Drive")
        if stopped:
            out.print("the Drive holds more environments than were counted (the scan stops at 100,000)")


@hub_app.command("check")
def hub_check(hub: str = HUB,
              catalog: Optional[Path] = typer.Option(None, "--catalog", help="catalog file (default releases/catalog.json)"),
              user: str = typer.Option("labforge-check", "--user", help="the dedicated check user (created if missing)"),
              timeout: int = typer.Option(300, "--timeout", min=10, max=3600,
                                          help="seconds a server may take to start (and the check to run)"),
              pushgateway: Optional[str] = typer.Option(
                  None, "--pushgateway", callback=web_url_option,
                  help="Prometheus Pushgateway URL for the results (default: LABFORGE_PUSHGATEWAY)")) -> None:
    """Start a server on each offered release as a check user, run its tools in the release kernel,
    compare with the catalog; one line per release, exit 1 if any failed (token: LABFORGE_HUB_TOKEN)."""
    import re

    from rich.text import Text

    from ..catalog.store import load_catalog
    from ..core.metrics import push
    from ..core.metrics import pushgateway as pushgateway_url
    from ..core.text import plain
    from ..hub.api import Hub, hub_token
    from ..hub.check import CHECK_SCOPES, check_hub, check_metrics

    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", user):
        raise LabforgeError(Problem("--user", f"{user[:80]!r} is not a hub user name",
                                    "lower-case letters, digits and ._- , e.g. labforge-check"))
    project = State.project()
    path = catalog or project.catalog_path
    releases = load_catalog(path, project.rel(path), require_releases=True)
    with err.status(f"checking the releases on {hub}") as status:
        outcomes = check_hub(Hub(hub, hub_token(), scopes=CHECK_SCOPES), releases, user, timeout,
                             on_step=lambda text: status.update(text))
    for outcome in outcomes:
        out.print(Text(plain(outcome.line(), 2000)), soft_wrap=True)
    push(pushgateway_url(pushgateway), "labforge-hub-check", check_metrics(outcomes))
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise LabforgeError([Problem(f"release {o.release}", o.detail) for o in failed])
