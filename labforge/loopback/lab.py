"""`labforge release try ID` (and `tool try`): serve a built image's JupyterLab on 127.0.0.1.

The image's own server runs as the image user in a buildah container (chroot isolation, the
host's loopback: podman cannot run containers on every build host), with the Drive, datasets
and shared folders bind-mounted from host folders, so what a user saves under drive/ is on the
host and survives the next `try`. Leaving the `with` stops the server and removes the container.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..buildah.store import require_image
from ..core.errors import LabforgeError, Problem
from ..core.process import require, stop
from ..inputs.project import Project

BUILDERS = ("buildah", "podman")
READY_SECONDS = 180


@dataclass
class LabSession:
    url: str  # with the token: what a browser opens
    base: str  # http://127.0.0.1:PORT
    token: str
    folders: dict[str, Path]  # drive / datasets / shared on the host
    log: Path
    container: str


def free_port_or_fail(port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise LabforgeError(Problem(f"--port {port}", "the port is in use on 127.0.0.1",
                                        "pick another with --port, or stop what listens there")) from None


def check_drive(drive: Path | None, uid: int, gid: int) -> None:
    """A given --drive: a folder (or nothing yet) the image user can write. Never changed."""
    if drive is None:
        return
    if drive.exists() and not drive.is_dir():
        raise LabforgeError(Problem(str(drive), "is a file, not a folder",
                                    "give a folder (it is created if missing)", field="--drive"))
    if drive.is_dir():
        info = drive.stat()
        if info.st_uid != uid and not info.st_mode & 0o002:
            raise LabforgeError(Problem(str(drive), f"the image user (uid {uid}) cannot write here",
                                        f"chown {uid}:{gid} it, or leave --drive out for a scratch Drive", field="--drive"))


def host_folders(project: Project, name: str, drive: Path | None, uid: int, gid: int) -> dict[str, Path]:
    """The folders to mount: --drive as given, the rest under build/try/NAME. Scratch folders
    are kept, so the Drive outlives the session like a real one."""
    scratch = project.build_dir / "try" / name
    folders = {"drive": drive or scratch / "drive", "datasets": scratch / "datasets", "shared": scratch / "shared"}
    for key, folder in folders.items():
        if key == "drive" and drive is not None:
            if not drive.exists():
                drive.mkdir(parents=True)
                os.chown(drive, uid, gid)
            continue
        folder.mkdir(parents=True, exist_ok=True)
        os.chown(folder, uid, gid)
    return folders


def server_command(base: list[str], container: str, folders: dict[str, Path], mounts, home: str, port: int,
                   token: str, env: dict[str, str] | None = None) -> list[str]:
    volumes = [f"{folders['drive']}:{mounts.drive}:rw", f"{folders['datasets']}:{mounts.datasets}:ro",
               f"{folders['shared']}:{mounts.shared}:rw"]
    extra = [arg for key, value in sorted((env or {}).items()) for arg in ("--env", f"{key}={value}")]
    return [*base, *[arg for v in volumes for arg in ("-v", v)], "--env", f"HOME={home}", *extra, container, "--",
            "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home}"]


def wait_until_ready(proc: subprocess.Popen, base: str, token: str, log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise LabforgeError(Problem("labforge try", f"the server stopped: {' | '.join(tail)[-400:]}",
                                        f"see {log}"))
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=3) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise LabforgeError(Problem("labforge try", f"the server did not answer in {READY_SECONDS} s",
                                f"see {log}"))


@contextlib.contextmanager
def serve(project: Project, reference: str, name: str, *, port: int = 8888, drive: Path | None = None,
          builder: str = "buildah", build_it: str | None = None,
          env: dict[str, str] | None = None) -> Iterator[LabSession]:
    """Serve `reference` (a local image) until the `with` ends; `build_it`: the command that
    builds it (default: the release build of `name`); `env`: what the hub's profile would add
    (LAB_RELEASE_NOTICE of a deprecated release)."""
    if builder not in BUILDERS:
        raise LabforgeError(Problem(f"--builder {builder}", "unknown builder", "use buildah or podman"))
    require(builder)
    image = project.settings.image
    drive = drive.absolute() if drive is not None else None  # a bind mount needs an absolute path
    free_port_or_fail(port)
    check_drive(drive, image.uid, image.gid)
    require_image(reference, build_it or f"labforge release build {name}")
    folders = host_folders(project, name, drive, image.uid, image.gid)
    home = f"/home/{image.user}"
    container = f"labforge-try-{name}-{port}".replace(".", "-").replace("@", "-")
    log = project.build_dir / "logs" / f"try-{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(24)
    subprocess.run([builder, "rm", container], capture_output=True)  # a container left by a killed try
    if builder == "buildah":
        made = subprocess.run(["buildah", "from", "--pull-never", "--name", container, reference],
                              capture_output=True, text=True)
        if made.returncode != 0:
            raise LabforgeError(Problem(reference, f"buildah from failed: {made.stderr.strip()[-300:]}",
                                        "check the image with 'buildah images'"))
        base = ["buildah", "run", "--isolation", "chroot", "--network", "host"]
        command = server_command(base, container, folders, image.mounts, home, port, token, env)
    else:
        base = ["podman", "run", "--rm", "--name", container, "--network", "host", "--user", f"{image.uid}:{image.gid}"]
        command = server_command(base, reference, folders, image.mounts, home, port, token, env)
        command.remove("--")
    with open(log, "w", encoding="utf-8") as handle:
        proc = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_ready(proc, base_url, token, log)
        yield LabSession(f"{base_url}/lab?token={token}", base_url, token, folders, log, container)
    finally:
        stop(proc)
        subprocess.run([builder, "rm", container], capture_output=True)
