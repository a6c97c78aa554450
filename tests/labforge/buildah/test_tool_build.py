"""`labforge tool build` without spack: the tool's environment, the build context it renders
(lint-clean Containerfile and test script), failure reports and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from labforge.buildah.tool_build import context_files
from labforge.core.errors import LabforgeError
from labforge.inputs.project import Project
from labforge.spackbuild.report import failure_problem, failure_tail
from labforge.spackbuild.tool_env import Concretized, resolve, tool_environment
from tests.helpers.locks import with_new_tool_version
from tests.helpers.project import REPO, hadolint


@pytest.fixture(scope="module")
def target():
    return resolve(Project(REPO), "nest@2.20.1", "2026.11")


@pytest.fixture(scope="module")
def files(target):
    lock = with_new_tool_version(target.release_lock, "nest", "3.1", new_deps=2)
    in_image = set(target.release_lock.runtime_closure())
    adds = [h for h in lock.runtime_closure() if h not in in_image]
    concretized = Concretized(lock, sorted(set(target.release_lock.nodes)), adds, adds, 1.0)
    return context_files(Project(REPO), target, concretized), adds


def test_resolve_defaults_and_refusals(target):
    project = Project(REPO)
    assert (target.version, target.module) == ("2.20.1", "nest/2.20.1")
    assert resolve(project, "nest", None).version == "3.0"  # the tool's default, newest stable release
    assert resolve(project, "nest", None).release.release.id == "2026.11"
    with pytest.raises(LabforgeError, match="not offered"):
        resolve(project, "nest@9.9", "2026.11")
    with pytest.raises(LabforgeError, match="no release"):
        resolve(project, "nest", "2031.01")


def test_tool_environment_has_one_root_and_reuses_the_release(target):
    env = yaml.safe_load(tool_environment(target, "/scratch/release"))["spack"]
    assert env["specs"] == [target.spec] and env["modules"]["default"]["lmod"]["defaults"] == [target.spec]
    assert env["concretizer"]["reuse"] == {"roots": True, "from": [{"type": "environment", "path": "/scratch/release"}]}
    assert env["packages"] == yaml.safe_load(target.release_yaml)["spack"]["packages"]  # same externals, target
    image = yaml.safe_load(tool_environment(target))["spack"]
    assert image["concretizer"]["reuse"] is False  # the image installs a lock: no solving there


def test_context_adds_only_new_packages_on_the_release_image(files, target):
    rendered, adds = files
    plan = json.loads(rendered["layers.json"])
    assert [h for layer in plan["layers"] for h in layer["hashes"]] == adds and len(adds) == 3
    assert plan["strict"] is False and set(plan["present"]).isdisjoint(adds)
    text = rendered["Containerfile"].decode()
    assert "FROM ${RELEASE_IMAGE} AS tool" in text and "ARG RELEASE_IMAGE=localhost/labforge/lab:2026.11" in text
    assert "spack-stage.sh tool" in text and "spack-stage.sh push" in text
    assert text.index("AS tested") < text.index("AS pushed") and "COPY --from=tested" in text
    assert "ARG SPACK_CACHE=" in text[text.index("AS pushed"):]  # the push stage sees the cache
    assert "MODULEPATH=/opt/labforge/tool-modules/linux-debian12-x86_64/Core:/opt/software/modules/" in text
    tests = rendered["tool-tests.sh"].decode()
    assert "module load nest/2.20.1" in tests and "import nest" in tests and "'labforge-test: nest --version'" in tests
    assert "spack-repo/packages/py-spikeutils/package.py" in rendered


def lint(tool: str, args: list[str], path: Path) -> subprocess.CompletedProcess:
    binary = shutil.which(tool) or str(Path(os.sys.executable).parent / tool)
    return subprocess.run([binary, *args, str(path)], capture_output=True, text=True)


def test_tool_containerfile_passes_hadolint(files, tmp_path):
    proc = hadolint(files[0]["Containerfile"].decode(), tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck is installed by 'make test'")
def test_tool_test_script_passes_shellcheck(files, tmp_path):
    path = tmp_path / "tool-tests.sh"
    path.write_bytes(files[0]["tool-tests.sh"])
    proc = lint("shellcheck", ["--severity=style"], path)
    assert proc.returncode == 0, proc.stdout


def test_failure_names_the_package_and_keeps_the_tail(tmp_path):
    log = tmp_path / "build.log"
    log.write_text("\n".join([f"line {i}" for i in range(50)] + [
        "==> Installing py-broken-1.0-abcdefghijklmnopqrstuvwxyz234567 [3/4]",
        "==> Error: ProcessError: Command exited with status 1:",
        "==> Error: py-broken-1.0-abcdefghijklmnopqrstuvwxyz234567: Failed to install py-broken",
        "See build log for details:", "  /tmp/spack-stage/spack-build-out.txt",
        "Error: building at STEP \"RUN ...\": exit status 1"]))
    package, tail = failure_tail(log, lines=10)
    assert package == "py-broken"
    assert tail.splitlines()[-1].startswith("Error: building at STEP") and len(tail.splitlines()) == 10
    # the line a failed release or tool build ends with
    release = failure_problem("2026.11", log, kept="; 3 packages it compiled are in the build cache")
    assert release.message.startswith("spack failed on py-broken; 3 packages it compiled are in the build cache; "
                                      "the build output ends:\n") and release.hint == f"full log: {log}"
    assert failure_problem("nest@3.0", log, tests_failed=True).message.startswith("its tests failed; ")
    log.write_text("nothing spack said\n")
    assert failure_problem("nest@3.0", log).message.startswith("the build failed; ")


def test_tool_build_bad_input_is_exit_1_without_spack(cli, project):
    result = cli(project, "tool", "build", "nest@9.9", "--release", "2026.11")
    assert result.code == 1 and "not offered" in result.stderr and "Traceback" not in result.stderr
    unknown = cli(project, "tool", "build", "no-such-tool")
    assert unknown.code == 1 and "Traceback" not in unknown.stderr


def test_changed_tools_from_submissions_and_recipes():
    from labforge.inputs.changes import changed_tools

    paths = ["spack/tools/nest.yaml", "spack/packages/py-spikeutils/package.py", "README.md",
             "spack/repo.yaml", "releases/2026.11.yaml"]
    assert changed_tools(Project(REPO), paths) == ["nest", "py-spikeutils"]
    assert changed_tools(Project(REPO), ["labforge/cli/__init__.py"]) == []


def test_example_ci_job_uses_the_commands_that_exist():
    text = (REPO / "examples" / "ci" / "tool-merge-request.gitlab-ci.yml").read_text()
    jobs = yaml.safe_load(text)
    assert {"tool-check", "tool-build"} <= set(jobs)
    script = " ".join(jobs["tool-build"]["script"]) + " ".join(jobs["tool-check"]["script"])
    for command in ("labforge tool changed", "labforge tool check", "labforge tool build", "--concretize"):
        assert command in script
