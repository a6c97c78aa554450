"""Two small stacks from spack's own CI, as a lab moving to labforge takes them: `release import`
(build_systems pinned as spack concretizes it, tools-sdk to the recipes' preferred versions), a
person's review of the stubs, then `release lock` by the real spack."""

from __future__ import annotations

import pytest
import yaml

from labforge.inputs.project import Project
from labforge.inputs.specs import parse
from labforge.locks.lockfile import release_lock
from tests.helpers.project import copy_project, run_cli
from tests.helpers.spack_marks import needs_spack
from tests.helpers.spack_stacks import spack_packages

pytestmark = needs_spack


def test_build_systems_imports_with_concretized_pins_and_locks(tmp_path):
    recipes = spack_packages(tmp_path / "recipes")
    if recipes is None:
        pytest.skip("no pinned spack-packages with stacks here")
    project = copy_project(tmp_path / "project")
    stack = recipes / "stacks" / "build_systems" / "spack.yaml"
    imported = run_cli(project, "release", "import", str(stack), "--id", "2031.02", "--pin", "concretized",
                       "--skip-include", "../../.ci/gitlab/")
    assert imported.code == 0, imported.stderr
    said = [line for line in imported.stdout.splitlines() if "(spack concretized it so)" in line]
    assert len(said) == 8, imported.stdout  # every root was unpinned: each said once
    assert "r-irkernel@1.3.2 added: the release's R kernel runs it" in imported.stdout
    manifest = yaml.safe_load((project / "releases" / "2031.02.yaml").read_text())
    for stub in (project / "spack" / "tools").glob("*.yaml"):  # the release manager's review
        stub.write_text(stub.read_text().replace("needs_metadata: true\n", ""))
    locked = run_cli(project, "release", "lock", "2031.02")
    assert locked.code == 0, locked.stderr
    lock = release_lock(Project(project), "2031.02")
    roots = {parse(spec).name: parse(spec).version for spec, _ in lock.roots}
    assert roots == {t["name"]: t["versions"][0] for t in manifest["tools"]}  # the pins are what spack builds
    assert run_cli(project, "release", "validate", "2031.02").code == 0


def test_tools_sdk_imports_with_preferred_pins_and_locks(tmp_path):
    """The second small stack, pinned without spack (the recipes' preferred versions, read with
    ast): real spack locks what the recipes prefer. Its includes are a URL and spack CI's own."""
    recipes = spack_packages(tmp_path / "recipes")
    if recipes is None:
        pytest.skip("no pinned spack-packages with stacks here")
    project = copy_project(tmp_path / "project")
    stack = recipes / "stacks" / "tools-sdk" / "spack.yaml"
    url = next(line.split("path: ", 1)[1].strip() for line in stack.read_text().splitlines() if "path: https://" in line)
    imported = run_cli(project, "release", "import", str(stack), "--id", "2031.03", "--pin", "preferred",
                       "--skip-include", url, "--skip-include", "../../.ci/gitlab/")
    assert imported.code == 0, imported.stderr
    pinned = [line for line in imported.stdout.splitlines() if "(the recipe's preferred version)" in line]
    assert len(pinned) == 6, imported.stdout  # darshan-runtime, darshan-util, dyninst, hpctoolkit, papi, tau
    for stub in (project / "spack" / "tools").glob("*.yaml"):  # the release manager's review
        stub.write_text(stub.read_text().replace("needs_metadata: true\n", ""))
    locked = run_cli(project, "release", "lock", "2031.03")
    assert locked.code == 0, locked.stderr
    manifest = yaml.safe_load((project / "releases" / "2031.03.yaml").read_text())
    roots = {parse(spec).name: parse(spec).version for spec, _ in release_lock(Project(project), "2031.03").roots}
    assert roots == {t["name"]: t["versions"][0] for t in manifest["tools"]}
