"""`lab-env --spack` in a release image that offers it (environments.spack): the image's spack,
compilers and tree. A user's recipe on the release's py-six is the one package compiled; its
module is listed beside the release's and its kernel runs it with the release's six."""

from __future__ import annotations

import json
import subprocess

import pytest

from labforge.suites.image.helpers import as_user, recipe, sh
from labforge.suites.image.test_lab_env import run_in_kernel

RECIPES = "/tmp/lab-env-recipes"


@pytest.fixture(scope="module")
def user(host, image_config, settings, rootfs, release):
    if not (rootfs / "opt/labforge/user-spack.json").is_file():
        pytest.skip("this release offers no spack environments (environments.spack)")
    if not any(tool.name == "py-six" for tool in release.tools):
        pytest.skip("the check's recipe builds on the release's py-six")
    recipe(rootfs / RECIPES.lstrip("/"), "py-lab-hello", depends=("py-six",))
    home = f"/home/{settings.get('user', 'jovyan')}"
    env = [e for e in image_config["Env"] if not e.startswith("HOME=")] + [f"HOME={home}"]
    # spack reads the machine's CPU from /proc, which a container has and a bare chroot lacks
    proc = rootfs / "proc"
    mounted = subprocess.run(["mountpoint", "-q", str(proc)]).returncode != 0
    if mounted:
        subprocess.run(["mount", "-t", "proc", "proc", str(proc)], check=True)
    try:
        yield as_user(settings.get("uid", 1000), env), home
    finally:
        sh(host, f"rm -rf {home}/drive/.lab-envs {home}/.cache/lab-env-spack* {RECIPES} /tmp/lab-env-stage")
        if mounted:
            subprocess.run(["umount", str(proc)], check=True)


def test_a_spack_environment_compiles_one_package_and_its_kernel_runs_it(host, user):
    prefix, home = user
    made = sh(host, f"{prefix} lab-env create mine --spack py-lab-hello@1.0 --repo {RECIPES}")
    assert made.rc == 0, made.stderr[-2000:]
    assert "1 compiled (py-lab-hello-1.0-" in made.stdout, made.stdout
    record = json.loads(host.file(f"{home}/drive/.lab-envs/envs/mine/current/record.json").content_string)
    assert any(spec.startswith("py-six@") for spec in record["from_release"]), record
    avail = sh(host, f"{prefix} bash -c 'source /usr/share/lmod/lmod/init/bash; module -t avail 2>&1'").stdout
    assert "py-lab-hello/1.0" in avail and "py-six/" in avail, avail
    code = "import traceback\ntry:\n    import py_lab_hello\n    print(py_lab_hello.GREETING)\nexcept Exception:\n" \
           "    traceback.print_exc()"  # a failed import shows in the assertion
    seen = run_in_kernel(host, prefix, "lab-env-mine", code)
    assert seen["stdout"].startswith("hello from py_lab_hello on six "), seen
