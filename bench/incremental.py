"""Incremental spack builds: what a change costs once releases are locked, binaries are cached
in the registry and the software tree is one layer per package.

For (a) an unchanged release rebuilt from scratch, (b) one tool version added and (c) a
notebook-server pin changed, it prints: packages compiled, packages from the build cache, build
time, layers, and bytes pushed as a share of the image. Targets: (a) 0 compiled and 0 bytes;
(b) only the changed packages compiled and under 10 % of the image's bytes pushed; (c) 0 spack
packages compiled.

Needs spack (SPACK_ROOT; offline also SPACK_PACKAGES_ROOT and SPACK_PYTHON with clingo) and root
with buildah, skopeo, mmdebstrap and docker-registry. The small release's sources all come from
PyPI. Without SPACK_ROOT it prints the layer figures planned from the committed locks only.
    .venv/bin/python -m bench.incremental [--ca-cert FILE]
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from bench.spackbench import spack_bench_args
from labforge.demo.tools import disk_bytes, manifest, small_release_project
from labforge.inputs.project import Project
from labforge.locks.layers import plan_layers
from labforge.locks.lockfile import release_lock
from labforge.registry.client import inspect_manifest

REPO = Path(__file__).resolve().parents[1]

RELEASE = "2032.01"  # the demo's small release (labforge/demo/tools.py) under a bench-only id


def image_bytes(reference: str) -> tuple[int, int]:
    """(compressed bytes, layers) of an image in a registry."""
    layers = json.loads(inspect_manifest(reference, tls_verify=False))["layers"]
    return sum(layer["size"] for layer in layers), len(layers)


def planned_figures() -> None:
    project = Project(REPO)
    old, new = release_lock(project, "2026.05"), release_lock(project, "2026.11")
    limit = project.settings.build.max_layers
    before = {layer.name for layer in plan_layers(old, limit)}
    after = plan_layers(new, limit)
    changed = [layer for layer in after if layer.name not in before]
    print(f"layer plan only (no SPACK_ROOT): 2026.11 has {len(after)} package layers; against 2026.05 "
          f"{len(changed)} are new and {len(after) - len(changed)} are shared")


def main() -> None:
    args = spack_bench_args(planned_figures)
    if args is None:
        return
    from labforge.buildah.notebook import build_release
    from labforge.loopback.registry import local_registry
    from labforge.publish.release import publish
    from labforge.spackbuild.concretize import lock_release

    rows = []
    with tempfile.TemporaryDirectory(prefix="labforge-incremental-") as tmp:
        project = small_release_project(Project(REPO), Path(tmp) / "project", RELEASE)
        storage = Path(tmp) / "registry"
        with local_registry(storage) as address:
            def step(title: str, *, no_cache: bool) -> None:
                start = time.monotonic()
                result = build_release(project, RELEASE, ca_certs=args.ca_cert, force=True, no_cache=no_cache,
                                        spack_cache=f"{address}/spack-cache/buildcache", tls_verify=False,
                                        unsigned_cache=True)
                seconds = time.monotonic() - start
                blobs_before = disk_bytes(storage / "docker" / "registry" / "v2" / "blobs")
                published = publish(project, RELEASE, f"{address}/lab", Path(tmp) / "catalog.json",
                                    tls_verify=False).release
                pushed = disk_bytes(storage / "docker" / "registry" / "v2" / "blobs") - blobs_before
                size, layers = image_bytes(f"{published.repository}@{published.digest}")
                report = result.spack
                rows.append((title, report.compiled if report.ran else 0, report.from_cache if report.ran else 0,
                             seconds, layers, pushed, size))

            lock_release(project, RELEASE)
            step("first build (empty cache)", no_cache=True)
            step("(a) unchanged, rebuilt from scratch", no_cache=True)
            (project.root / "releases" / f"{RELEASE}.yaml").write_text(manifest(["1.17.0", "1.16.0"], RELEASE))
            lock_release(project, RELEASE)
            step("(b) one tool version added", no_cache=False)
            settings = project.root / "labforge.yaml"
            settings.write_text(settings.read_text().replace("  - ipykernel==7.4.0\n",
                                                             "  - ipykernel==7.4.0\n  - tomli==2.2.1\n"))
            project = Project(project.root)  # settings are read once per Project
            step("(c) notebook-server pin changed", no_cache=False)
    print(f"{'case':40} {'compiled':>8} {'cached':>7} {'build s':>8} {'layers':>7} {'pushed':>14} {'share':>7}")
    for title, compiled, cached, seconds, layers, pushed, size in rows:
        print(f"{title:40} {compiled:8d} {cached:7d} {seconds:8.0f} {layers:7d} {pushed:14,d} "
              f"{100 * pushed / size:6.2f}%")
    print("bytes pushed: new blobs in the registry (image layers, config, manifest, bundle); share: of the "
          "image's compressed size")


if __name__ == "__main__":
    main()
