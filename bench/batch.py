"""Batch tool images: what they cost next to the notebook image they share their layers with.

Builds the demo's small release (py-six 1.17.0 and 1.16.0, py-packaging; their batch images run
`python3` with the library loaded) with the local registry as image registry and build cache,
publishes the notebook image, then builds and publishes the batch images, and prints per batch
image: build time (after the notebook image), its compressed size, layers it shares with the
notebook image, and the bytes it added to the registry. Target: a batch image adds under 5 % of
its own size to a registry that already holds the notebook image.

Needs spack (SPACK_ROOT; offline also SPACK_PACKAGES_ROOT and SPACK_PYTHON with clingo) and root
with buildah, skopeo, mmdebstrap and docker-registry. Without SPACK_ROOT it prints which layers
each batch image of 2026.11 would share, from the committed lock.
    .venv/bin/python -m bench.batch [--ca-cert FILE]
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from bench.spackbench import spack_bench_args
from labforge.buildah.batch import release_batch_images
from labforge.demo.tools import disk_bytes, manifest, small_release_project
from labforge.inputs.project import Project
from labforge.registry.client import inspect_manifest

REPO = Path(__file__).resolve().parents[1]

RELEASE = "2032.02"  # the demo's small release under a bench-only id


def manifest_layers(reference: str) -> list[tuple[str, int]]:
    raw = inspect_manifest(reference, tls_verify=False)
    return [(layer["digest"], layer["size"]) for layer in json.loads(raw)["layers"]]


def planned_figures() -> None:
    plan = release_batch_images(Project(REPO), "2026.11")
    images, notes = plan.images, plan.notes
    for image in images:
        print(f"2026.11 {image.module}: {len(image.layers)} package layers, all of them the notebook image's")
    print(f"{len(notes)} tools get no batch image (no command)")


def main() -> None:
    args = spack_bench_args(planned_figures)
    if args is None:
        return
    from labforge.buildah.batch import build_batch
    from labforge.buildah.notebook import build_release
    from labforge.loopback.registry import local_registry
    from labforge.publish.release import publish
    from labforge.spackbuild.concretize import lock_release

    with tempfile.TemporaryDirectory(prefix="labforge-batch-") as tmp:
        project = small_release_project(Project(REPO), Path(tmp) / "project", RELEASE)
        (project.root / "releases" / f"{RELEASE}.yaml").write_text(manifest(["1.17.0", "1.16.0"], RELEASE))
        storage = Path(tmp) / "registry" / "docker" / "registry" / "v2" / "blobs"
        with local_registry(Path(tmp) / "registry") as address:
            options = dict(ca_certs=args.ca_cert, spack_cache=f"{address}/spack-cache/buildcache",
                           tls_verify=False, unsigned_cache=True)
            lock_release(project, RELEASE)
            build_release(project, RELEASE, force=True, **options)
            catalog = Path(tmp) / "catalog.json"
            notebook = publish(project, RELEASE, f"{address}/lab", catalog, tls_verify=False).release
            notebook_blobs = {digest for digest, _ in manifest_layers(f"{notebook.repository}@{notebook.digest}")}
            start = time.monotonic()
            batch = build_batch(project, RELEASE, force=True, **options)
            seconds = time.monotonic() - start
            before = disk_bytes(storage)
            published = publish(project, RELEASE, f"{address}/lab", catalog, notebook=False, tools=True,
                                tools_registry=f"{address}/tools", tls_verify=False).tools
            added = disk_bytes(storage) - before
            print(f"built {len(batch.built)} batch images in {seconds:.0f} s after the notebook image; "
                  f"{added:,d} bytes added to the registry for all of them (with their bundles)")
            for item in published:
                layers = manifest_layers(item.reference)
                size = sum(s for _, s in layers)
                shared = [(d, s) for d, s in layers if d in notebook_blobs]
                own = size - sum(s for _, s in shared)
                print(f"{item.reference.split('@')[0]}: {size:,d} bytes in {len(layers)} layers, "
                      f"{len(shared)} shared with the notebook image; own layers {own:,d} bytes "
                      f"({100 * own / size:.2f} %)")


if __name__ == "__main__":
    main()
