"""The shared parts of the `labforge` command line: the apps every command module registers on,
the project lookup, the consoles, the one way to report problems and show progress, and serving a
Lab for `release try` and `tool try`. The command modules (cli/X.py, cli/release/) import this;
nothing here imports them."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from ..core.errors import LabforgeError, Problem
from ..inputs.project import Project
from ..inputs.references import location_problem, reference_problem
from ..registry.auth import check_authfile

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

# Wide enough for tables when the output is a log file rather than a terminal.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True, highlight=False)
CA_HELP = "extra CA certificate (PEM) trusted during the build only; repeatable"


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


def registry_location(ctx, param, value: str | None) -> str | None:
    """Callback of --registry-like options: HOST[:PORT][/PATH], before any work or network look-up."""
    if value is not None and (problem := location_problem(value)):
        raise LabforgeError(Problem(param.opts[0], None, "", problem, "see labforge COMMAND --help"))
    return value


def image_reference(ctx, param, value: str | None) -> str | None:
    """Callback of image options (--builder-image): an OCI reference, checked before any work."""
    if value is not None and (problem := reference_problem(value)):
        raise LabforgeError(Problem(param.opts[0], None, "", problem, "see labforge COMMAND --help"))
    return value


def _items(value: str | list[str] | None) -> list[str]:
    """A callback's value as a list: one argument or option, or a repeated one."""
    return [value] if isinstance(value, str) else list(value or [])


def _named(param) -> str:
    """How the user wrote the parameter: --option, or the argument's metavar (ID, NAME...)."""
    return param.opts[0] if param.param_type_name == "option" else (param.metavar or param.name.upper())


def check_release_id(ctx, param, value: str | list[str] | None):
    """Callback of release ID arguments and --release: an id names files (releases/ID.yaml,
    build/logs/ID-*.log), so anything else (`../x`, an option word) is refused before any work."""
    from ..inputs.releases import id_problem

    for item in _items(value):
        if problem := id_problem(item):
            raise LabforgeError(Problem(_named(param), None, "", problem,
                                        "see labforge release validate for the known releases"))
    return value


def check_tool_wanted(ctx, param, value: str | list[str] | None):
    """Callback of tool arguments (NAME or NAME@VERSION): a name names a file
    (spack/tools/NAME.yaml), so it must be a tool name before anything is looked up."""
    import re

    from ..inputs.tools import TOOL_NAME

    for item in _items(value):
        name, at, version = item.partition("@")
        if not re.match(TOOL_NAME, name) or (at and not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}", version)):
            raise LabforgeError(Problem(_named(param), None, "",
                                        f"{item[:80]!r} is not a tool (NAME or NAME@VERSION)",
                                        "write e.g. nest or nest@3.0; labforge tool check lists the tools"))
    return value


def web_url_option(ctx, param, value: str | None) -> str | None:
    """Callback of URL options (--mirror): a plain http(s) URL, as in the manifests."""
    from ..core.fields import web_url

    try:
        return web_url(value) if value is not None else None
    except ValueError as exc:
        message, _, hint = str(exc).partition(" -- ")
        raise LabforgeError(Problem(_named(param), None, "", message, hint)) from None


def ca_cert_files(ctx, param, value: list[Path]) -> list[Path]:
    """Callback of --ca-cert: every file exists and holds a PEM certificate, before any render or build."""
    for path in value or []:
        try:
            text = path.read_bytes()[:1 << 20]
        except OSError as exc:
            raise LabforgeError(Problem("--ca-cert", None, "", f"cannot read {path}: {exc.strerror or exc}",
                                        "give a PEM CA certificate file")) from None
        if b"-----BEGIN CERTIFICATE-----" not in text:
            raise LabforgeError(Problem("--ca-cert", None, "", f"{path} holds no PEM certificate",
                                        "give a PEM CA certificate file (-----BEGIN CERTIFICATE-----)"))
    return value


def runner_tags(ctx, param, value: list[str]) -> list[str]:
    """Callback of --tag: GitLab runner tags as labs write them; an empty one makes GitLab refuse every job."""
    import re

    for tag in value or []:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}", tag):
            raise LabforgeError(Problem("--tag", None, "", f"{tag[:80]!r} is not a runner tag",
                                        "write letters, digits and ._:/- , e.g. labforge-build"))
    return value


def auth_file_option(ctx, param, value: Path | None) -> Path | None:
    """Callback of --authfile: the file exists and is an auth file, before any work."""
    check_authfile(value)
    return value


def fail(problems) -> None:
    """One line per problem on stderr, a count, exit 1: never a traceback for bad input."""
    for problem in problems:
        if err.is_terminal:
            err.print(f"[red]error:[/red] {escape(str(problem))}", soft_wrap=True)
        else:
            print(f"error: {problem}", file=sys.stderr)
    n = len(problems)
    print(f"{n} problem{'s' if n != 1 else ''} found", file=sys.stderr)
    raise typer.Exit(1)


def with_progress(title: str, work):
    """Run `work(on_step)` under a rich progress bar showing stage, step and elapsed time."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[step]}"),
                  TimeElapsedColumn(), console=err, transient=False) as progress:
        task = progress.add_task(title, total=None, step="")

        def on_step(stage: str, step: int, steps: int, what: str) -> None:
            progress.update(task, description=f"{title} [{stage}]", total=steps or None, completed=step,
                            step=f"{step}/{steps} {what}")

        return work(on_step)


PORT = typer.Option(8888, "--port", min=1, max=65535, help="port on 127.0.0.1")
DRIVE = typer.Option(None, "--drive", help="host folder mounted as the Drive (default: build/try/NAME/drive, kept)")
BUILDER = typer.Option("buildah", "--builder", help="buildah (chroot, host network) or podman where it runs containers")


def serve_lab(reference: str, name: str, port: int, drive: Optional[Path], builder: str, build_it: str) -> None:
    """`release try` and `tool try`: serve an image's JupyterLab on 127.0.0.1 until Ctrl-C."""
    from ..loopback.lab import serve

    project = State.project()
    with serve(project, reference, name, port=port, drive=drive, builder=builder, build_it=build_it) as session:
        out.print(f"{name}: JupyterLab at {session.url}")
        for key, folder in session.folders.items():
            out.print(f"  {key}: {folder}")
        out.print("Ctrl-C stops it and removes the container")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            out.print("stopping")


