"""What the hub-check and monitoring suites share: a real JupyterHub 5.5 behind its real proxy
(configurable-http-proxy), whose spawner is the hub's LabSpawner running the demo's release images
the way `release try` serves them; the check's and Prometheus' service tokens with the roles the
Pulumi program gives them. Needs `make demo`'s images."""

from __future__ import annotations

import secrets
import subprocess

import pytest

from infra.config.stack import Resources
from infra.hub.profiles import profile_list
from infra.hub.services.check import labforge_check
from infra.hub.services.metrics import labforge_metrics
from infra.hub.values import drive_extra_config, releases_extra_config
from labforge.catalog.model import Catalog
from labforge.catalog.store import load_catalog
from tests.helpers.lab_hub import REPO, lab_hub

CHP = REPO / "build" / "tools" / "chp" / "node_modules" / ".bin" / "configurable-http-proxy"
CATALOGS = [REPO / "build" / "demo" / "catalog.json", REPO / "build" / "demo" / "project" / "build" / "catalog.json"]
TOKEN, WEAK, METRICS = secrets.token_hex(16), secrets.token_hex(16), secrets.token_hex(16)
ADMIN = secrets.token_hex(16)  # the tests' own service, in the hub's admin role: users, groups, servers
# The Drive as the Pulumi program configures it, its claim a host folder (the hub's folder/drive)
DRIVE = {"claim": "lab-drive", "volume": "lab-drive", "root": "/home/jovyan/drive", "groups": ["collab-neuro"],
         "patterns": [], "max_groups": 3, "image": "unused", "uid": 1000, "gid": 1000}


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


@pytest.fixture(scope="session")
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
    # and Prometheus': read:metrics only
    metrics_role = labforge_metrics(METRICS).roles["labforge-metrics"]
    roles = [{"name": "check", **check_role}, {"name": "weak", "scopes": ["read:users:activity"], "services": ["weak"]},
             {"name": "metrics", "scopes": metrics_role["scopes"], "services": metrics_role["services"]},
             {"name": "admin", "services": ["tester"]}]
    services = [{"name": "labforge-check", "api_token": TOKEN}, {"name": "weak", "api_token": WEAK},
                {"name": "labforge-metrics", "api_token": METRICS}, {"name": "tester", "api_token": ADMIN}]
    lines = [f"c.KubeSpawner.profile_list = {profiles!r}", "c.Spawner.start_timeout = 180",
             "c.Spawner.http_timeout = 180", f"c.JupyterHub.services = {services!r}",
             f"c.JupyterHub.load_roles = {roles!r}",
             f"c.LoopbackImageSpawner.drive_dir = {str(folder / 'drive')!r}"]
    spawner = "import hub_standins\nc.JupyterHub.spawner_class = hub_standins.loopback_image_spawner()\n"
    hooks = releases_extra_config(catalog) + drive_extra_config(DRIVE)
    with lab_hub(folder, lines, hooks + spawner, proxy=str(CHP)) as running:
        try:
            yield running.url, folder, catalog
        finally:
            print((folder / "hub.log").read_text()[-4000:])
