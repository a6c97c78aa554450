"""Checks that need a real spack: read SPACK_ROOT, skip with the reason when it is unset (CI has
no spack). Offline, spack also needs SPACK_PYTHON (a Python with clingo), bootstrapping disabled
and the builtin recipes (SPACK_PACKAGES_ROOT, spack-packages at the tag paired with the spack)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, copy_project
from labforge.project import Project
from labforge.releases import release_ids, require_release
from labforge.render import render_files

SPACK_ROOT = os.environ.get("SPACK_ROOT")
pytestmark = pytest.mark.skipif(not SPACK_ROOT, reason="SPACK_ROOT is not set: these checks need a spack checkout")


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


def spack(*args: str, cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(SPACK_ROOT) / "bin" / "spack"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


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


@pytest.mark.skipif(not (SPACK_ROOT and os.environ.get("LABFORGE_SPACK_IMAGE")),
                    reason="needs SPACK_ROOT, and LABFORGE_SPACK_IMAGE=1 (a spack stage build takes minutes "
                           "and fetches sources)")
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("buildah"), reason="image builds need root and buildah")
def test_spack_stage_builds_modules_that_load(tmp_path):
    from labforge.images.build import build_release
    from labforge.images.imagetest import test_release

    root = copy_project(tmp_path / "project")
    (root / "spack" / "tools" / "py-six.yaml").write_text(
        "name: py-six\npackage: py-six\nsummary: a small tool for the spack stage\n"
        "homepage: https://github.com/benjaminp/six\nmaintainers: [t@example.org]\nlicense: MIT\n"
        'versions:\n- version: "1.17.0"\ndefault: "1.17.0"\ntests:\n  imports: [six]\n')
    (root / "releases" / "2030.02.yaml").write_text(
        'id: "2030.02"\nchannel: stable\npython: "3.11"\ntools:\n- name: py-six\n  versions: ["1.17.0"]\n')
    project = Project(root)
    ca = [p for p in ["/etc/ssl/certs/ca-certificates.crt"] if Path(p).exists()]
    result = build_release(project, "2030.02", with_spack=True, ca_certs=ca, force=True)
    assert result.with_spack
    assert test_release(project, "2030.02", ca) == 0
