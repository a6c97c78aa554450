"""`labforge hub usage` against a real JupyterHub 5.5 whose spawner is the hub's own LabSpawner
(KubeSpawner's profile handling and the release record in each server's state; the pod is a
local HTTP server): servers per release and image, running and stopped, as a table and JSON."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.request

import pytest

from infra.config.stack import Resources
from infra.hub.profiles import profile_list
from infra.hub.values import releases_extra_config
from labforge.loopback.registry import free_port
from tests.helpers.lab_hub import REPO, catalog, lab_hub

pytest.importorskip("kubespawner", reason="jupyterhub-kubespawner is in the venv (make venv)")
ADMIN, WEAK = secrets.token_hex(16), secrets.token_hex(16)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hub")
    profiles = profile_list(catalog(), Resources())
    roles = [{"name": "usage", "scopes": ["list:users", "read:users", "read:servers", "admin:server_state"],
              "services": ["labforge-usage"]},
             {"name": "weak", "scopes": ["read:users:activity"], "services": ["weak"]},
             {"name": "starter", "scopes": ["admin:users", "admin:servers"], "services": ["starter"]}]
    services = [{"name": "labforge-usage", "api_token": ADMIN}, {"name": "weak", "api_token": WEAK},
                {"name": "starter", "api_token": ADMIN[::-1]}]
    lines = [f"c.KubeSpawner.profile_list = {profiles!r}", f"c.JupyterHub.services = {services!r}",
             f"c.JupyterHub.load_roles = {roles!r}"]
    spawner = "import hub_standins\nc.JupyterHub.spawner_class = hub_standins.loopback_lab_spawner()\n"
    with lab_hub(folder, lines, releases_extra_config(catalog()) + spawner) as running:
        url = running.url
        api(url, "POST", "/users", {"usernames": ["ada", "bob", "cy", "dee"]})
        for user, profile in (("ada", "latest"), ("bob", "release-2026-05"), ("cy", "release-2026-05"),
                              ("dee", "experimental")):
            api(url, "POST", f"/users/{user}/server", {"profile": profile})
            running.wait(lambda user=user: api(url, "GET", f"/users/{user}")["servers"][""]["ready"])
        api(url, "DELETE", "/users/cy/server")
        running.wait(lambda: not api(url, "GET", "/users/cy")["servers"])
        yield url


def api(url: str, method: str, path: str, body=None):
    request = urllib.request.Request(f"{url}/hub/api{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"token {ADMIN[::-1]}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return json.loads(text) if text else None


def usage(hub: str, token: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LABFORGE_HUB_TOKEN": token, "LABFORGE_PROJECT": str(REPO), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "labforge", "hub", "usage", "--hub", hub, *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_usage_counts_servers_per_release_and_image(hub):
    result = usage(hub, ADMIN, "--json")
    assert result.returncode == 0, result.stderr
    groups = {g["release"]: g for g in json.loads(result.stdout)["releases"]}
    image = catalog().entry("2026.05").reference
    assert groups["2026.05"]["image"] == image and groups["2026.05"]["digest"] == catalog().entry("2026.05").digest
    assert (groups["2026.05"]["running"], groups["2026.05"]["stopped"]) == (1, 1)
    assert {(u["user"], u["running"]) for u in groups["2026.05"]["users"]} == {("bob", True), ("cy", False)}
    assert (groups["2026.11"]["running"], groups["experimental"]["running"]) == (1, 1)
    assert groups["2026.11"]["users"][0]["profile"] == "latest"
    table = usage(hub, ADMIN)
    assert table.returncode == 0 and "2026.05" in table.stdout and "bob, cy" in table.stdout


@pytest.mark.parametrize("case", ["token without the scopes", "no token", "hub down"])
def test_usage_says_what_is_wrong_in_one_line(hub, case):
    url, token = hub, WEAK
    if case == "no token":
        token = ""
    if case == "hub down":
        url, token = f"http://127.0.0.1:{free_port()}", ADMIN
    result = usage(url, token)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2, result.stderr
    expected = {"token without the scopes": "refused the token (HTTP 403)", "no token": "LABFORGE_HUB_TOKEN",
                "hub down": "cannot reach"}[case]
    assert expected in result.stderr


def environment(drive, owner: str, name: str, release: str | None, top: str = "users"):
    """An environment as lab-env leaves it: envs/NAME/builds/1 with its record, `current` -> builds/1."""
    folder = drive / top / owner / ".lab-envs" / "envs" / name
    (folder / "builds" / "1").mkdir(parents=True)
    if release is not None:
        (folder / "builds" / "1" / "record.json").write_text(json.dumps({"release": release, "build": 1}))
    (folder / "current").symlink_to("builds/1")
    return folder


def test_usage_counts_users_own_environments_per_release_from_the_drive(hub, tmp_path):
    drive = tmp_path / "drive"
    environment(drive, "ada", "analysis", "2026.05")
    environment(drive, "bob", "fit", "2026.05")
    environment(drive, "bob", "plots", "2026.11")
    environment(drive, "collab-neuro", "shared", "2026.05", top="groups")
    environment(drive, "cy", "broken", None)  # no record
    (environment(drive, "dee", "big", "2026.11") / "builds" / "1" / "record.json").write_text("x" * 70_000)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (drive / "users" / "eve" / ".lab-envs").mkdir(parents=True)
    (drive / "users" / "eve" / ".lab-envs" / "envs").symlink_to(outside)  # a link: never followed
    result = usage(hub, ADMIN, "--json", "--drive", str(drive))
    assert result.returncode == 0, result.stderr
    by_release = {g["release"]: g for g in json.loads(result.stdout)["environments"]}
    assert by_release["2026.05"] == {"release": "2026.05", "environments": 3,
                                     "owners": ["ada", "bob", "group:collab-neuro"]}
    assert by_release["2026.11"]["owners"] == ["bob"] and by_release["unreadable"]["owners"] == ["cy", "dee"]
    table = usage(hub, ADMIN, "--drive", str(drive))
    assert table.returncode == 0 and "ada, bob, group:collab-neuro" in table.stdout
    missing = usage(hub, ADMIN, "--drive", str(tmp_path / "nothing"))
    assert missing.returncode == 1 and "--drive" in missing.stderr and "Traceback" not in missing.stderr
