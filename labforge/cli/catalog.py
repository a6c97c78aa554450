"""`labforge catalog`: the release catalog the hub reads: show it, and the verbs of a release's life
(default, deprecate, retire; labforge/lifecycle.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..core.errors import LabforgeError, Problem
from .app import catalog_app
from .options import check_release_id
from .output import out
from .project import State


@catalog_app.command("show")
def catalog_show(catalog: Optional[Path] = typer.Option(None, help="catalog file (default releases/catalog.json)")) -> None:
    """Print the release catalog as a table, and its batch tool images."""
    from ..catalog.store import load_catalog
    from ..catalog.tables import catalog_table, tool_images_table

    project = State.project()
    path = catalog or project.catalog_path
    loaded = load_catalog(path, project.rel(path))
    out.print(catalog_table(loaded, project.rel(path)))
    if loaded.tools:
        out.print(tool_images_table(loaded, project.rel(path)))
    else:
        out.print("no batch tool images (labforge release publish ID --tools adds them)")


CATALOG = typer.Option(None, "--catalog", help="catalog file (default releases/catalog.json)")


def _change(catalog: Optional[Path], verb) -> None:
    """Load the catalog, apply `verb(catalog, shown)`, write it only when it changed, and say what
    new servers get now."""
    from ..catalog.store import change

    project = State.project()
    path = catalog or project.catalog_path
    shown = project.rel(path)
    # under the catalog's lock: a verb run at the same moment waits, then changes what this one wrote
    before, after = change(path, shown, lambda current: verb(current, shown))
    if after.to_json() == before.to_json():
        out.print(f"{shown}: unchanged")
        return
    default = after.default_entry()
    was = before.default_entry()
    pinned = " (pinned: labforge catalog default --newest undoes it)" if after.pinned_default else ""
    out.print(f"{shown}: new servers start {default.id if default else 'nothing'}{pinned}"
              + (f"; before: {was.id}" if was and default and was.id != default.id else ""))
    out.print("review and commit it; `pulumi up` brings it to the hub (make plan AGAINST=origin/main shows what changes)")


def _date(value: str, option: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise LabforgeError(Problem(option, f"{value[:40]!r} is not a date",
                                    "write YYYY-MM-DD, e.g. 2027-03-31")) from None


def _today():
    import datetime as dt

    return dt.date.today()


@catalog_app.command("default")
def catalog_default(release_id: Optional[str] = typer.Argument(None, metavar="ID", callback=check_release_id),
                    newest: bool = typer.Option(False, "--newest", help="back to the newest supported stable release"),
                    catalog: Optional[Path] = CATALOG) -> None:
    """Make a published release the default (a rollback, or a pin), or --newest to go back."""
    from ..catalog.lifecycle import make_default, newest_default

    if (release_id is None) == (not newest):
        raise LabforgeError(Problem("ID", "give a release ID or --newest, not both or neither",
                                    "e.g. labforge catalog default 2026.05"))
    _change(catalog, lambda c, shown: newest_default(c, shown) if newest else make_default(c, shown, release_id))


@catalog_app.command("deprecate")
def catalog_deprecate(release_id: str = typer.Argument(..., metavar="ID", callback=check_release_id),
                      until: str = typer.Option(..., "--until", help="last day it may be started (YYYY-MM-DD)"),
                      use: Optional[str] = typer.Option(None, "--use", callback=check_release_id,
                                                        help="the release to move to (default: the default)"),
                      message: Optional[str] = typer.Option(None, "--message", help="one line shown to its users"),
                      catalog: Optional[Path] = CATALOG) -> None:
    """Keep a release on the spawn page, marked deprecated until a date, naming its successor."""
    from ..catalog.lifecycle import deprecate

    last = _date(until, "--until")
    _change(catalog, lambda c, shown: deprecate(c, shown, release_id, last, use, message, _today()))


@catalog_app.command("retire")
def catalog_retire(release_id: str = typer.Argument(..., metavar="ID", callback=check_release_id),
                   catalog: Optional[Path] = CATALOG) -> None:
    """Take a release off the spawn page; whoever asks for it is told its replacement."""
    from ..catalog.lifecycle import retire

    _change(catalog, lambda c, shown: retire(c, shown, release_id, _today()))
