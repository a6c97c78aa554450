"""A release's GPU variant (`2026.11-gpu`): rendering, validation, its own lock, tags and catalog."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from labforge.catalog.model import Catalog, CatalogEntry, GpuImage
from labforge.inputs.project import Project
from labforge.inputs.releases import require_release
from labforge.publish.release import tags_for
from labforge.render.record import parse_record
from labforge.render.release import lock_problems, render_files
from tests.helpers.project import REPO, hadolint


def rendered(release_id: str, root: Path = REPO) -> dict[str, str]:
    project = Project(root)
    files = render_files(project, require_release(project, release_id))[0]
    return {k: v.decode() for k, v in files.items() if not k.startswith("spack-repo/")}


@pytest.fixture(scope="module")
def gpu():
    return rendered("2026.11-gpu")


@pytest.fixture(scope="module")
def cpu():
    return rendered("2026.11")


def test_gpu_environment_adds_cuda_variants_and_the_bases_toolkit(gpu, cpu):
    gpu_env, cpu_env = yaml.safe_load(gpu["spack.yaml"])["spack"], yaml.safe_load(cpu["spack.yaml"])["spack"]
    assert "arbor@0.9.0 +python ~mpi +cuda cuda_arch=80" in gpu_env["specs"]
    assert [s for s in gpu_env["specs"] if not s.startswith("arbor")] == [
        s for s in cpu_env["specs"] if not s.startswith("arbor")]
    assert gpu_env["packages"]["cuda"] == {"buildable": False,
                                           "externals": [{"spec": "cuda@12.6.2", "prefix": "/usr/local/cuda"}]}
    assert "cuda" not in cpu_env["packages"]


def test_gpu_image_is_its_own_tag_on_the_sites_base_with_the_same_kernel(gpu, cpu):
    assert "ARG BASE_IMAGE=harbor.lab.example.org/base/bookworm-cuda:12.6.2" in gpu["Containerfile"]
    assert 'org.labforge.variant="gpu"' in gpu["Containerfile"] and 'org.labforge.variant="cpu"' in cpu["Containerfile"]
    assert 'org.opencontainers.image.title="lab-2026.11-gpu"' in gpu["Containerfile"]
    assert gpu["kernel/kernel.json"] == cpu["kernel/kernel.json"]  # notebooks keep their kernel
    assert "Batchfile" not in gpu  # batch images come from the CPU image
    assert '"variant": "gpu"' in gpu["release.json"] and '"cuda": "12.6.2"' in gpu["release.json"]


def test_gpu_variant_has_a_current_lock_of_its_own():
    project = Project(REPO)
    assert lock_problems(project, require_release(project, "2026.11-gpu")) == []
    assert lock_problems(project, require_release(project, "2026.11")) == []
    lock = (REPO / "releases" / "2026.11-gpu.lock.json").read_text()
    assert "arbor@0.9.0+cuda~mpi+python cuda_arch=80" in lock


def test_gpu_containerfile_passes_hadolint(gpu, tmp_path):
    proc = hadolint(gpu["Containerfile"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("gpu_section, expected", [
    ("  variants:\n    nosuchtool: \"+cuda\"\n", "gpu.variants.nosuchtool: 'nosuchtool' is not a tool of this release"),
    ("  variants:\n    arbor: \"+cuda cuda_arch=\"\n", "gpu.variants.arbor: bad variants"),
    ("  variants: {}\n", "gpu.variants"),
])
def test_bad_gpu_sections_name_the_field(cli, project, gpu_section, expected):
    path = project / "releases" / "2026.11.yaml"
    text = path.read_text()
    head = text[: text.index("gpu:\n")]
    path.write_text(head + "gpu:\n  base_image: cuda.example/bookworm-cuda:12\n  cuda: \"12.6.2\"\n" + gpu_section)
    result = cli(project, "release", "validate", "2026.11")
    assert result.code == 1 and expected in result.stderr and "Traceback" not in result.stderr


def test_gpu_id_of_a_release_without_a_gpu_section(cli):
    result = cli(REPO, "release", "render", "2026.05-gpu", "--out", "/nonexistent/never-written")
    assert result.code == 1 and "release 2026.05 declares no GPU variant" in result.stderr


@pytest.mark.skipif(not (shutil.which("buildah") and shutil.which("skopeo")), reason="needs buildah and skopeo")
def test_build_without_the_cuda_base_says_so_before_any_work(cli, project):
    path = project / "releases" / "2026.11.yaml"
    path.write_text(path.read_text().replace("harbor.lab.example.org/base/bookworm-cuda:12.6.2",
                                             "127.0.0.1:9/lab/no-such-cuda:1"))
    result = cli(project, "release", "build", "2026.11-gpu", "--no-spack")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "the CUDA base image 127.0.0.1:9/lab/no-such-cuda:1 is not in the local store" in result.stderr
    assert "build the GPU image on a machine that can pull it" in result.stderr


def entry(rid: str) -> CatalogEntry:
    return CatalogEntry(id=rid, channel="stable", image="r.example/lab/notebook", digest="sha256:" + "1" * 64,
                        created="2026-11-01T00:00:00Z", kernel=f"lab-{rid}")


def test_gpu_image_is_tagged_and_catalogued_next_to_its_release():
    record = parse_record(rendered("2026.11-gpu")["release.json"], "2026.11-gpu")  # text, as rendered
    assert tags_for(record, "2026.11-gpu", Catalog()) == ["2026.11-gpu"]  # never "latest"
    gpu = GpuImage(image="r.example/lab/notebook", digest="sha256:" + "2" * 64, created="2026-11-01T00:00:00Z")
    with pytest.raises(ValueError, match="publish its CPU image first"):
        Catalog().with_gpu_image("2026.11", gpu)
    catalog = Catalog().with_entry(entry("2026.11")).with_gpu_image("2026.11", gpu)
    assert catalog.releases[0].gpu == gpu
    # republishing the CPU image keeps the GPU image recorded
    assert catalog.with_entry(entry("2026.11")).releases[0].gpu == gpu
