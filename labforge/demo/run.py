"""`make demo`: the main job on the embedded defaults, from manifests to a published image.

check tools -> validate and render every release -> base image -> build -> test -> local
registry on 127.0.0.1:5000 -> publish -> catalog. A second run rebuilds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from rich.console import Console
from rich.table import Table

from ..core.errors import LabforgeError, Problem
from ..inputs.project import Project
from ..inputs.releases import load_release, release_ids
from ..inputs.tools import load_all
from ..render.record import NAME as RECORD
from ..render.record import parse_record
from ..render.release import render_release


@dataclass
class DemoOptions:
    release: str = "2026.11"
    registry: str | None = None  # HOST/PROJECT of a real registry; None: a local one
    port: int = 5000
    ca_certs: list[str] = field(default_factory=list)
    tls_verify: bool = True
    render_only: bool = False


def render_all(project: Project, console: Console) -> None:
    tools, problems = load_all(project)
    if problems:
        raise LabforgeError(problems)
    table = Table(title="labforge releases (validated and rendered)")
    for column in ("release", "channel", "tools", "tool versions", "kernel", "input digest"):
        table.add_column(column)
    for release_id in release_ids(project):
        loaded, found = load_release(project, release_id, tools)
        if found or loaded is None:
            raise LabforgeError(found)
        files = render_release(project, loaded, project.build_dir / "render" / release_id)
        digest = parse_record(files[RECORD], RECORD).input_digest
        table.add_row(release_id, loaded.release.channel, str(len(loaded.release.tools)), str(len(loaded.specs())),
                      loaded.release.kernel_name, digest[:19])
    console.print(table)


def run_demo(project: Project, options: DemoOptions, console: Console,
             progress: Callable[[str, Callable], object]) -> list[str]:
    """Returns the summary lines."""
    from ..catalog.store import load_catalog
    from ..catalog.tables import catalog_table
    from ..loopback.registry import local_registry
    from .tools import run_tool_demo

    render_all(project, console)
    if options.render_only:
        return ["rendered every release into build/render/ (--render-only)"]
    # The big example releases take hours to compile: the demo builds the notebook server image
    # of the release without tools, and a small tool release for real when spack can be had.
    from .tools import spack_for_demo

    no_spack = spack_for_demo(project, console)
    with_spack = no_spack is None
    summary = [f"{options.release}: built WITHOUT tools (--no-spack); its tools build with "
               f"'labforge release build {options.release}' (hours)"]
    if no_spack:
        console.print(f"tools: skipped, no spack here: {no_spack}")
        summary.append(f"tools: SKIPPED, no spack here ({no_spack})")
    catalog_path = project.build_dir / "demo" / "catalog.json"
    if options.registry:
        run_pipeline(project, options, console, progress, summary, options.registry, options.tls_verify,
                     catalog_path)
        if with_spack:
            summary += run_tool_demo(project, options.registry, options.tls_verify, options.ca_certs, console,
                                     progress, None)
    else:
        # The local registry runs for the whole pipeline: it is the spack build cache too.
        with local_registry(project.build_dir / "registry" / "storage", options.port,
                            project.build_dir / "logs" / "registry.log") as address:
            console.print(f"local registry on {address} (storage in build/registry, stopped at the end)")
            run_pipeline(project, options, console, progress, summary, f"{address}/lab", False, catalog_path)
            if with_spack:
                summary += run_tool_demo(project, f"{address}/lab", False, options.ca_certs, console, progress,
                                         project.build_dir / "registry" / "storage")
    console.print(catalog_table(load_catalog(catalog_path), project.rel(catalog_path)))
    return summary + gpu_note(project, options.release)


def gpu_note(project: Project, release_id: str) -> list[str]:
    """The release's GPU image is not built by the demo; say whether this machine could."""
    from ..buildah.notebook import require_gpu_base
    from ..core.errors import LabforgeError
    from ..inputs.releases import require_release

    gpu = require_release(project, release_id).release.gpu
    if gpu is None:
        return []
    try:
        require_gpu_base(f"{release_id}-gpu", gpu.base_image, True)
    except LabforgeError as exc:
        return [f"{release_id}-gpu: not built here: {exc.problems[0].message}"]
    return [f"{release_id}-gpu: not built by the demo; its CUDA base is reachable: "
            f"labforge release build {release_id}-gpu"]


def run_pipeline(project: Project, options: DemoOptions, console: Console, progress, summary: list[str],
                 registry: str, tls_verify: bool, catalog_path) -> None:
    """Build the release's notebook server image, test, publish."""
    from ..buildah.notebook import build_release
    from ..publish.release import publish
    from ..suites.image.runner import test_release

    result = progress(f"building {options.release}", lambda on_step: build_release(
        project, options.release, with_spack=False, ca_certs=options.ca_certs, on_step=on_step))
    summary.append(f"build: {'skipped, ' + result.skipped if result.skipped else f'built in {result.seconds:.0f} s'}")
    code = test_release(project, options.release, options.ca_certs)
    if code != 0:
        raise LabforgeError(Problem(f"lab:{options.release}", "image tests failed", "see above"))
    summary.append("test: the image suite passed")
    published = publish(project, options.release, registry, catalog_path, tls_verify=tls_verify,
                        on_step=lambda text: console.print(f"  {text}")).release
    summary.append(f"publish: {published.repository}@{published.digest[:19]} tags {', '.join(published.tags)}")
