"""A stack from spack's own CI, imported as spack concretizes it and locked by the real spack:
`release import --pin concretized`, a person's review of the stubs, then `release lock`."""

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
