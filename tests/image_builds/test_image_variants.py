"""Images beside the release image: the base image made twice gives the same image, and a GPU
variant builds on a site's CUDA base and passes the image suite (a file of its own, so the
parallel test run spreads the image builds over its workers)."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

from labforge.buildah.base import build_base
from labforge.buildah.notebook import build_release
from labforge.buildah.store import local_config
from labforge.suites.image.runner import test_release as run_image_suite
from tests.helpers.image_builds import RELEASE, make_project
from tests.helpers.project import HOST_CA
from tests.image_builds import test_release_image

pytestmark = test_release_image.pytestmark  # root, buildah and the registry tools, as there


def test_base_image_is_reproducible(tmp_path):
    log = tmp_path / "base.log"
    first = build_base("bookworm", 1761955200, log, force=True, reference="localhost/labforge-base-repro:a")
    second = build_base("bookworm", 1761955200, log, force=True, reference="localhost/labforge-base-repro:b")
    try:
        assert first.image_id == second.image_id
    finally:
        subprocess.run(["buildah", "rmi", "localhost/labforge-base-repro:a", "localhost/labforge-base-repro:b"],
                       capture_output=True)



FAKE_CUDA = "localhost/labforge-test/bookworm-cuda:12.6.2"


def fake_cuda_base(suite_base: str) -> str:
    """The site's CUDA base, played by the labforge base plus a CUDA runtime library file where
    NVIDIA's images keep it (no real CUDA here: enough for the image suite's GPU checks)."""
    container = subprocess.run(["buildah", "from", "--pull-never", suite_base], check=True, capture_output=True,
                               text=True).stdout.strip()
    try:
        subprocess.run(["buildah", "run", "--isolation", "chroot", container, "--", "sh", "-c",
                        "mkdir -p /usr/local/cuda-12.6/lib64 && ln -s cuda-12.6 /usr/local/cuda "
                        "&& touch /usr/local/cuda-12.6/lib64/libcudart.so.12.6.77"], check=True, capture_output=True)
        subprocess.run(["buildah", "commit", "--quiet", container, FAKE_CUDA], check=True, capture_output=True)
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True)
    return FAKE_CUDA


def test_gpu_variant_builds_on_the_sites_base_and_passes_the_suite(tmp_path):
    project = make_project(tmp_path / "project")
    base = build_base("bookworm", project.settings.build.source_date_epoch, tmp_path / "base.log").reference
    manifest = project.root / "releases" / f"{RELEASE}.yaml"
    manifest.write_text(manifest.read_text() + f'gpu:\n  base_image: {fake_cuda_base(base)}\n  cuda: "12.6.2"\n'
                        '  variants:\n    py-numpy: "~blas"\n')
    result = build_release(project, f"{RELEASE}-gpu", with_spack=False, force=True, ca_certs=HOST_CA)
    config = local_config(result.reference)
    assert result.reference.endswith(f":{RELEASE}-gpu") and config["Labels"]["org.labforge.variant"] == "gpu"
    report = tmp_path / "suite.xml"
    assert run_image_suite(project, f"{RELEASE}-gpu", extra_args=["--junitxml", str(report)]) == 0
    # the GPU check ran, and neither skipped nor failed (read as XML: a passed test case is an
    # empty element, so the next test case's text is not its own)
    cases = [c for c in ET.parse(report).iter("testcase")
             if c.get("name") == "test_gpu_image_has_the_cuda_toolkit_its_tools_were_built_for"]
    assert len(cases) == 1 and not [child.tag for child in cases[0] if child.tag in ("skipped", "failure", "error")]
