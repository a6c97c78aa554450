"""`labforge release validate|render|lock|diff|import`: a release's manifest, its render and its spack lock."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ...core.errors import LabforgeError, Problem
from ..app import release_app
from ..options import check_release_id
from ..output import err, fail, out
from ..project import State


@release_app.command("validate")
def release_validate(ids: list[str] = typer.Argument(None, metavar="ID...", callback=check_release_id,
                                                    help="release ids (default: all)")) -> None:
    """Cross-check release manifests against the tool submissions and their locks; report every problem."""
    import dataclasses

    from ...inputs.releases import load_release, release_ids
    from ...inputs.runtime_pins import all_pins, staleness
    from ...inputs.tools import load_all
    from ...render.release import lock_problems

    project = State.project()
    ids = ids or release_ids(project)
    tools, problems = load_all(project)
    extras = []
    for release_id in ids:
        loaded, found = load_release(project, release_id, tools)
        if loaded is not None and not found:
            found = lock_problems(project, loaded)
            extras.append(list(loaded.release.jupyterlab.extras))
            if loaded.release.gpu and not loaded.variant:  # the GPU variant has a lock of its own
                found += lock_problems(project, dataclasses.replace(loaded, variant="gpu"))
        problems += [p for p in found if p not in problems]
    if not problems and set(ids) == set(release_ids(project)):  # the pins of all releases are known
        problems += staleness(project, all_pins(project, extras))
    if problems:
        fail(problems)
    out.print(f"ok: {len(ids)} release{'s' if len(ids) != 1 else ''} valid: {', '.join(ids)}")


@release_app.command("render")
def release_render(
    release_id: str = typer.Argument(..., metavar="ID", callback=check_release_id),
    dest: Optional[Path] = typer.Option(None, "--out", help="output directory (default build/render/ID)"),
    no_spack: bool = typer.Option(False, "--no-spack", help="render without the spack build stage"),
) -> None:
    """Render the build context: spack.yaml, Containerfile, Apptainer definition, kernel, release.json."""
    from ...inputs.releases import require_release
    from ...render.release import render_release

    project = State.project()
    loaded = require_release(project, release_id)
    target = dest or project.build_dir / "render" / release_id
    files = render_release(project, loaded, target, with_spack=not no_spack)
    out.print(f"rendered {len(files)} files for {release_id} into {target}")


@release_app.command("lock")
def release_lock_command(ids: list[str] = typer.Argument(..., metavar="ID...", callback=check_release_id,
                                                         help="releases to lock")) -> None:
    """Concretize releases with spack on this host and write releases/ID.lock.json (commit it)."""
    from ...spackbuild.concretize import lock_release

    project = State.project()
    for release_id in ids:
        with err.status(f"concretizing {release_id} with spack (minutes for a large release)"):
            result = lock_release(project, release_id)
        out.print(f"{release_id}: locked {result.nodes} packages ({result.installed} installed in the image) "
                  f"in {result.seconds:.0f} s: {project.rel(result.path)}")


@release_app.command("diff")
def release_diff(
    old: str = typer.Argument(..., metavar="A", callback=check_release_id),
    new: str = typer.Argument(..., metavar="B", callback=check_release_id),
    dest: Optional[Path] = typer.Option(None, "--out", help="write the Markdown here instead of stdout"),
) -> None:
    """Release notes for B against A: tools added, removed, upgraded, downgraded, defaults."""
    from ...core.atomic import write_text
    from ...publish.notes import release_notes

    text = release_notes(State.project(), new, against=old)
    if dest:
        write_text(dest, text)
    else:
        sys.stdout.write(text)


@release_app.command("import")
def release_import(
    spack_yaml: Path = typer.Argument(..., metavar="SPACK_YAML"),
    release_id: str = typer.Option(..., "--id", callback=check_release_id, help="new release id (YYYY.MM or experimental)"),
    suite: str = typer.Option("bookworm", help="Debian suite of the base image"),
    pin: str = typer.Option("auto", help="unversioned roots: 'concretized' (the version spack concretizes them "
                            "to; needs spack), 'preferred' (their recipe's preferred version), or 'auto' "
                            "(concretized when spack is found)"),
    skip_include: list[str] = typer.Option([], "--skip-include", metavar="PATH",
                                           help="an include: of the environment not to read (e.g. a CI scope)"),
    force: bool = typer.Option(False, help="overwrite an existing release manifest"),
) -> None:
    """Make a release manifest and stub tool submissions from a spack environment."""
    from pydantic import ValidationError

    from ...inputs.importer import plan_import, write_import
    from ...inputs.pins import CHOICES
    from ...inputs.platforms import PLATFORMS

    project = State.project()
    if suite not in PLATFORMS:
        raise LabforgeError(Problem("--suite", f"unknown suite {suite!r}",
                                    f"use one of {', '.join(PLATFORMS)}"))
    if pin not in CHOICES:
        raise LabforgeError(Problem("--pin", f"unknown choice {pin[:40]!r}", f"use one of {', '.join(CHOICES)}"))
    concretizer = None
    if pin != "preferred":
        from ...spackbuild.pin import concretizer_for

        concretizer = concretizer_for(project, suite, required=pin == "concretized")
    try:
        with err.status(f"importing {spack_yaml.name}" + (" (spack concretizes the roots)" if concretizer else "")):
            plan = plan_import(project, spack_yaml, release_id, suite, tuple(skip_include), concretizer)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise LabforgeError(Problem("--id", first["msg"].removeprefix("Value error, "))) from None
    write_import(plan, force)
    out.print(f"wrote {project.rel(plan.release_path)} and {len(plan.new_tools)} stub tool submission(s)")
    stubs = sorted(project.rel(path) for path in plan.new_tools)
    for path in stubs[:10]:
        out.print(f"  needs metadata: {path}")
    if len(stubs) > 10:
        out.print(f"  needs metadata: {len(stubs) - 10} more in {project.rel(project.tools_dir)}/ "
                  "(needs_metadata: true)")
    for note in plan.notes:
        out.print(f"  check: {note}", soft_wrap=True)  # one line each, whatever the terminal
