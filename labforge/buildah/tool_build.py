"""`labforge tool build NAME[@VERSION] --release ID`: a tool developer's real build and test.

Concretize the tool version reusing the release's lock, install it with the build cache on top
of the release's image, run the tool's declared tests with its module loaded (as the notebook
user), and only then push its binaries to the cache. Exit codes fit a merge-request job:
0 passed, 1 bad input, 3 does not concretize, 4 does not build, 5 tests fail.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..core.atomic import write_tree
from ..core.errors import EXIT_BUILD, EXIT_CONCRETIZE, EXIT_TESTS, LabforgeError, Problem
from ..core.process import BUILDER_FLAKES, require, run
from ..inputs.project import Project
from ..locks.layers import layers_json, package_layer
from ..registry.names import local_notebook as local_reference
from ..render.release import base_image, context, spack_repo_files
from ..render.spackstage import STAGE_SCRIPT, stage_scripts
from ..render.templates import render
from ..spackbuild import spack_source
from ..spackbuild.cache import BuildCache, build_args, build_cache
from ..spackbuild.report import RETRY_LINE, SpackReport, failure_problem
from ..spackbuild.tool_env import Concretized, ToolTarget, concretize_tool, tool_environment
from .bud import build_command, build_secrets
from .store import local_config

TOOL_MODULES = "/opt/labforge/tool-modules"


class ToolBuildFailed(LabforgeError):
    """A failure of the tool itself (not of the input): carries the exit code for CI (core/errors.py)."""

    def __init__(self, problems, code: int):
        super().__init__(problems)
        self.exit_code = code

    @property
    def code(self) -> int:
        return self.exit_code


@dataclass
class ToolBuildResult:
    target: ToolTarget
    concretized: Concretized
    reference: str = ""
    spack: SpackReport = field(default_factory=SpackReport)
    tests: list[str] = field(default_factory=list)
    pushed: str | None = None
    cache: BuildCache | None = None
    seconds: float = 0.0
    log: Path | None = None


def tool_reference(target: ToolTarget) -> str:
    return f"localhost/labforge/tool-test:{target.tool.tool.name}-{target.version}-{target.release.release.id}"


def context_files(project: Project, target: ToolTarget, concretized: Concretized) -> dict[str, bytes]:
    ctx = context(project, target.release, True, "")
    lock = concretized.lock
    layers = [package_layer(lock, h) for h in concretized.new_installed]
    present = sorted(set(lock.runtime_closure()) - set(concretized.new_installed))
    module_root = f"{TOOL_MODULES}/{ctx['paths'].module_path.removeprefix(ctx['paths'].modules + '/')}"
    ctx |= {"stage_title": target.title, "stage_mode": "tool", "layers": layers, "module": target.module,
            "release_image": local_reference(target.release.release.id), "tool_modules": TOOL_MODULES,
            "tool_module_path": module_root, "tests": target.tool.tool.tests}
    tdir = project.template_dirs
    files = {
        "Containerfile": render(tdir, "Toolfile.j2", ctx).encode(),
        "spack.yaml": tool_environment(target),
        "spack.lock": lock.spack_lock_bytes(),
        "layers.json": layers_json(layers, present),
        **stage_scripts(project),
        STAGE_SCRIPT: render(tdir, f"{STAGE_SCRIPT}.j2", ctx).encode(),
        "tool-tests.sh": render(tdir, "tool-tests.sh.j2", ctx).encode(),
    }
    # The lab's own recipes, all of them: the tool may be one, or depend on one.
    recipes = [project.spack_repo / "repo.yaml"] + sorted(
        p for p in project.packages_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files | spack_repo_files({path.relative_to(project.root).as_posix(): path.read_bytes() for path in recipes})


def build_tool(project: Project, target: ToolTarget, *, ca_certs: list[str] | None = None,
               spack_cache: str | None = None, tls_verify: bool = True, unsigned_cache: bool = False,
               signing_key: Path | None = None, on_line: Callable[[str], None] | None = None) -> ToolBuildResult:
    start = time.monotonic()
    require("buildah")
    release_id = target.release.release.id
    if local_config(local_reference(release_id)) is None:
        raise LabforgeError(Problem(local_reference(release_id), "the release image is not built",
                                    f"build it first: labforge release build {release_id}"))
    spack_root = spack_source.locate_spack(project)
    cache = build_cache(spack_cache, tls_verify, unsigned_cache, signing_key)
    name = f"{target.tool.tool.name}-{target.version}-{release_id}"
    log = project.build_dir / "logs" / f"tool-{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    try:
        concretized = concretize_tool(project, target, log, on_line)
    except LabforgeError as exc:
        raise ToolBuildFailed(exc.problems, EXIT_CONCRETIZE) from None
    result = ToolBuildResult(target, concretized, tool_reference(target), cache=cache, log=log)
    folder = project.build_dir / "toolbuild" / name
    write_tree(folder, context_files(project, target, concretized), {STAGE_SCRIPT: 0o755},
               trees=spack_source.CONTEXT_TREES)
    spack_source.copy_into(folder, spack_root, spack_source.locate_packages(project))

    def line(text: str) -> None:
        result.spack.feed(text)
        if text.startswith(RETRY_LINE):
            result.tests.clear()
        elif text.startswith("labforge-test:"):
            result.tests.append(text.removeprefix("labforge-test: "))
        if on_line:
            on_line(text)

    def build(target_stage: str, tag: str, secrets: dict[str, Path]) -> None:
        command = build_command("buildah", "chroot", folder, tag, base_image(target.release), secrets,
                                project.settings.build.source_date_epoch, build_args(cache), target=target_stage)
        run(command, log=log, on_line=line, what=f"tool build of {target.title}", flakes=BUILDER_FLAKES)

    with build_secrets(project, ca_certs, cache, project.build_dir / "secrets" / f"tool-{name}") as secrets:
        try:
            build("tested", result.reference, secrets)
        except LabforgeError as exc:
            tests_ran = bool(result.tests)
            raise ToolBuildFailed(exc.problems + [failure_problem(target.title, log, tests_failed=tests_ran)],
                                  EXIT_TESTS if tests_ran else EXIT_BUILD) from None
        if cache is not None:
            build("pushed", f"localhost/labforge/tool-push:{name}", secrets)
            result.pushed = result.spack.pushed
    result.seconds = time.monotonic() - start
    return result
