"""The `labforge` command line: tool checks, release validation, rendering, diffs and imports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from .errors import LabforgeError
from .project import Project

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  help="Build, test and publish the lab's notebook image releases.")
tool_app = typer.Typer(no_args_is_help=True, help="Tool submissions (spack/tools, spack/packages).")
release_app = typer.Typer(no_args_is_help=True, help="Release manifests (releases/*.yaml).")
app.add_typer(tool_app, name="tool")
app.add_typer(release_app, name="release")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class State:
    project_dir: Path | None = None

    @classmethod
    def project(cls) -> Project:
        return Project(cls.project_dir) if cls.project_dir else Project.find()


@app.callback()
def _root(project: Optional[Path] = typer.Option(None, "--project", help="labforge checkout (default: search upward)")):
    State.project_dir = project


def _fail(problems) -> None:
    for problem in problems:
        err.print(f"[red]error[/red] {problem}", soft_wrap=True, markup=True) if err.is_terminal \
            else print(f"error: {problem}", file=sys.stderr)
    n = len(problems)
    print(f"{n} problem{'s' if n != 1 else ''} found", file=sys.stderr)
    raise typer.Exit(1)


@tool_app.command("check")
def tool_check(names: list[str] = typer.Argument(None, help="tool names (default: all)")) -> None:
    """Check tool submissions: schema, versions, spec syntax, custom package.py."""
    from .tools import load_all

    project = State.project()
    tools, problems = load_all(project, names or None)
    if problems:
        _fail(problems)
    out.print(f"ok: {len(tools)} tool submission{'s' if len(tools) != 1 else ''} pass")


@release_app.command("validate")
def release_validate(ids: list[str] = typer.Argument(None, help="release ids (default: all)")) -> None:
    """Cross-check release manifests against the tool submissions; report every problem."""
    from .releases import load_release, release_ids
    from .tools import load_all

    project = State.project()
    ids = ids or release_ids(project)
    tools, problems = load_all(project)
    for release_id in ids:
        _, found = load_release(project, release_id, tools)
        problems += [p for p in found if p not in problems]
    if problems:
        _fail(problems)
    out.print(f"ok: {len(ids)} release{'s' if len(ids) != 1 else ''} valid: {', '.join(ids)}")


@release_app.command("render")
def release_render(
    release_id: str = typer.Argument(..., metavar="ID"),
    dest: Optional[Path] = typer.Option(None, "--out", help="output directory (default build/render/ID)"),
    no_spack: bool = typer.Option(False, "--no-spack", help="render without the spack build stage"),
) -> None:
    """Render the build context: spack.yaml, Containerfile, Apptainer definition, kernel, release.json."""
    from .releases import require_release
    from .render import render_release

    project = State.project()
    loaded = require_release(project, release_id)
    target = dest or project.build_dir / "render" / release_id
    files = render_release(project, loaded, target, with_spack=not no_spack)
    out.print(f"rendered {len(files)} files for {release_id} into {target}")


@release_app.command("diff")
def release_diff(
    old: str = typer.Argument(..., metavar="A"),
    new: str = typer.Argument(..., metavar="B"),
    dest: Optional[Path] = typer.Option(None, "--out", help="write the Markdown here instead of stdout"),
) -> None:
    """Release notes for B against A: tools added, removed, upgraded, downgraded, defaults."""
    from .atomic import write_text
    from .diff import diff_releases
    from .releases import require_release

    project = State.project()
    text = diff_releases(require_release(project, old).release, require_release(project, new).release)
    if dest:
        write_text(dest, text)
    else:
        sys.stdout.write(text)


@release_app.command("import")
def release_import(
    spack_yaml: Path = typer.Argument(..., metavar="SPACK_YAML"),
    release_id: str = typer.Option(..., "--id", help="new release id (YYYY.MM or experimental)"),
    suite: str = typer.Option("bookworm", help="Debian suite of the base image"),
    force: bool = typer.Option(False, help="overwrite an existing release manifest"),
) -> None:
    """Make a release manifest and stub tool submissions from a spack environment."""
    from pydantic import ValidationError

    from .errors import Problem
    from .importer import plan_import, write_import
    from .platforms import PLATFORMS

    project = State.project()
    if suite not in PLATFORMS:
        raise LabforgeError(Problem("--suite", None, "", f"unknown suite {suite!r}",
                                    f"use one of {', '.join(PLATFORMS)}"))
    try:
        plan = plan_import(project, spack_yaml, release_id, suite)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise LabforgeError(Problem("--id", None, "", first["msg"].removeprefix("Value error, "))) from None
    write_import(plan, force)
    out.print(f"wrote {project.rel(plan.release_path)} and {len(plan.new_tools)} stub tool submission(s)")
    for path in sorted(plan.new_tools):
        out.print(f"  needs metadata: {project.rel(path)}")
    for note in plan.notes:
        out.print(f"  check: {note}")


@app.command("demo")
def demo() -> None:
    """The main job on the embedded defaults: validate and render every release, print a summary."""
    from .releases import load_release, release_ids
    from .render import render_release
    from .tools import load_all

    project = State.project()
    tools, problems = load_all(project)
    if problems:
        _fail(problems)
    table = Table(title="labforge releases")
    for column in ("release", "channel", "tools", "tool versions", "kernel", "input digest", "rendered to"):
        table.add_column(column)
    for release_id in release_ids(project):
        loaded, found = load_release(project, release_id, tools)
        if found or loaded is None:
            _fail(found)
        target = project.build_dir / "render" / release_id
        files = render_release(project, loaded, target)
        digest = __import__("json").loads(files["release.json"])["input_digest"]
        table.add_row(release_id, loaded.release.channel, str(len(loaded.release.tools)),
                      str(len(loaded.specs())), loaded.release.kernel_name, digest[:19], project.rel(target))
    out.print(table)


def main() -> None:
    try:
        app()
    except LabforgeError as exc:
        _fail_outside(exc)


def _fail_outside(exc: LabforgeError) -> None:
    try:
        _fail(exc.problems)
    except typer.Exit as done:
        sys.exit(done.exit_code)


if __name__ == "__main__":
    main()
