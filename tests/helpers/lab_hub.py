"""A real JupyterHub 5.5 process for the tests of the hub's own parts (the spawn page, `hub usage`,
`hub check`): KubeSpawner's configuration with a kubeconfig pointing nowhere, the dummy
authenticator, and what each test adds (profiles, services, roles, the spawner, a proxy)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from labforge.catalog.lifecycle import deprecate, retire
from labforge.catalog.model import Catalog, CatalogEntry, GpuImage
from labforge.loopback.registry import free_port
from tests.helpers.waiting import wait_until

HERE = Path(__file__).parent
REPO = HERE.parents[1]
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
"""


@dataclass
class RunningHub:
    url: str
    proc: subprocess.Popen
    folder: Path

    def wait(self, check, timeout: float = 60) -> None:
        """Until `check()` is true; the hub's log tail when it stops or the time is up."""
        def alive() -> None:
            assert self.proc.poll() is None, (self.folder / "hub.log").read_text()[-3000:]
        try:
            wait_until(check, "the hub", timeout, alive=alive)
        except AssertionError as exc:
            if "timed out" not in str(exc):
                raise
            raise AssertionError((self.folder / "hub.log").read_text()[-3000:]) from None


@contextlib.contextmanager
def lab_hub(folder: Path, lines: list[str], tail: str = "", proxy: str | None = None) -> Iterator[RunningHub]:
    """Run a hub configured by `lines` (then `tail`, e.g. the hub's extraConfig) until the `with`
    ends. `proxy`: configurable-http-proxy's command (else an in-memory
    stand-in that routes nothing, for tests that need only the hub's own pages and API)."""
    (folder / "kubeconfig").write_text(KUBECONFIG)
    hub_port, public = free_port(), free_port()
    routing = ([f"c.ConfigurableHTTPProxy.command = [{proxy!r}]",
                f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'"] if proxy
               else ["c.JupyterHub.proxy_class = 'hub_standins.MemoryProxy'"])
    (folder / "jupyterhub_config.py").write_text("\n".join([
        "c = get_config()  # noqa",
        f"c.JupyterHub.bind_url = 'http://127.0.0.1:{public}'",
        "c.JupyterHub.hub_ip = '127.0.0.1'",
        f"c.JupyterHub.hub_port = {hub_port}",
        *routing,
        "c.JupyterHub.authenticator_class = 'dummy'",
        "c.Authenticator.allow_all = True",
        f"c.JupyterHub.db_url = 'sqlite:///{folder}/hub.sqlite'",
        f"c.JupyterHub.cookie_secret_file = '{folder}/cookie_secret'",
        *lines,
    ]) + "\n" + tail)
    env = {**os.environ, "KUBECONFIG": str(folder / "kubeconfig"), "PYTHONPATH": f"{HERE}:{REPO}",
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    with open(folder / "hub.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(folder / "jupyterhub_config.py")],
                                cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    # Without the real proxy, the hub's own port answers; with it, the public one.
    hub = RunningHub(f"http://127.0.0.1:{public if proxy else hub_port}", proc, folder)
    try:
        hub.wait(lambda: urllib.request.urlopen(f"{hub.url}/hub/health", timeout=2), 90)
        yield hub
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def catalog() -> Catalog:
    """2025.05 retired, 2025.11 deprecated, 2026.05 and 2026.11 supported, the experimental channel."""
    result = Catalog()
    for rid, channel, gpu in (("2025.05", "stable", False), ("2025.11", "stable", False), ("2026.05", "stable", False),
                              ("2026.11", "stable", True), ("experimental", "experimental", False)):
        result = result.with_entry(CatalogEntry(
            id=rid, channel=channel, image="harbor.lab.example.org/lab/notebook", digest=digest(rid),
            created="2026-11-01T00:00:00Z", kernel=f"lab-{rid}",
            gpu=GpuImage(image="harbor.lab.example.org/lab/notebook", digest=digest(rid + "-gpu"),
                         created="2026-11-01T00:00:00Z") if gpu else None))
    result = deprecate(result, "catalog", "2025.11", dt.date(2099, 3, 31), None, "NumPy 1 notebooks: see the wiki.",
                       dt.date(2026, 11, 29))
    return retire(result, "catalog", "2025.05", dt.date(2026, 11, 29))
