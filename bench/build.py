"""Image pipeline figures: full build time, no-op rebuild time and their ratio (target < 1%),
image size, and bytes pushed for a release that changes one tool against the previous one.

Run as root with buildah, skopeo, mmdebstrap and docker-registry (make bench installs them):
    .venv/bin/python -m bench.build [--ca-cert FILE]
The releases are built with --no-spack: this measures the image pipeline itself. What the
spack stage costs per change (compiled packages, build cache, per-package layers) is
bench/incremental.py's subject.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from labforge.buildah.notebook import build_release
from labforge.demo.tools import disk_bytes
from labforge.inputs.project import Project
from labforge.loopback.registry import local_registry
from labforge.publish.release import publish

REPO = Path(__file__).resolve().parents[1]

FIRST, SECOND = "2031.01", "2031.02"
MANIFEST = 'id: "{id}"\nchannel: stable\npython: "3.11"\ntools:\n- name: py-numpy\n  versions: ["{numpy}"]\n' \
           '- name: py-neo\n  versions: ["0.12.0"]\n'


def project_copy(root: Path) -> Project:
    for part in ("labforge.yaml", "spack", "releases", "images"):
        src = REPO / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, root / part)
    (root / "releases" / f"{FIRST}.yaml").write_text(MANIFEST.format(id=FIRST, numpy="1.26.4"))
    (root / "releases" / f"{SECOND}.yaml").write_text(MANIFEST.format(id=SECOND, numpy="2.2.6"))
    return Project(root)


def image_size(reference: str) -> str:
    return subprocess.run(["buildah", "images", "--noheading", "--format", "{{.Size}}", reference],
                          capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ca-cert", action="append", default=[])
    args = parser.parse_args()
    with_spack = False  # see bench/incremental.py for the spack stage
    with tempfile.TemporaryDirectory(prefix="labforge-bench-") as tmp:
        project = project_copy(Path(tmp))
        build = lambda rid, **kw: build_release(project, rid, with_spack=with_spack, ca_certs=args.ca_cert, **kw)  # noqa: E731
        start = time.monotonic()
        first = build(FIRST, force=True, no_cache=True)
        full = time.monotonic() - start
        start = time.monotonic()
        noop = build(FIRST)
        rebuild = time.monotonic() - start
        assert noop.skipped, "the second build should have been skipped"
        second = build(SECOND, force=True)
        with local_registry(Path(tmp) / "registry") as address:
            publish(project, FIRST, f"{address}/lab", Path(tmp) / "catalog.json", tls_verify=False)
            before = disk_bytes(Path(tmp) / "registry")
            publish(project, SECOND, f"{address}/lab", Path(tmp) / "catalog.json", tls_verify=False)
            pushed = disk_bytes(Path(tmp) / "registry") - before
        size = image_size(first.reference)
        for reference in (first.reference, second.reference):
            subprocess.run(["buildah", "rmi", reference], capture_output=True)
    print("spack stage: skipped (--no-spack; bench/incremental.py measures it)")
    print(f"full build (no layer cache, base image reused): {full:.1f} s")
    print(f"no-op rebuild: {rebuild:.2f} s; ratio {100 * rebuild / full:.2f}% (target < 1%: "
          f"{'met' if rebuild / full < 0.01 else 'NOT met'})")
    print(f"image size: {size or 'n/a'} (uncompressed, {FIRST})")
    print(f"bytes pushed for {SECOND} (one tool changed) after {FIRST}: {pushed:,} bytes ({pushed / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
