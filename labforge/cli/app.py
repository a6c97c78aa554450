"""The apps of the `labforge` command line: the root app and one per command group. The command
modules (cli/X.py, cli/release/) register their commands on them; cli/main.py imports them all."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  help="Build, test and publish the lab's notebook image releases.")
tool_app = typer.Typer(no_args_is_help=True, help="Tool submissions (spack/tools, spack/packages).")
release_app = typer.Typer(no_args_is_help=True, help="Release manifests (releases/*.yaml).")
base_app = typer.Typer(no_args_is_help=True, help="The OS base image (mmdebstrap).")
catalog_app = typer.Typer(no_args_is_help=True, help="The release catalog the hub reads.")
runtime_app = typer.Typer(no_args_is_help=True, help="The notebook server in every image.")
hub_app = typer.Typer(no_args_is_help=True, help="The deployed hub, through its REST API.")
app.add_typer(tool_app, name="tool")
app.add_typer(release_app, name="release")
app.add_typer(base_app, name="base")
app.add_typer(catalog_app, name="catalog")
app.add_typer(runtime_app, name="runtime")
app.add_typer(hub_app, name="hub")
