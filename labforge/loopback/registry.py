"""A real OCI registry (Debian's docker-registry) on loopback, for the demo and the tests."""

from __future__ import annotations

import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..core.atomic import write_text
from ..core.errors import LabforgeError, Problem
from ..core.process import require

CONFIG = """version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""
# HTTPS, as Harbor serves: spack reads a build cache's index only over oci:// (HTTPS).
TLS = """  tls:
    certificate: {certificate}
    key: {key}
"""
# Basic auth from an htpasswd file (bcrypt), as a Harbor robot account logs in.
AUTH = """auth:
  htpasswd:
    realm: labforge
    path: {htpasswd}
"""


def self_signed(folder: Path, name: str = "registry") -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and localhost) that is its own CA, and its key."""
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def htpasswd_file(path: Path, users: dict[str, str]) -> Path:
    """An htpasswd file with a bcrypt entry per user (Harbor robot names, `robot$lab+builder`, work).
    The password goes to htpasswd on its standard input, never on its command line."""
    lines = []
    for user, password in sorted(users.items()):
        made = subprocess.run([require("htpasswd"), "-niB", user], input=password, capture_output=True, text=True,
                              check=True)
        lines.append(made.stdout.strip())
    write_text(path, "\n".join(lines) + "\n")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def ready(port: int, ca: Path | None = None) -> bool:
    scheme, context = ("https", ssl.create_default_context(cafile=str(ca))) if ca else ("http", None)
    try:
        with urllib.request.urlopen(f"{scheme}://127.0.0.1:{port}/v2/", timeout=1, context=context) as response:
            return response.status == 200
    except urllib.error.HTTPError as exc:
        return exc.code == 401  # up, and asking for credentials
    except OSError:
        return False


@contextmanager
def local_registry(storage: Path, port: int | None = None, log: Path | None = None,
                   tls: tuple[Path, Path] | None = None, users: dict[str, str] | None = None) -> Iterator[str]:
    """Start docker-registry with its storage in `storage`; yield "127.0.0.1:PORT"; stop it after.
    `tls`: (certificate, key) to serve HTTPS; the certificate must be its own CA (self-signed).
    `users`: {user: password} it asks for with basic auth (docker-registry allows it over HTTPS only)."""
    binary = require("docker-registry")
    port = port or free_port()
    if port_in_use(port):
        raise LabforgeError(Problem(f"127.0.0.1:{port}", "port already in use",
                                    "stop what listens there or choose another port"))
    storage.mkdir(parents=True, exist_ok=True)
    config = storage.parent / f"registry-{port}.yml"
    text = CONFIG.format(root=storage.resolve(), port=port)
    if tls:
        text += TLS.format(certificate=tls[0].resolve(), key=tls[1].resolve())
    if users:
        text += AUTH.format(htpasswd=htpasswd_file(storage.parent / f"registry-{port}.htpasswd", users).resolve())
    write_text(config, text)
    if log:
        log.parent.mkdir(parents=True, exist_ok=True)  # a fresh checkout has no build/logs yet
    out = open(log, "a") if log else subprocess.DEVNULL
    proc = subprocess.Popen([binary, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while not ready(port, tls[0] if tls else None):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise LabforgeError(Problem("docker-registry", "did not start", f"see {log or 'its output'}"))
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            out.close()
