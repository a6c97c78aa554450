"""`lab-env --spack` with the pinned spack: a release's tree (fake-installed, build-only packages
collected, its database written as the image has it) is the upstream of a user's environment;
the user's package is the one thing compiled, its module sits beside the release's, a second
build compiles only what is new, rollback and failures keep a usable build, bad input is refused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from labforge.render.layout import ImagePaths
from labforge.render.userspack import user_spack_config
from labforge.suites.image.helpers import recipe
from tests.helpers.fake_install import LMOD_INIT, fake_install, spack
from tests.helpers.project import REPO
from tests.helpers.spack_marks import SPACK_ROOT, needs_spack
from tests.helpers.spack_release import small_project

pytestmark = needs_spack
SHIPPED = REPO / "images" / "notebook" / "files"
BUILDER = REPO / "images" / "builder" / "files"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The release's tree as the image holds it, the user's recipes and a home with a Drive."""
    root = tmp_path_factory.mktemp("lab-env-spack")
    project = small_project(root / "project")
    tree = root / "release"
    core = fake_install("2030.02", tree, project=project, collect=True)
    subprocess.run(["python3", str(BUILDER / "spack-modules.py"), str(tree / "modules")], check=True)
    # the database as the image has it (spack-layers.py upstream), over the tree's own
    database = tree / "software" / ".spack-db" / "index.json"
    installed = json.loads(database.read_text())["database"]["installs"]
    plan = root / "layers.json"
    plan.write_text(json.dumps({"layers": [{"name": "all", "hashes": [h for h, r in installed.items()
                                                                      if r["installed"] and r["spec"]["name"] != "py-pip"]}]}))
    done = spack("-C", str(tree / "scope"), "-e", str(tree / "env"), "python", str(BUILDER / "spack-layers.py"),
                 "upstream", str(plan), str(root / "upstream"), cwd=tree)
    assert done.returncode == 0 and "installed packages in the image's spack database" in done.stdout, done.stderr
    database.write_bytes((root / "upstream/.spack-db/index.json").read_bytes())
    config = root / "user-spack.json"
    config.write_text(user_spack_config((tree / "env" / "spack.yaml").read_text(),
                                        ImagePaths(software=str(tree / "software"), modules=str(tree / "modules"))))
    repo = root / "my-recipes"
    recipe(repo, "py-lab-hello", depends=("py-six@1.17.0",))
    recipe(repo, "py-lab-extra")
    recipe(repo, "py-lab-broken", fails=True)
    # a short home, as /home/jovyan is: spack's scripts name the tree in their first line (127 at most)
    home = Path(tempfile.mkdtemp(prefix="lab-env-home-"))
    (home / "drive").mkdir()
    (home / ".cache").mkdir()
    yield {"home": home, "repo": repo, "tree": tree, "config": config, "core": core}
    shutil.rmtree(home)


def lab_env(lab, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(lab["home"]), "LAB_ENV_SPACK_ROOT": SPACK_ROOT,
           "LAB_ENV_SPACK_PYTHON": os.environ.get("SPACK_PYTHON", sys.executable),
           "LAB_ENV_SPACK_CONFIG": str(lab["config"]), "LAB_ENV_SPACK_UPSTREAM": str(lab["tree"] / "software"),
           "LAB_ENV_SPACK_MODULE_TOOL": str(BUILDER / "spack-modules.py"),
           "LAB_ENV_SPACK_SCOPE": str(lab["tree"] / "scope")}  # only the builtin recipes' place
    return subprocess.run([sys.executable, str(SHIPPED / "lab_env.py"), *args], env=env, capture_output=True,
                          text=True, timeout=900)


def module(lab, command: str) -> str:
    path = f"{lab['core']}:{lab['home']}/drive/.lab-envs/modules"
    done = subprocess.run(["bash", "-c", f"export MODULEPATH={path}; source {LMOD_INIT}; {{ {command}; }} 2>&1"],
                          capture_output=True, text=True, timeout=120)
    return done.stdout


def test_a_spack_environment_compiles_only_what_the_release_lacks(lab):
    done = lab_env(lab, "create", "mine", "--spack", "py-lab-hello@1.0", "--repo", str(lab["repo"]))
    assert done.returncode == 0, done.stderr
    assert "1 compiled (py-lab-hello-1.0-" in done.stdout and "from the release" in done.stdout, done.stdout
    record = json.loads((lab["home"] / "drive/.lab-envs/envs/mine/current/record.json").read_text())
    assert record["kind"] == "spack" and record["modules"] == ["py-lab-hello/1.0"]
    assert "py-six@1.17.0" in record["from_release"]
    available = module(lab, "module -t avail")
    assert "py-lab-hello/1.0" in available and "py-six/1.17.0" in available, available
    loaded = module(lab, "module load py-lab-hello/1.0 && module -t list && echo PYTHONPATH=$PYTHONPATH")
    assert "py-six/1.17.0" in loaded and "python/" not in loaded  # the release's hidden python inlined
    assert "py-lab-hello-1.0-" in loaded
    kernel = json.loads((lab["home"] / "drive/.lab-envs/kernels/lab-env-mine/kernel.json").read_text())
    assert kernel["argv"][0] == "/opt/labforge/kernel/launch.sh"
    assert kernel["env"]["LAB_ENV_MODULES"] == "py-lab-hello/1.0"


def test_a_second_build_compiles_only_what_is_new_and_rolls_back(lab):
    done = lab_env(lab, "add", "mine", "--spack", "py-lab-extra@1.0")
    assert done.returncode == 0, done.stderr
    assert "1 compiled (py-lab-extra-1.0-" in done.stdout, done.stdout
    assert "py-lab-extra/1.0" in module(lab, "module -t avail")
    broken = lab_env(lab, "add", "mine", "--spack", "py-lab-broken@1.0")
    assert broken.returncode == 1 and broken.stderr.startswith("lab-env: spack install:"), broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1
    listed = lab_env(lab, "list").stdout
    assert "mine  spack  build 2 of 2" in listed, listed
    assert lab_env(lab, "rollback", "mine").returncode == 0
    available = module(lab, "module -t avail")
    assert "py-lab-hello/1.0" in available and "py-lab-extra" not in available


def test_a_groups_spack_environment_brings_its_module_folder_to_its_kernel(lab):
    group = lab["home"] / "drive" / "Shared with groups" / "collab-neuro"
    group.mkdir(parents=True)
    done = lab_env(lab, "--group", "collab-neuro", "create", "shared", "--spack", "py-lab-extra@1.0",
                   "--repo", str(lab["repo"]))
    assert done.returncode == 0, done.stderr
    assert "1 compiled (py-lab-extra-1.0-" in done.stdout and "shared (collab-neuro's environment)" in done.stdout
    farm = group / ".lab-envs" / "modules"
    kernel = json.loads((group / ".lab-envs/kernels/lab-env-collab-neuro--shared/kernel.json").read_text())
    assert kernel["env"]["LAB_ENV_MODULEPATH"] == str(farm) and kernel["env"]["LAB_ENV_MODULES"] == "py-lab-extra/1.0"
    assert "py-lab-extra/1.0" in module(lab, f'module use "{farm}" && module -t avail')  # a path with spaces
    assert "py-lab-extra" not in module(lab, "module -t avail")  # not among the user's own
    long_group = group.parent / ("g" * 63)
    long_group.mkdir()
    refused = lab_env(lab, "--group", "g" * 63, "create", "x" * 40, "--spack", "py-lab-extra@1.0")
    assert refused.returncode == 1 and "choose a shorter environment name" in refused.stderr, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and list(long_group.iterdir()) == []


@pytest.mark.parametrize("args, says", [
    (["create", "x", "--spack", "py-six; rm -rf ~"], "is not a spack spec"),
    (["create", "x", "--spack", "py-six ^zlib -Cfoo"], "is not a spack spec"),
    (["create", "x", "--spack", "py-six@1.16.0", "--repo", "/nonexistent"], "not a folder"),
    (["create", "x", "--spack", "py-six/abcdef"], "is not a spack spec"),
    (["create", "x", "--spack", "py-six@1.16.0", "--wheel", "/tmp/x.whl"], "--wheel is for Python environments"),
    (["create", "x", "py-six", "--repo", "/tmp"], "--repo is for spack environments"),
    (["--group", "g", "create", "x", "--spack", "py-six"], "no group folder"),
])
def test_bad_spack_input_is_refused_in_one_line_and_writes_nothing(lab, args, says):
    before = sorted(p.name for p in (lab["home"] / "drive").rglob("*"))
    done = lab_env(lab, *args)
    assert done.returncode != 0 and says in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert sorted(p.name for p in (lab["home"] / "drive").rglob("*")) == before


def test_a_repository_with_a_link_or_a_borrowed_namespace_is_refused(lab, tmp_path):
    for namespace, link in (("builtin", False), ("mine2", True)):
        repo = tmp_path / namespace
        (repo / "packages").mkdir(parents=True)
        (repo / "repo.yaml").write_text(f"repo:\n  namespace: {namespace}\n")
        if link:
            (repo / "packages" / "evil").symlink_to("/etc")
        done = lab_env(lab, "create", "y", "--spack", "py-lab-extra@1.0", "--repo", str(repo))
        assert done.returncode == 1 and ("namespace" in done.stderr or "is a link" in done.stderr), done.stderr
    assert not (lab["home"] / "drive/.lab-envs/envs/y").exists()
