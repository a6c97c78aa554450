"""Checks that need a real spack: read SPACK_ROOT, skip with the reason when it is unset (CI has
no spack). Offline, spack also needs SPACK_PYTHON (a Python with clingo), bootstrapping disabled
and the builtin recipes (SPACK_PACKAGES_ROOT, spack-packages at the tag paired with the spack)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from labforge.inputs.project import Project
from labforge.inputs.releases import release_ids, require_release
from labforge.render.release import render_files
from tests.helpers.fake_install import LMOD_INIT, fake_install, lmod, spack
from tests.helpers.project import HOST_CA, REPO
from tests.helpers.spack_marks import SPACK_ROOT, builds_images, needs_spack
from tests.helpers.spack_release import layer_digests, six_release, small_project

pytestmark = needs_spack


def local_environment(release_id: str, folder: Path) -> Path:
    """The rendered spack.yaml with the image's paths pointed at this checkout and `folder`."""
    project = Project(REPO)
    text = render_files(project, require_release(project, release_id))[0]["spack.yaml"].decode()
    text = (text.replace('"/opt/labforge/spack-repo"', f'"{REPO / "spack"}"')
                .replace('"/opt/software/modules"', f'"{folder / "modules"}"')
                .replace('"/opt/software"', f'"{folder / "software"}"'))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spack.yaml").write_text(text)
    return folder


@pytest.mark.parametrize("release_id", release_ids(Project(REPO)))
def test_rendered_environment_passes_spack_validation(release_id, tmp_path):
    env = local_environment(release_id, tmp_path / release_id)
    result = spack("-e", str(env), "config", "get", "modules", cwd=env)
    assert result.returncode == 0, result.stderr
    repos = spack("-e", str(env), "repo", "list", cwd=env)
    assert repos.returncode == 0 and "labforge" in repos.stdout, repos.stderr
    script = tmp_path / "q.py"
    script.write_text("import spack.config\nprint(spack.config.get('modules:default:lmod:hierarchy'))\n")
    hierarchy = spack("-e", str(env), "python", str(script), cwd=env)
    assert hierarchy.stdout.strip() == "[]", hierarchy.stderr  # every module under Core


@pytest.mark.skipif(not (SPACK_ROOT and os.environ.get("LABFORGE_SPACK_CONCRETIZE")),
                    reason="needs SPACK_ROOT, and LABFORGE_SPACK_CONCRETIZE=1 (concretizing takes minutes)")
def test_release_concretizes(tmp_path):
    env = local_environment("2026.11", tmp_path / "env")
    result = spack("-e", str(env), "concretize", "--fresh", cwd=env, timeout=1800)
    assert result.returncode == 0, result.stderr[-2000:]
    for spec in ("nest@2.20.1", "nest@3.0", "neuron@8.1.0", "neuron@8.2.3", "py-spikeutils@0.4.0"):
        assert spec in result.stdout


def test_lock_writes_a_current_lock(tmp_path):
    from labforge.locks.lockfile import release_lock
    from labforge.render.release import lock_problems
    from labforge.spackbuild.concretize import lock_release

    project = small_project(tmp_path / "project")
    result = lock_release(project, "2030.02")
    lock = release_lock(project, "2030.02")
    assert result.path.name == "2030.02.lock.json" and lock is not None
    assert [spec.split("@")[0] for spec, _ in lock.roots] == ["py-six"]
    assert {lock.nodes[h].name for h in lock.runtime_closure()} == {"py-six", "python-venv"}
    assert lock.made_from["spack"] == "v1.1.0" and lock.made_from["spack_seen"].startswith("1.1")
    assert lock_problems(project, require_release(project, "2030.02")) == []


def package_layers(project: Project, reference: str) -> dict[str, str]:
    """Layer name (from the plan) -> layer digest. The package layers come right before the
    runtime stage's last steps (modules, kernel, settings...), counted in the Containerfile."""
    context = project.build_dir / "context" / "2030.02"
    plan = json.loads((context / "layers.json").read_text())["layers"]
    lines = (context / "Containerfile").read_text().splitlines()
    last = max(i for i, line in enumerate(lines) if line.startswith("COPY --from=spack-build") and "/layers/" in line)
    after = sum(1 for line in lines[last + 1:] if line.split(" ", 1)[0] in ("RUN", "COPY", "ADD"))
    digests = layer_digests(reference)
    start = len(digests) - after - len(plan)
    return {layer["name"]: digest for layer, digest in zip(plan, digests[start:start + len(plan)])}


@builds_images
def test_build_cache_second_build_compiles_nothing_and_layers_match(tmp_path):
    """Lock, build against a local registry as cache, build again with no layer cache: nothing is
    compiled and every package layer has the same digest; add a tool version: only it compiles.
    The image suite (modules, defaults, tool tests) passes on the result."""
    from labforge.buildah.notebook import build_release
    from labforge.loopback.registry import local_registry
    from labforge.spackbuild.concretize import lock_release
    from labforge.suites.image.runner import test_release

    project = small_project(tmp_path / "project")
    ca = HOST_CA
    lock_release(project, "2030.02")
    with local_registry(tmp_path / "registry") as address:
        def build(no_cache: bool):
            return build_release(project, "2030.02", ca_certs=ca, force=True, no_cache=no_cache,
                                 spack_cache=f"{address}/spack-cache/buildcache", tls_verify=False,
                                 unsigned_cache=True)

        first = build(no_cache=True)
        assert first.spack.compiled >= 2 and first.spack.pushed == "ok", first.spack
        first_layers = package_layers(project, first.reference)
        second = build(no_cache=True)
        assert second.spack.compiled == 0 and second.spack.from_cache == first.spack.compiled, second.spack
        assert package_layers(project, second.reference) == first_layers
        assert test_release(project, "2030.02", ca) == 0

        (project.root / "releases" / "2030.02.yaml").write_text(six_release('"1.17.0", "1.16.0"'))
        lock_release(project, "2030.02")
        third = build(no_cache=False)
        assert third.spack.compiled_names == [n for n in third.spack.compiled_names if n.startswith("py-six@1.16.0")]
        assert third.spack.compiled == 1, third.spack
        third_layers = package_layers(project, third.reference)
        assert len(third_layers) == len(first_layers) + 1
        assert all(third_layers[name] == digest for name, digest in first_layers.items())
        assert test_release(project, "2030.02", ca) == 0




@pytest.mark.skipif(not Path(LMOD_INIT).exists(), reason="Lmod is installed by 'make test'")
def test_module_experience_on_a_fake_install_of_2026_11(tmp_path):
    """No compiler needed: `spack install --fake` of release 2026.11 (python-venv as an external,
    since a fake one has no interpreter), the module tree spack writes for it, and Lmod on top:
    every version listed without hashes, implicit dependencies hidden, the defaults, the swap and
    the release kernel's module line."""
    project = Project(REPO)
    loaded = require_release(project, "2026.11")
    core = fake_install("2026.11", tmp_path)
    avail = {line.removesuffix("(default)") for line in lmod(core, "module -t avail 2>&1").stdout.split()
             if "/" in line and not line.endswith((":", "/"))}
    expected = {f"{loaded.tools[e.name].tool.package}/{v}" for e in loaded.release.tools for v in e.versions}
    assert avail == expected
    swap = lmod(core, "module load nest && module -t list 2>&1 && module load nest/2.20.1 && module -t list 2>&1")
    first, _, second = swap.stdout.partition("nest/3.0\n")
    assert "nest/3.0" in swap.stdout and "nest/2.20.1" in second and "nest/3.0" not in second
    launcher = tmp_path / "launch.sh"  # the kernel's environment: its launcher up to the exec
    launcher.write_text(render_files(project, loaded)[0]["kernel/launch.sh"].decode().replace("exec ", "# exec "))
    kernel = lmod(core, f"source {launcher} && module -t list 2>&1").stdout.split()
    for entry in loaded.release.tools:
        assert f"{loaded.tools[entry.name].tool.package}/{entry.default_version}" in kernel
    # a version chosen in the Lmod panel (the server's environment) stays in the kernel
    chosen = lmod(core, f"module load nest/2.20.1 && source {launcher} && module -t list 2>&1").stdout.split()
    assert "nest/2.20.1" in chosen and "nest/3.0" not in chosen and "neuron/8.2.3" in chosen


@builds_images
def test_tool_build_on_a_release_image(tmp_path):
    """A tool developer's loop: a new version of a tool built on the release's image reuses the
    release's packages, compiles only itself, passes its tests with its module loaded and is
    pushed; a tool whose test fails exits 5 and pushes nothing."""
    from labforge.buildah.notebook import build_release
    from labforge.buildah.tool_build import EXIT_TESTS, ToolBuildFailed, build_tool
    from labforge.loopback.registry import local_registry
    from labforge.spackbuild.concretize import lock_release
    from labforge.spackbuild.tool_env import resolve

    project = small_project(tmp_path / "project")
    ca = HOST_CA
    lock_release(project, "2030.02")
    with local_registry(tmp_path / "registry") as address:
        cache = dict(spack_cache=f"{address}/spack-cache/buildcache", tls_verify=False, unsigned_cache=True)
        build_release(project, "2030.02", ca_certs=ca, force=True, **cache)
        result = build_tool(project, resolve(project, "py-six@1.16.0", "2030.02"), ca_certs=ca, **cache)
        assert len(result.concretized.new) == 1 and len(result.concretized.reused) >= 4
        assert [n.split("/")[0] for n in result.spack.compiled_names] == ["py-six@1.16.0"]
        assert "passed" in result.tests and "module load py-six/1.16.0" in result.tests
        assert result.pushed == "ok"
        # `tool try` serves that image: its Lab, the release kernel the default
        from labforge.loopback.lab import serve
        from labforge.loopback.registry import free_port

        with serve(project, result.reference, "py-six-1.16.0-2030.02", port=free_port()) as session:
            with urllib.request.urlopen(f"{session.base}/api/kernelspecs?token={session.token}") as answer:
                assert json.load(answer)["default"] == "lab-2030.02"

        tool = project.root / "spack" / "tools" / "py-six.yaml"
        tool.write_text(tool.read_text().replace("imports: [six]", "imports: [six]\n  commands: ['false']"))
        with pytest.raises(ToolBuildFailed) as failed:
            build_tool(project, resolve(project, "py-six@1.16.0", "2030.02"), ca_certs=ca, **cache)
        assert failed.value.code == EXIT_TESTS and "its tests failed" in str(failed.value)


@builds_images
@pytest.mark.skipif(not shutil.which("gpg"), reason="the signed cache needs gpg")
def test_signed_cache_round_trip_and_a_dead_cache(tmp_path):
    """Binaries pushed signed with a key given at build time install (verified) in the next
    build; the key reaches no layer. A cache that is down is no error: everything compiles."""
    from labforge.buildah.notebook import build_release
    from labforge.buildah.store import mounted
    from labforge.loopback.registry import free_port, local_registry
    from labforge.spackbuild.concretize import lock_release

    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "labforge test <t@example.org>",
                    "default", "default", "never"], env=env, check=True, capture_output=True)
    key = tmp_path / "signing.asc"
    key.write_bytes(subprocess.run(["gpg", "--batch", "--armor", "--export-secret-keys"], env=env, check=True,
                                   capture_output=True).stdout)
    project = small_project(tmp_path / "project")
    ca = HOST_CA
    lock_release(project, "2030.02")
    with local_registry(tmp_path / "registry") as address:
        signed = dict(spack_cache=f"{address}/spack-cache/buildcache", tls_verify=False, signing_key=key)
        first = build_release(project, "2030.02", ca_certs=ca, force=True, no_cache=True, **signed)
        assert first.spack.pushed == "ok" and first.cache.signed
        second = build_release(project, "2030.02", ca_certs=ca, force=True, no_cache=True, **signed)
        assert second.spack.compiled == 0 and second.spack.from_cache == first.spack.compiled
    with mounted(second.reference) as rootfs:
        found = subprocess.run(["grep", "-rlF", "PGP PRIVATE KEY", str(rootfs / "opt"), str(rootfs / "root"),
                                str(rootfs / "etc")], capture_output=True, text=True)
        assert found.stdout == ""
    dead = build_release(project, "2030.02", ca_certs=ca, force=True, unsigned_cache=True, tls_verify=False,
                         spack_cache=f"127.0.0.1:{free_port()}/spack-cache/buildcache")
    assert dead.spack.cache_reachable is False and dead.spack.compiled == first.spack.compiled
    assert dead.spack.pushed == "failed"
