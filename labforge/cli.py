"""The `labforge` command line: tool checks, release validation, rendering, diffs and imports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from .errors import LabforgeError, Problem
from .project import Project

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  help="Build, test and publish the lab's notebook image releases.")
tool_app = typer.Typer(no_args_is_help=True, help="Tool submissions (spack/tools, spack/packages).")
release_app = typer.Typer(no_args_is_help=True, help="Release manifests (releases/*.yaml).")
base_app = typer.Typer(no_args_is_help=True, help="The OS base image (mmdebstrap).")
catalog_app = typer.Typer(no_args_is_help=True, help="The release catalog the hub reads.")
app.add_typer(tool_app, name="tool")
app.add_typer(release_app, name="release")
app.add_typer(base_app, name="base")
app.add_typer(catalog_app, name="catalog")

# Wide enough for tables when the output is a log file rather than a terminal.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
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
    """One line per problem on stderr, a count, exit 1: never a traceback for bad input."""
    for problem in problems:
        if err.is_terminal:
            err.print(f"[red]error:[/red] {escape(str(problem))}", soft_wrap=True)
        else:
            print(f"error: {problem}", file=sys.stderr)
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
    """Cross-check release manifests against the tool submissions and their locks; report every problem."""
    from .releases import load_release, release_ids
    from .render import lock_problems
    from .tools import load_all

    project = State.project()
    ids = ids or release_ids(project)
    tools, problems = load_all(project)
    for release_id in ids:
        loaded, found = load_release(project, release_id, tools)
        if loaded is not None and not found:
            found = lock_problems(project, loaded)
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


@release_app.command("lock")
def release_lock_command(ids: list[str] = typer.Argument(..., metavar="ID...", help="releases to lock")) -> None:
    """Concretize releases with spack on this host and write releases/ID.lock.json (commit it)."""
    from .images.lock import lock_release

    project = State.project()
    for release_id in ids:
        with err.status(f"concretizing {release_id} with spack (minutes for a large release)"):
            result = lock_release(project, release_id)
        out.print(f"{release_id}: locked {result.nodes} packages ({result.installed} installed in the image) "
                  f"in {result.seconds:.0f} s: {project.rel(result.path)}")


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
    from .spackbuild.lockfile import release_lock
    from .spackbuild.packagediff import package_section

    project = State.project()
    packages = package_section(release_lock(project, old), release_lock(project, new))
    text = diff_releases(require_release(project, old).release, require_release(project, new).release, packages)
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


CA_HELP = "extra CA certificate (PEM) trusted during the build only; repeatable"


@base_app.command("build")
def base_build(
    suite: str = typer.Option("bookworm", help="Debian suite"),
    mirror: Optional[str] = typer.Option(None, help="Debian mirror, e.g. a snapshot.debian.org URL"),
    epoch: Optional[int] = typer.Option(None, help="SOURCE_DATE_EPOCH (default: build.source_date_epoch in labforge.yaml)"),
    force: bool = typer.Option(False, help="rebuild even if the image exists"),
) -> None:
    """Make localhost/labforge-base:SUITE from Debian packages with mmdebstrap."""
    from .images.base import build_base
    from .platforms import PLATFORMS

    project = State.project()
    if suite not in PLATFORMS:
        raise LabforgeError(Problem("--suite", None, "", f"unknown suite {suite!r}", f"use one of {', '.join(PLATFORMS)}"))
    log = project.build_dir / "logs" / f"base-{suite}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with err.status(f"building the {suite} base image with mmdebstrap"):
        base = build_base(suite, epoch or project.settings.build.source_date_epoch, log, mirror, force)
    out.print(f"{'built' if base.built else 'up to date'}: {base.reference} ({base.image_id[:19]})")


@release_app.command("build")
def release_build(
    release_id: str = typer.Argument(..., metavar="ID"),
    no_spack: bool = typer.Option(False, "--no-spack", help="build without the spack stage (no tools; labelled so)"),
    builder: str = typer.Option("buildah", help="buildah, podman or docker"),
    isolation: str = typer.Option("chroot", help="buildah isolation: chroot (no user namespaces/cgroups needed), oci, rootless"),
    ca_cert: list[Path] = typer.Option([], "--ca-cert", help=CA_HELP),
    registry: Optional[str] = typer.Option(None, help="HOST/PROJECT to look for an identical image first"),
    tls_verify: bool = typer.Option(True, help="verify the registry's TLS certificate"),
    force: bool = typer.Option(False, help="build even when an identical image exists"),
    spack_cache: Optional[str] = typer.Option(
        None, help="spack build cache HOST/REPOSITORY (default with --registry: HOST/spack-cache/buildcache)"),
    unsigned_cache: bool = typer.Option(False, "--unsigned-cache", help="push and install unsigned binaries"),
    signing_key: Optional[Path] = typer.Option(
        None, help="armoured GPG secret key that signs the cache (or LABFORGE_SIGNING_KEY_FILE / LABFORGE_SIGNING_KEY)"),
) -> None:
    """Render and build the release image; skipped when an image with the same input digest exists."""
    from .images.build import build_release, check_builder_choice

    check_builder_choice(builder)
    project = State.project()
    result = _with_progress(f"building {release_id}", lambda on_step: build_release(
        project, release_id, with_spack=not no_spack, builder=builder, isolation=isolation,
        ca_certs=[str(c) for c in ca_cert], registry=registry, tls_verify=tls_verify, force=force, on_step=on_step,
        spack_cache=spack_cache, unsigned_cache=unsigned_cache, signing_key=signing_key))
    for line in build_summary(result):
        out.print(f"{release_id}: {line}")


def build_summary(result) -> list[str]:
    """What a build did, for people: built or skipped, and what the spack stage did."""
    if result.skipped:
        return [f"nothing to build: {result.skipped} ({result.input_digest[:19]})"]
    spack = "with tools" if result.with_spack else "WITHOUT tools (--no-spack)"
    lines = [f"built {result.reference} {spack} in {result.seconds:.0f} s; log {result.log}"]
    if result.spack is not None:
        lines.append("spack: " + result.spack.summary())
        if result.spack.compiled_names:
            lines.append("compiled: " + ", ".join(result.spack.compiled_names))
        lines.append("build cache: " + (result.cache.describe() if result.cache else
                                        "none (pass --spack-cache or --registry to reuse binaries)"))
    return lines


def _with_progress(title: str, work):
    """Run `work(on_step)` under a rich progress bar showing stage, step and elapsed time."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[step]}"),
                  TimeElapsedColumn(), console=err, transient=False) as progress:
        task = progress.add_task(title, total=None, step="")

        def on_step(stage: str, step: int, steps: int, what: str) -> None:
            progress.update(task, description=f"{title} [{stage}]", total=steps or None, completed=step,
                            step=f"{step}/{steps} {what}")

        return work(on_step)


@release_app.command("test")
def release_test(
    release_id: str = typer.Argument(..., metavar="ID"),
    ca_cert: list[Path] = typer.Option([], "--ca-cert", help="CA certificates given to the build (checked absent)"),
) -> None:
    """Run the image test suite (pytest-testinfra) on the built image's root filesystem."""
    from .images.imagetest import test_release

    project = State.project()
    code = test_release(project, release_id, [str(c) for c in ca_cert])
    if code != 0:
        raise LabforgeError(Problem(f"lab:{release_id}", None, "", f"image tests failed (pytest exit {code})",
                                    "see the failures above"))
    out.print(f"{release_id}: image tests passed")


@release_app.command("publish")
def release_publish(
    release_id: str = typer.Argument(..., metavar="ID"),
    registry: str = typer.Option(..., help="HOST/PROJECT, e.g. harbor.lab.example.org/lab"),
    catalog: Optional[Path] = typer.Option(None, help="catalog to update (default releases/catalog.json)"),
    tls_verify: bool = typer.Option(True, help="verify the registry's TLS certificate"),
    authfile: Optional[Path] = typer.Option(None, help="registry auth file (else LABFORGE_REGISTRY_USER/PASSWORD)"),
) -> None:
    """Push the image and its bundle (spack.yaml/lock, Containerfile, Apptainer def, notes, SBOM); update the catalog."""
    from .images.publish import publish_release

    project = State.project()
    path = catalog or project.catalog_path
    with err.status(f"publishing {release_id} to {registry}") as status:
        result = publish_release(project, release_id, registry, path, tls_verify=tls_verify, authfile=authfile,
                                 on_step=lambda text: status.update(text))
    out.print(f"{release_id}: {result.repository}@{result.digest} tags {', '.join(result.tags)}; "
              f"bundle {result.bundle}; catalog {project.rel(path)}")


@catalog_app.command("show")
def catalog_show(catalog: Optional[Path] = typer.Option(None, help="catalog file (default releases/catalog.json)")) -> None:
    """Print the release catalog as a table."""
    from .catalog import load_catalog
    from .views import catalog_table

    project = State.project()
    path = catalog or project.catalog_path
    out.print(catalog_table(load_catalog(path, project.rel(path)), project.rel(path)))


@app.command("demo")
def demo(
    release: str = typer.Option("2026.11", help="release to build, test and publish"),
    registry: Optional[str] = typer.Option(None, help="HOST/PROJECT of a real registry (default: a local one)"),
    port: int = typer.Option(5000, help="port of the local registry on 127.0.0.1"),
    ca_cert: list[Path] = typer.Option([], "--ca-cert", help=CA_HELP),
    tls_verify: bool = typer.Option(True, help="verify a real registry's TLS certificate"),
    render_only: bool = typer.Option(False, help="only validate and render every release"),
) -> None:
    """The main job on the embedded defaults: render, build, test, publish, show the catalog."""
    from .demo import DemoOptions, run_demo

    project = State.project()
    options = DemoOptions(release, registry, port, [str(c) for c in ca_cert], tls_verify, render_only)
    summary = run_demo(project, options, out, _with_progress)
    out.print("\n[bold]demo summary[/bold]")
    for line in summary:
        out.print(f"  {line}")


def main() -> None:
    try:
        app()
    except LabforgeError as exc:
        _fail_outside(exc)
    except OSError as exc:  # a file the user named cannot be read or written: say which, no traceback
        where = exc.filename or "labforge"
        _fail_outside(LabforgeError(Problem(str(where), None, "", exc.strerror or str(exc),
                                            "check the path and its permissions")))


def _fail_outside(exc: LabforgeError) -> None:
    try:
        _fail(exc.problems)
    except typer.Exit as done:
        sys.exit(done.exit_code)


if __name__ == "__main__":
    main()
