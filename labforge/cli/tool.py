"""`labforge tool ...`: check submissions, concretize and build tools."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..core.errors import LabforgeError
from .app import tool_app
from .options import (
    BUILDER,
    CA_HELP,
    DRIVE,
    PORT,
    ca_cert_files,
    check_release_id,
    check_tool_wanted,
    registry_location,
)
from .output import err, fail, out
from .project import State
from .serve import serve_lab


@tool_app.command("try")
def tool_try(wanted: str = typer.Argument(..., metavar="NAME[@VERSION]", callback=check_tool_wanted),
             release: Optional[str] = typer.Option(None, callback=check_release_id,
                                                   help="release the tool was built on (default: newest stable)"),
             port: int = PORT, drive: Optional[Path] = DRIVE, builder: str = BUILDER) -> None:
    """Serve the image `tool build` made for this tool version (its JupyterLab, the tool's module on top)."""
    from ..buildah.tool_build import tool_reference
    from ..spackbuild.tool_env import resolve

    target = resolve(State.project(), wanted, release)
    serve_lab(tool_reference(target), f"{target.tool.tool.name}-{target.version}-{target.release.release.id}",
           port, drive, builder, f"labforge tool build {wanted} --release {target.release.release.id}")


@tool_app.command("check")
def tool_check(
    names: list[str] = typer.Argument(None, metavar="NAME...", callback=check_tool_wanted,
                                     help="tool names (default: all)"),
    concretize: bool = typer.Option(False, help="also concretize every offered version on a release's lock (needs spack)"),
    release: Optional[str] = typer.Option(None, callback=check_release_id,
                                          help="release for --concretize (default: newest stable)"),
) -> None:
    """Check tool submissions: schema, versions, spec syntax, custom package.py; with --concretize,
    that spack can solve each version in the lab's environment."""
    from ..inputs.tools import load_all

    project = State.project()
    tools, problems = load_all(project, names or None)
    if problems:
        fail(problems)
    out.print(f"ok: {len(tools)} tool submission{'s' if len(tools) != 1 else ''} pass")
    if concretize:
        _concretize_tools(project, tools, release)


def _concretize_tools(project, tools: dict, release: Optional[str]) -> None:
    from ..core.errors import EXIT_CONCRETIZE
    from ..spackbuild.tool_env import concretize_tool, resolve

    failed = []
    for name in sorted(tools):
        for version in tools[name].tool.offered():
            target = resolve(project, f"{name}@{version}", release)
            log = project.build_dir / "logs" / f"concretize-{name}-{version}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("")
            try:
                with err.status(f"concretizing {target.title}"):
                    c = concretize_tool(project, target, log)
            except LabforgeError as exc:
                failed.append(target.title)
                print(f"error: {target.title} does not concretize: {exc.problems[0].message[-300:]} "
                      f"(full log: {log})", file=sys.stderr)
                continue
            out.print(f"ok: {target.title} concretizes in {c.seconds:.0f} s: {len(c.reused)} packages from the "
                      f"release, {len(c.new)} new")
    if failed:
        raise typer.Exit(EXIT_CONCRETIZE)


@tool_app.command("build")
def tool_build(
    wanted: str = typer.Argument(..., metavar="NAME[@VERSION]", callback=check_tool_wanted,
                                 help="tool (default version: the tool's default)"),
    release: Optional[str] = typer.Option(None, callback=check_release_id,
                                          help="release whose image and lock to build on (default: newest stable)"),
    ca_cert: list[Path] = typer.Option([], "--ca-cert", callback=ca_cert_files, help=CA_HELP),
    spack_cache: Optional[str] = typer.Option(None, callback=registry_location,
                                              help="spack build cache HOST/REPOSITORY"),
    tls_verify: bool = typer.Option(True, help="verify the cache registry's TLS certificate (off: plain HTTP)"),
    unsigned_cache: bool = typer.Option(False, "--unsigned-cache", help="push and install unsigned binaries"),
    signing_key: Optional[Path] = typer.Option(None, help="armoured GPG secret key that signs the cache"),
) -> None:
    """Concretize a tool version on a release's lock, build it with the cache, run its tests, push it.

    Exit codes: 0 passed, 1 bad input, 3 does not concretize, 4 does not build, 5 tests fail."""
    from ..buildah.tool_build import ToolBuildFailed, build_tool
    from ..spackbuild.tool_env import resolve

    project = State.project()
    target = resolve(project, wanted, release)
    try:
        with err.status(f"building {target.title}"):
            result = build_tool(project, target, ca_certs=[str(c) for c in ca_cert], spack_cache=spack_cache,
                                tls_verify=tls_verify, unsigned_cache=unsigned_cache, signing_key=signing_key)
    except ToolBuildFailed as failed:
        for problem in failed.problems:
            print(f"error: {problem}", file=sys.stderr)
        raise typer.Exit(failed.exit_code) from None
    for line in tool_summary(result):
        out.print(line)


def tool_summary(result) -> list[str]:
    c = result.concretized
    lines = [f"{result.target.title}: passed in {result.seconds:.0f} s; image {result.reference}",
             f"  concretized in {c.seconds:.0f} s: {len(c.reused)} packages reused from the release, {len(c.new)} new "
             f"({len(c.new_installed)} added to the image)",
             f"  spack: {result.spack.summary()}"]
    if result.spack.compiled_names:
        lines.append("  compiled: " + ", ".join(result.spack.compiled_names))
    lines += [f"  test: {line}" for line in result.tests]
    lines.append("  build cache: " + (f"{result.cache.describe()}, push {result.pushed or 'not done'}" if result.cache
                                      else "none (nothing pushed; pass --spack-cache)"))
    return lines


@tool_app.command("changed")
def tool_changed(base: str = typer.Option("origin/main", help="git ref the change is compared with")) -> None:
    """Print the tools a change touches (submission or own recipe), one per line: for CI jobs."""
    from ..inputs.changes import changed_paths, changed_tools

    project = State.project()
    for name in changed_tools(project, changed_paths(project, base)):
        print(name)
