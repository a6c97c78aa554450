"""`labforge hub check` against a real JupyterHub 5.5 behind its real proxy (configurable-http-
proxy), whose spawner is the hub's LabSpawner running the demo's release images the way `release
try` serves them (buildah, chroot, host network, jupyterhub-singleuser): each release's server
starts, its kernel loads the tools, the result is compared with the catalog; a release whose
server cannot start is reported and the next one is still checked. Needs `make demo`'s images."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from infra.config.stack import Resources
from infra.hub.profiles import profile_list
from infra.hub.services.check import labforge_check
from infra.hub.values import releases_extra_config
from labforge.catalog.model import Catalog, load_catalog
from labforge.loopback.registry import free_port
from tests.helpers.lab_hub import REPO, lab_hub

pytestmark = pytest.mark.hubcheck
CHP = REPO / "build" / "tools" / "chp" / "node_modules" / ".bin" / "configurable-http-proxy"
CATALOGS = [REPO / "build" / "demo" / "catalog.json", REPO / "build" / "demo" / "project" / "build" / "catalog.json"]
TOKEN, WEAK = secrets.token_hex(16), secrets.token_hex(16)


def image_exists(release: str) -> bool:
    return subprocess.run(["buildah", "inspect", "--type", "image", f"localhost/labforge/lab:{release}"],
                          capture_output=True).returncode == 0


def demo_catalog() -> Catalog:
    """The demo's published releases (2026.11; 2099.01 with tools where spack built it), and one
    whose image does not exist (its server cannot start)."""
    catalog = Catalog()
    for path in CATALOGS:
        if path.exists():
            for entry in load_catalog(path).releases:
                if image_exists(entry.id):
                    catalog = catalog.with_entry(entry)
    if catalog.releases:
        ghost = catalog.releases[0].model_copy(update={"id": "2098.01", "kernel": "lab-2098.01", "default": False})
        catalog = catalog.with_entry(ghost)
    return catalog


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    if not CHP.exists():
        pytest.skip("configurable-http-proxy is installed by 'make tools'")
    catalog = demo_catalog()
    if len(catalog.releases) < 2:
        pytest.skip("no release image from the demo: run 'make demo' first")
    folder = tmp_path_factory.mktemp("hub")
    (folder / "catalog.json").write_text(catalog.to_json())
    profiles = profile_list(catalog, Resources())
    # the role the Pulumi program gives the check's service: the check user only
    check_role = labforge_check("labforge-check", TOKEN).roles["labforge-check"]
    roles = [{"name": "check", **check_role}, {"name": "weak", "scopes": ["read:users:activity"], "services": ["weak"]}]
    services = [{"name": "labforge-check", "api_token": TOKEN}, {"name": "weak", "api_token": WEAK}]
    lines = [f"c.KubeSpawner.profile_list = {profiles!r}", "c.Spawner.start_timeout = 180",
             "c.Spawner.http_timeout = 180", f"c.JupyterHub.services = {services!r}",
             f"c.JupyterHub.load_roles = {roles!r}"]
    spawner = "import hub_standins\nc.JupyterHub.spawner_class = hub_standins.loopback_image_spawner()\n"
    with lab_hub(folder, lines, releases_extra_config(catalog) + spawner, proxy=str(CHP)) as running:
        try:
            yield running.url, folder, catalog
        finally:
            print((folder / "hub.log").read_text()[-4000:])


def check(url: str, token: str, catalog: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LABFORGE_HUB_TOKEN": token, "LABFORGE_PROJECT": str(REPO), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "labforge", "hub", "check", "--hub", url, "--catalog", str(catalog),
                           "--timeout", "150", *args], env=env, capture_output=True, text=True, timeout=1200)


def test_each_release_is_checked_in_the_hub_and_a_broken_one_is_reported(hub):
    url, folder, catalog = hub
    result = check(url, TOKEN, folder / "catalog.json")
    lines = {line.split(" ", 1)[0]: line for line in result.stdout.splitlines() if " (" in line}
    print(result.stdout)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED: the server failed to start" in lines["2098.01"], result.stdout
    for entry in catalog.releases:
        if entry.id == "2098.01":
            continue
        assert f": ok: kernel {entry.kernel} ran" in lines[entry.id], result.stdout + result.stderr
    if "2099.01" in lines:  # the demo's tool release: its tools imported at their defaults
        assert "py-six 1.17.0" in lines["2099.01"], lines["2099.01"]
    assert "error: release 2098.01: the server failed to start" in result.stderr
    # nothing left running: no server for the check user, no container
    with urllib.request.urlopen(urllib.request.Request(f"{url}/hub/api/users/labforge-check",
                                                       headers={"Authorization": f"token {TOKEN}"})) as answer:
        assert json.load(answer)["servers"] == {}
    containers = subprocess.run(["buildah", "containers", "--format", "{{.ContainerName}}"], capture_output=True,
                                text=True).stdout
    assert "hubcheck-" not in containers


@pytest.mark.parametrize("case", ["token without the scopes", "hub down"])
def test_check_says_what_is_wrong_in_one_line(hub, case):
    url, folder, _ = hub
    token = WEAK if case == "token without the scopes" else TOKEN
    if case == "hub down":
        url = f"http://127.0.0.1:{free_port()}"
    result = check(url, token, folder / "catalog.json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert ("refused the token" if case != "hub down" else "cannot reach") in result.stderr, result.stderr
