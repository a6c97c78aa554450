"""The demo's tool part, when spack can be had: a small release built for real in minutes.

Two versions of py-six and py-packaging (sources on PyPI, pure Python), and R with IRkernel from
Debian's packages as spack externals (the release's R kernel, nothing compiled), locked, built
with the local registry as build cache, tested (modules and the R kernel included), and shown: `module avail` and
`module load` in the image. Then a one-tool change (py-six 1.16.0 added), built again: the
summary says how many packages were compiled and how many bytes reached the registry.
The big example releases stay for `labforge release build`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from rich.console import Console

from ..core.errors import LabforgeError, Problem
from ..inputs.project import Project

RELEASE = "2099.01"  # a demo-only release id, in a scratch copy of the project
TOOLS = {
    "py-six": ("https://github.com/benjaminp/six", "MIT", "six", ["1.17.0", "1.16.0"]),
    "py-packaging": ("https://github.com/pypa/packaging", "BSD-2-Clause", "packaging", ["25.0"]),
}
PROJECT_PARTS = ("labforge.yaml", "spack", "releases", "images")


def tool_yaml(name: str) -> str:
    home, license_, module, versions = TOOLS[name]
    listed = "".join(f'- version: "{v}"\n' for v in versions)
    return (f"name: {name}\npackage: {name}\nsummary: demo tool {name}\nhomepage: {home}\n"
            f"maintainers: [demo@example.org]\nlicense: {license_}\nversions:\n{listed}"
            f'default: "{versions[0]}"\ntests:\n  imports: [{module}]\n'
            # a Python library's batch image runs Python with it loaded
            "command: python3\n")


# R from Debian's packages as spack externals (nothing compiled, no CRAN): the release's R kernel.
R_TOOLS = {
    "r": ("4.2.2", "R, the language for statistics (Debian's r-base-core, a spack external)", "R --version"),
    "r-irkernel": ("1.3.2", "IRkernel, the Jupyter kernel for R (Debian's r-cran-irkernel, a spack external)",
                   "Rscript -e 'library(IRkernel)'"),
}
# what the manifest says for them: the Debian packages, the externals, the tools
R_BASE = ("base:\n  packages: [r-base-core, r-cran-irkernel]\npackages:\n"
          + "".join(f'  {name}:\n    buildable: false\n    externals:\n    - spec: "{name}@{version}"\n      prefix: /usr\n'
                    for name, (version, _, _) in R_TOOLS.items()))
R_RELEASE_TOOLS = "".join(f'- name: {name}\n  versions: ["{version}"]\n' for name, (version, _, _) in R_TOOLS.items())


def r_tool_yaml(name: str) -> str:
    version, summary, check = R_TOOLS[name]
    return (f"name: {name}\npackage: {name}\nsummary: {summary}\nhomepage: https://www.r-project.org\n"
            f'maintainers: [demo@example.org]\nlicense: GPL-2.0-or-later\nversions:\n- version: "{version}"\n'
            f'default: "{version}"\ntests:\n  commands: ["{check}"]\ncommand: Rscript\n')


def manifest(six_versions: list[str], release_id: str = RELEASE, with_r: bool = False) -> str:
    """The small release; `with_r`: R and IRkernel too, as externals from Debian's packages."""
    listed = ", ".join(f'"{v}"' for v in six_versions)
    return (f'id: "{release_id}"\nchannel: stable\npython: "3.11"\n' + (R_BASE if with_r else "")
            + f'tools:\n- name: py-six\n  versions: [{listed}]\n  default: "1.17.0"\n'
            + '- name: py-packaging\n  versions: ["25.0"]\n' + (R_RELEASE_TOOLS if with_r else "")
            # the demo's image offers users' own spack environments (lab-env --spack)
            + ("environments:\n  spack: true\n" if with_r else "")
            + "notes: The demo's small release (labforge demo).\n")


def small_release_project(source: Project, root: Path, release_id: str = RELEASE,
                          extra_tools: dict[str, str] | None = None) -> Project:
    """A copy of `source`'s settings, submissions, releases and templates at `root` (new), with
    the demo tools (plus `extra_tools`: name -> submission text) and the demo release."""
    root.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        path = source.root / part
        (shutil.copytree if path.is_dir() else shutil.copy2)(path, root / part)
    tools = {name: tool_yaml(name) for name in TOOLS} | (extra_tools or {})
    for name, text in tools.items():
        (root / "spack" / "tools" / f"{name}.yaml").write_text(text)
    (root / "releases" / f"{release_id}.yaml").write_text(manifest(["1.17.0"], release_id))
    return Project(root)


def demo_project(project: Project) -> Project:
    """A fresh scratch copy under build/demo/project with the demo tools and release."""
    root = project.build_dir / "demo" / "project"
    marker = root / ".labforge-demo-project"
    if root.exists() and not marker.exists():
        raise LabforgeError(Problem(str(root), "exists but is not the demo's scratch project",
                                    "move it away; the demo makes this directory anew each run"))
    shutil.rmtree(root, ignore_errors=True)  # the demo's own scratch copy (it has the marker)
    demo = small_release_project(project, root, extra_tools={name: r_tool_yaml(name) for name in R_TOOLS})
    (demo.releases_dir / f"{RELEASE}.yaml").write_text(manifest(["1.17.0"], with_r=True))
    marker.write_text("labforge demo scratch project: replaced on every run\n")
    demo.build_dir.mkdir(parents=True, exist_ok=True)
    return demo


def spack_for_demo(project: Project, console: Console) -> str | None:
    """Make the pinned spack and its recipes available to the demo (SPACK_ROOT and
    SPACK_PACKAGES_ROOT, or clones of the pinned tags in build/cache) and export them for the
    demo's scratch project; None when that worked, else why not, in one line."""
    from ..spackbuild.concretize import pinned_spack

    try:
        with console.status("finding the pinned spack and its recipes (cloned once into build/cache)"):
            spack_root, packages, _ = pinned_spack(project)
    except LabforgeError as exc:
        problem = exc.problems[0]
        return f"{problem.message}; {problem.hint}" if problem.hint else problem.message
    os.environ["SPACK_ROOT"], os.environ["SPACK_PACKAGES_ROOT"] = str(spack_root), str(packages)
    return None


def show_modules(release_id: str, console: Console, commands: list[str]) -> None:
    """`module avail` and `module load` as a notebook user would see them in the image."""
    from ..buildah.store import mounted, require_local_image
    from ..core.process import run

    reference, config = require_local_image(release_id)
    exports = " ".join(f"'{variable}'" for variable in config["Env"])
    with mounted(reference) as rootfs:
        for command in commands:
            script = f"export {exports}; source /usr/share/lmod/lmod/init/bash; {command} 2>&1"
            output = run(["chroot", str(rootfs), "/bin/bash", "-c", script], check=False).stdout.strip()
            console.print(f"  [bold]$ {command}[/bold]")
            for line in output.splitlines():
                console.print(f"    {line}")


def run_tool_demo(project: Project, registry: str, tls_verify: bool, ca_certs: list[str], console: Console,
                  progress, registry_storage: Path | None) -> list[str]:
    """Lock, build, test, publish the demo release; then one tool change. Summary lines."""
    from ..buildah.notebook import build_release
    from ..publish.release import publish
    from ..spackbuild.cache import default_location
    from ..spackbuild.concretize import lock_release
    from ..suites.image.runner import test_release

    demo = demo_project(project)
    catalog = demo.build_dir / "catalog.json"
    summary = []

    def cycle(title: str) -> None:
        lock = progress(f"locking {RELEASE} ({title})", lambda on_step: lock_release(
            demo, RELEASE, on_line=lambda text: on_step("spack concretize", 0, 0, text.strip()[:70])))
        console.print(f"{title}: locked {lock.nodes} packages in {lock.seconds:.0f} s")
        before = disk_bytes(registry_storage)
        result = progress(f"building {RELEASE} ({title})", lambda on_step: build_release(
            demo, RELEASE, ca_certs=ca_certs, on_step=on_step, force=True, spack_cache=default_location(registry),
            tls_verify=tls_verify, unsigned_cache=registry.startswith("127.0.0.1")))
        console.print(f"testing {RELEASE} ({title}): the image suite, modules included")
        if test_release(demo, RELEASE, ca_certs) != 0:
            raise LabforgeError(Problem(f"lab:{RELEASE}", "image tests failed", "see above"))
        publish(demo, RELEASE, registry, catalog, tls_verify=tls_verify, on_step=lambda text: console.print(f"  {text}"))
        pushed = disk_bytes(registry_storage) - before if registry_storage else None
        shown = f"{pushed / 1e6:.1f} MB reached the registry" if pushed is not None else "pushed"
        compiled = ", ".join(result.spack.compiled_names) or "nothing"
        summary.append(f"tools ({title}): {result.spack.summary()}; compiled: {compiled}; {shown}; "
                       f"{result.seconds:.0f} s")
        summary.append(batch_cycle(demo, registry, tls_verify, ca_certs, catalog, registry_storage, console))

    version = "python3 -c 'import six; print(\"six\", six.__version__)'"
    cycle("demo release")
    r_kernel = "Rscript -e 'library(IRkernel); cat(R.version.string, \"with IRkernel\", \"\\n\")'"
    show_modules(RELEASE, console, ["module -t avail", f"module load py-six && module -t list && {version}",
                                    f"module load r-irkernel && {r_kernel}"])
    (demo.releases_dir / f"{RELEASE}.yaml").write_text(manifest(["1.17.0", "1.16.0"], with_r=True))
    cycle("one tool version added")
    show_modules(RELEASE, console, ["module -t avail", f"module load py-six/1.16.0 && module -t list && {version}"])
    from ..catalog.store import load_catalog
    from ..catalog.tables import tool_images_table

    console.print(tool_images_table(load_catalog(catalog), project.rel(catalog)))
    return summary


def batch_cycle(demo: Project, registry: str, tls_verify: bool, ca_certs: list[str], catalog: Path,
                storage: Path | None, console: Console) -> str:
    """The release's batch tool images: built from the same context, tested, pushed to HOST/tools."""
    from ..buildah.batch import build_batch
    from ..publish.release import publish
    from ..spackbuild.cache import default_location
    from ..suites.image.runner import test_batch_images

    batch = build_batch(demo, RELEASE, ca_certs=ca_certs, force=True, spack_cache=default_location(registry),
                        tls_verify=tls_verify, unsigned_cache=registry.startswith("127.0.0.1"),
                        on_image=lambda ref: console.print(f"  building batch image {ref}"))
    console.print("  testing the batch images")
    failed = [ref for ref, code in test_batch_images(demo, RELEASE, ca_certs).items() if code != 0]
    if failed:
        raise LabforgeError([Problem(ref, "batch image tests failed", "see above") for ref in failed])
    before = disk_bytes(storage)
    published = publish(demo, RELEASE, registry, catalog, notebook=False, tools=True, tls_verify=tls_verify).tools
    added = disk_bytes(storage) - before if storage else None
    for item in published:
        console.print(f"  batch image {item.reference}")
    shown = f"{added / 1e6:.1f} MB new in the registry (their package layers are the notebook image's)" \
        if added is not None else "pushed"
    return f"batch tool images: {len(batch.built)} built, tested and pushed; {shown}"


def disk_bytes(storage: Path | None) -> int:
    """Bytes stored under `storage` (a registry's storage: what pushes added); 0 when absent."""
    if storage is None or not storage.exists():
        return 0
    return sum(p.stat().st_size for p in storage.rglob("*") if p.is_file())
