"""Time to a running notebook: what a node must fetch and unpack to start the next release.

For pairs of releases (a node holds the first, a user picks the second) it prints the layers
and bytes to fetch, and the measured pull + unpack time into a fresh local containers-storage
(skopeo from a loopback registry): cold (nothing held) and warm (the first release held). Then
the same image pushed with gzip, zstd and zstd:chunked: bytes and cold pull + unpack time.

Pairs: (s) one notebook-server pin changed (always: built --no-spack, in a minute); (t) one
tool version added to the demo's small release (with SPACK_ROOT; spack builds). Without spack
it also prints the layer plan of the committed locks 2026.05 -> 2026.11.
    .venv/bin/python -m bench.pull [--ca-cert FILE]
Targets: (t) < 15 % of the second image's bytes fetched warm; (s) < 10 %.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from labforge.buildah.notebook import build_release
from labforge.demo.tools import manifest, small_release_project
from labforge.inputs.project import Project, PublishSettings
from labforge.locks.layers import plan_layers
from labforge.locks.lockfile import release_lock
from labforge.loopback.registry import local_registry
from labforge.registry.client import Registry, inspect_manifest
from labforge.registry.compression import skopeo_args
from labforge.registry.names import local_notebook as local_reference

REPO = Path(__file__).resolve().parents[1]

RELEASE = "2033.01"  # bench-only ids: never the demo's or the tests' images
SERVER_PIN = "tomli==2.2.1"  # the pin added in pair (s)


def manifest_layers(reference: str) -> list[dict]:
    return json.loads(inspect_manifest(reference, tls_verify=False))["layers"]


def push(local: str, target: str, log: Path, compression: str = "gzip") -> list[dict]:
    """Push as `labforge release publish` does, with `compression` (publish.compression)."""
    Registry(target.split("/")[0], tls_verify=False, attempts=1).push(
        local, target, log, "bench push", skopeo_args(PublishSettings(compression=compression)))
    return manifest_layers(target)


def pull_seconds(store: Path, reference: str) -> float:
    """Pull and unpack `reference` into the containers-storage at `store` (overlay driver)."""
    start = time.monotonic()
    subprocess.run(["skopeo", "copy", "--src-tls-verify=false", f"docker://{reference}",
                    f"containers-storage:[overlay@{store}/graph+{store}/run]{reference.split('/', 1)[1]}"],
                   capture_output=True, text=True, check=True)
    return time.monotonic() - start


def fresh_store(tmp: Path, name: str) -> Path:
    store = tmp / "stores" / name
    if store.exists():
        subprocess.run(["umount", "-R", str(store / "graph" / "overlay")], capture_output=True)
        shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    return store


def pair_row(tmp: Path, title: str, first: str, second: str) -> tuple:
    held = {layer["digest"] for layer in manifest_layers(first)}
    layers = manifest_layers(second)
    fetch = [layer for layer in layers if layer["digest"] not in held]
    total, fetched = sum(x["size"] for x in layers), sum(x["size"] for x in fetch)
    cold = pull_seconds(fresh_store(tmp, "cold"), second)
    warm_store = fresh_store(tmp, "warm")
    pull_seconds(warm_store, first)
    warm = pull_seconds(warm_store, second)
    return title, len(layers), len(fetch), total, fetched, cold, warm


def build(project: Project, release_id: str, with_spack: bool, args, address: str, tag: str) -> str:
    build_release(project, release_id, with_spack=with_spack, ca_certs=args.ca_cert, force=True, tls_verify=False,
                  **({"spack_cache": f"{address}/spack-cache/buildcache", "unsigned_cache": True} if with_spack else {}))
    target = f"{address}/bench/notebook:{tag}"
    push(local_reference(release_id), target, project.build_dir / "logs" / f"push-{tag}.log")
    return target


def add_server_pin(project: Project) -> Project:
    settings = project.root / "labforge.yaml"
    settings.write_text(settings.read_text().replace("  - ipykernel==7.4.0\n", f"  - ipykernel==7.4.0\n  - {SERVER_PIN}\n"))
    return Project(project.root)  # settings are read once per Project


def planned() -> None:
    project = Project(REPO)
    limit = project.settings.build.max_layers
    before = {layer.name for layer in plan_layers(release_lock(project, "2026.05"), limit)}
    after = plan_layers(release_lock(project, "2026.11"), limit)
    new = [layer for layer in after if layer.name not in before]
    print(f"planned from the committed locks: a node holding 2026.05 fetches {len(new)} of 2026.11's "
          f"{len(after)} package layers (the server and base layers are shared when their pins are)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ca-cert", action="append", default=[], help="CA bundle to trust during builds")
    args = parser.parse_args()
    if os.geteuid() != 0 or not shutil.which("buildah"):
        print("needs root and buildah (make system): nothing measured")
        return planned()
    with_spack = bool(os.environ.get("SPACK_ROOT"))
    rows, compressions = [], []
    with tempfile.TemporaryDirectory(prefix="labforge-pull-") as name:
        tmp = Path(name)
        project = small_release_project(Project(REPO), tmp / "project", RELEASE)
        with local_registry(tmp / "registry") as address:
            if with_spack:
                from labforge.spackbuild.concretize import lock_release

                lock_release(project, RELEASE)
                first = build(project, RELEASE, True, args, address, "t1")
                (project.releases_dir / f"{RELEASE}.yaml").write_text(manifest(["1.17.0", "1.16.0"], RELEASE))
                lock_release(project, RELEASE)
                second = build(project, RELEASE, True, args, address, "t2")
                rows.append(pair_row(tmp, "(t) one tool version added", first, second))
            first = build(project, RELEASE, False, args, address, "s1")
            project = add_server_pin(project)
            second = build(project, RELEASE, False, args, address, "s2")
            rows.append(pair_row(tmp, "(s) one server pin added", first, second))
            fresh_store(tmp, "cold"), fresh_store(tmp, "warm")  # unmount before the folder goes
        for compression in ("gzip", "zstd", "zstd:chunked"):
            # a registry of its own each: skopeo 1.9 would reuse the blobs another push left
            with local_registry(tmp / f"registry-{compression.replace(':', '-')}") as address:
                target = f"{address}/bench/notebook:s2"
                start = time.monotonic()
                layers = push(local_reference(RELEASE), target, tmp / f"push-{compression.replace(':', '-')}.log",
                              compression)
                pushed = time.monotonic() - start
                kinds = sorted({x["mediaType"].rsplit(".", 1)[-1] for x in layers})
                compressions.append((compression, "/".join(kinds), sum(x["size"] for x in layers), pushed,
                                     pull_seconds(fresh_store(tmp, "cold"), target)))
                fresh_store(tmp, "cold")
    print(f"{'pair':32} {'layers':>6} {'fetch':>6} {'image bytes':>14} {'fetched':>13} {'share':>7} "
          f"{'cold s':>7} {'warm s':>7}")
    for title, layers, fetch, total, fetched, cold, warm in rows:
        print(f"{title:32} {layers:6d} {fetch:6d} {total:14,d} {fetched:13,d} {100 * fetched / total:6.2f}% "
              f"{cold:7.1f} {warm:7.1f}")
    print(f"\n{'compression':14} {'layers':8} {'image bytes':>14} {'push s':>7} {'cold pull+unpack s':>19}")
    for compression, kinds, size, pushed, cold in compressions:
        print(f"{compression:14} {kinds:8} {size:14,d} {pushed:7.1f} {cold:19.1f}")
    if not with_spack:
        print("\nSPACK_ROOT is not set: pair (t) needs spack builds.")
        planned()


if __name__ == "__main__":
    main()
