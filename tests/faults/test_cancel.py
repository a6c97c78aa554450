"""A CI job cancel sends SIGTERM: labforge stops the tools it started (spack, buildah and what
they run), removes its temporary directories and exits 143."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.project import REPO, copy_project
from tests.helpers.spack_marks import needs_spack


def start(project: Path, tmp: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "LABFORGE_PROJECT": str(project), "TMPDIR": str(tmp), "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "labforge", *args], cwd=project, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def descendants(pid: int) -> set[int]:
    """Every process started, directly or not, by `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


def cancel_when(proc: subprocess.Popen, ready, timeout: float = 300) -> tuple[set[int], int, str]:
    """Wait until `ready(children)` holds, send SIGTERM; the children then, the exit code, stderr."""
    deadline = time.monotonic() + timeout
    while True:
        kids = descendants(proc.pid)
        if ready(kids):
            break
        assert proc.poll() is None and time.monotonic() < deadline, "the command ended before it could be cancelled"
        time.sleep(0.2)
    time.sleep(1)
    kids |= descendants(proc.pid)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    return kids, proc.returncode, stderr


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@needs_spack[0]
@needs_spack[1]
def test_cancelled_lock_stops_spack_and_removes_its_scratch(tmp_path):
    project = copy_project(tmp_path / "project")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = start(project, scratch, "release", "lock", "2026.11")
    kids, code, stderr = cancel_when(proc, lambda pids: any("concretize" in cmdline(p) for p in pids))
    assert code == 143 and "cancelled (SIGTERM)" in stderr and "Traceback" not in stderr
    time.sleep(0.5)
    assert alive(kids) == set(), [cmdline(p) for p in alive(kids)]
    assert list(scratch.iterdir()) == []  # the lock's scratch environment is gone
    assert (project / "releases" / "2026.11.lock.json").read_bytes() == \
        (REPO / "releases" / "2026.11.lock.json").read_bytes()


@pytest.mark.images
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("buildah"), reason="image builds need root and buildah")
def test_cancelled_build_stops_buildah_and_leaves_no_secret(tmp_path):
    project = copy_project(tmp_path / "project")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = start(project, scratch, "release", "build", "2026.05", "--no-spack", "--force")
    kids, code, stderr = cancel_when(proc, lambda pids: any("buildah" in cmdline(p) and " bud " in cmdline(p)
                                                            for p in pids))
    assert code == 143 and "Traceback" not in stderr
    time.sleep(0.5)
    assert alive(kids) == set(), [cmdline(p) for p in alive(kids)]
    assert not any((project / "build" / "secrets").rglob("labforge-*"))  # the CA bundle and cache secrets
    assert list(scratch.iterdir()) == []


@needs_spack[0]
@needs_spack[1]
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("buildah"), reason="tool builds need root and buildah")
def test_cancelled_tool_build_stops_spack_and_removes_its_scratch(tmp_path):
    from labforge.demo.tools import small_release_project
    from labforge.inputs.project import Project
    from labforge.spackbuild.concretize import lock_release

    release = "2099.08"  # this test's own: image names follow release ids
    project = small_release_project(Project(REPO), tmp_path / "project", release)
    lock_release(project, release)
    # The tool build checks that the release image exists before it concretizes, where it is
    # cancelled: an empty image under the release's name is enough.
    container = subprocess.run(["buildah", "from", "scratch"], check=True, capture_output=True,
                               text=True).stdout.strip().splitlines()[-1]
    image = f"localhost/labforge/lab:{release}"
    subprocess.run(["buildah", "commit", "--quiet", container, image], check=True, capture_output=True)
    subprocess.run(["buildah", "rm", container], check=True, capture_output=True)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    try:
        proc = start(project.root, scratch, "tool", "build", "py-six@1.16.0", "--release", release)
        kids, code, stderr = cancel_when(proc, lambda pids: any("concretize" in cmdline(p) for p in pids))
    finally:
        subprocess.run(["buildah", "rmi", image], capture_output=True)
    assert code == 143 and "cancelled (SIGTERM)" in stderr and "Traceback" not in stderr
    time.sleep(0.5)
    assert alive(kids) == set(), [cmdline(p) for p in alive(kids)]
    assert list(scratch.iterdir()) == []  # the tool's scratch environments are gone
