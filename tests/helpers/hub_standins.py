"""What a real JupyterHub needs in the tests that this machine has no real one of (no cluster),
loaded by the hubs the tests start:

- MemoryProxy: routes kept in memory, for tests that talk to the hub and services only (the
  `hub check` test runs the real configurable-http-proxy instead);
- RecordingSpawner: a "server" that is a plain HTTP server, started with the environment the
  hub gives a real one (its own JUPYTERHUB_API_TOKEN and all), written to RECORD_DIR/<user>.json
  so the test can act as that server;
- the hub's own LabSpawner with its pod replaced: by a plain HTTP server (`hub usage`), or by
  the release's image run as `release try` runs it (`hub check`).
"""

import json
import os
import subprocess
import sys

from jupyterhub.proxy import Proxy
from jupyterhub.spawner import Spawner
from traitlets import Unicode

from labforge.core.process import stop
from labforge.loopback.registry import free_port


class MemoryProxy(Proxy):
    should_start = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.routes = {}

    async def add_route(self, routespec, target, data):
        self.routes[routespec] = {"routespec": routespec, "target": target, "data": data}

    async def delete_route(self, routespec):
        self.routes.pop(routespec, None)

    async def get_all_routes(self):
        return dict(self.routes)


class LocalServer:
    """Spawner mixin: the "server" is a local process group in `self.proc`."""

    proc = None

    async def poll(self):
        if self.proc is None:
            return 0
        return self.proc.poll()

    async def stop(self, now=False):
        if self.proc is not None:
            stop(self.proc)  # the whole group, as `release try` stops its server
            self.proc = None

    def serve_http(self) -> str:
        """A plain HTTP server on a free port: enough for the hub to see a server up."""
        port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        return f"http://127.0.0.1:{port}"


class RecordingSpawner(LocalServer, Spawner):
    record_dir = Unicode(config=True)

    async def start(self):
        env = self.get_env()
        path = os.path.join(self.record_dir, f"{self.user.name}.json")
        with open(path + ".tmp", "w") as f:
            json.dump(env, f)
        os.replace(path + ".tmp", path)
        return self.serve_http()


def loopback_lab_spawner():
    """The hub's own LabSpawner (infra/hub/pod/lab_spawner.py: KubeSpawner's profiles, the retired
    releases' gate, the release record in its state) with its pod replaced by a local HTTP
    server; made on demand, as kubespawner is only needed by the tests that use it."""
    from infra.hub.pod.lab_spawner import LabSpawner

    class LoopbackLabSpawner(LocalServer, LabSpawner):
        async def start(self):
            await self.load_user_options()  # what KubeSpawner.start does first
            return self.serve_http()

    return LoopbackLabSpawner


def drive_volumes(spawner, drive_dir: str) -> list[str]:
    """buildah --volume arguments for the claim mounts the Drive hook gave the pod (subPaths of
    `drive_dir`, the stand-in for the Drive's claim); the writable folders are made as the image
    user first, which is the Drive's init container's job."""
    claims = {v.get("name") for v in spawner.volumes if isinstance(v, dict) and "persistentVolumeClaim" in v}
    arguments = []
    for mount in spawner.volume_mounts if drive_dir else []:
        if mount.get("name") not in claims or ".." in mount["subPath"].split("/"):
            continue
        host = os.path.join(drive_dir, mount["subPath"])
        os.makedirs(host, exist_ok=True)
        if not mount.get("readOnly"):
            os.chown(host, 1000, 1000)
        arguments += ["--volume", f"{host}:{mount['mountPath']}:{'ro' if mount.get('readOnly') else 'rw'}"]
    return arguments


def loopback_image_spawner():
    """The hub's LabSpawner whose "pod" is the release's local image run as `release try` runs it
    (buildah, chroot, host network), with jupyterhub-singleuser, the environment the hub gives
    a server and the Drive's folders the Drive hook mounts (from `drive_dir`): the stand-in for
    the kubelet pulling the catalog's image by digest."""
    from infra.hub.pod.lab_spawner import LabSpawner

    class LoopbackImageSpawner(LocalServer, LabSpawner):
        container = None
        drive_dir = Unicode("", config=True)

        async def start(self):
            await self.load_user_options()
            release = (self.environment or {}).get("LAB_RELEASE", "")
            port = free_port()
            self.container = f"hubcheck-{self.user.name}-{port}"
            made = subprocess.run(["buildah", "from", "--pull-never", "--name", self.container,
                                   f"localhost/labforge/lab:{release}"], capture_output=True, text=True)
            if made.returncode != 0:
                raise RuntimeError(f"no local image of release {release}: {made.stderr.strip()[-200:]}")
            env = {**self.get_env(), "HOME": "/home/jovyan"}
            command = ["buildah", "run", "--isolation", "chroot", "--network", "host",
                       *drive_volumes(self, self.drive_dir),
                       *[a for k, v in sorted(env.items()) for a in ("--env", f"{k}={v}")], self.container, "--",
                       "jupyterhub-singleuser", "--ip=127.0.0.1", f"--port={port}"]
            self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)
            return f"http://127.0.0.1:{port}"

        async def stop(self, now=False):
            await super().stop(now)
            if self.container:
                subprocess.run(["buildah", "rm", self.container], capture_output=True)
                self.container = None

    return LoopbackImageSpawner
