"""`labforge hub check` against a real JupyterHub 5.5 behind its real proxy (configurable-http-
proxy), whose spawner is the hub's LabSpawner running the demo's release images the way `release
try` serves them (buildah, chroot, host network, jupyterhub-singleuser): each release's server
starts, its kernel loads the tools, the result is compared with the catalog; a release whose
server cannot start is reported and the next one is still checked. Needs `make demo`'s images."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from labforge.loopback.registry import free_port
from tests.helpers.lab_hub import REPO
from tests.hubcheck.conftest import TOKEN, WEAK

pytestmark = pytest.mark.hubcheck


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
