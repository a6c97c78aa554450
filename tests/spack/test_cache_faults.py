"""A job killed in the middle of a push (a CI cancel, a node lost) leaves no half package in the
build cache: the package is not listed, and the next build compiles it instead of failing. Real
spack pushes to a real registry through a proxy that holds the push's last request (the image
manifest, sent once every blob is up) until the test has killed spack."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import threading
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

from labforge.inputs.project import Project
from labforge.loopback.registry import local_registry
from tests.helpers.fake_install import leaves, locked_environment, spack_in
from tests.helpers.project import copy_project
from tests.helpers.spack_marks import needs_spack

pytestmark = needs_spack
RELEASE = "2026.11"
REPOSITORY = "spack-cache/buildcache"


@contextmanager
def holding_proxy(upstream: str) -> Iterator[tuple[str, threading.Event]]:
    """A proxy to the registry at `upstream` that forwards every request but a manifest PUT: that
    one sets the event and never gets an answer."""
    manifest_sent = threading.Event()

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def forward(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.command == "PUT" and "/manifests/" in self.path:
                manifest_sent.set()
                threading.Event().wait(60)  # held: spack is killed meanwhile
                self.close_connection = True
                return
            connection = http.client.HTTPConnection(upstream, timeout=30)
            connection.request(self.command, self.path, body or None, dict(self.headers.items()))
            answer = connection.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            connection.close()

        do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", manifest_sent
    finally:
        server.shutdown()


def tags(registry: str) -> list[str]:
    try:
        with urllib.request.urlopen(f"http://{registry}/v2/{REPOSITORY}/tags/list", timeout=10) as answer:
            return json.load(answer).get("tags") or []
    except urllib.error.HTTPError as exc:
        assert exc.code == 404  # the repository does not exist: nothing was ever tagged
        return []


def test_a_push_killed_before_its_manifest_leaves_nothing_listed_and_the_next_build_compiles(tmp_path):
    project = Project(copy_project(tmp_path / "project"))
    killed, whole = leaves(project, RELEASE, 2)
    env, scope = locked_environment(project, RELEASE, tmp_path / "fake")
    spack_in(env, scope, "install", "--fake", "--no-check-signature", f"/{killed}", f"/{whole}")
    with local_registry(tmp_path / "registry") as registry, holding_proxy(registry) as (proxy, manifest_sent):
        push = subprocess.Popen([os.environ["SPACK_ROOT"] + "/bin/spack", "-C", scope["scope"], "-e", str(env),
                                 "buildcache", "push", "--unsigned", "--only", "package",
                                 f"oci+http://{proxy}/{REPOSITORY}", f"/{killed}"],
                                start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert manifest_sent.wait(300), "spack never sent the manifest"
        finally:
            os.killpg(push.pid, signal.SIGKILL)
            push.wait()
        # the control: the other package pushed whole, straight to the registry
        cache = f"oci+http://{registry}/{REPOSITORY}"
        spack_in(env, scope, "buildcache", "push", "--unsigned", "--only", "package", cache, f"/{whole}")
        spack_in(env, scope, "buildcache", "update-index", cache)
        listed = [tag for tag in tags(registry) if tag != "index.spack"]
        assert [tag for tag in listed if killed in tag] == []  # its blobs are up, but nothing names them
        assert [tag for tag in listed if whole in tag] != []

        # the next build: both packages gone from the install tree, the cache as its mirror
        spack_in(env, scope, "uninstall", "-y", f"/{killed}", f"/{whole}")
        spack_in(env, scope, "mirror", "add", "--unsigned", "cache", cache)
        output = spack_in(env, scope, "install", "--fake", f"/{killed}", f"/{whole}")
    from_cache = {line for line in output.splitlines() if "from binary cache" in line}
    assert any(whole in line for line in from_cache), output[-2000:]
    assert not any(killed in line for line in from_cache), output[-2000:]
    assert Path(spack_in(env, scope, "location", "-i", f"/{killed}").strip()).is_dir()  # compiled
