"""No compiled work is lost (real spack, real registry as the build cache): a release whose own
recipe depends on the other tools fails on purpose; every package that did install is in the
cache already; fixed, re-locked and rebuilt with no layer cache, only the fixed package compiles.
A package whose push was cut off (blobs without a manifest) is compiled again, not a failure."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

from labforge.core.errors import LabforgeError
from labforge.demo.tools import small_release_project
from labforge.inputs.project import Project
from tests.helpers.project import HOST_CA, REPO
from tests.helpers.spack_marks import needs_spack_images

pytestmark = needs_spack_images
RELEASE = "2099.02"
RECIPE = '''from spack.package import *


class PyLabjoin(Package):
    """The lab's glue over its other tools (a test recipe)."""

    homepage = "https://lab.example.org/labjoin"
    has_code = False

    version("1.0")

    depends_on("python", type=("build", "run"))
    depends_on("py-six", type=("build", "run"))
    depends_on("py-packaging", type=("build", "run"))

    def install(self, spec, prefix):
        {body}
'''
FAILING = 'raise InstallError("py-labjoin fails on purpose")'
FIXED = 'mkdirp(prefix.lib)\n        with open(join_path(prefix.lib, "labjoin.txt"), "w") as f:\n            f.write("joined\\n")'
TOOL = ("name: py-labjoin\npackage: py-labjoin\nsummary: the lab's glue\nhomepage: https://lab.example.org/labjoin\n"
        'maintainers: [t@example.org]\nlicense: MIT\nversions:\n- version: "1.0"\ndefault: "1.0"\n')
MANIFEST = (f'id: "{RELEASE}"\nchannel: stable\npython: "3.11"\ntools:\n- name: py-six\n  versions: ["1.17.0"]\n'
            '- name: py-packaging\n  versions: ["25.0"]\n- name: py-labjoin\n  versions: ["1.0"]\n')


def project_with_recipe(root: Path, body: str) -> Project:
    project = small_release_project(Project(REPO), root, RELEASE, {"py-labjoin": TOOL})
    set_recipe(project, body)
    (project.releases_dir / f"{RELEASE}.yaml").write_text(MANIFEST)
    return project


def set_recipe(project: Project, body: str, name: str = "py-labjoin", recipe: str = RECIPE) -> None:
    folder = project.packages_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.py").write_text(recipe.replace("{body}", body))


# A new tool outside the release, for `tool build`: it needs a new lab package too.
TOOL_RECIPE = RECIPE.replace("PyLabjoin", "PyLabtool").replace("glue over its other tools", "newest tool") \
    .replace('depends_on("py-packaging", type=("build", "run"))', 'depends_on("py-labbase", type=("build", "run"))')
BASE_RECIPE = RECIPE.replace("PyLabjoin", "PyLabbase").replace("glue over its other tools", "shared base") \
    .replace('    depends_on("py-six", type=("build", "run"))\n', "") \
    .replace('    depends_on("py-packaging", type=("build", "run"))\n', "")


def cache_tags(address: str) -> set[str]:
    with urllib.request.urlopen(f"http://{address}/v2/spack-cache/buildcache/tags/list", timeout=10) as answer:
        return set(json.load(answer).get("tags") or [])


def test_a_failed_release_build_keeps_what_it_compiled(tmp_path):
    from labforge.buildah.notebook import build_release
    from labforge.loopback.registry import local_registry
    from labforge.spackbuild.concretize import lock_release

    project = project_with_recipe(tmp_path / "project", FAILING)
    lock_release(project, RELEASE)
    with local_registry(tmp_path / "registry") as address:
        def build():
            return build_release(project, RELEASE, ca_certs=HOST_CA, force=True, no_cache=True, tls_verify=False,
                                 spack_cache=f"{address}/spack-cache/buildcache", unsigned_cache=True)

        with pytest.raises(LabforgeError) as failed:
            build()
        text = str(failed.value)
        assert "spack failed on py-labjoin" in text and "fails on purpose" in text
        assert "packages it compiled are in the build cache" in text
        log = (project.build_dir / "logs" / f"{RELEASE}-build.log").read_text()
        pushed = [line.split(": ", 1)[1] for line in log.splitlines() if line.startswith("labforge-pushed: ")]
        assert pushed and not any(name.startswith("py-labjoin") for name in pushed)
        assert len(cache_tags(address)) >= len(pushed)

        set_recipe(project, FIXED)
        lock_release(project, RELEASE)
        again = build()
        assert again.spack.compiled == 1 and again.spack.compiled_names[0].startswith("py-labjoin@1.0"), again.spack
        assert again.spack.from_cache == len(pushed), again.spack
        figures = REPO / "build" / "bench" / "resume.json"  # bench/scaleout.py prints them
        figures.parent.mkdir(parents=True, exist_ok=True)
        figures.write_text(json.dumps({"compiled_again": again.spack.compiled, "packages": len(pushed) + 1,
                                       "pushed_before_failure": len(pushed), "when": time.strftime("%Y-%m-%d")}))

        # A push cut off after its blobs: the package's manifest is gone, its blobs stay. The
        # next build compiles that one package instead of failing.
        victim = next(tag for tag in cache_tags(address) if tag.startswith("py-six-"))
        request = urllib.request.Request(f"http://{address}/v2/spack-cache/buildcache/manifests/{victim}",
                                         headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
                                         method="HEAD")
        with urllib.request.urlopen(request, timeout=10) as answer:
            digest = answer.headers["Docker-Content-Digest"]
        urllib.request.urlopen(urllib.request.Request(
            f"http://{address}/v2/spack-cache/buildcache/manifests/{digest}", method="DELETE"), timeout=10)
        third = build()
        assert [n.split("@")[0] for n in third.spack.compiled_names] == ["py-six"], third.spack

        # The same for a tool developer: a new tool fails; the new package it needed is cached.
        tool_build_keeps_what_it_compiled(project, address, tmp_path)


def tool_build_keeps_what_it_compiled(project: Project, address: str, tmp_path: Path) -> None:
    from labforge.buildah.tool_build import EXIT_BUILD, ToolBuildFailed, build_tool
    from labforge.spackbuild.tool_env import resolve

    (project.tools_dir / "py-labtool.yaml").write_text(TOOL.replace("labjoin", "labtool"))
    set_recipe(project, FIXED, "py-labbase", BASE_RECIPE)
    set_recipe(project, FAILING.replace("labjoin", "labtool"), "py-labtool", TOOL_RECIPE)
    cache = dict(spack_cache=f"{address}/spack-cache/buildcache", tls_verify=False, unsigned_cache=True)
    with pytest.raises(ToolBuildFailed) as failed:
        build_tool(project, resolve(project, "py-labtool@1.0", RELEASE), ca_certs=HOST_CA, **cache)
    assert failed.value.code == EXIT_BUILD and "py-labtool fails on purpose" in str(failed.value)
    tags = cache_tags(address)
    assert any(t.startswith("py-labbase-") for t in tags) and not any(t.startswith("py-labtool-") for t in tags)

    set_recipe(project, FIXED, "py-labtool", TOOL_RECIPE)
    fixed = build_tool(project, resolve(project, "py-labtool@1.0", RELEASE), ca_certs=HOST_CA, **cache)
    assert [n.split("/")[0] for n in fixed.spack.compiled_names] == ["py-labtool@1.0"], fixed.spack
    assert fixed.spack.from_cache >= 1 and fixed.pushed == "ok", fixed.spack
