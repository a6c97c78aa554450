"""`labforge release try` and `release test --browser` on bad input: one line each, exit 1, no
traceback, nothing left running and no folder made. (The Lab itself: labforge/suites/browser,
run on the demo's images by `make test-browser`.)"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

import pytest

from labforge.loopback.lab import server_command

RELEASE = "2098.01"  # a release no machine has built


@pytest.fixture
def unbuilt(project):
    (project / "releases" / f"{RELEASE}.yaml").write_text(
        f'id: "{RELEASE}"\nchannel: stable\npython: "3.11"\ntools:\n- name: py-numpy\n  versions: ["2.2.6"]\n')
    return project


def try_containers() -> list[str]:
    if not shutil.which("buildah"):
        return []
    listed = subprocess.run(["buildah", "containers", "--format", "{{.ContainerName}}"], capture_output=True, text=True)
    return [name for name in listed.stdout.split() if name.startswith(f"labforge-try-{RELEASE.replace('.', '-')}")]


def one_line_failure(result, *needles: str) -> None:
    assert result.code == 1, result
    assert "Traceback" not in result.stderr + result.stdout
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.mark.skipif(not shutil.which("buildah"), reason="buildah is installed by 'make system'")
def test_try_on_a_release_that_is_not_built(cli, unbuilt):
    result = cli(unbuilt, "release", "try", RELEASE, "--port", "18931")
    one_line_failure(result, "no such image in the local store", f"labforge release build {RELEASE}")
    assert not (unbuilt / "build" / "try").exists() and try_containers() == []


@pytest.mark.skipif(not shutil.which("buildah"), reason="buildah is installed by 'make system'")
def test_try_on_a_port_in_use(cli, unbuilt):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli(unbuilt, "release", "try", RELEASE, "--port", str(port))
    one_line_failure(result, f"--port {port}", "in use")
    assert not (unbuilt / "build" / "try").exists()


@pytest.mark.skipif(not shutil.which("buildah"), reason="buildah is installed by 'make system'")
def test_try_with_a_drive_that_is_a_file(cli, unbuilt, tmp_path):
    drive = tmp_path / "notes.txt"
    drive.write_text("mine\n")
    result = cli(unbuilt, "release", "try", RELEASE, "--port", "18932", "--drive", str(drive))
    one_line_failure(result, "is a file, not a folder")
    assert drive.read_text() == "mine\n"


def test_try_on_an_unknown_release(cli, project):
    one_line_failure(cli(project, "release", "try", "1999.01"), "1999.01")


@pytest.mark.skipif(os.geteuid() != 0, reason="the image test mounts as root")
def test_browser_tests_without_chromium_say_so_before_anything(cli, unbuilt, tmp_path):
    bare = tmp_path / "bin"  # a PATH with buildah but no chromium
    bare.mkdir()
    for tool in ("buildah",):
        if shutil.which(tool):
            (bare / tool).symlink_to(shutil.which(tool))
    env = {**os.environ, "PATH": f"{bare}:{os.path.dirname(sys.executable)}", "LABFORGE_PROJECT": str(unbuilt)}
    proc = subprocess.run([sys.executable, "-m", "labforge", "release", "test", RELEASE, "--browser"],
                          capture_output=True, text=True, env=env, cwd=unbuilt, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "chromium and chromedriver: not installed" in proc.stderr and "apt-get install chromium" in proc.stderr


def test_the_server_runs_as_the_image_user_on_loopback_with_the_folders_mounted(tmp_path):
    """What `try` runs: the image's own jupyter, on 127.0.0.1 only, the token given, the Drive
    writable and the datasets read-only where the hub would mount them."""
    mounts = type("M", (), {"drive": "/home/jovyan/drive", "datasets": "/home/jovyan/datasets",
                            "shared": "/home/jovyan/shared"})()
    folders = {"drive": tmp_path / "d", "datasets": tmp_path / "ds", "shared": tmp_path / "s"}
    command = server_command(["buildah", "run"], "c1", folders, mounts, "/home/jovyan", 18888, "tok")
    assert command[command.index("c1") + 1:][:3] == ["--", "jupyter", "lab"]
    assert "--ServerApp.ip=127.0.0.1" in command and "--IdentityProvider.token=tok" in command
    assert f"{tmp_path / 'ds'}:/home/jovyan/datasets:ro" in command
    assert f"{tmp_path / 'd'}:/home/jovyan/drive:rw" in command
