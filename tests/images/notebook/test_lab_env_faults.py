"""lab-env's faults on a real filesystem, with this host's Python as the server's (the script is
the standard library plus the server's pip): a Drive that fills up in the middle of a build, and
a build interrupted as Ctrl-C would. One line each; the previous build stays active and usable;
nothing half-written is left or pointed at. The Drive is a small tmpfs (mounting one needs root)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from labforge.suites.image.helpers import wheel
from tests.helpers.project import REPO
from tests.helpers.waiting import wait_until

SCRIPT = REPO / "images" / "notebook" / "files" / "lab_env.py"


@pytest.fixture
def drive(tmp_path):
    folder = tmp_path / "home" / "drive"
    folder.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    (tmp_path / "wheels").mkdir()
    yield folder
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def lab_env(drive, *args: str, start: bool = False):
    command = [sys.executable, str(SCRIPT), *args]
    env = {**os.environ, "HOME": str(drive.parent), "LAB_ENV_HOME": str(drive / ".lab-envs")}
    if start:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def state(drive) -> dict:
    """What a user and the server see: the active build, the builds on the Drive, the kernel."""
    env = drive / ".lab-envs" / "envs" / "mine"
    kernel = drive / ".lab-envs" / "kernels" / "lab-env-mine" / "kernel.json"
    return {"current": os.readlink(env / "current"), "builds": sorted(p.name for p in (env / "builds").iterdir()),
            "kernel": json.loads(kernel.read_text())["metadata"]["lab_env"]["build"],
            "stray": sorted(str(p.relative_to(drive)) for p in drive.rglob("*.new"))}


def works(drive) -> bool:
    python = drive / ".lab-envs" / "envs" / "mine" / "current" / "bin" / "python"
    return subprocess.run([str(python), "-c", "import labsmall"], capture_output=True).returncode == 0


def test_a_full_drive_is_one_line_and_the_previous_build_stays(drive):
    small = wheel(drive.parent.parent / "wheels", "labsmall", "1.0").rsplit("/", 1)[1]
    made = lab_env(drive, "create", "mine", "--no-index", "--wheel", str(drive.parent.parent / "wheels" / small))
    assert made.returncode == 0, made.stderr
    before = state(drive)
    # 4 MB once unpacked, a few KB as a wheel: the copy kept for rebuilds fits, the install does not
    big = wheel(drive.parent.parent / "wheels", "labbig", "1.0", padding=4_000_000).rsplit("/", 1)[1]
    full = lab_env(drive, "add", "mine", "--no-index", "--wheel", str(drive.parent.parent / "wheels" / big))
    assert full.returncode == 1 and full.stderr.startswith("lab-env: ") and len(full.stderr.splitlines()) == 1, \
        full.stderr
    assert "No space left on device" in full.stderr or "no space" in full.stderr.lower(), full.stderr
    assert state(drive) == before and works(drive)
    assert "build 1 of 1" in lab_env(drive, "list").stdout


def test_an_interrupted_build_leaves_the_previous_one_active(drive):
    wheels = drive.parent.parent / "wheels"
    made = lab_env(drive, "create", "mine", "--no-index", "--wheel", str(wheels / wheel(wheels, "labsmall", "1.0")
                                                                          .rsplit("/", 1)[1]))
    assert made.returncode == 0, made.stderr
    before = state(drive)
    extra = wheels / wheel(wheels, "labextra", "1.0").rsplit("/", 1)[1]
    running = lab_env(drive, "add", "mine", "--no-index", "--wheel", str(extra), start=True)
    partial = drive / ".lab-envs" / "envs" / "mine" / "builds" / "2"
    wait_until(partial.exists, "build 2 to start", 60)
    running.send_signal(signal.SIGINT)
    _, err = running.communicate(timeout=60)
    if running.returncode == 0:
        pytest.skip("the build finished before the interrupt reached it")
    assert running.returncode == 130 and err.strip().splitlines()[-1].startswith("lab-env: interrupted"), err
    assert state(drive) == before and works(drive)
