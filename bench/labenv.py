"""A user's own pip environment (`lab-env`), timed in the demo's notebook image as a user runs it:
create with one package from a local wheel, add a second (a new build), roll back, rebuild from
the lock, and the size each build takes on the Drive. Each step is one `buildah run` of the image
(about 1 s of it is buildah's own start). Without the image (`make demo` builds it) it times
the same script on this host's Python.
    .venv/bin/python -m bench.labenv [--release 2026.11] [--spack-release 2099.01]
Target: create with one local wheel under 20 s on this machine.

Then a spack environment (`lab-env --spack`) in the demo's tool image (2099.01, which offers
them): a user's recipe on the release's py-six, then a second one added. Target: exactly 1
compiled in each build (the rest is the release's, or the environment's own from before).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labforge.suites.image.helpers import recipe, wheel

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "images" / "notebook" / "files" / "lab_env.py"
IN_IMAGE_DRIVE = "/home/jovyan/drive"


def runner(release: str, drive: Path):
    """A function running `lab-env ARGS` in the image (or on this host) with `drive` as ~/drive."""
    image = f"localhost/labforge/lab:{release}"
    made = subprocess.run(["buildah", "from", "--pull-never", image], capture_output=True, text=True)
    if made.returncode != 0:
        print(f"no local image {image}: timing on this host's Python instead")
        env = {**os.environ, "LAB_ENV_HOME": str(drive / ".lab-envs"), "HOME": str(drive.parent)}
        return (lambda *args: subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True,
                                             text=True), lambda: None, str(drive))
    container = made.stdout.strip()
    os.chown(drive, 1000, 1000)

    def run(*args):
        return subprocess.run(["buildah", "run", "--isolation", "chroot", "--volume", f"{drive}:{IN_IMAGE_DRIVE}:rw",
                               "--env", "HOME=/home/jovyan", container, "--", "lab-env", *args],
                              capture_output=True, text=True)
    return run, lambda: subprocess.run(["buildah", "rm", container], capture_output=True), IN_IMAGE_DRIVE


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def timed(run, steps) -> None:
    for label, command in steps:
        start = time.monotonic()
        result = run(*command)
        seconds = time.monotonic() - start
        status = "ok" if result.returncode == 0 else f"FAILED: {(result.stderr or result.stdout).strip()[-200:]}"
        print(f"{label:34} {seconds:6.1f} s  {status}")


def spack_figures(release: str) -> None:
    image = f"localhost/labforge/lab:{release}"
    if subprocess.run(["buildah", "inspect", "--type", "image", image], capture_output=True).returncode != 0:
        print(f"no local image {image} (make demo builds it where spack can be had): no spack figures")
        return
    with tempfile.TemporaryDirectory(prefix="bench-labenv-spack-") as scratch:
        drive = Path(scratch) / "drive"
        recipes = drive / "recipes"
        recipe(recipes, "py-lab-hello", depends=("py-six",))
        recipe(recipes, "py-lab-extra")
        for path in [drive, *drive.rglob("*")]:
            os.chown(path, 1000, 1000)
        run, done, seen = runner(release, drive)
        try:
            timed(run, [("spack: create, one recipe", ["create", "bench", "--spack", "py-lab-hello@1.0",
                                                       "--repo", f"{seen}/recipes"]),
                        ("spack: add a second (build 2)", ["add", "bench", "--spack", "py-lab-extra@1.0"])])
        finally:
            done()
        builds = drive / ".lab-envs" / "envs" / "bench" / "builds"
        for build in sorted(builds.iterdir()) if builds.is_dir() else []:
            record = json.loads((build / "record.json").read_text())
            print(f"spack build {build.name}: {len(record['compiled'])} compiled (target: exactly 1), "
                  f"{len(record['from_release'])} from the release")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", default="2026.11")
    parser.add_argument("--spack-release", default="2099.01", help="a release image offering spack environments")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-labenv-") as scratch:
        drive = Path(scratch) / "drive"
        drive.mkdir()
        for name, version in (("labdemo", "1.0"), ("labextra", "2.0")):
            wheel(drive, name, version)
        run, done, seen = runner(args.release, drive)
        steps = [("create, one local wheel", ["create", "bench", "--no-index", "--wheel",
                                              f"{seen}/labdemo-1.0-py3-none-any.whl"]),
                 ("add a second wheel (build 2)", ["add", "bench", "--no-index", "--wheel",
                                                   f"{seen}/labextra-2.0-py3-none-any.whl"]),
                 ("rollback to build 1", ["rollback", "bench"]),
                 ("rebuild from the lock (build 3)", ["rebuild", "bench", "--no-index"]),
                 ("list", ["list"])]
        try:
            timed(run, steps)
        finally:
            done()
        builds = drive / ".lab-envs" / "envs" / "bench" / "builds"
        for build in sorted(builds.iterdir()) if builds.is_dir() else []:
            print(f"build {build.name} on the Drive: {size_mb(build):.2f} MB")
    spack_figures(args.spack_release)


if __name__ == "__main__":
    main()
